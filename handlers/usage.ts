import type { Ctx, Handler } from '../src/core/handler.js';
import { UserError } from '../src/core/errors.js';
import { bold, plain, type Span } from '../src/core/message.js';
import { formatDuration } from '../src/core/render.js';
import { dayStart, monthStart } from '../src/llm/budget.js';
import { costNanos, NANOS_PER_USD, type SpendRow } from '../src/llm/ledger.js';
import type { Prices } from '../src/llm/config.js';

/**
 * /usage: AI spend against the budgets (yours, and everyone's that limits you); `/usage all` lets
 * an admin see each person's spend this month.
 */

const usd = (nanos: number) => `$${(nanos / NANOS_PER_USD).toFixed(nanos > 0 && nanos < NANOS_PER_USD ? 4 : 2)}`;

function providerLines(rows: SpendRow[]): string {
  if (rows.length === 0) return 'no calls';
  return rows.map((r) => `${r.provider}: ${r.calls} call${r.calls === 1 ? '' : 's'}, ${r.inputTokens + r.cacheReadTokens + r.cacheWriteTokens} in / ${r.outputTokens} out tokens, ${usd(r.costNanos)}`).join('; ');
}

/**
 * What routing saved: the local model's calls priced as if Claude had answered them with the same
 * tokens, against what all the calls would have cost on Claude. An estimate (Claude's answers would
 * not have had the same length), but from real traffic rather than a benchmark.
 */
function savedLine(rows: SpendRow[], claude: Prices): string | undefined {
  const asClaude = (r: SpendRow) => costNanos({ inputTokens: r.inputTokens, outputTokens: r.outputTokens, cacheReadTokens: r.cacheReadTokens, cacheWriteTokens: r.cacheWriteTokens }, claude);
  const local = rows.filter((r) => r.provider === 'local').reduce((n, r) => n + asClaude(r), 0);
  if (local === 0) return undefined;
  const claudeSpent = rows.filter((r) => r.provider === 'claude').reduce((n, r) => n + r.costNanos, 0);
  return `Routing to the local model saved about ${usd(local)} (${Math.round((local / (local + claudeSpent)) * 100)}% of what everything on Claude would have cost).`;
}

function mine(ctx: Ctx): Span[] {
  const { llm, clock } = ctx.services;
  const now = clock.now();
  const ledger = llm.d.ledger;
  const spans: Span[] = [bold('AI usage'), plain(`\nToday: ${providerLines(ledger.rows(dayStart(now), ctx.key))}`), plain(`\nThis month: ${providerLines(ledger.rows(monthStart(now), ctx.key))}`), plain('\nClaude budgets:')];
  for (const b of llm.d.budgets.state(ctx.key, now)) {
    spans.push(plain(`\n  ${b.scope}: $${b.spentUsd.toFixed(2)} of $${b.limitUsd.toFixed(2)} (resets in ${formatDuration(b.resetsAt - now)})`));
  }
  const saved = savedLine(ledger.rows(monthStart(now), ctx.key), llm.d.config.prices.claude);
  if (saved) spans.push(plain(`\nThis month: ${saved}`));
  spans.push(plain(llm.has('local') ? '\nWhen a Claude budget is used up, the local model answers instead.' : '\nWhen a Claude budget is used up, Claude is paused until it resets (no local model is set up).'));
  return spans;
}

function everyone(ctx: Ctx): string {
  const { llm, clock } = ctx.services;
  const rows = llm.d.ledger.rows(monthStart(clock.now()));
  if (rows.length === 0) return 'No AI calls this month.';
  const by = new Map<string, SpendRow[]>();
  for (const r of rows) by.set(r.userKey, [...(by.get(r.userKey) ?? []), r]);
  const total = rows.reduce((n, r) => n + r.costNanos, 0);
  const saved = savedLine(rows, llm.d.config.prices.claude);
  return [`AI usage this month, everyone (${usd(total)}):`, ...[...by].map(([key, list]) => `${key}: ${providerLines(list)}`), ...(saved ? [saved] : [])].join('\n');
}

const usage: Handler = {
  name: 'usage',
  priority: 260,
  commands: [{ name: 'usage', description: 'AI spend against your budgets; admins: /usage all', role: 'user', effect: 'read', usage: '[all]' }],
  async handle(ctx, next) {
    if (ctx.command?.name !== 'usage') return next();
    const arg = ctx.command.args.trim().toLowerCase();
    if (arg === '') {
      await ctx.reply(mine(ctx));
      return;
    }
    if (arg !== 'all') throw new UserError('Usage: /usage [all]');
    if (ctx.role !== 'admin') throw new UserError("Only admins may see everyone's usage.");
    await ctx.reply(everyone(ctx));
  },
};

export default usage;
