import { parseRetryAfter } from '@app/retry-policy';
import { asksToBackOff, RESPONSE_EXCERPT_BYTES, type AttemptResult } from '../channel';

type Classified = Omit<AttemptResult, 'durationMs'>;

export interface ProviderAnswer {
  status: number;
  /** Response headers, lower-case names. */
  headers: Record<string, unknown>;
  body: string;
}

/**
 * How an SMS provider's HTTP status maps to an outcome, whatever the provider:
 * - 2xx: accepted (delivered, as far as we can know);
 * - 408, 425, 429 and 5xx: transient, the provider is busy or failing (429/503 Retry-After is kept);
 * - 401: transient, our credentials were refused: operator configuration, fixed without touching
 *   the message, so it keeps its schedule meanwhile;
 * - 3xx: transient, a gateway URL that redirects is a configuration problem (redirects are not
 *   followed);
 * - any other 4xx: permanent, the provider refuses this message (invalid number, blocked, ...).
 */
export function outcomeOfStatus(status: number): AttemptResult['outcome'] {
  if (status >= 200 && status < 300) return 'delivered';
  if (status >= 500 || [401, 408, 425, 429].includes(status)) return 'transient';
  if (status >= 300 && status < 400) return 'transient';
  return 'permanent';
}

function retryAfterOf(answer: ProviderAnswer, now: Date): number | undefined {
  const header = answer.headers['retry-after'];
  if (!asksToBackOff(answer.status) || typeof header !== 'string') {
    return undefined;
  }
  return parseRetryAfter(header, now);
}

function classify(answer: ProviderAnswer, now: Date, describe: () => string): Classified {
  const outcome = outcomeOfStatus(answer.status);
  const retryAfterMs = outcome === 'transient' ? retryAfterOf(answer, now) : undefined;
  return {
    outcome,
    statusCode: answer.status,
    responseBody: answer.body.slice(0, RESPONSE_EXCERPT_BYTES),
    ...(outcome === 'delivered' ? {} : { error: describe() }),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  };
}

/** The generic gateway (`POST SMS_GATEWAY_URL`): the status says it all. */
export function classifyGatewayAnswer(answer: ProviderAnswer, now: Date): Classified {
  return classify(answer, now, () => {
    const excerpt = answer.body.trim().slice(0, 200);
    return `SMS gateway answered HTTP ${answer.status}${excerpt.length > 0 ? `: ${excerpt}` : ''}`;
  });
}

/**
 * Twilio's Messages API: 201 with the Message resource when accepted; otherwise a JSON error
 * `{ code, message, more_info, status }`. Twilio asks clients not to branch on its error codes
 * (they are refined over time), so the HTTP status decides and the code goes into the reason.
 */
export function classifyTwilioAnswer(answer: ProviderAnswer, now: Date): Classified {
  return classify(answer, now, () => {
    const error = parseTwilioError(answer.body);
    if (error === undefined) return `Twilio answered HTTP ${answer.status}`;
    const code = error.code === undefined ? '' : ` (error ${error.code})`;
    const more = error.moreInfo === undefined ? '' : `, see ${error.moreInfo}`;
    return `Twilio answered HTTP ${answer.status}${code}: ${error.message}${more}`;
  });
}

function parseTwilioError(
  body: string,
): { code?: number; message: string; moreInfo?: string } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { code, message, more_info: moreInfo } = parsed as Record<string, unknown>;
  if (typeof message !== 'string') return undefined;
  return {
    message,
    ...(typeof code === 'number' ? { code } : {}),
    ...(typeof moreInfo === 'string' ? { moreInfo } : {}),
  };
}

/** A request that got no answer: refused connection, DNS failure, timeout. Always transient. */
export function classifyNoAnswer(error: unknown, timeoutMs: number, provider: string): Classified {
  if (error instanceof Error && (error.name === 'AbortError' || error.name === 'CanceledError')) {
    return { outcome: 'transient', error: `${provider} timed out after ${timeoutMs} ms` };
  }
  const code =
    typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
      ? `${error.code}: `
      : '';
  const message = error instanceof Error ? error.message : String(error);
  return { outcome: 'transient', error: `${provider} could not be reached: ${code}${message}` };
}
