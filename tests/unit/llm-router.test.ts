import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { routeMessage } from '../../src/llm/router.js';

/**
 * The router on the labelled sets (tests/fixtures/README.md: labels by human judgement), and
 * decisions a person would check by hand. routing-holdout-3.json was written without seeing the
 * router or the other sets; the others have been looked at while writing rules.
 */
const rules = { localMaxChars: 100, claudeWords: [] as string[] };
const load = (name: string) => JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures', name), 'utf8')) as { text: string; needs: string }[];
const SETS = ['routing-workload.json', 'routing-holdout.json', 'routing-holdout-2.json', 'routing-holdout-3.json'];

describe('routeMessage', () => {
  it.each(SETS)('%s: under 5% of the needs-Claude messages go to the local model, and it is not "everything to Claude"', (name) => {
    const items = load(name);
    const needsClaude = items.filter((i) => i.needs === 'claude');
    const missed = needsClaude.filter((i) => routeMessage(i.text, rules).provider === 'local');
    expect(missed.length / needsClaude.length).toBeLessThan(0.05);
    const local = items.filter((i) => i.needs === 'local');
    expect(local.filter((i) => routeMessage(i.text, rules).provider === 'local').length / local.length).toBeGreaterThan(0.55);
  });

  it('with LLM_ROUTE_UNSURE=local, unrecognised short messages go local (cheaper, riskier)', () => {
    expect(routeMessage('did the thing from earlier work out', rules)).toEqual({ provider: 'claude', reason: 'not clearly simple' });
    expect(routeMessage('did the thing from earlier work out', { ...rules, unsure: 'local' })).toEqual({ provider: 'local', reason: 'a short question' });
    // A quick fact about the world is local either way; a short question about their own things is not.
    expect(routeMessage('capital of portugal?', rules).provider).toBe('claude');
    expect(routeMessage('what is the capital of portugal', rules)).toEqual({ provider: 'local', reason: 'a quick fact' });
    expect(routeMessage('what is wrong with my nas', rules).provider).toBe('claude');
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

  it('keeps small requests local even when they look like tasks, and still sends real work to Claude', () => {
    expect(routeMessage('every monday 9am remind me to check the backups', rules)).toEqual({ provider: 'local', reason: 'a reminder to set' });
    expect(routeMessage('remind me how to write a systemd timer', rules).provider).toBe('claude');
    expect(routeMessage('write a haiku about proxmox', rules)).toEqual({ provider: 'local', reason: 'a short piece of writing' });
    expect(routeMessage('write a quick thank-you note for my neighbour who fed the cat', rules).provider).toBe('local');
    expect(routeMessage('write a cover letter for a senior devops role', rules).provider).toBe('claude');
    expect(routeMessage('write a python script that renames my photos by date', rules).provider).toBe('claude');
    expect(routeMessage('what is proof of stake, in two sentences', rules).provider).toBe('local');
    expect(routeMessage('prove that the square root of 2 is irrational', rules).provider).toBe('claude');
  });

  it('sends short questions that need diagnosis, care, maths or several actions to Claude', () => {
    expect(routeMessage('hey can you make my bot only sell half when the stop hits', rules)).toEqual({ provider: 'claude', reason: 'a change to their code' });
    expect(routeMessage('why does my docker container lose its network after a reboot', rules).reason).toBe('something to debug');
    expect(routeMessage('the backup job never runs on sundays', rules).reason).toBe('something to debug');
    expect(routeMessage('my api keeps returning 502 since this morning', rules).reason).toBe('something to debug');
    expect(routeMessage('is it safe to resize a zfs pool with vms running', rules).reason).toBe('a question that needs care');
    expect(routeMessage('how much is 2 SOL after a year compounding 1% a week', rules).reason).toBe('reasoning or maths');
    expect(routeMessage('para todos os containers e depois reinicia o pve2', rules).reason).toBe('several steps (tool use)');
    // ...while a greeting, a definition or a why-question about the world stay local.
    expect(routeMessage('hey whats up', rules).provider).toBe('local');
    expect(routeMessage('what does APR mean', rules).provider).toBe('local');
    expect(routeMessage('who wrote dune', rules).provider).toBe('local');
    expect(routeMessage('ram on pve2?', rules)).toEqual({ provider: 'local', reason: 'a status question' });
    expect(routeMessage('reboot vm 104', rules)).toEqual({ provider: 'local', reason: 'one action (a command does it)' });
  });

  it('judges the instruction of a rewording, not the text pasted after it', () => {
    const pasted = 'Hi all, quick follow-up: should we compare the two offers or just go with the cheaper one? Pros and cons welcome.';
    expect(routeMessage(`rewrite shorter, same meaning: ${pasted}`, rules)).toEqual({ provider: 'local', reason: 'a summary or rewording' });
    expect(routeMessage(`bullet points pls: ${pasted}`, rules).provider).toBe('local');
    expect(routeMessage(`summarise this and tell me whether it is fair: ${pasted}`, rules).provider).toBe('claude');
  });

  it('takes extra Claude words from config', () => {
    expect(routeMessage('what is a monad', rules).provider).toBe('local');
    expect(routeMessage('what is a monad', { ...rules, claudeWords: ['monad'] })).toEqual({ provider: 'claude', reason: 'asks for "monad"' });
  });
});
