import type { ExitIntent, Position } from './store.js';

/**
 * How far a stop-loss widens its slippage. A token falling faster than a position's slippage
 * makes every sale fail with 0x1771, and retried at the same slippage a stop-loss could keep
 * failing for as long as the fall lasts. So every try after a slippage failure of a stop (fixed
 * or trailing) doubles the slippage, up to TRADING_SL_MAX_SLIPPAGE_BPS (never below the
 * position's own): the re-quote inside an attempt, and the next attempt after it. Take-profits and manual sales never widen: nothing forces them out at a worse
 * price than the person chose.
 *
 * The slippage reached lives on the exit intent (positions.exit), written by the same guarded
 * update that puts the position back to open: a restart resumes from it, and a new exit (a stop
 * replacing a waiting take-profit, or the next sale) starts again from the position's own.
 */

export interface Widening {
  /** The slippage the failed attempt used. */
  used: number;
  /** The slippage of the next attempt. */
  next: number;
  /** The failed attempt was already at the cap: widening cannot help any more. */
  atCap: boolean;
}

export function isStopExit(reason: ExitIntent['reason']): boolean {
  return reason === 'sl' || reason === 'trail';
}

/** The slippage an attempt of this exit quotes with. */
export function exitSlippageBps(p: Pick<Position, 'slippageBps'>, intent: Pick<ExitIntent, 'slippageBps'>): number {
  return intent.slippageBps ?? p.slippageBps;
}

/** The widest a stop-loss of this position goes. */
function capOf(p: Pick<Position, 'slippageBps'>, capBps: number): number {
  return Math.max(capBps, p.slippageBps);
}

/**
 * The slippage of the one re-quote inside an attempt, after its first transaction failed on
 * slippage: a stop-loss doubles it there already (up to the cap); others keep it (undefined).
 */
export function requoteSlippageBps(p: Pick<Position, 'slippageBps'>, intent: Pick<ExitIntent, 'reason' | 'slippageBps'>, capBps: number): number | undefined {
  if (!isStopExit(intent.reason)) return undefined;
  return Math.min(capOf(p, capBps), exitSlippageBps(p, intent) * 2);
}

/**
 * After an attempt failed on slippage: how a stop-loss widens for the next one; undefined for
 * exits that never widen. `lastBps` is the slippage the attempt ended with (its re-quote's).
 */
export function widenAfterSlippage(p: Pick<Position, 'slippageBps'>, intent: Pick<ExitIntent, 'reason' | 'slippageBps'>, capBps: number, lastBps?: number): Widening | undefined {
  if (!isStopExit(intent.reason)) return undefined;
  const cap = capOf(p, capBps);
  const used = lastBps ?? exitSlippageBps(p, intent);
  return { used, next: Math.min(cap, used * 2), atCap: used >= cap };
}
