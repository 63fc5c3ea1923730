import { PassThrough } from 'node:stream';
import { Logger } from '@nestjs/common';
import type { Logger as PinoRoot } from 'pino';
import { LOG_PARAMS, logFormatFor, logJson, usePrettyLogs } from './json-logs';

// eslint-disable-next-line no-control-regex
const ANSI_COLOURS = /\u001b\[[0-9;]*m/g;

describe('logFormatFor', () => {
  it.each([
    [true, false, 'pretty'],
    [false, false, 'json'],
    [true, true, 'json'],
    [false, true, 'json'],
  ] as const)('stdout a TTY: %s, production: %s -> %s', (stdoutIsTty, production, format) => {
    expect(logFormatFor({ stdoutIsTty, production })).toBe(format);
  });
});

describe('usePrettyLogs', () => {
  it("turns the process's lines into human-readable ones: time, level, [context], message", async () => {
    const captured = new PassThrough();
    let text = '';
    captured.on('data', (chunk: Buffer) => (text += chunk.toString()));
    await usePrettyLogs(captured);
    logJson('info');
    new Logger('Platform').log('API on http://127.0.0.1:3000');
    new Logger('Platform').debug('not at info');
    (LOG_PARAMS.pinoHttp as { logger: PinoRoot }).logger.info(
      {
        context: 'HttpRequest',
        req: { method: 'POST', url: '/v1/apps', headers: { accept: '*/*' } },
        res: { statusCode: 201 },
        responseTime: 12,
      },
      'request completed',
    );
    const lines = text.replace(ANSI_COLOURS, '').trim().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(
        /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: \[Platform\] API on http:\/\/127\.0\.0\.1:3000$/,
      ),
      expect.stringMatching(/INFO: \[HttpRequest\] request completed: POST \/v1\/apps 201 12ms$/),
    ]);
  });
});
