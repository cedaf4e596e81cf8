import type { Db } from '../storage/database.js';
import type { Prices } from './config.js';
import type { LlmUsage, ProviderName } from './types.js';

/**
 * The cost ledger (table llm_calls): one row per model call with its tokens and price. Costs are
 * integer nano-dollars so totals are exact; a price table in config turns tokens into money.
 */

export interface LedgerEntry {
  at: number;
  userKey: string;
  provider: ProviderName;
  model: string;
  purpose: string;
  usage: LlmUsage;
  costNanos: number;
  outcome: string;
  reason?: string;
  ms?: number;
}

export interface SpendRow {
  userKey: string;
  provider: ProviderName;
  calls: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costNanos: number;
}

export const NANOS_PER_USD = 1_000_000_000;

/** What `usage` costs at `prices` (USD per million tokens), in nano-dollars. */
export function costNanos(usage: LlmUsage, prices: Prices): number {
  // USD per million tokens = 1,000 nano-dollars per token per USD/MTok.
  const per = (tokens: number, usdPerMTok: number) => Math.round(tokens * usdPerMTok * 1_000);
  return per(usage.inputTokens, prices.input) + per(usage.outputTokens, prices.output) + per(usage.cacheReadTokens, prices.cacheRead) + per(usage.cacheWriteTokens, prices.cacheWrite);
}

export class Ledger {
  private readonly sql;

  constructor(db: Db) {
    this.sql = {
      insert: db.prepare(
        `INSERT INTO llm_calls (at, user_key, provider, model, purpose, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_nanos, outcome, reason, ms)
         VALUES (@at, @userKey, @provider, @model, @purpose, @input, @output, @cacheRead, @cacheWrite, @cost, @outcome, @reason, @ms)`,
      ),
      spentBy: db.prepare('SELECT COALESCE(SUM(cost_nanos), 0) AS n FROM llm_calls WHERE user_key = ? AND at >= ?'),
      spentAll: db.prepare('SELECT COALESCE(SUM(cost_nanos), 0) AS n FROM llm_calls WHERE at >= ?'),
      rows: db.prepare(
        `SELECT user_key AS userKey, provider, COUNT(*) AS calls, SUM(input_tokens) AS inputTokens, SUM(output_tokens) AS outputTokens,
                SUM(cache_read_tokens) AS cacheReadTokens, SUM(cache_write_tokens) AS cacheWriteTokens, SUM(cost_nanos) AS costNanos
         FROM llm_calls WHERE at >= @since AND (@user IS NULL OR user_key = @user) GROUP BY user_key, provider ORDER BY user_key, provider`,
      ),
      prune: db.prepare('DELETE FROM llm_calls WHERE at < ?'),
    };
  }

  record(e: LedgerEntry): void {
    this.sql.insert.run({
      at: e.at,
      userKey: e.userKey,
      provider: e.provider,
      model: e.model,
      purpose: e.purpose,
      input: e.usage.inputTokens,
      output: e.usage.outputTokens,
      cacheRead: e.usage.cacheReadTokens,
      cacheWrite: e.usage.cacheWriteTokens,
      cost: e.costNanos,
      outcome: e.outcome,
      reason: e.reason ?? null,
      ms: e.ms ?? null,
    });
  }

  /** Nano-dollars spent since `since` by one person, or by everyone. */
  spent(userKey: string | undefined, since: number): number {
    return ((userKey === undefined ? this.sql.spentAll.get(since) : this.sql.spentBy.get(userKey, since)) as { n: number }).n;
  }

  /** Totals per person and provider since `since` (one person's, or everyone's). */
  rows(since: number, userKey?: string): SpendRow[] {
    return this.sql.rows.all({ since, user: userKey ?? null }) as SpendRow[];
  }

  prune(before: number): number {
    return this.sql.prune.run(before).changes;
  }
}
