import { describe, expect, it } from 'vitest';
import { buildContext, repairToolPairs } from '../../src/vibe/context.js';
import type { StoredMessage } from '../../src/vibe/store.js';

/**
 * What a /vibe session sends back to the model: a tool call cut off by a restart or /vibe stop
 * still gets a result (the API refuses a dangling one), and over the budget whole turns are folded
 * away from the front, never splitting a tool call from its result.
 */

let id = 0;
const msg = (role: 'user' | 'assistant', content: StoredMessage['content']): StoredMessage => ({ id: ++id, role, content, summarized: false });
const text = (role: 'user' | 'assistant', t: string) => msg(role, [{ type: 'text', text: t }]);
const call = (toolId: string) => msg('assistant', [{ type: 'tool_use', id: toolId, name: 'read_file', input: { path: 'a.ts' } }]);
const result = (toolId: string) => msg('user', [{ type: 'tool_result', toolUseId: toolId, content: 'x' }]);

describe('vibe context', () => {
  it('answers a tool call left without a result at the end (a restart mid-step)', () => {
    const repaired = repairToolPairs([text('user', 'fix it'), call('t1')]);
    expect(repaired).toHaveLength(3);
    expect(repaired[2]).toEqual({ role: 'user', content: [{ type: 'tool_result', toolUseId: 't1', content: expect.stringMatching(/interrupted/), isError: true }] });
  });

  it('puts the missing result ahead of the next message when the person wrote again', () => {
    const repaired = repairToolPairs([text('user', 'fix it'), call('t1'), text('user', 'go on')]);
    expect(repaired[2]!.content.map((b) => b.type)).toEqual(['tool_result', 'text']);
  });

  it('leaves answered calls alone', () => {
    const messages = [text('user', 'fix it'), call('t1'), result('t1'), text('assistant', 'done')];
    expect(repairToolPairs(messages)).toEqual(messages);
  });

  it('within the budget sends everything; over it folds whole turns from the front', () => {
    const turn1 = [text('user', 'a'.repeat(400)), call('t1'), result('t1'), text('assistant', 'b'.repeat(400))];
    const turn2 = [text('user', 'second'), text('assistant', 'ok')];
    const stored = [...turn1, ...turn2];
    expect(buildContext(stored, 10_000).toFold).toBeUndefined();
    const built = buildContext(stored, 50);
    expect(built.messages.map((m) => m.content[0]!.type === 'text' ? (m.content[0] as { text: string }).text : m.content[0]!.type)).toEqual(['second', 'ok']);
    expect(built.toFold!.messages).toEqual(turn1);
    expect(built.toFold!.throughId).toBe(turn1.at(-1)!.id);
  });

  it('keeps the last turn even when it alone is over the budget', () => {
    const stored = [text('user', 'x'.repeat(4_000)), text('assistant', 'y')];
    expect(buildContext(stored, 10).messages).toHaveLength(2);
  });
});
