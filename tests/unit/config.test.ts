import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';

describe('config', () => {
  it('has working defaults for a newcomer with nothing set', () => {
    const r = parseConfig({});
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.http).toEqual({ enabled: true, host: '127.0.0.1', port: 8787 });
    expect(r.config.telegram).toBeUndefined();
    expect(r.config.dbPath).toMatch(/data[/\\]jarvis\.db$/);
    expect(r.config.strangerReplyIntervalMs).toBe(600_000);
    expect(r.config.admins).toEqual([]);
  });

  it('reads owners and the Telegram settings', () => {
    const r = parseConfig({ JARVIS_ADMINS: 'telegram:123, whatsapp:447700900000', TELEGRAM_BOT_TOKEN: '123456:ABC-def_ghi', TELEGRAM_API_ROOT: 'http://127.0.0.1:9999/' });
    expect(r.ok && r.config.admins).toEqual(['telegram:123', 'whatsapp:447700900000']);
    expect(r.ok && r.config.telegram?.apiRoot).toBe('http://127.0.0.1:9999');
  });

  it('reports every invalid variable at once, by name, without echoing values', () => {
    const token = 'not-a-token-SECRETVALUE';
    const r = parseConfig({
      TELEGRAM_BOT_TOKEN: token,
      JARVIS_HTTP_PORT: '99999',
      JARVIS_ADMINS: 'bob',
      JARVIS_RATE_LIMIT_ENABLED: 'maybe',
      JARVIS_MAINTENANCE_CRON: 'often',
      TELEGRAM_API_ROOT: 'ftp://x',
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const names = r.errors.map((e) => e.split(':')[0]);
    expect(names.sort()).toEqual(
      ['JARVIS_ADMINS', 'JARVIS_HTTP_PORT', 'JARVIS_MAINTENANCE_CRON', 'JARVIS_RATE_LIMIT_ENABLED', 'TELEGRAM_API_ROOT', 'TELEGRAM_BOT_TOKEN'].sort(),
    );
    expect(r.errors.join('\n')).not.toContain('SECRETVALUE');
  });

  it('treats empty variables as unset', () => {
    const r = parseConfig({ TELEGRAM_BOT_TOKEN: '', JARVIS_HTTP_PORT: '' });
    expect(r.ok && r.config.telegram).toBeUndefined();
    expect(r.ok && r.config.http.port).toBe(8787);
  });

  it('trades paper by default, with risk limits in lamports', () => {
    const r = parseConfig({ JARVIS_ADMINS: 'telegram:1' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.trading).toMatchObject({ mode: 'paper', liveUsers: ['telegram:1'], paperStartLamports: 10_000_000_000, maxTradeLamports: 1_000_000_000, monitorIntervalSec: 5 });
    expect(r.config.trading.bags).toBeUndefined();
    expect(r.config.trading.rpcUrls).toEqual(['https://api.mainnet-beta.solana.com']);
  });

  it('reads several RPC URLs, and keeps keys in them and API keys among the secrets', async () => {
    const { secretsOf } = await import('../../src/config.js');
    const r = parseConfig({
      SOLANA_RPC_URL: 'https://rpc.one/?api-key=SECRETRPCKEY1, https://rpc.two/v2/SECRETPATHKEY2/',
      JUPITER_API_KEY: 'jup-SECRET-123',
      BAGS_API_KEY: 'bags-SECRET-456',
      JARVIS_MASTER_SECRET: 'a long master secret',
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.trading.rpcUrls).toEqual(['https://rpc.one/?api-key=SECRETRPCKEY1', 'https://rpc.two/v2/SECRETPATHKEY2']);
    const secrets = secretsOf(r.config);
    for (const s of ['SECRETRPCKEY1', 'jup-SECRET-123', 'bags-SECRET-456', 'a long master secret']) expect(secrets).toContain(s);
    expect(secrets.some((s) => s.includes('SECRETPATHKEY2'))).toBe(true);
  });

  it('refuses a bad trading mode, a short master secret and a non-URL RPC, by name', () => {
    const r = parseConfig({ TRADING_MODE: 'yolo', JARVIS_MASTER_SECRET: 'short', SOLANA_RPC_URL: 'rpc.example.com', TRADING_MONITOR_INTERVAL_SEC: '0' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.split(':')[0]).sort()).toEqual(['JARVIS_MASTER_SECRET', 'SOLANA_RPC_URL', 'TRADING_MODE', 'TRADING_MONITOR_INTERVAL_SEC']);
    expect(r.errors.join('\n')).not.toContain('short');
  });
});

describe('cluster config', () => {
  const base = { PROXMOX_TOKEN_ID: 'jarvis@pve!bot', PROXMOX_TOKEN_SECRET: '5a3e7c1d-0b9f-4e2a-8d6c-1f2e3d4c5b6a' };
  it('widens stop-loss slippage up to TRADING_SL_MAX_SLIPPAGE_BPS, never below the default slippage', () => {
    const d = parseConfig({});
    expect(d.ok && d.config.trading.slMaxSlippageBps).toBe(2_000);
    const set = parseConfig({ TRADING_DEFAULT_SLIPPAGE_BPS: '300', TRADING_SL_MAX_SLIPPAGE_BPS: '300' });
    expect(set.ok && set.config.trading.slMaxSlippageBps).toBe(300);
    for (const env of [{ TRADING_DEFAULT_SLIPPAGE_BPS: '300', TRADING_SL_MAX_SLIPPAGE_BPS: '299' }, { TRADING_SL_MAX_SLIPPAGE_BPS: '50' }, { TRADING_SL_MAX_SLIPPAGE_BPS: '5001' }, { TRADING_SL_MAX_SLIPPAGE_BPS: 'wide' }]) {
      const r = parseConfig(env);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.errors.map((e) => e.split(':')[0])).toEqual(['TRADING_SL_MAX_SLIPPAGE_BPS']);
    }
  });

  it('refuses a pinned fingerprint or CA with an http:// URL, and a CA file that is not a certificate', () => {
    const r = parseConfig({ ...base, PROXMOX_URL: 'http://pve.lan:8006', PROXMOX_FINGERPRINT: 'AB'.repeat(32) });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors.join('\n')).toMatch(/PROXMOX_FINGERPRINT: needs an https:\/\/ PROXMOX_URL/);
    const notPem = parseConfig({ ...base, PROXMOX_URL: 'https://pve.lan:8006', PROXMOX_CA_FILE: 'package.json' });
    expect(!notPem.ok && notPem.errors.join('\n')).toMatch(/PROXMOX_CA_FILE: not a readable PEM certificate file/);
  });

  it('refuses a token id the client would refuse, and never echoes the secret', () => {
    const r = parseConfig({ ...base, PROXMOX_URL: 'https://pve.lan:8006', PROXMOX_TOKEN_ID: 'jar/vis@pve!bot' });
    expect(!r.ok && r.errors.join('\n')).toMatch(/PROXMOX_TOKEN_ID: expected USER@REALM!TOKENNAME/);
    expect(!r.ok && r.errors.join('\n')).not.toContain(base.PROXMOX_TOKEN_SECRET);
  });
});
