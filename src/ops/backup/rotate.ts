import { rmSync } from 'node:fs';
import { listBackups } from './names.js';

/** Deletes all but the newest `keep` backups in `dir`; returns the names deleted. Files not named like a backup are never touched. */
export function rotateBackups(dir: string, keep: number): string[] {
  const old = listBackups(dir).slice(Math.max(1, keep));
  for (const f of old) rmSync(f.path, { force: true });
  return old.map((f) => f.name);
}
