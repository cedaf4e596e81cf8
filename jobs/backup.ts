import type { Job } from '../src/core/scheduler.js';
import { formatBytes } from '../src/core/render.js';
import { failureReason } from '../src/ops/backup/errors.js';
import { tellAdminsBackupFailed } from '../src/ops/backup/failure-notice.js';
import { UserError } from '../src/core/errors.js';

/** Nightly online backup of the database (BACKUP_CRON); admins are told when it fails. */
const backup: Job = {
  name: 'backup',
  description: 'Online copy of the database, checked, compressed; keeps the newest BACKUP_KEEP',
  schedule: (config) => ({ cron: config.backup.cron, missed: 'run-once' }),
  async run(s) {
    try {
      const r = await s.backups.take();
      return `${r.name} ${formatBytes(r.bytes)} in ${r.ms} ms; removed ${r.removed.length} older`;
    } catch (err) {
      const reason = err instanceof UserError ? err.message : `${failureReason(err)}.`;
      try {
        tellAdminsBackupFailed(s, reason, s.backups.list()[0]);
      } catch (noticeErr) {
        // The database itself may be what is failing (a full disk): the log line is then all there is.
        s.log.error({ err: noticeErr }, 'could not queue the backup failure notice for admins');
      }
      throw err;
    }
  },
};

export default backup;
