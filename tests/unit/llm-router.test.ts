import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { routeMessage } from '../../src/llm/router.js';

/**
 * The router on the held-out labelled set (written without seeing the router, labels by human
 * judgement; tests/fixtures/README.md), and a few decisions a person would check by hand.
 */
const rules = { localMaxChars: 100, claudeWords: [] as string[] };

describe('routeMessage', () => {
  it('sends under 5% of the needs-Claude messages of the held-out set to the local model', () => {
    const items = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/routing-holdout.json'), 'utf8')) as { text: string; needs: string }[];
    const needsClaude = items.filter((i) => i.needs === 'claude');
    const missed = needsClaude.filter((i) => routeMessage(i.text, rules).provider === 'local');
    expect(missed.length / needsClaude.length).toBeLessThan(0.05);
    // And it is not "everything to Claude": most local-able messages stay local.
    const local = items.filter((i) => i.needs === 'local');
    expect(local.filter((i) => routeMessage(i.text, rules).provider === 'local').length / local.length).toBeGreaterThan(0.7);
  });

  it('decides the obvious cases and says why', () => {
    expect(routeMessage('thanks!', rules)).toEqual({ provider: 'local', reason: 'chit-chat' });
    expect(routeMessage('is pve2 ok?', rules)).toEqual({ provider: 'local', reason: 'a status question' });
    expect(routeMessage(`tl;dr: ${'the vendor moved the delivery. '.repeat(20)}`, rules)).toEqual({ provider: 'local', reason: 'a summary or rewording' });
    expect(routeMessage('```ts\nconst x = 1;\n```\nwhy does this fail?', rules).provider).toBe('claude');
    expect(routeMessage('check disk usage on all nodes and then delete old snapshots', rules).provider).toBe('claude');
    expect(routeMessage('summarise this contract and tell me the risks: ...', rules).provider).toBe('claude');
    expect(routeMessage('x'.repeat(101), rules)).toEqual({ provider: 'claude', reason: 'long (101 characters)' });
  });

  it('takes extra Claude words from config', () => {
    expect(routeMessage('what is a monad', rules).provider).toBe('local');
    expect(routeMessage('what is a monad', { ...rules, claudeWords: ['monad'] })).toEqual({ provider: 'claude', reason: 'asks for "monad"' });
  });
});
