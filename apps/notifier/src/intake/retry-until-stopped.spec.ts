import { retryUntilStopped } from './retry-until-stopped';

describe('retryUntilStopped', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  /** Runs the timers until `promise` settles; returns its value. */
  async function settle<T>(promise: Promise<T>): Promise<T> {
    let done = false;
    void promise.finally(() => (done = true)).catch(() => undefined);
    while (!done) await jest.advanceTimersToNextTimerAsync();
    return promise;
  }

  it('tries again after 250 ms, doubling each wait up to 10 s, until the attempt succeeds', async () => {
    const waits: number[] = [];
    let tries = 0;
    const result = await settle(
      retryUntilStopped(
        () => {
          tries += 1;
          return tries < 8
            ? Promise.reject(new Error('MongoDB is down'))
            : Promise.resolve('stored');
        },
        (_error, backoffMs) => waits.push(backoffMs),
        () => false,
      ),
    );
    expect(result).toBe('stored');
    expect(waits).toEqual([250, 500, 1_000, 2_000, 4_000, 8_000, 10_000]);
  });

  it('gives up with undefined once stopped during a wait', async () => {
    let stopped = false;
    let tries = 0;
    const result = await settle(
      retryUntilStopped(
        () => {
          tries += 1;
          return Promise.reject(new Error('MongoDB is down'));
        },
        () => (stopped = true),
        () => stopped,
      ),
    );
    expect(result).toBeUndefined();
    expect(tries).toBe(1);
  });

  it('gives up at once when told of an error it must not retry', async () => {
    const refusal = new Error('the batch cannot be stored');
    await expect(
      retryUntilStopped(
        () => Promise.reject(refusal),
        (error) => {
          throw error;
        },
        () => false,
      ),
    ).rejects.toBe(refusal);
  });
});
