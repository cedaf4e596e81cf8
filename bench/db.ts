/**
 * bench/db: what the app's hot write paths cost over raw better-sqlite3, and how fast the daemon
 * is ready and how much memory it holds idle, in one run.
 *
 * 1. Writes. Three paths, each against raw prepared statements writing the same rows, on the same
 *    connection to a real SQLite file in a temp dir (opened and migrated like the daemon's: WAL,
 *    synchronous NORMAL; one file per path), alternating blocks (ABBA) so machine noise lands on both alike:
 *    - audit log: `AuditLog.record` (one autocommit INSERT per entry) vs `INSERT INTO audit_log`;
 *    - chat turns: `Conversation.save` (the user and assistant turns in one transaction) vs two
 *      INSERTs between prepared BEGIN and COMMIT;
 *    - price ticks: `TradingStore.writeMarks` (one transaction per monitor tick: an upsert per
 *      mint into mint_prices, an UPDATE per position whose high rose) vs the same two statements
 *      between prepared BEGIN and COMMIT. 500 mints and 50 raised highs a tick, over 1,000 open
 *      positions; prices and highs rise every tick (either side), so every statement writes.
 *    Throughput is rows per second over each side's blocks (timed with hrtime, each block including
 *    the checkpoint of what it wrote); the ratio is ours/raw, with its spread block pair by pair.
 * 2. Start. The built daemon (dist/src/main.js start) with no channel and no terminal, as pm2 runs
 *    it: timed from spawn to its 'ready' IPC message (what pm2's wait_ready waits for), STARTS
 *    times on one data dir (the first also creates and migrates the database). After each ready,
 *    SETTLE seconds idle, then VmRSS from /proc/<pid>/status.
 *
 * Targets (from the issue): each write path at least 50% of raw throughput; ready under 1.5 s;
 * idle RSS under 150 MB. A measurement, not a test: it exits 0 whether the targets are met or not.
 *
 *   npm run bench:db
 *   node dist/bench/db.js --blocks 4 --starts 2 --settle 1   a quick run
 *   options: --blocks N per side (10)  --audit N rows per block (2000)  --chat N exchanges per block (1000)
 *            --ticks N per block (200)  --starts N (5)  --settle N seconds (3)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AuditLog } from '../src/access/audit.js';
import { systemClock } from '../src/core/clock.js';
import { projectRoot } from '../src/core/paths.js';
import { Conversation } from '../src/llm/conversation.js';
import { openDatabase, type Db } from '../src/storage/database.js';
import { migrate, readMigrations } from '../src/storage/migrations.js';
import { encodeBase58 } from '../src/trading/base58.js';
import { TradingStore, type Mark } from '../src/trading/store.js';
import { wholeNumberOptions } from './args.js';

const TARGET_RATIO = 0.5;
const TARGET_READY_MS = 1_500;
const TARGET_RSS_MB = 150;
const MINTS = 500;
const POSITIONS = 1_000;
const RAISED_PER_TICK = 50;

const opts = wholeNumberOptions(process.argv.slice(2), { blocks: 10, audit: 2_000, chat: 1_000, ticks: 200, starts: 5, settle: 3 }, 'node dist/bench/db.js', { settle: 0 });

interface Side {
  /** Runs one block and returns the rows it wrote. */
  block(): number;
  rows: number;
  ns: bigint;
  /** Rows per second of each measured block, in order. */
  blockRates: number[];
}

interface Workload {
  name: string;
  db: Db;
  ours: Side;
  raw: Side;
}

const side = (block: () => number): Side => ({ block, rows: 0, ns: 0n, blockRates: [] });

/**
 * One timed block. Each starts on an empty WAL and ends with a checkpoint of what it wrote, both
 * sides alike (auto-checkpoints are off), so the cost of checkpointing lands on the block whose
 * pages it writes instead of on whichever block crosses the 1,000-page threshold.
 */
function run(s: Side, db: Db): void {
  db.pragma('wal_checkpoint(TRUNCATE)');
  const t0 = process.hrtime.bigint();
  const rows = s.block();
  db.pragma('wal_checkpoint(PASSIVE)');
  const ns = process.hrtime.bigint() - t0;
  s.ns += ns;
  s.rows += rows;
  s.blockRates.push((rows * 1e9) / Number(ns));
}

const perSec = (s: Side): number => (s.rows * 1e9) / Number(s.ns);

// ---- the write paths ----------------------------------------------------------------------------

function auditWorkload(db: Db): Workload {
  const audit = new AuditLog(db, systemClock);
  const insert = db.prepare('INSERT INTO audit_log (at, actor, action, target, outcome, detail) VALUES (?, ?, ?, ?, ?, ?)');
  let n = 0;
  const entry = () => {
    n++;
    return { actor: `telegram:${100_000_000 + (n % 50)}`, action: 'sell', target: `position:${n}`, outcome: 'ok', detail: `paper proceeds=${9_000_000 + n} pnl=-${n % 1000}` };
  };
  return {
    name: 'audit log (AuditLog.record)',
    db,
    ours: side(() => {
      for (let i = 0; i < opts.audit; i++) audit.record(entry());
      return opts.audit;
    }),
    raw: side(() => {
      for (let i = 0; i < opts.audit; i++) {
        const e = entry();
        insert.run(Date.now(), e.actor, e.action, e.target, e.outcome, e.detail);
      }
      return opts.audit;
    }),
  };
}

function chatWorkload(db: Db): Workload {
  const conversation = new Conversation(db);
  const insert = db.prepare('INSERT INTO chat_turns (user_key, chat_id, role, text, at) VALUES (?, ?, ?, ?, ?)');
  const begin = db.prepare('BEGIN');
  const commit = db.prepare('COMMIT');
  const question = 'What did the cluster do overnight, and is anything still running hot on pve2? Keep it short please.';
  const answer = `${'Overnight: pve1 and pve2 stayed up; vm 104 rebooted at 03:12 after its backup, as planned. '.repeat(4)}Nothing is hot now.`;
  let n = 0;
  return {
    name: 'chat turns (Conversation.save)',
    db,
    ours: side(() => {
      for (let i = 0; i < opts.chat; i++) {
        n++;
        conversation.save(`telegram:${n % 20}`, String(n % 20), question, answer, Date.now());
      }
      return opts.chat * 2;
    }),
    raw: side(() => {
      for (let i = 0; i < opts.chat; i++) {
        n++;
        const at = Date.now();
        begin.run();
        insert.run(`telegram:${n % 20}`, String(n % 20), 'user', question, at);
        insert.run(`telegram:${n % 20}`, String(n % 20), 'assistant', answer, at);
        commit.run();
      }
      return opts.chat * 2;
    }),
  };
}

function tickWorkload(db: Db): Workload {
  const store = new TradingStore(db);
  const mints = Array.from({ length: MINTS }, (_, i) => encodeBase58(Buffer.alloc(32, i + 1)));
  const now = Date.now();
  const seed = db.prepare(
    `INSERT INTO positions (user_key, chat_id, mode, mint, decimals, state, cost_lamports, tokens_bought, tokens_left, entry_price, high_price, sl_pct, sl_trailing, tp, slippage_bps, opened_at, updated_at)
     VALUES (?, ?, 'paper', ?, 6, 'open', 10000000, '100000000', '100000000', 0.0001, 0.0001, 20, 1, '[{"at":100,"sell":100,"done":false}]', 100, ?, ?)`,
  );
  const ids: number[] = [];
  db.transaction(() => {
    for (let i = 0; i < POSITIONS; i++) ids.push(Number(seed.run(`telegram:${i % 50}`, String(i % 50), mints[i % MINTS], now, now).lastInsertRowid));
  })();
  const markMint = db.prepare('INSERT INTO mint_prices (mint, price, at) VALUES (?, ?, ?) ON CONFLICT(mint) DO UPDATE SET price = excluded.price, at = excluded.at');
  const raiseHigh = db.prepare("UPDATE positions SET high_price = ? WHERE id = ? AND state IN ('open', 'exiting') AND high_price < ?");
  const begin = db.prepare('BEGIN');
  const commit = db.prepare('COMMIT');
  // One tick's rows: every mint a new price, 50 positions a new high; both rise every tick, whichever side writes it.
  let tick = 0;
  const nextTick = (): { prices: Map<string, number>; raised: Mark[] } => {
    tick++;
    const level = 0.0001 * (1 + tick * 0.001);
    const prices = new Map(mints.map((m, i) => [m, level * (1 + (i % 7) * 0.01)]));
    const raised: Mark[] = [];
    for (let i = 0; i < RAISED_PER_TICK; i++) raised.push({ id: ids[(tick * RAISED_PER_TICK + i) % ids.length]!, high: level * 1.1 });
    return { prices, raised };
  };
  const rowsPerTick = MINTS + RAISED_PER_TICK;
  return {
    name: 'price ticks (TradingStore.writeMarks)',
    db,
    ours: side(() => {
      for (let i = 0; i < opts.ticks; i++) {
        const { prices, raised } = nextTick();
        store.writeMarks(prices, raised, Date.now());
      }
      return opts.ticks * rowsPerTick;
    }),
    raw: side(() => {
      for (let i = 0; i < opts.ticks; i++) {
        const { prices, raised } = nextTick();
        const at = Date.now();
        begin.run();
        for (const [mint, price] of prices) markMint.run(mint, price, at);
        for (const r of raised) raiseHigh.run(r.high, r.id, r.high);
        commit.run();
      }
      return opts.ticks * rowsPerTick;
    }),
  };
}

// ---- start and idle memory ----------------------------------------------------------------------

const MAIN = resolve(projectRoot(), 'dist/src/main.js');

interface StartResult {
  readyMs: number;
  rssMb: number;
}

async function startOnce(dataDir: string): Promise<StartResult> {
  const t0 = performance.now();
  const proc = spawn(process.execPath, [MAIN, 'start'], {
    // No TELEGRAM_BOT_TOKEN and no terminal: no channel, as under pm2 before one is configured.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', JARVIS_ENV_FILE: '/nonexistent/.env', JARVIS_DATA_DIR: dataDir, JARVIS_HTTP_PORT: '0', JARVIS_CONSOLE: 'auto', JARVIS_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  proc.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  const readyMs = await new Promise<number>((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`no 'ready' within 30 s; stderr: ${stderr}`)), 30_000);
    proc.on('message', (m) => {
      if (m !== 'ready') return;
      clearTimeout(timer);
      resolveReady(performance.now() - t0);
    });
    void exited.then((code) => reject(new Error(`the daemon exited (${code}) before it was ready; stderr: ${stderr}`)));
  });
  await new Promise((r) => setTimeout(r, opts.settle * 1000));
  const status = readFileSync(`/proc/${proc.pid}/status`, 'utf8');
  const rssKb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
  proc.kill('SIGTERM');
  const code = await exited;
  if (code !== 0) throw new Error(`the daemon exited ${code} on SIGTERM; stderr: ${stderr}`);
  return { readyMs, rssMb: rssKb / 1024 };
}

// ---- the run ------------------------------------------------------------------------------------

function stats(xs: number[]): { median: number; min: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, min: s[0]!, max: s.at(-1)! };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'jarvis-bench-db-'));
  const startDir = mkdtempSync(join(tmpdir(), 'jarvis-bench-start-'));
  try {
    // A file per path, so one path's WAL and checkpoints do not land on another's blocks.
    const files = ['audit', 'chat', 'ticks'].map((name) => {
      const db = openDatabase(join(dir, `${name}.db`));
      migrate(db, readMigrations(join(projectRoot(), 'migrations')));
      db.pragma('wal_autocheckpoint = 0'); // see run()
      return db;
    });
    const [auditDb, chatDb, ticksDb] = files as [Db, Db, Db];
    const workloads = [auditWorkload(auditDb), chatWorkload(chatDb), tickWorkload(ticksDb)];
    console.log(`bench/db: node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'} x${cpus().length}, load ${loadavg()[0]!.toFixed(2)}`);
    console.log(`writes: ${opts.blocks} blocks per side (${opts.audit} audit rows, ${opts.chat} chat exchanges, ${opts.ticks} ticks of ${MINTS + RAISED_PER_TICK} rows), ABBA\n`);

    // Warm-up: one block of each side, not counted.
    for (const w of workloads) {
      w.ours.block();
      w.raw.block();
    }
    for (let b = 0; b < opts.blocks; b++) {
      for (const w of workloads) {
        const [first, second] = b % 2 === 0 ? [w.ours, w.raw] : [w.raw, w.ours];
        run(first, w.db);
        run(second, w.db);
      }
    }
    // Every row each side claims to have written is in the file.
    const written = (db: Db, sql: string) => (db.prepare(sql).get() as { n: number }).n;
    const auditRows = written(auditDb, 'SELECT COUNT(*) AS n FROM audit_log');
    const chatRows = written(chatDb, 'SELECT COUNT(*) AS n FROM chat_turns');
    const w0 = workloads[0]!;
    const w1 = workloads[1]!;
    if (auditRows !== w0.ours.rows + w0.raw.rows + 2 * opts.audit) throw new Error(`audit_log holds ${auditRows} rows, expected ${w0.ours.rows + w0.raw.rows + 2 * opts.audit}`);
    if (chatRows !== w1.ours.rows + w1.raw.rows + 4 * opts.chat) throw new Error(`chat_turns holds ${chatRows} rows, expected ${w1.ours.rows + w1.raw.rows + 4 * opts.chat}`);
    for (const db of files) db.close();

    const width = Math.max(...workloads.map((w) => w.name.length));
    console.log(`${'write path'.padEnd(width)}   ours rows/s    raw rows/s   ours/raw   per block pair: median (min-max)`);
    const ratios: { name: string; ratio: number }[] = [];
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    for (const w of workloads) {
      const ratio = perSec(w.ours) / perSec(w.raw);
      ratios.push({ name: w.name, ratio });
      const pairs = stats(w.ours.blockRates.map((r, i) => r / w.raw.blockRates[i]!));
      console.log(
        `${w.name.padEnd(width)}  ${perSec(w.ours).toFixed(0).padStart(12)}  ${perSec(w.raw).toFixed(0).padStart(12)}   ${pct(ratio).padStart(7)}` +
          `   ${pct(pairs.median)} (${pct(pairs.min)}-${pct(pairs.max)})`,
      );
    }

    console.log(`\nstart: ${opts.starts} starts of the built daemon (no channel, no terminal), ${opts.settle} s idle before reading VmRSS`);
    const starts: StartResult[] = [];
    for (let i = 0; i < opts.starts; i++) {
      const r = await startOnce(startDir);
      starts.push(r);
      console.log(`  start ${i + 1}${i === 0 ? ' (new database, migrations applied)' : ''}: ready in ${r.readyMs.toFixed(0)} ms, idle RSS ${r.rssMb.toFixed(1)} MB`);
    }
    const ready = stats(starts.map((s) => s.readyMs));
    const rss = stats(starts.map((s) => s.rssMb));
    console.log(`  ready: median ${ready.median.toFixed(0)} ms (min ${ready.min.toFixed(0)}, max ${ready.max.toFixed(0)});  idle RSS: median ${rss.median.toFixed(1)} MB (max ${rss.max.toFixed(1)})\n`);

    for (const r of ratios) console.log(`${r.ratio >= TARGET_RATIO ? 'PASS' : 'FAIL'}  ${r.name}: ${(r.ratio * 100).toFixed(1)}% of raw throughput (target ≥ ${TARGET_RATIO * 100}%)`);
    console.log(`${ready.max < TARGET_READY_MS ? 'PASS' : 'FAIL'}  time to ready: max ${ready.max.toFixed(0)} ms, median ${ready.median.toFixed(0)} ms over ${starts.length} starts (target < ${TARGET_READY_MS} ms)`);
    console.log(`${rss.max < TARGET_RSS_MB ? 'PASS' : 'FAIL'}  idle RSS: max ${rss.max.toFixed(1)} MB, median ${rss.median.toFixed(1)} MB (target < ${TARGET_RSS_MB} MB)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(startDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
