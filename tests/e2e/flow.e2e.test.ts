import { describe, expect, it } from 'vitest';
import { person, useHarness, type Harness } from './harness.js';

const ADMIN = person(1001, 'Ada');
const ENV = { JARVIS_ADMINS: `telegram:${ADMIN.id}` };

/** The admin presses the button labelled `label` under the bot's message containing `on`; waits for the answer. */
async function press(h: Harness, label: 'User' | 'Admin', on: string): Promise<string> {
  const { queryId } = h.press(ADMIN, label, on);
  await h.waitForAnswer(queryId);
  return queryId;
}

describe('the /allow flow', () => {
  const harness = useHarness();

  it('asks who, re-asks on a bad id, asks the role with buttons, grants once', async () => {
    const h = harness();
    await h.start(ENV);
    expect(await h.ask(ADMIN, '/allow')).toMatch(/^Who should I allow\?/);
    expect(await h.ask(ADMIN, 'bob from accounting')).toMatch(/not an id like telegram:123456789.*Try again/);
    expect(await h.ask(ADMIN, 'telegram:3003')).toBe('Which role for telegram:3003?');
    expect(h.botMessage(ADMIN.id, 'Which role for telegram:3003').buttons.map((b) => b.text)).toEqual(['User', 'Admin']);

    const query = await press(h, 'User', 'Which role for telegram:3003');
    await h.waitForText(ADMIN.id, 'telegram:3003 is now a user.');
    expect(h.answers(query)).toHaveLength(1);
    expect(h.answers(query)[0]!.answeredWith).toBe('ok');

    const newcomer = person(3003, 'Cleo');
    expect(await h.ask(newcomer, '/whoami')).toBe('You are Cleo, telegram:3003, role user.');

    // The same button again: the flow is over, so the press is answered as expired and grants nothing.
    const again = await press(h, 'User', 'Which role for telegram:3003');
    expect(h.answers(again)).toHaveLength(1);
    expect(String(h.answers(again)[0]!.params.text ?? '')).toContain('expired');
    await h.ask(ADMIN, '/whoami'); // anything the second press triggered has been sent by now
    expect(h.count(ADMIN.id, 'is now a')).toBe(1);
  });

  it('resumes after a restart in the middle of the flow', async () => {
    const h = harness();
    await h.start(ENV);
    expect(await h.ask(ADMIN, '/allow')).toMatch(/^Who should I allow\?/);
    const stopped = await h.restart('SIGTERM');
    expect(stopped.code).toBe(0);

    expect(await h.ask(ADMIN, 'telegram:4004')).toBe('Which role for telegram:4004?');
    await press(h, 'Admin', 'Which role for telegram:4004');
    await h.waitForText(ADMIN.id, 'telegram:4004 is now an admin.');
    expect(await h.ask(person(4004, 'Dan'), '/whoami')).toBe('You are Dan, telegram:4004, role admin.');
  });

  it('/cancel ends the flow, so its buttons expire', async () => {
    const h = harness();
    await h.start(ENV);
    await h.ask(ADMIN, '/allow');
    expect(await h.ask(ADMIN, 'telegram:4005')).toBe('Which role for telegram:4005?');
    expect(await h.ask(ADMIN, '/cancel')).toBe('Cancelled /allow.');
    const query = await press(h, 'Admin', 'Which role for telegram:4005');
    expect(String(h.answers(query)[0]!.params.text ?? '')).toContain('expired');
    const users = await h.ask(ADMIN, '/users');
    expect(users).not.toContain('telegram:4005');
  });
});
