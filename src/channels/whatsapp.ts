import type { proto, WAMessageKey } from '@whiskeysockets/baileys';
import type { Channel, ChannelInfo, ChannelState, Dispatch } from './channel.js';
import type { Inbound, Outbound, SentRef } from '../core/message.js';
import type { Replier } from '../core/handler.js';
import type { Logger } from '../core/logger.js';
import type { Clock } from '../core/clock.js';
import type { Db } from '../storage/database.js';
import type { Metrics } from '../ops/metrics.js';
import type { Notices } from '../core/notices.js';
import { kvSet } from '../storage/database.js';
import { DeliveryError } from '../core/errors.js';
import { truncate } from '../core/render.js';
import { NumberedChoices } from '../core/choices.js';
import { Outbox } from './outbox.js';
import { isControlCommand } from './telegram-inbound.js';
import type { WhatsAppConfig } from './whatsapp-config.js';
import { WhatsAppAuthStore } from './whatsapp-auth-store.js';
import { WhatsAppConnection } from './whatsapp-connection.js';
import { WhatsAppIdentities, chatJid } from './whatsapp-identity.js';
import { whatsappIncoming, type WaIncoming } from './whatsapp-inbound.js';
import { renderForWhatsApp } from './whatsapp-render.js';
import { baileysFactory, type SocketFactory, type WaContent, type WaEvents, type WaSocket } from './whatsapp-socket.js';

export interface WhatsAppDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  metrics?: Metrics;
  /** With `alertKeys`: who is told (on Telegram) when WhatsApp needs a person (logged out, ...). */
  notices?: Notices;
  /** User keys to alert, e.g. the owners' `telegram:<id>` (their private chat id is their user id). */
  alertKeys?: string[];
  /** Makes the socket; Baileys' own unless a test gives a fake. */
  factory?: SocketFactory;
  random?: () => number;
}

/** Messages delivered later than this after they were written (an outage) are not acted on. */
const REPLAY_WINDOW_MS = 24 * 3600_000;
/** "typing…" is shown at most this often per chat while an answer streams. */
const TYPING_EVERY_MS = 10_000;
/** Sent messages kept for WhatsApp's retry requests. */
const RECENT_SENT = 500;
/** On stop, how long in-flight answers may still be sent before the socket closes. */
const STOP_DRAIN_MS = 5_000;
/** Where `jarvis whatsapp status` reads the daemon's last state. */
export const STATE_KEY = 'whatsapp.state';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function mimeOf(name: string): string {
  if (/\.(txt|log|md|csv|json|ya?ml|ts|js|py|sh)$/i.test(name)) return 'text/plain';
  if (/\.pdf$/i.test(name)) return 'application/pdf';
  if (/\.(zip)$/i.test(name)) return 'application/zip';
  if (/\.(gz|tgz)$/i.test(name)) return 'application/gzip';
  return 'application/octet-stream';
}

/**
 * WhatsApp through Baileys 7. Messages are taken in order per chat (control commands at once);
 * buttons are numbered choices answered with the number; replies leave through a paced queue
 * (per chat and overall, with jitter) so a burst does not get the number flagged. WhatsApp has
 * no cheap edits: interim states of a streamed answer become "typing…", and every other edit is
 * delivered as a new message.
 */
export class WhatsAppChannel implements Channel {
  readonly name = 'whatsapp' as const;
  private state: ChannelState = 'starting';
  private detail?: string;
  private dispatch?: Dispatch;
  private conn?: WhatsAppConnection;
  private readonly auth: WhatsAppAuthStore;
  readonly identities: WhatsAppIdentities;
  private readonly outbox: Outbox;
  private readonly choices = new NumberedChoices();
  /** Per chat, the id of the message that carries the menu `choices` remembers. */
  private readonly menus = new Map<string, string>();
  private readonly lanes = new Map<string, Promise<void>>();
  private readonly allowedGroups: ReadonlySet<string>;
  private readonly recent = new Map<string, proto.IMessage>();
  private readonly typingAt = new Map<string, number>();
  private inflight = 0;
  private seq = 0;
  private readonly random: () => number;

  constructor(private readonly cfg: WhatsAppConfig, private readonly deps: WhatsAppDeps) {
    this.auth = new WhatsAppAuthStore(deps.db, deps.clock);
    this.identities = new WhatsAppIdentities(deps.db, deps.clock);
    this.allowedGroups = new Set(cfg.allowedGroups);
    this.random = deps.random ?? Math.random;
    this.outbox = new Outbox({ perChatPerSec: cfg.perChatPerSec, perChatBurst: 1, groupPerMin: 60, globalPerSec: cfg.globalPerMin / 60 }, deps.clock);
  }

  info(): ChannelInfo {
    return { name: this.name, state: this.state, detail: this.detail };
  }

  async start(dispatch: Dispatch): Promise<void> {
    this.dispatch = dispatch;
    const factory = this.deps.factory ?? (await baileysFactory());
    this.conn = new WhatsAppConnection(
      { factory, auth: this.auth, log: this.deps.log, clock: this.deps.clock, getMessage: (key) => this.getMessage(key) },
      { reconnectBaseMs: this.cfg.reconnectBaseMs, reconnectMaxMs: this.cfg.reconnectMaxMs, watchdogMs: this.cfg.watchdogMs, linkPollMs: this.cfg.linkPollMs, random: this.random },
      {
        state: (state, detail) => this.setState(state, detail),
        messages: (sock, upsert) => this.onUpsert(sock, upsert),
        mappings: (pairs) => this.identities.learn(pairs, 'lid-mapping'),
        alert: (kind, text) => this.alert(kind, text),
      },
    );
    this.conn.start();
  }

  /** Takes no new messages; answers in flight get a few seconds to leave, then the socket closes. */
  async stop(): Promise<void> {
    this.setState('stopped');
    const until = Date.now() + STOP_DRAIN_MS;
    // Waiting is only worth it while a socket is open to send on.
    while ((this.inflight > 0 || this.outbox.pending > 0) && this.conn?.current() && Date.now() < until) await sleep(25);
    await this.conn?.stop();
  }

  pending(): number {
    return this.inflight;
  }

  async send(chatId: string, out: Outbound): Promise<SentRef | undefined> {
    return this.deliver(chatJid(chatId), out);
  }

  /** WhatsApp cannot cheaply edit: an interim state is skipped, anything else arrives as a new message. */
  async edit(ref: SentRef, out: Outbound): Promise<void> {
    await this.deliver(chatJid(ref.chatId), out);
  }

  private setState(state: ChannelState, detail?: string): void {
    if (this.state === 'stopped' && state !== 'stopped') return;
    this.state = state;
    this.detail = state === 'connected' ? undefined : detail;
    try {
      kvSet(this.deps.db, STATE_KEY, JSON.stringify({ state, detail: this.detail, at: this.deps.clock.now() }), this.deps.clock.now());
    } catch (err) {
      this.deps.log.debug({ err }, 'cannot record the whatsapp state');
    }
  }

  private alert(kind: string, text: string): void {
    const { notices, alertKeys, clock, log } = this.deps;
    log.error({ kind }, text);
    if (!notices || !alertKeys?.length) return;
    const at = clock.now();
    for (const key of alertKeys) {
      notices.enqueue({ userKey: key, chatId: key.slice(key.indexOf(':') + 1), out: { text }, dedupeKey: `whatsapp:${kind}:${at}:${key}` });
    }
    notices.kick();
  }

  private onUpsert(sock: WaSocket, upsert: WaEvents['messages.upsert']): void {
    // 'append' is history and our own messages from other devices: never new work.
    if (upsert.type !== 'notify' || this.state === 'stopped') return;
    for (const m of upsert.messages ?? []) {
      const taken = whatsappIncoming(m, { allowedGroups: this.allowedGroups, now: this.deps.clock.now(), maxAgeMs: REPLAY_WINDOW_MS });
      if (!taken.ok) {
        this.deps.log.debug({ skip: taken.skip, chat: m.key?.remoteJid, id: m.key?.id }, 'whatsapp message ignored');
        continue;
      }
      this.enqueue(taken.msg, sock);
    }
  }

  /** In order per chat; /cancel and /lockdown do not wait behind a busy chat. */
  private enqueue(msg: WaIncoming, sock: WaSocket): void {
    this.inflight++;
    const run = () =>
      this.handle(msg, sock)
        .catch((err) => this.deps.log.error({ err }, 'whatsapp message failed'))
        .finally(() => this.inflight--);
    if (isControlCommand(msg.text)) {
      void run();
      return;
    }
    const next = (this.lanes.get(msg.chatId) ?? Promise.resolve()).then(run);
    this.lanes.set(msg.chatId, next);
    void next.then(() => {
      if (this.lanes.get(msg.chatId) === next) this.lanes.delete(msg.chatId);
    });
  }

  private async handle(msg: WaIncoming, sock: WaSocket): Promise<void> {
    const lookup = (lid: string) => sock.signalRepository?.lidMapping?.getPNForLID(lid) ?? Promise.resolve(null);
    const userId = await this.identities.userId(msg.sender, msg.senderAlt, lookup);
    const menuId = this.menus.get(msg.chatId);
    // A reply quoting some other message is text, even if it is a number.
    const pressed = msg.quotedId === undefined || msg.quotedId === menuId ? this.choices.resolve(msg.chatId, msg.text) : undefined;
    if (pressed) this.menus.delete(msg.chatId);
    const base = {
      channel: 'whatsapp' as const,
      chatId: msg.chatId,
      chatKind: msg.chatKind,
      userId,
      displayName: truncate(msg.pushName?.trim() || (/^\d+$/.test(userId) ? `+${userId}` : 'someone'), 64),
      updateId: `${msg.chatId}/${msg.id}`,
      receivedAt: this.deps.clock.now(),
    };
    const inbound: Inbound = pressed
      ? { ...base, callback: { queryId: msg.id, data: pressed.data, ...(menuId ? { messageId: menuId } : {}) } }
      : { ...base, text: msg.text, messageId: msg.id };
    await this.dispatch?.(inbound, this.replier(msg.chatId));
  }

  private replier(jid: string): Replier {
    return {
      send: (out) => this.deliver(jid, out),
      edit: async (ref, out) => {
        await this.deliver(chatJid(ref.chatId), out);
      },
      // No spinner to stop; a text (e.g. "expired") is worth a message.
      answerCallback: async (text) => {
        if (text) await this.deliver(jid, { text });
      },
    };
  }

  private async deliver(jid: string, out: Outbound): Promise<SentRef | undefined> {
    if (out.interim) {
      this.typing(jid);
      return { chatId: jid, messageId: `held-${++this.seq}`, held: true };
    }
    const menu = this.choices.render(jid, out);
    let ref: SentRef | undefined;
    for (const text of renderForWhatsApp(out, menu)) ref = await this.sendPaced(jid, { text });
    if (menu && ref) this.menus.set(jid, ref.messageId);
    if (out.document) {
      const { name, data } = out.document;
      ref = await this.sendPaced(jid, { document: data, fileName: name, mimetype: mimeOf(name) });
    }
    return ref;
  }

  private sendPaced(jid: string, content: WaContent): Promise<SentRef> {
    return this.outbox.schedule(jid, async () => {
      if (this.cfg.jitterMs > 0) await sleep(Math.floor(this.random() * this.cfg.jitterMs));
      if (!this.conn) throw new DeliveryError('whatsapp: the channel is not started');
      const sock = await this.conn.whenOpen(this.cfg.sendWaitMs);
      try {
        const sent = await sock.sendMessage(jid, content);
        this.deps.metrics?.apiCalls.inc({ service: 'whatsapp', method: 'sendMessage', outcome: 'ok' });
        const id = sent?.key?.id ?? `unknown-${++this.seq}`;
        if (sent?.message) this.remember(id, sent.message);
        return { chatId: jid, messageId: id };
      } catch (err) {
        this.deps.metrics?.apiCalls.inc({ service: 'whatsapp', method: 'sendMessage', outcome: 'error' });
        throw new DeliveryError(`whatsapp: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
    });
  }

  /** "typing…" while an answer streams: WhatsApp's own way of saying "wait", and cheap. */
  private typing(jid: string): void {
    const sock = this.conn?.current();
    const now = this.deps.clock.now();
    if (!sock || now - (this.typingAt.get(jid) ?? -Infinity) < TYPING_EVERY_MS) return;
    if (this.typingAt.size > 1000) this.typingAt.clear();
    this.typingAt.set(jid, now);
    sock.sendPresenceUpdate('composing', jid).catch((err) => this.deps.log.debug({ err }, 'presence update failed'));
  }

  private remember(id: string, message: proto.IMessage): void {
    this.recent.set(id, message);
    if (this.recent.size > RECENT_SENT) this.recent.delete(this.recent.keys().next().value!);
  }

  private async getMessage(key: WAMessageKey): Promise<proto.IMessage | undefined> {
    return key.id ? this.recent.get(key.id) : undefined;
  }
}
