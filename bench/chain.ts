/**
 * bench/chain: the per-message cost of our whole chain against a bare grammY bot, in one run.
 *
 * Ours: the real app (createApp) with every handler in handlers/, an admin sender, lockdown off,
 * rate limiting disabled, `/whoami` answered by the status handler into an in-memory channel.
 * Bare: a grammY Bot answering the same command via handleUpdate, with a transformer that
 * swallows the API call. Both are warmed up, then measured in alternating blocks (ABBA order)
 * so machine noise and GC pauses land on both alike.
 *
 * Target (from the issue): ours costs at most 1.5x bare grammY per message (mean), p99 < 1 ms.
 * A measurement, not a test: it exits 0 whether the targets are met or not.
 *
 *   npm run bench                       100k measured messages each
 *   node dist/bench/chain.js --n 20000  a quick run
 *   options: --n N  --warmup N  --block N
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bot, type Transformer } from 'grammy';
import type { Update, UserFromGetMe } from 'grammy/types';
import { createApp, type App } from '../src/app.js';
import { parseConfig } from '../src/config.js';
import { createLogger } from '../src/core/logger.js';
import type { Inbound } from '../src/core/message.js';
import { MemoryChannel } from '../src/channels/memory.js';

const TARGET_RATIO = 1.5;
const TARGET_P99_US = 1000;

interface Options {
  n: number;
  warmup: number;
  block: number;
}

function parseArgs(argv: readonly string[]): Options {
  const opts: Options = { n: 100_000, warmup: 5_000, block: 1_000 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split('=', 2) as [string, string | undefined];
    const key = flag === '--n' ? 'n' : flag === '--warmup' ? 'warmup' : flag === '--block' ? 'block' : undefined;
    const value = Number(inline ?? argv[++i]);
    if (!key || !Number.isInteger(value) || value < (key === 'warmup' ? 0 : 1)) {
      throw new Error(`usage: chain.js [--n N] [--warmup N] [--block N] (bad argument ${flag})`);
    }
    opts[key] = value;
  }
  return opts;
}

/** One implementation under test: send message number `i` and resolve when it is fully handled. */
interface Subject {
  name: string;
  one(i: number): Promise<unknown>;
  /** Per-message durations in nanoseconds, filled by measure(). */
  samples: Float64Array;
  count: number;
  /** Wall time over the measured blocks, loop overhead included (for msgs/s). */
  wallNs: number;
}

function subject(name: string, n: number, one: Subject['one']): Subject {
  return { name, one, samples: new Float64Array(n), count: 0, wallNs: 0 };
}

/** Runs `count` messages, timing each; records them unless this is warm-up. */
async function runBlock(s: Subject, from: number, count: number, record: boolean): Promise<void> {
  const w0 = process.hrtime.bigint();
  for (let i = from; i < from + count; i++) {
    const t0 = process.hrtime.bigint();
    await s.one(i);
    const dt = Number(process.hrtime.bigint() - t0);
    if (record) s.samples[s.count++] = dt;
  }
  if (record) s.wallNs += Number(process.hrtime.bigint() - w0);
}

// ---- ours ---------------------------------------------------------------------------------

async function buildOurs(dataDir: string): Promise<{ app: App; memory: MemoryChannel }> {
  const parsed = parseConfig({
    JARVIS_DATA_DIR: dataDir,
    JARVIS_RATE_LIMIT_ENABLED: 'false',
    JARVIS_HTTP_ENABLED: 'false',
    JARVIS_ADMINS: 'telegram:1',
    JARVIS_LOG_LEVEL: 'silent',
  });
  if (!parsed.ok) throw new Error(`bench config is invalid: ${parsed.errors.join('; ')}`);
  const memory = new MemoryChannel({ record: false });
  const app = await createApp({
    config: parsed.config,
    log: createLogger({ level: 'silent' }),
    channels: () => [memory],
    jobs: false,
    http: false,
    defaultMetrics: false,
  });
  await app.start();
  return { app, memory };
}

function oursSubject(memory: MemoryChannel, n: number): Subject {
  return subject('jarvis chain', n, (i) => {
    const inbound: Inbound = {
      channel: 'telegram',
      chatId: '1',
      chatKind: 'private',
      userId: '1',
      displayName: 'Bench',
      text: '/whoami',
      messageId: String(i + 1),
      receivedAt: Date.now(),
    };
    return memory.inject(inbound);
  });
}

/** Messages the status handler ended with outcome ok, from our own Prometheus counter. */
async function oursAnswered(app: App): Promise<number> {
  const metric = await app.services.metrics.updates.get();
  return metric.values.filter((v) => v.labels.handler === 'status' && v.labels.outcome === 'ok').reduce((sum, v) => sum + v.value, 0);
}

// ---- bare grammY --------------------------------------------------------------------------

const BOT_INFO: UserFromGetMe = {
  id: 1,
  is_bot: true,
  first_name: 'b',
  username: 'b_bot',
  can_join_groups: true,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
  has_topics_enabled: false,
  allows_users_to_create_topics: false,
  can_manage_bots: false,
  supports_join_request_queries: false,
};

function buildBare(): { bot: Bot; replies: { count: number; lastText?: string } } {
  const bot = new Bot('1:bench', { botInfo: BOT_INFO });
  const replies: { count: number; lastText?: string } = { count: 0 };
  // Swallows every API call (never reaches the network) and answers like sendMessage would.
  const swallow: Transformer = (_prev, method, payload) => {
    if (method === 'sendMessage') {
      replies.count++;
      replies.lastText = (payload as { text?: string }).text;
    }
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return Promise.resolve({ ok: true, result: { message_id: 1, date: 0, chat: { id: 1, type: 'private' } } } as any);
  };
  bot.api.config.use(swallow);
  bot.command('whoami', (ctx) => ctx.reply(`You are ${ctx.from?.first_name}`));
  return { bot, replies };
}

function bareSubject(bot: Bot, n: number): Subject {
  return subject('bare grammY', n, (i) => {
    const update: Update = {
      update_id: 100_000_000 + i,
      message: {
        message_id: i + 1,
        date: Math.floor(Date.now() / 1000),
        chat: { id: 1, type: 'private', first_name: 'Bench' },
        from: { id: 1, is_bot: false, first_name: 'Bench', language_code: 'en' },
        text: '/whoami',
        entities: [{ type: 'bot_command', offset: 0, length: 7 }],
      },
    };
    return bot.handleUpdate(update);
  });
}

// ---- statistics and report ------------------------------------------------------------------

interface Stats {
  msgsPerSec: number;
  meanUs: number;
  p50Us: number;
  p99Us: number;
  maxUs: number;
}

function percentile(sorted: Float64Array, p: number): number {
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

function statsOf(s: Subject): Stats {
  const sorted = s.samples.slice(0, s.count).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    msgsPerSec: s.count / (s.wallNs / 1e9),
    meanUs: sum / sorted.length / 1e3,
    p50Us: percentile(sorted, 50) / 1e3,
    p99Us: percentile(sorted, 99) / 1e3,
    maxUs: sorted[sorted.length - 1]! / 1e3,
  };
}

function table(rows: [string, Stats][]): string {
  const head = ['', 'msgs/s', 'mean µs', 'p50 µs', 'p99 µs', 'max µs'];
  const body = rows.map(([name, s]) => [
    name,
    Math.round(s.msgsPerSec).toLocaleString('en-US'),
    s.meanUs.toFixed(2),
    s.p50Us.toFixed(2),
    s.p99Us.toFixed(2),
    s.maxUs.toFixed(0),
  ]);
  const all = [head, ...body];
  const widths = head.map((_, c) => Math.max(...all.map((r) => r[c]!.length)));
  return all.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
}

// ---- main ---------------------------------------------------------------------------------

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const dataDir = mkdtempSync(join(tmpdir(), 'jarvis-bench-'));
  let app: App | undefined;
  try {
    const built = await buildOurs(dataDir);
    app = built.app;
    const { bot, replies } = buildBare();
    const ours = oursSubject(built.memory, opts.n);
    const bare = bareSubject(bot, opts.n);

    // Warm-up, also alternating, so both reach optimised code before anything is recorded.
    let seq = 0;
    for (let done = 0; done < opts.warmup; done += opts.block) {
      const k = Math.min(opts.block, opts.warmup - done);
      await runBlock(ours, seq, k, false);
      await runBlock(bare, seq, k, false);
      seq += k;
    }

    // Measured: ABBA blocks, so neither side always runs right after the other's garbage.
    let block = 0;
    for (let done = 0; done < opts.n; done += opts.block, block++) {
      const k = Math.min(opts.block, opts.n - done);
      const [first, second] = block % 2 === 0 ? [ours, bare] : [bare, ours];
      await runBlock(first, seq, k, true);
      await runBlock(second, seq, k, true);
      seq += k;
    }

    // Both sides must really have answered every message, or the numbers mean nothing.
    const expected = opts.warmup + opts.n;
    const oursOk = await oursAnswered(app);
    if (oursOk !== expected) throw new Error(`ours answered ${oursOk} of ${expected} messages via the status handler`);
    if (replies.count !== expected) throw new Error(`bare grammY replied to ${replies.count} of ${expected} updates`);
    if (replies.lastText !== 'You are Bench') throw new Error(`bare grammY replied ${JSON.stringify(replies.lastText)}`);

    const o = statsOf(ours);
    const b = statsOf(bare);
    const meanRatio = o.meanUs / b.meanUs;
    const p50Ratio = o.p50Us / b.p50Us;
    const ratioOk = meanRatio <= TARGET_RATIO;
    const p99Ok = o.p99Us < TARGET_P99_US;

    const cpu = cpus()[0]?.model ?? 'unknown cpu';
    console.log(`bench/chain: /whoami, ${opts.n.toLocaleString('en-US')} measured messages each (warm-up ${opts.warmup}, blocks of ${opts.block}, ABBA)`);
    console.log(`node ${process.version}, ${cpu} x${cpus().length}\n`);
    console.log(table([
      [ours.name, o],
      [bare.name, b],
    ]));
    console.log(`\nratio ours/bare: mean ${meanRatio.toFixed(2)}x, p50 ${p50Ratio.toFixed(2)}x, p99 ${(o.p99Us / b.p99Us).toFixed(2)}x`);
    console.log(`${ratioOk ? 'PASS' : 'FAIL'}  per-message cost ${meanRatio.toFixed(2)}x bare grammY (target ≤ ${TARGET_RATIO}x, by mean)`);
    console.log(`${p99Ok ? 'PASS' : 'FAIL'}  our p99 ${o.p99Us.toFixed(1)} µs (target < ${TARGET_P99_US} µs)`);
  } finally {
    await app?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error && err.message.startsWith('usage:') ? err.message : err);
  process.exitCode = 1;
});
