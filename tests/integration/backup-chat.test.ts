import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import backupJob from '../../jobs/backup.js';
import { plainText } from '../../src/core/message.js';
import { ADMIN, makeHarness, type Harness } from '../support/app-harness.js';

/** /backup from chat and the nightly job, through the real app (real SQLite file, real handlers). */

const USER = 2002;
const ADMIN2 = 3003;

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** What each chat was sent outside a reply (notices), after delivering what is due. */
async function noticesTo(t: Harness, chatId: number): Promise<string[]> {
  await t.app.services.notices.deliver();
  return t.memory.sent.filter((m) => m.chatId === String(chatId) && m.kind === 'send').map((m) => plainText(m.out.text));
}

describe('/backup', () => {
  it('takes a backup for an admin and says its name, size and time; a user is refused', async () => {
    h = await makeHarness({}, { cron: false });
    const [reply] = await h.say(ADMIN, '/backup');
    expect(reply).toMatch(/^Backup saved: jarvis-\d{8}-\d{6}Z-v\d+\.db\.gz \(\d+(\.\d)? KB, took \d+ ms\)\.$/);
    const name = /jarvis-\S+\.db\.gz/.exec(reply!)![0];
    expect(existsSync(join(h.dataDir, 'backups', name))).toBe(true);
    expect(h.app.services.audit.recent(5).find((a) => a.action === 'backup')).toMatchObject({ actor: `telegram:${ADMIN}`, target: name, outcome: 'ok' });

    h.app.services.roles.grant({ channel: 'telegram', userId: String(USER) }, 'user', 'test');
    expect(await h.say(USER, '/backup')).toEqual(['That is for admins only.']);
    expect(h.app.services.backups.list()).toHaveLength(1);
  });

  it('works during a lockdown (it moves nothing)', async () => {
    h = await makeHarness({}, { cron: false });
    await h.say(ADMIN, '/lockdown on');
    expect((await h.say(ADMIN, '/backup'))[0]).toMatch(/^Backup saved: /);
  });

  it('says why it failed, in one sentence', async () => {
    h = await makeHarness({}, { cron: false });
    writeFileSync(join(h.dataDir, 'not-a-folder'), '');
    // The backup folder is read from config at build time; point this one at a path that cannot be a folder.
    Object.assign(h.app.services.backups.config, { dir: join(h.dataDir, 'not-a-folder', 'backups') });
    const [reply] = await h.say(ADMIN, '/backup');
    expect(reply).toMatch(/^The backup failed: cannot create the folder .*not-a-folder\/backups \(part of the path is a file, not a folder\)\.$/);
  });
});

describe('the backup job', () => {
  it('is scheduled nightly from BACKUP_CRON and runs once after a missed night', async () => {
    h = await makeHarness({ BACKUP_CRON: '5 2 * * *' }, { cron: false });
    expect(h.app.services.scheduler.jobs().find((j) => j.name === 'backup')).toMatchObject({ cron: '5 2 * * *', missed: 'run-once' });
  });

  it('keeps BACKUP_KEEP backups', async () => {
    h = await makeHarness({ BACKUP_KEEP: '2' }, { cron: false });
    for (let i = 0; i < 4; i++) {
      await backupJob.run(h.app.services, new AbortController().signal);
      h.clock.advance(86_400_000);
    }
    expect(h.app.services.backups.list()).toHaveLength(2);
  });

  it('tells every admin once when it fails, and fails the run (so it is logged and shown in /jobs)', async () => {
    h = await makeHarness({}, { cron: false });
    h.app.services.roles.grant({ channel: 'telegram', userId: String(ADMIN2) }, 'admin', 'test');
    h.app.services.roles.grant({ channel: 'telegram', userId: String(USER) }, 'user', 'test');
    writeFileSync(join(h.dataDir, 'not-a-folder'), '');
    Object.assign(h.app.services.backups.config, { dir: join(h.dataDir, 'not-a-folder', 'backups') });
    await expect(backupJob.run(h.app.services, new AbortController().signal)).rejects.toThrow(/^The backup failed: cannot create the folder/);
    const expected = /^⚠️ The scheduled backup failed: The backup failed: cannot create the folder .*\(part of the path is a file, not a folder\)\. There is no backup yet\. Try \/backup, or run jarvis doctor on the server\.$/;
    const toAdmin = await noticesTo(h, ADMIN);
    expect(toAdmin).toHaveLength(1);
    expect(toAdmin[0]).toMatch(expected);
    expect(await noticesTo(h, ADMIN2)).toHaveLength(1);
    expect(await noticesTo(h, USER)).toEqual([]);
    await h.app.services.notices.deliver();
    expect(await noticesTo(h, ADMIN)).toHaveLength(1); // delivered once, not again
  });
});
