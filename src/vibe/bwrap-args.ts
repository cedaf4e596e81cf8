import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import { isInside } from './paths.js';

/**
 * The bubblewrap command line for one sandboxed command, built as data so it can be read and
 * tested. The sandbox sees: the host's programs and libraries read-only, a few files of /etc, a
 * fresh /proc, /dev and /tmp, and the workspace read-write at /workspace. Nothing else of the host
 * (no JARVIS_DATA_DIR, no repository, no home, no network).
 */

/** What this machine's bwrap can do, found once by detectSandbox. */
export interface BwrapFlavour {
  /** A user namespace with a non-root uid inside works (not on setuid installs or restricted kernels). */
  userns: boolean;
  /** bwrap ≥ 0.8: forbid nested user namespaces inside the sandbox. */
  disableUserns: boolean;
}

export interface SandboxMask {
  /** Absolute path inside the sandbox to hide. */
  path: string;
  kind: 'file' | 'dir';
}

/** Where the workspace appears inside the sandbox; also HOME and the working directory. */
export const SANDBOX_WORKDIR = '/workspace';

/** Top-level folders that hold programs and libraries; merged-/usr systems have symlinks here. */
const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/**
 * The parts of /etc programs need: the dynamic linker cache, alternatives (Debian's /usr/bin/java,
 * editor, ... are symlinks through it), user and group names, name-service and time-zone config, CA
 * certificates and MIME types. Not all of /etc: it holds /etc/shadow, ssh host keys, /etc/npmrc and
 * pip.conf with registry tokens, and any env files an admin keeps for Jarvis itself.
 */
export const ETC_ALLOWLIST = [
  '/etc/alternatives', '/etc/ld.so.cache', '/etc/ld.so.conf', '/etc/ld.so.conf.d', '/etc/passwd', '/etc/group',
  '/etc/nsswitch.conf', '/etc/hosts', '/etc/host.conf', '/etc/localtime', '/etc/timezone', '/etc/ssl',
  '/etc/ca-certificates', '/etc/mime.types', '/etc/os-release', '/etc/protocols', '/etc/services',
];

/** Host folders bound into the sandbox; hideHostPaths under them get masked. */
export function boundHostRoots(): string[] {
  return [...SYSTEM_DIRS, ...ETC_ALLOWLIST].filter((p) => existsSync(p));
}

export function bwrapArgs(workspaceRoot: string, flavour: BwrapFlavour, masks: SandboxMask[] = []): string[] {
  const args = ['--unshare-all'];
  if (flavour.userns) {
    // Explicit (not --unshare-user-try): a daemon running as root still gets an unprivileged uid.
    args.push('--unshare-user', '--uid', '1000', '--gid', '1000');
    if (flavour.disableUserns) args.push('--disable-userns');
  }
  args.push('--die-with-parent', '--new-session', '--cap-drop', 'ALL');
  for (const dir of SYSTEM_DIRS) args.push(...systemDir(dir));
  for (const p of ETC_ALLOWLIST) if (existsSync(p)) args.push('--ro-bind', p, p);
  args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp');
  args.push('--bind', workspaceRoot, SANDBOX_WORKDIR);
  for (const m of masks) {
    args.push(...(m.kind === 'dir' ? ['--tmpfs', m.path] : ['--ro-bind', '/dev/null', m.path]));
  }
  // The sandbox's own root (where bwrap made /etc, /workspace, ...) is a scratch tmpfs; make it
  // read-only so the only writable places are /workspace and /tmp. Not recursive: binds keep their modes.
  args.push('--remount-ro', '/', '--chdir', SANDBOX_WORKDIR);
  return args;
}

/** A merged-/usr symlink is recreated as a symlink (so paths resolve as on the host); a real folder is bound read-only. */
function systemDir(dir: string): string[] {
  try {
    const st = lstatSync(dir);
    if (st.isSymbolicLink()) return ['--symlink', readlinkSync(dir), dir];
    if (st.isDirectory()) return ['--ro-bind', dir, dir];
  } catch {
    /* absent on this machine */
  }
  return [];
}

/** Masks for host paths (the data dir, the repository) that happen to lie under a bound folder. */
export function hostMasks(paths: string[]): SandboxMask[] {
  const roots = boundHostRoots();
  const out: SandboxMask[] = [];
  for (const p of paths) {
    if (!roots.some((r) => isInside(r, p))) continue;
    try {
      out.push({ path: p, kind: lstatSync(p).isDirectory() ? 'dir' : 'file' });
    } catch {
      /* does not exist: nothing to hide */
    }
  }
  return out;
}
