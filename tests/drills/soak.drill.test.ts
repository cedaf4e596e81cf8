/**
 * Drill: soak. N messages through the built daemon and the fake Bot API (getUpdates hands out
 * batches of up to 100), from 50 chats, with a bounded number in flight. Measures the daemon's
 * resident memory (VmRSS), its JS heap after garbage collection (/metrics) and open file descriptors
 * (/proc/<pid>/fd) after a warm-up and at the end. The heap left after a collection is what a leak
 * makes grow: it must end within 25% (+2 MB) of the warm-up figure. RSS follows the collector and
 * the allocator (120-227 MB within one run), so it only has to end within 35% (full run); open
 * handles must not grow.
 * The mix is cheap on purpose (mostly /whoami, some /status and plain text) so 100,000 is feasible:
 * what is measured is the per-message path (polling, ledger, chain, outbox, sendMessage), not a module.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { Harness, person } from '../e2e/harness.js';
import type { RecordedCall } from '../fakes/telegram-bot-api.js';
import { budget, figure, FULL, procStats, size, until } from './drill-kit.js';

const MESSAGES = size(2_000, 100_000);
const WARMUP = size(500, 10_000);
const CHATS = 50;
/** Messages sent and not answered yet, at most. */
const WINDOW = 400;
/** Open handles may differ by this much (sockets to the fake come and go with load). */
const FD_TOLERANCE = 8;
const RSS_TOLERANCE = FULL ? 0.35 : 0.5;
/** The JS heap's lowest reading (just after a collection) may grow this much, plus HEAP_SLACK_MB. */
const HEAP_TOLERANCE = FULL ? 0.25 : 0.5;
const HEAP_SLACK_MB = 2;

const people = Array.from({ length: CHATS }, (_, i) => person(70_001 + i, `Soak${i}`));

function textFor(n: number): string {
  if (n % 250 === 249) return 'hello there';
  if (n % 100 === 99) return '/status';
  return '/whoami';
}

describe('drill: soak', () => {
  it(`${MESSAGES} messages: memory and open handles stay flat`, async () => {
    const h = new Harness();
    await h.fake.start();
    try {
      const d = await h.start({
        JARVIS_ADMINS: people.map((p) => `telegram:${p.id}`).join(','),
        JARVIS_RATE_LIMIT_ENABLED: 'false',
        TELEGRAM_PER_CHAT_PER_SEC: '100',
        TELEGRAM_PER_CHAT_BURST: '100',
        TELEGRAM_GLOBAL_PER_SEC: '1000',
        JARVIS_LOG_LEVEL: 'info',
      });
      const pid = d.proc.pid!;
      const fake = h.fake;
      const messages = (fake as unknown as { messages: Map<string, unknown> }).messages;
      let sent = 0;
      let replied = 0;
      let refused = 0;
      let wrong = 0;
      let errors = 0;
      /** Warnings and errors the daemon logged (the first 20), for the report when something is off. */
      const notable: string[] = [];
      let warnings = 0;
      const perChat = new Map<number, { sent: number; replied: number }>(people.map((p) => [p.id, { sent: 0, replied: 0 }]));
      let lastUpdateId = 0;
      /** Counts the replies recorded since the last call and forgets them, so 100,000 stay cheap. */
      const drain = () => {
        const calls: RecordedCall[] = fake.calls.splice(0, fake.calls.length);
        for (const c of calls) {
          if (c.method !== 'sendMessage') continue;
          if (c.answeredWith !== 'ok') refused++;
          else {
            replied++;
            perChat.get(Number(c.params.chat_id))!.replied++;
            const text = String(c.params.text);
            if (!/^You are Soak\d+|^<b>Jarvis|^Jarvis|^I only answer commands/.test(text)) wrong++;
          }
        }
        messages.clear();
        errors += d.logs.filter((l) => typeof l.level === 'number' && l.level >= 50).length;
        for (const l of d.logs) {
          if (typeof l.level !== 'number' || l.level < 40) continue;
          warnings++;
          if (notable.length < 20) notable.push(JSON.stringify(l).slice(0, 600));
        }
        d.logs.length = 0;
      };
      /** RSS and fds every 250 ms, with how many messages were sent by then. */
      const samples: { at: number; rssKb: number; fds: number }[] = [];
      const sampler = setInterval(() => samples.push({ at: sent, ...procStats(pid) }), 250);
      /**
       * The daemon's used JS heap, from its own /metrics, every second (quick: 4 times a second). Its low points are where a
       * GC just ran: the lowest reading of a stretch is what a leak would make grow.
       */
      const heap: { at: number; mb: number }[] = [];
      const url = `http://127.0.0.1:${d.httpPort}/metrics`;
      const heapSampler = setInterval(() => {
        const at = sent;
        void fetch(url)
          .then((r) => r.text())
          .then((t) => {
            const m = /^jarvis_nodejs_heap_size_used_bytes (\d+)/m.exec(t);
            if (m) heap.push({ at, mb: Number(m[1]) / 2 ** 20 });
          })
          .catch(() => undefined);
      }, FULL ? 1000 : 250);
      const run = async (upTo: number) => {
        while (sent < upTo) {
          drain();
          const room = Math.min(WINDOW - (sent - replied), upTo - sent);
          for (let i = 0; i < room; i++, sent++) {
            const p = people[sent % CHATS]!;
            lastUpdateId = fake.sendText(p, textFor(sent));
            perChat.get(p.id)!.sent++;
          }
          if (room <= 0) await new Promise((r) => setTimeout(r, 5));
        }
        await until(() => (drain(), replied >= upTo), `${upTo} replies`, 60_000, () => {
          const short = [...perChat].filter(([, c]) => c.replied < c.sent).map(([id, c]) => `${id}: ${c.replied}/${c.sent}`);
          // Where the missing ones stopped: never fetched, fetched and not claimed, or claimed and not answered.
          const db = new Database(join(h.dataDir, 'jarvis.db'), { readonly: true, fileMustExist: true });
          const claimed = (db.prepare("SELECT COUNT(*) AS n FROM inbound_ledger WHERE channel = 'telegram'").get() as { n: number }).n;
          const inbox = (db.prepare('SELECT COUNT(*) AS n FROM update_inbox').get() as { n: number }).n;
          db.close();
          return `${replied} replied, ${refused} refused; chats short: ${short.join(', ')}; last update ${lastUpdateId}, offset confirmed ${fake.confirmedOffset}; ${claimed} updates claimed by the daemon, ${inbox} in its inbox; metrics ${heap.length}; daemon logged: ${notable.join('\n')}`;
        });
      };

      const t0 = Date.now();
      await run(WARMUP);
      const t1 = Date.now();
      await run(MESSAGES);
      const t2 = Date.now();
      await new Promise((r) => setTimeout(r, 1000)); // let the last keep-alive sockets settle
      clearInterval(sampler);
      clearInterval(heapSampler);
      const final = procStats(pid);
      // RSS follows the GC's sawtooth, so each end is the median of its stretch (a fifth of the run), not one reading.
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
      const stretch = Math.max(WARMUP, Math.floor(MESSAGES / 5));
      const early = samples.filter((x) => x.at >= WARMUP && x.at <= WARMUP + stretch);
      const late = [...samples.filter((x) => x.at >= MESSAGES - stretch), { at: MESSAGES, ...final }];
      const warm = { rssKb: median(early.map((x) => x.rssKb)), fds: Math.max(...early.map((x) => x.fds)) };
      const end = { rssKb: median(late.map((x) => x.rssKb)), fds: final.fds };
      const rate = Math.round(((MESSAGES - WARMUP) / (t2 - t1)) * 1000);
      const growth = (end.rssKb - warm.rssKb) / warm.rssKb;
      const mb = (kb: number) => (kb / 1024).toFixed(1);
      const heapEarly = heap.filter((g) => g.at >= WARMUP && g.at <= WARMUP + stretch).map((g) => g.mb);
      const heapLate = heap.filter((g) => g.at >= MESSAGES - stretch).map((g) => g.mb);
      figure(`soak: ${MESSAGES} messages, ${replied} replies in ${((t2 - t0) / 1000).toFixed(1)} s (${rate}/s after warm-up)${FULL ? '' : ' (quick)'}`);
      figure(`  RSS ${mb(warm.rssKb)} MB after warm-up (median of messages ${WARMUP}-${WARMUP + stretch}) → ${mb(end.rssKb)} MB at the end (median of the last ${stretch}) = ${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)}%; range ${mb(Math.min(...samples.map((x) => x.rssKb)))}-${mb(Math.max(...samples.map((x) => x.rssKb)))} MB; open fds ${warm.fds} → ${end.fds}`);
      figure(`  daemon warnings and errors logged: ${warnings}${notable.length ? `, e.g. ${notable.slice(0, 3).join(' | ')}` : ''}`);
      figure(`  JS heap in use, lowest reading: ${heapEarly.length ? Math.min(...heapEarly).toFixed(1) : '-'} MB after warm-up → ${heapLate.length ? Math.min(...heapLate).toFixed(1) : '-'} MB at the end (${heap.length} readings of /metrics)`);

      expect({ replied, refused, wrong, errors, warnings }).toEqual({ replied: MESSAGES, refused: 0, wrong: 0, errors: 0, warnings: 0 });
      expect(growth).toBeLessThanOrEqual(RSS_TOLERANCE);
      expect(heapEarly.length).toBeGreaterThan(0);
      expect(Math.min(...heapLate)).toBeLessThanOrEqual(Math.min(...heapEarly) * (1 + HEAP_TOLERANCE) + HEAP_SLACK_MB);
      expect(end.fds).toBeLessThanOrEqual(warm.fds + FD_TOLERANCE);
      expect(d.proc.exitCode).toBeNull();
    } finally {
      await h.cleanup();
    }
  }, budget(60_000, 900_000));
});
