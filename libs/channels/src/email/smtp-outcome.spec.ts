import { classifySmtpFailure, smtpAccepted } from './smtp-outcome';
import { smtpTransportOptions } from './smtp-transport-options';

/** The shape nodemailer's SMTP connection gives its errors (_formatError). */
function smtpError(message: string, code: string, command: string, response?: string) {
  const error = new Error(response === undefined ? message : `${message}: ${response}`);
  const responseCode = response === undefined ? undefined : Number(response.slice(0, 3));
  return Object.assign(error, {
    code,
    command,
    ...(response === undefined ? {} : { response, responseCode }),
  });
}

describe('smtpAccepted', () => {
  it('is delivered, keeping the reply', () => {
    expect(smtpAccepted('250 OK: queued as 1A2B')).toEqual({
      outcome: 'delivered',
      statusCode: 250,
      responseBody: '250 OK: queued as 1A2B',
    });
  });
});

describe('classifySmtpFailure', () => {
  it.each([
    ['RCPT TO', "Can't send mail - all recipients were rejected", '550 5.1.1 No such user'],
    ['DATA', 'Message failed', '554 5.7.1 Message rejected as spam'],
    ['MAIL FROM', 'Mail command failed', '553 Sender not allowed'],
  ])('a 5xx reply to %s is permanent, the reply is the reason', (command, message, reply) => {
    const result = classifySmtpFailure(smtpError(message, 'EENVELOPE', command, reply));
    expect(result).toEqual({
      outcome: 'permanent',
      statusCode: Number(reply.slice(0, 3)),
      responseBody: reply,
      error: `SMTP ${command} refused: ${reply}`,
    });
  });

  it.each([
    ['RCPT TO', '451 4.7.1 Greylisted, try again later'],
    ['DATA', '452 4.3.1 Insufficient system storage'],
    ['MAIL FROM', '421 4.7.0 Try again later'],
  ])('a 4xx reply to %s is transient', (command, reply) => {
    const result = classifySmtpFailure(smtpError('refused', 'EMESSAGE', command, reply));
    expect(result.outcome).toBe('transient');
    expect(result.statusCode).toBe(Number(reply.slice(0, 3)));
    expect(result.error).toBe(`SMTP ${command} refused for now: ${reply}`);
  });

  it('a refused login is transient and points at SMTP_URL', () => {
    const result = classifySmtpFailure(
      smtpError('Invalid login', 'EAUTH', 'AUTH PLAIN', '535 5.7.8 Authentication failed'),
    );
    expect(result.outcome).toBe('transient');
    expect(result.statusCode).toBe(535);
    expect(result.error).toMatch(
      /^SMTP authentication failed \(check the credentials in SMTP_URL\)/,
    );
  });

  it('a 5xx greeting is about the session, not the message: transient', () => {
    const result = classifySmtpFailure(
      smtpError('Invalid greeting', 'EPROTOCOL', 'CONN', '554 No SMTP service here'),
    );
    expect(result.outcome).toBe('transient');
  });

  it.each([
    ['ECONNECTION', 'CONN', 'connect ECONNREFUSED 127.0.0.1:2525'],
    ['ETIMEDOUT', 'CONN', 'Connection timeout'],
    ['ESOCKET', 'CONN', 'socket hang up'],
    ['EDNS', 'CONN', 'getaddrinfo ENOTFOUND mail.invalid'],
    ['ETLS', 'CONN', 'Error initiating TLS'],
  ])('%s is transient', (code, command, message) => {
    const result = classifySmtpFailure(smtpError(message, code, command));
    expect(result).toEqual({ outcome: 'transient', error: `SMTP ${code}: ${message}` });
  });

  it('an address nodemailer refuses to send to is permanent', () => {
    const result = classifySmtpFailure(smtpError('Invalid recipient "a\\nb"', 'EENVELOPE', 'API'));
    expect(result.outcome).toBe('permanent');
    expect(result.error).toBe('the message cannot be sent: Invalid recipient "a\\nb"');
  });

  it('anything unknown is transient', () => {
    expect(classifySmtpFailure(new Error('boom'))).toEqual({
      outcome: 'transient',
      error: 'SMTP: boom',
    });
    expect(classifySmtpFailure('weird').outcome).toBe('transient');
  });
});

describe('smtpTransportOptions', () => {
  it('is a pool over plain SMTP (STARTTLS when offered) for smtp:', () => {
    const options = smtpTransportOptions('smtp://127.0.0.1:2525');
    expect(options).toMatchObject({ pool: true, secure: false, host: '127.0.0.1', port: 2525 });
    expect(options.auth).toBeUndefined();
  });

  it('is TLS from the start for smtps:', () => {
    expect(smtpTransportOptions('smtps://mail.example.com')).toMatchObject({
      secure: true,
      host: 'mail.example.com',
    });
  });

  it.each(['?secure', '?secure=true', '?secure=1'])('is TLS from the start with %s', (query) => {
    expect(smtpTransportOptions(`smtp://mail.example.com:465${query}`).secure).toBe(true);
  });

  it('takes percent-encoded credentials from the URL', () => {
    expect(smtpTransportOptions('smtp://us%40er:p%3Ass%2Fw@mail.example.com').auth).toEqual({
      user: 'us@er',
      pass: 'p:ss/w',
    });
  });

  it('passes other options through the query', () => {
    expect(
      smtpTransportOptions(
        'smtp://mail.example.com?requireTLS=true&maxConnections=2&tls.rejectUnauthorized=false',
      ),
    ).toMatchObject({ requireTLS: true, maxConnections: 2, tls: { rejectUnauthorized: false } });
  });
});
