import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../../src/config.js';
import { createLogger } from '../../src/core/logger.js';
import { systemClock } from '../../src/core/clock.js';
import { openDatabase } from '../../src/storage/database.js';
import { migrate, readMigrations } from '../../src/storage/migrations.js';
import { projectRoot } from '../../src/core/paths.js';
import { whatsappCommand } from '../../src/channels/whatsapp-cli.js';
import { WhatsAppAuthStore } from '../../src/channels/whatsapp-auth-store.js';
import { WhatsAppChannel } from '../../src/channels/whatsapp.js';
import { FakeWhatsApp, seedLinkedCreds, type FakeBaileysSocket } from '../fakes/baileys-socket.js';

const log = createLogger({ level: 'silent' });
const ME = '447700900001:7@s.whatsapp.net';

function setup(env: Record<string, string> = {}) {
  const r = parseConfig({ JARVIS_DATA_DIR: mkdtempSync(join(tmpdir(), 'jarvis-wacli-')), JARVIS_LOG_LEVEL: 'silent', ...env });
  if (!r.ok) throw new Error(r.errors.join('; '));
  const db = openDatabase(r.config.dbPath);
  migrate(db, readMigrations(join(projectRoot(), 'migrations')));
  return { config: r.config, db, auth: new WhatsAppAuthStore(db, systemClock) };
}

async function run(config: Config, args: string[], fake: FakeWhatsApp) {
  let out = '';
  let err = '';
  const code = await whatsappCommand(config, args, { out: (s) => (out += s), err: (s) => (err += s) }, { log, factory: fake.factory, settleMs: 10, retryDelayMs: 10, linkTimeoutMs: 2_000 });
  return { code, out, err };
}

/** What WhatsApp does when the phone scans the code: pair-success (creds), then 515 "restart required". */
function pairThenRestart(s: FakeBaileysSocket): void {
  s.emit('creds.update', { me: { id: ME, name: '~' }, account: { details: Buffer.from('adv') }, platform: 'android' });
  s.close(515, 'Stream Errored (restart required)');
}

describe('jarvis whatsapp link | status | logout', () => {
  it('links by QR: shows the code, survives the 515 restart, saves the link and lets go', async () => {
    const { config, auth } = setup();
    const fake = new FakeWhatsApp();
    fake.onSocket = (s) => {
      if (fake.sockets.length === 1) {
        s.showQr('2@AbCdEf,NoiseKey,IdentityKey,Adv');
        setTimeout(() => pairThenRestart(s), 20);
      } else s.open(ME);
    };
    const r = await run(config, ['link'], fake);
    expect(r.code).toBe(0);
    expect(r.out).toContain('▀'); // the QR code, drawn in half blocks
    expect(r.out).toContain('Linked devices');
    expect(r.out).toContain('Linked as +447700900001');
    expect(fake.sockets).toHaveLength(2);
    expect(fake.sockets[1]!.ended).toBe(true); // the daemon can take over
    expect(auth.linkedAs()).toBe(ME);
    expect(auth.linkedAt()).toBeDefined();
  });

  it('links by pairing code when WHATSAPP_PAIRING_NUMBER is set', async () => {
    const { config } = setup({ WHATSAPP_PAIRING_NUMBER: '+44 7700 900001' });
    const fake = new FakeWhatsApp();
    fake.onSocket = (s) => {
      if (fake.sockets.length === 1) {
        s.showQr('2@first');
        s.showQr('2@second'); // a renewed QR must not ask again
        setTimeout(() => pairThenRestart(s), 20);
      } else s.open(ME);
    };
    const r = await run(config, ['link'], fake);
    expect(r.code).toBe(0);
    expect(fake.sockets[0]!.pairingRequests).toEqual(['447700900001']);
    expect(r.out).toContain('Pairing code for +447700900001: ABCD-2345');
    expect(r.out).not.toContain('▀');
  });

  it('refuses to link over an existing link, and says so when no code was scanned in time', async () => {
    const linked = setup();
    seedLinkedCreds(linked.auth, ME);
    const r = await run(linked.config, ['link'], new FakeWhatsApp());
    expect(r.code).toBe(1);
    expect(r.err).toContain('Already linked as +447700900001');

    const { config, auth } = setup();
    const fake = new FakeWhatsApp();
    fake.onSocket = (s) => s.close(408, 'QR refs attempts ended');
    const expired = await run(config, ['link'], fake);
    expect(expired.code).toBe(1);
    expect(expired.err).toContain('No code was scanned in time');
    expect(auth.linkedAs()).toBeUndefined();
  });

  it('reports the link and what the daemon last said', async () => {
    const { config, auth } = setup({ WHATSAPP_ENABLED: 'true' });
    const none = await run(config, ['status'], new FakeWhatsApp());
    expect(none.code).toBe(1);
    expect(none.out).toContain('Linked: no');
    seedLinkedCreds(auth, ME);
    await auth.keys.set({ session: { 'a.0': Buffer.from('s') } });
    const yes = await run(config, ['status'], new FakeWhatsApp());
    expect(yes.code).toBe(0);
    expect(yes.out).toContain('WhatsApp channel: enabled');
    expect(yes.out).toContain('Linked: yes, as +447700900001');
    expect(yes.out).toContain('Keys stored: session 1');
  });

  it('logs out: the phone drops the device and the keys are deleted', async () => {
    const { config, auth } = setup();
    seedLinkedCreds(auth, ME);
    const fake = new FakeWhatsApp();
    fake.onSocket = (s) => s.open(ME);
    const r = await run(config, ['logout'], fake);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Logged out +447700900001');
    expect(fake.sockets[0]!.loggedOut).toBe(true);
    expect(auth.linkedAs()).toBeUndefined();
    expect(auth.counts()).toEqual({});
  });

  it('a daemon waiting for a link connects once `jarvis whatsapp link` has made one', async () => {
    const { config, db } = setup({ WHATSAPP_ENABLED: 'true' });
    const daemonFake = new FakeWhatsApp();
    daemonFake.onSocket = (s) => s.open(ME);
    const wa = new WhatsAppChannel({ ...config.whatsapp, linkPollMs: 20 }, { db, clock: systemClock, log, factory: daemonFake.factory });
    await wa.start(async () => undefined);
    expect(wa.info()).toMatchObject({ state: 'disconnected', detail: expect.stringContaining('not linked') });
    await new Promise((r) => setTimeout(r, 60));
    expect(daemonFake.sockets).toHaveLength(0);
    const cliFake = new FakeWhatsApp();
    cliFake.onSocket = (s) => (cliFake.sockets.length === 1 ? setTimeout(() => pairThenRestart(s), 5) : s.open(ME));
    expect((await run(config, ['link'], cliFake)).code).toBe(0);
    for (let i = 0; i < 100 && wa.info().state !== 'connected'; i++) await new Promise((r) => setTimeout(r, 10));
    expect(wa.info().state).toBe('connected');
    expect(daemonFake.sockets).toHaveLength(1);
    await wa.stop();
  });
});
