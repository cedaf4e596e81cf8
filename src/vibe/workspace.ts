import { lstatSync, mkdirSync, readdirSync, realpathSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { FileTooLarge, readConfined, readIfExists, writeConfined } from './confined-fs.js';
import { lineDiffStats } from './diff-stats.js';
import { MAX_PATTERN_LENGTH, literalMatcher, regexMatcher, type LineMatcher } from './line-matcher.js';
import { lexicallyInside, projectFolderName, relativeTo, resolveInside, userFolderName } from './paths.js';
import { isSecretPath } from './secrets.js';
import { formatBytes, looksBinary } from './text-file.js';
import { walkTree } from './walk.js';
import { WorkspaceError } from './workspace-error.js';

export { WorkspaceError } from './workspace-error.js';
export { isSecretPath } from './secrets.js';
export { lineDiffStats } from './diff-stats.js';

export interface ListResult {
  /** Relative to the workspace root (so each can be passed to read); folders end with '/'. */
  entries: string[];
  truncated: boolean;
  /** The entries that are secret-looking: listed so the model knows they exist, never readable. */
  secret: string[];
}

export interface SearchMatch {
  /** Relative to the workspace root. */
  path: string;
  /** 1-based. */
  line: number;
  /** The line, without its terminator, cut at 300 characters. */
  text: string;
}

export interface SearchOptions {
  dir?: string;
  regex?: boolean;
  ignoreCase?: boolean;
  maxResults?: number;
  /** The whole search (walk and match) stops with a WorkspaceError after this long. Default 2 s. */
  timeoutMs?: number;
  /** Larger files are skipped. Default 1 MB. */
  maxFileBytes?: number;
  /** Files examined before the result is cut and marked truncated. Default 20,000. */
  maxFiles?: number;
}

const KB = 1024;
const MB = 1024 * KB;
const DEFAULT_READ_BYTES = 256 * KB;
const DEFAULT_EDIT_BYTES = 1 * MB;
const DEFAULT_SEND_BYTES = 20 * MB;
const MAX_WRITE_BYTES = 10 * MB;
/** Previous content larger than this (or binary) is not compared; the stats count only new lines, marked approximate. */
const MAX_DIFF_BYTES = 10 * MB;
const MAX_LINE_SHOWN = 300;
const SEARCH_DEPTH = 64;

/**
 * One project folder the model works in. Every path from the model or a person goes through
 * `resolve`, and every file operation opens the resolved path with the checks of confined-fs, so
 * nothing outside the root is read or written and secret-looking files are never touched: not
 * read, searched, sent, written, deleted or received. Writes into .git/ are refused too: hooks and
 * config there would run code on whoever next uses git on the host.
 */
export class Workspace {
  readonly root: string;

  constructor(root: string) {
    if (!isAbsolute(root)) throw new Error(`Workspace root must be absolute: ${root}`);
    mkdirSync(root, { recursive: true, mode: 0o700 });
    this.root = realpathSync(root);
    if (!statSync(this.root).isDirectory()) throw new Error(`Workspace root is not a folder: ${root}`);
  }

  /** JARVIS_DATA_DIR/workspaces/<user>/<project>, each segment sanitised. */
  static forUser(dataDir: string, userKey: string, project: string): Workspace {
    return new Workspace(join(resolve(dataDir), 'workspaces', userFolderName(userKey), projectFolderName(project)));
  }

  /** The user's existing projects (real folders with valid names), sorted. */
  static projects(dataDir: string, userKey: string): string[] {
    const dir = join(resolve(dataDir), 'workspaces', userFolderName(userKey));
    try {
      return readdirSync(dir, { withFileTypes: true })
        .filter((d) => d.isDirectory() && isProjectName(d.name))
        .map((d) => d.name)
        .sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  /** Absolute real path inside root for a relative path; see resolveInside for what is refused. */
  resolve(rel: string, opts: { forWrite?: boolean } = {}): string {
    return resolveInside(this.root, rel, opts.forWrite === true);
  }

  list(rel = '.', opts: { depth?: number; maxEntries?: number } = {}): ListResult {
    const depth = opts.depth ?? 3;
    const maxEntries = opts.maxEntries ?? 500;
    const start = this.resolve(rel);
    if (!statSync(start).isDirectory()) throw new WorkspaceError(`${show(rel)} is a file, not a folder.`);
    const entries: string[] = [];
    let truncated = false;
    for (const e of walkTree(this.root, start, depth)) {
      if (entries.length >= maxEntries) {
        truncated = true;
        break;
      }
      entries.push(e.kind === 'dir' ? `${e.rel}/` : e.rel);
    }
    entries.sort();
    return { entries, truncated, secret: entries.filter((e) => isSecretPath(e)) };
  }

  read(rel: string, opts: { maxBytes?: number } = {}): string {
    const maxBytes = opts.maxBytes ?? DEFAULT_READ_BYTES;
    const real = this.resolve(rel);
    this.refuseSecret(rel, real, 'read');
    const bytes = readConfined(this.root, real, show(rel), maxBytes, (size) =>
      `${show(rel)} is ${formatBytes(size)}, over the ${formatBytes(maxBytes)} limit for reading; search it for the part you need.`,
    );
    if (looksBinary(bytes)) throw new WorkspaceError(`${show(rel)} looks like a binary file, so it cannot be read as text.`);
    return bytes.toString('utf8');
  }

  search(pattern: string, opts: SearchOptions = {}): { matches: SearchMatch[]; truncated: boolean } {
    if (pattern === '') throw new WorkspaceError('The search pattern is empty.');
    if (pattern.length > MAX_PATTERN_LENGTH) throw new WorkspaceError(`The search pattern is over ${MAX_PATTERN_LENGTH} characters.`);
    const maxResults = opts.maxResults ?? 100;
    const timeoutMs = opts.timeoutMs ?? 2000;
    const maxFileBytes = opts.maxFileBytes ?? MB;
    const maxFiles = opts.maxFiles ?? 20_000;
    const deadline = Date.now() + timeoutMs;
    const ignoreCase = opts.ignoreCase === true;
    const match: LineMatcher = opts.regex
      ? regexMatcher(pattern, ignoreCase, deadline, timeoutMs)
      : literalMatcher(pattern, ignoreCase);

    const start = this.resolve(opts.dir ?? '.');
    if (!statSync(start).isDirectory()) throw new WorkspaceError(`${show(opts.dir ?? '.')} is a file, not a folder.`);
    const matches: SearchMatch[] = [];
    let truncated = false;
    let files = 0;
    for (const e of walkTree(this.root, start, SEARCH_DEPTH)) {
      if (e.kind !== 'file' || isSecretPath(e.rel)) continue;
      if (++files > maxFiles || Date.now() > deadline) {
        truncated = true;
        break;
      }
      let bytes: Buffer;
      try {
        bytes = readConfined(this.root, e.abs, show(e.rel), maxFileBytes, () => 'too big');
      } catch {
        continue; // too big, vanished or raced: a search skips what it cannot read safely
      }
      if (looksBinary(bytes)) continue;
      const lines = bytes.toString('utf8').split('\n');
      const left = maxResults - matches.length;
      const found = match(lines, left + 1);
      for (const i of found.slice(0, left)) {
        matches.push({ path: e.rel, line: i + 1, text: lines[i]!.replace(/\r$/, '').slice(0, MAX_LINE_SHOWN) });
      }
      if (found.length > left) {
        truncated = true;
        break;
      }
    }
    return { matches, truncated };
  }

  write(rel: string, content: string): { created: boolean; added: number; removed: number; approximate?: true } {
    const bytes = Buffer.from(content, 'utf8');
    if (bytes.length > MAX_WRITE_BYTES) {
      throw new WorkspaceError(`That content is ${formatBytes(bytes.length)}, over the ${formatBytes(MAX_WRITE_BYTES)} limit for one file.`);
    }
    const real = this.resolveWritable(rel, 'write');
    let before = '';
    let approximate = false;
    try {
      const previous = readIfExists(this.root, real, show(rel), MAX_DIFF_BYTES, () => 'too large to compare');
      if (previous !== null && looksBinary(previous)) approximate = true;
      else if (previous !== null) before = previous.toString('utf8');
    } catch (err) {
      if (!(err instanceof FileTooLarge)) throw err;
      approximate = true; // counted as all new lines
    }
    const created = writeConfined(this.root, real, show(rel), bytes);
    const stats = lineDiffStats(before, content);
    return { created, ...stats, ...(approximate ? { approximate: true as const } : {}) };
  }

  /**
   * Exact replacement of `oldText`, which must occur exactly once (overlapping occurrences count).
   * A file with CRLF line ends also accepts `oldText` written with LF, and `newText` is converted.
   */
  edit(rel: string, oldText: string, newText: string, opts: { maxBytes?: number } = {}): { added: number; removed: number; approximate?: true } {
    if (oldText === '') throw new WorkspaceError('The text to replace is empty; to create or replace a whole file, write it.');
    const real = this.resolveWritable(rel, 'edit');
    const before = this.read(rel, { maxBytes: opts.maxBytes ?? DEFAULT_EDIT_BYTES });
    let find = oldText;
    let replace = newText;
    let hits = occurrences(before, find);
    if (hits.length === 0 && before.includes('\r\n') && !oldText.includes('\r')) {
      find = oldText.replace(/\n/g, '\r\n');
      replace = newText.replace(/\r?\n/g, '\r\n');
      hits = occurrences(before, find);
    }
    if (hits.length === 0) {
      throw new WorkspaceError(
        `The text to replace was not found in ${show(rel)} (0 matches). Read the file again and copy the text exactly, including indentation.`,
      );
    }
    if (hits.length > 1) {
      throw new WorkspaceError(
        `The text to replace occurs ${hits.length} times in ${show(rel)}; include more surrounding lines so it matches exactly once.`,
      );
    }
    const at = hits[0]!;
    const after = before.slice(0, at) + replace + before.slice(at + find.length);
    writeConfined(this.root, real, show(rel), Buffer.from(after, 'utf8'));
    return lineDiffStats(before, after);
  }

  /**
   * Deletes one file. Folders are refused (one approval per file keeps a deletion reviewable), and
   * so are secrets: the model cannot see them, so it has no business removing them. A symlink is
   * removed itself, never its target.
   */
  remove(rel: string): void {
    const joined = lexicallyInside(this.root, rel);
    if (joined === this.root) throw new WorkspaceError('The project folder itself cannot be deleted.');
    const parent = this.resolve(relativeTo(this.root, dirname(joined)));
    const target = join(parent, basename(joined));
    const targetRel = relativeTo(this.root, target);
    if (isSecretPath(rel) || isSecretPath(targetRel)) throw secretRefusal(rel, 'delete');
    if (inGitDir(rel) || inGitDir(targetRel)) throw gitRefusal(rel);
    let st;
    try {
      st = lstatSync(target);
    } catch {
      throw new WorkspaceError(`There is no file ${show(rel)}.`);
    }
    if (st.isDirectory()) throw new WorkspaceError(`${show(rel)} is a folder; only files can be deleted.`);
    if (!st.isSymbolicLink()) this.refuseSecret(rel, realpathSync(target), 'delete');
    unlinkSync(target);
  }

  readBytes(rel: string, opts: { maxBytes?: number } = {}): Buffer {
    const maxBytes = opts.maxBytes ?? DEFAULT_SEND_BYTES;
    const real = this.resolve(rel);
    this.refuseSecret(rel, real, 'send');
    return readConfined(this.root, real, show(rel), maxBytes, (size) =>
      `${show(rel)} is ${formatBytes(size)}, over the ${formatBytes(maxBytes)} limit for sending.`,
    );
  }

  /** Saves a document received from chat, replacing a file of the same name. */
  receive(rel: string, bytes: Buffer, opts: { maxBytes?: number } = {}): { created: boolean } {
    const maxBytes = opts.maxBytes ?? DEFAULT_SEND_BYTES;
    if (bytes.length > maxBytes) {
      throw new WorkspaceError(`That file is ${formatBytes(bytes.length)}, over the ${formatBytes(maxBytes)} limit for receiving.`);
    }
    const real = this.resolveWritable(rel, 'save');
    return { created: writeConfined(this.root, real, show(rel), bytes) };
  }

  private resolveWritable(rel: string, verb: string): string {
    const real = this.resolve(rel, { forWrite: true });
    this.refuseSecret(rel, real, verb);
    if (inGitDir(rel) || inGitDir(relativeTo(this.root, real))) throw gitRefusal(rel);
    if (real === this.root) throw new WorkspaceError('That path is the project folder itself, not a file.');
    return real;
  }

  /** Checks both the name given and the real name, so a harmless-looking symlink to .env is caught. */
  private refuseSecret(rel: string, real: string, verb: string): void {
    if (isSecretPath(rel) || isSecretPath(relativeTo(this.root, real))) throw secretRefusal(rel, verb);
  }
}

function isProjectName(name: string): boolean {
  try {
    return projectFolderName(name) === name;
  } catch {
    return false;
  }
}

function occurrences(haystack: string, needle: string): number[] {
  const out: number[] = [];
  for (let i = haystack.indexOf(needle); i !== -1 && out.length < 1000; i = haystack.indexOf(needle, i + 1)) out.push(i);
  return out;
}

/** .git itself or anything in it (a '.git' file can also redirect git elsewhere). */
function inGitDir(rel: string): boolean {
  return rel.split('/').some((s) => s.toLowerCase() === '.git');
}

function show(rel: string): string {
  return JSON.stringify(rel.slice(0, 200));
}

function secretRefusal(rel: string, verb: string): WorkspaceError {
  return new WorkspaceError(`${show(rel)} looks like a secret (keys, credentials, .env), so Jarvis will not ${verb} it.`);
}

function gitRefusal(rel: string): WorkspaceError {
  return new WorkspaceError(`${show(rel)} is inside .git/; change the repository with git commands instead.`);
}
