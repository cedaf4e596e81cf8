import Database from 'better-sqlite3';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { http, HttpResponse } from 'msw';
import { afterEach, describe, expect, it } from 'vitest';
import { doctorCommand } from '../../src/ops/doctor/cli.js';
import { backupName } from '../../src/ops/backup/names.js';
import { projectRoot } from '../../src/core/paths.js';
import { openDatabase } from '../../src/storage/database.js';
import { migrate, readMigrations } from '../../src/storage/migrations.js';
import { FakeTelegramBotApi } from '../fakes/telegram-bot-api.js';
import { ADMIN_TOKEN, FakeProxmox, NOACL_TOKEN } from '../fakes/proxmox.js';
import { FakeMarket } from '../fakes/market.js';
import { serveHandlers, type ServedHandlers } from '../fakes/msw-http-server.js';

/** `jarvis doctor` in-process against local fakes: one line per check, the right verdict, nothing secret printed. */

const MIGRATIONS = readMigrations(join(projectRoot(), 'migrations'));
const LATEST = Math.max(...MIGRATIONS.map((m) => m.version));

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'jarvis-doctor-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

async function doctor(env: Record<string, string>, args: string[] = []): Promise<{ code: number; out: string; lines: Map<string, string> }> {
  let out = '';
  const code = await doctorCommand(args, { JARVIS_ENV_FILE: '/nonexistent/.env', ...env }, { out: (s) => (out += s), err: (s) => (out += s) });
  const lines = new Map<string, string>();
  for (const l of out.split('\n')) {
    const m = /^(PASS|WARN|FAIL|SKIP) {2}(.{14}) (.*)$/.exec(l);
    if (m) lines.set(m[2]!.trim(), `${m[1]} ${m[3]}`);
  }
  return { code, out, lines };
}

/** A data dir with a current database and a fresh backup, so the local checks pass. */
function healthyDataDir(): string {
  const dataDir = join(tempDir(), 'data');
  mkdirSync(join(dataDir, 'backups'), { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
  const db = openDatabase(join(dataDir, 'jarvis.db'));
  migrate(db, MIGRATIONS);
  db.close();
  for (const f of readdirSync(dataDir)) if (f.startsWith('jarvis.db')) chmodSync(join(dataDir, f), 0o600);
  writeFileSync(join(dataDir, 'backups', backupName(Date.now() - 3_600_000, LATEST)), 'x', { mode: 0o600 });
  return dataDir;
}

describe('jarvis doctor', () => {
  it('passes a healthy install, skips what is not configured, exits 0', async () => {
    const r = await doctor({ JARVIS_DATA_DIR: healthyDataDir() });
    expect(r.code).toBe(0);
    expect(r.lines.get('config')).toMatch(/^PASS valid/);
    expect(r.lines.get('data dir')).toMatch(/^PASS .* is writable$/);
    expect(r.lines.get('disk')).toMatch(/^(PASS|WARN) .* free \(\d+%\)/);
    expect(r.lines.get('migrations')).toBe(`PASS schema version ${LATEST}, up to date`);
    expect(r.lines.get('database')).toMatch(/^PASS quick_check ok/);
    expect(r.lines.get('secret files')).toMatch(/^PASS \d+ file\(s\) readable by their owner only/);
    expect(r.lines.get('backups')).toMatch(/^PASS newest jarvis-\S+, 1h 0m old/);
    expect(r.lines.get('pm2')).toMatch(/^PASS .*ecosystem\.config\.cjs present$/);
    expect(r.lines.get('sandbox')).toMatch(/^(PASS bubblewrap works here|WARN no sandbox \(.+\): \/vibe will not run commands)/);
    for (const name of ['telegram', 'telegram poll', 'anthropic', 'local model', 'jupiter', 'bags.fm', 'proxmox']) {
      expect(r.lines.get(name)).toMatch(/^SKIP skipped: not configured \(/);
    }
    expect(r.lines.get('solana rpc')).toBe('SKIP skipped: not used in paper trading (TRADING_MODE=paper)');
    expect(r.lines.get('whatsapp')).toBe('SKIP skipped: not enabled (WHATSAPP_ENABLED is not true)');
    expect(r.lines.get('live exits')).toBe('PASS no live positions open');
    expect(r.lines.size).toBe(19);
    expect(r.out).toMatch(/\n\d+ passed, \d+ warning\(s\), 0 failed, 9 skipped\.\n$/);
  });

  it('Telegram: a valid token passes, a rejected one fails, a webhook fails until --fix deletes it; the token is never printed', async () => {
    const tg = new FakeTelegramBotApi();
    await tg.start();
    cleanups.push(() => tg.stop());
    const dataDir = healthyDataDir();
    const env = { JARVIS_DATA_DIR: dataDir, TELEGRAM_BOT_TOKEN: tg.token, TELEGRAM_API_ROOT: tg.apiRoot };
    let r = await doctor(env);
    expect(r.lines.get('telegram')).toBe('PASS token valid: @jarvis_test_bot');
    expect(r.lines.get('telegram poll')).toBe('PASS no webhook set: long polling works');

    tg.webhookUrl = 'https://example.invalid/hook';
    r = await doctor(env);
    expect(r.code).toBe(1);
    expect(r.lines.get('telegram poll')).toMatch(/^FAIL a webhook is set, so Telegram refuses polling \(409\) and Jarvis gets no messages \(0 waiting\) — fix: delete it/);
    r = await doctor(env, ['--fix']);
    expect(r.code).toBe(0);
    expect(r.lines.get('telegram poll')).toBe('PASS no webhook set: long polling works (fixed: deleted the webhook (waiting messages kept))');
    expect(tg.webhookUrl).toBe('');
    expect(tg.calls.filter((c) => c.method === 'deleteWebhook')).toHaveLength(1);

    r = await doctor({ ...env, TELEGRAM_BOT_TOKEN: '999999:wrong-token-value' });
    expect(r.lines.get('telegram')).toMatch(/^FAIL Telegram rejected TELEGRAM_BOT_TOKEN \(401\) — fix: get the token again from @BotFather/);
    expect(r.lines.get('telegram poll')).toBe('SKIP skipped: the token was rejected (see above)');
    expect(r.out).not.toContain('wrong-token-value');
    expect(r.out).not.toContain(tg.token);

    await tg.stop();
    r = await doctor(env);
    expect(r.lines.get('telegram')).toMatch(/^FAIL the Bot API does not answer: cannot connect \(\w+\) — fix: check the network and TELEGRAM_API_ROOT$/);
  });

  it('Proxmox: a token that sees guests passes, one without ACLs warns, a wrong secret fails', async () => {
    const pve = await FakeProxmox.start();
    cleanups.push(() => pve.close());
    const env = (t: { tokenId: string; secret: string }) => ({ JARVIS_DATA_DIR: healthyDataDir(), PROXMOX_URL: pve.url, PROXMOX_TOKEN_ID: t.tokenId, PROXMOX_TOKEN_SECRET: t.secret });
    expect((await doctor(env(ADMIN_TOKEN))).lines.get('proxmox')).toMatch(/^PASS Proxmox 8\.2\.4; the token sees \d+ guest\(s\)$/);
    const noacl = await doctor(env(NOACL_TOKEN));
    expect(noacl.lines.get('proxmox')).toMatch(/^WARN Proxmox 8\.2\.4 answers, but the token sees no VMs or containers — fix: the token may lack ACLs/);
    expect(noacl.code).toBe(0);
    const wrong = await doctor(env({ tokenId: ADMIN_TOKEN.tokenId, secret: '00000000-0000-4000-8000-000000000000' }));
    expect(wrong.lines.get('proxmox')).toMatch(/^FAIL .* — fix: check PROXMOX_TOKEN_ID and PROXMOX_TOKEN_SECRET/);
    expect(wrong.code).toBe(1);
    expect(wrong.out).not.toContain('00000000-0000-4000-8000-000000000000');
  });

  it('the models and the trading keys: accepted, refused, unreachable', async () => {
    const market = new FakeMarket({ jupiterApiKey: 'jup-key-123456', bagsApiKey: 'bags-key-123456' });
    let server: ServedHandlers | undefined;
    server = await serveHandlers((url) => [
      ...market.handlers({ jupiterUrl: `${url}/jup`, bagsUrl: `${url}/bags/api/v1` }),
      http.get(`${url}/anthropic/v1/models`, ({ request }) =>
        request.headers.get('x-api-key') === 'sk-ant-good-key' && request.headers.get('anthropic-version')
          ? HttpResponse.json({ data: [{ id: 'claude-sonnet-4-5-20250929', type: 'model' }], has_more: true })
          : HttpResponse.json({ type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } }, { status: 401 }),
      ),
      http.get(`${url}/local/v1/models`, () => HttpResponse.json({ object: 'list', data: [{ id: 'qwen2.5:7b', object: 'model' }] })),
    ]);
    cleanups.push(() => server?.close());
    const base = { JARVIS_DATA_DIR: healthyDataDir(), ANTHROPIC_BASE_URL: `${server.url}/anthropic`, LOCAL_LLM_URL: `${server.url}/local/v1`, JUPITER_API_URL: `${server.url}/jup`, BAGS_API_URL: `${server.url}/bags/api/v1` };
    const good = await doctor({ ...base, ANTHROPIC_API_KEY: 'sk-ant-good-key', LOCAL_LLM_MODEL: 'qwen2.5:7b', JUPITER_API_KEY: 'jup-key-123456', BAGS_API_KEY: 'bags-key-123456' });
    expect(good.lines.get('anthropic')).toBe('PASS key accepted; chat uses claude-sonnet-4-5');
    expect(good.lines.get('local model')).toBe('PASS answers with 1 model(s)');
    expect(good.lines.get('jupiter')).toMatch(/^PASS key accepted/);
    expect(good.lines.get('bags.fm')).toMatch(/^PASS key accepted/);
    expect(good.code).toBe(0);

    const bad = await doctor({ ...base, ANTHROPIC_API_KEY: 'sk-ant-bad-key', JUPITER_API_KEY: 'jup-wrong-key', BAGS_API_KEY: 'bags-wrong-key' });
    expect(bad.lines.get('anthropic')).toMatch(/^FAIL Anthropic rejected ANTHROPIC_API_KEY \(401\)/);
    expect(bad.lines.get('local model')).toMatch(/^PASS answers with 1 model\(s\); LOCAL_LLM_MODEL "local" is not among them/);
    expect(bad.lines.get('jupiter')).toMatch(/^FAIL Jupiter refused the API key; check JUPITER_API_KEY\. — fix: /);
    expect(bad.lines.get('bags.fm')).toMatch(/^FAIL bags\.fm refused the API key; check BAGS_API_KEY\. — fix: /);
    expect(bad.code).toBe(1);
    for (const secret of ['sk-ant-bad-key', 'jup-wrong-key', 'bags-wrong-key']) expect(bad.out).not.toContain(secret);

    await server.close();
    server = undefined;
    const down = await doctor({ ...base, LOCAL_LLM_URL: 'http://127.0.0.1:9/v1' });
    expect(down.lines.get('local model')).toMatch(/^FAIL the model server does not answer: cannot connect/);
  });

  it('--fix creates the folders and the database, and tightens file modes', async () => {
    const root = tempDir();
    const dataDir = join(root, 'data');
    const envFile = join(root, '.env');
    writeFileSync(envFile, 'JARVIS_LOG_LEVEL=info\n', { mode: 0o644 });
    chmodSync(envFile, 0o644);
    const env = { JARVIS_DATA_DIR: dataDir, JARVIS_ENV_FILE: envFile };
    let r = await doctor(env);
    expect(r.lines.get('data dir')).toMatch(/^WARN .* does not exist yet — fix: Jarvis creates it at first start; jarvis doctor --fix creates it now$/);
    expect(r.lines.get('migrations')).toMatch(/^WARN no database yet/);
    expect(r.lines.get('secret files')).toMatch(new RegExp(`^WARN readable by group or others: ${envFile} \\(644\\)`));
    expect(r.lines.get('config')).toBe(`PASS valid (.env: ${envFile})`);
    expect(r.code).toBe(0);

    r = await doctor(env, ['--fix']);
    expect(r.lines.get('data dir')).toMatch(/^PASS .* is writable \(fixed: created .*data and .*data\/backups\)$/);
    expect(r.lines.get('migrations')).toBe(`PASS schema version ${LATEST}, up to date (fixed: created the database at schema version ${LATEST})`);
    expect(r.lines.get('secret files')).toMatch(/^PASS .* \(fixed: made \d+ file\(s\) 600\)$/);
    expect(statSync(envFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'jarvis.db')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'backups')).mode & 0o777).toBe(0o700);
    expect(r.out).not.toContain('Backed up'); // nothing to back up: there was no database
  });

  it('pending migrations: --fix backs the database up first, then applies them', async () => {
    const dataDir = healthyDataDir();
    const older = MIGRATIONS.filter((m) => m.version < LATEST);
    rmSync(join(dataDir, 'jarvis.db'));
    const db = openDatabase(join(dataDir, 'jarvis.db'));
    migrate(db, older);
    db.close();
    let r = await doctor({ JARVIS_DATA_DIR: dataDir });
    expect(r.lines.get('migrations')).toMatch(/^WARN 1 pending \(\d+_\w+\.sql\) — fix: Jarvis applies them at start/);
    r = await doctor({ JARVIS_DATA_DIR: dataDir }, ['--fix']);
    expect(r.out).toMatch(new RegExp(`Backed up the database before changing it: ${join(dataDir, 'backups')}/jarvis-\\d{8}-\\d{6}Z-v${Math.max(...older.map((m) => m.version))}\\.db\\.gz\\n`));
    expect(r.lines.get('migrations')).toMatch(new RegExp(`^PASS schema version ${LATEST}, up to date \\(fixed: applied \\d+_\\w+\\.sql\\)$`));
  });

  it('fails a database from a newer Jarvis or a damaged one, and warns about an old backup', async () => {
    const dataDir = healthyDataDir();
    const db = new Database(join(dataDir, 'jarvis.db'));
    db.prepare("INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (999, '999_future.sql', 'x', 1)").run();
    db.close();
    for (const f of readdirSync(join(dataDir, 'backups'))) rmSync(join(dataDir, 'backups', f));
    writeFileSync(join(dataDir, 'backups', backupName(Date.now() - 50 * 3_600_000, LATEST)), 'x', { mode: 0o600 });
    let r = await doctor({ JARVIS_DATA_DIR: dataDir });
    expect(r.lines.get('migrations')).toMatch(/^FAIL the database has migration 999, which this Jarvis does not know/);
    expect(r.lines.get('backups')).toMatch(/^WARN newest jarvis-\S+, 2d 2h old.* — fix: older than BACKUP_MAX_AGE_HOURS \(36\)/);
    expect(r.code).toBe(1);

    writeFileSync(join(dataDir, 'jarvis.db'), Buffer.alloc(8192, 7));
    rmSync(join(dataDir, 'jarvis.db-wal'), { force: true });
    rmSync(join(dataDir, 'jarvis.db-shm'), { force: true });
    r = await doctor({ JARVIS_DATA_DIR: dataDir });
    expect(r.lines.get('database')).toMatch(/^FAIL .*jarvis\.db cannot be read as a database \(SQLITE_NOTADB\) — fix: stop Jarvis and restore the newest backup: jarvis restore .*\.db\.gz$/);
    expect(r.lines.get('migrations')).toMatch(/^FAIL .*jarvis\.db cannot be read as a database \(SQLITE_NOTADB\)/);
  });

  it('WhatsApp: enabled but not linked fails; linked passes', async () => {
    const dataDir = healthyDataDir();
    const env = { JARVIS_DATA_DIR: dataDir, WHATSAPP_ENABLED: 'true' };
    let r = await doctor(env);
    expect(r.lines.get('whatsapp')).toMatch(/^FAIL enabled, but no device is linked — fix: link it: jarvis whatsapp link/);
    const { WhatsAppAuthStore } = await import('../../src/channels/whatsapp-auth-store.js');
    const { initAuthCreds } = await import('@whiskeysockets/baileys');
    const db = openDatabase(join(dataDir, 'jarvis.db'));
    new WhatsAppAuthStore(db, { now: () => 1 }).saveCreds({ ...initAuthCreds(), me: { id: '447700900123:7@s.whatsapp.net' }, account: { details: new Uint8Array([1]) } as never });
    db.close();
    r = await doctor(env);
    expect(r.lines.get('whatsapp')).toBe('PASS linked as 447700900123');
  });

  it('the sandbox: VIBE_SANDBOX=none warns that /vibe will not run commands', async () => {
    const r = await doctor({ JARVIS_DATA_DIR: healthyDataDir(), VIBE_SANDBOX: 'none' });
    expect(r.lines.get('sandbox')).toBe('WARN VIBE_SANDBOX=none: /vibe will not run commands — fix: set VIBE_SANDBOX=auto (and install bubblewrap) if you want /vibe to run code');
    expect(r.code).toBe(0);
  });

  it('reports an invalid configuration by variable name only and stops there', async () => {
    const r = await doctor({ JARVIS_DATA_DIR: tempDir(), JARVIS_HTTP_PORT: 'eighty', TELEGRAM_BOT_TOKEN: 'nope-SECRETISH' });
    expect(r.code).toBe(1);
    expect(r.lines.get('config')).toMatch(/^FAIL 2 problem\(s\): .*JARVIS_HTTP_PORT: expected a whole number/);
    expect(r.out).toContain('The other checks need a valid configuration.');
    expect(r.out).not.toContain('SECRETISH');
    expect(r.lines.size).toBe(1);
  });
});
