import { backoffDelay, sleep } from './backoff';

describe('backoffDelay', () => {
  const options = { initialDelayMs: 100, maxDelayMs: 1_000 };

  it('doubles per retry within [half, full] of the ceiling, capped', () => {
    expect(backoffDelay(1, options, () => 0)).toBe(50);
    expect(backoffDelay(1, options, () => 1)).toBe(100);
    expect(backoffDelay(3, options, () => 1)).toBe(400);
    expect(backoffDelay(10, options, () => 1)).toBe(1_000);
    expect(backoffDelay(10, options, () => 0)).toBe(500);
  });
});

describe('sleep', () => {
  it('ends early when a signal aborts', async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 10);
    await sleep(10_000, new AbortController().signal, controller.signal);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
