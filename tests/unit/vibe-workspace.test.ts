import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readConfined } from '../../src/vibe/confined-fs.js';
import { isSecretPath, lineDiffStats, Workspace, WorkspaceError } from '../../src/vibe/workspace.js';

let base: string;
let outside: string;
let ws: Workspace;

beforeEach(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), 'vibe-ws-')));
  outside = join(base, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.txt'), 'outside data\n');
  ws = new Workspace(join(base, 'ws'));
});

afterEach(() => {
  rmSync(base, { recursive: true, force: true });
});

/** The WorkspaceError message `fn` throws (fails the test if it throws anything else or nothing). */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WorkspaceError);
    return (err as WorkspaceError).userMessage;
  }
  throw new Error('expected a WorkspaceError');
}

function put(rel: string, content: string | Buffer): void {
  const p = join(ws.root, rel);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, content);
}

describe('Workspace root and projects', () => {
  it('creates the root with mode 0700 and stores its real path', () => {
    symlinkSync(base, join(outside, 'via-link'));
    const w = new Workspace(join(outside, 'via-link', 'deep', 'proj'));
    expect(w.root).toBe(join(base, 'deep', 'proj'));
    expect(statSync(w.root).mode & 0o777).toBe(0o700);
    expect(() => new Workspace('relative/path')).toThrow(/absolute/);
  });

  it('maps a user key and a project name to sanitised folders', () => {
    const data = join(base, 'data');
    const w = Workspace.forUser(data, 'telegram:123', '  Demo-App ');
    expect(w.root).toBe(join(data, 'workspaces', 'telegram_123', 'demo-app'));
    expect(Workspace.forUser(data, 'whatsapp:+49 170/1', 'x').root).toBe(join(data, 'workspaces', 'whatsapp__49_170_1', 'x'));
    for (const bad of ['', '.', '..', '../x', 'a/b', '-rf', '.hidden', 'x'.repeat(41), 'sp ace', 'naïve']) {
      expect(refusal(() => Workspace.forUser(data, 'telegram:1', bad))).toMatch(/not a usable project name/);
    }
    expect(refusal(() => Workspace.forUser(data, '..', 'p'))).toMatch(/no usable workspace/);
  });

  it('lists existing projects sorted, ignoring files and invalid names', () => {
    const data = join(base, 'data');
    expect(Workspace.projects(data, 'telegram:1')).toEqual([]);
    Workspace.forUser(data, 'telegram:1', 'zeta');
    Workspace.forUser(data, 'telegram:1', 'alpha');
    Workspace.forUser(data, 'telegram:2', 'other-user');
    const userDir = join(data, 'workspaces', 'telegram_1');
    writeFileSync(join(userDir, 'notes.txt'), 'x');
    mkdirSync(join(userDir, 'Bad Name'));
    symlinkSync(outside, join(userDir, 'linked'));
    expect(Workspace.projects(data, 'telegram:1')).toEqual(['alpha', 'zeta']);
  });
});

describe('resolve', () => {
  it('returns real paths inside the root', () => {
    put('src/a.ts', 'x');
    expect(ws.resolve('src/a.ts')).toBe(join(ws.root, 'src', 'a.ts'));
    expect(ws.resolve('src/../src/./a.ts')).toBe(join(ws.root, 'src', 'a.ts'));
    expect(ws.resolve('.')).toBe(ws.root);
    expect(ws.resolve('new/dir/file.ts', { forWrite: true })).toBe(join(ws.root, 'new', 'dir', 'file.ts'));
    expect(refusal(() => ws.resolve('missing.txt'))).toMatch(/no file or folder "missing.txt"/);
  });

  it("refuses '..' that leaves the root, absolute paths and NUL bytes", () => {
    expect(refusal(() => ws.resolve('../outside/secret.txt'))).toMatch(/leaves the project folder/);
    expect(refusal(() => ws.resolve('a/../../outside', { forWrite: true }))).toMatch(/leaves the project folder/);
    expect(refusal(() => ws.resolve('..'))).toMatch(/leaves/);
    expect(refusal(() => ws.resolve('/etc/passwd'))).toMatch(/absolute/);
    expect(refusal(() => ws.resolve(join(ws.root, 'x'), { forWrite: true }))).toMatch(/absolute/);
    expect(refusal(() => ws.resolve('a\0b', { forWrite: true }))).toMatch(/NUL/);
  });

  it('refuses file and folder symlinks that point outside, anywhere on the path', () => {
    symlinkSync(join(outside, 'secret.txt'), join(ws.root, 'leak.txt'));
    symlinkSync(outside, join(ws.root, 'out'));
    mkdirSync(join(ws.root, 'deep'));
    symlinkSync('../out', join(ws.root, 'deep', 'hop')); // a chain: inside link -> inside link -> outside
    expect(refusal(() => ws.read('leak.txt'))).toMatch(/outside the project folder/);
    expect(refusal(() => ws.read('out/secret.txt'))).toMatch(/outside the project folder/);
    expect(refusal(() => ws.read('deep/hop/secret.txt'))).toMatch(/outside the project folder/);
    expect(refusal(() => ws.list('out'))).toMatch(/outside/);
    expect(refusal(() => ws.readBytes('leak.txt'))).toMatch(/outside/);
    expect(refusal(() => ws.search('data', { dir: 'out' }))).toMatch(/outside/);
  });

  it('allows symlinks that stay inside', () => {
    put('real/file.txt', 'hello\n');
    symlinkSync('real/file.txt', join(ws.root, 'alias.txt'));
    symlinkSync('real', join(ws.root, 'alias-dir'));
    expect(ws.read('alias.txt')).toBe('hello\n');
    expect(ws.read('alias-dir/file.txt')).toBe('hello\n');
    expect(ws.resolve('alias.txt')).toBe(join(ws.root, 'real', 'file.txt'));
    ws.write('alias-dir/new.txt', 'n\n');
    expect(readFileSync(join(ws.root, 'real', 'new.txt'), 'utf8')).toBe('n\n');
  });

  it('refuses writes through a symlinked parent folder, a symlinked target and a dangling symlink', () => {
    symlinkSync(outside, join(ws.root, 'out'));
    symlinkSync(join(outside, 'secret.txt'), join(ws.root, 'leak.txt'));
    symlinkSync(join(outside, 'not-yet.txt'), join(ws.root, 'dangling.txt'));
    expect(refusal(() => ws.write('out/new.txt', 'x'))).toMatch(/outside the project folder/);
    expect(refusal(() => ws.write('out/sub/new.txt', 'x'))).toMatch(/outside the project folder/);
    expect(refusal(() => ws.write('leak.txt', 'pwned'))).toMatch(/outside the project folder/);
    expect(refusal(() => ws.write('dangling.txt', 'x'))).toMatch(/target does not exist/);
    expect(refusal(() => ws.receive('out/doc.pdf', Buffer.from('x')))).toMatch(/outside/);
    expect(refusal(() => ws.edit('leak.txt', 'outside', 'inside'))).toMatch(/outside/);
    expect(existsSync(join(outside, 'new.txt'))).toBe(false);
    expect(existsSync(join(outside, 'sub'))).toBe(false);
    expect(existsSync(join(outside, 'not-yet.txt'))).toBe(false);
    expect(existsSync(join(outside, 'doc.pdf'))).toBe(false);
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('outside data\n');
  });

  it('the descriptor check refuses a file reached through a swapped-in symlink (the TOCTOU backstop)', () => {
    symlinkSync(outside, join(ws.root, 'swapped'));
    // As if resolve had seen a real folder here and a command replaced it with a symlink since.
    const raced = join(ws.root, 'swapped', 'secret.txt');
    expect(refusal(() => readConfined(ws.root, raced, '"swapped/secret.txt"', 1024, () => 'big'))).toMatch(/outside/);
  });
});

describe('isSecretPath', () => {
  it.each([
    '.env', '.ENV', '.env.local', '.env.example', 'config/.env.production', 'prod.env', 'certs/server.pem', 'tls.KEY',
    'id_rsa', 'home/id_rsa.pub', 'id_ed25519', 'store.p12', 'cert.pfx', 'credentials', 'credentials.json', '.npmrc',
    '.netrc', '.pgpass', 'secrets.yaml', 'config/secrets.json', 'vault.kdbx', '.ssh/config', 'x/.ssh/known_hosts',
    '.ssh', '.aws/credentials', '.aws/config', '.git-credentials', 'service-account.json', 'gcp/service-account-prod.json',
    '.docker/config.json', '.kube/config', 'infra/terraform.tfstate', '.gnupg/pubring.kbx',
  ])('%s is secret', (p) => {
    expect(isSecretPath(p)).toBe(true);
  });

  it.each([
    'README.md', 'src/secrets.ts', 'src/credentials.py', 'environment.ts', 'src/env.ts', 'keyboard.ts', 'monkey.js',
    'docs/keys.md', '.envrc.md', 'package.json', '.gitignore', 'public/key.svg', 'src/vibe/secrets.test.ts', '.',
  ])('%s is not secret', (p) => {
    expect(isSecretPath(p)).toBe(false);
  });
});

describe('secrets through the workspace', () => {
  beforeEach(() => {
    put('.env', 'API_KEY=sk-live-123\n');
    put('config/server.pem', '-----BEGIN PRIVATE KEY-----\nsk-live-123\n');
    put('.ssh/id_ed25519', 'sk-live-123\n');
    put('notes.txt', 'API_KEY is in the env file\n');
  });

  it('refuses read, send, write, edit, remove and receive', () => {
    for (const p of ['.env', 'config/server.pem', '.ssh/id_ed25519']) {
      expect(refusal(() => ws.read(p))).toMatch(/looks like a secret/);
      expect(refusal(() => ws.readBytes(p))).toMatch(/looks like a secret/);
    }
    expect(refusal(() => ws.write('.env', 'X=1'))).toMatch(/secret/);
    expect(refusal(() => ws.write('sub/.env.local', 'X=1'))).toMatch(/secret/);
    expect(refusal(() => ws.edit('.env', 'API_KEY', 'KEY'))).toMatch(/secret/);
    expect(refusal(() => ws.remove('.env'))).toMatch(/secret/);
    expect(refusal(() => ws.receive('id_rsa', Buffer.from('k')))).toMatch(/secret/);
    expect(readFileSync(join(ws.root, '.env'), 'utf8')).toBe('API_KEY=sk-live-123\n');
    expect(existsSync(join(ws.root, 'sub'))).toBe(false);
  });

  it('refuses a harmless-looking symlink to a secret', () => {
    symlinkSync('.env', join(ws.root, 'settings.txt'));
    expect(refusal(() => ws.read('settings.txt'))).toMatch(/secret/);
    expect(refusal(() => ws.readBytes('settings.txt'))).toMatch(/secret/);
    expect(refusal(() => ws.write('settings.txt', 'x'))).toMatch(/secret/);
  });

  it('search never returns lines from secret files', () => {
    const r = ws.search('sk-live');
    expect(r.matches).toEqual([]);
    expect(ws.search('API_KEY').matches).toEqual([{ path: 'notes.txt', line: 1, text: 'API_KEY is in the env file' }]);
  });

  it('list shows secret files (so the model does not recreate them) and marks them', () => {
    const r = ws.list();
    expect(r.entries).toEqual(['.env', '.ssh/', '.ssh/id_ed25519', 'config/', 'config/server.pem', 'notes.txt']);
    expect(r.secret).toEqual(['.env', '.ssh/', '.ssh/id_ed25519', 'config/server.pem']);
  });
});

describe('list', () => {
  it('lists sorted relative paths, folders with a slash, to a depth, skipping .git and node_modules contents', () => {
    put('src/app.ts', '');
    put('src/lib/deep/x.ts', '');
    put('README.md', '');
    put('node_modules/pkg/index.js', '');
    put('.git/HEAD', '');
    symlinkSync('src', join(ws.root, 'link'));
    expect(ws.list().entries).toEqual([
      '.git/', 'README.md', 'link', 'node_modules/', 'src/', 'src/app.ts', 'src/lib/', 'src/lib/deep/',
    ]);
    expect(ws.list('.', { depth: 1 }).entries).toEqual(['.git/', 'README.md', 'link', 'node_modules/', 'src/']);
    expect(ws.list('src', { depth: 5 }).entries).toEqual(['src/app.ts', 'src/lib/', 'src/lib/deep/', 'src/lib/deep/x.ts']);
    expect(refusal(() => ws.list('README.md'))).toMatch(/is a file/);
  });

  it('stops at maxEntries, keeping the top levels', () => {
    for (let i = 0; i < 10; i++) put(`d${i}/f.txt`, '');
    const r = ws.list('.', { maxEntries: 12 });
    expect(r.truncated).toBe(true);
    expect(r.entries).toHaveLength(12);
    expect(r.entries.filter((e) => e.endsWith('/'))).toHaveLength(10);
    expect(ws.list('.', { maxEntries: 20 }).truncated).toBe(false);
  });
});

describe('read', () => {
  it('reads UTF-8 text', () => {
    put('a.txt', 'héllo\nwörld\n');
    expect(ws.read('a.txt')).toBe('héllo\nwörld\n');
  });

  it('refuses binaries, folders, large files and missing files with clear messages', () => {
    put('img.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01]));
    put('big.log', 'x'.repeat(300 * 1024));
    mkdirSync(join(ws.root, 'dir'));
    expect(refusal(() => ws.read('img.png'))).toMatch(/binary/);
    expect(refusal(() => ws.read('dir'))).toMatch(/is a folder/);
    expect(refusal(() => ws.read('big.log'))).toMatch(/"big.log" is 300 KB, over the 256 KB limit/);
    expect(ws.read('big.log', { maxBytes: 400 * 1024 })).toHaveLength(300 * 1024);
    expect(refusal(() => ws.read('nope.txt'))).toMatch(/no file or folder "nope.txt"/);
  });

  it.skipIf(process.platform !== 'linux')('refuses a FIFO without blocking', () => {
    execFileSync('mkfifo', [join(ws.root, 'pipe')]);
    expect(refusal(() => ws.read('pipe'))).toMatch(/not a regular file/);
    expect(refusal(() => ws.write('pipe', 'x'))).toMatch(/not a regular file/);
  });
});

describe('search', () => {
  beforeEach(() => {
    put('src/a.ts', 'const a = 1;\nexport const TODO_A = a;\r\n');
    put('src/b.ts', 'todo: b\nnothing\n// TODO second\n');
    put('node_modules/x/index.js', 'TODO hidden\n');
    put('.git/COMMIT_EDITMSG', 'TODO hidden\n');
    put('bin.dat', Buffer.concat([Buffer.from('TODO'), Buffer.from([0])]));
  });

  it('finds literal matches with 1-based lines, skipping binaries, .git and node_modules', () => {
    expect(ws.search('TODO').matches).toEqual([
      { path: 'src/a.ts', line: 2, text: 'export const TODO_A = a;' },
      { path: 'src/b.ts', line: 3, text: '// TODO second' },
    ]);
    expect(ws.search('todo', { ignoreCase: true }).matches).toHaveLength(3);
    expect(ws.search('TODO', { dir: 'src', maxResults: 1 })).toEqual({
      matches: [{ path: 'src/a.ts', line: 2, text: 'export const TODO_A = a;' }],
      truncated: true,
    });
    expect(ws.search('a.', { regex: false }).matches).toEqual([]);
  });

  it('supports regexes, refuses invalid ones and stops a catastrophic one at the time limit', () => {
    expect(ws.search('^(const|export) \\w+', { regex: true }).matches.map((m) => m.line)).toEqual([1, 2]);
    expect(refusal(() => ws.search('(unclosed', { regex: true }))).toMatch(/regex is not valid/);
    put('evil.txt', `${'a'.repeat(40)}!\n`);
    const t0 = Date.now();
    expect(refusal(() => ws.search('^(a+)+$', { regex: true, timeoutMs: 200 }))).toMatch(/took longer than 200 ms/);
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});

describe('write, edit, remove, receive, readBytes', () => {
  it('creates files with parents and reports line stats against the previous content', () => {
    expect(ws.write('src/new/file.ts', 'a\nb\nc\n')).toEqual({ created: true, added: 3, removed: 0 });
    expect(ws.write('src/new/file.ts', 'a\nB\nc\nd\n')).toEqual({ created: false, added: 2, removed: 1 });
    expect(readFileSync(join(ws.root, 'src/new/file.ts'), 'utf8')).toBe('a\nB\nc\nd\n');
    expect(refusal(() => ws.write('src', 'x'))).toMatch(/folder/);
    expect(refusal(() => ws.write('.git/hooks/pre-commit', 'x'))).toMatch(/inside \.git/);
    expect(refusal(() => ws.write('.', 'x'))).toMatch(/project folder itself/);
    put('logo.png', Buffer.from([1, 0, 2]));
    expect(ws.write('logo.png', 'now text\n')).toEqual({ created: false, added: 1, removed: 0, approximate: true });
  });

  it('edits by exact replacement: 0 matches, 2 matches, 1 match with stats', () => {
    put('app.ts', 'one\ntwo\nthree\ntwo\n');
    expect(refusal(() => ws.edit('app.ts', 'four', 'x'))).toMatch(/not found.*\(0 matches\)/);
    expect(refusal(() => ws.edit('app.ts', 'two\n', 'x'))).toMatch(/occurs 2 times/);
    expect(refusal(() => ws.edit('app.ts', '', 'x'))).toMatch(/empty/);
    expect(ws.edit('app.ts', 'one\ntwo\n', 'one\n2\n2b\n')).toEqual({ added: 2, removed: 1 });
    expect(readFileSync(join(ws.root, 'app.ts'), 'utf8')).toBe('one\n2\n2b\nthree\ntwo\n');
    expect(ws.edit('app.ts', 'three', '$&$1')).toEqual({ added: 1, removed: 1 }); // no replace() patterns
    expect(readFileSync(join(ws.root, 'app.ts'), 'utf8')).toBe('one\n2\n2b\n$&$1\ntwo\n');
    expect(refusal(() => ws.edit('missing.ts', 'a', 'b'))).toMatch(/no file or folder/);
  });

  it('counts overlapping occurrences and accepts LF text in a CRLF file', () => {
    put('o.txt', 'aaa\n');
    expect(refusal(() => ws.edit('o.txt', 'aa', 'b'))).toMatch(/occurs 2 times/);
    put('crlf.txt', 'a\r\nb\r\nc\r\n');
    expect(ws.edit('crlf.txt', 'a\nb\n', 'a\nB\n')).toEqual({ added: 1, removed: 1 });
    expect(readFileSync(join(ws.root, 'crlf.txt'), 'utf8')).toBe('a\r\nB\r\nc\r\n');
  });

  it('removes files and symlinks (never their targets), refuses folders', () => {
    put('a.txt', 'x');
    put('dir/b.txt', 'y');
    symlinkSync(join(outside, 'secret.txt'), join(ws.root, 'leak.txt'));
    ws.remove('a.txt');
    expect(existsSync(join(ws.root, 'a.txt'))).toBe(false);
    ws.remove('leak.txt');
    expect(() => lstatSync(join(ws.root, 'leak.txt'))).toThrow();
    expect(existsSync(join(outside, 'secret.txt'))).toBe(true);
    expect(refusal(() => ws.remove('dir'))).toMatch(/is a folder/);
    expect(refusal(() => ws.remove('.'))).toMatch(/itself/);
    expect(refusal(() => ws.remove('../outside/secret.txt'))).toMatch(/leaves/);
    expect(refusal(() => ws.remove('nope.txt'))).toMatch(/no file/);
    expect(refusal(() => ws.remove(join(ws.root, 'dir', 'b.txt')))).toMatch(/absolute/);
    put('.git/config', '[core]');
    expect(refusal(() => ws.remove('.git/config'))).toMatch(/inside \.git/);
    expect(existsSync(join(ws.root, 'dir', 'b.txt'))).toBe(true);
  });

  it('receives documents from chat and sends files back as bytes', () => {
    const pdf = Buffer.from([0x25, 0x50, 0x44, 0x46, 0x00, 0xff]);
    expect(ws.receive('docs/spec.pdf', pdf)).toEqual({ created: true });
    expect(ws.receive('docs/spec.pdf', pdf)).toEqual({ created: false });
    expect(readFileSync(join(ws.root, 'docs/spec.pdf'))).toEqual(pdf);
    expect(ws.readBytes('docs/spec.pdf')).toEqual(pdf);
    expect(refusal(() => ws.readBytes('docs/spec.pdf', { maxBytes: 4 }))).toMatch(/over the 4 B limit for sending/);
    expect(refusal(() => ws.receive('../x.pdf', pdf))).toMatch(/leaves/);
    expect(refusal(() => ws.receive('/tmp/x.pdf', pdf))).toMatch(/absolute/);
    expect(refusal(() => ws.receive('big.bin', pdf, { maxBytes: 2 }))).toMatch(/over the 2 B limit/);
    expect(refusal(() => ws.readBytes('docs'))).toMatch(/is a folder/);
  });
});

describe('lineDiffStats', () => {
  it.each([
    ['', '', 0, 0],
    ['a\nb\n', 'a\nb\n', 0, 0],
    ['', 'a\nb\n', 2, 0],
    ['a\nb\n', '', 0, 2],
    ['a\nb\nc\n', 'a\nx\nc\n', 1, 1],
    ['a\nb\nc\n', 'a\nb\nb2\nc\n', 1, 0],
    ['a\nb\nc\n', 'a\nc\n', 0, 1],
    ['a\nb\n', 'a\nb', 1, 1], // the final newline, as git counts it
    ['a\nb\n', 'b\na\n', 1, 1],
    ['a\nb\nc\nd\n', 'x\nb\ny\nd\nz\n', 3, 2],
    ['x\na\nb\nc\n', 'a\nb\nc\nx\n', 1, 1],
  ])('%j -> %j is +%i -%i', (before, after, added, removed) => {
    expect(lineDiffStats(before, after)).toEqual({ added, removed });
  });

  it('is exact and fast for a small edit in a big file', () => {
    const lines = Array.from({ length: 50_000 }, (_, i) => `line ${i}\n`);
    const before = lines.join('');
    const after = [...lines.slice(0, 25_000), 'new\n', ...lines.slice(25_001)].join('');
    const t0 = Date.now();
    expect(lineDiffStats(before, after)).toEqual({ added: 1, removed: 1 });
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('falls back to a marked approximation when a full rewrite would cost too much', () => {
    const before = Array.from({ length: 20_000 }, (_, i) => `old ${i}\n`).join('');
    const after = Array.from({ length: 20_000 }, (_, i) => `new ${i}\n`).join('');
    const t0 = Date.now();
    expect(lineDiffStats(before, after)).toEqual({ added: 20_000, removed: 20_000, approximate: true });
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});
