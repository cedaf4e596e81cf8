import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';

/** Backups are gzip files of a plain SQLite file; a restore also takes an uncompressed one. */

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);

export type FileKind = 'gzip' | 'sqlite' | 'other';

export async function fileKind(path: string): Promise<FileKind> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(16);
    const { bytesRead } = await fh.read(head, 0, 16, 0);
    if (bytesRead >= 2 && head.subarray(0, 2).equals(GZIP_MAGIC)) return 'gzip';
    if (bytesRead === 16 && head.equals(SQLITE_MAGIC)) return 'sqlite';
    return 'other';
  } finally {
    await fh.close();
  }
}

/** Writes `dest` (mode 0600) and flushes it to disk before resolving, so a rename after it is durable. */
export async function gzipFile(src: string, dest: string): Promise<void> {
  await pipeline(createReadStream(src), createGzip({ level: 6 }), createWriteStream(dest, { mode: 0o600, flags: 'wx' }));
  await syncFile(dest);
}

export async function gunzipFile(src: string, dest: string): Promise<void> {
  await pipeline(createReadStream(src), createGunzip(), createWriteStream(dest, { mode: 0o600, flags: 'wx' }));
  await syncFile(dest);
}

export async function copyFile(src: string, dest: string): Promise<void> {
  await pipeline(createReadStream(src), createWriteStream(dest, { mode: 0o600, flags: 'wx' }));
  await syncFile(dest);
}

export async function syncFile(path: string): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Makes a rename in `dir` durable; best effort (not every file system lets a folder be synced). */
export async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // ignored: the rename itself already happened
  }
}
