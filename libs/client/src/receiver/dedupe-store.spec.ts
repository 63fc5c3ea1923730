import { MemoryDedupeStore } from './dedupe-store';

describe('MemoryDedupeStore', () => {
  it('claims an id once within its time to live, again after it', () => {
    let now = 0;
    const store = new MemoryDedupeStore({ now: () => now });
    expect(store.claim('msg_1', 1_000)).toBe(true);
    expect(store.claim('msg_1', 1_000)).toBe(false);
    now = 999;
    expect(store.claim('msg_1', 1_000)).toBe(false);
    now = 1_000;
    expect(store.claim('msg_1', 1_000)).toBe(true);
  });

  it('forgets a released id', () => {
    const store = new MemoryDedupeStore();
    store.claim('msg_1', 60_000);
    store.release('msg_1');
    expect(store.claim('msg_1', 60_000)).toBe(true);
  });

  it('keeps at most maxEntries, dropping the oldest', () => {
    const store = new MemoryDedupeStore({ maxEntries: 2 });
    store.claim('a', 60_000);
    store.claim('b', 60_000);
    store.claim('c', 60_000);
    expect(store.size).toBe(2);
    expect(store.claim('b', 60_000)).toBe(false);
    expect(store.claim('a', 60_000)).toBe(true);
  });
});
