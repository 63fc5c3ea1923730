import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { eventually } from '../../support/eventually';
import { TestPlatform } from '../../support/platform';
import { WebhookSink } from '../../support/webhook-sink';

/**
 * The operator console in a real headless browser (Debian's chromium, driven by playwright-core)
 * against the real platform: sign in, find the failed message, read its attempts, fix the
 * receiver, redeliver, watch it become delivered; the event catalog with its subscribers and a
 * payload validated; an ordered endpoint's key held by a failed delivery, then skipped.
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
    page = await newPage();
  }, 180_000);

  /** A page of its own (a new context: its own sessionStorage, so its own app key). */
  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const opened = await context.newPage();
    opened.setDefaultTimeout(UI_TIMEOUT);
    opened.on('pageerror', (error) => pageErrors.push(`page error: ${error.message}`));
    opened.on('console', (message) => {
      // A refused sign-in logs "Failed to load resource: 401" by design; anything else is a bug.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
        pageErrors.push(`console error: ${message.text()}`);
      }
    });
    return opened;
  }

  async function signedIn(apiKey: string): Promise<Page> {
    const opened = await newPage();
    await opened.goto(`${platform.baseUrl}/console/`);
    await opened.getByLabel('App key').fill(apiKey);
    await opened.getByRole('button', { name: 'Sign in' }).click();
    await opened.getByRole('navigation').waitFor();
    return opened;
  }

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
  it('lists the event types with their schema, examples and subscribers, and validates a payload', async () => {
    const app = await platform.createApp('console-catalog');
    const put = (name: string, body: object) =>
      platform.request('PUT', `/v1/event-types/${name}`, app.apiKey, body);
    expect(
      (
        await put('order.paid', {
          description: 'A customer paid an order',
          schema: {
            type: 'object',
            required: ['orderId', 'amount'],
            properties: {
              orderId: { type: 'integer' },
              amount: { type: 'string', pattern: '^[0-9]+\\.[0-9]{2}$' },
            },
          },
          examples: [{ orderId: 42, amount: '19.90' }],
        })
      ).status,
    ).toBe(201);
    expect((await put('order.refunded', { deprecated: true })).status).toBe(201);
    const endpoint = async (path: string, eventTypes: string[], enabled = true) => {
      const { status, body } = await platform.request('POST', '/v1/endpoints', app.apiKey, {
        channel: 'webhook',
        url: sink.url(path),
        eventTypes,
        enabled,
      });
      expect(status).toBe(201);
      return body.id as string;
    };
    const allOrders = await endpoint('/all-orders', ['order.*']);
    const paidOnly = await endpoint('/paid', ['order.paid']);
    const everything = await endpoint('/everything', ['*'], false);
    await endpoint('/invoices', ['invoice.sent']); // subscribes to neither

    const catalog = await signedIn(app.apiKey);
    await catalog.getByRole('navigation').getByRole('link', { name: 'Event types' }).click();
    expect(catalog.url()).toMatch(/\/console\/event-types$/);
    const paid = catalog.locator('[data-event-type="order.paid"]');
    const refunded = catalog.locator('[data-event-type="order.refunded"]');
    await paid.getByText('A customer paid an order').waitFor();
    expect(await paid.locator('.badge').allTextContents()).not.toContain('deprecated');
    expect(await refunded.locator('.badge').allTextContents()).toContain('deprecated');
    expect(await refunded.getByText('No schema: any payload object is accepted.').count()).toBe(1);

    // The schema, pretty-printed and collapsed until asked for; the example too.
    const schema = paid.getByLabel('Schema of order.paid');
    expect(await schema.isVisible()).toBe(false);
    await paid.getByText('Schema', { exact: true }).click();
    expect(JSON.parse((await schema.textContent())!)).toMatchObject({
      required: ['orderId', 'amount'],
    });
    expect(await schema.textContent()).toContain('\n  "type": "object"');
    await paid.getByText('1 example').click();
    expect(await paid.locator('pre').last().textContent()).toContain('"amount": "19.90"');

    // Subscribers, by the platform's matching rule: the disabled one is flagged, invoices absent.
    const subscribers = async (card: typeof paid) =>
      card.locator('[data-endpoint-id]').evaluateAll((items) =>
        items.map((item) => ({
          id: item.dataset.endpointId,
          text: item.textContent,
        })),
      );
    await paid.locator('[data-endpoint-id]').first().waitFor();
    const ofPaid = new Map((await subscribers(paid)).map((s) => [s.id, s.text]));
    expect([...ofPaid.keys()].sort()).toEqual([allOrders, paidOnly, everything].sort());
    expect(ofPaid.get(allOrders)).toContain('order.*');
    expect(ofPaid.get(paidOnly)).toContain('order.paid');
    expect(ofPaid.get(everything)).toContain('disabled');
    expect(ofPaid.get(allOrders)).not.toContain('disabled');
    expect((await subscribers(refunded)).map((s) => s.id).sort()).toEqual(
      [allOrders, everything].sort(),
    );
    await catalog.screenshot({ path: join(SHOTS, 'console-event-types.png'), fullPage: true });

    // Validate: the example passes; a bad payload shows each failure's pointer and keyword.
    await paid.getByRole('button', { name: 'Validate a payload…' }).click();
    const dialog = catalog.getByRole('dialog', { name: 'Validate a payload of order.paid' });
    await dialog.getByRole('button', { name: 'Validate' }).click();
    await dialog.getByText('Valid: this payload would be accepted.').waitFor();
    await dialog.getByLabel('Payload (JSON object)').fill('{ "orderId": "42", "amount": "19.9" }');
    await dialog.getByRole('button', { name: 'Validate' }).click();
    const failures = dialog.getByRole('table', { name: 'Schema failures' });
    await failures.waitFor();
    const rows = await failures
      .locator('tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)),
      );
    expect(rows).toEqual(
      expect.arrayContaining([
        ['/orderId', 'type', expect.any(String)],
        ['/amount', 'pattern', expect.any(String)],
      ]),
    );
    await catalog.screenshot({ path: join(SHOTS, 'console-event-type-validate.png') });
    await dialog.getByLabel('Payload (JSON object)').fill('{ "orderId": ');
    await dialog.getByRole('button', { name: 'Validate' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'Not JSON' }).waitFor();
    // Nothing was published by validating.
    const { body: messages } = await platform.request('GET', '/v1/messages', app.apiKey);
    expect(messages.data).toEqual([]);
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it('follows the event types cursor', async () => {
    const app = await platform.createApp('console-catalog-pages');
    const names = Array.from({ length: 51 }, (_, i) => `batch.n${String(i).padStart(2, '0')}`);
    for (const name of names) {
      const { status } = await platform.request('PUT', `/v1/event-types/${name}`, app.apiKey, {});
      expect(status).toBe(201);
    }
    const catalog = await signedIn(app.apiKey);
    await catalog.getByRole('navigation').getByRole('link', { name: 'Event types' }).click();
    const cards = catalog.locator('[data-event-type]');
    await eventually(async () => ((await cards.count()) === 50 ? true : undefined), {
      what: 'the first 50 event types',
    });
    await catalog.getByRole('button', { name: 'More event types' }).click();
    await eventually(async () => ((await cards.count()) === 51 ? true : undefined), {
      what: 'the 51st event type',
    });
    expect((await cards.evaluateAll((all) => all.map((c) => c.dataset.eventType))).sort()).toEqual(
      names,
    );
    expect(await catalog.getByRole('button', { name: 'More event types' }).count()).toBe(0);
  }, 120_000);

  it('shows the keys a failed delivery holds on an ordered endpoint, and skips one', async () => {
    // The receiver refuses message 1 of the key; everything else goes through. The key has a
    // slash, as keys made of ids often do: it must survive the skip's path.
    sink.on('/ledger', (request) =>
      JSON.parse(request.body).data.step === 1
        ? { status: 500, body: 'ledger rejects step 1' }
        : { status: 200, body: 'ok' },
    );
    const app = await platform.createApp('console-ordering');
    const { status, body: ordered } = await platform.request('POST', '/v1/endpoints', app.apiKey, {
      channel: 'webhook',
      url: sink.url('/ledger'),
      retrySchedule: ['50ms'],
      ordered: true,
      orderedBlockOnFailure: true,
    });
    expect(status).toBe(201);
    const { body: plain } = await platform.request('POST', '/v1/endpoints', app.apiKey, {
      channel: 'webhook',
      url: sink.url('/plain'),
      eventTypes: ['audit.*'],
    });
    const publish = async (step: number) => {
      const { status: code, body } = await platform.request('POST', '/v1/messages', app.apiKey, {
        eventType: 'ledger.entry',
        payload: { step },
        orderingKey: 'customer/7',
        endpointIds: [ordered.id],
      });
      expect(code).toBe(202);
      return body.id as string;
    };
    const first = await publish(1);
    const second = await publish(2);
    const keysPath = `/v1/endpoints/${ordered.id}/ordering-keys?blocked=true`;
    await eventually(
      async () => {
        const { body } = await platform.request('GET', keysPath, app.apiKey);
        return body.data?.[0]?.blocked ? true : undefined;
      },
      { what: 'the key to be held by the failed delivery' },
    );
    // Held: the second message waits, not attempted.
    expect(sink.requestsTo('/ledger')).toHaveLength(2);

    const operator = await signedIn(app.apiKey);
    // The waiting message's page says why its delivery is not attempted.
    await operator.goto(`${platform.baseUrl}/console/messages/${second}`);
    const held = operator.locator('section.delivery');
    await held.locator('[data-status="held"]').waitFor();
    await held.getByText('Held: this endpoint is ordered').waitFor();
    expect(await held.locator('.facts').textContent()).toContain('Sequence2');
    expect(await operator.locator('.facts').first().textContent()).toContain(
      'Ordering keycustomer/7',
    );
    await operator.getByRole('navigation').getByRole('link', { name: 'Endpoints' }).click();
    const card = operator.locator(`[data-endpoint-id="${ordered.id}"]`);
    await card.getByText('Ordering: per key; a failed delivery holds its key').waitFor();
    const row = card.locator('tr[data-ordering-key="customer/7"]');
    await row.waitFor();
    const cells = await row.locator('td').allTextContents();
    expect(cells[0]).toBe('customer/7');
    expect(cells[1]).toBe(`sequence 1, ${first}`);
    expect(cells[2]).toBe('1');
    expect(cells[4]).toContain('500');
    const plainCard = operator.locator(`[data-endpoint-id="${plain.id}"]`);
    await plainCard.getByText('Ordering: none').waitFor();
    expect(await plainCard.getByText('Blocked ordering keys').count()).toBe(0);
    await operator.screenshot({
      path: join(SHOTS, 'console-endpoints-blocked.png'),
      fullPage: true,
    });

    // Skip asks first; Cancel changes nothing.
    await row.getByRole('button', { name: 'Skip…' }).click();
    const dialog = operator.getByRole('dialog', { name: 'Skip a blocked key' });
    await dialog.getByText('webhook-sequence').waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(await dialog.count()).toBe(0);
    expect((await platform.request('GET', keysPath, app.apiKey)).body.data).toHaveLength(1);

    await row.getByRole('button', { name: 'Skip…' }).click();
    await dialog.getByRole('button', { name: 'Skip key' }).click();
    await operator.getByRole('status').filter({ hasText: 'Key customer/7 released' }).waitFor();
    await card.getByText('No key is held: every key proceeds.').waitFor();
    expect(await row.count()).toBe(0);

    // Released: the second message is delivered with its sequence; the first stays failed.
    const delivered = await eventually(
      async () => {
        const { body } = await platform.request('GET', `/v1/messages/${second}`, app.apiKey);
        return body.status === 'delivered' ? body : undefined;
      },
      { what: 'the second message to be delivered once the key is skipped' },
    );
    expect(delivered.deliveries[0].sequence).toBe(2);
    const last = sink.requestsTo('/ledger').at(-1)!;
    expect(last.headers['webhook-ordering-key']).toBe('customer/7');
    expect(last.headers['webhook-sequence']).toBe('2');
    expect((await platform.request('GET', `/v1/messages/${first}`, app.apiKey)).body.status).toBe(
      'failed',
    );
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
