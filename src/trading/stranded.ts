import type { Db } from '../storage/database.js';
import { shortMint } from './format.js';

/**
 * Live positions nothing can sell. A live exit is signed by the wallet, and the wallet is unlocked
 * only when TRADING_MODE=live, a wallet is stored and JARVIS_MASTER_SECRET opens it (who is in
 * TRADING_LIVE_USERS does not matter to exits). Without it the exit desk cannot sell them: every
 * take-profit, stop-loss or manual sale fails with "no wallet is unlocked" and is retried without
 * end, never on paper instead, and a transaction sent before a restart cannot even be looked up.
 * So this is said at start (to admins), on /status and by `jarvis doctor`.
 */

export interface StrandedPosition {
  id: number;
  userKey: string;
  mint: string;
  state: 'pending' | 'open' | 'exiting';
  /** A transaction (the buy, or a sale) was sent and its outcome is not known yet. */
  sent: boolean;
}

/** Why live exits cannot run, and what to do about it, in words for an admin. */
export interface LiveBlock {
  reason: string;
  fix: string;
}

export interface WalletState {
  mode: 'paper' | 'live';
  stored: boolean;
  secretSet: boolean;
  /** The master secret opens the stored wallet. */
  unlocks: boolean;
}

/** Undefined when the wallet is unlocked, so live exits can be signed. */
export function liveExitBlock(w: WalletState): LiveBlock | undefined {
  if (w.mode !== 'live') {
    return { reason: 'TRADING_MODE is paper, so the wallet that signs their sales is not unlocked', fix: 'set TRADING_MODE=live again (with JARVIS_MASTER_SECRET) and restart Jarvis; new buys stay paper for whoever chose /settings mode paper' };
  }
  if (!w.stored) return { reason: 'no wallet is stored to sign their sales', fix: 'import the wallet that holds these tokens with `jarvis wallet import` and restart Jarvis' };
  if (!w.secretSet) return { reason: 'JARVIS_MASTER_SECRET is not set, so the wallet that signs their sales stays locked', fix: 'set JARVIS_MASTER_SECRET in the environment Jarvis runs in and restart it' };
  if (!w.unlocks) return { reason: 'JARVIS_MASTER_SECRET does not unlock the stored wallet, so Jarvis refuses to start', fix: 'set the right JARVIS_MASTER_SECRET (test it with `jarvis wallet check`) and restart Jarvis' };
  return undefined;
}

/** Live positions not yet settled (pending, open, exiting), oldest first. */
export function activeLivePositions(db: Db): StrandedPosition[] {
  const rows = db
    .prepare("SELECT id, user_key, mint, state, exit, buy_tx FROM positions WHERE mode = 'live' AND state IN ('pending', 'open', 'exiting') ORDER BY id")
    .all() as { id: number; user_key: string; mint: string; state: StrandedPosition['state']; exit: string | null; buy_tx: string | null }[];
  return rows.map((r) => ({
    id: r.id,
    userKey: r.user_key,
    mint: r.mint,
    state: r.state,
    sent: r.state === 'pending' ? r.buy_tx !== null : r.state === 'exiting' && hasTx(r.exit),
  }));
}

function hasTx(exit: string | null): boolean {
  if (!exit) return false;
  try {
    return Boolean((JSON.parse(exit) as { tx?: unknown }).tx);
  } catch {
    return false;
  }
}

const LISTED = 10;

/** "#3, #5 and 2 more": the ids, for one-line reports. */
export function strandedIds(list: readonly StrandedPosition[]): string {
  const ids = list.slice(0, LISTED).map((p) => `#${p.id}`).join(', ');
  return list.length > LISTED ? `${ids} and ${list.length - LISTED} more` : ids;
}

function stateNote(p: StrandedPosition): string {
  if (p.state === 'pending') return p.sent ? 'buying: its buy was sent and cannot be looked up' : 'buying';
  if (p.state === 'exiting') return p.sent ? 'selling: a sale was sent and cannot be looked up' : 'selling';
  return 'open';
}

/** The message every admin gets at start. */
export function strandedNotice(list: readonly StrandedPosition[], block: LiveBlock): string {
  const n = list.length;
  const lines = [`⚠️ ${n} live position${n === 1 ? '' : 's'} cannot be sold: ${block.reason}.`];
  for (const p of list.slice(0, LISTED)) lines.push(`• #${p.id} ${shortMint(p.mint)} (${p.userKey}), ${stateNote(p)}`);
  if (n > LISTED) lines.push(`• and ${n - LISTED} more (see jarvis doctor)`);
  lines.push('Their take-profit, stop-loss and manual sales fail and are retried without end; nothing is sold on paper instead.');
  lines.push(`To fix: ${block.fix}.`);
  return lines.join('\n');
}

/** One line for /status and `jarvis doctor`. */
export function strandedLine(list: readonly StrandedPosition[], block: LiveBlock): string {
  return `${list.length} live position(s) (${strandedIds(list)}) cannot be sold: ${block.reason}`;
}
