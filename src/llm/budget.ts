import type { Ledger } from './ledger.js';
import { NANOS_PER_USD } from './ledger.js';
import type { LlmConfig } from './config.js';

/**
 * Claude budgets, per person and for the whole Jarvis, per UTC day and month. Checked before each
 * call with the call's worst case (its input and max output tokens), so a call never starts that
 * would take a budget over; the local model costs nothing and is never limited here.
 */

export interface BudgetLimit {
  scope: 'your daily' | 'your monthly' | "everyone's daily" | "everyone's monthly";
  limitUsd: number;
  spentUsd: number;
  /** When it starts again. */
  resetsAt: number;
}

export function dayStart(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
}

export function monthStart(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

function nextMonth(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

export class Budgets {
  constructor(
    private readonly ledger: Ledger,
    private readonly limits: LlmConfig['budgets'],
  ) {}

  /** Every limit with what is spent against it, for /usage. */
  state(userKey: string, now: number): BudgetLimit[] {
    const day = dayStart(now);
    const month = monthStart(now);
    const usd = (n: number) => n / NANOS_PER_USD;
    return [
      { scope: 'your daily', limitUsd: this.limits.userDailyUsd, spentUsd: usd(this.ledger.spent(userKey, day)), resetsAt: day + 86_400_000 },
      { scope: 'your monthly', limitUsd: this.limits.userMonthlyUsd, spentUsd: usd(this.ledger.spent(userKey, month)), resetsAt: nextMonth(now) },
      { scope: "everyone's daily", limitUsd: this.limits.globalDailyUsd, spentUsd: usd(this.ledger.spent(undefined, day)), resetsAt: day + 86_400_000 },
      { scope: "everyone's monthly", limitUsd: this.limits.globalMonthlyUsd, spentUsd: usd(this.ledger.spent(undefined, month)), resetsAt: nextMonth(now) },
    ];
  }

  /** The first limit a call costing up to `estimateNanos` would break, if any. */
  blocking(userKey: string, estimateNanos: number, now: number): BudgetLimit | undefined {
    const extra = estimateNanos / NANOS_PER_USD;
    return this.state(userKey, now).find((b) => b.spentUsd + extra > b.limitUsd + 1e-12);
  }
}
