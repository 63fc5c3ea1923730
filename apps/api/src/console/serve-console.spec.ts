import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { serveConsole } from './serve-console';

@Controller('v1/ping')
class PingController {
  @Get()
  ping() {
    return { pong: true };
  }
}

@Module({ controllers: [PingController] })
class PingModule {}

/** A real Express app over HTTP, with the console served from a folder of the test's own. */
async function serve(dir: string): Promise<{ url: string; close: () => Promise<void> }> {
  const app = await NestFactory.create<NestExpressApplication>(PingModule, { logger: false });
  serveConsole(app, dir);
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { url, close: () => app.close() };
}

describe('serveConsole', () => {
  let dir: string;
  let server: { url: string; close: () => Promise<void> };
  const get = (path: string) => fetch(`${server.url}${path}`, { redirect: 'manual' });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'console-'));
    server = await serve(dir);
  });
  afterEach(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 404 with how to build it while the console is not built, leaving /v1 alone', async () => {
    const page = await get('/console/messages');
    expect(page.status).toBe(404);
    expect(await page.text()).toContain('npm run build:console');
    expect(await (await get('/v1/ping')).json()).toEqual({ pong: true });
  });

  it('serves the built files, and index.html for page paths only', async () => {
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title>');
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');

    expect((await get('/console')).status).toBe(301);
    const index = await get('/console/');
    expect(index.status).toBe(200);
    expect(await index.text()).toContain('<title>console</title>');
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expect(index.headers.get('content-security-policy')).toContain("script-src 'self'");

    const deep = await get('/console/messages/msg_123?x=1');
    expect(deep.status).toBe(200);
    expect(deep.headers.get('content-type')).toMatch(/text\/html/);
    expect(await deep.text()).toContain('<title>console</title>');

    const asset = await get('/console/assets/index-abc123.js');
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect((await get('/console/assets/missing.js')).status).toBe(404);

    expect(await (await get('/v1/ping')).json()).toEqual({ pong: true });
    expect((await get('/elsewhere')).status).toBe(404);
  });
});
