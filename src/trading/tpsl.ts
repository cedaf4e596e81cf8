/**
 * Take-profit ladders and stop-losses: parsing, validation and the trigger decision, as pure
 * functions over prices in SOL per whole token. The monitor, the buy flow and the benchmark share them.
 */

/** One rung of a take-profit ladder: when the price is `at`% over entry, sell `sell`% of the amount bought. */
export interface TpLeg {
  at: number;
  sell: number;
  done: boolean;
}

export interface ExitPlan {
  tp: TpLeg[];
  /** Stop-loss distance in %, below entry (fixed) or below the highest price seen (trailing). */
  slPct: number;
  trailing: boolean;
}

export const MAX_TP_LEGS = 8;

/** `50:50,100:50` or `100` (sell everything at +100%). Returns an error sentence for a person. */
export function parseTakeProfit(text: string): TpLeg[] | string {
  const parts = text.split(',').map((p) => p.trim()).filter(Boolean);
  if (parts.length === 0) return 'Take-profit is empty: give at least one level, like tp=50:50,100:50.';
  if (parts.length > MAX_TP_LEGS) return `At most ${MAX_TP_LEGS} take-profit levels.`;
  const legs: TpLeg[] = [];
  for (const p of parts) {
    const m = /^(\d+(?:\.\d+)?)%?(?::(\d+(?:\.\d+)?)%?)?$/.exec(p);
    if (!m) return `"${p.slice(0, 20)}" is not a take-profit level; write rise:sell in %, like 50:50.`;
    legs.push({ at: Number(m[1]), sell: m[2] === undefined ? (parts.length === 1 ? 100 : Number.NaN) : Number(m[2]), done: false });
  }
  if (legs.some((l) => Number.isNaN(l.sell))) return 'With several take-profit levels, give each one a share to sell, like 50:50,100:50.';
  return legs;
}

export function parseStopLoss(text: string): number | string {
  const m = /^(\d+(?:\.\d+)?)%?$/.exec(text.trim());
  if (!m) return `"${text.slice(0, 20)}" is not a stop-loss; give a percentage below entry, like sl=20.`;
  return Number(m[1]);
}

/** Undefined when the plan is acceptable, else why not (one sentence). */
export function checkPlan(plan: ExitPlan): string | undefined {
  if (!(plan.slPct > 0 && plan.slPct < 100)) return 'The stop-loss must be between 0% and 100% below entry.';
  if (plan.tp.length === 0) return 'A position needs at least one take-profit level.';
  let last = 0;
  let total = 0;
  for (const l of plan.tp) {
    if (!(l.at > 0 && l.at <= 100_000)) return 'Take-profit levels must be rises above 0%.';
    if (l.at <= last) return 'Take-profit levels must go up, each higher than the one before.';
    if (!(l.sell > 0 && l.sell <= 100)) return 'Each take-profit level sells more than 0% and at most 100%.';
    last = l.at;
    total += l.sell;
  }
  if (total > 100 + 1e-9) return `The take-profit levels sell ${round(total)}% in total; they can add up to at most 100%.`;
  return undefined;
}

export function describePlan(plan: ExitPlan): string {
  const tp = plan.tp.map((l) => `+${round(l.at)}% sell ${round(l.sell)}%${l.done ? ' (done)' : ''}`).join(', ');
  return `TP ${tp}; SL -${round(plan.slPct)}%${plan.trailing ? ' trailing' : ''}`;
}

/** `tp=50:50,100:50 sl=20 trail` form, for presets and edits. */
export function formatPlanArgs(plan: ExitPlan): string {
  return `tp=${plan.tp.filter((l) => !l.done).map((l) => `${round(l.at)}:${round(l.sell)}`).join(',')} sl=${round(plan.slPct)}${plan.trailing ? ' trail' : ''}`;
}

const round = (n: number): string => String(Math.round(n * 100) / 100);

/** What the monitor needs of an open position. */
export interface Watched {
  id: number;
  entryPrice: number;
  highPrice: number;
  plan: ExitPlan;
}

export type Trigger =
  /** Sell the listed ladder legs (indices), `sellPct`% of the amount bought, or everything left when `all`. */
  | { kind: 'tp'; legs: number[]; sellPct: number; all: boolean; price: number }
  | { kind: 'sl'; trailing: boolean; stop: number; price: number };

export function stopPrice(p: Pick<Watched, 'entryPrice' | 'highPrice' | 'plan'>): number {
  return stopBelow(p.plan.trailing ? Math.max(p.entryPrice, p.highPrice) : p.entryPrice, p.plan.slPct);
}

/** The stop `slPct`% under `base` (the entry, or the high for a trailing stop). */
export function stopBelow(base: number, slPct: number): number {
  return base * (1 - slPct / 100);
}

/** The price at which a take-profit level `at`% over entry fires. */
export function levelPrice(entryPrice: number, at: number): number {
  return entryPrice * (1 + at / 100);
}

/**
 * The lowest price at which a level still to do fires (Infinity when none is left). Below it and
 * above the stop, `evaluate` fires nothing: the monitor skips such positions without calling it.
 */
export function firstTakeProfit(entryPrice: number, tp: readonly TpLeg[]): number {
  let first = Number.POSITIVE_INFINITY;
  for (const l of tp) if (!l.done) first = Math.min(first, levelPrice(entryPrice, l.at));
  return first;
}

/**
 * Decides one position at one price. The stop is checked against the high *before* this price
 * moves it, so a single tick cannot both raise a trailing stop and fire on it.
 */
export function evaluate(p: Watched, price: number): { trigger?: Trigger; high: number } {
  if (!(price > 0) || !Number.isFinite(price)) return { high: p.highPrice };
  const high = Math.max(p.highPrice, price);
  const stop = stopPrice(p);
  if (price <= stop) return { trigger: { kind: 'sl', trailing: p.plan.trailing, stop, price }, high };
  const legs: number[] = [];
  let sellPct = 0;
  p.plan.tp.forEach((l, i) => {
    if (!l.done && price >= levelPrice(p.entryPrice, l.at)) {
      legs.push(i);
      sellPct += l.sell;
    }
  });
  if (legs.length === 0) return { high };
  const remaining = p.plan.tp.filter((l, i) => !l.done && !legs.includes(i));
  const ladderTotal = p.plan.tp.reduce((s, l) => s + l.sell, 0);
  // The last rung of a ladder that adds up to (about) 100% sells whatever is left: 3 × 33.33% must not leave dust.
  const all = remaining.length === 0 && ladderTotal >= 99.5;
  return { trigger: { kind: 'tp', legs, sellPct, all, price }, high };
}
