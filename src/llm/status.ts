import type { Services } from '../core/services.js';
import { dayStart } from './budget.js';
import { NANOS_PER_USD } from './ledger.js';

/** The AI line of /status: which models are set up and today's spend against the global budget. */
export function llmStatus(s: Services): string[] {
  const c = s.config.llm;
  if (!s.llm.configured) return ['no model set up (set ANTHROPIC_API_KEY and/or LOCAL_LLM_URL); plain messages get the command list'];
  const models = [c.claude ? `Claude (${c.claude.model})` : undefined, c.local ? `local (${c.local.model})` : undefined].filter(Boolean).join(' + ');
  const spent = s.llm.d.ledger.spent(undefined, dayStart(s.clock.now())) / NANOS_PER_USD;
  return [`${models}; today $${spent.toFixed(2)} of $${c.budgets.globalDailyUsd.toFixed(2)}`];
}
