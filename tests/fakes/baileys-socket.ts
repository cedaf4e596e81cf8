import { EventEmitter } from 'node:events';
import { initAuthCreds } from '@whiskeysockets/baileys';
import type { AuthenticationCreds, proto, WAMessage } from '@whiskeysockets/baileys';
import type { SocketFactory, SocketOptions, WaContent, WaEvents, WaSocket } from '../../src/channels/whatsapp-socket.js';
import type { WhatsAppAuthStore } from '../../src/channels/whatsapp-auth-store.js';

/**
 * A Baileys 7 socket without WhatsApp: `ev` is an EventEmitter with Baileys' event names and
 * payload shapes (connection.update, creds.update, messages.upsert, lid-mapping.update), `ws`
 * emits 'frame', and sendMessage / sendPresenceUpdate / logout / end are recorded. Tests drive
 * it the way WhatsApp's server would.
 */

export interface SentMessage {
  jid: string;
  content: WaContent;
  id: string;
  at: number;
}

/** A close error shaped like Baileys' Boom: the status code at output.statusCode. */
export function boom(statusCode: number, message = `Connection closed (${statusCode})`): Error & { output: { statusCode: number } } {
  return Object.assign(new Error(message), { output: { statusCode } });
}

let ids = 0;

export class FakeBaileysSocket implements WaSocket {
  readonly ev = new EventEmitter();
  readonly ws = new EventEmitter();
  readonly sent: SentMessage[] = [];
  readonly presences: { type: string; jid?: string }[] = [];
  readonly pairingRequests: string[] = [];
  user?: { id: string; lid?: string };
  ended = false;
  loggedOut = false;
  /** Baileys' own LID store: pairs it has seen before. */
  readonly lidStore = new Map<string, string>();
  readonly signalRepository = { lidMapping: { getPNForLID: async (lid: string) => this.lidStore.get(lid) ?? null } };
  /** The next sendMessage fails with this. */
  failNextSend?: Error;

  constructor(readonly opts: SocketOptions) {}

  get auth() {
    return this.opts.auth;
  }

  emit<E extends keyof WaEvents>(event: E, arg: WaEvents[E]): void {
    this.ev.emit(event, arg);
  }

  open(me = '447700900001:7@s.whatsapp.net'): void {
    this.user = { id: me };
    this.emit('connection.update', { connection: 'open' });
  }

  /** Closes as the server would, with a status code (none: a plain network error). */
  close(statusCode?: number, message?: string): void {
    if (this.ended) return;
    this.ended = true;
    const error = statusCode === undefined ? new Error(message ?? 'socket hang up') : boom(statusCode, message);
    this.emit('connection.update', { connection: 'close', lastDisconnect: { error, date: new Date() } });
  }

  showQr(qr: string): void {
    this.emit('connection.update', { qr });
  }

  upsert(messages: WAMessage[], type: 'notify' | 'append' = 'notify'): void {
    this.emit('messages.upsert', { messages, type });
  }

  frame(): void {
    this.ws.emit('frame', {});
  }

  async sendMessage(jid: string, content: WaContent): Promise<WAMessage | undefined> {
    if (this.ended) throw boom(428, 'Connection Closed');
    if (this.failNextSend) {
      const err = this.failNextSend;
      this.failNextSend = undefined;
      throw err;
    }
    const id = `3EB0FAKE${++ids}`;
    this.sent.push({ jid, content, id, at: Date.now() });
    const message: proto.IMessage = 'text' in content ? { conversation: content.text } : { documentMessage: { fileName: content.fileName, mimetype: content.mimetype } };
    return { key: { remoteJid: jid, fromMe: true, id }, message };
  }

  async sendPresenceUpdate(type: 'composing' | 'paused', jid?: string): Promise<void> {
    this.presences.push({ type, jid });
  }

  async requestPairingCode(phoneNumber: string): Promise<string> {
    this.pairingRequests.push(phoneNumber);
    return 'ABCD2345';
  }

  async logout(): Promise<void> {
    this.loggedOut = true;
    this.close(401, 'Intentional Logout');
  }

  end(error: Error | undefined): void {
    if (this.ended) return;
    this.ended = true;
    this.emit('connection.update', { connection: 'close', lastDisconnect: { error, date: new Date() } });
  }

  /** Texts sent, in order. */
  texts(): string[] {
    return this.sent.flatMap((s) => ('text' in s.content ? [s.content.text] : []));
  }
}

/** Every socket the code under test made, newest last. */
export class FakeWhatsApp {
  readonly sockets: FakeBaileysSocket[] = [];
  /** Called for each new socket (e.g. to open it at once). */
  onSocket?: (s: FakeBaileysSocket) => void;
  /** When set, making a socket throws this (once). */
  failNextSocket?: Error;

  readonly factory: SocketFactory = (opts) => {
    if (this.failNextSocket) {
      const err = this.failNextSocket;
      this.failNextSocket = undefined;
      throw err;
    }
    const s = new FakeBaileysSocket(opts);
    this.sockets.push(s);
    queueMicrotask(() => this.onSocket?.(s));
    return s;
  };

  get current(): FakeBaileysSocket {
    const s = this.sockets[this.sockets.length - 1];
    if (!s) throw new Error('no socket was made');
    return s;
  }

  /** Every text sent on any socket, in order. */
  texts(): string[] {
    return this.sockets.flatMap((s) => s.texts());
  }

  sent(): SentMessage[] {
    return this.sockets.flatMap((s) => s.sent);
  }
}

/** Creds as they are after a finished pairing (an account WhatsApp signed), saved and marked linked. */
export function seedLinkedCreds(auth: WhatsAppAuthStore, me = '447700900001:7@s.whatsapp.net'): AuthenticationCreds {
  const creds: AuthenticationCreds = { ...initAuthCreds(), me: { id: me, name: 'Jarvis' }, account: { details: Buffer.from('signed-device-identity') }, registered: true };
  auth.saveCreds(creds);
  auth.markLinked();
  return creds;
}

/** A received message in Baileys 7's shape. */
export function waMessage(o: {
  chat: string;
  /** Group messages: the participant. */
  from?: string;
  alt?: string;
  fromMe?: boolean;
  id?: string;
  content: proto.IMessage;
  pushName?: string;
  atMs?: number;
}): WAMessage {
  const group = o.chat.endsWith('@g.us');
  return {
    key: {
      remoteJid: o.chat,
      fromMe: o.fromMe ?? false,
      id: o.id ?? `3A${(++ids).toString(16).toUpperCase().padStart(18, '0')}`,
      ...(group ? { participant: o.from, ...(o.alt ? { participantAlt: o.alt } : {}) } : o.alt ? { remoteJidAlt: o.alt } : {}),
      addressingMode: (group ? o.from : o.chat)?.endsWith('@lid') ? 'lid' : 'pn',
    },
    message: o.content,
    messageTimestamp: Math.floor((o.atMs ?? Date.now()) / 1000),
    ...(o.pushName ? { pushName: o.pushName } : {}),
  };
}
