/**
 * One switch for every drill: `JARVIS_DRILLS=full` (set by `npm run drills`) runs the sizes the
 * issue asks for; anything else runs the quick form that `npm test` picks up, a few iterations
 * each, so CI stays well under its budget.
 */
export const FULL = process.env.JARVIS_DRILLS === 'full';

/** `quick` normally, `full` under `JARVIS_DRILLS=full`. */
export function drillSize<T>(quick: T, full: T): T {
  return FULL ? full : quick;
}
