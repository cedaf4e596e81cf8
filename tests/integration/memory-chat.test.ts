import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN, makeHarness, type Harness } from '../support/app-harness.js';
import { DAY, HOUR } from '../support/memory-harness.js';
import memoryCleanup from '../../jobs/memory-cleanup.js';

/**
 * Memories from chat, through the real app and the in-memory channel: /remember, /memory (list,
 * search, clear with confirmation, an admin's read-only look), /forget by id and by words, forged
 * buttons and ids from another person, groups, lockdown, /status, and the cleanup job's counts.
 */

const ANN = 2002;
const BOB = 3003;
let h: Harness;

beforeEach(async () => {
  h = await makeHarness({ JARVIS_RATE_LIMIT_ENABLED: 'false' }, { cron: false });
  for (const u of [ANN, BOB]) h.app.services.roles.grant({ channel: 'telegram', userId: String(u) }, 'user', 'test');
});
afterEach(async () => {
  await h.close();
});

const idOf = (reply: string | undefined): number => Number(/#(\d+)/.exec(reply ?? '')?.[1]);
const buttonData = () => (h.lastButtons() ?? []).flat().map((b) => b.data);

describe('/remember and /memory', () => {
  it('remembers (long by default, "for today" as session), lists newest first, searches', async () => {
    const [first] = await h.say(ANN, '/remember I take my coffee black');
    expect(first).toMatch(/^Noted, until you tell me to forget it: #\d+ “I take my coffee black”\. \/forget \d+ to undo/);
    const [second] = await h.say(ANN, '/remember for today: parking is on level 3');
    expect(second).toMatch(/^Noted, for today: #\d+ “parking is on level 3”/);
    expect(await h.say(ANN, '/remember i take my coffee black')).toEqual([expect.stringMatching(/^I already remember that \(#\d+ “I take my coffee black”, long-term\)\.$/)]);
    h.clock.advance(2 * HOUR);
    const [list] = await h.say(ANN, '/memory');
    expect(list).toBe(
      [
        'What I remember about you (2, newest first)',
        '',
        `#${idOf(second)} · today · 22h 0m left`,
        'parking is on level 3',
        '',
        `#${idOf(first)} · long-term · 2h 0m old`,
        'I take my coffee black',
        '',
        '/forget <id> removes one, /memory clear removes all.',
      ].join('\n'),
    );
    expect((await h.say(ANN, '/memory search coffee'))[0]).toMatch(/^One memory matches “coffee”, best first\n\n#\d+ · long-term · 2h 0m old\nI take my coffee black$/);
    expect(await h.say(ANN, '/memory search tennis')).toEqual(['Nothing I remember matches “tennis”.']);
    expect(await h.say(ANN, '/remember')).toEqual([expect.stringMatching(/^Usage: \/remember <text>/)]);
    expect(await h.say(ANN, '/memory bogus')).toEqual(['Usage: /memory, /memory search <words>, /memory clear']);
    h.clock.advance(22 * HOUR);
    expect((await h.say(ANN, '/memory'))[0]).toMatch(/^What I remember about you \(1, newest first\)/);
    expect(await h.say(BOB, '/memory')).toEqual(['I remember nothing about you yet. Tell me with /remember <text>, or "remember that …".']);
  });

  it('works in lockdown (the notes are not money, machines or files) and not in groups', async () => {
    await h.say(ADMIN, '/lockdown on');
    expect((await h.say(ANN, '/remember I am vegetarian'))[0]).toMatch(/^Noted/);
    const privateOnly = 'Your memories are private: use /remember, /memory and /forget in a private chat with me.';
    expect(await h.say(ANN, '/memory', { chatId: '-100', chatKind: 'group' })).toEqual([privateOnly]);
    expect(await h.say(ANN, '/remember secret plans', { chatId: '-100', chatKind: 'group' })).toEqual([privateOnly]);
    expect(h.app.services.memory.count(`telegram:${ANN}`)).toBe(1);
  });

  it('/status has a Memory line', async () => {
    await h.say(ANN, '/remember I am vegetarian');
    await h.say(BOB, '/remember for a while: learning Portuguese');
    const [status] = await h.say(ANN, '/status');
    expect(status).toMatch(/Memory\W+2 memories for 2 people \(long 1, short 1, today 0\)/);
  });
});

describe('one person never sees or changes another\'s memories', () => {
  it('list, search, forget by id and forged buttons all stay within the caller\'s own', async () => {
    const annId = idOf((await h.say(ANN, '/remember my locker code is 4711'))[0]);
    const bobId = idOf((await h.say(BOB, '/remember my locker is in hall B'))[0]);
    expect((await h.say(BOB, '/memory'))[0]).not.toMatch(/4711/);
    expect((await h.say(BOB, '/memory search locker code'))[0]).not.toMatch(/4711/);
    // Bob names Ann's id: the same answer as for an id that does not exist.
    expect(await h.say(BOB, `/forget ${annId}`)).toEqual([`You have no memory #${annId} (it may be forgotten already). See /memory.`]);
    expect(await h.say(BOB, '/forget 999999')).toEqual(['You have no memory #999999 (it may be forgotten already). See /memory.']);
    // A forged button with Ann's id.
    expect((await h.press(BOB, `mem:f:${annId}`)).texts).toEqual([`You have no memory #${annId} (it may be forgotten already). See /memory.`]);
    expect((await h.press(BOB, 'mem:f:abc')).texts).toEqual(['That button is not valid any more.']);
    expect(h.app.services.memory.get(`telegram:${ANN}`, annId)?.text).toBe('my locker code is 4711');
    // Ann's own id works.
    expect(await h.say(ANN, `/forget #${annId}`)).toEqual([`Forgotten: #${annId} “my locker code is 4711”.`]);
    expect(await h.say(ANN, `/forget ${annId}`)).toEqual([`You have no memory #${annId} (it may be forgotten already). See /memory.`]);
    expect(h.app.services.memory.get(`telegram:${BOB}`, bobId)).toBeDefined();
  });

  it('a user may not look at someone else\'s memories; an admin may, read-only and audited', async () => {
    await h.say(ANN, '/remember I am allergic to peanuts');
    expect(await h.say(BOB, `/memory of telegram:${ANN}`)).toEqual(['Only admins may look at someone else\'s memories.']);
    const [look] = await h.say(ADMIN, `/memory of telegram:${ANN}`);
    expect(look).toMatch(new RegExp(`^Memories of telegram:${ANN} \\(1, newest first\\)\\n\\n#\\d+ · long-term · 0s old\\nI am allergic to peanuts\\n\\nRead-only\\.$`));
    expect((await h.say(ADMIN, `/memory of telegram:${ANN} peanuts`))[0]).toMatch(/^One memory matches “peanuts” \(telegram:2002, read-only\)/);
    expect(await h.say(ADMIN, '/memory of telegram:42')).toEqual(['Nothing is remembered for telegram:42.']);
    expect(await h.say(ADMIN, '/memory of bob')).toEqual([expect.stringMatching(/^Usage: \/memory of <channel:id>/)]);
    // The admin's own /memory is their own, and /forget has no "of".
    expect(await h.say(ADMIN, '/memory')).toEqual([expect.stringMatching(/^I remember nothing about you yet/)]);
    const audit = h.app.services.db.prepare("SELECT actor, target, detail FROM audit_log WHERE action = 'memory inspect' ORDER BY id").all();
    expect(audit).toEqual([
      { actor: `telegram:${ADMIN}`, target: `telegram:${ANN}`, detail: 'list' },
      { actor: `telegram:${ADMIN}`, target: `telegram:${ANN}`, detail: 'search' },
      { actor: `telegram:${ADMIN}`, target: 'telegram:42', detail: 'list' },
    ]);
  });
});

describe('/forget by words', () => {
  it('forgets an exact match at once; otherwise offers the closest with buttons', async () => {
    const bread = idOf((await h.say(ANN, '/remember I bake sourdough bread on Sundays'))[0]);
    const rye = idOf((await h.say(ANN, '/remember my favourite bread is rye'))[0]);
    await h.say(ANN, '/remember the dog is called Rex');
    expect(await h.say(ANN, '/forget The dog is called Rex.')).toEqual([expect.stringMatching(/^Forgotten: #\d+ “the dog is called Rex”\.$/)]);
    const [ask] = await h.say(ANN, '/forget bread');
    expect(ask).toMatch(/^Which one should I forget\?/);
    expect(buttonData().sort()).toEqual([`mem:f:${bread}`, `mem:f:${rye}`, 'mem:k'].sort());
    expect((await h.press(ANN, 'mem:k')).texts).toEqual(['Kept: nothing was forgotten.']);
    // Bob pressing Ann's button forgets nothing.
    expect((await h.press(BOB, `mem:f:${rye}`)).texts).toEqual([`You have no memory #${rye} (it may be forgotten already). See /memory.`]);
    expect((await h.press(ANN, `mem:f:${rye}`)).texts).toEqual([`Forgotten: #${rye} “my favourite bread is rye”.`]);
    // Pressed again (or delivered twice): nothing more happens.
    expect((await h.press(ANN, `mem:f:${rye}`)).texts).toEqual([`You have no memory #${rye} (it may be forgotten already). See /memory.`]);
    const [one] = await h.say(ANN, '/forget sourdough');
    expect(one).toMatch(/^Forget this one\?/);
    expect(await h.say(ANN, '/forget tennis')).toEqual(['Nothing I remember matches “tennis”. See /memory.']);
    expect(await h.say(ANN, '/forget')).toEqual(['Usage: /forget <id> or /forget <words>. See /memory for ids.']);
  });
});

describe('/memory clear', () => {
  it('asks first; Cancel keeps everything, Confirm forgets all of the caller\'s and nobody else\'s', async () => {
    await h.say(ANN, '/remember I am vegetarian');
    await h.say(ANN, '/remember for a while: learning Portuguese');
    await h.say(BOB, '/remember I play the drums');
    expect(await h.say(ANN, '/memory clear')).toEqual(['Forget all 2 memories I keep about you? This cannot be undone.']);
    const [confirm, cancel] = buttonData();
    expect(confirm).toMatch(/^flow:memoryclear:confirm:[a-z0-9]{6}:yes$/);
    // Another person pressing Ann's button: their flow is not this one.
    expect((await h.press(BOB, confirm!)).answers).toEqual(['This button has expired. Start again with the command.']);
    expect((await h.press(ANN, cancel!)).texts).toEqual(['Cancelled: nothing was forgotten.']);
    expect(h.app.services.memory.count(`telegram:${ANN}`)).toBe(2);
    // The old Confirm button is dead once that run ended.
    expect((await h.press(ANN, confirm!)).answers).toEqual(['This button has expired. Start again with the command.']);
    expect(h.app.services.memory.count(`telegram:${ANN}`)).toBe(2);
    await h.say(ANN, '/memory clear');
    const [yes] = buttonData();
    expect((await h.press(ANN, yes!)).texts).toEqual(['Done: I forgot all 2 memories about you.']);
    expect(h.app.services.memory.count(`telegram:${ANN}`)).toBe(0);
    expect(h.app.services.memory.count(`telegram:${BOB}`)).toBe(1);
    expect(await h.say(ANN, '/memory clear')).toEqual(['I remember nothing about you, so there is nothing to clear.']);
  });
});

describe('memory-cleanup job', () => {
  it('writes pending recalls, deletes expired memories and old chat turns, and reports the counts', async () => {
    const { memory, db, clock } = h.app.services;
    const ann = `telegram:${ANN}`;
    memory.add(ann, 'in a meeting until 3pm', 'session', 'explicit');
    const short = memory.add(ann, 'reading Dune', 'short', 'extracted');
    memory.add(ann, 'vegetarian', 'long', 'explicit');
    const hasTurns = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'chat_turns'").get() !== undefined;
    const turn = db.prepare("INSERT INTO chat_turns (user_key, chat_id, role, text, at) VALUES (?, '1', 'user', 'hi', ?)");
    if (hasTurns) {
      turn.run(ann, clock.now());
      turn.run(ann, clock.now() + 10 * DAY);
    }
    h.clock.advance(20 * DAY);
    memory.recall(ann, 'Dune');
    h.clock.advance(20 * DAY);
    const signal = new AbortController().signal;
    expect(await memoryCleanup.run(h.app.services, signal)).toBe(`recalls written=1 expired memories=1 chat_turns=${hasTurns ? 1 : 0}`);
    expect(memory.get(ann, short.id)).toBeDefined();
    expect(await memoryCleanup.run(h.app.services, signal)).toBe('recalls written=0 expired memories=0 chat_turns=0');
    // Before the LLM migration (no chat_turns table) it runs all the same.
    db.exec('DROP TABLE IF EXISTS chat_turns');
    h.clock.advance(31 * DAY);
    expect(await memoryCleanup.run(h.app.services, signal)).toBe('recalls written=0 expired memories=1 chat_turns=0');
    expect(h.app.services.scheduler.jobs().find((j) => j.name === 'memory-cleanup')).toEqual({
      name: 'memory-cleanup',
      description: 'Write pending memory recalls, delete expired memories and old chat turns',
      cron: '30 3 * * *',
      missed: 'run-once',
    });
  });
});
