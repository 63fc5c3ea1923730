import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { eventually } from '../../support/eventually';
import { TestPlatform } from '../../support/platform';
import { WebhookSink } from '../../support/webhook-sink';

/**
 * The operator console in a real headless browser (Debian's chromium, driven by playwright-core)
 * against the real platform: sign in, find the failed message, read its attempts, fix the
 * receiver, redeliver, watch it become delivered.
 */

const CHROMIUM = '/usr/bin/chromium';
const ROOT = join(__dirname, '..', '..', '..');
const CONSOLE_SOURCE = join(ROOT, 'apps', 'console');
const CONSOLE_INDEX = join(ROOT, 'dist', 'console', 'index.html');
/** Screenshots of the pages the test walks through, to look at after a run. */
const SHOTS = process.env.CONSOLE_SCREENSHOTS ?? '/tmp';
const UI_TIMEOUT = 20_000;

const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(
    `console e2e skipped: ${CHROMIUM} is absent (apt-get install --no-install-recommends chromium)`,
  );
}

function newestChange(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(
    stat.mtimeMs,
    ...readdirSync(path).map((entry) => newestChange(join(path, entry))),
  );
}

/** Builds the console when dist/console is missing or older than its sources. */
function ensureConsoleBuilt(): void {
  const builtAt = existsSync(CONSOLE_INDEX) ? statSync(CONSOLE_INDEX).mtimeMs : 0;
  if (builtAt >= newestChange(CONSOLE_SOURCE)) return;
  execFileSync('npm', ['run', 'build:console'], { cwd: ROOT, stdio: 'pipe', timeout: 180_000 });
}

(hasChromium ? describe : describe.skip)('operator console in a browser', () => {
  let platform: TestPlatform;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const sink = new WebhookSink();
  const pageErrors: string[] = [];

  beforeAll(async () => {
    ensureConsoleBuilt();
    await sink.start();
    platform = await TestPlatform.start();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT);
    page.on('pageerror', (error) => pageErrors.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      // A refused sign-in logs "Failed to load resource: 401" by design; anything else is a bug.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
        pageErrors.push(`console error: ${message.text()}`);
      }
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
    await sink.stop();
  });

  it('signs in, shows the failed message and its attempts, and redelivers it once fixed', async () => {
    // A receiver that is down: every attempt fails, and the short schedule gives up quickly.
    sink.on('/orders', () => ({ status: 500, body: 'receiver down: database unavailable' }));
    const app = await platform.createApp('console-shop');
    const endpoint = await platform.request('POST', '/v1/endpoints', app.apiKey, {
      channel: 'webhook',
      url: sink.url('/orders'),
      retrySchedule: ['100ms', '200ms'],
      description: 'Order receiver',
    });
    expect(endpoint.status).toBe(201);
    const published = await platform.request('POST', '/v1/messages', app.apiKey, {
      eventType: 'order.paid',
      payload: { orderId: 42, amount: '19.90' },
      idempotencyKey: 'order-42',
    });
    expect(published.status).toBe(202);
    const messageId: string = published.body.id;
    await eventually(
      async () => {
        const { body } = await platform.request('GET', `/v1/messages/${messageId}`, app.apiKey);
        return body?.status === 'failed' ? body : undefined;
      },
      { what: 'the message to fail' },
    );

    // Sign in: a wrong key is refused, the app key is kept.
    await page.goto(`${platform.baseUrl}/console/`);
    await page.getByLabel('App key').fill('ak_not-a-real-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'does not know this key' }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'console-sign-in.png') });
    await page.getByLabel('App key').fill(app.apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();

    // The list shows the failed message, and the chart its three failed attempts.
    const row = page.locator(`tr[data-message-id="${messageId}"]`);
    await row.waitFor();
    expect(await row.locator('[data-status]').textContent()).toBe('failed');
    expect(await row.textContent()).toContain('order.paid');
    await page.locator('.legend-bad', { hasText: '3 failed' }).waitFor();
    await page.locator('.chart svg rect.chart-bad').first().waitFor();
    await page.screenshot({ path: join(SHOTS, 'console-messages.png'), fullPage: true });

    // Filters go to the API: nothing is delivered yet, and the failed one is found by status.
    await page.getByLabel('Status').selectOption('delivered');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('No message matches these filters.').waitFor();
    await page.getByLabel('Status').selectOption('failed');
    await page.getByRole('button', { name: 'Apply' }).click();
    await row.waitFor();
    expect(page.url()).toContain('status=failed');

    // The endpoint's health, and a recovery preview that counts the failed delivery.
    await page.getByRole('navigation').getByRole('link', { name: 'Endpoints' }).click();
    const card = page.locator(`[data-endpoint-id="${endpoint.body.id}"]`);
    await card.getByText('0/3 recent attempts').waitFor();
    await card.getByRole('button', { name: 'Recover failed…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Recover failed deliveries' });
    await dialog.getByRole('button', { name: 'Preview count' }).click();
    await dialog.getByText('1 failed delivery would be scheduled again.').waitFor();
    await page.screenshot({ path: join(SHOTS, 'console-endpoints.png'), fullPage: true });
    await dialog.getByRole('button', { name: 'Close' }).click();

    // The message page: one delivery, its three failed attempts with the receiver's answer.
    await page.getByRole('navigation').getByRole('link', { name: 'Messages' }).click();
    await row.getByRole('link', { name: messageId }).click();
    const attempts = page.getByRole('list', { name: 'Attempts' }).locator('li');
    await eventually(async () => ((await attempts.count()) === 3 ? true : undefined), {
      what: 'three attempts on the timeline',
    });
    expect(await attempts.evaluateAll((items) => items.map((i) => i.dataset.outcome))).toEqual([
      'failed',
      'failed',
      'failed',
    ]);
    const timeline = await page.getByRole('list', { name: 'Attempts' }).textContent();
    expect(timeline).toContain('HTTP 500');
    expect(timeline).toContain('receiver down: database unavailable');
    expect(await page.locator('h1 [data-status]').textContent()).toBe('failed');
    await page.screenshot({ path: join(SHOTS, 'console-message-failed.png'), fullPage: true });

    // The receiver is fixed; redeliver the message and watch it become delivered.
    sink.on('/orders', () => ({ status: 200, body: 'ok' }));
    await page.getByRole('button', { name: 'Redeliver message' }).click();
    await page.locator('h1 [data-status="delivered"]').waitFor();
    await eventually(async () => ((await attempts.count()) === 4 ? true : undefined), {
      what: 'the fourth attempt on the timeline',
    });
    expect(await attempts.last().getAttribute('data-outcome')).toBe('succeeded');
    expect(await attempts.last().textContent()).toContain('HTTP 200');
    await page.screenshot({ path: join(SHOTS, 'console-message-delivered.png'), fullPage: true });

    // One delivery redelivered on its own: a fifth attempt, delivered again.
    await page.getByRole('button', { name: 'Redeliver', exact: true }).click();
    await eventually(async () => ((await attempts.count()) === 5 ? true : undefined), {
      what: 'the fifth attempt on the timeline',
    });
    await page.locator('h1 [data-status="delivered"]').waitFor();

    const { body: message } = await platform.request(
      'GET',
      `/v1/messages/${messageId}`,
      app.apiKey,
    );
    expect(message.status).toBe('delivered');
    expect(sink.requestsTo('/orders')).toHaveLength(5);
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
