import type { DeliveryJob, EndpointTarget } from '../channel';
import type { OutgoingSms, SmsProvider } from './sms-provider';
import { SmsChannel, smsText } from './sms.channel';

function job(payload: Record<string, unknown>, template?: EndpointTarget['template']): DeliveryJob {
  return {
    messageId: 'msg_1',
    eventType: 'order.paid',
    payload,
    createdAt: new Date('2026-11-26T08:00:00.000Z'),
    endpoint: {
      id: 'ep_1',
      to: '+8613800000000',
      headers: {},
      secrets: [],
      timeoutMs: 5_000,
      ...(template === undefined ? {} : { template }),
    },
  };
}

/** Records what it is asked to send; the HTTP providers are exercised end to end in test/e2e. */
class RecordingProvider implements SmsProvider {
  readonly sent: OutgoingSms[] = [];
  send(sms: OutgoingSms) {
    this.sent.push(sms);
    return Promise.resolve({ outcome: 'delivered' as const, statusCode: 200 });
  }
}

describe('smsText', () => {
  it('renders template.text without HTML escaping', () => {
    expect(smsText(job({ code: '<1&2>' }, { text: 'Code {{payload.code}}' }))).toBe('Code <1&2>');
  });

  it('prefers the template to payload.text', () => {
    expect(smsText(job({ text: 'payload' }, { text: 'template' }))).toBe('template');
  });

  it('takes payload.text as it is without a template text', () => {
    expect(smsText(job({ text: 'Hi {{x}}' }, { subject: 'ignored' }))).toBe('Hi {{x}}');
  });

  it('has nothing without either', () => {
    expect(smsText(job({ body: 'x' }))).toBeUndefined();
    expect(smsText(job({ text: 42 }))).toBeUndefined();
  });
});

describe('SmsChannel', () => {
  it('sends the text to the endpoint number', async () => {
    const provider = new RecordingProvider();
    const result = await new SmsChannel(provider).send(job({ text: 'hello' }));
    expect(result.outcome).toBe('delivered');
    expect(provider.sent).toEqual([
      { messageId: 'msg_1', to: '+8613800000000', text: 'hello', timeoutMs: 5_000 },
    ]);
  });

  it('fails permanently, sending nothing, when there is no text', async () => {
    const provider = new RecordingProvider();
    const result = await new SmsChannel(provider).send(job({ other: 1 }));
    expect(result).toMatchObject({ outcome: 'permanent' });
    expect(result.error).toMatch(/no template.text and the payload has no "text" string/);
    expect(provider.sent).toHaveLength(0);
  });

  it('fails permanently when the text renders empty', async () => {
    const result = await new SmsChannel(new RecordingProvider()).send(
      job({}, { text: '{{payload.missing}}' }),
    );
    expect(result).toMatchObject({
      outcome: 'permanent',
      error: 'nothing to send: the text is empty',
    });
  });

  it('fails permanently with the reason while no provider is configured', async () => {
    const result = await new SmsChannel({ unavailable: 'set SMS_GATEWAY_URL' }).send(
      job({ text: 'x' }),
    );
    expect(result).toEqual({ outcome: 'permanent', durationMs: 0, error: 'set SMS_GATEWAY_URL' });
  });
});
