import { LEASE_MARGIN_MS } from '@app/config';
import { INITIAL_ENDPOINT_LIMIT } from './endpoint-limits';
import { SlotAccountant } from './slot-accountant';

const config = { deliveryConcurrency: 100, endpointConcurrency: 10, leaseMs: 90_000 };

/** Takes as many slots as the accountant allows for the app, spread over `endpoints`. */
function fill(slots: SlotAccountant, appId: string, endpoints: number): number {
  let taken = 0;
  for (let round = 0; round < 1_000; round++) {
    const endpointId = `${appId}_ep_${round % endpoints}`;
    if (slots.tryTake(appId, endpointId)) taken += 1;
  }
  return taken;
}

/** An attempt that started at `startedAt` and took `durationMs`. */
function answered(startedAt: number, durationMs: number) {
  return { startedAt, durationMs, timeoutMs: 30_000, answered: true };
}

function hung(startedAt: number) {
  return { startedAt, durationMs: 30_000, timeoutMs: 30_000, answered: false };
}

describe('SlotAccountant: apps', () => {
  it('lets one app use everything but the reserve while nobody else waits (work-conserving)', () => {
    const slots = new SlotAccountant(config);
    expect(fill(slots, 'a', 100)).toBe(100 - slots.reserve);
    expect(slots.reserve).toBe(10);
    expect(slots.roomForApp('a')).toBe(0);
  });

  it('keeps the reserve for an app holding none, even while another holds all the rest', () => {
    const slots = new SlotAccountant(config);
    fill(slots, 'a', 100);
    expect(slots.tryTake('b', 'b_ep')).toBe(true);
    // The scheduler's small claim beside a large one is for apps holding less than that share.
    expect(slots.appsHoldingMore()).toEqual(['a']);
    // A newcomer may take a quarter of the reserve; the rest stays for the next one.
    expect(fill(slots, 'b', 1)).toBe(1);
    expect(slots.heldBy('b')).toBe(2);
    expect(fill(slots, 'c', 5)).toBe(2);
    expect(slots.roomForApp('a')).toBe(0);
  });

  it('caps every app at its fair part while others wait, and lets the others grow as slots free', () => {
    const slots = new SlotAccountant(config);
    fill(slots, 'a', 100);
    slots.setWaiting(['a', 'b']);
    fill(slots, 'b', 100);
    // A's attempts end one by one: over its fair part (45 = 90 / 2) A may not take them again
    // while B waits; B may, up to its own.
    for (let i = 0; i < 60; i++) {
      slots.giveBack('a', `a_ep_${i}`);
      const underItsPart = slots.heldBy('a') < 45;
      expect(slots.tryTake('a', `a_ep_${i}`)).toBe(underItsPart);
      slots.tryTake('b', `b_ep_${i}`);
    }
    expect(slots.heldBy('a')).toBe(45);
    expect(slots.heldBy('b')).toBe(45);
    expect(slots.roomForApp('b')).toBe(0);
    // B is done and nobody else waits any more: A may use all but the reserve again.
    slots.setWaiting([]);
    for (let i = 0; i < 45; i++) slots.giveBack('b', `b_ep_${i}`);
    expect(slots.roomForApp('a')).toBe(100 - 45 - slots.reserve);
  });

  it('while throttled, admits only apps holding almost nothing', () => {
    const slots = new SlotAccountant(config);
    fill(slots, 'a', 100);
    slots.giveBack('a', 'a_ep_0');
    slots.giveBack('a', 'a_ep_1');
    slots.throttle(true);
    expect(slots.roomForApp('a')).toBe(0);
    expect(slots.roomForApp('b')).toBe(2);
    slots.throttle(false);
    expect(slots.roomForApp('a')).toBe(2);
  });

  it('counts slots back to zero', () => {
    const slots = new SlotAccountant(config);
    expect(slots.tryTake('a', 'ep')).toBe(true);
    expect(slots.tryTake('b', 'ep')).toBe(true);
    slots.giveBack('a', 'ep');
    slots.giveBack('b', 'ep');
    expect(slots.total).toBe(0);
    expect(slots.heldAt('ep')).toBe(0);
    expect(slots.heldEndpoints()).toEqual([]);
    expect(slots.appsWithoutRoom()).toEqual([]);
  });
});

describe('SlotAccountant: endpoints (AIMD)', () => {
  it('starts an endpoint low, so 40 hanging endpoints hold few slots', () => {
    const slots = new SlotAccountant({ ...config, deliveryConcurrency: 1_000 });
    expect(fill(slots, 'a', 40)).toBe(40 * INITIAL_ENDPOINT_LIMIT);
  });

  it('lets an endpoint that answers climb quickly to ENDPOINT_CONCURRENCY', () => {
    const slots = new SlotAccountant(config);
    let now = 0;
    const rounds: number[] = [];
    while (slots.limitFor('ep') < 10) {
      const limit = slots.limitFor('ep');
      rounds.push(limit);
      slots.startAttempts('ep', limit);
      for (let i = 0; i < limit; i++) slots.attemptEnded('ep', answered(now, 5));
      now += 5;
    }
    // Doubling each round until the first slowdown.
    expect(rounds).toEqual([2, 4, 8]);
    expect(slots.runRoom('ep')).toBe(10);
  });

  it('halves on timeouts, once per round, down to 1; then earns it back one per round', () => {
    const slots = new SlotAccountant(config);
    for (let i = 0; i < 20; i++) slots.attemptEnded('ep', answered(i, 5));
    expect(slots.limitFor('ep')).toBe(10);
    // Ten attempts started together all time out: one halving, not ten.
    for (let i = 0; i < 10; i++) slots.attemptEnded('ep', hung(100));
    expect(slots.limitFor('ep')).toBe(5);
    // The next round times out as well.
    for (let i = 0; i < 5; i++) slots.attemptEnded('ep', hung(40_000));
    expect(slots.limitFor('ep')).toBe(2);
    for (let i = 0; i < 2; i++) slots.attemptEnded('ep', hung(80_000));
    for (let i = 0; i < 1; i++) slots.attemptEnded('ep', hung(120_000));
    expect(slots.limitFor('ep')).toBe(1);
    // Recovered: additive increase now, one per round's worth of answers.
    slots.attemptEnded('ep', answered(200_000, 5));
    expect(slots.limitFor('ep')).toBe(2);
    slots.attemptEnded('ep', answered(200_010, 5));
    expect(slots.limitFor('ep')).toBe(2);
    slots.attemptEnded('ep', answered(200_020, 5));
    expect(slots.limitFor('ep')).toBe(3);
  });

  it('halves when an endpoint slows down, not on an answer at its usual pace', () => {
    const slots = new SlotAccountant(config);
    for (let i = 0; i < 20; i++) slots.attemptEnded('ep', answered(i * 10, 50));
    expect(slots.limitFor('ep')).toBe(10);
    slots.attemptEnded('ep', answered(1_000, 200));
    expect(slots.limitFor('ep')).toBe(10);
    slots.attemptEnded('ep', answered(2_000, 5_000));
    expect(slots.limitFor('ep')).toBe(5);
  });

  it('halves when the endpoint answers 429 or 503, once per round, and climbs back on answers', () => {
    const slots = new SlotAccountant(config);
    for (let i = 0; i < 20; i++) slots.attemptEnded('ep', answered(i, 5));
    expect(slots.limitFor('ep')).toBe(10);
    // A round of ten started together, all told "too many requests": one halving, not ten.
    for (let i = 0; i < 10; i++)
      slots.attemptEnded('ep', { ...answered(100, 5), overloaded: true });
    expect(slots.limitFor('ep')).toBe(5);
    for (let i = 0; i < 5; i++) slots.attemptEnded('ep', { ...answered(200, 5), overloaded: true });
    expect(slots.limitFor('ep')).toBe(2);
    slots.attemptEnded('ep', answered(300, 5));
    slots.attemptEnded('ep', answered(300, 5));
    expect(slots.limitFor('ep')).toBe(3);
  });

  it('leaves the limit alone for a fast failure, and for an attempt the gate did not make', () => {
    const slots = new SlotAccountant(config);
    slots.startAttempts('ep', 2);
    slots.attemptEnded('ep', { startedAt: 0, durationMs: 3, timeoutMs: 30_000, answered: false });
    slots.attemptEnded('ep');
    expect(slots.limitFor('ep')).toBe(INITIAL_ENDPOINT_LIMIT);
    expect(slots.runningAt('ep')).toBe(0);
  });

  it('lets a fast endpoint hold a few rounds beyond its limit, a hanging one none', () => {
    const slots = new SlotAccountant(config);
    slots.noteTimeout('fast', 10_000);
    for (let i = 0; i < 20; i++) slots.attemptEnded('fast', answered(i, 5));
    expect(slots.allowanceFor('fast')).toBeGreaterThan(10);
    slots.noteTimeout('hanging', 30_000);
    expect(slots.allowanceFor('hanging')).toBe(INITIAL_ENDPOINT_LIMIT);
    for (let i = 0; i < 3; i++) slots.take('a', 'hanging');
    expect(slots.roomForEndpoint('hanging')).toBe(0);
    expect(slots.tryTake('a', 'hanging')).toBe(false);
  });

  it('lets about a second of a fast endpoint wait, whatever its timeout, if a hung round fits the lease', () => {
    const slots = new SlotAccountant(config);
    slots.noteTimeout('ep', 30_000);
    for (let i = 0; i < 20; i++) slots.attemptEnded('ep', answered(i, 5));
    expect(slots.limitFor('ep')).toBe(10);
    // 5 ms a round: 200 rounds of 10 in a second, besides the one running.
    expect(slots.allowanceFor('ep')).toBe(10 * (1 + 200));
    // A 45 s timeout under a 90 s lease: after one round hung, the rest would start too late.
    slots.noteTimeout('ep', 45_000);
    expect(slots.allowanceFor('ep')).toBe(10);
  });

  it('lets nothing wait for a fast endpoint once one of its attempts timed out', () => {
    const slots = new SlotAccountant(config);
    slots.noteTimeout('ep', 30_000);
    for (let i = 0; i < 20; i++) slots.attemptEnded('ep', answered(i, 5));
    slots.attemptEnded('ep', hung(100));
    expect(slots.limitFor('ep')).toBe(5);
    expect(slots.allowanceFor('ep')).toBe(5);
    // Answered again at its usual pace, it earns the wait back.
    for (let i = 0; i < 40; i++) slots.attemptEnded('ep', answered(40_000 + i, 5));
    expect(slots.allowanceFor('ep')).toBeGreaterThan(5 * 10);
  });
});

describe('SlotAccountant: attempts inside their lease', () => {
  const now = new Date(1_000_000);
  const inMs = (ms: number) => new Date(now.getTime() + ms);

  it('cuts an attempt timeout to the lease minus LEASE_MARGIN_MS', () => {
    const slots = new SlotAccountant({ ...config, leaseMs: 15_000 });
    expect(slots.attemptTimeoutMs(60_000)).toBe(15_000 - LEASE_MARGIN_MS);
    expect(slots.attemptTimeoutMs(3_000)).toBe(3_000);
  });

  it('starts an attempt only if its timeout ends LEASE_MARGIN_MS before the lease', () => {
    const slots = new SlotAccountant(config);
    slots.noteTimeout('ep', 20_000);
    expect(slots.startsInTime('ep', inMs(20_000 + LEASE_MARGIN_MS), now)).toBe(true);
    expect(slots.startsInTime('ep', inMs(20_000 + LEASE_MARGIN_MS - 1), now)).toBe(false);
    expect(slots.startsInTime('ep', null, now)).toBe(false);
    // An endpoint not seen yet may have the longest timeout there is.
    expect(slots.startsInTime('new', inMs(20_000 + LEASE_MARGIN_MS), now)).toBe(false);
  });
});
