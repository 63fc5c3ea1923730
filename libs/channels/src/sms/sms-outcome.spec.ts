import {
  classifyGatewayAnswer,
  classifyNoAnswer,
  classifyTwilioAnswer,
  outcomeOfStatus,
} from './sms-outcome';

const NOW = new Date('2026-11-26T08:00:00.000Z');

describe('outcomeOfStatus', () => {
  it.each([
    [200, 'delivered'],
    [201, 'delivered'],
    [204, 'delivered'],
    [500, 'transient'],
    [502, 'transient'],
    [503, 'transient'],
    [429, 'transient'],
    [408, 'transient'],
    [425, 'transient'],
    [401, 'transient'],
    [301, 'transient'],
    [400, 'permanent'],
    [403, 'permanent'],
    [404, 'permanent'],
    [410, 'permanent'],
    [422, 'permanent'],
  ] as const)('HTTP %i is %s', (status, outcome) => {
    expect(outcomeOfStatus(status)).toBe(outcome);
  });
});

describe('classifyGatewayAnswer', () => {
  it('accepts a 2xx, keeping the answer', () => {
    expect(classifyGatewayAnswer({ status: 202, headers: {}, body: '{"id":"1"}' }, NOW)).toEqual({
      outcome: 'delivered',
      statusCode: 202,
      responseBody: '{"id":"1"}',
    });
  });

  it('names the status and the answer in the reason', () => {
    expect(classifyGatewayAnswer({ status: 400, headers: {}, body: 'bad number\n' }, NOW)).toEqual({
      outcome: 'permanent',
      statusCode: 400,
      responseBody: 'bad number\n',
      error: 'SMS gateway answered HTTP 400: bad number',
    });
  });

  it('keeps Retry-After on 429 and 503', () => {
    expect(
      classifyGatewayAnswer({ status: 429, headers: { 'retry-after': '30' }, body: '' }, NOW),
    ).toMatchObject({ outcome: 'transient', retryAfterMs: 30_000 });
    expect(
      classifyGatewayAnswer({ status: 503, headers: { 'retry-after': '5' }, body: '' }, NOW),
    ).toMatchObject({ outcome: 'transient', retryAfterMs: 5_000 });
    expect(
      classifyGatewayAnswer({ status: 500, headers: { 'retry-after': '5' }, body: '' }, NOW),
    ).not.toHaveProperty('retryAfterMs');
  });

  it('keeps only the first 1 KiB of a long answer', () => {
    const result = classifyGatewayAnswer({ status: 500, headers: {}, body: 'x'.repeat(5000) }, NOW);
    expect(result.responseBody).toHaveLength(1024);
  });
});

describe('classifyTwilioAnswer', () => {
  const twilioError = (status: number, code: number, message: string) =>
    JSON.stringify({
      code,
      message,
      more_info: `https://www.twilio.com/docs/errors/${code}`,
      status,
    });

  it('accepts 201 Created', () => {
    const body = JSON.stringify({ sid: 'SM123', status: 'queued' });
    expect(classifyTwilioAnswer({ status: 201, headers: {}, body }, NOW)).toEqual({
      outcome: 'delivered',
      statusCode: 201,
      responseBody: body,
    });
  });

  it('an invalid number (400, 21211) is permanent with the code and message as the reason', () => {
    const body = twilioError(
      400,
      21211,
      "The 'To' number +15005550001 is not a valid phone number.",
    );
    expect(classifyTwilioAnswer({ status: 400, headers: {}, body }, NOW)).toEqual({
      outcome: 'permanent',
      statusCode: 400,
      responseBody: body,
      error:
        "Twilio answered HTTP 400 (error 21211): The 'To' number +15005550001 is not a valid phone number., see https://www.twilio.com/docs/errors/21211",
    });
  });

  it('too many requests (429, 20429) is transient and honours Retry-After', () => {
    const body = twilioError(429, 20429, 'Too Many Requests');
    expect(
      classifyTwilioAnswer({ status: 429, headers: { 'retry-after': '2' }, body }, NOW),
    ).toMatchObject({ outcome: 'transient', retryAfterMs: 2_000 });
  });

  it('a server error is transient, even without a JSON body', () => {
    expect(classifyTwilioAnswer({ status: 500, headers: {}, body: '<html>oops' }, NOW)).toEqual({
      outcome: 'transient',
      statusCode: 500,
      responseBody: '<html>oops',
      error: 'Twilio answered HTTP 500',
    });
  });

  it('refused credentials (401, 20003) are transient: the operator fixes them', () => {
    const body = twilioError(401, 20003, 'Authenticate');
    expect(classifyTwilioAnswer({ status: 401, headers: {}, body }, NOW).outcome).toBe('transient');
  });
});

describe('classifyNoAnswer', () => {
  it('a timeout is transient', () => {
    const abort = Object.assign(new Error('canceled'), { name: 'CanceledError' });
    expect(classifyNoAnswer(abort, 3000, 'Twilio')).toEqual({
      outcome: 'transient',
      error: 'Twilio timed out after 3000 ms',
    });
  });

  it('a refused connection is transient', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
      code: 'ECONNREFUSED',
    });
    expect(classifyNoAnswer(refused, 3000, 'the SMS gateway')).toEqual({
      outcome: 'transient',
      error: 'the SMS gateway could not be reached: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1',
    });
  });
});
