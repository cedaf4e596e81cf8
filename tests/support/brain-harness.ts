import { makeHarness, type Harness } from './app-harness.js';
import { FakeAnthropic } from '../fakes/anthropic.js';
import { FakeOpenAiCompatible } from '../fakes/openai-compatible.js';

/**
 * The real app with Claude pointed at a fake Anthropic API and the local model at a fake
 * OpenAI-compatible server, both real HTTP on 127.0.0.1 (the Anthropic SDK and our client run).
 * `claude: false` / `local: false` leave a provider unconfigured.
 */
export interface BrainHarness extends Harness {
  claude: FakeAnthropic;
  local: FakeOpenAiCompatible;
  /** Waits for background memory extraction. */
  settle(): Promise<void>;
  /** Says `text` and returns the answer as it finally reads (the last send or edit). */
  ask(userId: number | string, text: string): Promise<string | undefined>;
  /** Ledger rows, oldest first. */
  ledger(): { user_key: string; provider: string; purpose: string; input_tokens: number; output_tokens: number; cache_read_tokens: number; cache_write_tokens: number; cost_nanos: number; outcome: string; reason: string }[];
}

export const USER = 2002;

export async function makeBrainHarness(opts: { claude?: boolean; local?: boolean; env?: Record<string, string> } = {}): Promise<BrainHarness> {
  const claude = await new FakeAnthropic().start();
  const local = await new FakeOpenAiCompatible().start();
  const base = await makeHarness(
    {
      ...(opts.claude !== false ? { ANTHROPIC_API_KEY: 'sk-ant-test-0123456789', ANTHROPIC_BASE_URL: claude.url } : {}),
      ...(opts.local !== false ? { LOCAL_LLM_URL: `${local.url}/v1`, LOCAL_LLM_MODEL: 'llama-test' } : {}),
      LLM_TIMEOUT_MS: '3000',
      LLM_STREAM_EDIT_MS: '50',
      JARVIS_RATE_LIMIT_ENABLED: 'false',
      ...opts.env,
    },
    { cron: false },
  );
  base.app.services.roles.grant({ channel: 'telegram', userId: String(USER) }, 'user', 'test');
  // Extraction calls ask for JSON; by default the fakes have nothing worth remembering.
  const quiet = (body: Record<string, unknown>) => (isExtraction(body) ? { text: '{"memories": []}', usage: { input: 50, output: 5 } } : { text: 'ok', usage: { input: 10, output: 1 } });
  claude.fallback = quiet;
  local.fallback = quiet;
  // Scripted replies answer chat, never the background extraction call that may race them.
  for (const fake of [claude, local]) {
    const script = fake.script.bind(fake);
    fake.script = (...replies) => script(...replies.map((r) => ({ when: (b: Record<string, unknown>) => !isExtraction(b), ...r })));
  }
  const h = Object.create(base) as BrainHarness;
  Object.assign(h, {
    claude,
    local,
    async settle() {
      await base.app.services.chat.idle();
    },
    async ask(userId: number | string, text: string) {
      return (await base.say(userId, text)).at(-1);
    },
    ledger() {
      return base.app.services.db.prepare('SELECT user_key, provider, purpose, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_nanos, outcome, reason FROM llm_calls ORDER BY id').all();
    },
    async close() {
      await base.close();
      await claude.close();
      await local.close();
    },
  });
  return h;
}

/** A memory-extraction call (its system prompt), as opposed to a chat answer. */
export function isExtraction(body: Record<string, unknown>): boolean {
  return JSON.stringify(body).includes('You keep notes about one user of Jarvis');
}
