import { describe, expect, it } from 'vitest';
import type { FaultPlan } from '../fakes/telegram-bot-api.js';
import { person, useHarness } from './harness.js';

const CHATS = 5;
const PER_CHAT = 6;
const ADMINS = Array.from({ length: CHATS }, (_, i) => person(1001 + i, `Admin${i + 1}`));
/** The k-th grant (0-based, over all chats) targets telegram:<BASE + k>. */
const BASE = 70_000;

const grantText = (n: number): string => `telegram:${n} is now a user.`;

/**
 * A third of the grant replies fail on their first attempt: k % 6 == 0 with 429 (retry after 1 s),
 * k % 6 == 3 with 500. Keyed by the text, so the plan is the same whatever order the chats
 * interleave in, and a retry of a faulted message always goes through.
 */
function firstAttemptFaults(): { plan: FaultPlan; faulted: Set<string> } {
  const faulted = new Set<string>();
  const plan: FaultPlan = (method, params) => {
    if (method !== 'sendMessage') return undefined;
    const text = String(params.text);
    const m = /^telegram:(\d+) is now a user\.$/.exec(text);
    if (!m || faulted.has(text)) return undefined;
    const k = Number(m[1]) - BASE;
    if (k % 6 !== 0 && k % 6 !== 3) return undefined;
    faulted.add(text);
    return k % 6 === 0 ? { kind: '429', retryAfter: 1 } : { kind: '500' };
  };
  return { plan, faulted };
}

describe('Telegram answering 429 and 500', () => {
  const harness = useHarness();

  it('delivers every reply exactly once and in order per chat', async () => {
    const h = harness();
    await h.start({ JARVIS_ADMINS: ADMINS.map((a) => `telegram:${a.id}`).join(',') });
    const { plan, faulted } = firstAttemptFaults();
    h.fake.faults = plan;

    const expected = new Map<number, string[]>();
    for (let j = 0; j < PER_CHAT; j++) {
      ADMINS.forEach((admin, i) => {
        const n = BASE + i * PER_CHAT + j;
        h.fake.sendText(admin, `/allow telegram:${n} user`);
        expected.set(admin.id, [...(expected.get(admin.id) ?? []), grantText(n)]);
      });
    }
    const all = [...expected.values()].flat();
    await h.fake.waitFor(() => all.every((t) => ADMINS.some((a) => h.count(a.id, t) > 0)), 25_000);

    expect(faulted.size).toBe(10);
    const rejected = h.fake.calls.filter((c) => c.method === 'sendMessage' && c.answeredWith === 'error');
    expect(rejected.map((c) => c.errorCode).sort()).toEqual([...Array(5).fill(429), ...Array(5).fill(500)]);
    for (const admin of ADMINS) {
      expect(h.texts(admin.id)).toEqual(expected.get(admin.id));
    }
    // Nothing sent twice: each grant text was accepted by Telegram exactly once.
    const okTexts = h.fake.calls.filter((c) => c.method === 'sendMessage' && c.answeredWith === 'ok').map((c) => String(c.params.text));
    for (const t of all) expect(okTexts.filter((x) => x === t)).toHaveLength(1);
  }, 30_000);
});
