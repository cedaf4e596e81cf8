import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/storage/database.js';
import { migrate, readMigrations } from '../../src/storage/migrations.js';
import { projectRoot } from '../../src/core/paths.js';
import { Lockdown } from '../../src/access/lockdown.js';
import { Roles } from '../../src/access/roles.js';
import { systemClock } from '../../src/core/clock.js';
import { ADMIN, makeHarness } from '../support/app-harness.js';

/** `jarvis chat` and the daemon are two connections to one file: what one changes, the other obeys. */
describe('two processes on one database', () => {
  it('sees a lockdown and a grant made through another connection', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'jarvis-2p-')), 'j.db');
    const daemon = openDatabase(file);
    migrate(daemon, readMigrations(join(projectRoot(), 'migrations')));
    const chat = openDatabase(file);
    const daemonLockdown = new Lockdown(daemon, systemClock, 0);
    const daemonRoles = new Roles(daemon, [], systemClock, 0);
    expect(daemonLockdown.isOn()).toBe(false);
    new Lockdown(chat, systemClock, 0).set(true);
    new Roles(chat, [], systemClock, 0).grant({ channel: 'telegram', userId: '55' }, 'user', 'console:local');
    expect(() => daemonLockdown.assertOff('Buying')).toThrow(/Buying is refused: Jarvis is in lockdown/);
    expect(daemonLockdown.isOn()).toBe(true);
    expect(daemonRoles.roleOf({ channel: 'telegram', userId: '55' })).toBe('user');
  });

  it('refuses /runjob where the scheduler does not run (jarvis chat)', async () => {
    const h = await makeHarness({}, { jobs: false });
    try {
      expect(await h.say(ADMIN, '/runjob maintenance')).toEqual(['Jobs run in the daemon (jarvis start), not in this process. Use /runjob there.']);
    } finally {
      await h.close();
    }
  });
});
