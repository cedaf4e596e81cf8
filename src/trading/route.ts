import type { Logger } from '../core/logger.js';
import { VenueError } from './errors.js';
import type { Quote, QuoteRequest, SwapTransaction, Venue, VenueName } from './venue.js';

/**
 * Which venue executes a swap: tokens that trade on bags.fm go through bags.fm, and anything
 * bags.fm cannot do (no pool, down, rate-limited, refused) falls back to Jupiter. A mint bags.fm
 * said it does not trade is remembered for a while, so its small hourly quota is not spent on it.
 */
/** Mints remembered as not on bags.fm, at most (a daemon that runs for months sees many). */
export const NOT_ON_BAGS_MAX = 10_000;

export class VenueRouter {
  private readonly notOnBags = new Map<string, number>();

  constructor(
    private readonly venues: { jupiter: Venue; bags?: Venue },
    private readonly log: Logger,
    private readonly now: () => number,
    private readonly forgetMs = 3_600_000,
    private readonly rememberMax = NOT_ON_BAGS_MAX,
  ) {}

  /** Remembers a mint bags.fm does not trade; expired entries go first, so the map stays small. */
  private rememberNotOnBags(token: string): void {
    const now = this.now();
    if (this.notOnBags.size >= this.rememberMax) {
      for (const [mint, until] of this.notOnBags) if (until <= now) this.notOnBags.delete(mint);
      // Still full of live entries: the oldest remembered goes (a Map iterates in insertion order).
      if (this.notOnBags.size >= this.rememberMax) this.notOnBags.delete(this.notOnBags.keys().next().value!);
    }
    this.notOnBags.set(token, now + this.forgetMs);
  }

  venue(name: VenueName): Venue {
    const v = name === 'bags' ? this.venues.bags : this.venues.jupiter;
    if (!v) throw new Error(`venue ${name} is not configured`);
    return v;
  }

  async quote(req: QuoteRequest, signal?: AbortSignal, avoid?: VenueName): Promise<Quote> {
    const token = req.inputMint === req.outputMint ? req.inputMint : [req.inputMint, req.outputMint].find((m) => !m.startsWith('So1111'))!;
    const bags = this.venues.bags;
    const until = this.notOnBags.get(token);
    const skip = until !== undefined && until > this.now();
    if (until !== undefined && !skip) this.notOnBags.delete(token);
    if (bags && avoid !== 'bags' && !skip) {
      try {
        return await bags.quote(req, signal);
      } catch (err) {
        if (signal?.aborted) throw err;
        if (err instanceof VenueError && err.kind === 'no_route') this.rememberNotOnBags(token);
        else this.log.warn({ err: err instanceof Error ? err.message : String(err), mint: token }, 'bags.fm quote failed; falling back to Jupiter');
      }
    }
    return this.venues.jupiter.quote(req, signal);
  }

  /** Builds the transaction for a quote; if bags.fm cannot, re-quotes on Jupiter and builds there. */
  async swap(quote: Quote, req: QuoteRequest, userPublicKey: string, opts: { priorityFeeLamports: number }, signal?: AbortSignal): Promise<{ quote: Quote; tx: SwapTransaction }> {
    try {
      return { quote, tx: await this.venue(quote.venue).swap(quote, userPublicKey, opts, signal) };
    } catch (err) {
      if (quote.venue !== 'bags' || signal?.aborted) throw err;
      this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'bags.fm swap failed; falling back to Jupiter');
      const q = await this.venues.jupiter.quote(req, signal);
      return { quote: q, tx: await this.venues.jupiter.swap(q, userPublicKey, opts, signal) };
    }
  }
}
