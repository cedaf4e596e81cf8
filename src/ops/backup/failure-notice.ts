import type { Roles } from '../../access/roles.js';
import type { Clock } from '../../core/clock.js';
import type { Notices } from '../../core/notices.js';
import { formatAgo } from '../../core/render.js';
import type { BackupFile } from './names.js';
import { adminChats } from '../../access/admin-chats.js';

/**
 * A failed scheduled backup is told to every admin, each in their own private chat (a private
 * chat's id is the user's id), once per failed run: the dedupe key carries the run's time.
 */
export function tellAdminsBackupFailed(d: { roles: Roles; notices: Notices; clock: Clock }, reason: string, latest: BackupFile | undefined): number {
  const now = d.clock.now();
  const last = latest ? `The newest backup is ${latest.name}, taken ${formatAgo(latest.takenAt, now)}.` : 'There is no backup yet.';
  const text = `⚠️ The scheduled backup failed: ${reason} ${last} Try /backup, or run jarvis doctor on the server.`;
  let told = 0;
  for (const a of adminChats(d.roles)) {
    if (d.notices.enqueue({ userKey: a.key, chatId: a.chatId, out: { text }, dedupeKey: `backup-failed:${now}:${a.key}` })) told++;
  }
  d.notices.kick();
  return told;
}
