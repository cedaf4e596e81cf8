import {
  closeSync, constants, fstatSync, ftruncateSync, lstatSync, mkdirSync, openSync, readlinkSync, readSync, realpathSync,
  unlinkSync, writeSync, type Stats,
} from 'node:fs';
import { dirname } from 'node:path';
import { isInside, relativeTo } from './paths.js';
import { WorkspaceError } from './workspace-error.js';

/**
 * File I/O that stays inside a workspace even if the tree changes between resolving a path and
 * using it (a sandboxed command can rename and symlink things in the workspace). The last component
 * is opened with O_NOFOLLOW, and on Linux the opened descriptor's true path (/proc/self/fd) is
 * checked against the root before a byte is read or written. O_NONBLOCK keeps a FIFO from hanging
 * an open.
 */

/** The file is not there (any more). */
export class MissingFile extends WorkspaceError {}

/** The file is over the caller's size limit. */
export class FileTooLarge extends WorkspaceError {
  constructor(message: string, readonly size: number) {
    super(message);
  }
}

const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const NONBLOCK = constants.O_NONBLOCK ?? 0;

/** Where descriptor `fd` really points, or null where the platform cannot tell. */
function descriptorPath(fd: number): string | null {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return null;
  }
}

function openChecked(root: string, real: string, shown: string, flags: number, mode?: number): number {
  let fd: number;
  try {
    fd = openSync(real, flags | NOFOLLOW | NONBLOCK, mode);
  } catch (err) {
    const c = (err as NodeJS.ErrnoException).code;
    if (c === 'ELOOP') throw new WorkspaceError(`${shown} changed into a symlink while being opened; try again.`);
    if (c === 'ENOENT') throw new MissingFile(`There is no file ${shown}.`);
    if (c === 'EISDIR') throw new WorkspaceError(`${shown} is a folder, not a file.`);
    if (c === 'ENXIO') throw new WorkspaceError(`${shown} is not a regular file.`);
    if (c === 'EEXIST') throw err;
    throw new WorkspaceError(`Cannot open ${shown} (${c ?? 'error'}).`);
  }
  const actual = descriptorPath(fd);
  if (actual !== null && !isInside(root, actual)) {
    closeSync(fd);
    if (flags & constants.O_CREAT) unlinkQuietly(actual);
    throw new WorkspaceError(`${shown} leads outside the project folder.`);
  }
  return fd;
}

function unlinkQuietly(p: string): void {
  try {
    unlinkSync(p);
  } catch {
    /* best effort: only ever a file this process just created with O_EXCL */
  }
}

function regularFile(fd: number, shown: string): Stats {
  const st = fstatSync(fd);
  if (st.isDirectory()) throw new WorkspaceError(`${shown} is a folder, not a file.`);
  if (!st.isFile()) throw new WorkspaceError(`${shown} is not a regular file.`);
  return st;
}

function readAll(fd: number, size: number): Buffer {
  const buf = Buffer.alloc(size);
  let off = 0;
  while (off < size) {
    const n = readSync(fd, buf, off, size - off, off);
    if (n === 0) break;
    off += n;
  }
  return off === size ? buf : buf.subarray(0, off);
}

/**
 * The bytes of a regular file, refusing one larger than `maxBytes` with `tooBig(size)` as the
 * message. Size is taken from the open descriptor, so a file that grows later cannot blow the cap.
 */
export function readConfined(root: string, real: string, shown: string, maxBytes: number, tooBig: (size: number) => string): Buffer {
  const fd = openChecked(root, real, shown, constants.O_RDONLY);
  try {
    const st = regularFile(fd, shown);
    if (st.size > maxBytes) throw new FileTooLarge(tooBig(st.size), st.size);
    return readAll(fd, st.size);
  } finally {
    closeSync(fd);
  }
}

/** Like readConfined, but null when the file does not exist. */
export function readIfExists(root: string, real: string, shown: string, maxBytes: number, tooBig: (size: number) => string): Buffer | null {
  try {
    return readConfined(root, real, shown, maxBytes, tooBig);
  } catch (err) {
    if (err instanceof MissingFile) return null;
    throw err;
  }
}

/**
 * Creates missing parent folders one level at a time, checking after each that it is still inside
 * the root (mkdir -p would follow a symlink swapped in halfway and build folders elsewhere).
 */
export function makeParents(root: string, real: string): void {
  const missing: string[] = [];
  let dir = dirname(real);
  while (dir !== root && !exists(dir)) {
    missing.unshift(dir);
    dir = dirname(dir);
  }
  for (const next of [dir, ...missing]) {
    if (next !== dir) {
      try {
        mkdirSync(next, { mode: 0o755 });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new WorkspaceError(`Cannot create the folder "${relativeTo(root, next)}".`);
        }
      }
    }
    if (!isInside(root, realpathSync(next))) throw new WorkspaceError('That path leads outside the project folder.');
  }
}

function exists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Replaces the whole content of the file at `real`, creating it (O_EXCL) when absent. An existing
 * file is opened without O_TRUNC and truncated only after the descriptor is verified, so a raced
 * symlink can never truncate something outside. Returns whether the file was created.
 */
export function writeConfined(root: string, real: string, shown: string, bytes: Buffer): boolean {
  makeParents(root, real);
  let fd: number;
  let created = true;
  try {
    fd = openChecked(root, real, shown, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    created = false;
    fd = openChecked(root, real, shown, constants.O_WRONLY);
  }
  try {
    regularFile(fd, shown);
    if (!created) ftruncateSync(fd, 0);
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off, off);
  } finally {
    closeSync(fd);
  }
  return created;
}
