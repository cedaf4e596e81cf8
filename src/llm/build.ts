import type { Db } from '../storage/database.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Config } from '../config.js';
import { AnthropicProvider } from './anthropic.js';
import { OpenAiCompatibleProvider } from './openai-compatible.js';
import { Ledger } from './ledger.js';
import { Budgets } from './budget.js';
import { LlmService } from './service.js';
import type { LlmProvider, ProviderName } from './types.js';

/** Builds the providers that are configured, the ledger and budgets, and the service over them. */
export function buildLlm(deps: { db: Db; clock: Clock; log: Logger; config: Config }): LlmService {
  const c = deps.config.llm;
  const providers: Partial<Record<ProviderName, LlmProvider>> = {};
  if (c.claude) providers.claude = new AnthropicProvider({ apiKey: c.claude.apiKey, baseUrl: c.claude.baseUrl, model: c.claude.model, timeoutMs: c.timeoutMs });
  if (c.local) providers.local = new OpenAiCompatibleProvider({ url: c.local.url, model: c.local.model, apiKey: c.local.apiKey, timeoutMs: c.timeoutMs });
  const ledger = new Ledger(deps.db);
  return new LlmService({ providers, ledger, budgets: new Budgets(ledger, c.budgets), config: c, clock: deps.clock, log: deps.log.child({ module: 'llm' }) });
}
