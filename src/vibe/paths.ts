import { lstatSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { WorkspaceError } from './workspace-error.js';

/**
 * Path rules for a workspace: how people and projects map to folders, and how a relative path from
 * the model becomes a real path that is provably inside the workspace root.
 */

/** Folder name for a user key: 'telegram:123' -> 'telegram_123'. Distinct channel:id keys stay distinct. */
export function userFolderName(userKey: string): string {
  const name = userKey.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100);
  if (name === '' || /^\.+$/.test(name)) throw new WorkspaceError('That user has no usable workspace name.');
  return name;
}

const PROJECT_NAME = /^[a-z0-9][a-z0-9._-]{0,39}$/;

/**
 * A project name as typed by a person, lower-cased; [a-z0-9._-]{1,40} starting with a letter or digit,
 * so '.', '..', hidden folders and option-looking names ('-rf') can never be projects.
 */
export function projectFolderName(project: string): string {
  const name = project.trim().toLowerCase();
  if (!PROJECT_NAME.test(name)) {
    throw new WorkspaceError(
      `"${project.slice(0, 60)}" is not a usable project name: use 1-40 of a-z, 0-9, '.', '_' or '-', starting with a letter or digit.`,
    );
  }
  return name;
}

/** True when `p` is `root` or lies beneath it (both absolute and normalised). */
export function isInside(root: string, p: string): boolean {
  if (p === root) return true;
  return p.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** The '/'-separated path of `abs` relative to `root`, '.' for the root itself. */
export function relativeTo(root: string, abs: string): string {
  const rel = relative(root, abs);
  return rel === '' ? '.' : rel.split(sep).join('/');
}

function code(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

/**
 * `rel` joined to `root` with '.' and '..' applied as text, refused when it is not text, holds a
 * NUL byte, is absolute, or climbs above the root. Symlinks are not looked at here.
 */
export function lexicallyInside(root: string, rel: string): string {
  if (typeof rel !== 'string') throw new WorkspaceError('A path must be text.');
  const shown = JSON.stringify(rel.slice(0, 200));
  if (rel.includes('\0')) throw new WorkspaceError(`The path ${shown} contains a NUL byte.`);
  if (isAbsolute(rel)) {
    throw new WorkspaceError(`The path ${shown} is absolute; use a path relative to the project folder.`);
  }
  const joined = resolve(root, rel);
  if (!isInside(root, joined)) throw new WorkspaceError(`The path ${shown} leaves the project folder.`);
  return joined;
}

/**
 * The real absolute path for `rel` inside `root` (already real). Lexical '..' is applied first and
 * may not climb above the root; then the deepest existing ancestor is realpath'ed, so a symlink
 * anywhere on the path (final component included) must land inside the root. A missing tail is
 * allowed only for writes; a dangling symlink is always refused, since writing through it would
 * create its target wherever it points.
 */
export function resolveInside(root: string, rel: string, forWrite: boolean): string {
  const joined = lexicallyInside(root, rel);
  const shown = JSON.stringify(rel.slice(0, 200));

  let existing = joined;
  const tail: string[] = [];
  for (;;) {
    try {
      lstatSync(existing);
      break;
    } catch (err) {
      if (code(err) !== 'ENOENT' && code(err) !== 'ENOTDIR') throw new WorkspaceError(`Cannot access ${shown}.`);
      if (!forWrite) throw new WorkspaceError(`There is no file or folder ${shown}.`);
      tail.unshift(basename(existing));
      existing = dirname(existing);
    }
  }

  let real: string;
  try {
    real = realpathSync(existing);
  } catch {
    throw new WorkspaceError(`The path ${shown} goes through a symlink whose target does not exist.`);
  }
  if (!isInside(root, real)) {
    throw new WorkspaceError(`The path ${shown} leads outside the project folder through a symlink.`);
  }
  if (tail.length > 0 && !statSync(real).isDirectory()) {
    throw new WorkspaceError(`The path ${shown} goes through "${relativeTo(root, real)}", which is a file, not a folder.`);
  }
  return tail.length === 0 ? real : join(real, ...tail);
}
