import { MemoryDedupeStore } from './dedupe-store';

describe('MemoryDedupeStore', () => {
  it('tells a claim in progress from a finished one, each for its time to live', () => {
    let now = 0;
    const store = new MemoryDedupeStore({ now: () => now });
    expect(store.claim('msg_1', 1_000)).toBe('claimed');
    expect(store.claim('msg_1', 1_000)).toBe('in_progress');
    now = 999;
    expect(store.claim('msg_1', 1_000)).toBe('in_progress');
    now = 1_000; // the claim ran out (its handler died): the id can be handled again
    expect(store.claim('msg_1', 1_000)).toBe('claimed');
    store.complete('msg_1', 5_000);
    now = 5_999;
    expect(store.claim('msg_1', 1_000)).toBe('done');
    now = 6_000;
    expect(store.claim('msg_1', 1_000)).toBe('claimed');
  });

  it('forgets a released id', () => {
    const store = new MemoryDedupeStore();
    store.claim('msg_1', 60_000);
    store.release('msg_1');
    expect(store.claim('msg_1', 60_000)).toBe('claimed');
  });

  it('keeps at most maxEntries, dropping the oldest', () => {
    const store = new MemoryDedupeStore({ maxEntries: 2 });
    store.claim('a', 60_000);
    store.claim('b', 60_000);
    store.complete('b', 60_000);
    store.claim('c', 60_000);
    expect(store.size).toBe(2);
    expect(store.claim('b', 60_000)).toBe('done');
    expect(store.claim('a', 60_000)).toBe('claimed');
  });
});
