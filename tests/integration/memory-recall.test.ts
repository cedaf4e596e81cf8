import { describe, expect, it } from 'vitest';
import { ANN, BOB, DAY, freshMemoryHarness, HOUR, makeMemoryHarness } from '../support/memory-harness.js';
import { estimateTokens, memoryLine } from '../../src/memory/prompt.js';

/**
 * The memory service over a real SQLite file: tiers expiring on the injected clock, recall by
 * relevance then recency under a token budget, recalls written back in batches, one person never
 * reaching another's memories, history kept on update and dropped on forget.
 */

const h = freshMemoryHarness();

const ids = (list: { id: number }[]) => list.map((m) => m.id);

describe('tiers expire on the clock', () => {
  it('a session memory is gone after 24 h, a long one never', () => {
    const { memory, clock } = h;
    const session = memory.add(ANN, 'parking is on level 3', 'session', 'explicit');
    const long = memory.add(ANN, 'allergic to peanuts', 'long', 'explicit');
    expect(session.expiresAt).toBe(clock.now() + 24 * HOUR);
    expect(long.expiresAt).toBeNull();
    clock.advance(24 * HOUR - 1);
    expect(ids(memory.list(ANN, 10).memories)).toEqual([long.id, session.id]);
    // Recalling a session memory does not extend it.
    expect(ids(memory.recall(ANN, 'where is the parking level'))).toEqual([session.id]);
    memory.flush();
    clock.advance(1);
    expect(ids(memory.list(ANN, 10).memories)).toEqual([long.id]);
    expect(memory.get(ANN, session.id)).toBeUndefined();
    expect(memory.recall(ANN, 'parking level')).toEqual([]);
    clock.advance(3650 * DAY);
    expect(ids(memory.recall(ANN, 'peanuts'))).toEqual([long.id]);
  });

  it('a short memory lives 30 days from its last recall, written back on flush', () => {
    const { memory, clock, db } = h;
    const m = memory.add(ANN, 'training for the Berlin marathon', 'short', 'extracted');
    const t0 = clock.now();
    clock.advance(29 * DAY);
    expect(ids(memory.recall(ANN, 'how is my marathon training going'))).toEqual([m.id]);
    // Not written yet: recalls are batched.
    const row = () => db.prepare('SELECT recalled_at, expires_at FROM memories WHERE id = ?').get(m.id) as { recalled_at: number | null; expires_at: number };
    expect(row()).toEqual({ recalled_at: null, expires_at: t0 + 30 * DAY });
    expect(memory.stats().pendingRecalls).toBe(1);
    expect(memory.flush()).toBe(1);
    expect(row()).toEqual({ recalled_at: t0 + 29 * DAY, expires_at: t0 + 59 * DAY });
    clock.advance(30 * DAY - 1);
    expect(memory.get(ANN, m.id)).toBeDefined();
    clock.advance(1);
    expect(memory.get(ANN, m.id)).toBeUndefined();
    // A search is a look, not a use: it extends nothing.
    const other = memory.add(ANN, 'marathon shoes are size 44', 'short', 'extracted');
    clock.advance(20 * DAY);
    expect(ids(memory.search(ANN, 'marathon shoes', 5))).toEqual([other.id]);
    expect(memory.flush()).toBe(0);
  });

  it('cleanup writes pending recalls first, then deletes what expired, history included', () => {
    const { memory, clock, db } = h;
    const short = memory.add(ANN, 'reading Dune this month', 'short', 'extracted');
    const session = memory.add(ANN, 'in a meeting until 3pm', 'session', 'explicit');
    const old = memory.add(BOB, 'likes green tea', 'session', 'extracted');
    const next = memory.supersede(BOB, old.id, 'likes black tea', 'long', 'extracted')!;
    clock.advance(25 * DAY);
    memory.recall(ANN, 'what am I reading, Dune?');
    clock.advance(10 * DAY);
    // Without the pending recall written first, the short memory would be deleted now.
    expect(memory.cleanup()).toEqual({ touched: 1, expired: 2 });
    expect(memory.get(ANN, short.id)).toBeDefined();
    const left = db.prepare('SELECT id FROM memories ORDER BY id').pluck().all();
    expect(left).toEqual([short.id, next.id]);
    expect(session.id).not.toBe(short.id);
  });
});

describe('recall by relevance', () => {
  it('ranks the more relevant first; recency breaks near-ties; only live memories of the owner', () => {
    const { memory, clock } = h;
    const tea = memory.add(ANN, 'The user drinks green tea every morning', 'long', 'extracted');
    clock.advance(DAY);
    const both = memory.add(ANN, 'The user prefers green tea to coffee', 'long', 'extracted');
    clock.advance(DAY);
    const coffee = memory.add(ANN, 'The user dislikes coffee', 'long', 'extracted');
    memory.add(BOB, 'The user prefers green tea to coffee', 'long', 'extracted');
    clock.advance(DAY);
    // "green tea coffee": `both` has all three words; `tea` two; `coffee` one.
    expect(ids(memory.recall(ANN, 'green tea or coffee?'))).toEqual([both.id, tea.id, coffee.id]);
    // Two memories equally relevant to "bakery": the newer first, whatever the id order.
    const older = memory.add(ANN, 'The bakery on Elm street opens at 7', 'long', 'extracted');
    clock.advance(60 * DAY);
    const newer = memory.add(ANN, 'The bakery on Oak street opens at 8', 'long', 'extracted');
    expect(ids(memory.recall(ANN, 'bakery'))).toEqual([newer.id, older.id]);
    // Superseded and invalidated memories are not recalled.
    memory.supersede(ANN, newer.id, 'The bakery on Oak street opens at 9', 'long', 'explicit');
    memory.invalidate(ANN, older.id);
    expect(memory.recall(ANN, 'bakery').map((m) => m.text)).toEqual(['The bakery on Oak street opens at 9']);
    expect(memory.recall(ANN, 'and the weather?')).toEqual([]);
    expect(memory.recall(ANN, 'what do you think?')).toEqual([]);
  });

  it('keeps to the token budget, skipping a memory too long for what is left', () => {
    const { memory, clock } = h;
    const made = [];
    for (let i = 0; i < 30; i++) {
      made.push(memory.add(ANN, `project alpha note ${i}: ${'detail '.repeat(i % 7)}`.trim(), 'long', 'extracted'));
      clock.advance(HOUR);
    }
    const cost = (list: Parameters<typeof memoryLine>[0][]) => list.reduce((n, m) => n + estimateTokens(memoryLine(m)) + 1, 0);
    for (const budget of [0, 15, 40, 100, 600]) {
      const got = memory.recall(ANN, 'project alpha', budget);
      expect(cost(got)).toBeLessThanOrEqual(budget);
      if (budget >= 100) expect(got.length).toBeGreaterThan(3);
    }
    expect(memory.recall(ANN, 'project alpha', 0)).toEqual([]);
    // The default budget is MEMORY_RECALL_TOKENS (600).
    expect(cost(memory.recall(ANN, 'project alpha'))).toBeLessThanOrEqual(600);
    expect(memory.recall(ANN, 'project alpha').length).toBe(30);
  });

  it('takes any text as words: quotes, FTS operators and other scripts cannot break the query', () => {
    const { memory } = h;
    const m = memory.add(ANN, 'Café Zürich serves crème brûlée', 'long', 'explicit');
    for (const q of ['"', 'NEAR(a b)', 'owner:x OR *', 'cafe AND ) (', 'zurich', 'CRÈME', "brûlée's", '東京']) {
      expect(() => memory.recall(ANN, q)).not.toThrow();
    }
    expect(ids(memory.recall(ANN, 'cafe zurich'))).toEqual([m.id]);
    // Words are stemmed alike, with or without the owner's prefix.
    const hike = memory.add(ANN, 'The user likes hiking in the Alps', 'long', 'extracted');
    expect(ids(memory.recall(ANN, 'Should I hike or ski? I liked the mountains'))).toEqual([hike.id]);
    expect(ids(memory.search(ANN, 'owner:x OR creme', 5))).toEqual([m.id]);
    expect(memory.search(BOB, 'cafe', 5)).toEqual([]);
  });
});

describe('owners, history and forgetting', () => {
  it('one person never reaches another\'s memory by id', () => {
    const { memory } = h;
    const bob = memory.add(BOB, 'Bob\'s locker code is 4711', 'long', 'explicit');
    expect(memory.get(ANN, bob.id)).toBeUndefined();
    expect(memory.forget(ANN, bob.id)).toBeUndefined();
    expect(memory.invalidate(ANN, bob.id)).toBe(false);
    expect(memory.supersede(ANN, bob.id, 'mine now', 'long', 'explicit')).toBeUndefined();
    expect(memory.clear(ANN)).toBe(0);
    expect(memory.search(ANN, 'locker code', 5)).toEqual([]);
    expect(memory.get(BOB, bob.id)?.text).toBe('Bob\'s locker code is 4711');
  });

  it('remember: the same text is not stored twice; a new tier replaces it; the cap is enforced', () => {
    const { memory } = h;
    const a = memory.remember(ANN, { text: 'I take my coffee black', tier: 'long' });
    expect(a.existed).toBe(false);
    expect(memory.remember(ANN, { text: '  i take my COFFEE black. ', tier: 'long' })).toMatchObject({ memory: { id: a.memory.id }, existed: true });
    const b = memory.remember(ANN, { text: 'I take my coffee black', tier: 'session' });
    expect(b.existed).toBe(false);
    expect(ids(memory.list(ANN, 10).memories)).toEqual([b.memory.id]);
    expect(() => memory.remember(ANN, { text: ' \n ', tier: 'long' })).toThrow(/nothing to remember/);
    expect(() => memory.remember(ANN, { text: 'x'.repeat(501), tier: 'long' })).toThrow(/too long/);
    const small = makeMemoryHarness({ MEMORY_MAX_PER_USER: '2' });
    try {
      small.memory.remember(ANN, { text: 'one', tier: 'long' });
      small.memory.remember(ANN, { text: 'two', tier: 'long' });
      expect(() => small.memory.remember(ANN, { text: 'three', tier: 'long' })).toThrow(/most Jarvis keeps/);
      expect(small.memory.remember(BOB, { text: 'three', tier: 'long' }).existed).toBe(false);
    } finally {
      small.close();
    }
  });

  it('an update keeps the old version as history; forget removes the memory and its history', () => {
    const { memory, db } = h;
    const v1 = memory.add(ANN, 'lives in Paris', 'long', 'explicit');
    const v2 = memory.supersede(ANN, v1.id, 'lives in Lyon', 'long', 'extracted')!;
    const v3 = memory.supersede(ANN, v2.id, 'lives in Berlin', 'long', 'extracted')!;
    // A stale update (v1 is no longer live) changes nothing.
    expect(memory.supersede(ANN, v1.id, 'lives in Rome', 'long', 'extracted')).toBeUndefined();
    const rows = () => db.prepare('SELECT id, text, superseded_by AS by, invalidated_at IS NOT NULL AS old FROM memories ORDER BY id').all();
    expect(rows()).toEqual([
      { id: v1.id, text: 'lives in Paris', by: v2.id, old: 1 },
      { id: v2.id, text: 'lives in Lyon', by: v3.id, old: 1 },
      { id: v3.id, text: 'lives in Berlin', by: null, old: 0 },
    ]);
    expect(memory.search(ANN, 'lives', 5).map((m) => m.text)).toEqual(['lives in Berlin']);
    // Forgetting an old version by id does nothing: only live memories can be named.
    expect(memory.forget(ANN, v1.id)).toBeUndefined();
    const keep = memory.add(ANN, 'works in Potsdam', 'long', 'explicit');
    expect(memory.forget(ANN, v3.id)?.text).toBe('lives in Berlin');
    expect(rows()).toEqual([{ id: keep.id, text: 'works in Potsdam', by: null, old: 0 }]);
    // The index follows: nothing of the forgotten chain is found.
    expect(db.prepare('SELECT COUNT(*) FROM memories_fts').pluck().get()).toBe(1);
    expect(() => db.exec("INSERT INTO memories_fts (memories_fts) VALUES ('integrity-check')")).not.toThrow();
  });
});
