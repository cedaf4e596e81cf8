import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { Db } from '../../storage/database.js';
import type { BackupConfig } from '../backup-config.js';
import { listBackups, type BackupFile } from './names.js';
import { takeBackup, type BackupResult } from './take.js';

/**
 * The daemon's backups: the nightly job and /backup share it, so only one copy runs at a time (a
 * second request while one runs gets that one's result). Other processes (`jarvis backup`) can
 * run alongside: names never clash and every file appears whole or not at all.
 */
export class Backups {
  private running?: Promise<BackupResult>;

  constructor(private readonly d: { db: Db; config: BackupConfig; clock: Clock; log: Logger }) {}

  get config(): BackupConfig {
    return this.d.config;
  }

  take(): Promise<BackupResult> {
    this.running ??= takeBackup(this.d.db, { config: this.d.config, clock: this.d.clock })
      .then(
        (r) => {
          this.d.log.info({ file: r.path, bytes: r.bytes, ms: r.ms, schema: r.schema, removed: r.removed }, 'backup taken');
          return r;
        },
        (err: unknown) => {
          this.d.log.error({ err, dir: this.d.config.dir }, 'backup failed');
          throw err;
        },
      )
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  /** Newest first. */
  list(): BackupFile[] {
    return listBackups(this.d.config.dir);
  }
}
