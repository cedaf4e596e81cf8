import { rmSync } from 'node:fs';
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
    case 'ENOTDIR':
      return 'part of the path is a file, not a folder';
    case 'SQLITE_FULL':
      return 'the disk is full';
    case 'SQLITE_CORRUPT':
    case 'SQLITE_NOTADB':
      return 'the database file is damaged';
    default:
      return err instanceof Error ? err.message.split('\n')[0]!.slice(0, 200) : String(err).slice(0, 200);
  }
}

/** Deletes temporary files; one that cannot be deleted must not hide the error that got us here. */
export function removeQuietly(files: string[]): void {
  for (const f of files) {
    try {
      rmSync(f, { force: true });
    } catch {
      // left behind: named .partial-* / .restore-*, never mistaken for a backup or a database
    }
  }
}
