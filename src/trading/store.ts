import type { Db } from '../storage/database.js';
import type { PriorityLevel } from '../config.js';
import type { ExitPlan, TpLeg } from './tpsl.js';

/**
 * The trading tables and every statement over them. State moves are conditional updates: each
 * returns whether it changed the row, and only the caller that changed it may act on it.
 */

export type Mode = 'paper' | 'live';
export type PositionState = 'pending' | 'open' | 'exiting' | 'closed' | 'failed';

/** A landing transaction, recorded before its first send so a restart can look it up. */
export interface TxRecord {
  signature: string;
  lastValidBlockHeight: number;
  venue: string;
  /** What the quote promised, used as the fill when the transaction lands. */
  expectedOut: string;
  feeLamports: number;
  /** The slippage it was quoted with (absent in rows written before stop 13). */
  slippageBps?: number;
}

/** The exit under way (state exiting) or waiting for its retry (state open, retry_at set). */
export interface ExitIntent {
  id: string;
  reason: 'tp' | 'sl' | 'trail' | 'manual';
  legs: number[];
  /** Base units to sell. */
  tokens: string;
  triggerPrice?: number;
  tx?: TxRecord;
  /**
   * Slippage of this exit's next attempt when a stop-loss widened it after slippage failures
   * (stop-slippage.ts); absent: the position's own. Kept on the row, so a restart resumes from it.
   */
  slippageBps?: number;
  /** The owner has been told this stop-loss keeps failing at the widest slippage allowed. */
  capWarned?: boolean;
}

export interface Position {
  id: number;
  userKey: string;
  chatId: string;
  mode: Mode;
  mint: string;
  decimals: number;
  state: PositionState;
  version: number;
  costLamports: number;
  tokensBought: bigint;
  tokensLeft: bigint;
  entryPrice: number;
  highPrice: number;
  lastPrice: number | null;
  plan: ExitPlan;
  slippageBps: number;
  realizedLamports: number;
  exit?: ExitIntent;
  exitAttempts: number;
  retryAt: number | null;
  buyTx?: TxRecord;
  failure: string | null;
  openedAt: number;
  updatedAt: number;
  closedAt: number | null;
}

export interface Settings {
  mode: Mode;
  slippageBps: number | null;
  priority: PriorityLevel;
  preset?: ExitPlan;
  maxTradeLamports: number | null;
  maxOpen: number | null;
  dailyLossLamports: number | null;
}

export interface TradeRow {
  id: number;
  positionId: number;
  side: 'buy' | 'sell';
  reason: string;
  mode: Mode;
  venue: string;
  solLamports: number;
  tokens: string;
  feeLamports: number;
  pnlLamports: number | null;
  price: number;
  signature: string | null;
  at: number;
  mint: string;
}

interface PositionRow {
  id: number;
  user_key: string;
  chat_id: string;
  mode: Mode;
  mint: string;
  decimals: number;
  state: PositionState;
  version: number;
  cost_lamports: number;
  tokens_bought: string;
  tokens_left: string;
  entry_price: number;
  high_price: number;
  last_price: number | null;
  mark_price?: number | null;
  sl_pct: number;
  sl_trailing: number;
  tp: string;
  slippage_bps: number;
  realized_lamports: number;
  exit: string | null;
  exit_attempts: number;
  retry_at: number | null;
  buy_tx: string | null;
  failure: string | null;
  opened_at: number;
  updated_at: number;
  closed_at: number | null;
}

function toPosition(r: PositionRow): Position {
  return {
    id: r.id,
    userKey: r.user_key,
    chatId: r.chat_id,
    mode: r.mode,
    mint: r.mint,
    decimals: r.decimals,
    state: r.state,
    version: r.version,
    costLamports: r.cost_lamports,
    tokensBought: BigInt(r.tokens_bought),
    tokensLeft: BigInt(r.tokens_left),
    entryPrice: r.entry_price,
    highPrice: r.high_price,
    lastPrice: r.mark_price ?? r.last_price,
    plan: { tp: JSON.parse(r.tp) as TpLeg[], slPct: r.sl_pct, trailing: r.sl_trailing === 1 },
    slippageBps: r.slippage_bps,
    realizedLamports: r.realized_lamports,
    exit: r.exit ? (JSON.parse(r.exit) as ExitIntent) : undefined,
    exitAttempts: r.exit_attempts,
    retryAt: r.retry_at,
    buyTx: r.buy_tx ? (JSON.parse(r.buy_tx) as TxRecord) : undefined,
    failure: r.failure,
    openedAt: r.opened_at,
    updatedAt: r.updated_at,
    closedAt: r.closed_at,
  };
}

export interface NewPosition {
  userKey: string;
  chatId: string;
  mode: Mode;
  mint: string;
  decimals: number;
  plan: ExitPlan;
  slippageBps: number;
  now: number;
}

export interface Fill {
  venue: string;
  solLamports: number;
  tokens: bigint;
  feeLamports: number;
  price: number;
  signature?: string;
}

/** Monitor view of an open position: only what a tick needs. */
export interface WatchedRow {
  id: number;
  version: number;
  mint: string;
  entry_price: number;
  high_price: number;
  sl_pct: number;
  sl_trailing: number;
  tp: string;
  retry_at: number | null;
  exit: string | null;
}

const WATCHED = 'SELECT id, version, mint, entry_price, high_price, sl_pct, sl_trailing, tp, retry_at, exit FROM positions';

/** Positions with the latest price of their mint (mint_prices), falling back to the price at the last fill. */
const WITH_MARK = 'SELECT p.*, m.price AS mark_price FROM positions p LEFT JOIN mint_prices m ON m.mint = p.mint';

export interface Mark {
  id: number;
  /** Set when the price rose past the position's recorded high (trailing stops follow it). */
  high?: number;
}

export class TradingStore {
  readonly sql;
  /** Wrapped once: every tick writes its marks through it. */
  private readonly marks: (mintPrices: ReadonlyMap<string, number>, raised: readonly Mark[], at: number) => void;

  constructor(readonly db: Db) {
    this.sql = {
      settings: db.prepare('SELECT * FROM trading_settings WHERE user_key = ?'),
      upsertSettings: db.prepare(
        `INSERT INTO trading_settings (user_key, mode, slippage_bps, priority, preset_tp, preset_sl, preset_trailing, max_trade_lamports, max_open, daily_loss_lamports, updated_at)
         VALUES (@userKey, @mode, @slippageBps, @priority, @presetTp, @presetSl, @presetTrailing, @maxTrade, @maxOpen, @dailyLoss, @now)
         ON CONFLICT(user_key) DO UPDATE SET mode = excluded.mode, slippage_bps = excluded.slippage_bps, priority = excluded.priority,
           preset_tp = excluded.preset_tp, preset_sl = excluded.preset_sl, preset_trailing = excluded.preset_trailing,
           max_trade_lamports = excluded.max_trade_lamports, max_open = excluded.max_open, daily_loss_lamports = excluded.daily_loss_lamports, updated_at = excluded.updated_at`,
      ),
      paper: db.prepare('SELECT lamports FROM paper_accounts WHERE user_key = ?'),
      paperCreate: db.prepare('INSERT INTO paper_accounts (user_key, lamports, created_at, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(user_key) DO NOTHING'),
      paperDebit: db.prepare('UPDATE paper_accounts SET lamports = lamports - @amount, updated_at = @now WHERE user_key = @userKey AND lamports >= @amount'),
      paperCredit: db.prepare('UPDATE paper_accounts SET lamports = lamports + @amount, updated_at = @now WHERE user_key = @userKey'),
      insertPending: db.prepare(
        `INSERT INTO positions (user_key, chat_id, mode, mint, decimals, state, cost_lamports, sl_pct, sl_trailing, tp, slippage_bps, opened_at, updated_at)
         VALUES (@userKey, @chatId, @mode, @mint, @decimals, 'pending', @reserved, @slPct, @trailing, @tp, @slippageBps, @now, @now)`,
      ),
      byId: db.prepare(`${WITH_MARK} WHERE p.id = ?`),
      byState: db.prepare(`${WITH_MARK} WHERE p.state = ? ORDER BY p.id`),
      forUser: db.prepare(`${WITH_MARK} WHERE p.user_key = ? AND p.state IN ('pending', 'open', 'exiting') ORDER BY p.id`),
      countOpen: db.prepare("SELECT COUNT(*) AS n FROM positions WHERE user_key = ? AND state IN ('pending', 'open', 'exiting')"),
      watched: db.prepare(`${WATCHED} WHERE state = 'open'`),
      watchedById: db.prepare(`${WATCHED} WHERE id = ? AND state = 'open'`),
      // One string, not 10,000 rows: unchanged since the last tick, it is all a tick reads of the positions.
      openList: db.prepare("SELECT coalesce(group_concat(id || ':' || version, ','), '') FROM positions WHERE state = 'open'").pluck(),
      heldMints: db.prepare("SELECT DISTINCT mint FROM positions WHERE state IN ('open', 'exiting') ORDER BY mint"),
      open: db.prepare(
        `UPDATE positions SET state = 'open', version = version + 1, cost_lamports = @cost, tokens_bought = @tokens, tokens_left = @tokens,
           entry_price = @price, high_price = @price, last_price = @price, buy_tx = NULL, updated_at = @now
         WHERE id = @id AND state = 'pending'`,
      ),
      setBuyTx: db.prepare("UPDATE positions SET buy_tx = @tx, updated_at = @now WHERE id = @id AND state = 'pending'"),
      failPending: db.prepare("UPDATE positions SET state = 'failed', failure = @reason, version = version + 1, closed_at = @now, updated_at = @now WHERE id = @id AND state = 'pending'"),
      claim: db.prepare(
        `UPDATE positions SET state = 'exiting', exit = @exit, version = version + 1, updated_at = @now
         WHERE id = @id AND state = 'open' AND (@userKey IS NULL OR user_key = @userKey) AND (@version IS NULL OR version = @version)`,
      ),
      // A stop firing while a take-profit sale waits for its retry takes its place (nothing is in flight then).
      escalate: db.prepare("UPDATE positions SET exit = @exit, retry_at = @now, version = version + 1, updated_at = @now WHERE id = @id AND state = 'open' AND exit = @old"),
      setExitTx: db.prepare("UPDATE positions SET exit = @exit, updated_at = @now WHERE id = @id AND state = 'exiting'"),
      release: db.prepare(
        `UPDATE positions SET state = 'open', version = version + 1, exit = @exit, exit_attempts = @attempts, retry_at = @retryAt, updated_at = @now
         WHERE id = @id AND state = 'exiting'`,
      ),
      finishExit: db.prepare(
        `UPDATE positions SET state = @state, version = version + 1, tokens_left = @tokensLeft, realized_lamports = realized_lamports + @proceeds,
           tp = @tp, exit = NULL, exit_attempts = 0, retry_at = NULL, last_price = @price, updated_at = @now, closed_at = @closedAt
         WHERE id = @id AND state = 'exiting'`,
      ),
      insertTrade: db.prepare(
        `INSERT INTO trades (position_id, user_key, exit_id, side, reason, mode, venue, sol_lamports, tokens, fee_lamports, pnl_lamports, price, signature, at)
         VALUES (@positionId, @userKey, @exitId, @side, @reason, @mode, @venue, @sol, @tokens, @fee, @pnl, @price, @signature, @now)`,
      ),
      tradeByExit: db.prepare('SELECT id FROM trades WHERE exit_id = ?'),
      editPlan: db.prepare("UPDATE positions SET tp = @tp, sl_pct = @slPct, sl_trailing = @trailing, version = version + 1, updated_at = @now WHERE id = @id AND state = 'open' AND user_key = @userKey AND exit IS NULL"),
      // Positional parameters: these two run hundreds of times a tick, and named binding costs more.
      raiseHigh: db.prepare("UPDATE positions SET high_price = ? WHERE id = ? AND state IN ('open', 'exiting') AND high_price < ?"),
      markMint: db.prepare('INSERT INTO mint_prices (mint, price, at) VALUES (?, ?, ?) ON CONFLICT(mint) DO UPDATE SET price = excluded.price, at = excluded.at'),
      closedSince: db.prepare("SELECT realized_lamports, cost_lamports FROM positions WHERE user_key = ? AND state = 'closed' AND closed_at >= ?"),
      realizedSince: db.prepare("SELECT COALESCE(SUM(pnl_lamports), 0) AS pnl FROM trades WHERE user_key = ? AND side = 'sell' AND at >= ?"),
      trades: db.prepare('SELECT t.*, p.mint FROM trades t JOIN positions p ON p.id = t.position_id WHERE t.user_key = ? AND t.at >= ? ORDER BY t.id'),
      gap: db.prepare('SELECT missing_since, warned FROM price_gaps WHERE mint = ?'),
      gapStart: db.prepare('INSERT INTO price_gaps (mint, missing_since) VALUES (?, ?) ON CONFLICT(mint) DO NOTHING'),
      gapWarned: db.prepare('UPDATE price_gaps SET warned = 1 WHERE mint = ? AND warned = 0'),
      gapEnd: db.prepare('DELETE FROM price_gaps WHERE mint = ?'),
      gapped: db.prepare('SELECT mint FROM price_gaps').pluck(),
      ownersOf: db.prepare("SELECT DISTINCT user_key, chat_id FROM positions WHERE mint = ? AND state IN ('open', 'exiting')"),
    };
    this.marks = db.transaction((mintPrices: ReadonlyMap<string, number>, raised: readonly Mark[], at: number) => {
      for (const [mint, price] of mintPrices) this.sql.markMint.run(mint, price, at);
      for (const m of raised) if (m.high !== undefined) this.sql.raiseHigh.run(m.high, m.id, m.high);
    });
  }

  settings(userKey: string): Settings {
    const r = this.sql.settings.get(userKey) as
      | { mode: Mode; slippage_bps: number | null; priority: PriorityLevel; preset_tp: string | null; preset_sl: number | null; preset_trailing: number; max_trade_lamports: number | null; max_open: number | null; daily_loss_lamports: number | null }
      | undefined;
    if (!r) return { mode: 'paper', slippageBps: null, priority: 'medium', maxTradeLamports: null, maxOpen: null, dailyLossLamports: null };
    return {
      mode: r.mode,
      slippageBps: r.slippage_bps,
      priority: r.priority,
      preset: r.preset_tp && r.preset_sl !== null ? { tp: JSON.parse(r.preset_tp) as TpLeg[], slPct: r.preset_sl, trailing: r.preset_trailing === 1 } : undefined,
      maxTradeLamports: r.max_trade_lamports,
      maxOpen: r.max_open,
      dailyLossLamports: r.daily_loss_lamports,
    };
  }

  saveSettings(userKey: string, s: Settings, now: number): void {
    this.sql.upsertSettings.run({
      userKey,
      mode: s.mode,
      slippageBps: s.slippageBps,
      priority: s.priority,
      presetTp: s.preset ? JSON.stringify(s.preset.tp.map((l) => ({ ...l, done: false }))) : null,
      presetSl: s.preset?.slPct ?? null,
      presetTrailing: s.preset?.trailing ? 1 : 0,
      maxTrade: s.maxTradeLamports,
      maxOpen: s.maxOpen,
      dailyLoss: s.dailyLossLamports,
      now,
    });
  }

  /** The paper balance, opening the account at `start` on first use. */
  paperBalance(userKey: string, start: number, now: number): number {
    this.sql.paperCreate.run(userKey, start, now, now);
    return (this.sql.paper.get(userKey) as { lamports: number }).lamports;
  }

  get(id: number): Position | undefined {
    const r = this.sql.byId.get(id) as PositionRow | undefined;
    return r ? toPosition(r) : undefined;
  }

  inState(state: PositionState): Position[] {
    return (this.sql.byState.all(state) as PositionRow[]).map(toPosition);
  }

  activeFor(userKey: string): Position[] {
    return (this.sql.forUser.all(userKey) as PositionRow[]).map(toPosition);
  }

  countActive(userKey: string): number {
    return (this.sql.countOpen.get(userKey) as { n: number }).n;
  }

  /** One tick's marks in one transaction: the price per mint, and only the highs that rose. */
  writeMarks(mintPrices: ReadonlyMap<string, number>, raised: readonly Mark[], at: number): void {
    this.marks(mintPrices, raised, at);
  }

  watched(): WatchedRow[] {
    return this.sql.watched.all() as WatchedRow[];
  }

  /**
   * `id:version,id:version,...` of every open position, from an index alone, in index order.
   * Equal strings mean the same open set at the same versions; a string is far cheaper to get
   * out of SQLite and compare than one array per row.
   */
  openList(): string {
    return this.sql.openList.get() as string;
  }

  watchedById(id: number): WatchedRow | undefined {
    return this.sql.watchedById.get(id) as WatchedRow | undefined;
  }

  heldMints(): string[] {
    return (this.sql.heldMints.all() as { mint: string }[]).map((r) => r.mint);
  }

  closedSince(userKey: string, since: number): { realizedLamports: number; costLamports: number }[] {
    return (this.sql.closedSince.all(userKey, since) as { realized_lamports: number; cost_lamports: number }[]).map((r) => ({ realizedLamports: r.realized_lamports, costLamports: r.cost_lamports }));
  }

  realizedSince(userKey: string, since: number): number {
    return (this.sql.realizedSince.get(userKey, since) as { pnl: number }).pnl;
  }

  trades(userKey: string, since: number): TradeRow[] {
    return (this.sql.trades.all(userKey, since) as Record<string, unknown>[]).map((r) => ({
      id: r.id as number,
      positionId: r.position_id as number,
      side: r.side as 'buy' | 'sell',
      reason: r.reason as string,
      mode: r.mode as Mode,
      venue: r.venue as string,
      solLamports: r.sol_lamports as number,
      tokens: r.tokens as string,
      feeLamports: r.fee_lamports as number,
      pnlLamports: r.pnl_lamports as number | null,
      price: r.price as number,
      signature: r.signature as string | null,
      at: r.at as number,
      mint: r.mint as string,
    }));
  }
}
