import type { WAMessageKey, proto } from '@whiskeysockets/baileys';
import type { ChannelState } from './channel.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { DeliveryError } from '../core/errors.js';
import type { WhatsAppAuthStore } from './whatsapp-auth-store.js';
import type { LidPair } from './whatsapp-identity.js';
import { baileysLogger, type SocketFactory, type WaEvents, type WaSocket } from './whatsapp-socket.js';

/**
 * One WhatsApp connection kept alive: reconnects with capped, jittered backoff; 515 (restart
 * required, normal right after pairing) reconnects at once; 440 (another session took over)
 * backs off long so two clients do not fight; 401 (logged out) forgets the link, stops and waits
 * for `jarvis whatsapp link`; 403 (refused) stops and waits too. A watchdog replaces a socket that
 * has shown no traffic for too long. Nothing a socket does can throw out of here.
 */

export interface ConnectionHooks {
  state(state: ChannelState, detail?: string): void;
  messages(sock: WaSocket, upsert: WaEvents['messages.upsert']): void;
  mappings(pairs: LidPair[]): void;
  /** Something a person must act on (logged out, refused, replaced again and again). */
  alert(kind: 'logged-out' | 'forbidden' | 'replaced', text: string): void;
}

export interface ConnectionOptions {
  reconnectBaseMs: number;
  reconnectMaxMs: number;
  watchdogMs: number;
  linkPollMs: number;
  random?: () => number;
}

export interface ConnectionDeps {
  factory: SocketFactory;
  auth: WhatsAppAuthStore;
  log: Logger;
  clock: Clock;
  getMessage(key: WAMessageKey): Promise<proto.IMessage | undefined>;
}

/** Open this long, a connection counts as stable: the next failure starts backoff from the bottom. */
const STABLE_MS = 60_000;
/** Consecutive 440s before a person is told. */
const REPLACED_ALERT_AFTER = 3;

const CLOSE_REASONS: Record<number, string> = {
  408: 'connection lost or timed out (408)',
  411: 'multi-device mismatch (411)',
  428: 'connection closed (428)',
  440: 'connection replaced by another WhatsApp Web session (440)',
  500: 'bad session (500)',
  503: 'WhatsApp unavailable (503)',
  515: 'restart required (515)',
};

/** Baileys closes with a Boom error: the status code is at output.statusCode. */
export function closeCode(err: unknown): number | undefined {
  const code = (err as { output?: { statusCode?: unknown } } | undefined)?.output?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

interface Waiter {
  resolve(sock: WaSocket): void;
  reject(err: Error): void;
}

export class WhatsAppConnection {
  private sock?: WaSocket;
  private open = false;
  private everOpen = false;
  private gen = 0;
  private attempts = 0;
  private replaced = 0;
  private openedAt?: number;
  private lastSeen = 0;
  private detail = 'starting';
  private retry?: NodeJS.Timeout;
  private dog?: NodeJS.Timeout;
  private poll?: NodeJS.Timeout;
  private stopped = false;
  /** Why nothing will connect until a new link (logged out, never linked, refused). */
  private unlinked?: string;
  private readonly waiters = new Set<Waiter>();
  private readonly random: () => number;

  constructor(private readonly deps: ConnectionDeps, private readonly opts: ConnectionOptions, private readonly hooks: ConnectionHooks) {
    this.random = opts.random ?? Math.random;
  }

  start(): void {
    this.stopped = false;
    if (this.deps.auth.linkedAs()) this.connect();
    else this.waitForLink('not linked: run `jarvis whatsapp link` on the server');
    if (this.opts.watchdogMs > 0) this.dog = setInterval(() => this.watch(), Math.max(10, Math.min(30_000, Math.floor(this.opts.watchdogMs / 4))));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.gen++;
    clearTimeout(this.retry);
    clearInterval(this.dog);
    clearInterval(this.poll);
    for (const w of this.waiters) w.reject(new DeliveryError('whatsapp: the channel stopped'));
    this.waiters.clear();
    const sock = this.sock;
    this.sock = undefined;
    this.open = false;
    await this.end(sock);
  }

  /** The open socket, if any. */
  current(): WaSocket | undefined {
    return this.open ? this.sock : undefined;
  }

  /** The open socket, waiting up to `ms` for a (re)connection. */
  whenOpen(ms: number): Promise<WaSocket> {
    if (this.open && this.sock) return Promise.resolve(this.sock);
    if (this.stopped) return Promise.reject(new DeliveryError('whatsapp: the channel stopped'));
    // Waiting is pointless until someone links again: fail now, so a notice is retried later.
    if (this.unlinked) return Promise.reject(new DeliveryError(`whatsapp: ${this.unlinked}`));
    return new Promise<WaSocket>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(w);
        reject(new DeliveryError(`whatsapp: not connected (${this.detail})`));
      }, ms);
      const w: Waiter = {
        resolve: (s) => (clearTimeout(timer), resolve(s)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      };
      this.waiters.add(w);
    });
  }

  private setState(state: ChannelState, detail?: string): void {
    this.detail = detail ?? state;
    this.hooks.state(state, detail);
  }

  private connect(): void {
    if (this.stopped) return;
    clearTimeout(this.retry);
    this.retry = undefined;
    this.unlinked = undefined;
    const gen = ++this.gen;
    const live = () => gen === this.gen && !this.stopped;
    const { log, clock } = this.deps;
    this.open = false;
    this.lastSeen = clock.now();
    this.setState(this.everOpen ? 'reconnecting' : 'starting', 'connecting');
    let sock: WaSocket;
    let auth;
    try {
      auth = this.deps.auth.state(baileysLogger(log));
      sock = this.deps.factory({ auth, log, getMessage: this.deps.getMessage });
    } catch (err) {
      log.error({ err }, 'whatsapp socket could not be made');
      this.retryLater(`cannot open a socket: ${(err as Error).message}`);
      return;
    }
    this.sock = sock;
    const creds = auth.creds;
    const on = <E extends keyof WaEvents>(event: E, fn: (arg: WaEvents[E]) => void) =>
      sock.ev.on(event, (arg) => {
        if (!live()) return;
        this.lastSeen = clock.now();
        try {
          fn(arg);
        } catch (err) {
          log.error({ err, event }, 'whatsapp event handler failed');
        }
      });
    try {
      on('connection.update', (u) => this.update(gen, sock, u));
      // Baileys merges the update into creds itself; doing it here too keeps a fake socket honest.
      on('creds.update', (u) => this.deps.auth.saveCreds(Object.assign(creds, u)));
      on('messages.upsert', (u) => this.hooks.messages(sock, u));
      on('lid-mapping.update', (pair) => this.hooks.mappings([pair]));
      on('messaging-history.set', (h) => {
        if (h.lidPnMappings?.length) this.hooks.mappings(h.lidPnMappings);
      });
      sock.ws?.on('frame', () => {
        if (live()) this.lastSeen = clock.now();
      });
    } catch (err) {
      log.error({ err }, 'cannot listen to the whatsapp socket');
      this.gen++;
      this.sock = undefined;
      void this.end(sock);
      this.retryLater(`cannot listen to the socket: ${(err as Error).message}`);
    }
  }

  private update(gen: number, sock: WaSocket, u: WaEvents['connection.update']): void {
    const { log, clock } = this.deps;
    if (u.qr) {
      // Linked creds never get a QR: WhatsApp no longer knows this device.
      log.warn('whatsapp asked for a QR code: the link is gone');
      this.gen++;
      this.sock = undefined;
      void this.end(sock);
      this.waitForLink('not linked: run `jarvis whatsapp link` on the server');
      return;
    }
    if (u.connection === 'open') {
      this.open = true;
      this.everOpen = true;
      this.openedAt = clock.now();
      this.replaced = 0;
      log.info({ me: sock.user?.id }, 'whatsapp connected');
      this.setState('connected');
      for (const w of this.waiters) w.resolve(sock);
      this.waiters.clear();
    } else if (u.connection === 'close') {
      this.closed(gen, u.lastDisconnect?.error);
    }
  }

  private closed(gen: number, err: unknown): void {
    if (gen !== this.gen || this.stopped) return;
    const { log, clock } = this.deps;
    this.gen++; // whatever that socket says from now on is ignored
    this.sock = undefined;
    this.open = false;
    if (this.openedAt !== undefined && clock.now() - this.openedAt >= STABLE_MS) this.attempts = 0;
    this.openedAt = undefined;
    const code = closeCode(err);
    log.warn({ code, err: err instanceof Error ? err.message : err }, 'whatsapp connection closed');
    switch (code) {
      case 401: {
        const text =
          'WhatsApp logged Jarvis out (the linked device was removed, or the link expired). WhatsApp is stopped until you run `jarvis whatsapp link` on the server.';
        // The creds are worthless now; forgetting them and telling people is one change.
        this.deps.auth.clear(() => this.hooks.alert('logged-out', text));
        this.waitForLink('logged out (401): run `jarvis whatsapp link` on the server');
        return;
      }
      case 403:
        this.hooks.alert(
          'forbidden',
          'WhatsApp refused Jarvis\'s account (403 forbidden): the number may be banned or restricted. WhatsApp is stopped; check the phone, then run `jarvis whatsapp logout` and `jarvis whatsapp link`.',
        );
        this.waitForLink('refused by WhatsApp (403): see docs/whatsapp.md');
        return;
      case 515:
        this.setState('reconnecting', CLOSE_REASONS[515]);
        this.retry = setTimeout(() => this.connect(), 0);
        return;
      case 440:
        if (++this.replaced === REPLACED_ALERT_AFTER) {
          this.hooks.alert(
            'replaced',
            'Another WhatsApp Web session keeps taking over Jarvis\'s WhatsApp connection (440). Is a second Jarvis, or `jarvis whatsapp link`, using the same account? Jarvis keeps retrying, slowly.',
          );
        }
        this.retryLater(CLOSE_REASONS[440]!, Math.max(this.backoff(), this.opts.reconnectMaxMs));
        return;
      default:
        this.retryLater(code !== undefined ? (CLOSE_REASONS[code] ?? `closed (${code})`) : `closed: ${err instanceof Error ? err.message : 'no reason given'}`);
    }
  }

  /** Capped exponential backoff with jitter: base·2^n, at most max, then 50-100% of that. */
  private backoff(): number {
    const d = Math.min(this.opts.reconnectMaxMs, this.opts.reconnectBaseMs * 2 ** Math.min(this.attempts++, 30));
    return Math.round(d * (0.5 + this.random() * 0.5));
  }

  private retryLater(detail: string, ms = this.backoff()): void {
    if (this.stopped) return;
    this.setState('reconnecting', detail);
    this.deps.log.info({ inMs: ms, detail }, 'whatsapp reconnecting');
    clearTimeout(this.retry);
    this.retry = setTimeout(() => this.connect(), ms);
  }

  /** Stopped until `jarvis whatsapp link` (another process) records a new link. */
  private waitForLink(detail: string): void {
    this.unlinked = detail;
    this.setState('disconnected', detail);
    for (const w of this.waiters) w.reject(new DeliveryError(`whatsapp: ${detail}`));
    this.waiters.clear();
    const { auth, log } = this.deps;
    const before = auth.linkedAt();
    clearInterval(this.poll);
    this.poll = setInterval(() => {
      if (this.stopped) return;
      try {
        if (auth.linkedAt() === before || !auth.linkedAs()) return;
      } catch (err) {
        log.warn({ err }, 'cannot read the whatsapp link state');
        return;
      }
      clearInterval(this.poll);
      this.poll = undefined;
      this.attempts = 0;
      log.info('whatsapp linked by `jarvis whatsapp link`; connecting');
      this.connect();
    }, this.opts.linkPollMs);
  }

  /** Replaces a socket that has been silent (or stuck connecting) for longer than the watchdog allows. */
  private watch(): void {
    if (!this.sock || this.stopped) return;
    const silentMs = this.deps.clock.now() - this.lastSeen;
    if (silentMs < this.opts.watchdogMs) return;
    this.deps.log.warn({ silentMs }, 'whatsapp socket silent; replacing it');
    const sock = this.sock;
    this.gen++;
    this.sock = undefined;
    this.open = false;
    void this.end(sock);
    this.retryLater(`socket silent for ${Math.round(silentMs / 1000)} s; reconnecting`);
  }

  private async end(sock: WaSocket | undefined): Promise<void> {
    if (!sock) return;
    try {
      await sock.end(undefined);
    } catch (err) {
      this.deps.log.debug({ err }, 'whatsapp socket end failed');
    }
  }
}
