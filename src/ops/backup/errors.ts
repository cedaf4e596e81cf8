import { UserError } from '../../core/errors.js';

/** A backup or restore that could not be done, in one sentence a person can act on. */
export class BackupError extends UserError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message);
    if (options?.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}

/** The reason behind a file-system or SQLite failure, in words (no stack, nothing secret). */
export function failureReason(err: unknown): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  switch (code) {
    case 'ENOSPC':
      return 'the disk is full';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOENT':
      return 'a file or folder is missing';
    case 'SQLITE_FULL':
      return 'the disk is full';
    case 'SQLITE_CORRUPT':
    case 'SQLITE_NOTADB':
      return 'the database file is damaged';
    default:
      return err instanceof Error ? err.message.split('\n')[0]!.slice(0, 200) : String(err).slice(0, 200);
  }
}
