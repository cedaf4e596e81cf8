import { z } from 'zod';
import { int, num, url } from '../config-fields.js';

/**
 * The LLM part of the environment: providers, routing thresholds, prices and budgets. Merged into
 * config.ts's schema; every value has a default here and a row in docs/operations.md.
 */

/** Four prices in USD per million tokens: input, output, cache read, cache write. */
const priceList = z
  .string()
  .regex(/^\s*\d+(\.\d+)?\s*(,\s*\d+(\.\d+)?\s*){3}$/, { message: 'expected four USD prices per million tokens: input,output,cacheRead,cacheWrite' })
  .transform((s) => {
    const [input, output, cacheRead, cacheWrite] = s.split(',').map(Number) as [number, number, number, number];
    return { input, output, cacheRead, cacheWrite };
  });

const wordList = z.string().transform((s) => s.split(',').map((w) => w.trim().toLowerCase()).filter(Boolean));

export const llmEnv = {
  ANTHROPIC_API_KEY: z.string().min(8, { message: 'expected an Anthropic API key' }).optional(),
  ANTHROPIC_BASE_URL: url.default('https://api.anthropic.com'),
  CLAUDE_MODEL: z.string().min(1).default('claude-sonnet-4-5'),
  LOCAL_LLM_URL: url.optional(),
  LOCAL_LLM_MODEL: z.string().min(1).default('local'),
  LOCAL_LLM_API_KEY: z.string().min(1).optional(),
  LLM_TIMEOUT_MS: int(1_000, 600_000).default(60_000),
  LLM_MAX_OUTPUT_TOKENS: int(16, 64_000).default(1_024),
  LLM_ROUTE_LOCAL_MAX_CHARS: int(0, 100_000).default(100),
  LLM_ROUTE_CLAUDE_WORDS: wordList.optional(),
  LLM_ROUTE_UNSURE: z.enum(['claude', 'local']).default('claude'),
  LLM_PRICE_CLAUDE: priceList.default({ input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 }),
  LLM_PRICE_LOCAL: priceList.default({ input: 0, output: 0, cacheRead: 0, cacheWrite: 0 }),
  LLM_BUDGET_USER_DAILY_USD: num(0, 1_000_000).default(1),
  LLM_BUDGET_USER_MONTHLY_USD: num(0, 1_000_000).default(10),
  LLM_BUDGET_GLOBAL_DAILY_USD: num(0, 1_000_000).default(5),
  LLM_BUDGET_GLOBAL_MONTHLY_USD: num(0, 1_000_000).default(50),
  CHAT_CONTEXT_TOKENS: int(100, 200_000).default(2_000),
  LLM_STREAM_EDIT_MS: int(50, 60_000).default(1_000),
};

export interface Prices {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

export interface LlmConfig {
  claude?: { apiKey: string; baseUrl: string; model: string };
  local?: { url: string; model: string; apiKey?: string };
  timeoutMs: number;
  maxOutputTokens: number;
  route: { localMaxChars: number; claudeWords: string[]; unsure: 'claude' | 'local' };
  prices: { claude: Prices; local: Prices };
  budgets: { userDailyUsd: number; userMonthlyUsd: number; globalDailyUsd: number; globalMonthlyUsd: number };
  /** Recent chat turns sent with each message, at most this many tokens (about 4 characters each). */
  contextTokens: number;
  /** A streamed answer's message is edited at most this often. */
  streamEditMs: number;
}

const llmEnvSchema = z.object(llmEnv);
type LlmEnv = z.infer<typeof llmEnvSchema>;

export function llmConfigFrom(e: LlmEnv): LlmConfig {
  return {
    claude: e.ANTHROPIC_API_KEY ? { apiKey: e.ANTHROPIC_API_KEY, baseUrl: e.ANTHROPIC_BASE_URL.replace(/\/+$/, ''), model: e.CLAUDE_MODEL } : undefined,
    local: e.LOCAL_LLM_URL ? { url: e.LOCAL_LLM_URL.replace(/\/+$/, ''), model: e.LOCAL_LLM_MODEL, apiKey: e.LOCAL_LLM_API_KEY } : undefined,
    timeoutMs: e.LLM_TIMEOUT_MS,
    maxOutputTokens: e.LLM_MAX_OUTPUT_TOKENS,
    route: { localMaxChars: e.LLM_ROUTE_LOCAL_MAX_CHARS, claudeWords: e.LLM_ROUTE_CLAUDE_WORDS ?? [], unsure: e.LLM_ROUTE_UNSURE },
    prices: { claude: e.LLM_PRICE_CLAUDE, local: e.LLM_PRICE_LOCAL },
    budgets: {
      userDailyUsd: e.LLM_BUDGET_USER_DAILY_USD,
      userMonthlyUsd: e.LLM_BUDGET_USER_MONTHLY_USD,
      globalDailyUsd: e.LLM_BUDGET_GLOBAL_DAILY_USD,
      globalMonthlyUsd: e.LLM_BUDGET_GLOBAL_MONTHLY_USD,
    },
    contextTokens: e.CHAT_CONTEXT_TOKENS,
    streamEditMs: e.LLM_STREAM_EDIT_MS,
  };
}
