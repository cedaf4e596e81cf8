/**
 * bench/recall: what recalling memories for one chat message costs over a large memory table, and
 * the same recall done naively, in one run.
 *
 * The table: 100,000 memories over 100 owners (1,000 each) in a real SQLite file in a temp dir,
 * migrated like the daemon's and written through MemoryStore (so the FTS triggers run). Texts read
 * like extracted memories: "The user …" with a few very common words (likes, prefers, works, …),
 * filler words, and content words from a 4,000-word vocabulary drawn with a Zipf-like skew, so some
 * words are in thousands of memories and most in a handful. Tiers: 70% long, 25% short, 5% session
 * (some expired); 2% of memories were updated once (the old row is kept as history). Created over
 * the past year. Everything is seeded, so runs compare.
 *
 * Queries are chat messages from a random owner: 60% mention 2-4 words of one of their memories
 * among filler and a stray word or two, 40% are random words (they may match nothing).
 *
 * - ours: MemoryService.recall(owner, message) with the default budget (MEMORY_RECALL_TOKENS, 600):
 *   terms, the FTS5 query ANDed with the owner's token, bm25 x recency in SQL, the budget, the
 *   recall recorded in the touch buffer.
 * - naive: the owner's live rows with `text LIKE '%term%' OR …` (the same terms), scored in JS by
 *   terms matched x the same recency boost, sorted, the same budget.
 * The two alternate query by query (which goes first alternates too), so machine noise lands on
 * both alike. Afterwards the recalls left in the touch buffer are written in one transaction, and
 * the same number again as one autocommit UPDATE each, to show what batching saves.
 *
 * Target (from the issue): recall p95 < 5 ms. A measurement, not a test: it exits 0 either way.
 *
 *   npm run bench:recall
 *   node dist/bench/recall.js --memories 20000 --queries 300   a quick run
 *   options: --memories N (100000)  --owners N (100)  --queries N (1000)  --warmup N (100)
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseConfig } from '../src/config.js';
import { ManualClock } from '../src/core/clock.js';
import { createLogger } from '../src/core/logger.js';
import { projectRoot } from '../src/core/paths.js';
import { openDatabase, type Db } from '../src/storage/database.js';
import { migrate, readMigrations } from '../src/storage/migrations.js';
import { MemoryStore, type Memory, type Tier } from '../src/memory/store.js';
import { MemoryService } from '../src/memory/service.js';
import { Touches } from '../src/memory/touches.js';
import { RECENCY_HALF_MS, RECENCY_WEIGHT, terms } from '../src/memory/query.js';
import { fitBudget } from '../src/memory/prompt.js';
import { latencyTable, summarize } from './latency.js';
import { wholeNumberOptions } from './args.js';

const TARGET_P95_MS = 5;
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 0, 1);

const DEFAULTS = { memories: 100_000, owners: 100, queries: 1_000, warmup: 100 };
type Options = typeof DEFAULTS;

// ---- seeded texts -------------------------------------------------------------------------

/** xorshift32: a few lines, fast, and the same table every run. */
function seeded(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4_294_967_296;
  };
}

const COMMON = 'likes prefers works lives wants has plans meeting project friend sister brother weekend morning coffee office trip birthday family team'.split(' ');
const FILLER = 'the a to with on at for in of and is about my me i you what how when can should this that'.split(' ');

interface Words {
  vocab: string[];
  /** A vocabulary word, skewed so low indices are common. */
  content(): string;
  common(): string;
  filler(): string;
}

function words(r: () => number): Words {
  const syllables = ['ka', 'lo', 'mi', 'ra', 'te', 'su', 'no', 've', 'di', 'pa', 'zu', 'be', 'gro', 'fi', 'shan', 'tor', 'el', 'qu', 'ix', 'om'];
  const vocab = new Set<string>();
  while (vocab.size < 4_000) {
    let w = '';
    for (let k = 2 + Math.floor(r() * 3); k > 0; k--) w += syllables[Math.floor(r() * syllables.length)];
    vocab.add(w);
  }
  const list = [...vocab];
  const pick = (l: readonly string[]) => l[Math.floor(r() * l.length)]!;
  return { vocab: list, content: () => list[Math.floor(r() ** 2.5 * list.length)]!, common: () => pick(COMMON), filler: () => pick(FILLER) };
}

function memoryText(r: () => number, w: Words): string {
  const out = ['The user', w.common()];
  for (let k = 3 + Math.floor(r() * 10); k > 0; k--) out.push(r() < 0.25 ? w.filler() : r() < 0.15 ? w.common() : w.content());
  return out.join(' ');
}

/** Writes the table through the store (so the FTS triggers run); returns each owner's live texts. */
function seedTable(db: Db, store: MemoryStore, opts: Options, r: () => number, w: Words): Map<string, string[]> {
  const byOwner = new Map<string, string[]>();
  const owners = Array.from({ length: opts.owners }, (_, i) => `telegram:${100_000_000 + i}`);
  db.transaction(() => {
    for (let i = 0; i < opts.memories; i++) {
      const owner = owners[i % owners.length]!;
      const createdAt = NOW - Math.floor(r() * 365 * DAY);
      const roll = r();
      const tier: Tier = roll < 0.7 ? 'long' : roll < 0.95 ? 'short' : 'session';
      const expiresAt = tier === 'long' ? null : tier === 'short' ? NOW + Math.floor(r() * 30 * DAY) : createdAt + DAY;
      const text = memoryText(r, w);
      const m = store.add({ owner, text, tier, source: r() < 0.3 ? 'explicit' : 'extracted', expiresAt }, createdAt);
      if (r() < 0.02) {
        const next = store.supersede(m.id, { owner, text: memoryText(r, w), tier: 'long', source: 'extracted', expiresAt: null }, createdAt + 1);
        if (next) byOwner.set(owner, [...(byOwner.get(owner) ?? []), next.text]);
      } else if (expiresAt === null || expiresAt > NOW) {
        byOwner.set(owner, [...(byOwner.get(owner) ?? []), text]);
      }
    }
  })();
  return byOwner;
}

function message(r: () => number, w: Words, texts: readonly string[]): string {
  const out: string[] = [];
  for (let k = 2 + Math.floor(r() * 5); k > 0; k--) out.push(w.filler());
  if (r() < 0.6 && texts.length > 0) {
    const known = texts[Math.floor(r() * texts.length)]!.split(' ').slice(2);
    for (let k = 2 + Math.floor(r() * 3); k > 0; k--) out.push(known[Math.floor(r() * known.length)]!);
    if (r() < 0.5) out.push(w.content());
  } else {
    for (let k = 2 + Math.floor(r() * 4); k > 0; k--) out.push(r() < 0.2 ? w.common() : w.content());
  }
  return out.sort(() => r() - 0.5).join(' ') + '?';
}

// ---- the naive side ---------------------------------------------------------------------------

interface Row {
  id: number;
  owner: string;
  text: string;
  tier: Tier;
  source: Memory['source'];
  created_at: number;
}

interface LikeQuery {
  all(...params: unknown[]): unknown[];
}

/** LIKE per term over the owner's live rows; scored by terms matched x the same recency boost. */
function naiveRecall(db: Db, cache: Map<number, LikeQuery>, owner: string, text: string, now: number, budget: number): unknown[] {
  const t = terms(text);
  if (t.length === 0) return [];
  let stmt = cache.get(t.length);
  if (!stmt) {
    stmt = db.prepare<unknown[]>(
      `SELECT id, owner, text, tier, source, created_at FROM memories
       WHERE owner = ? AND invalidated_at IS NULL AND (expires_at IS NULL OR expires_at > ?) AND (${t.map(() => 'text LIKE ?').join(' OR ')})`,
    );
    cache.set(t.length, stmt);
  }
  const rows = stmt.all(owner, now, ...t.map((x) => `%${x}%`)) as Row[];
  const scored = rows.map((r) => {
    const lower = r.text.toLowerCase();
    const hits = t.filter((x) => lower.includes(x)).length;
    const boost = 1 + (RECENCY_WEIGHT * RECENCY_HALF_MS) / (RECENCY_HALF_MS + Math.max(0, now - r.created_at));
    return { m: { text: r.text, source: r.source, createdAt: r.created_at, id: r.id }, score: hits * boost };
  });
  scored.sort((a, b) => b.score - a.score || b.m.id - a.m.id);
  return fitBudget(scored.slice(0, 50).map((s) => s.m), budget);
}

// ---- main -------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const opts: Options = wholeNumberOptions(process.argv.slice(2), DEFAULTS, 'recall.js', { warmup: 0 });
  const loadAtStart = loadavg()[0]!;
  const dir = mkdtempSync(join(tmpdir(), 'jarvis-bench-recall-'));
  const db = openDatabase(join(dir, 'jarvis.db'));
  try {
    migrate(db, readMigrations(join(projectRoot(), 'migrations')));
    const parsed = parseConfig({ JARVIS_DATA_DIR: dir, JARVIS_LOG_LEVEL: 'silent' });
    if (!parsed.ok) throw new Error(`bench config is invalid: ${parsed.errors.join('; ')}`);
    const config = parsed.config.memory;
    const log = createLogger({ level: 'silent' });
    const clock = new ManualClock(NOW);
    const store = new MemoryStore(db);
    const touches = new Touches(store, config.shortTtlMs, log);
    const memory = new MemoryService({ store, touches, clock, log, config });

    const r = seeded(20_260_101);
    const w = words(r);
    const s0 = performance.now();
    const byOwner = seedTable(db, store, opts, r, w);
    const seedMs = performance.now() - s0;
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.pragma('optimize');
    const owners = [...byOwner.keys()];
    const queries = Array.from({ length: opts.warmup + opts.queries }, () => {
      const owner = owners[Math.floor(r() * owners.length)]!;
      return { owner, text: message(r, w, byOwner.get(owner)!) };
    });

    const cache = new Map<number, LikeQuery>();
    const ours: number[] = [];
    const naive: number[] = [];
    let oursFound = 0;
    let naiveFound = 0;
    let oursAny = 0;
    let naiveAny = 0;
    queries.forEach((q, i) => {
      const record = i >= opts.warmup;
      const runOurs = () => {
        const t0 = performance.now();
        const got = memory.recall(q.owner, q.text);
        const dt = performance.now() - t0;
        if (!record) return;
        ours.push(dt);
        oursFound += got.length;
        if (got.length) oursAny++;
      };
      const runNaive = () => {
        const t0 = performance.now();
        const got = naiveRecall(db, cache, q.owner, q.text, clock.now(), config.recallTokens);
        const dt = performance.now() - t0;
        if (!record) return;
        naive.push(dt);
        naiveFound += got.length;
        if (got.length) naiveAny++;
      };
      if (i % 2 === 0) {
        runOurs();
        runNaive();
      } else {
        runNaive();
        runOurs();
      }
    });

    // Recall write-back: the buffer in one transaction, then as many single autocommit updates.
    const pending = touches.size;
    const f0 = performance.now();
    const written = memory.flush();
    const flushMs = performance.now() - f0;
    const sample = (db.prepare('SELECT id FROM memories WHERE invalidated_at IS NULL LIMIT ?').pluck().all(pending) as number[]).map((id) => new Map([[id, NOW + 1]]));
    const u0 = performance.now();
    for (const one of sample) store.touch(one, config.shortTtlMs);
    const singleMs = performance.now() - u0;

    const o = summarize(ours);
    const n = summarize(naive);
    const dbMb = statSync(join(dir, 'jarvis.db')).size / 1_048_576;
    const cpu = cpus();
    const live = db.prepare('SELECT COUNT(*) FROM memories_fts').pluck().get() as number;
    console.log(`bench/recall: ${opts.memories.toLocaleString('en')} memories over ${opts.owners} owners (${live.toLocaleString('en')} indexed: not superseded), seeded; ${opts.queries.toLocaleString('en')} queries after ${opts.warmup} warm-up`);
    console.log(`seeded in ${(seedMs / 1000).toFixed(1)} s; database ${dbMb.toFixed(0)} MB; Node ${process.version}, ${cpu.length} x ${cpu[0]?.model.trim() ?? 'cpu'}; load ${loadAtStart.toFixed(2)} at start, ${loadavg()[0]!.toFixed(2)} at end\n`);
    console.log(
      latencyTable([
        [`ours: MemoryService.recall (FTS5 bm25 x recency, ${config.recallTokens} tokens)`, o],
        ['naive: LIKE per term over the owner\'s live rows, scored in JS', n],
      ]),
    );
    console.log(`\nratio naive/ours: mean ${(n.mean / o.mean).toFixed(1)}x, p50 ${(n.p50 / o.p50).toFixed(1)}x, p95 ${(n.p95 / o.p95).toFixed(1)}x, p99 ${(n.p99 / o.p99).toFixed(1)}x`);
    const pct = (x: number) => `${Math.round((x / opts.queries) * 100)}%`;
    console.log(`memories per query: ours ${(oursFound / opts.queries).toFixed(1)} (some for ${pct(oursAny)} of queries), naive ${(naiveFound / opts.queries).toFixed(1)} (${pct(naiveAny)})`);
    console.log(`recalls written back: ${pending} pending after ${opts.warmup + opts.queries} recalls (${written} rows changed) in one transaction ${flushMs.toFixed(1)} ms; as ${sample.length} single-row autocommit updates ${singleMs.toFixed(1)} ms (${(singleMs / Math.max(flushMs, 0.001)).toFixed(0)}x)`);
    console.log(`\n${o.p95 < TARGET_P95_MS ? 'PASS' : 'FAIL'}  recall p95 ${o.p95.toFixed(2)} ms, p99 ${o.p99.toFixed(2)} ms (target p95 < ${TARGET_P95_MS} ms)`);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
