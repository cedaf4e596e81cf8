import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/access/rate-limit.js';
import { ManualClock } from '../../src/core/clock.js';

describe('RateLimiter', () => {
  it('allows a burst, warns once, then stays silent until a token refills', () => {
    const clock = new ManualClock();
    const rl = new RateLimiter(3, 60, clock); // one token a second
    expect([rl.take('a'), rl.take('a'), rl.take('a')]).toEqual(['ok', 'ok', 'ok']);
    expect(rl.take('a')).toBe('limited-first');
    expect(rl.take('a')).toBe('limited');
    expect(rl.take('a')).toBe('limited');
    clock.advance(1000);
    expect(rl.take('a')).toBe('ok');
    expect(rl.take('a')).toBe('limited-first');
    expect(rl.take('b')).toBe('ok');
  });

  it('never grows past the burst however long it waits', () => {
    const clock = new ManualClock();
    const rl = new RateLimiter(2, 60, clock);
    clock.advance(3_600_000);
    expect([rl.take('a'), rl.take('a'), rl.take('a')]).toEqual(['ok', 'ok', 'limited-first']);
  });
});
