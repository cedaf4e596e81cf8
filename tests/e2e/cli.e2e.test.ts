import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { MAIN, startDaemon, tempDataDir } from './daemon.js';

const run = (args: string[], env: Record<string, string>) =>
  spawnSync(process.execPath, [MAIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 20_000 });

describe('the jarvis command line', () => {
  it('lists every invalid variable by name, never its value, and exits 78', () => {
    const r = run(['start'], { JARVIS_DATA_DIR: tempDataDir(), TELEGRAM_BOT_TOKEN: 'oops-SECRETISH', JARVIS_HTTP_PORT: 'eighty', JARVIS_ADMINS: 'telegram:@me' });
    expect(r.status).toBe(78);
    expect(r.stderr).toContain('the configuration is invalid');
    for (const name of ['TELEGRAM_BOT_TOKEN', 'JARVIS_HTTP_PORT', 'JARVIS_ADMINS']) expect(r.stderr).toContain(`  - ${name}: `);
    expect(r.stderr + r.stdout).not.toContain('SECRETISH');
  });

  it('migrates a new database and says it is up to date the second time', () => {
    const env = { JARVIS_DATA_DIR: tempDataDir() };
    const first = run(['migrate'], env);
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/^Applied 001_core\.sql, .* schema version \d+\.\n$/);
    expect(run(['migrate'], env).stdout).toMatch(/^Up to date at schema version \d+\.\n$/);
  });

  it('answers unknown commands with usage and a non-zero exit', () => {
    const r = run(['frobnicate'], {});
    expect(r.status).toBe(64);
    expect(r.stderr).toContain('Unknown command "frobnicate"');
    expect(r.stderr).toContain('Usage: jarvis <command>');
  });

  it('without a channel or a terminal, stays up with health endpoints, tells pm2 it is ready, and stops on SIGINT', async () => {
    const daemon = await startDaemon({ JARVIS_DATA_DIR: tempDataDir(), JARVIS_HTTP_PORT: '0', JARVIS_CONSOLE: 'auto' });
    for (let i = 0; i < 100 && !daemon.messages.includes('ready'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(daemon.messages).toEqual(['ready']);
    await daemon.waitForLog((l) => String(l.msg).startsWith('no channel configured'));
    const res = await fetch(`http://127.0.0.1:${daemon.httpPort}/readyz`);
    expect(res.status).toBe(200);
    const stopped = await daemon.stop('SIGINT');
    expect(stopped.code).toBe(0);
  });
});
