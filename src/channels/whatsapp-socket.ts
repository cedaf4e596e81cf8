import type { AuthenticationCreds, AuthenticationState, ConnectionState, LIDMapping, MessageUpsertType, proto, WAMessage, WAMessageKey } from '@whiskeysockets/baileys';
import type { Logger } from '../core/logger.js';

/**
 * The part of a Baileys socket Jarvis uses, so the adapter runs unchanged against a fake in tests.
 * Event names and payloads are Baileys 7's own (Types/Events.d.ts: BaileysEventMap).
 */

export interface WaEvents {
  'connection.update': Partial<ConnectionState>;
  'creds.update': Partial<AuthenticationCreds>;
  'messages.upsert': { messages: WAMessage[]; type: MessageUpsertType; requestId?: string };
  'lid-mapping.update': LIDMapping;
  'messaging-history.set': { lidPnMappings?: LIDMapping[] };
}

export type WaContent = { text: string } | { document: Buffer; fileName: string; mimetype: string; caption?: string };

export interface WaSocket {
  ev: { on<E extends keyof WaEvents>(event: E, listener: (arg: WaEvents[E]) => void): void };
  /** Baileys' WebSocket client: it emits 'frame' for every frame received (the watchdog listens). */
  ws?: { on(event: 'frame', listener: () => void): unknown };
  sendMessage(jid: string, content: WaContent): Promise<WAMessage | undefined>;
  sendPresenceUpdate(type: 'composing' | 'paused', toJid?: string): Promise<void>;
  requestPairingCode(phoneNumber: string): Promise<string>;
  logout(msg?: string): Promise<void>;
  end(error: Error | undefined): unknown;
  user?: { id: string; lid?: string } | undefined;
  signalRepository?: { lidMapping?: { getPNForLID(lid: string): Promise<string | null> } };
}

export interface SocketOptions {
  auth: AuthenticationState;
  log: Logger;
  /** Messages we sent, for WhatsApp's retry requests (a recipient that could not decrypt one). */
  getMessage(key: WAMessageKey): Promise<proto.IMessage | undefined>;
}

export type SocketFactory = (opts: SocketOptions) => WaSocket;

/** Baileys logs a lot at info; its warnings and errors are what an operator needs. */
export function baileysLogger(log: Logger): Logger {
  return log.child({ module: 'baileys' }, { level: log.levelVal > 40 ? log.level : 'warn' });
}

/** Baileys' real socket. Loaded on first use: the library takes most of a second to import. */
export async function baileysFactory(): Promise<SocketFactory> {
  const { default: makeWASocket, Browsers, isJidBroadcast, isJidNewsletter } = await import('@whiskeysockets/baileys');
  return ({ auth, log, getMessage }) =>
    makeWASocket({
      auth,
      logger: baileysLogger(log),
      browser: Browsers.ubuntu('Chrome'),
      markOnlineOnConnect: false, // the phone keeps getting notifications
      // Baileys' default history policy stays: the initial sync carries the LID↔number mappings.
      syncFullHistory: false,
      // Status updates, broadcast lists and channels are never for Jarvis: do not even decrypt them.
      shouldIgnoreJid: (jid) => !!(isJidBroadcast(jid) || isJidNewsletter(jid)),
      getMessage,
    }) as unknown as WaSocket;
}
