import { join } from 'node:path';
import type { Config } from '../config.js';
import type { Logger } from '../core/logger.js';
import { systemClock } from '../core/clock.js';
import { projectRoot } from '../core/paths.js';
import { kvGet, openDatabase, type Db } from '../storage/database.js';
import { migrate, readMigrations } from '../storage/migrations.js';
import { WhatsAppAuthStore } from './whatsapp-auth-store.js';
import { closeCode } from './whatsapp-connection.js';
import { WhatsAppIdentities, parseJid } from './whatsapp-identity.js';
import { terminalQr } from './whatsapp-qr.js';
import { STATE_KEY } from './whatsapp.js';
import { baileysFactory, type SocketFactory, type WaSocket } from './whatsapp-socket.js';

/**
 * `jarvis whatsapp link | status | logout`: linking is done here, in the terminal, never by the
 * daemon. Once the link is made and saved, this process lets go of the account and records the
 * link; a daemon waiting for one connects within seconds.
 */

export interface WhatsAppCliIo {
  out(s: string): void;
  err(s: string): void;
}

export interface WhatsAppCliOptions {
  log: Logger;
  factory?: SocketFactory;
  /** Whole link attempt (QR codes are renewed for about 2-3 minutes by WhatsApp). */
  linkTimeoutMs?: number;
  /** After the first open connection: time for the keys WhatsApp sends a new device to be saved. */
  settleMs?: number;
  retryDelayMs?: number;
}

const USAGE = `Usage: jarvis whatsapp <link|status|logout>

  link     link Jarvis to a WhatsApp account: shows a QR code to scan with the phone
           (Settings → Linked devices), or a pairing code when WHATSAPP_PAIRING_NUMBER is set
  status   whether an account is linked and what the daemon last reported
  logout   unlink the account (the phone stops listing Jarvis) and forget its keys
`;

const phone = (jid: string | undefined) => (jid ? `+${parseJid(jid)?.user ?? jid}` : 'unknown');

function openDb(config: Config): Db {
  const db = openDatabase(config.dbPath);
  migrate(db, readMigrations(join(projectRoot(), 'migrations')));
  return db;
}

export async function whatsappCommand(config: Config, args: string[], io: WhatsAppCliIo, opts: WhatsAppCliOptions): Promise<number> {
  const sub = args[0];
  if (sub !== 'link' && sub !== 'status' && sub !== 'logout') {
    (sub ? io.err : io.out)(`${sub ? `Unknown subcommand "${sub.slice(0, 40)}".\n\n` : ''}${USAGE}`);
    return sub ? 64 : 0;
  }
  const db = openDb(config);
  try {
    const auth = new WhatsAppAuthStore(db, systemClock);
    if (sub === 'status') return status(config, db, auth, io);
    const factory = opts.factory ?? (await baileysFactory());
    return sub === 'link' ? await link(config, auth, io, factory, opts) : await logout(auth, io, factory, opts);
  } finally {
    db.close();
  }
}

function status(config: Config, db: Db, auth: WhatsAppAuthStore, io: WhatsAppCliIo): number {
  const linked = auth.linkedAs();
  const lines = [`WhatsApp channel: ${config.whatsapp.enabled ? 'enabled' : 'disabled (set WHATSAPP_ENABLED=true)'}`];
  lines.push(linked ? `Linked: yes, as ${phone(linked)}` : 'Linked: no (run `jarvis whatsapp link`)');
  const raw = kvGet(db, STATE_KEY);
  if (raw) {
    try {
      const s = JSON.parse(raw) as { state: string; detail?: string; at: number };
      lines.push(`Daemon last reported: ${s.state}${s.detail ? ` (${s.detail})` : ''} at ${new Date(s.at).toISOString()}`);
    } catch {
      lines.push('Daemon last reported: (unreadable)');
    }
  } else lines.push('Daemon last reported: nothing yet');
  const counts = Object.entries(auth.counts()).filter(([k]) => k !== 'creds');
  lines.push(`Keys stored: ${counts.length ? counts.map(([k, n]) => `${k} ${n}`).join(', ') : 'none'}`);
  lines.push(`Known LID↔number pairs: ${new WhatsAppIdentities(db, systemClock).count()}`);
  lines.push(`Allowed groups: ${config.whatsapp.allowedGroups.length ? config.whatsapp.allowedGroups.join(', ') : 'none (groups are ignored)'}`);
  io.out(lines.join('\n') + '\n');
  return linked ? 0 : 1;
}

function formatPairingCode(code: string): string {
  return code.length === 8 ? `${code.slice(0, 4)}-${code.slice(4)}` : code;
}

function link(config: Config, auth: WhatsAppAuthStore, io: WhatsAppCliIo, factory: SocketFactory, opts: WhatsAppCliOptions): Promise<number> {
  const linked = auth.linkedAs();
  if (linked) {
    io.err(`Already linked as ${phone(linked)}. To link another account, run \`jarvis whatsapp logout\` first.\n`);
    return Promise.resolve(1);
  }
  auth.clear(); // whatever an unfinished pairing left
  const pairingNumber = config.whatsapp.pairingNumber;
  const { log } = opts;
  return new Promise<number>((resolve) => {
    let sock: WaSocket | undefined;
    let done = false;
    let asked = false;
    let retries = 0;
    const finish = async (code: number, message: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const s = sock;
      sock = undefined;
      try {
        await s?.end(undefined);
      } catch {
        // closing is best effort
      }
      if (code === 0) auth.markLinked();
      (code === 0 ? io.out : io.err)(message);
      resolve(code);
    };
    const timer = setTimeout(() => void finish(1, 'No phone linked in time. Run `jarvis whatsapp link` again.\n'), opts.linkTimeoutMs ?? 180_000);
    const connect = () => {
      const state = auth.state();
      const s = factory({ auth: state, log, getMessage: async () => undefined });
      sock = s;
      s.ev.on('creds.update', (u) => {
        if (!done) auth.saveCreds(Object.assign(state.creds, u));
      });
      s.ev.on('connection.update', (u) => {
        if (s !== sock || done) return;
        if (u.qr) {
          if (!pairingNumber) {
            io.out(`\n${terminalQr(u.qr)}\n\nScan this with the phone: WhatsApp → Settings → Linked devices → Link a device. A new code replaces it every 20 seconds or so.\n`);
          } else if (!asked) {
            asked = true;
            s.requestPairingCode(pairingNumber).then(
              (code) =>
                io.out(
                  `Pairing code for +${pairingNumber}: ${formatPairingCode(code)}\nOn the phone: WhatsApp → Settings → Linked devices → Link a device → "Link with phone number instead", then type the code.\n`,
                ),
              (err: Error) => void finish(1, `Could not get a pairing code: ${err.message}\n`),
            );
          }
        }
        if (u.connection === 'open') {
          io.out(`Linked as ${phone(s.user?.id)}. Saving the keys WhatsApp sends a new device…\n`);
          setTimeout(
            () => void finish(0, 'Done: WhatsApp is linked. A running Jarvis with WHATSAPP_ENABLED=true connects within seconds; otherwise start it.\n'),
            opts.settleMs ?? 5_000,
          );
        } else if (u.connection === 'close') {
          const err = u.lastDisconnect?.error;
          const code = closeCode(err);
          sock = undefined;
          if (code === 515) {
            io.out('Paired. Reconnecting to finish (WhatsApp asks for this once)…\n');
            connect();
          } else if (code === 401) {
            auth.clear();
            void finish(1, 'WhatsApp refused the link (logged out). Run `jarvis whatsapp link` again.\n');
          } else if (code === 408 && /QR refs/i.test(err?.message ?? '')) {
            void finish(1, 'No code was scanned in time. Run `jarvis whatsapp link` again.\n');
          } else if (++retries <= 3) {
            io.err(`Connection closed (${code ?? err?.message ?? 'no reason'}); retrying…\n`);
            setTimeout(() => !done && connect(), opts.retryDelayMs ?? 2_000);
          } else {
            void finish(1, `Cannot reach WhatsApp (${code ?? err?.message ?? 'no reason'}). Check the network and try again.\n`);
          }
        }
      });
    };
    try {
      connect();
    } catch (err) {
      void finish(1, `Cannot open a WhatsApp connection: ${(err as Error).message}\n`);
    }
  });
}

function logout(auth: WhatsAppAuthStore, io: WhatsAppCliIo, factory: SocketFactory, opts: WhatsAppCliOptions): Promise<number> {
  const linked = auth.linkedAs();
  if (!linked) {
    auth.clear();
    io.out('No WhatsApp account is linked; nothing to do.\n');
    return Promise.resolve(0);
  }
  return new Promise<number>((resolve) => {
    let done = false;
    const finish = (code: number, message: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      auth.clear();
      (code === 0 ? io.out : io.err)(message);
      resolve(code);
    };
    const timer = setTimeout(
      () =>
        finish(1, `Could not reach WhatsApp; the link is forgotten here. Remove Jarvis from the phone's list (Settings → Linked devices) yourself.\n`),
      opts.linkTimeoutMs ?? 30_000,
    );
    const state = auth.state();
    let s: WaSocket;
    try {
      s = factory({ auth: state, log: opts.log, getMessage: async () => undefined });
    } catch (err) {
      finish(1, `Cannot open a WhatsApp connection (${(err as Error).message}); the link is forgotten here. Remove Jarvis from the phone's list yourself.\n`);
      return;
    }
    s.ev.on('connection.update', (u) => {
      if (done || u.connection !== 'open') return;
      s.logout('jarvis whatsapp logout').then(
        () => finish(0, `Logged out ${phone(linked)}: the phone no longer lists Jarvis, and its keys are deleted. A running daemon stops its WhatsApp channel.\n`),
        (err: Error) => finish(1, `Logout failed (${err.message}); the link is forgotten here. Remove Jarvis from the phone's list yourself.\n`),
      );
    });
  });
}
