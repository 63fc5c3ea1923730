import { KnownCredentials } from './known-credentials';

const APP = { kind: 'app', appId: 'app_1' } as const;

describe('KnownCredentials', () => {
  it('recalls a credential checked valid, until its maximum age', () => {
    const known = new KnownCredentials(60_000);
    known.remember('h1', APP, 1_000);
    expect(known.recall('h1', 1_000)).toEqual(APP);
    expect(known.recall('h1', 60_999)).toEqual(APP);
    expect(known.recall('h1', 61_000)).toBeUndefined();
    expect(known.recall('h2', 1_000)).toBeUndefined();
  });

  it('does not recall a previous key past the end of its grace period', () => {
    const known = new KnownCredentials(60_000);
    known.remember('old', APP, 1_000, new Date(5_000));
    expect(known.recall('old', 4_999)).toEqual(APP);
    expect(known.recall('old', 5_000)).toBeUndefined();
  });

  it('forgets a credential found invalid at its next check', () => {
    const known = new KnownCredentials();
    known.remember('h1', APP, 0);
    known.forget('h1');
    expect(known.recall('h1', 1)).toBeUndefined();
  });

  it('keeps at most 10,000, forgetting the least recently checked first', () => {
    const known = new KnownCredentials();
    for (let i = 0; i <= 10_000; i++) known.remember(`h${i}`, APP, 0);
    expect(known.recall('h0', 1)).toBeUndefined();
    expect(known.recall('h1', 1)).toEqual(APP);
    expect(known.recall('h10000', 1)).toEqual(APP);
  });
});
