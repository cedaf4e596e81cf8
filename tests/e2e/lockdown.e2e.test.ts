import { describe, expect, it } from 'vitest';
import { person, useHarness } from './harness.js';

const ADMIN = person(1001, 'Ada');

describe('lockdown', () => {
  const harness = useHarness();

  it('refuses actions, keeps reads, survives a restart, and lifts', async () => {
    const h = harness();
    await h.start({ JARVIS_ADMINS: `telegram:${ADMIN.id}` });
    expect(await h.ask(ADMIN, '/lockdown on')).toMatch(/^Lockdown is ON/);

    expect(await h.ask(ADMIN, '/runjob maintenance')).toMatch(/^Refused: .*lockdown/);
    // The next reply is /status's own, so the refusal was the only answer to /runjob.
    expect(await h.ask(ADMIN, '/status')).toMatch(/Lockdown: ON/);

    expect((await h.restart('SIGTERM')).code).toBe(0);
    expect(await h.ask(ADMIN, '/status')).toMatch(/Lockdown: ON/);
    expect(await h.ask(ADMIN, '/runjob maintenance')).toMatch(/^Refused: .*lockdown/);

    expect(await h.ask(ADMIN, '/lockdown off')).toMatch(/^Lockdown is off/);
    const ran = await h.say(ADMIN, '/runjob maintenance', 2);
    expect(ran[0]).toBe('Running maintenance…');
    expect(ran[1]).toMatch(/^maintenance: ok in \d+ ms/);
    expect(await h.ask(ADMIN, '/status')).toMatch(/Lockdown: off/);
  });
});
