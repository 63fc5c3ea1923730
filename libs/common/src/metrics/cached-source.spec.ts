import { cachedSource } from './cached-source';

describe('cachedSource', () => {
  let clock = 0;
  let reads = 0;
  const now = () => clock;

  beforeEach(() => {
    clock = 0;
    reads = 0;
  });

  it('reads once per max age, however often it is asked', async () => {
    const source = cachedSource(() => Promise.resolve(++reads), 1000, now);
    expect(await source()).toBe(1);
    clock = 999;
    expect(await source()).toBe(1);
    clock = 1000;
    expect(await source()).toBe(2);
    expect(reads).toBe(2);
  });

  it('shares one read between calls made while it runs', async () => {
    let finish!: (value: number) => void;
    const source = cachedSource(
      () => {
        reads += 1;
        return new Promise<number>((resolve) => (finish = resolve));
      },
      1000,
      now,
    );
    const calls = [source(), source(), source()];
    finish(7);
    expect(await Promise.all(calls)).toEqual([7, 7, 7]);
    expect(reads).toBe(1);
  });

  it('does not keep a failed read', async () => {
    const source = cachedSource(
      () => (++reads === 1 ? Promise.reject(new Error('down')) : Promise.resolve(3)),
      1000,
      now,
    );
    await expect(source()).rejects.toThrow('down');
    expect(await source()).toBe(3);
  });
});
