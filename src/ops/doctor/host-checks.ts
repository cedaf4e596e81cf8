import { chmodSync, existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatBytes, formatDuration } from '../../core/render.js';
import { listBackups } from '../backup/names.js';
import { vibeSandbox } from '../../vibe/build.js';
import { pass, warn, type Check, type DoctorContext } from './types.js';

/** The machine around Jarvis: file modes of what holds secrets, backups, the sandbox, pm2. */

/** The .env files Jarvis may read: the one readEnv uses (JARVIS_ENV_FILE or ./.env) and the one next to package.json. */
export function envFiles(ctx: Pick<DoctorContext, 'env' | 'cwd' | 'root'>): string[] {
  const candidates = [ctx.env.JARVIS_ENV_FILE ? resolve(ctx.cwd, ctx.env.JARVIS_ENV_FILE) : resolve(ctx.cwd, '.env'), join(ctx.root, '.env')];
  return [...new Set(candidates)].filter((f) => existsSync(f));
}

const open = (mode: number) => (mode & 0o077) !== 0;
const octal = (mode: number) => (mode & 0o777).toString(8);

export const secretFilesCheck: Check = {
  name: 'secret files',
  run(ctx) {
    const { config } = ctx;
    const files = [...envFiles(ctx), ...[config.dbPath, `${config.dbPath}-wal`, `${config.dbPath}-shm`].filter((f) => existsSync(f)), ...listBackups(config.backup.dir).map((b) => b.path)];
    const loose = files.map((f) => ({ f, mode: statSync(f).mode })).filter((x) => open(x.mode));
    const dirLoose = existsSync(config.backup.dir) && open(statSync(config.backup.dir).mode);
    if (files.length === 0 && !dirLoose) return pass('no .env, database or backup yet');
    if (loose.length === 0 && !dirLoose) return pass(`${files.length} file(s) readable by their owner only (.env, database, backups)`);
    const named = loose.slice(0, 3).map((x) => `${x.f} (${octal(x.mode)})`);
    if (loose.length > 3) named.push(`${loose.length - 3} more`);
    if (dirLoose) named.push(`the folder ${config.backup.dir} (${octal(statSync(config.backup.dir).mode)})`);
    return warn(`readable by group or others: ${named.join(', ')}`, `they hold tokens, the sealed wallet and chats: chmod 600 the files${dirLoose ? ' and 700 the folder' : ''} (jarvis doctor --fix does it)`, {
      does: `made ${loose.length} file(s) 600${dirLoose ? ' and the backup folder 700' : ''}`,
      apply: () => {
        for (const x of loose) chmodSync(x.f, 0o600);
        if (dirLoose) chmodSync(config.backup.dir, 0o700);
      },
    });
  },
};

export const backupAgeCheck: Check = {
  name: 'backups',
  run({ config, now }) {
    const all = listBackups(config.backup.dir);
    const newest = all[0];
    const when = `the backup job runs at "${config.backup.cron}" (BACKUP_CRON) while the daemon runs`;
    if (!newest) return warn(`no backup in ${config.backup.dir} yet`, `run jarvis backup (or /backup); ${when}`);
    const age = now - newest.takenAt;
    const detail = `newest ${newest.name}, ${formatDuration(Math.max(0, age))} old, ${formatBytes(newest.bytes)}; ${all.length} kept (BACKUP_KEEP ${config.backup.keep})`;
    if (age > config.backup.maxAgeHours * 3_600_000) {
      return warn(detail, `older than BACKUP_MAX_AGE_HOURS (${config.backup.maxAgeHours}): check /jobs for failed backup runs, then run jarvis backup; ${when}`);
    }
    return pass(detail);
  },
};

/** The same answer /vibe gets at start (src/vibe/build.ts): the configured sandbox, or bubblewrap when it works here. */
export const sandboxCheck: Check = {
  name: 'sandbox',
  run({ config }) {
    const sandbox = vibeSandbox(config.vibe.sandbox);
    if (sandbox.kind === 'bwrap') return pass('bubblewrap works here: /vibe runs commands in a sandbox');
    if (config.vibe.sandbox === 'none') return warn('VIBE_SANDBOX=none: /vibe will not run commands', 'set VIBE_SANDBOX=auto (and install bubblewrap) if you want /vibe to run code');
    return warn(`no sandbox (${sandbox.reason ?? 'bubblewrap does not work here'}): /vibe will not run commands`, 'install bubblewrap (apt-get install bubblewrap) and allow unprivileged user namespaces, if you want /vibe to run code');
  },
};

export const pm2Check: Check = {
  name: 'pm2',
  run({ root }) {
    const file = join(root, 'ecosystem.config.cjs');
    if (existsSync(file)) return pass(`${file} present`);
    return warn(`no ecosystem.config.cjs in ${root}`, 'restore it from the repository (git checkout ecosystem.config.cjs) and start Jarvis with pm2 start ecosystem.config.cjs');
  },
};
