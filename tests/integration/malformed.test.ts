import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN, makeHarness, type Harness } from '../support/app-harness.js';

const STACK = /\n\s+at |\.ts:\d+|\.js:\d+|node_modules/;

describe('malformed input through the whole chain', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await makeHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  const inputs: [string, string][] = [
    ['empty text', ''],
    ['only spaces', '   \n\t '],
    ['100 KB of text', 'x'.repeat(100 * 1024)],
    ['100 KB command', `/allow ${'9'.repeat(100 * 1024)}`],
    ['control characters', '\u0000\u0001\u0007\u001b[31mred\u001b[0m\u007f'],
    ['emoji and RTL', '😀👍🏽‏שלום‎ مرحبا 🇺🇦'],
    ['lone surrogates', '\ud800\udfff\ud83d'],
    ['a slash alone', '/'],
    ['a command with a null byte', '/help\u0000'],
    ['a command for another bot', '/help@someone_else_bot'],
    ['a very long command name', `/${'a'.repeat(200)}`],
    ['sql-ish', "'; DROP TABLE users; --"],
    ['path traversal', '/allow ../../etc/passwd user'],
    ['shell injection', '/deny $(rm -rf /); `reboot`'],
    ['html', '<b>bold</b> & <script>alert(1)</script>'],
  ];

  it.each(inputs)('%s: answered or ignored cleanly, nothing leaks, nothing changes', async (_name, text) => {
    const before = h.app.services.roles.list();
    const replies = await h.say(ADMIN, text);
    for (const r of replies) {
      expect(r).not.toMatch(STACK);
      expect(r).not.toMatch(/Something went wrong/);
      expect(r.length).toBeLessThan(10_000);
    }
    expect(h.app.services.roles.list()).toEqual(before);
    expect(await h.say(ADMIN, '/whoami')).toHaveLength(1); // still alive and answering
  });

  it('answers bad callback data as an expired button, whoever sends it', async () => {
    await h.say(ADMIN, '/allow telegram:2 user');
    for (const data of ['', 'x'.repeat(5000), 'flow:allow:role:admin', 'flow:allow:' + '\u0000', '{"a":1}', 'flow:ALLOW:user']) {
      const r = await h.press(2, data);
      expect(r.texts).toEqual([]);
      expect(r.answers.join(' ')).toMatch(/expired/);
    }
    expect((await h.say(ADMIN, '/users'))[0]).toContain('telegram:2 — user');
  });
});

describe('lone surrogates', () => {
  it('are replaced before the chain, so a reply never echoes one', async () => {
    const h = await makeHarness();
    try {
      const [reply] = await h.say(ADMIN, '/allow \udfff');
      expect(reply).toContain('\ufffd');
      expect(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(reply!)).toBe(false);
    } finally {
      await h.close();
    }
  });
});
