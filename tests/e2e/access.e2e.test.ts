import { describe, expect, it } from 'vitest';
import { person, sleep, useHarness } from './harness.js';

const ADMIN = person(1001, 'Ada');
const STRANGER = person(2001, 'Eve');
const USER = person(2002, 'Bob');
const FORGED = ['flow:allow:admin', 'flow:allow:role:admin'];
const ADMIN_COMMANDS = ['/allow', '/deny', '/users', '/lockdown', '/audit', '/jobs', '/runjob'];

describe('access control, as people see it', () => {
  const harness = useHarness();

  it('answers a stranger once, audits every attempt, and never lets them reach /allow', async () => {
    const h = harness();
    await h.start({ JARVIS_ADMINS: `telegram:${ADMIN.id}` });
    for (const text of ['hello?', '/allow', `/allow telegram:${STRANGER.id} admin`]) h.fake.sendText(STRANGER, text);
    await h.waitForText(STRANGER.id, 'owner must allow');
    // Forged buttons of the admin flow (old and current data formats), on the only message the stranger has.
    const onto = h.messageIdOf(STRANGER.id, 'owner must allow');
    for (const data of FORGED) {
      const query = h.fake.pressButton(STRANGER, data, onto);
      expect((await h.waitForAnswer(query)).answeredWith).toBe('ok');
      expect(h.answers(query)).toHaveLength(1);
    }

    const replies = h.texts(STRANGER.id);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toContain(`telegram:${STRANGER.id}`);
    expect(replies[0]).toMatch(/owner must allow you/);

    const audit = (await h.ask(ADMIN, '/audit 10')).split('\n');
    const denied = audit.filter((l) => l.includes(`telegram:${STRANGER.id}`) && l.includes('→ denied'));
    expect(denied).toHaveLength(3 + FORGED.length);
    expect(denied.some((l) => l.includes('/allow'))).toBe(true);
    expect(denied.some((l) => l.includes('button'))).toBe(true);

    const users = await h.ask(ADMIN, '/users');
    expect(users).not.toContain(`telegram:${STRANGER.id}`);
    // Still a stranger: nothing new reaches them, even for /whoami.
    await h.ask(ADMIN, '/whoami');
    expect(h.texts(STRANGER.id)).toHaveLength(1);
  });

  it('shows admin commands to admins only and refuses them to users', async () => {
    const h = harness();
    await h.start({ JARVIS_ADMINS: `telegram:${ADMIN.id}` });
    const adminHelp = await h.ask(ADMIN, '/help');
    for (const c of ['/allow', '/lockdown', '/audit', '/status', '/whoami']) expect(adminHelp).toContain(c);

    expect(await h.ask(ADMIN, `/allow telegram:${USER.id} user`)).toBe(`telegram:${USER.id} is now a user.`);
    const userHelp = await h.ask(USER, '/help');
    for (const c of ['/help', '/status', '/whoami', '/cancel']) expect(userHelp).toContain(c);
    for (const c of ADMIN_COMMANDS) expect(userHelp).not.toContain(c);
    expect(await h.ask(USER, '/users')).toBe('That is for admins only.');
    expect(await h.ask(USER, '/allow telegram:9 admin')).toBe('That is for admins only.');
    expect(await h.ask(USER, '/whoami')).toContain('role user');
  });

  it('rate-limits a burst: three answers, one "slow down", then silence', async () => {
    const h = harness();
    await h.start({ JARVIS_ADMINS: `telegram:${ADMIN.id}`, JARVIS_RATE_LIMIT_BURST: '3', JARVIS_RATE_LIMIT_PER_MIN: '1' });
    await h.ask(ADMIN, `/allow telegram:${USER.id} user`);
    for (let i = 0; i < 8; i++) h.fake.sendText(USER, '/whoami');
    await h.fake.waitFor(() => h.texts(USER.id).length >= 4);
    await sleep(1000);
    expect(h.count(USER.id, 'You are Bob')).toBe(3);
    expect(h.count(USER.id, 'Slow down')).toBe(1);
    expect(h.texts(USER.id)).toHaveLength(4);
  });
});
