import {
  CHANGE_LEASE_MS,
  ChangeFollower,
  EXPIRE_AFTER_MS,
  type WatchChanges,
} from './change-follower';

/**
 * A stream the test drives: each open is recorded with its listener. Asked whether it has read
 * the log's end, it answers what the test queued, once the test says so.
 */
function streams() {
  const opened: Parameters<WatchChanges<string>>[0][] = [];
  const answers: ((caughtUp: boolean) => void)[] = [];
  const watch: WatchChanges<string> = (listener) => {
    opened.push(listener);
    return {
      close: () => Promise.resolve(),
      caughtUp: () => new Promise<boolean>((resolve) => answers.push(resolve)),
    };
  };
  const answer = (caughtUp: boolean) => {
    const resolve = answers.shift();
    if (resolve === undefined) throw new Error('the tail was not asked');
    resolve(caughtUp);
  };
  return { opened, watch, last: () => opened.at(-1)!, answer, asked: () => answers.length };
}

/** A follower whose cache only counts its expiries. */
function countingExpiries(watch: WatchChanges<string>) {
  const expiries = { count: 0 };
  const follower = new ChangeFollower(watch, {
    changed: () => undefined,
    lost: () => undefined,
    expired: () => expiries.count++,
  });
  return { follower, expiries };
}

describe('ChangeFollower', () => {
  afterEach(() => jest.useRealTimers());

  it('lets a read be kept only if the stream was open throughout and nothing changed', () => {
    const { watch, last } = streams();
    const changed: string[] = [];
    const follower = new ChangeFollower(watch, {
      changed: (change) => changed.push(change),
      lost: () => undefined,
      expired: () => undefined,
    });
    follower.start();

    const beforeOpen = follower.mark();
    last().ready();
    // Begun before the stream opened: a change before that is never reported.
    expect(follower.mayKeep(beforeOpen)).toBe(false);

    const quiet = follower.mark();
    expect(follower.mayKeep(quiet)).toBe(true);
    last().changed('ep_1');
    expect(changed).toEqual(['ep_1']);
    expect(follower.mayKeep(quiet)).toBe(false);
    expect(follower.mayKeep(follower.mark())).toBe(true);
  });

  it('finds nothing changed since a mark only if the tail has read the log to its end and reported nothing meanwhile', async () => {
    const { watch, last, answer } = streams();
    const follower = new ChangeFollower(watch, {
      changed: () => undefined,
      lost: () => undefined,
      expired: () => undefined,
    });
    follower.start();
    last().ready();

    const ask = async (mark: number, caughtUp: boolean, meanwhile = () => {}) => {
      const asked = follower.unchangedSince(mark);
      meanwhile();
      answer(caughtUp);
      return asked;
    };
    expect(await ask(follower.mark(), true)).toBe(true);
    // An entry the tail has not read yet may be a change.
    expect(await ask(follower.mark(), false)).toBe(false);
    // A change reported after the mark, before the question or while it is asked.
    const before = follower.mark();
    last().changed('ep_1');
    expect(await ask(before, true)).toBe(false);
    expect(await ask(follower.mark(), true, () => last().changed('ep_2'))).toBe(false);
    // The tail failed while the question was asked: what it would have reported is not known.
    expect(await ask(follower.mark(), true, () => last().failed(new Error('closed')))).toBe(false);
  });

  it('finds nothing unchanged before the tail has opened', async () => {
    const { watch } = streams();
    const follower = new ChangeFollower(watch, {
      changed: () => undefined,
      lost: () => undefined,
      expired: () => undefined,
    });
    expect(await follower.unchangedSince(follower.mark())).toBe(false);
  });

  it('keeps nothing once the stream failed, and opens it again after 1 s, doubling up to 60 s', () => {
    jest.useFakeTimers();
    const { opened, watch, last } = streams();
    const lost: unknown[] = [];
    const follower = new ChangeFollower(watch, {
      changed: () => undefined,
      lost: (error) => lost.push(error),
      expired: () => undefined,
    });
    follower.start();
    last().ready();
    const mark = follower.mark();

    const delays: number[] = [];
    for (let failures = 0; failures < 8; failures++) {
      const before = opened.length;
      last().failed(new Error('stream closed'));
      expect(follower.following).toBe(false);
      let waited = 0;
      while (opened.length === before) {
        jest.advanceTimersByTime(1_000);
        waited += 1_000;
      }
      delays.push(waited);
    }
    expect(lost).toHaveLength(8);
    expect(follower.mayKeep(mark)).toBe(false);
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000]);

    // Open again: the wait starts from 1 s at the next failure.
    last().ready();
    expect(follower.following).toBe(true);
    const before = opened.length;
    last().failed(new Error('stream closed'));
    jest.advanceTimersByTime(1_000);
    expect(opened.length).toBe(before + 1);
  });

  it('opens nothing more once stopped, and expires nothing more', async () => {
    jest.useFakeTimers();
    const { opened, watch, last } = streams();
    const { follower, expiries } = countingExpiries(watch);
    follower.start();
    last().failed(new Error('stream closed'));
    await follower.stop();
    jest.advanceTimersByTime(2 * EXPIRE_AFTER_MS);
    expect(opened).toHaveLength(1);
    expect(expiries.count).toBe(0);
  });

  it('expires what the cache holds every EXPIRE_AFTER_MS, with or without changes', () => {
    jest.useFakeTimers();
    const { watch, last } = streams();
    const { follower, expiries } = countingExpiries(watch);
    follower.start();
    last().ready();
    // A read that was under way at an expiry may return what a change nobody recorded replaced.
    const mark = follower.mark();
    jest.advanceTimersByTime(EXPIRE_AFTER_MS - 1);
    expect(expiries.count).toBe(0);
    expect(follower.mayKeep(mark)).toBe(true);
    jest.advanceTimersByTime(1);
    expect(expiries.count).toBe(1);
    expect(follower.mayKeep(mark)).toBe(false);
    expect(follower.mayKeep(follower.mark())).toBe(true);
    // Opened again after a failure, it still expires on the same clock, once.
    last().failed(new Error('tail ended'));
    jest.advanceTimersByTime(1_000);
    last().ready();
    jest.advanceTimersByTime(EXPIRE_AFTER_MS - 1_000);
    expect(expiries.count).toBe(2);
  });

  describe('the lease (unchangedWithinLease)', () => {
    /** A follower whose tail is open, on a clock the test moves. */
    const openFollower = () => {
      jest.useFakeTimers();
      const tail = streams();
      const follower = new ChangeFollower(tail.watch, {
        changed: () => undefined,
        lost: () => undefined,
        expired: () => undefined,
      });
      follower.start();
      tail.last().ready();
      /** A read of the log's end, answered at once. */
      const readEnd = async (caughtUp: boolean) => {
        const asked = follower.unchangedSince(follower.mark());
        tail.answer(caughtUp);
        await asked;
      };
      return { follower, readEnd, ...tail };
    };

    it('vouches for what is held until CHANGE_LEASE_MS after a read that found the tail caught up began', async () => {
      const { follower, answer } = openFollower();
      expect(follower.unchangedWithinLease()).toBe(false);

      const asked = follower.unchangedSince(follower.mark());
      // The answer comes late: the lease runs from when the read began, not from its answer.
      jest.advanceTimersByTime(CHANGE_LEASE_MS - 10);
      answer(true);
      await asked;
      expect(follower.unchangedWithinLease()).toBe(true);
      jest.advanceTimersByTime(9);
      expect(follower.unchangedWithinLease()).toBe(true);
      jest.advanceTimersByTime(1);
      expect(follower.unchangedWithinLease()).toBe(false);
    });

    it('vouches for nothing after a read that found entries the tail has not read', async () => {
      const { follower, readEnd } = openFollower();
      await readEnd(false);
      expect(follower.unchangedWithinLease()).toBe(false);
    });

    it('vouches for nothing once the tail failed, even if a read under way then finds it caught up', async () => {
      const { follower, readEnd, answer, last } = openFollower();
      await readEnd(true);
      last().failed(new Error('tail ended'));
      expect(follower.unchangedWithinLease()).toBe(false);

      jest.advanceTimersByTime(1_000);
      last().ready();
      const spanning = follower.unchangedSince(follower.mark());
      last().failed(new Error('tail ended'));
      jest.advanceTimersByTime(2_000);
      last().ready();
      answer(true);
      await spanning;
      expect(follower.unchangedWithinLease()).toBe(false);
    });

    it('reads the log again once half the lease has passed, so a busy intake keeps it', async () => {
      const { follower, readEnd, answer, asked } = openFollower();
      await readEnd(true);
      jest.advanceTimersByTime(CHANGE_LEASE_MS / 2 - 1);
      expect(follower.unchangedWithinLease()).toBe(true);
      expect(asked()).toBe(0);

      jest.advanceTimersByTime(1);
      expect(follower.unchangedWithinLease()).toBe(true);
      expect(follower.unchangedWithinLease()).toBe(true);
      // One read under way at a time.
      expect(asked()).toBe(1);
      answer(true);
      await Promise.resolve();
      await Promise.resolve();
      jest.advanceTimersByTime(CHANGE_LEASE_MS - 1);
      expect(follower.unchangedWithinLease()).toBe(true);
    });
  });
});
