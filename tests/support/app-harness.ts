import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type App } from '../../src/app.js';
import { parseConfig, type Config } from '../../src/config.js';
import { createLogger } from '../../src/core/logger.js';
import { ManualClock } from '../../src/core/clock.js';
import { MemoryChannel } from '../../src/channels/memory.js';
import type { Inbound, Outbound } from '../../src/core/message.js';
import { plainText } from '../../src/core/message.js';

/**
 * The real app (real SQLite file, real handlers, flows and jobs) behind the in-memory channel,
 * with a clock the test moves. Nothing of ours is mocked.
 */
export interface Harness {
  app: App;
  memory: MemoryChannel;
  clock: ManualClock;
  config: Config;
  dataDir: string;
  /** Sends text as a Telegram user and returns the texts Jarvis sent back for it. */
  say(userId: number | string, text: string, opts?: { chatId?: string; chatKind?: 'private' | 'group'; name?: string }): Promise<string[]>;
  /** Presses a button (callback data) and returns what came back (messages and callback answers). */
  press(userId: number | string, data: string): Promise<{ texts: string[]; answers: string[]; last: Outbound[] }>;
  /** Outbounds from the last say() that had buttons. */
  lastButtons(): Outbound['buttons'];
  restart(): Promise<void>;
  close(): Promise<void>;
}

export const ADMIN = 1001;

export async function makeHarness(env: Record<string, string> = {}, opts: { dataDir?: string; clock?: ManualClock; jobs?: boolean; cron?: boolean } = {}): Promise<Harness> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'jarvis-it-'));
  const parsed = parseConfig({ JARVIS_DATA_DIR: dataDir, JARVIS_ADMINS: `telegram:${ADMIN}`, JARVIS_HTTP_ENABLED: 'false', JARVIS_LOG_LEVEL: 'silent', ...env });
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  const config = parsed.config;
  const clock = opts.clock ?? new ManualClock();
  let memory = new MemoryChannel({ name: 'telegram' });
  let seq = 0;
  let lastOut: Outbound[] = [];
  const build = async () => {
    memory = new MemoryChannel({ name: 'telegram' });
    const app = await createApp({ config, clock, log: createLogger({ level: 'silent' }), jobs: opts.jobs ?? true, cron: opts.cron, http: false, defaultMetrics: false, channels: () => [memory] });
    await app.start();
    return app;
  };
  let app = await build();
  const inject = (inbound: Inbound) => memory.inject(inbound);
  const base = (userId: number | string, chatId?: string) => ({
    channel: 'telegram' as const,
    chatId: chatId ?? String(userId),
    chatKind: 'private' as const,
    userId: String(userId),
    displayName: `User ${userId}`,
    receivedAt: clock.now(),
  });
  const h: Harness = {
    get app() {
      return app;
    },
    get memory() {
      return memory;
    },
    clock,
    config,
    dataDir,
    async say(userId, text, o = {}) {
      const sent = await inject({ ...base(userId, o.chatId), chatKind: o.chatKind ?? 'private', displayName: o.name ?? `User ${userId}`, text, messageId: String(++seq) });
      lastOut = sent.map((s) => s.out);
      return sent.map((s) => plainText(s.out.text));
    },
    async press(userId, data) {
      const sent = await inject({ ...base(userId), callback: { queryId: String(++seq), data } });
      lastOut = sent.filter((s) => s.kind !== 'answer').map((s) => s.out);
      return {
        texts: sent.filter((s) => s.kind !== 'answer').map((s) => plainText(s.out.text)),
        answers: sent.filter((s) => s.kind === 'answer').map((s) => plainText(s.out.text)),
        last: lastOut,
      };
    },
    lastButtons() {
      return lastOut.find((o) => o.buttons)?.buttons;
    },
    async restart() {
      await app.stop();
      app = await build();
    },
    async close() {
      await app.stop();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return h;
}
