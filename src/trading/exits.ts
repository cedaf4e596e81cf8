import { SOL_MINT } from './base58.js';
import type { TradingDeps } from './context.js';
import type { ExitIntent, Position, TxRecord } from './store.js';
import { confirmedFill, executeSwap, explain, SlippageExceeded, type SwapFill } from './swap.js';
import { signatureOutcome } from './landing.js';
import { bps, pct, price, shortMint, signedSol, sol, txLink } from './format.js';
import { exitSlippageBps, isStopExit, requoteSlippageBps, widenAfterSlippage } from './stop-slippage.js';
import type { Trigger, TpLeg } from './tpsl.js';

/**
 * Selling out of positions, exactly once. An exit first claims its position (open -> exiting)
 * with a conditional update; only the claimant sells. The fill, the position update, the paper
 * credit and the owner's notice commit in one transaction keyed by the exit's id, so a retry or
 * a restart cannot record it twice. A failed exit goes back to open with its intent kept and a
 * retry time, and the monitor tries again with backoff; a stop-loss that failed on slippage
 * retries with a wider one (stop-slippage.ts).
 */

export type ExitResult =
  | { status: 'sold'; position: Position; proceeds: number; pnl: number; signature?: string }
  | { status: 'not_claimed'; state?: string }
  | { status: 'failed'; message: string; retryAt: number };

const MAX_CONCURRENT_EXITS = 4;

export class ExitDesk {
  /** Exits waiting for a slot; stop-losses are queued ahead of everything else. */
  private readonly queue: { job: () => Promise<void>; stop: boolean }[] = [];
  private active = 0;
  /** Transactions being watched until they settle: outside the exit slots, so an RPC outage cannot block sales. */
  private readonly settling = new Set<Promise<void>>();
  /** Stops the watches at shutdown without cutting exits that are running. */
  private readonly settleAbort = new AbortController();
  private readonly idle = new Set<() => void>();
  private readonly abort = new AbortController();

  constructor(private readonly d: TradingDeps) {}

  /** Exits running or queued now. */
  get busy(): number {
    return this.active + this.queue.length + this.settling.size;
  }

  /** The intent for a trigger on a position. */
  intentFor(p: Pick<Position, 'tokensBought' | 'tokensLeft'>, trigger: Trigger): ExitIntent {
    const id = this.d.random();
    if (trigger.kind === 'sl') return { id, reason: trigger.trailing ? 'trail' : 'sl', legs: [], tokens: p.tokensLeft.toString(), triggerPrice: trigger.price };
    const share = (p.tokensBought * BigInt(Math.round(trigger.sellPct * 100))) / 10_000n;
    const tokens = trigger.all || share >= p.tokensLeft ? p.tokensLeft : share;
    return { id, reason: 'tp', legs: trigger.legs, tokens: tokens.toString(), triggerPrice: trigger.price };
  }

  /**
   * Claims the position for this exit. True when we won the claim; the exit is then queued
   * (the monitor does not wait for it) or run now (a person pressing sell waits for the answer).
   */
  claim(id: number, intent: ExitIntent, userKey?: string, version?: number): boolean {
    return this.d.store.sql.claim.run({ id, exit: JSON.stringify(intent), userKey: userKey ?? null, version: version ?? null, now: this.d.clock.now() }).changes === 1;
  }

  /**
   * Queues a claimed exit; at most a few run at once so a crash does not spend the whole API budget
   * in one second. A stop-loss (fixed or trailing) goes ahead of take-profits and manual sales.
   */
  submit(id: number, reason?: ExitIntent['reason']): void {
    const stop = reason === 'sl' || reason === 'trail';
    const entry = { job: () => this.run(id).then(() => undefined), stop };
    const at = stop ? this.queue.findIndex((e) => !e.stop) : -1;
    if (at >= 0) this.queue.splice(at, 0, entry);
    else this.queue.push(entry);
    this.pump();
  }

  private pump(): void {
    while (this.active < MAX_CONCURRENT_EXITS && this.queue.length > 0) {
      const { job } = this.queue.shift()!;
      this.active++;
      void job()
        .catch((err) => this.d.log.error({ err }, 'exit crashed'))
        .finally(() => {
          this.active--;
          this.pump();
          if (this.busy === 0) for (const r of this.idle) r();
        });
    }
  }

  /**
   * Carries out the exit a position was claimed for. Never throws for an expected failure.
   * `notify: false` when the person is waiting for the answer in chat (a manual sell), so they
   * are not told twice; exits nobody is watching notify.
   */
  async run(id: number, opts: { notify?: boolean } = {}): Promise<ExitResult> {
    const notify = opts.notify !== false;
    const { store, clock, log, config } = this.d;
    const p = store.get(id);
    if (!p || p.state !== 'exiting' || !p.exit) return { status: 'not_claimed', state: p?.state };
    const intent = p.exit;
    const settings = store.settings(p.userKey);
    let fill: SwapFill;
    try {
      fill = await executeSwap(
        { router: this.d.router, wallet: this.d.wallet, log },
        {
          mode: p.mode,
          request: { inputMint: p.mint, outputMint: SOL_MINT, amount: BigInt(intent.tokens), slippageBps: exitSlippageBps(p, intent) },
          requoteSlippageBps: requoteSlippageBps(p, intent, config.slMaxSlippageBps),
          priorityFeeLamports: config.priorityFeeLamports[settings.priority],
          networkFeeLamports: config.networkFeeLamports,
          recordTx: (tx) => this.recordTx(p.id, intent, tx),
          signal: this.abort.signal,
        },
      );
    } catch (err) {
      if (this.abort.signal.aborted) {
        // Shutting down mid-exit: the row stays exiting and the next start reconciles it.
        log.warn({ position: id }, 'exit interrupted by shutdown; it will be reconciled at the next start');
        return { status: 'failed', message: 'Jarvis is shutting down; the exit resumes when it restarts.', retryAt: clock.now() };
      }
      // A live transaction may have gone out before the error: settle it on chain, never re-sell blindly.
      // After a slippage failure every transaction the swap built is settled already (one that only
      // failed simulation was never sent, and would otherwise be watched until its blockhash expires).
      const latest = store.get(id);
      if (!(err instanceof SlippageExceeded) && latest?.state === 'exiting' && latest.exit?.tx && this.d.wallet) {
        const tx = latest.exit.tx;
        const outcome = await this.lookup(tx).catch(() => ({ status: 'pending' as const }));
        if (outcome.status === 'confirmed') return this.complete(latest, latest.exit, await this.landedFill(latest, latest.exit, tx), notify);
        if (outcome.status === 'pending') {
          this.watchPending(id, tx);
          return { status: 'failed', message: 'The sale was sent but is not confirmed yet; you will be told when it settles.', retryAt: clock.now() };
        }
      }
      return this.fail(p, intent, this.failureMessage(p, err), err, notify);
    }
    return this.complete(p, intent, fill, notify);
  }

  private recordTx(id: number, intent: ExitIntent, tx: TxRecord): void {
    intent.tx = tx;
    this.d.store.sql.setExitTx.run({ id, exit: JSON.stringify(intent), now: this.d.clock.now() });
  }

  /** Records a fill once (keyed by the exit id) and moves the position on. */
  complete(p: Position, intent: ExitIntent, fill: SwapFill, notify = true): ExitResult {
    const { store, clock, notices } = this.d;
    const now = clock.now();
    // From chain, the tokens that actually left the wallet; otherwise the amount the exit asked to sell.
    const sold = fill.source === 'chain' ? fill.inAmount : BigInt(intent.tokens);
    const proceeds = Number(fill.outAmount) - fill.feeLamports;
    const basis = p.tokensBought > 0n ? Math.round((p.costLamports * Number(sold)) / Number(p.tokensBought)) : 0;
    const pnl = proceeds - basis;
    const left = p.tokensLeft - sold > 0n ? p.tokensLeft - sold : 0n;
    const tp: TpLeg[] = p.plan.tp.map((l, i) => (intent.legs.includes(i) ? { ...l, done: true } : l));
    const exitPrice = Number(sold) > 0 ? Number(fill.outAmount) / 1e9 / (Number(sold) / 10 ** p.decimals) : 0;
    const state = left === 0n ? 'closed' : 'open';
    const done = store.db.transaction(() => {
      if (store.sql.tradeByExit.get(intent.id)) return false;
      const changed = store.sql.finishExit.run({ id: p.id, state, tokensLeft: left.toString(), proceeds, tp: JSON.stringify(tp), price: exitPrice, now, closedAt: state === 'closed' ? now : null }).changes;
      if (changed !== 1) return false;
      store.sql.insertTrade.run({
        positionId: p.id, userKey: p.userKey, exitId: intent.id, side: 'sell', reason: intent.reason, mode: p.mode, venue: fill.venue,
        sol: proceeds, tokens: sold.toString(), fee: fill.feeLamports, pnl, price: exitPrice, signature: fill.signature ?? null, now,
      });
      if (p.mode === 'paper') store.sql.paperCredit.run({ userKey: p.userKey, amount: Math.max(0, proceeds), now });
      const what = intent.reason === 'tp' ? `Take-profit ${intent.legs.map((i) => `+${p.plan.tp[i]?.at}%`).join(', ')}` : intent.reason === 'sl' ? 'Stop-loss' : intent.reason === 'trail' ? 'Trailing stop' : 'Sell';
      const lines = [
        `${what}: sold ${p.mode === 'paper' ? '(paper) ' : ''}position #${p.id} (${shortMint(p.mint)})${state === 'closed' ? ', now closed' : ''}.`,
        `Entry ${price(p.entryPrice)} SOL, exit ${price(exitPrice)} SOL.`,
        `Received ${sol(proceeds)}; PnL ${signedSol(pnl)} (${pct(basis > 0 ? (pnl / basis) * 100 : 0)}).`,
      ];
      const soldAt = fill.slippageBps ?? intent.slippageBps;
      if (isStopExit(intent.reason) && soldAt !== undefined && soldAt > p.slippageBps) {
        lines.push(`Sold with slippage widened to ${bps(soldAt)} because the price was falling faster than the position's own ${bps(p.slippageBps)} allowed.`);
      }
      if (fill.signature) lines.push(txLink(fill.signature));
      if (notify) notices.enqueue({ userKey: p.userKey, chatId: p.chatId, out: { text: lines.join('\n') }, dedupeKey: `exit:${intent.id}` });
      return true;
    })();
    if (!done) return { status: 'not_claimed', state: store.get(p.id)?.state };
    this.d.audit.record({ actor: 'tpsl', action: `sell:${intent.reason}`, target: `position:${p.id}`, outcome: 'ok', detail: `${p.mode} proceeds=${proceeds} pnl=${pnl}` });
    notices.kick();
    return { status: 'sold', position: store.get(p.id)!, proceeds, pnl, signature: fill.signature };
  }

  /** What the owner reads about a failed sale: for a live position nothing can sign, why and the fix. */
  private failureMessage(p: Position, err: unknown): string {
    const block = this.d.liveBlock;
    if (p.mode === 'live' && !this.d.wallet && block) return `Live trading is not available: ${block.reason}. An admin can fix it: ${block.fix}.`;
    return explain(err).message;
  }

  /**
   * Puts the position back to open with its exit kept, to be retried after a backoff. A stop-loss
   * that failed on slippage keeps the wider slippage for its next attempt on the same row.
   */
  private fail(p: Position, intent: ExitIntent, message: string, err: unknown, notify = true): ExitResult {
    const { store, clock, config, log, notices } = this.d;
    const attempts = p.exitAttempts + 1;
    const widen = err instanceof SlippageExceeded ? widenAfterSlippage(p, intent, config.slMaxSlippageBps, err.lastSlippageBps) : undefined;
    // A stop-loss beaten by a falling price tries again at the base interval while it can still
    // widen: the venue is fine, the price is the problem, and backing off would sell later and
    // lower. At the cap it backs off like any failure, so a rug cannot spend the API budget.
    const quick = widen !== undefined && !widen.atCap;
    const delay = quick ? config.exitRetryBaseMs : Math.min(config.exitRetryMaxMs, config.exitRetryBaseMs * 2 ** (attempts - 1));
    const retryAt = clock.now() + delay;
    log.warn({ position: p.id, attempts, slippageBps: widen?.next, err: err instanceof Error ? err.message : String(err) }, 'exit failed; will retry');
    const keep: ExitIntent = { ...intent, tx: undefined, ...(widen ? { slippageBps: widen.next } : {}) };
    // Once per exit: at the cap every retry would say the same, so later slippage failures stay quiet.
    const atCap = notify && widen?.atCap === true;
    const warnCap = atCap && !intent.capWarned;
    if (warnCap) keep.capWarned = true;
    store.db.transaction(() => {
      store.sql.release.run({ id: p.id, exit: JSON.stringify(keep), attempts, retryAt, now: clock.now() });
      if (warnCap) {
        notices.enqueue({
          userKey: p.userKey,
          chatId: p.chatId,
          out: { text: `${intent.reason === 'trail' ? 'Trailing stop' : 'Stop-loss'} of position #${p.id} (${shortMint(p.mint)}) still not sold: the price is falling faster than even ${bps(widen.used)} slippage allows, the widest a stop-loss goes (TRADING_SL_MAX_SLIPPAGE_BPS). It keeps retrying at ${bps(widen.next)} (next in ${Math.round(delay / 1000)} s) and tells you when it sells.` },
          dedupeKey: `exitcap:${intent.id}`,
        });
      } else if (notify && !atCap && (attempts & (attempts - 1)) === 0) {
        // Told on the 1st, 2nd, 4th, 8th... failure: enough to know, not a message every few seconds.
        const wider = widen && widen.next > widen.used ? ` with slippage widened to ${bps(widen.next)}` : '';
        notices.enqueue({
          userKey: p.userKey,
          chatId: p.chatId,
          out: { text: `Selling position #${p.id} (${shortMint(p.mint)}) failed: ${message} Retrying in ${Math.round(delay / 1000)} s${wider} (attempt ${attempts}).` },
          dedupeKey: `exitfail:${intent.id}:${attempts}`,
        });
      }
    })();
    notices.kick();
    return { status: 'failed', message, retryAt };
  }

  /**
   * At start, before anything may sell: every position left exiting is settled. A live exit with
   * a recorded signature is looked up on chain; one that never sent anything (paper, or live
   * before the first send) goes back to open and its exit is retried by the monitor.
   */
  async reconcile(): Promise<{ completed: number; released: number; waiting: number }> {
    const { store, clock, log } = this.d;
    let completed = 0;
    let released = 0;
    let waiting = 0;
    for (const p of store.inState('exiting')) {
      const intent = p.exit;
      if (!intent) {
        store.sql.release.run({ id: p.id, exit: null, attempts: p.exitAttempts, retryAt: null, now: clock.now() });
        released++;
        continue;
      }
      if (store.sql.tradeByExit.get(intent.id)) {
        log.error({ position: p.id, exit: intent.id }, 'exit recorded but position still exiting; releasing without selling again');
        store.sql.release.run({ id: p.id, exit: null, attempts: 0, retryAt: null, now: clock.now() });
        released++;
        continue;
      }
      if (intent.tx && this.d.wallet) {
        const outcome = await this.lookup(intent.tx).catch(() => ({ status: 'pending' as const }));
        if (outcome.status === 'confirmed') {
          this.complete(p, intent, await this.landedFill(p, intent, intent.tx));
          completed++;
          continue;
        }
        if (outcome.status === 'pending') {
          waiting++;
          this.watchPending(p.id, intent.tx);
          continue;
        }
      } else if (intent.tx) {
        // Without the wallet we cannot look the signature up: leave it exiting rather than risk selling twice.
        log.warn({ position: p.id }, 'a live exit is unresolved and the wallet is locked; leaving it exiting');
        waiting++;
        continue;
      }
      store.sql.release.run({ id: p.id, exit: JSON.stringify({ ...intent, tx: undefined }), attempts: p.exitAttempts, retryAt: clock.now(), now: clock.now() });
      released++;
    }
    return { completed, released, waiting };
  }

  private lookup(tx: TxRecord) {
    return signatureOutcome(this.d.wallet!.rpc, tx.signature, tx.lastValidBlockHeight);
  }

  /** The fill of a recorded sale found confirmed: read from chain, else what its quote promised. */
  private landedFill(p: Position, intent: ExitIntent, tx: TxRecord): Promise<SwapFill> {
    return confirmedFill(
      { wallet: this.d.wallet!, log: this.d.log },
      tx,
      { inputMint: p.mint, outputMint: SOL_MINT },
      { inAmount: BigInt(intent.tokens), outAmount: BigInt(tx.expectedOut) },
      this.abort.signal,
    );
  }

  /** A transaction that may still land: checked every few seconds until it does or expires. */
  private watchPending(id: number, tx: TxRecord): void {
    this.settleLater(tx, async (outcome) => {
      const p = this.d.store.get(id);
      if (!p || p.state !== 'exiting' || !p.exit) return;
      if (outcome === 'confirmed') {
        const fill = await this.landedFill(p, p.exit, tx);
        // Read again: the row may have moved on while the fill was being read.
        const now = this.d.store.get(id);
        if (now?.state === 'exiting' && now.exit?.id === p.exit.id) this.complete(now, now.exit, fill);
      } else {
        this.d.store.sql.release.run({ id, exit: JSON.stringify({ ...p.exit, tx: undefined }), attempts: p.exitAttempts, retryAt: this.d.clock.now(), now: this.d.clock.now() });
      }
    });
  }

  /**
   * Polls a recorded transaction in the background until it is confirmed, or failed or expired
   * (then `settle` gets 'gone'). Used for exits and live buys a restart found unresolved.
   * `settle` may be async (it reads the fill from chain); whatever it throws is logged here.
   */
  settleLater(tx: TxRecord, settle: (outcome: 'confirmed' | 'gone') => void | Promise<void>): void {
    const watch = (async () => {
      for (;;) {
        if (this.settleAbort.signal.aborted) return;
        await new Promise((r) => setTimeout(r, this.d.config.resendIntervalMs).unref());
        if (this.settleAbort.signal.aborted) return;
        const outcome = await this.lookup(tx).catch(() => ({ status: 'pending' as const }));
        if (outcome.status === 'pending') continue;
        try {
          await settle(outcome.status === 'confirmed' ? 'confirmed' : 'gone');
        } catch (err) {
          this.d.log.error({ signature: tx.signature, err: err instanceof Error ? err.message : String(err) }, 'settling a watched transaction failed');
        }
        return;
      }
    })().finally(() => {
      this.settling.delete(watch);
      if (this.busy === 0) for (const r of this.idle) r();
    });
    this.settling.add(watch);
  }

  /** Stops new work; waits (bounded) for running exits. Unfinished ones are reconciled next start. */
  async close(timeoutMs: number): Promise<void> {
    this.queue.length = 0;
    // Watched transactions are looked up again by the next start's reconcile.
    this.settleAbort.abort();
    if (this.active === 0) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.abort.abort();
        resolve();
      }, timeoutMs).unref();
      this.idle.add(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}
