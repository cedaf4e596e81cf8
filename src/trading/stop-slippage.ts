import type { ExitIntent, Position } from './store.js';

/**
 * How far a stop-loss widens its slippage. A token falling faster than a position's slippage
 * makes every sale fail with 0x1771, and retried at the same slippage a stop-loss could keep
 * failing for as long as the fall lasts. So each retry after a slippage failure of a stop (fixed
 * or trailing) doubles the slippage, up to TRADING_SL_MAX_SLIPPAGE_BPS (never below the
 * position's own). Take-profits and manual sales never widen: nothing forces them out at a worse
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

/** After a slippage failure: how a stop-loss widens; undefined for exits that never widen. */
export function widenAfterSlippage(p: Pick<Position, 'slippageBps'>, intent: Pick<ExitIntent, 'reason' | 'slippageBps'>, capBps: number): Widening | undefined {
  if (!isStopExit(intent.reason)) return undefined;
  const cap = Math.max(capBps, p.slippageBps);
  const used = exitSlippageBps(p, intent);
  return { used, next: Math.min(cap, used * 2), atCap: used >= cap };
}
