import type { Clock } from '../core/clock.js';

export type RateDecision = 'ok' | 'limited-first' | 'limited';

interface Bucket {
  tokens: number;
  at: number;
  warned: boolean;
}

/**
 * A token bucket per user. Over the limit the first message gets one "slow down" reply
 * ('limited-first'), the rest are dropped ('limited'): nothing queues up behind it.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly refillPerMs: number;

  constructor(private readonly burst: number, perMinute: number, private readonly clock: Clock) {
    this.refillPerMs = perMinute / 60_000;
  }

  take(key: string): RateDecision {
    const now = this.clock.now();
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size > 10_000) this.sweep(now);
      b = { tokens: this.burst, at: now, warned: false };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(this.burst, b.tokens + (now - b.at) * this.refillPerMs);
      b.at = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      b.warned = false;
      return 'ok';
    }
    if (b.warned) return 'limited';
    b.warned = true;
    return 'limited-first';
  }

  /** Buckets that have refilled completely carry no information; drop them. */
  private sweep(now: number): void {
    for (const [k, b] of this.buckets) {
      if (b.tokens + (now - b.at) * this.refillPerMs >= this.burst) this.buckets.delete(k);
    }
  }
}
