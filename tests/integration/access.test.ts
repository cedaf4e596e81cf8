import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN, makeHarness, type Harness } from '../support/app-harness.js';

const STRANGER = 5555;
const USER = 2002;

describe('access control through the real chain', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await makeHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('tells a stranger their id once per 10 minutes, audits every attempt, and reaches nothing', async () => {
    const first = await h.say(STRANGER, '/start');
    expect(first).toHaveLength(1);
    expect(first[0]).toContain(`telegram:${STRANGER}`);
    expect(first[0]).toMatch(/owner must allow/);
    expect(await h.say(STRANGER, '/status')).toEqual([]);
    expect(await h.say(STRANGER, 'hello?')).toEqual([]);
    const pressed = await h.press(STRANGER, 'flow:allow:role:admin');
    expect(pressed.texts).toEqual([]);
    h.clock.advance(9 * 60_000);
    expect(await h.say(STRANGER, '/help')).toEqual([]);
    h.clock.advance(60_001);
    expect(await h.say(STRANGER, '/help')).toHaveLength(1);

    const audit = (await h.say(ADMIN, '/audit 20'))[0]!;
    expect(audit.match(new RegExp(`telegram:${STRANGER} \\S+ → denied`, 'g'))).toHaveLength(6);
  });

  it('ignores a stranger chatting in a group, but answers a command there', async () => {
    const group = { chatId: '-100200', chatKind: 'group' as const };
    expect(await h.say(STRANGER, 'lol', group)).toEqual([]);
    expect((await h.say(STRANGER, '/status', group))[0]).toContain(`telegram:${STRANGER}`);
    const audit = (await h.say(ADMIN, '/audit 5'))[0]!;
    expect(audit).toContain(`telegram:${STRANGER} /status → denied`);
    expect(audit).not.toContain(`telegram:${STRANGER} message`);
  });

  it('shows access figures on /status', async () => {
    await h.say(STRANGER, 'hi');
    await h.say(ADMIN, '/allow telegram:2 user');
    expect((await h.say(ADMIN, '/status'))[0]).toContain('2 allowed (1 admin), 1 denied attempt in the last 24 h');
  });

  it('keeps the denial window across a restart (no reply loop after a crash)', async () => {
    expect(await h.say(STRANGER, 'hi')).toHaveLength(1);
    await h.restart();
    expect(await h.say(STRANGER, 'hi again')).toEqual([]);
  });

  it('lets an admin grant and revoke, and gates admin commands by role', async () => {
    expect(await h.say(USER, '/whoami')).toHaveLength(1); // stranger's one denial
    expect(await h.say(ADMIN, `/allow telegram:${USER} user`)).toEqual([`telegram:${USER} is now a user.`]);
    expect(await h.say(USER, '/whoami')).toEqual([`You are User ${USER}, telegram:${USER}, role user.`]);
    expect(await h.say(USER, '/users')).toEqual(['That is for admins only.']);
    expect(await h.say(USER, `/allow telegram:${USER} admin`)).toEqual(['That is for admins only.']);

    const userHelp = (await h.say(USER, '/help'))[0]!;
    const adminHelp = (await h.say(ADMIN, '/help'))[0]!;
    for (const c of ['/status', '/whoami', '/cancel', '/help', '/start']) {
      expect(userHelp).toContain(c);
      expect(adminHelp).toContain(c);
    }
    for (const c of ['/users', '/allow', '/deny', '/lockdown', '/audit', '/runjob']) {
      expect(userHelp).not.toContain(c);
      expect(adminHelp).toContain(c);
    }

    expect((await h.say(ADMIN, '/users'))[0]).toContain(`telegram:${USER} — user (by telegram:${ADMIN})`);
    expect(await h.say(ADMIN, `/deny telegram:${USER}`)).toEqual([`telegram:${USER} can no longer use Jarvis.`]);
    h.clock.advance(11 * 60_000);
    expect((await h.say(USER, '/whoami'))[0]).toMatch(/owner must allow/);
  });

  it('refuses to change an owner from chat or to let an admin demote themselves', async () => {
    expect(await h.say(ADMIN, `/deny telegram:${ADMIN}`)).toEqual(['You cannot remove yourself. Ask another admin.']);
    await h.say(ADMIN, '/allow telegram:7 admin');
    expect((await h.say(7, `/deny telegram:${ADMIN}`))[0]).toMatch(/is an owner \(JARVIS_ADMINS\)/);
    expect((await h.say(7, `/allow telegram:${ADMIN} user`))[0]).toMatch(/is an owner/);
    expect(await h.say(7, '/allow telegram:7 user')).toEqual(['You cannot lower your own role. Ask another admin.']);
  });

  it('answers bad arguments with usage and changes nothing', async () => {
    expect((await h.say(ADMIN, '/allow bob'))[0]).toMatch(/is not an identity/);
    expect((await h.say(ADMIN, '/allow telegram:abc user'))[0]).toMatch(/is not an identity/);
    expect(await h.say(ADMIN, '/allow telegram:9 king')).toEqual(['Usage: /allow <channel:id> [admin|user]']);
    expect(await h.say(ADMIN, '/deny')).toEqual(['Usage: /deny <channel:id>']);
    expect(await h.say(ADMIN, '/audit 0')).toEqual(['Usage: /audit [n], n from 1 to 100']);
    expect(await h.say(ADMIN, '/lockdown maybe')).toEqual(['Usage: /lockdown on|off']);
    const users = (await h.say(ADMIN, '/users'))[0]!;
    expect(users).not.toContain('telegram:9');
  });
});

describe('lockdown', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await makeHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('refuses actions, keeps reads, survives a restart, and is audited', async () => {
    expect((await h.say(ADMIN, '/lockdown on'))[0]).toMatch(/Lockdown is ON/);
    const refused = await h.say(ADMIN, '/runjob maintenance');
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatch(/^Refused: Jarvis is in lockdown/);
    expect((await h.say(ADMIN, '/status'))[0]).toContain('Lockdown: ON');
    await h.restart();
    expect((await h.say(ADMIN, '/runjob maintenance'))[0]).toMatch(/lockdown/);
    expect((await h.say(ADMIN, '/lockdown off'))[0]).toMatch(/Lockdown is off/);
    const ran = await h.say(ADMIN, '/runjob maintenance');
    expect(ran[0]).toBe('Running maintenance…');
    expect(ran[1]).toMatch(/^maintenance: ok in \d+ ms — pruned audit=0/);
    const audit = (await h.say(ADMIN, '/audit 10'))[0]!;
    expect(audit).toMatch(/lockdown on → ok/);
    expect(audit).toMatch(/\/runjob → refused \(lockdown\)/);
    expect(audit).toMatch(/runjob maintenance → ok/);
  });

  it('lets a user change nothing about lockdown', async () => {
    await h.say(ADMIN, '/allow telegram:2 user');
    expect(await h.say(2, '/lockdown off')).toEqual(['That is for admins only.']);
  });
});

describe('rate limit', () => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  it('answers the first message over the limit with one "slow down" and drops the rest without a backlog', async () => {
    h = await makeHarness({ JARVIS_RATE_LIMIT_BURST: '3', JARVIS_RATE_LIMIT_PER_MIN: '6' });
    const replies: string[] = [];
    for (let i = 0; i < 8; i++) replies.push(...(await h.say(ADMIN, '/whoami')));
    expect(replies.filter((r) => r.startsWith('You are'))).toHaveLength(3);
    expect(replies.filter((r) => r.startsWith('Slow down'))).toHaveLength(1);
    expect(replies).toHaveLength(4);
    h.clock.advance(10_000); // 6/min refills one token in 10 s
    expect(await h.say(ADMIN, '/whoami')).toHaveLength(1);
    expect(await h.say(ADMIN, '/whoami')).toEqual(['Slow down a little: you are sending faster than I take messages. Try again in a few seconds.']);
  });

  it('limits each user separately', async () => {
    h = await makeHarness({ JARVIS_RATE_LIMIT_BURST: '1', JARVIS_RATE_LIMIT_PER_MIN: '1' });
    await h.say(ADMIN, '/allow telegram:2 user');
    expect(await h.say(2, '/whoami')).toHaveLength(1);
    expect((await h.say(ADMIN, '/whoami'))[0]).toMatch(/^Slow down/);
  });
});
