import { UserError } from '../core/errors.js';
import { LAMPORTS_PER_SOL, SOL_MINT, isSolanaAddress } from './base58.js';
import type { BuyArgs } from './buy-args.js';
import { dayStart, DAY_MS, type TradingDeps } from './context.js';
import { ExitDesk, type ExitResult } from './exits.js';
import { sol } from './format.js';
import type { Mode, Position, Settings, TxRecord } from './store.js';
import { confirmedFill, executeSwap, explain, type SwapFill } from './swap.js';
import { checkPlan, type ExitPlan, type TpLeg } from './tpsl.js';
import type { Quote } from './venue.js';
import type { PriorityLevel } from '../config.js';
import { TpslMonitor, type TickReport } from './monitor.js';
import { signatureOutcome } from './landing.js';
import { activeLivePositions, strandedNotice, type LiveBlock, type StrandedPosition } from './stranded.js';
import type { AdminChat } from '../access/admin-chats.js';

/**
 * The trading module's one entry point for handlers, flows and jobs: buys with mandatory TP/SL
 * under risk limits, manual sells and edits through the same exactly-once exit path as the
 * monitor, and the reads behind /positions and /pnl.
 */

export interface BuyPlan {
  mode: Mode;
  mint: string;
  lamports: number;
  plan: ExitPlan;
  /** 'preset' when TP/SL came from the caller's saved presets (shown before confirming). */
  planSource: 'given' | 'preset';
  slippageBps: number;
  feeLamports: number;
  decimals: number;
  quote: Quote;
  /** Whether the buy must be confirmed by a button press first. */
  needsConfirm: boolean;
}

export interface Limits {
  maxTradeLamports: number;
  maxOpen: number;
  dailyLossLamports: number;
}

export interface PnlReport {
  period: 'day' | 'week' | 'all';
  realizedLamports: number;
  unrealizedLamports: number;
  closedPositions: number;
  wins: number;
  sells: number;
  open: number;
}

export class TradingService {
  readonly exits: ExitDesk;
  readonly monitor: TpslMonitor;

  constructor(readonly d: TradingDeps) {
    this.exits = new ExitDesk(d);
    this.monitor = new TpslMonitor(d, this.exits);
  }

  /** Buying, selling and editing happen in the daemon only (see TradingDeps.owner). */
  private assertOwner(): void {
    if (!this.d.owner) throw new UserError('Trading runs in the daemon: buy, sell and edit from Telegram (this terminal session can only look).');
  }

  // ---- reads ----

  settings(userKey: string): Settings {
    return this.d.store.settings(userKey);
  }

  limits(userKey: string): Limits {
    const s = this.settings(userKey);
    const c = this.d.config;
    // A person may tighten a limit for themselves, never loosen the configured one.
    return {
      maxTradeLamports: Math.min(c.maxTradeLamports, s.maxTradeLamports ?? Infinity),
      maxOpen: Math.min(c.maxOpenPositions, s.maxOpen ?? Infinity),
      dailyLossLamports: Math.min(c.dailyLossLimitLamports, s.dailyLossLamports ?? Infinity),
    };
  }

  /** Live only when configured, unlocked, allowed for this person and chosen by them. */
  modeFor(userKey: string): Mode {
    return this.settings(userKey).mode === 'live' && this.liveAllowed(userKey) === undefined ? 'live' : 'paper';
  }

  /** Why this person may not trade live, or undefined when they may. */
  liveAllowed(userKey: string): string | undefined {
    if (this.d.config.mode !== 'live') return 'Live trading is off on this Jarvis (TRADING_MODE=paper).';
    if (!this.d.wallet) return 'Live trading is on, but no wallet is unlocked (see docs/trading.md).';
    if (!this.d.config.liveUsers.includes(userKey)) return 'You are not allowed to trade live; the owner can add you to TRADING_LIVE_USERS.';
    return undefined;
  }

  async balance(userKey: string): Promise<{ mode: Mode; lamports: number }> {
    const mode = this.modeFor(userKey);
    if (mode === 'paper') return { mode, lamports: this.d.store.paperBalance(userKey, this.d.config.paperStartLamports, this.d.clock.now()) };
    try {
      return { mode, lamports: await this.d.wallet!.rpc.getBalance(this.d.wallet!.keypair.publicKey) };
    } catch (err) {
      throw explain(err);
    }
  }

  /** Live positions nothing here can sell (the wallet is not unlocked), and why; undefined when none. */
  stranded(): { positions: StrandedPosition[]; block: LiveBlock } | undefined {
    const block = this.d.liveBlock;
    if (!block) return undefined;
    const positions = activeLivePositions(this.d.store.db);
    return positions.length ? { positions, block } : undefined;
  }

  positions(userKey: string): Position[] {
    return this.d.store.activeFor(userKey);
  }

  /** The caller's position, or a UserError naming why it cannot be used. */
  position(userKey: string, id: number): Position {
    const p = Number.isSafeInteger(id) && id > 0 ? this.d.store.get(id) : undefined;
    if (!p || p.userKey !== userKey) throw new UserError(`You have no position #${Number.isFinite(id) ? id : '?'}. See /positions.`);
    return p;
  }

  pnl(userKey: string, period: PnlReport['period']): PnlReport {
    const now = this.d.clock.now();
    const since = period === 'day' ? dayStart(now) : period === 'week' ? now - 7 * DAY_MS : 0;
    const trades = this.d.store.trades(userKey, since);
    const sells = trades.filter((t) => t.side === 'sell');
    const closed = this.d.store.closedSince(userKey, since);
    let unrealized = 0;
    const open = this.positions(userKey).filter((p) => p.state !== 'pending');
    for (const p of open) {
      if (p.lastPrice === null || p.tokensBought === 0n) continue;
      const value = (Number(p.tokensLeft) / 10 ** p.decimals) * p.lastPrice * LAMPORTS_PER_SOL;
      const basis = (p.costLamports * Number(p.tokensLeft)) / Number(p.tokensBought);
      unrealized += value - basis;
    }
    return {
      period,
      realizedLamports: sells.reduce((s, t) => s + (t.pnlLamports ?? 0), 0),
      unrealizedLamports: Math.round(unrealized),
      closedPositions: closed.length,
      wins: closed.filter((c) => c.realizedLamports > c.costLamports).length,
      sells: sells.length,
      open: open.length,
    };
  }

  // ---- settings ----

  updateSettings(userKey: string, patch: Partial<Pick<Settings, 'mode' | 'slippageBps' | 'priority' | 'maxTradeLamports' | 'maxOpen' | 'dailyLossLamports'>> & { preset?: ExitPlan | null }): Settings {
    const s = this.settings(userKey);
    if (patch.mode === 'live') {
      const why = this.liveAllowed(userKey);
      if (why) throw new UserError(why);
    }
    if (patch.slippageBps !== undefined && patch.slippageBps !== null && !(patch.slippageBps >= 1 && patch.slippageBps <= this.d.config.maxSlippageBps)) {
      throw new UserError(`Slippage must be between 0.01% and ${this.d.config.maxSlippageBps / 100}%.`);
    }
    if (patch.preset) {
      const why = checkPlan(patch.preset);
      if (why) throw new UserError(why);
    }
    const next: Settings = { ...s, ...patch, preset: patch.preset === null ? undefined : (patch.preset ?? s.preset) } as Settings;
    this.d.store.saveSettings(userKey, next, this.d.clock.now());
    this.d.audit.record({ actor: userKey, action: 'trading:settings', target: userKey, outcome: 'ok', detail: Object.keys(patch).join(',') });
    return this.settings(userKey);
  }

  priorityFee(level: PriorityLevel): number {
    return this.d.config.priorityFeeLamports[level];
  }

  // ---- buying ----

  /** Checks a buy against every rule and quotes it; changes nothing. */
  async prepareBuy(userKey: string, args: BuyArgs, opts: { forceConfirm?: boolean } = {}): Promise<BuyPlan> {
    const { config, store, clock } = this.d;
    if (!isSolanaAddress(args.mint)) throw new UserError('That is not a Solana token address (base58, 32 bytes).');
    if (args.mint === SOL_MINT) throw new UserError('That is SOL itself; give the mint of the token to buy.');
    const settings = this.settings(userKey);
    let planSource: BuyPlan['planSource'] = 'given';
    let plan: ExitPlan | undefined;
    if (args.tp && args.slPct !== undefined) plan = { tp: args.tp, slPct: args.slPct, trailing: args.trailing ?? false };
    else if (settings.preset) {
      planSource = 'preset';
      plan = { tp: args.tp ?? settings.preset.tp, slPct: args.slPct ?? settings.preset.slPct, trailing: args.trailing ?? settings.preset.trailing };
    }
    if (!plan) {
      const missing = !args.tp && args.slPct === undefined ? 'take-profit and no stop-loss' : !args.tp ? 'take-profit' : 'stop-loss';
      throw new UserError(`Every buy needs a stop-loss and at least one take-profit; this one has no ${missing}. Add tp=50:50,100:50 sl=20, or save presets in /settings.`);
    }
    const why = checkPlan(plan);
    if (why) throw new UserError(why);
    const mode = this.modeFor(userKey);
    const limits = this.limits(userKey);
    if (args.lamports > limits.maxTradeLamports) throw new UserError(`That is more than the ${sol(limits.maxTradeLamports)} allowed per trade.`);
    if (store.countActive(userKey) >= limits.maxOpen) throw new UserError(`You already have ${limits.maxOpen} open positions, the most allowed. Close one first.`);
    const lost = -store.realizedSince(userKey, dayStart(clock.now()));
    if (limits.dailyLossLamports >= 0 && lost >= limits.dailyLossLamports && lost > 0) {
      throw new UserError(`You have lost ${sol(lost)} today, reaching the daily limit of ${sol(limits.dailyLossLamports)}. New buys are paused until 00:00 UTC.`);
    }
    const slippageBps = args.slippageBps ?? settings.slippageBps ?? config.defaultSlippageBps;
    if (slippageBps > config.maxSlippageBps) throw new UserError(`Slippage is capped at ${config.maxSlippageBps / 100}%.`);
    if (!(slippageBps >= 1)) throw new UserError('Slippage must be at least 0.01%.');
    const feeLamports = config.networkFeeLamports + config.priorityFeeLamports[settings.priority];
    let decimals: number;
    let quote: Quote;
    try {
      const prices = await this.d.prices.prices([args.mint, SOL_MINT]);
      const p = prices.get(args.mint);
      if (!p || p.decimals === undefined) throw new UserError('There is no reliable price for this token, so its take-profit and stop-loss could not be watched. Not buying it.');
      decimals = p.decimals;
      quote = await this.d.router.quote({ inputMint: SOL_MINT, outputMint: args.mint, amount: BigInt(args.lamports), slippageBps });
    } catch (err) {
      throw explain(err);
    }
    const needsConfirm = opts.forceConfirm === true || planSource === 'preset' || (mode === 'live' && args.lamports >= config.liveConfirmAboveLamports);
    return { mode, mint: args.mint, lamports: args.lamports, plan, planSource, slippageBps, feeLamports, decimals, quote, needsConfirm };
  }

  /** Buys: reserves the SOL, swaps, and opens the position with its TP/SL, or fails it and refunds. */
  async buy(userKey: string, chatId: string, plan: BuyPlan): Promise<Position> {
    const { store, clock, config, lockdown, log } = this.d;
    this.assertOwner();
    lockdown.assertOff('Buying');
    if (plan.mode === 'live' && this.liveAllowed(userKey)) throw new UserError(this.liveAllowed(userKey)!);
    const now = clock.now();
    const reserved = plan.lamports + plan.feeLamports;
    const settings = this.settings(userKey);
    if (plan.mode === 'live') {
      const bal = await this.balance(userKey);
      if (bal.lamports < reserved + 2_039_280 /* rent for a new token account */) throw new UserError(`The wallet has ${sol(bal.lamports)}; this buy needs about ${sol(reserved + 2_039_280)} with fees.`);
    }
    const id = store.db.transaction(() => {
      if (store.countActive(userKey) >= this.limits(userKey).maxOpen) throw new UserError('You reached the most open positions allowed.');
      if (plan.mode === 'paper') {
        store.paperBalance(userKey, config.paperStartLamports, now);
        if (store.sql.paperDebit.run({ userKey, amount: reserved, now }).changes !== 1) {
          throw new UserError(`Not enough paper SOL: this buy needs ${sol(reserved)} with fees. See your balance in /demo.`);
        }
      }
      return Number(
        store.sql.insertPending.run({
          userKey, chatId, mode: plan.mode, mint: plan.mint, decimals: plan.decimals, reserved,
          slPct: plan.plan.slPct, trailing: plan.plan.trailing ? 1 : 0, tp: JSON.stringify(plan.plan.tp.map((l): TpLeg => ({ ...l, done: false }))),
          slippageBps: plan.slippageBps, now,
        }).lastInsertRowid,
      );
    })();
    let filled: SwapFill;
    try {
      const fill = await executeSwap(
        { router: this.d.router, wallet: this.d.wallet, log },
        {
          mode: plan.mode,
          request: { inputMint: SOL_MINT, outputMint: plan.mint, amount: BigInt(plan.lamports), slippageBps: plan.slippageBps },
          priorityFeeLamports: config.priorityFeeLamports[settings.priority],
          networkFeeLamports: config.networkFeeLamports,
          recordTx: (tx) => store.sql.setBuyTx.run({ id, tx: JSON.stringify(tx), now: clock.now() }),
        },
      );
      if (fill.outAmount <= 0n) throw new UserError('The swap returned no tokens.');
      filled = fill;
    } catch (err) {
      const e = explain(err);
      this.failBuy(id, e.message);
      throw e;
    }
    // Outside the try: once the swap went through, a local failure must not mark the buy failed.
    // From chain, the cost is everything the wallet paid (swap, fee, rent for a new token account).
    const cost = filled.source === 'chain' ? Number(filled.inAmount) + filled.feeLamports : plan.lamports + filled.feeLamports;
    return this.openBought(id, filled.venue, cost, filled.outAmount, filled.feeLamports, filled.signature);
  }

  /**
   * Opens a pending live buy a restart found confirmed: at what moved on chain, or else as before,
   * at the reserved amount (a pending row's cost) and the tokens the quote promised.
   */
  private async openLanded(p: Position, tx: TxRecord): Promise<void> {
    const fill = await confirmedFill(
      { wallet: this.d.wallet!, log: this.d.log },
      tx,
      { inputMint: SOL_MINT, outputMint: p.mint },
      { inAmount: BigInt(p.costLamports - tx.feeLamports), outAmount: BigInt(tx.expectedOut) },
    );
    const cost = fill.source === 'chain' ? Number(fill.inAmount) + fill.feeLamports : p.costLamports;
    this.openBought(p.id, fill.venue, cost, fill.outAmount, fill.feeLamports, fill.signature);
  }

  /** pending -> open with the fill; the buy trade is recorded in the same transaction. */
  openBought(id: number, venue: string, cost: number, tokens: bigint, fee: number, signature?: string): Position {
    const { store, clock } = this.d;
    const p = store.get(id)!;
    const now = clock.now();
    const price = cost / LAMPORTS_PER_SOL / (Number(tokens) / 10 ** p.decimals);
    store.db.transaction(() => {
      if (store.sql.open.run({ id, cost, tokens: tokens.toString(), price, now }).changes !== 1) return;
      if (p.mode === 'paper' && cost !== p.costLamports) {
        const diff = p.costLamports - cost;
        if (diff > 0) store.sql.paperCredit.run({ userKey: p.userKey, amount: diff, now });
      }
      store.sql.insertTrade.run({
        positionId: id, userKey: p.userKey, exitId: null, side: 'buy', reason: 'buy', mode: p.mode, venue,
        sol: cost, tokens: tokens.toString(), fee, pnl: null, price, signature: signature ?? null, now,
      });
    })();
    this.d.audit.record({ actor: p.userKey, action: 'buy', target: `position:${id}`, outcome: 'ok', detail: `${p.mode} ${p.mint} cost=${cost}` });
    return store.get(id)!;
  }

  failBuy(id: number, reason: string): void {
    const { store, clock } = this.d;
    const p = store.get(id);
    if (!p) return;
    const now = clock.now();
    store.db.transaction(() => {
      if (store.sql.failPending.run({ id, reason, now }).changes !== 1) return;
      if (p.mode === 'paper') store.sql.paperCredit.run({ userKey: p.userKey, amount: p.costLamports, now });
    })();
    this.d.audit.record({ actor: p.userKey, action: 'buy', target: `position:${id}`, outcome: 'failed', detail: reason });
  }

  // ---- selling and editing ----

  /** Sells `percent` of what is left, now, through the same claim as the monitor. */
  async sell(userKey: string, id: number, percent = 100): Promise<ExitResult> {
    this.assertOwner();
    this.d.lockdown.assertOff('Selling');
    if (!(percent > 0 && percent <= 100)) throw new UserError('Sell between 1% and 100% of a position.');
    const p = this.position(userKey, id);
    if (p.state !== 'open') throw new UserError(p.state === 'exiting' ? `Position #${id} is being sold already.` : `Position #${id} is ${p.state}; nothing to sell.`);
    if (p.exit) throw new UserError(`Position #${id} has a ${{ tp: 'take-profit', sl: 'stop-loss', trail: 'trailing-stop', manual: 'manual' }[p.exit.reason]} sale waiting to retry; it goes out shortly.`);
    const tokens = percent >= 100 ? p.tokensLeft : (p.tokensLeft * BigInt(Math.round(percent * 100))) / 10_000n;
    if (tokens <= 0n) throw new UserError('That is too small a share to sell.');
    const intent = { id: this.d.random(), reason: 'manual' as const, legs: [], tokens: tokens.toString() };
    if (!this.exits.claim(id, intent, userKey, p.version)) return { status: 'not_claimed', state: this.d.store.get(id)?.state };
    this.d.audit.record({ actor: userKey, action: 'sell', target: `position:${id}`, outcome: 'claimed', detail: `${percent}%` });
    return this.exits.run(id, { notify: false });
  }

  editPlan(userKey: string, id: number, change: { tp?: TpLeg[]; slPct?: number; trailing?: boolean }): Position {
    this.assertOwner();
    this.d.lockdown.assertOff('Changing TP/SL');
    const p = this.position(userKey, id);
    if (p.state !== 'open') throw new UserError(`Position #${id} is ${p.state}; its TP/SL cannot change now.`);
    if (p.exit) throw new UserError(`Position #${id} has a sale waiting to retry; change its TP/SL once that is done.`);
    const done = p.plan.tp.filter((l) => l.done);
    const tp = change.tp ? [...done, ...change.tp.map((l) => ({ ...l, done: false }))] : p.plan.tp;
    const plan: ExitPlan = { tp: tp.sort((a, b) => a.at - b.at), slPct: change.slPct ?? p.plan.slPct, trailing: change.trailing ?? p.plan.trailing };
    const why = checkPlan(plan);
    if (why) throw new UserError(done.length && change.tp ? `${why} (levels already sold count too.)` : why);
    const ok = this.d.store.sql.editPlan.run({ id, userKey, tp: JSON.stringify(plan.tp), slPct: plan.slPct, trailing: plan.trailing ? 1 : 0, now: this.d.clock.now() }).changes === 1;
    if (!ok) throw new UserError(`Position #${id} changed while you were editing it; look again with /positions.`);
    this.d.audit.record({ actor: userKey, action: 'edit-tpsl', target: `position:${id}`, outcome: 'ok' });
    return this.d.store.get(id)!;
  }

  // ---- lifecycle ----

  /**
   * Settles what a crash or restart left half-done, before the monitor or anyone may sell; then
   * tells `admins` (once per start) about live positions that nothing can sell.
   */
  async reconcile(opts: { admins?: readonly AdminChat[] } = {}): Promise<string> {
    const { store, log } = this.d;
    let buys = 0;
    for (const p of store.inState('pending')) {
      if (p.buyTx && this.d.wallet) {
        const o = await signatureOutcome(this.d.wallet.rpc, p.buyTx.signature, p.buyTx.lastValidBlockHeight).catch(() => ({ status: 'pending' as const }));
        if (o.status === 'confirmed') {
          await this.openLanded(p, p.buyTx);
          buys++;
          continue;
        }
        if (o.status === 'pending') {
          const tx = p.buyTx;
          this.exits.settleLater(tx, async (outcome) => {
            if (outcome === 'confirmed') await this.openLanded(p, tx);
            else this.failBuy(p.id, 'the transaction did not land');
          });
          continue;
        }
      } else if (p.buyTx) continue; // wallet locked: cannot look it up, so it is left pending rather than guessed
      this.failBuy(p.id, 'interrupted by a restart before it completed');
      this.d.notices.enqueue({ userKey: p.userKey, chatId: p.chatId, out: { text: `Your buy (position #${p.id}) was interrupted by a restart and did not go through; ${p.mode === 'paper' ? 'the paper SOL is back in your balance' : 'no tokens were bought (at most a network fee was paid)'}.` }, dedupeKey: `buyfail:${p.id}` });
      buys++;
    }
    const exits = await this.exits.reconcile();
    const stranded = this.warnStranded(opts.admins ?? []);
    const summary = `buys settled=${buys}; exits completed=${exits.completed} released=${exits.released} waiting=${exits.waiting}; live positions that cannot be sold=${stranded}`;
    log.info({ buys, ...exits, stranded }, 'trading reconciled');
    return summary;
  }

  /** Tells every admin which live positions cannot be sold and what to do; returns how many there are. */
  private warnStranded(admins: readonly AdminChat[]): number {
    const { store, notices, log } = this.d;
    const stranded = this.stranded();
    if (!stranded) return 0;
    const { positions, block } = stranded;
    log.warn({ positions: positions.map((p) => p.id), reason: block.reason }, 'live positions cannot be sold: the wallet is not unlocked');
    const text = strandedNotice(positions, block);
    store.db.transaction(() => {
      for (const a of admins) notices.enqueue({ userKey: a.key, chatId: a.chatId, out: { text } });
    })();
    notices.kick();
    return positions.length;
  }

  tick(signal?: AbortSignal): Promise<TickReport> {
    return this.monitor.tick(signal);
  }

  async close(timeoutMs: number): Promise<void> {
    await this.exits.close(timeoutMs);
  }

  describeLimits(userKey: string): string {
    const l = this.limits(userKey);
    return `Max ${sol(l.maxTradeLamports)} per trade, ${l.maxOpen} open positions, daily loss limit ${sol(l.dailyLossLamports)}.`;
  }
}

