import { SOL_MINT } from './base58.js';
import type { TradingDeps } from './context.js';
import type { ExitDesk } from './exits.js';
import type { ExitIntent } from './store.js';
import { VenueError } from './errors.js';
import { shortMint } from './format.js';
import { decideMint } from './mint-watch.js';
import type { TokenPrice } from './venue.js';
import { WatchedBook } from './watch-book.js';

/**
 * One tick of the TP/SL monitor: price every held mint (49 per Price v3 call, plus SOL to turn
 * USD into SOL), decide each open position, persist highs for trailing stops, and claim and
 * submit the exits that fired, batch by batch so a trigger never waits for the rest of the book.
 * A mint missing from an answer is "no price": it never triggers, and its owners hear once when
 * the gap lasts. When the API budget runs out mid-book, the next tick resumes where this one stopped.
 */

export interface TickReport {
  positions: number;
  mints: number;
  priced: number;
  missing: number;
  batches: number;
  triggered: number;
  retried: number;
  deferred: boolean;
  held: number;
}

export const MINTS_PER_CALL = 49;

export class TpslMonitor {
  private cursor = 0;
  private readonly watched: WatchedBook;

  constructor(private readonly d: TradingDeps, private readonly exits: ExitDesk) {
    this.watched = new WatchedBook(d.store);
  }

  async tick(signal?: AbortSignal): Promise<TickReport> {
    const { store, clock, lockdown } = this.d;
    const book = this.watched.refresh();
    const report: TickReport = { positions: book.positions, mints: 0, priced: 0, missing: 0, batches: 0, triggered: 0, retried: 0, deferred: false, held: 0 };
    const locked = lockdown.isOn();
    // Exits that failed earlier and whose backoff is over go first: a trigger already fired for them.
    if (!locked) {
      for (const r of book.retrying) {
        if (r.exit === null || r.retry_at === null || r.retry_at > clock.now()) continue;
        const intent = JSON.parse(r.exit) as ExitIntent;
        if (this.exits.claim(r.id, intent, undefined, r.version)) {
          this.exits.submit(r.id, intent.reason);
          report.retried++;
        }
      }
    }
    report.mints = book.mints.length;
    if (book.mints.length === 0) return report;
    // Read once: nearly always empty, so a priced mint costs no statement (500 autocommits were a quarter of a tick).
    const gapped = new Set(store.sql.gapped.all() as string[]);
    const batches: string[][] = [];
    for (let i = 0; i < book.mints.length; i += MINTS_PER_CALL) batches.push(book.mints.slice(i, i + MINTS_PER_CALL));
    if (this.cursor >= batches.length) this.cursor = 0;
    const mintPrices = new Map<string, number>();
    const raised: { id: number; high: number }[] = [];
    // Marks are written once per tick (batches share pages: one commit writes far less), also when a tick stops early.
    const flush = () => {
      if (!mintPrices.size && !raised.length) return;
      try {
        store.writeMarks(mintPrices, raised, clock.now());
      } catch (err) {
        this.watched.forget();
        throw err;
      }
      for (const r of raised) this.watched.raised(r.id, r.high);
    };
    for (let n = 0; n < batches.length; n++) {
      if (signal?.aborted) break;
      const index = (this.cursor + n) % batches.length;
      const batch = batches[index]!;
      let prices: Map<string, TokenPrice>;
      try {
        prices = await this.d.prices.prices([...batch, SOL_MINT], signal);
      } catch (err) {
        // Out of budget or Jupiter down: stop here; the next tick starts with this batch.
        this.cursor = index;
        report.deferred = true;
        flush();
        this.d.log[err instanceof VenueError && err.kind === 'rate_limited' ? 'debug' : 'warn']({ err: err instanceof Error ? err.message : String(err) }, 'price fetch failed; deferring');
        return report;
      }
      report.batches++;
      const solUsd = prices.get(SOL_MINT)?.usdPrice;
      for (const mint of batch) {
        const p = prices.get(mint)?.usdPrice;
        if (!solUsd || !p) {
          report.missing++;
          this.noPrice(mint);
          continue;
        }
        report.priced++;
        if (gapped.has(mint)) store.sql.gapEnd.run(mint);
        mintPrices.set(mint, p / solUsd);
        for (const dcs of decideMint(book.byMint.get(mint)!, p / solUsd)) {
          if (dcs.rose) raised.push({ id: dcs.id, high: dcs.high });
          if (!dcs.trigger) continue;
          if (locked) {
            report.held++;
            continue;
          }
          const pos = store.get(dcs.id);
          if (!pos || pos.state !== 'open' || pos.version !== dcs.version) continue;
          const intent = this.exits.intentFor(pos, dcs.trigger);
          if (BigInt(intent.tokens) <= 0n) continue;
          let version = dcs.version;
          if (dcs.pending !== null) {
            // A take-profit sale is waiting for its retry and the stop fires: sell everything now instead.
            if (dcs.trigger.kind !== 'sl' || (JSON.parse(dcs.pending) as { reason: string }).reason !== 'tp') continue;
            if (store.sql.escalate.run({ id: dcs.id, exit: JSON.stringify(intent), old: dcs.pending, now: clock.now() }).changes !== 1) continue;
            version++;
          }
          if (this.exits.claim(dcs.id, intent, undefined, version)) {
            this.exits.submit(dcs.id, intent.reason);
            report.triggered++;
          }
        }
      }
    }
    flush();
    this.cursor = 0;
    if (locked && report.held > 0) this.d.log.warn({ held: report.held }, 'TP/SL triggers held: Jarvis is in lockdown');
    return report;
  }

  private noPrice(mint: string): void {
    const { store, clock, config, notices } = this.d;
    const now = clock.now();
    store.sql.gapStart.run(mint, now);
    const gap = store.sql.gap.get(mint) as { missing_since: number; warned: number };
    if (gap.warned || now - gap.missing_since < config.priceMissingAlertMs) return;
    store.db.transaction(() => {
      if (store.sql.gapWarned.run(mint).changes !== 1) return;
      for (const o of store.sql.ownersOf.all(mint) as { user_key: string; chat_id: string }[]) {
        notices.enqueue({
          userKey: o.user_key,
          chatId: o.chat_id,
          out: { text: `No price for ${shortMint(mint)} for ${Math.round((now - gap.missing_since) / 60_000)} min: its take-profit and stop-loss cannot fire until a price is back. You can still sell by hand with /positions.` },
          dedupeKey: `gap:${mint}:${gap.missing_since}:${o.user_key}`,
        });
      }
    })();
    notices.kick();
  }
}
