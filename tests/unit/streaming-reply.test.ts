import { describe, expect, it } from 'vitest';
import { StreamingReply, type ReplySink } from '../../src/core/streaming-reply.js';
import { asOutbound, plainText, type Outbound, type SentRef } from '../../src/core/message.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Records calls; `held` makes it behave like a channel that skips interim states (WhatsApp). */
function recordingSink(held: boolean) {
  const calls: { kind: 'reply' | 'edit'; out: Outbound }[] = [];
  const sink: ReplySink = {
    async reply(o) {
      const out = asOutbound(o);
      calls.push({ kind: 'reply', out });
      return { chatId: 'c', messageId: String(calls.length), ...(held && out.interim ? { held: true } : {}) } satisfies SentRef;
    },
    async edit(_ref, o) {
      calls.push({ kind: 'edit', out: asOutbound(o) });
    },
  };
  return { sink, calls };
}

describe('StreamingReply and channels without cheap edits', () => {
  it('marks every state before the final one interim, and the final one not', async () => {
    const { sink, calls } = recordingSink(false);
    const s = new StreamingReply(sink, { intervalMs: 5, placeholderMs: 0 });
    s.push('Hel');
    await sleep(20);
    s.push('lo there');
    await sleep(20);
    await s.finish('Hello there, friend.');
    expect(calls.slice(0, -1).every((c) => c.out.interim === true)).toBe(true);
    expect(calls.at(-1)).toMatchObject({ kind: 'edit', out: { text: 'Hello there, friend.' } });
    expect(calls.at(-1)!.out.interim).toBeUndefined();
  });

  it('makes no extra edit when the final text is already shown (Telegram)', async () => {
    const { sink, calls } = recordingSink(false);
    const s = new StreamingReply(sink, { intervalMs: 5, placeholderMs: 0 });
    s.push('Done.');
    await sleep(20);
    await s.finish('Done.');
    expect(calls.map((c) => [c.kind, plainText(c.out.text)])).toEqual([['reply', 'Done.']]);
  });

  it('still delivers the final text when the interim send was held back (WhatsApp)', async () => {
    const { sink, calls } = recordingSink(true);
    const s = new StreamingReply(sink, { intervalMs: 5, placeholderMs: 0 });
    s.push('Done.');
    await sleep(20);
    await s.finish('Done.');
    expect(calls.map((c) => [c.kind, plainText(c.out.text), c.out.interim ?? false])).toEqual([
      ['reply', 'Done.', true],
      ['edit', 'Done.', false],
    ]);
  });
});
