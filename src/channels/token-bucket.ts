import type { Clock } from '../core/clock.js';

/** A token bucket that says how long to wait rather than refusing. */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(private readonly capacity: number, private readonly perMs: number, private readonly clock: Clock) {
    this.tokens = capacity;
    this.at = clock.now();
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.capacity, this.tokens + (now - this.at) * this.perMs);
    this.at = now;
  }

  /** Milliseconds until a token is available (0: available now). */
  delay(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil((1 - this.tokens) / this.perMs);
  }

  take(): void {
    this.refill();
    this.tokens -= 1;
  }

  /** Empties the bucket, e.g. after the server said 429. */
  drain(): void {
    this.refill();
    this.tokens = Math.min(this.tokens, 0);
  }

  full(): boolean {
    this.refill();
    return this.tokens >= this.capacity;
  }
}
