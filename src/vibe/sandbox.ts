import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import { bwrapArgs, hostMasks, SANDBOX_WORKDIR, type BwrapFlavour } from './bwrap-args.js';
import { OutputCap } from './output-cap.js';
import { secretMasks } from './secret-masks.js';
import { WorkspaceError } from './workspace-error.js';

/**
 * Commands from /vibe run only inside bubblewrap: no network, only the workspace writable, a clean
 * environment, a time limit and an output cap. Without a sandbox there are no commands at all;
 * there is no "run it on the host anyway" mode.
 */

export type SandboxKind = 'bwrap' | 'none';

export interface SandboxInfo {
  kind: SandboxKind;
  /** Why there is no sandbox, for a person. */
  reason?: string;
  /** The bwrap binary that worked. */
  path?: string;
}

export interface RunOptions {
  timeoutMs: number;
  maxOutputBytes: number;
  signal?: AbortSignal;
  sandbox: SandboxKind;
  bwrapPath?: string;
  /**
   * Host paths to hide should they lie under a folder the sandbox binds (e.g. a data dir or an
   * install under /usr/local): pass JARVIS_DATA_DIR and the app's own folder.
   */
  hideHostPaths?: string[];
  /** Mask the workspace's secret-looking files and folders (see secret-masks). Default true. */
  maskSecrets?: boolean;
}

export interface RunResult {
  exitCode: number | null;
  signal: string | null;
  output: string;
  truncated: boolean;
  timedOut: boolean;
  aborted: boolean;
  ms: number;
}

/** Thrown by runSandboxed when there is no sandbox; the message says why, for the person. */
export class SandboxUnavailableError extends WorkspaceError {}

/**
 * The whole environment of a sandboxed command: never process.env, which holds Jarvis's tokens.
 * NO_COLOR and TERM=dumb because the output ends up as chat text.
 */
export const SANDBOX_ENV: Readonly<Record<string, string>> = Object.freeze({
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: SANDBOX_WORKDIR,
  TMPDIR: '/tmp',
  LANG: 'C.UTF-8',
  TERM: 'dumb',
  NO_COLOR: '1',
});

const NOT_INSTALLED = 'bubblewrap is not installed: install the bubblewrap package (e.g. apt-get install bubblewrap)';
/** After the process exits, how long to wait for its pipes to close before answering anyway. */
const CLOSE_GRACE_MS = 1000;

interface Detection extends SandboxInfo {
  flavour?: BwrapFlavour;
}

const detections = new Map<string, Detection>();

/**
 * Which sandbox this machine has. bwrap counts only when it actually runs a trivial command with
 * the same arguments real commands get (it may be installed yet blocked by a kernel or AppArmor
 * policy on user namespaces). Checked once per binary and cached; `refresh` checks again.
 */
export function detectSandbox(opts: { bwrapPath?: string; refresh?: boolean } = {}): SandboxInfo {
  const key = opts.bwrapPath ?? '';
  let d = detections.get(key);
  if (!d || opts.refresh) {
    d = probe(opts.bwrapPath);
    detections.set(key, d);
  }
  return { kind: d.kind, ...(d.reason ? { reason: d.reason } : {}), ...(d.path ? { path: d.path } : {}) };
}

function findBwrap(): string | null {
  const dirs = ['/usr/bin', ...(process.env.PATH ?? '').split(delimiter).filter((d) => isAbsolute(d))];
  for (const dir of dirs) {
    const p = join(dir, 'bwrap');
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return null;
}

function probe(explicit: string | undefined): Detection {
  if (process.platform !== 'linux') return { kind: 'none', reason: `bubblewrap needs Linux; this is ${process.platform}` };
  const path = explicit ?? findBwrap();
  if (!path) return { kind: 'none', reason: NOT_INSTALLED };
  const help = spawnSync(path, ['--help'], { encoding: 'utf8', timeout: 5000, env: SANDBOX_ENV });
  if (help.error) return { kind: 'none', reason: `${NOT_INSTALLED} (${path}: ${help.error.message})` };
  const disableUserns = `${help.stdout}${help.stderr}`.includes('--disable-userns');
  const scratch = mkdtempSync(join(tmpdir(), 'jarvis-bwrap-probe-'));
  try {
    let lastError = '';
    for (const flavour of [{ userns: true, disableUserns }, { userns: false, disableUserns: false }]) {
      const r = spawnSync(path, [...bwrapArgs(realpathSync(scratch), flavour), '/bin/sh', '-c', 'exit 0'], {
        encoding: 'utf8',
        timeout: 10_000,
        env: SANDBOX_ENV,
      });
      if (r.status === 0) return { kind: 'bwrap', path, flavour };
      lastError = (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n')[0] ?? '';
    }
    return {
      kind: 'none',
      reason: `bubblewrap is installed but cannot create a sandbox here (${lastError}); unprivileged user namespaces may be disabled (sysctl kernel.unprivileged_userns_clone, or AppArmor's restrict_unprivileged_userns)`,
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * Runs `command` with /bin/sh -c in the workspace, inside bubblewrap. Resolves (never rejects)
 * once the command ends, times out or is aborted; the whole process tree is killed in the last two
 * cases. Throws SandboxUnavailableError when `sandbox` is 'none'.
 */
export async function runSandboxed(workspaceRoot: string, command: string, opts: RunOptions): Promise<RunResult> {
  if (opts.sandbox !== 'bwrap') {
    const why = detectSandbox().reason ?? 'no sandbox is configured';
    throw new SandboxUnavailableError(`Running commands is off: there is no sandbox on this server (${why}).`);
  }
  if (!(opts.timeoutMs > 0) || !(opts.maxOutputBytes > 0)) throw new Error('runSandboxed needs a positive timeoutMs and maxOutputBytes');
  const root = realpathSync(workspaceRoot);
  if (!statSync(root).isDirectory()) throw new Error(`Not a folder: ${workspaceRoot}`);

  detectSandbox({ bwrapPath: opts.bwrapPath }); // cached after the first call: learns the flavour
  const detected = detections.get(opts.bwrapPath ?? '');
  const flavour: BwrapFlavour = detected?.flavour ?? { userns: false, disableUserns: false };
  const bwrap = opts.bwrapPath ?? detected?.path ?? '/usr/bin/bwrap';
  const masks = [...(opts.maskSecrets === false ? [] : secretMasks(root)), ...hostMasks(opts.hideHostPaths ?? [])];
  const args = [...bwrapArgs(root, flavour, masks), '/bin/sh', '-c', command];

  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  if (opts.signal?.aborted) {
    return { exitCode: null, signal: null, output: '', truncated: false, timedOut: false, aborted: true, ms: 0 };
  }
  return new Promise<RunResult>((resolve) => {
    const out = new OutputCap(opts.maxOutputBytes);
    let timedOut = false;
    let aborted = false;
    let exited = false;
    let settled = false;
    let exitCode: number | null = null;
    let exitSignal: string | null = null;
    let grace: NodeJS.Timeout | undefined;

    // detached: bwrap leads its own process group, so one kill(-pid) reaches it and anything it
    // forked; the command itself is pid 1's child in a pid namespace that dies with bwrap
    // (--die-with-parent), taking every process the command started with it.
    const child = spawn(bwrap, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...SANDBOX_ENV }, cwd: '/' });
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => out.push(b));

    const killTree = () => {
      if (exited || child.pid === undefined) return; // after exit the pid may belong to someone else
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killTree();
    }, opts.timeoutMs);
    const onAbort = () => {
      aborted = true;
      killTree();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(grace);
      opts.signal?.removeEventListener('abort', onAbort);
      child.stdout.destroy();
      child.stderr.destroy();
      resolve({ exitCode, signal: exitSignal, output: out.text(), truncated: out.truncated, timedOut, aborted, ms: elapsed() });
    };
    child.on('exit', (code, sig) => {
      exited = true;
      exitCode = code;
      exitSignal = sig;
      grace = setTimeout(finish, CLOSE_GRACE_MS);
    });
    child.on('close', finish);
    child.on('error', (err) => {
      out.push(Buffer.from(`could not start bubblewrap (${bwrap}): ${err.message}\n`));
      exited = true;
      finish();
    });
  });
}
