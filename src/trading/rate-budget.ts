/**
 * The request budget of one API key, shared by every call made with it (quotes, swaps, price polls,
 * the TP/SL job), so Jarvis stays under the venue's limit instead of discovering it through 429s.
 *
 * Why a small burst: venues count requests per minute window. A bucket holding a whole minute of
 * tokens would let an idle key fire a full minute's worth at once and then keep refilling inside the
 * same window, up to twice the limit. Capacity is therefore ten seconds' worth (perMinute / 6, at
 * least 1): enough for one trade's quote + swap + price calls to go out together. The refill runs at
 * perMinute minus that burst, so burst plus a minute of refill never exceeds perMinute in any
 * 60-second window (below 2 a minute the refill is kept at half the rate, or the bucket would never
 * refill).
 *
 * After a 429 the server's Retry-After wins: nothing is allowed until it has passed, and the bucket is
 * emptied so calls resume gently rather than all at once.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { TokenBucket } from '../channels/token-bucket.js';
import type { Clock } from '../core/clock.js';
import { VenueError } from './errors.js';
import { rateLimitedMessage } from './http-json.js';

export interface RateBudgetOptions {
  perMinute: number;
  clock: Clock;
  /** Machine name for VenueError.service when take() gives up (default 'rate-budget'). */
  service?: string;
  /** Name a person reads in that error (default: service). */
  label?: string;
  /** How take() waits; tests with a ManualClock inject one that advances the clock. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export class RateBudget {
  private readonly bucket: TokenBucket;
  private blockedUntil = 0;
  private readonly clock: Clock;
  private readonly service: string;
  private readonly label: string;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(opts: RateBudgetOptions) {
    if (!(opts.perMinute > 0) || !Number.isFinite(opts.perMinute)) throw new Error(`RateBudget: perMinute must be a positive number, got ${opts.perMinute}`);
    const capacity = Math.max(1, Math.ceil(opts.perMinute / 6));
    const refillPerMinute = Math.max(opts.perMinute - capacity, opts.perMinute / 2);
    this.bucket = new TokenBucket(capacity, refillPerMinute / 60_000, opts.clock);
    this.clock = opts.clock;
    this.service = opts.service ?? 'rate-budget';
    this.label = opts.label ?? this.service;
    this.sleep = opts.sleep ?? ((ms, signal) => delay(ms, undefined, signal ? { signal } : undefined));
  }

  /** 0 and one token spent if a call may go now; otherwise ms until one may, spending nothing. */
  tryTake(): number {
    const now = this.clock.now();
    if (now < this.blockedUntil) return this.blockedUntil - now;
    const wait = this.bucket.delay();
    if (wait > 0) return wait;
    this.bucket.take();
    return 0;
  }

  /** The server said 429: nothing goes out until Retry-After has passed, then the bucket refills from empty. */
  penalize(retryAfterMs: number): void {
    this.blockedUntil = Math.max(this.blockedUntil, this.clock.now() + Math.max(0, retryAfterMs));
    this.bucket.drain();
  }

  /**
   * Waits for a token. Refuses at once with VenueError 'rate_limited' (carrying the wait) when the
   * wait would exceed `maxWaitMs`, so a person is told "try again in N seconds" instead of staring at
   * a silent chat.
   */
  async take(signal?: AbortSignal, maxWaitMs = Number.POSITIVE_INFINITY): Promise<void> {
    const started = this.clock.now();
    let slept = 0;
    for (;;) {
      signal?.throwIfAborted();
      const wait = this.tryTake();
      if (wait === 0) return;
      // Time slept counts even if the clock did not move (a test's frozen clock), so this always ends.
      const waited = Math.max(this.clock.now() - started, slept);
      if (waited + wait > maxWaitMs) {
        throw new VenueError(this.service, 'rate_limited', rateLimitedMessage(this.label, wait), wait);
      }
      await this.sleep(wait, signal);
      slept += wait;
    }
  }
}
