import { existsSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';

/** Where the console is served; everything else (/v1, /docs, /health, /metrics) is untouched. */
export const CONSOLE_PATH = '/console';

/**
 * The console only talks to this origin's API and never needs inline scripts: a script injected
 * into it could read the app key from sessionStorage, so the policy refuses anything else.
 */
const CONSOLE_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const IMMUTABLE = 'public, max-age=31536000, immutable';

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Console not built</title></head>
<body>
<h1>The console is not built</h1>
<p>Build it once with <code>npm run build:console</code> (or <code>npm run build</code>), then reload this page. The API works without it.</p>
</body></html>`;

/**
 * Serves the operator console (apps/console, built by Vite into dist/console) at /console:
 * its files as they are, and index.html for any other page path (the console routes in the
 * browser). Whether the console is built is checked per request, so the API starts fine
 * without it and serves it as soon as it is built.
 */
export function serveConsole(app: NestExpressApplication, dir = defaultConsoleDir()): void {
  const index = join(dir, 'index.html');
  const assets = join(dir, 'assets') + sep;
  app.use(CONSOLE_PATH, (_req: Request, res: Response, next: NextFunction) => {
    res.set(CONSOLE_HEADERS);
    next();
  });
  app.useStaticAssets(dir, {
    prefix: CONSOLE_PATH,
    index: 'index.html',
    setHeaders: (res: Response, path: string) => {
      // Vite fingerprints everything under assets/; index.html must always be revalidated.
      res.setHeader('cache-control', path.startsWith(assets) ? IMMUTABLE : 'no-cache');
    },
  });
  app.use(CONSOLE_PATH, (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (!existsSync(index)) {
      res.status(404).type('html').send(NOT_BUILT_PAGE);
      return;
    }
    // A missing fingerprinted file is a 404, not the page: only page paths fall back.
    if (req.path.startsWith('/assets/')) return next();
    res.set('cache-control', 'no-cache');
    res.sendFile(index);
  });
}

/** dist/console at the repository (or image) root: the nearest folder up with a package.json. */
function defaultConsoleDir(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) return join(process.cwd(), 'dist', 'console');
    dir = parent;
  }
  return join(dir, 'dist', 'console');
}
