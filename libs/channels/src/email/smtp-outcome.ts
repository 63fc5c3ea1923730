import { RESPONSE_EXCERPT_BYTES, type AttemptResult } from '../channel';

type Classified = Omit<AttemptResult, 'durationMs'>;

/** What nodemailer puts on an SMTP failure (SMTPConnection.SMTPError), all optional. */
interface SmtpFailure {
  code?: unknown;
  command?: unknown;
  response?: unknown;
  responseCode?: unknown;
  message?: unknown;
}

/** The commands that carry this message: a refusal there is about the message, not the session. */
const MESSAGE_COMMANDS = new Set(['MAIL FROM', 'RCPT TO', 'DATA']);

function replyCodeOf(reply: string): number | undefined {
  const match = /^([2-5]\d\d)/.exec(reply);
  return match === null ? undefined : Number(match[1]);
}

/** The server accepted the message (a 2xx reply to the end of DATA). */
export function smtpAccepted(response: string): Classified {
  const statusCode = replyCodeOf(response);
  return {
    outcome: 'delivered',
    ...(statusCode === undefined ? {} : { statusCode }),
    responseBody: response.slice(0, RESPONSE_EXCERPT_BYTES),
  };
}

/**
 * Classifies what nodemailer reports when a message was not accepted:
 * - a reply to MAIL FROM, RCPT TO or DATA: 4xx is transient, 5xx is permanent (the reply is the
 *   reason);
 * - a message nodemailer itself refuses before talking to the server (a bad address): permanent;
 * - anything about the session (connecting, TLS, the greeting, EHLO, AUTH, a dropped connection, a
 *   timeout): transient. These are the server's or the operator's to fix (SMTP_URL, credentials),
 *   and the schedule gives them that time.
 */
export function classifySmtpFailure(error: unknown): Classified {
  const failure: SmtpFailure = typeof error === 'object' && error !== null ? error : {};
  const code = typeof failure.code === 'string' ? failure.code : undefined;
  const command = typeof failure.command === 'string' ? failure.command : undefined;
  const reply = typeof failure.response === 'string' ? failure.response.trim() : undefined;
  const replyCode =
    typeof failure.responseCode === 'number'
      ? failure.responseCode
      : reply === undefined
        ? undefined
        : replyCodeOf(reply);
  const message =
    typeof failure.message === 'string'
      ? failure.message
      : typeof error === 'string'
        ? error
        : 'unknown error';
  const answer = {
    ...(replyCode === undefined ? {} : { statusCode: replyCode }),
    ...(reply === undefined ? {} : { responseBody: reply.slice(0, RESPONSE_EXCERPT_BYTES) }),
  };

  if (reply !== undefined && replyCode !== undefined && MESSAGE_COMMANDS.has(command ?? '')) {
    if (replyCode >= 500) {
      return { ...answer, outcome: 'permanent', error: `SMTP ${command} refused: ${reply}` };
    }
    if (replyCode >= 400) {
      return {
        ...answer,
        outcome: 'transient',
        error: `SMTP ${command} refused for now: ${reply}`,
      };
    }
  }
  if (command === 'API' && (code === 'EENVELOPE' || code === 'EMESSAGE')) {
    return { ...answer, outcome: 'permanent', error: `the message cannot be sent: ${message}` };
  }
  if (code === 'EAUTH') {
    return {
      ...answer,
      outcome: 'transient',
      error: `SMTP authentication failed (check the credentials in SMTP_URL): ${message}`,
    };
  }
  return {
    ...answer,
    outcome: 'transient',
    error: code === undefined ? `SMTP: ${message}` : `SMTP ${code}: ${message}`,
  };
}
