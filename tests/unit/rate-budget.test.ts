import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { VenueError } from '../../src/trading/errors.js';
import { RateBudget } from '../../src/trading/rate-budget.js';

/** A budget whose waits move the manual clock instead of sleeping. */
function budgetOf(perMinute: number) {
  const clock = new ManualClock();
  const slept: number[] = [];
  const budget = new RateBudget({
    perMinute,
    clock,
    sleep: async (ms) => {
      slept.push(ms);
      clock.advance(ms);
    },
  });
  return { clock, budget, slept };
}

function takeAllNow(budget: RateBudget): number {
  let n = 0;
  while (budget.tryTake() === 0) n++;
  return n;
}

describe('RateBudget', () => {
  it('allows a burst of a sixth of the per-minute rate, then says how long to wait', () => {
    const { budget } = budgetOf(60);
    expect(takeAllNow(budget)).toBe(10);
    const wait = budget.tryTake();
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(1_200);
    // Asking again spends nothing: the answer is the same.
    expect(budget.tryTake()).toBe(wait);
  });

  it('never lets more than perMinute through in any 60-second window', () => {
    const { budget, clock } = budgetOf(60);
    let sent = 0;
    for (let t = 0; t < 60_000; t += 100) {
      while (budget.tryTake() === 0) sent++;
      clock.advance(100);
    }
    expect(sent).toBeLessThanOrEqual(60);
    expect(sent).toBeGreaterThanOrEqual(55);
  });

  it('keeps a burst of at least one for tiny rates (bags: 1000/hour)', () => {
    const { budget } = budgetOf(1000 / 60);
    expect(takeAllNow(budget)).toBe(3);
    const tiny = budgetOf(0.5).budget;
    expect(takeAllNow(tiny)).toBe(1);
    expect(tiny.tryTake()).toBeGreaterThan(0);
  });

  it('penalize blocks everything until Retry-After has passed, then resumes from an empty bucket', () => {
    const { budget, clock } = budgetOf(60);
    budget.penalize(5_000);
    expect(budget.tryTake()).toBe(5_000);
    clock.advance(4_000);
    expect(budget.tryTake()).toBe(1_000);
    clock.advance(1_000);
    // The bucket was emptied at the 429, and 5 s of refill at 50/min is about 4 tokens, not 10.
    const after = takeAllNow(budget);
    expect(after).toBeGreaterThanOrEqual(1);
    expect(after).toBeLessThan(10);
  });

  it('a shorter penalty never shortens a longer one', () => {
    const { budget } = budgetOf(60);
    budget.penalize(10_000);
    budget.penalize(1_000);
    expect(budget.tryTake()).toBe(10_000);
  });

  it('take() waits for a token when the wait fits in maxWaitMs', async () => {
    const { budget, slept } = budgetOf(60);
    takeAllNow(budget);
    await budget.take(undefined, 2_000);
    expect(slept.length).toBeGreaterThan(0);
    expect(slept.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(2_000);
  });

  it('take() refuses at once with rate_limited when the wait would exceed maxWaitMs', async () => {
    const { budget, slept } = budgetOf(60);
    budget.penalize(30_000);
    const err = await budget.take(undefined, 2_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VenueError);
    expect((err as VenueError).kind).toBe('rate_limited');
    expect((err as VenueError).retryAfterMs).toBe(30_000);
    expect((err as VenueError).userMessage).toMatch(/try again in 30 seconds/);
    expect(slept).toEqual([]);
  });

  it('take() stops waiting when its signal aborts', async () => {
    const clock = new ManualClock();
    const budget = new RateBudget({ perMinute: 60, clock, sleep: (_ms, signal) => new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason))) });
    takeAllNow(budget);
    const controller = new AbortController();
    const waiting = budget.take(controller.signal, 60_000);
    controller.abort(new Error('stopped'));
    await expect(waiting).rejects.toThrow('stopped');
  });

  it('refuses a nonsensical rate', () => {
    expect(() => new RateBudget({ perMinute: 0, clock: new ManualClock() })).toThrow(/perMinute/);
    expect(() => new RateBudget({ perMinute: Number.NaN, clock: new ManualClock() })).toThrow(/perMinute/);
  });
});

describe('RateBudget with a clock that never moves', () => {
  it('take() gives up once it has slept maxWaitMs, instead of waiting forever', async () => {
    const clock = new ManualClock();
    const slept: number[] = [];
    const budget = new RateBudget({ perMinute: 60, clock, sleep: async (ms) => void slept.push(ms) });
    while (budget.tryTake() === 0);
    const err = await budget.take(undefined, 3_000).catch((e: unknown) => e);
    expect((err as VenueError).kind).toBe('rate_limited');
    expect(slept.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(3_000);
  });
});
