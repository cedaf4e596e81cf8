import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bwrapArgs, hostMasks } from '../../src/vibe/bwrap-args.js';
import { OutputCap } from '../../src/vibe/output-cap.js';
import { detectSandbox, runSandboxed, SandboxUnavailableError, type RunOptions } from '../../src/vibe/sandbox.js';
import { WorkspaceError } from '../../src/vibe/workspace.js';

const hasBwrap = detectSandbox().kind === 'bwrap';

let base: string;
let ws: string;
const opts = (o: Partial<RunOptions> = {}): RunOptions => ({ timeoutMs: 10_000, maxOutputBytes: 64 * 1024, sandbox: 'bwrap', ...o });

beforeEach(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), 'vibe-sandbox-')));
  ws = join(base, 'ws');
  mkdirSync(ws);
});

afterEach(() => {
  rmSync(base, { recursive: true, force: true });
});

/** Pids whose command line contains `marker` (to prove a killed tree left nothing behind). */
function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker)) found.push(Number(pid));
    } catch {
      /* gone */
    }
  }
  return found;
}

describe('without a sandbox', () => {
  it("refuses to run anything with 'none', saying why", async () => {
    const err = await runSandboxed(ws, 'touch ran', opts({ sandbox: 'none' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SandboxUnavailableError);
    expect(err).toBeInstanceOf(WorkspaceError);
    expect((err as WorkspaceError).userMessage).toMatch(/^Running commands is off: there is no sandbox on this server/);
    expect(existsSync(join(ws, 'ran'))).toBe(false);
  });

  it('reports a missing bwrap as not installed, for a person', () => {
    const d = detectSandbox({ bwrapPath: join(base, 'no-such-bwrap') });
    expect(d.kind).toBe('none');
    if (process.platform === 'linux') expect(d.reason).toMatch(/bubblewrap is not installed: install the bubblewrap package/);
  });

  it('builds bwrap arguments that isolate everything but the workspace', () => {
    const args = bwrapArgs('/data/workspaces/u/p', { userns: true, disableUserns: true }, [
      { path: '/workspace/.env', kind: 'file' },
      { path: '/workspace/.ssh', kind: 'dir' },
    ]);
    const line = args.join(' ');
    for (const flag of ['--unshare-all', '--unshare-user', '--disable-userns', '--die-with-parent', '--new-session', '--cap-drop ALL']) {
      expect(line).toContain(flag);
    }
    expect(line).toContain('--proc /proc --dev /dev --tmpfs /tmp --bind /data/workspaces/u/p /workspace');
    expect(line).toContain('--ro-bind /dev/null /workspace/.env --tmpfs /workspace/.ssh --remount-ro / --chdir /workspace');
    expect(args).not.toContain('--share-net');
    // /etc only file by file, never whole; nothing of the host bound writable except the workspace.
    expect(line).not.toMatch(/--(ro-)?bind \/etc \/etc/);
    expect(args.filter((a) => a === '--bind')).toHaveLength(1);
  });

  it('masks host paths only when they lie under a bound folder', () => {
    expect(hostMasks(['/usr/share', join(base, 'data')])).toEqual([{ path: '/usr/share', kind: 'dir' }]);
  });

  it('caps output keeping the head and the tail', () => {
    const cap = new OutputCap(10);
    cap.push(Buffer.from('HEAD-'));
    cap.push(Buffer.from('middle-middle-'));
    cap.push(Buffer.from('TAIL!'));
    expect(cap.truncated).toBe(true);
    expect(cap.text()).toBe('HEAD-\n… [14 bytes of output omitted] …\nTAIL!');
    const small = new OutputCap(10);
    small.push(Buffer.from('short'));
    expect([small.text(), small.truncated]).toEqual(['short', false]);
  });
});

describe.skipIf(!hasBwrap)('in bubblewrap', () => {
  it('runs a command in the workspace and returns its output and exit code', async () => {
    const r = await runSandboxed(ws, 'echo hello; pwd; echo oops >&2; exit 3', opts());
    expect(r).toMatchObject({ exitCode: 3, signal: null, truncated: false, timedOut: false, aborted: false });
    expect(r.output).toBe('hello\n/workspace\noops\n');
    expect((await runSandboxed(ws, 'true', opts())).exitCode).toBe(0);
  });

  it('keeps writes inside the workspace and refuses them elsewhere', async () => {
    const r = await runSandboxed(ws, 'mkdir -p d && echo made > d/f.txt; touch /usr/x; echo usr=$?; touch /etc/x; echo etc=$?; touch /x; echo root=$?; touch /tmp/x; echo tmp=$?', opts());
    expect(readFileSync(join(ws, 'd', 'f.txt'), 'utf8')).toBe('made\n');
    expect(r.output).toMatch(/Read-only file system/);
    expect(r.output).toMatch(/usr=1/);
    expect(r.output).toMatch(/etc=1/);
    expect(r.output).toMatch(/root=1/);
    expect(r.output).toMatch(/tmp=0/); // a private tmpfs, gone with the command
    expect(existsSync('/usr/x')).toBe(false);
  });

  it('loops forever until killed at the timeout, with the whole process tree', async () => {
    const marker = `sleep 31${process.pid % 1000}7`;
    const r = await runSandboxed(ws, `${marker} & while true; do :; done`, opts({ timeoutMs: 1000 }));
    expect(r.timedOut).toBe(true);
    expect(r.aborted).toBe(false);
    expect(r.exitCode).toBeNull();
    expect(r.signal).toBe('SIGKILL');
    expect(r.ms).toBeGreaterThanOrEqual(990);
    expect(r.ms).toBeLessThan(2000);
    await new Promise((res) => setTimeout(res, 200));
    expect(processesWith(marker)).toEqual([]);
  });

  it('stops when the signal aborts', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const r = await runSandboxed(ws, 'sleep 30', opts({ signal: ac.signal }));
    expect(r).toMatchObject({ aborted: true, timedOut: false, exitCode: null });
    expect(r.ms).toBeLessThan(1500);
    const pre = await runSandboxed(ws, 'touch ran', opts({ signal: AbortSignal.abort() }));
    expect(pre.aborted).toBe(true);
    expect(existsSync(join(ws, 'ran'))).toBe(false);
  });

  it('caps the output, keeping the head and the tail', async () => {
    const r = await runSandboxed(ws, 'seq 1 100000', opts({ maxOutputBytes: 1000 }));
    expect(r.exitCode).toBe(0);
    expect(r.truncated).toBe(true);
    expect(r.output.startsWith('1\n2\n3\n')).toBe(true);
    expect(r.output.endsWith('99999\n100000\n')).toBe(true);
    expect(r.output).toMatch(/bytes of output omitted/);
    expect(r.output.length).toBeLessThan(1100);
  });

  it('has no network: only a loopback interface, and name lookups fail', async () => {
    const r = await runSandboxed(ws, 'cat /proc/net/dev; getent hosts example.com; echo getent=$?', opts());
    const ifaces = r.output.split('\n').filter((l) => /^\s*\w+:/.test(l)).map((l) => l.trim().split(':')[0]);
    expect(ifaces).toEqual(['lo']);
    expect(r.output).toMatch(/getent=[1-9]/);
  });

  it('sees nothing of the host outside the workspace: data dir, repository, home', async () => {
    const dataDir = join(base, 'data');
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'jarvis.sqlite'), 'private');
    const paths = [join(dataDir, 'jarvis.sqlite'), process.cwd(), join(process.cwd(), 'package.json'), '/root', '/etc/shadow', '/etc/npmrc'];
    const r = await runSandboxed(ws, paths.map((p) => `test -e '${p}' && echo "VISIBLE ${p}"`).join('; ') + '; echo done', opts());
    expect(r.output).toBe('done\n');
  });

  it('passes no secrets from the environment and drops all capabilities', async () => {
    process.env.SECRET_TOKEN = 'sk-test-do-not-leak-42';
    try {
      const r = await runSandboxed(ws, 'env; grep CapEff /proc/self/status', opts());
      expect(r.output).not.toContain('sk-test-do-not-leak-42');
      expect(r.output).not.toContain('SECRET_TOKEN');
      expect(r.output).toContain('HOME=/workspace');
      expect(r.output).toMatch(/CapEff:\s+0+\n/);
    } finally {
      delete process.env.SECRET_TOKEN;
    }
  });

  it("masks the workspace's secret files and folders", async () => {
    writeFileSync(join(ws, '.env'), 'API_KEY=sk-live-123\n');
    mkdirSync(join(ws, '.ssh'));
    writeFileSync(join(ws, '.ssh', 'id_ed25519'), 'PRIVATE\n');
    writeFileSync(join(ws, 'app.js'), 'ok\n');
    // A masked file reads as empty, or as "Permission denied" in a user namespace (nodev mount).
    const r = await runSandboxed(ws, 'cat .env; ls -A .ssh; cat .ssh/id_ed25519 2>/dev/null; cat app.js; echo end', opts());
    expect(r.output).not.toMatch(/sk-live|PRIVATE|id_ed25519/);
    expect(r.output).toMatch(/^(cat: \.env: Permission denied\n)?ok\nend\n$/);
    expect(readFileSync(join(ws, '.env'), 'utf8')).toBe('API_KEY=sk-live-123\n');
    const unmasked = await runSandboxed(ws, 'cat .env', opts({ maskSecrets: false }));
    expect(unmasked.output).toContain('sk-live-123');
  });

  it('a background process does not keep the command alive', async () => {
    const r = await runSandboxed(ws, 'sleep 30 & echo started', opts({ timeoutMs: 5000 }));
    expect(r).toMatchObject({ exitCode: 0, timedOut: false, output: 'started\n' });
    expect(r.ms).toBeLessThan(3000);
  });
});
