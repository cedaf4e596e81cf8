import Database from 'better-sqlite3';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeTelegramBotApi } from '../fakes/telegram-bot-api.js';
import { MAIN, startDaemon, tempDataDir, type Daemon } from './daemon.js';

/** `jarvis backup`, `jarvis restore FILE` and `jarvis doctor` as a person runs them: the built CLI, next to a running or stopped daemon. */

const run = (args: string[], env: Record<string, string>) =>
  spawnSync(process.execPath, [MAIN, ...args], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', JARVIS_ENV_FILE: '/nonexistent/.env', ...env }, encoding: 'utf8', timeout: 30_000 });

/** For a CLI that talks to a fake served by this process: spawnSync would block the fake's event loop. */
function runAsync(args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, [MAIN, ...args], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', JARVIS_ENV_FILE: '/nonexistent/.env', ...env } });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => proc.on('close', (status) => resolve({ status, stdout, stderr })));
}

let daemon: Daemon | undefined;
let telegram: FakeTelegramBotApi | undefined;
afterEach(async () => {
  await daemon?.stop('SIGTERM');
  daemon = undefined;
  await telegram?.stop();
  telegram = undefined;
});

const daemonEnv = (dataDir: string) => ({ JARVIS_DATA_DIR: dataDir, JARVIS_HTTP_PORT: '0', JARVIS_CONSOLE: 'off', JARVIS_ENV_FILE: '/nonexistent/.env' });

function addAuditRows(dbPath: string, n: number): void {
  const db = new Database(dbPath);
  db.pragma('busy_timeout = 5000');
  const insert = db.prepare("INSERT INTO audit_log (at, actor, action, target, outcome, detail) VALUES (?, 'test', 'seed', NULL, 'ok', NULL)");
  db.transaction(() => {
    for (let i = 0; i < n; i++) insert.run(i);
  })();
  db.close();
}

describe('jarvis backup and restore', () => {
  it('backs up a running daemon, refuses to restore under it, and restores into a fresh data dir and over the old database once it stops', async () => {
    const dataDir = tempDataDir();
    daemon = await startDaemon(daemonEnv(dataDir));
    addAuditRows(join(dataDir, 'jarvis.db'), 250);

    const b = run(['backup'], { JARVIS_DATA_DIR: dataDir });
    expect(b.stderr).toMatch(/^Backup saved \(\d+(\.\d)? KB, schema version \d+, took \d+ ms\); keeping the newest 7\.\n$/);
    expect(b.status).toBe(0);
    const file = b.stdout.trim();
    expect(file).toMatch(new RegExp(`^${join(dataDir, 'backups')}/jarvis-\\d{8}-\\d{6}Z-v\\d+\\.db\\.gz$`));
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const refused = run(['restore', file], { JARVIS_DATA_DIR: dataDir });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toBe('Jarvis is running: the database is open in another process (the daemon or jarvis chat). Stop it first (pm2 stop jarvis, or Ctrl-C), then run the restore again.\n');

    expect((await daemon.stop('SIGTERM')).code).toBe(0);
    daemon = undefined;

    const fresh = tempDataDir();
    const r = run(['restore', file], { JARVIS_DATA_DIR: fresh });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`Restored ${file} into ${join(fresh, 'jarvis.db')}.\n`);
    expect(r.stdout).toMatch(/The backup was taken \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ, at schema version \d+ \(current\)\.\n/);
    expect(r.stdout).toContain('There was no database before.\n');
    expect(r.stdout).toMatch(/\n {2}audit_log +250\n/);
    expect(r.stdout).toMatch(/Start Jarvis again/);
    expect(run(['migrate'], { JARVIS_DATA_DIR: fresh }).stdout).toMatch(/^Up to date at schema version \d+\.\n$/);

    // Over the original, now stopped: the database it replaces is kept aside.
    addAuditRows(join(dataDir, 'jarvis.db'), 5);
    const over = run(['restore', file], { JARVIS_DATA_DIR: dataDir });
    expect(over.status).toBe(0);
    const aside = /The previous database is kept as (\S+)\.\n/.exec(over.stdout)?.[1];
    expect(aside).toMatch(new RegExp(`^${join(dataDir, 'jarvis.db')}\\.before-restore-\\d{8}-\\d{6}Z$`));
    const old = new Database(aside!, { readonly: true });
    expect(old.prepare("SELECT COUNT(*) AS n FROM audit_log WHERE actor = 'test'").get()).toEqual({ n: 255 });
    old.close();
    const now = new Database(join(dataDir, 'jarvis.db'), { readonly: true });
    expect(now.prepare("SELECT COUNT(*) AS n FROM audit_log WHERE actor = 'test'").get()).toEqual({ n: 250 });
    now.close();

    // And Jarvis starts on the restored database.
    daemon = await startDaemon(daemonEnv(fresh));
  });

  it('refuses a file from a newer Jarvis, a damaged file and a missing argument, changing nothing', () => {
    const dataDir = tempDataDir();
    expect(run(['migrate'], { JARVIS_DATA_DIR: dataDir }).status).toBe(0);
    const file = run(['backup'], { JARVIS_DATA_DIR: dataDir }).stdout.trim();
    const plainPath = join(dataDir, 'plain.db');
    writeFileSync(plainPath, gunzipSync(readFileSync(file)));
    const db = new Database(plainPath);
    db.prepare("INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (999, '999_future.sql', 'x', 1)").run();
    db.close();
    const newer = join(dataDir, 'newer.db.gz');
    writeFileSync(newer, gzipSync(readFileSync(plainPath)));
    const damaged = join(dataDir, 'damaged.db.gz');
    writeFileSync(damaged, readFileSync(file).subarray(0, 500));
    const before = readdirSync(dataDir).sort();

    const n = run(['restore', newer], { JARVIS_DATA_DIR: dataDir });
    expect(n.status).toBe(1);
    expect(n.stderr).toMatch(/^newer\.db\.gz comes from a newer Jarvis \(schema version 999; this one knows up to \d+\): upgrade Jarvis first, or restore an older backup\.\n$/);
    const d = run(['restore', damaged], { JARVIS_DATA_DIR: dataDir });
    expect(d.status).toBe(1);
    expect(d.stderr).toBe('damaged.db.gz is damaged: its compressed data cannot be read (Z_BUF_ERROR).\n');
    const u = run(['restore'], { JARVIS_DATA_DIR: dataDir });
    expect(u.status).toBe(64);
    expect(u.stderr).toMatch(/^Usage: jarvis restore FILE/);
    expect(readdirSync(dataDir).sort()).toEqual(before);
  });

  it('says there is nothing to back up before the first start', () => {
    const r = run(['backup'], { JARVIS_DATA_DIR: join(tempDataDir(), 'none') });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^There is no database at .* yet: start Jarvis once/);
  });
});

describe('jarvis doctor', () => {
  it('fails on a webhook that blocks polling, and --fix deletes it, creates the folders and exits 0', async () => {
    telegram = new FakeTelegramBotApi();
    await telegram.start();
    telegram.webhookUrl = 'https://example.invalid/hook';
    const dataDir = join(tempDataDir(), 'data');
    const env = { JARVIS_DATA_DIR: dataDir, TELEGRAM_BOT_TOKEN: telegram.token, TELEGRAM_API_ROOT: telegram.apiRoot };

    const check = await runAsync(['doctor'], env);
    expect(check.status).toBe(1);
    expect(check.stdout).toMatch(/^PASS {2}config {9}valid/);
    expect(check.stdout).toMatch(/\nPASS {2}telegram {7}token valid: @jarvis_test_bot\n/);
    expect(check.stdout).toMatch(/\nFAIL {2}telegram poll {2}a webhook is set, so Telegram refuses polling \(409\).* — fix: delete it \(jarvis doctor --fix/);
    expect(check.stdout).toMatch(/\nWARN {2}data dir .* does not exist yet/);
    expect(check.stdout).toMatch(/\d+ passed, \d+ warning\(s\), 1 failed, \d+ skipped\. jarvis doctor --fix can fix some of these\.\n$/);
    expect(check.stdout + check.stderr).not.toContain(telegram.token);
    expect(telegram.webhookUrl).not.toBe('');

    const fixed = await runAsync(['doctor', '--fix'], env);
    expect(fixed.stdout).toMatch(/\nPASS {2}telegram poll {2}no webhook set: long polling works \(fixed: deleted the webhook/);
    expect(fixed.stdout).toMatch(/\nPASS {2}data dir .* \(fixed: created /);
    expect(fixed.status).toBe(0);
    expect(telegram.webhookUrl).toBe('');
    expect(existsSync(join(dataDir, 'backups'))).toBe(true);
  });

  it('rejects an unknown option with usage and exit 64, and a bad configuration with exit 1 naming only the variable', () => {
    expect(run(['doctor', '--frobnicate'], {}).status).toBe(64);
    const bad = run(['doctor'], { JARVIS_DATA_DIR: tempDataDir(), TELEGRAM_BOT_TOKEN: 'oops-SECRETISH' });
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/^FAIL {2}config {9}1 problem\(s\): TELEGRAM_BOT_TOKEN: does not look like a bot token/);
    expect(bad.stdout).not.toContain('SECRETISH');
  });
});
