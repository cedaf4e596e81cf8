import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { person, useHarness } from './harness.js';

const ADMIN = person(1001, 'Ada');

/** A document sent on Telegram during a /vibe session is downloaded (getFile + file URL) into the workspace. */
describe('/vibe files over Telegram', () => {
  const harness = useHarness();

  it('downloads a sent document into the current project', async () => {
    const h = harness();
    await h.start({ JARVIS_ADMINS: `telegram:${ADMIN.id}` });
    expect(await h.ask(ADMIN, '/vibe new notes')).toMatch(/^New session #\d+ in project notes\./);
    h.fake.sendDocument(ADMIN, 'todo.md', Buffer.from('- ship it\n'));
    expect(await h.waitForText(ADMIN.id, 'Saved todo.md')).toBe('Saved todo.md (10 bytes) in project notes. Claude can use it in your next message.');
    const file = join(h.dataDir, 'workspaces', `telegram_${ADMIN.id}`, 'notes', 'todo.md');
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe('- ship it\n');
  });
});
