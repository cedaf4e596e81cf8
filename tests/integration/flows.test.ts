import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN, makeHarness, type Harness } from '../support/app-harness.js';

describe('the /allow flow (persisted conversations)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await makeHarness({ JARVIS_FLOW_TTL_SEC: '300' });
  });
  afterEach(async () => {
    await h.close();
  });

  it('asks who, re-asks on a bad id, offers role buttons, and grants on a press', async () => {
    expect(await h.say(ADMIN, '/allow')).toEqual(['Who should I allow? Send their id as channel:id (they get it from /start), or /cancel.']);
    expect((await h.say(ADMIN, 'bob'))[0]).toMatch(/^That is not an id/);
    expect(await h.say(ADMIN, 'telegram:3003')).toEqual(['Which role for telegram:3003?']);
    const buttons = h.lastButtons()!.flat();
    expect(buttons.map((b) => b.label)).toEqual(['User', 'Admin']);
    const user = buttons.find((b) => b.label === 'User')!;
    expect((await h.press(ADMIN, user.data)).texts).toEqual(['telegram:3003 is now a user.']);
    expect(await h.say(3003, '/whoami')).toEqual(['You are User 3003, telegram:3003, role user.']);
    // The same button pressed again: the flow is over, so it has expired and grants nothing.
    const again = await h.press(ADMIN, user.data);
    expect(again.texts).toEqual([]);
    expect(again.answers[0]).toMatch(/expired/);
  });

  it('runs a step once when the same answer arrives twice at the same moment', async () => {
    await h.say(ADMIN, '/allow');
    const [a, b] = await Promise.all([h.say(ADMIN, 'telegram:9'), h.say(ADMIN, 'telegram:9')]);
    expect([...a, ...b].filter((t) => t === 'Which role for telegram:9?')).toHaveLength(1);
    const user = h.lastButtons()!.flat().find((b) => b.label === 'User')!.data;
    const [c, d] = await Promise.all([h.press(ADMIN, user), h.press(ADMIN, user)]);
    expect([...c.texts, ...d.texts].filter((t) => t === 'telegram:9 is now a user.')).toHaveLength(1);
  });

  it('resumes after a restart in the middle of the flow', async () => {
    await h.say(ADMIN, '/allow');
    await h.restart();
    expect(await h.say(ADMIN, 'telegram:4004')).toEqual(['Which role for telegram:4004?']);
    const admin = h.lastButtons()!.flat().find((b) => b.label === 'Admin')!.data;
    await h.restart();
    expect((await h.press(ADMIN, admin)).texts).toEqual(['telegram:4004 is now an admin.']);
  });

  it('lets commands through mid-flow, and /cancel ends it', async () => {
    await h.say(ADMIN, '/allow');
    expect((await h.say(ADMIN, '/whoami'))[0]).toMatch(/^You are/);
    expect(await h.say(ADMIN, '/cancel')).toEqual(['Cancelled /allow.']);
    expect(await h.say(ADMIN, 'telegram:5')).toEqual(['I only answer commands for now. Send /help to see them.']);
    expect(await h.say(ADMIN, '/cancel')).toEqual(['Nothing to cancel.']);
  });

  it('expires after its time to live', async () => {
    await h.say(ADMIN, '/allow telegram:6');
    const admin = h.lastButtons()!.flat().find((b) => b.label === 'Admin')!.data;
    h.clock.advance(301_000);
    const pressed = await h.press(ADMIN, admin);
    expect(pressed.answers[0]).toMatch(/expired/);
    expect((await h.say(ADMIN, '/users'))[0]).not.toContain('telegram:6');
  });

  it('keeps flows apart per user and per chat', async () => {
    await h.say(ADMIN, '/allow telegram:2 admin');
    await h.say(ADMIN, '/allow');
    // Another admin's text is not taken by the first admin's flow.
    expect(await h.say(2, 'telegram:77')).toEqual(['I only answer commands for now. Send /help to see them.']);
    // Nor is the same admin's text in a different chat.
    expect(await h.say(ADMIN, 'telegram:77', { chatId: '-100', chatKind: 'group' })).toEqual([]);
    expect(await h.say(ADMIN, 'telegram:77')).toEqual(['Which role for telegram:77?']);
  });

  it('cancels the flow when the caller loses the role it needs', async () => {
    await h.say(ADMIN, '/allow telegram:2 admin');
    await h.say(2, '/allow');
    await h.say(ADMIN, '/allow telegram:2 user');
    expect(await h.say(2, 'telegram:8')).toEqual(['Your access changed, so that flow was cancelled.']);
    expect((await h.say(ADMIN, '/users'))[0]).not.toContain('telegram:8');
  });

  it('answers a button from an earlier run of the flow as expired, not acting on the current one', async () => {
    await h.say(ADMIN, '/allow telegram:42');
    const old = h.lastButtons()!.flat().find((b) => b.label === 'Admin')!.data;
    await h.say(ADMIN, '/allow telegram:66');
    const stale = await h.press(ADMIN, old); // pressed under "Which role for telegram:42?"
    expect(stale.texts).toEqual([]);
    expect(stale.answers[0]).toMatch(/expired/);
    expect((await h.say(ADMIN, '/users'))[0]).not.toMatch(/telegram:(42|66)/);
  });

  it('answers a button from another flow or step, or garbage callback data, as expired', async () => {
    await h.say(ADMIN, '/allow');
    for (const data of ['flow:other:role:abc123:x', 'flow:allow:role:abc123:user', 'nonsense', 'flow:', 'flow:allow:', '\u0000']) {
      const r = await h.press(ADMIN, data);
      expect(r.texts).toEqual([]);
      expect(r.answers[0]).toMatch(/expired/);
    }
  });
});
