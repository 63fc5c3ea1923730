import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorBody } from '@app/contracts';

interface Refusal {
  status: number;
  code: string;
  message: string;
}

/** What Node answers itself to these parse errors (its defaults), with the contract's body. */
const REFUSALS: Record<string, Refusal> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    code: 'headers_too_large',
    message: 'The request headers are larger than 16 KiB in all: send fewer or shorter headers',
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    code: 'request_timeout',
    message: 'The request did not arrive in full in time: send it again',
  },
};

/** Any other parse error is Node's 400. */
function refusalOf(error: NodeJS.ErrnoException): Refusal {
  return (
    REFUSALS[error.code ?? ''] ?? {
      status: 400,
      code: 'malformed_request',
      message: `The request is not valid HTTP/1.1 (${error.code ?? error.message}): check the client`,
    }
  );
}

/**
 * Requests refused before any route sees them (headers over Node's limit, a request that is not
 * HTTP) get the contract's error body, as every other error does, where Node would answer with a
 * bare status line. As Node does, nothing is written on a connection whose previous response is
 * still under way (a kept-alive or pipelined one): an answer there would corrupt that response.
 */
export function answerMalformedRequests(server: Server): void {
  const answering = new WeakSet<Duplex>();
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    answering.add(request.socket);
    response.on('close', () => answering.delete(request.socket));
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (socket.writable && !answering.has(socket)) {
      const { status, code, message } = refusalOf(error);
      const answer: ErrorBody = { error: { code, message, details: [] } };
      const body = JSON.stringify(answer);
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
          'Content-Type: application/json; charset=utf-8\r\n' +
          `Content-Length: ${Buffer.byteLength(body)}\r\n` +
          'Connection: close\r\n\r\n' +
          body,
      );
    }
    socket.destroy(error);
  });
}
