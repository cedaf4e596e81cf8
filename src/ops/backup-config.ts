import { resolve } from 'node:path';
import { z } from 'zod';
import { cronExpr, int } from '../config-fields.js';

/**
 * The backup part of the environment: where backups go, how many are kept, when the nightly job
 * runs, and how old the newest may get before `jarvis doctor` warns. Merged into config.ts's schema;
 * every value has a default here and a row in docs/operations.md.
 */
export const backupEnv = {
  BACKUP_DIR: z.string().min(1).optional(),
  BACKUP_KEEP: int(1, 10_000).default(7),
  BACKUP_CRON: cronExpr.default('40 3 * * *'),
  BACKUP_MAX_AGE_HOURS: int(1, 87_600).default(36),
};

export interface BackupConfig {
  /** Absolute; default `$JARVIS_DATA_DIR/backups`. */
  dir: string;
  /** The newest this many backups are kept; older ones are deleted after each new one. */
  keep: number;
  cron: string;
  /** `jarvis doctor` warns when the newest backup is older than this. */
  maxAgeHours: number;
}

const backupEnvSchema = z.object(backupEnv);
type BackupEnv = z.infer<typeof backupEnvSchema>;

export function backupConfigFrom(e: BackupEnv, dataDir: string): BackupConfig {
  return {
    dir: e.BACKUP_DIR ? resolve(e.BACKUP_DIR) : resolve(dataDir, 'backups'),
    keep: e.BACKUP_KEEP,
    cron: e.BACKUP_CRON,
    maxAgeHours: e.BACKUP_MAX_AGE_HOURS,
  };
}
