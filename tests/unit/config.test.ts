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
});
