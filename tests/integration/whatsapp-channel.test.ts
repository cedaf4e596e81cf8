import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { proto } from '@whiskeysockets/baileys';
import { createApp, type App } from '../../src/app.js';
import { parseConfig } from '../../src/config.js';
import { createLogger } from '../../src/core/logger.js';
import { systemClock } from '../../src/core/clock.js';
import { MemoryChannel } from '../../src/channels/memory.js';
import { WhatsAppChannel } from '../../src/channels/whatsapp.js';
import { WhatsAppAuthStore } from '../../src/channels/whatsapp-auth-store.js';
import type { WhatsAppConfig } from '../../src/channels/whatsapp-config.js';
import { StreamingReply } from '../../src/core/streaming-reply.js';
import { asOutbound, plainText } from '../../src/core/message.js';
import { readiness } from '../../src/ops/http.js';
import { FakeWhatsApp, seedLinkedCreds, waMessage, type FakeBaileysSocket } from '../fakes/baileys-socket.js';
import { FakeOpenAiCompatible } from '../fakes/openai-compatible.js';
import { isExtraction } from '../support/brain-harness.js';

const TG_ADMIN = 1001;
const ADMIN_PN = '447700900123';
const ADMIN_JID = `${ADMIN_PN}@s.whatsapp.net`;
const ADMIN_LID = '201234567890123';
const GROUP = '120363000000000001@g.us';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, what: string, ms = 3_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

interface WaHarness {
  app: App;
  wa: WhatsAppChannel;
  telegram: MemoryChannel;
  fake: FakeWhatsApp;
  auth: WhatsAppAuthStore;
  dataDir: string;
}

/** The real app (real SQLite, handlers, flows) with the WhatsApp channel over a fake Baileys socket, and Telegram in memory. */
async function waApp(opts: { env?: Record<string, string>; cfg?: Partial<WhatsAppConfig>; dataDir?: string; fake?: FakeWhatsApp; linked?: boolean; autoOpen?: boolean } = {}): Promise<WaHarness> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'jarvis-wa-'));
  const r = parseConfig({
    JARVIS_DATA_DIR: dataDir,
    JARVIS_ADMINS: `telegram:${TG_ADMIN},whatsapp:+${ADMIN_PN}`,
    JARVIS_HTTP_ENABLED: 'false',
    JARVIS_LOG_LEVEL: 'silent',
    JARVIS_RATE_LIMIT_ENABLED: 'false',
    WHATSAPP_ENABLED: 'true',
    ...opts.env,
  });
  if (!r.ok) throw new Error(r.errors.join('; '));
  const cfg: WhatsAppConfig = {
    ...r.config.whatsapp,
    jitterMs: 0,
    perChatPerSec: 100,
    globalPerMin: 60_000,
    reconnectBaseMs: 10,
    reconnectMaxMs: 80,
    linkPollMs: 20,
    watchdogMs: 0,
    sendWaitMs: 2_000,
    ...opts.cfg,
  };
  const fake = opts.fake ?? new FakeWhatsApp();
  if (opts.autoOpen !== false) fake.onSocket = (s) => s.open();
  const telegram = new MemoryChannel({ name: 'telegram' });
  let wa!: WhatsAppChannel;
  const app = await createApp({
    config: r.config,
    log: createLogger({ level: 'silent' }),
    defaultMetrics: false,
    http: false,
    cron: false,
    channels: ({ db, clock, log, metrics, notices }) => {
      wa = new WhatsAppChannel(cfg, { db, clock, log, metrics, notices, alertKeys: [`telegram:${TG_ADMIN}`], factory: fake.factory, random: () => 0.5 });
      return [telegram, wa];
    },
  });
  const auth = new WhatsAppAuthStore(app.services.db, systemClock);
  if (opts.linked !== false && !auth.linkedAs()) seedLinkedCreds(auth);
  await app.start();
  return { app, wa, telegram, fake, auth, dataDir };
}

/** Sends messages in one upsert and waits until `replies` more texts have gone out. */
async function say(h: WaHarness, messages: ReturnType<typeof waMessage>[], replies = 1, sock: FakeBaileysSocket = h.fake.current): Promise<string[]> {
  const before = h.fake.texts().length;
  sock.upsert(messages);
  await until(() => h.fake.texts().length >= before + replies, `${replies} replies`);
  await until(() => h.wa.pending() === 0, 'the chain to finish');
  return h.fake.texts().slice(before);
}

const text = (chat: string, body: string, more: Partial<Parameters<typeof waMessage>[0]> = {}) => waMessage({ chat, content: { conversation: body }, ...more });

describe('WhatsApp channel over a fake Baileys socket', () => {
  let h: WaHarness | undefined;
  afterEach(async () => {
    await h?.app.stop();
    h = undefined;
  });

  it('takes every kind of text in one upsert and ignores self, status, other groups, protocol messages and history', async () => {
    h = await waApp();
    await until(() => h!.wa.info().state === 'connected', 'connected');
    const sock = h.fake.current;
    const kinds: proto.IMessage[] = [
      { conversation: '/whoami' },
      { extendedTextMessage: { text: '/whoami' } },
      { extendedTextMessage: { text: '/whoami', contextInfo: { stanzaId: 'OLD1', quotedMessage: { conversation: 'earlier' } } } },
      { imageMessage: { caption: '/whoami', mimetype: 'image/jpeg' } },
      { videoMessage: { caption: '/whoami', mimetype: 'video/mp4' } },
      { documentWithCaptionMessage: { message: { documentMessage: { caption: '/whoami', fileName: 'a.pdf' } } } },
    ];
    const ignored = [
      text(ADMIN_JID, '/whoami', { fromMe: true }),
      waMessage({ chat: 'status@broadcast', from: ADMIN_JID, content: { conversation: '/whoami' } }),
      waMessage({ chat: '120363000000000999@g.us', from: ADMIN_JID, content: { conversation: '/whoami' } }),
      waMessage({ chat: ADMIN_JID, content: { protocolMessage: { type: 0, key: { id: 'X' } } } }),
      waMessage({ chat: ADMIN_JID, content: { reactionMessage: { text: '👍', key: { id: 'X' } } } }),
      waMessage({ chat: ADMIN_JID, content: { audioMessage: { seconds: 3 } } }),
    ];
    sock.upsert([text(ADMIN_JID, '/whoami')], 'append'); // history: never acted on
    const replies = await say(h, [...kinds.map((content) => waMessage({ chat: ADMIN_JID, content, pushName: 'Ada' })), ...ignored], kinds.length);
    await sleep(50);
    expect(h.fake.texts().length).toBe(kinds.length);
    for (const r of replies) expect(r).toBe(`You are Ada, whatsapp:${ADMIN_PN}, role admin.`);
    expect(sock.sent.every((s) => s.jid === ADMIN_JID)).toBe(true);
  });

  it('knows the admin configured by number whichever identity form a message carries', async () => {
    h = await waApp();
    await until(() => h!.wa.info().state === 'connected', 'connected');
    const sock = h.fake.current;
    const whoami = async (chat: string, alt?: string) => (await say(h!, [text(chat, '/whoami', alt ? { alt } : {})]))[0];
    // A LID-addressed message carrying the number as remoteJidAlt: recognised, and the pair learned.
    expect(await whoami(`${ADMIN_LID}@lid`, ADMIN_JID)).toContain(`whatsapp:${ADMIN_PN}, role admin`);
    expect(h.wa.identities.pnForLid(ADMIN_LID)).toBe(ADMIN_PN);
    // The same LID without the number: our table answers.
    expect(await whoami(`${ADMIN_LID}@lid`)).toContain(`whatsapp:${ADMIN_PN}, role admin`);
    // A LID learned from Baileys' lid-mapping event.
    sock.emit('lid-mapping.update', { lid: '209999999999999@lid', pn: ADMIN_JID });
    expect(await whoami('209999999999999@lid')).toContain('role admin');
    // A LID only Baileys' own store knows.
    sock.lidStore.set('208888888888888@lid', `${ADMIN_PN}:0@s.whatsapp.net`);
    expect(await whoami('208888888888888@lid')).toContain('role admin');
    expect(h.wa.identities.pnForLid('208888888888888')).toBe(ADMIN_PN);
    // A phone-number message carrying the LID as its alternate teaches the pair too.
    await whoami('447700900555@s.whatsapp.net', '207777777777777@lid');
    expect(h.wa.identities.pnForLid('207777777777777')).toBe('447700900555');
    // A LID nobody can map is a stranger with an id that is never a phone number.
    const stranger = await whoami('206666666666666@lid');
    expect(stranger).toContain('whatsapp:206666666666666@lid');
    expect(stranger).not.toContain('role admin');
  });

  it('answers in an allowed group, keyed by the participant', async () => {
    h = await waApp({ env: { WHATSAPP_ALLOWED_GROUPS: GROUP } });
    await until(() => h!.wa.info().state === 'connected', 'connected');
    const [reply] = await say(h, [waMessage({ chat: GROUP, from: `${ADMIN_LID}@lid`, alt: ADMIN_JID, content: { conversation: '/whoami' } })]);
    expect(reply).toContain(`whatsapp:${ADMIN_PN}, role admin`);
    expect(h.fake.current.sent.at(-1)!.jid).toBe(GROUP);
  });

  it('shows buttons as numbered choices and takes the number as the press (/allow)', async () => {
    h = await waApp();
    await until(() => h!.wa.info().state === 'connected', 'connected');
    const [menu] = await say(h, [text(ADMIN_JID, '/allow telegram:42')]);
    expect(menu).toBe('Which role for telegram:42?\n\n  1) User\n  2) Admin\n(answer with the number)');
    const menuId = h.fake.current.sent.at(-1)!.id;
    // A number quoting some other message is text, not a press.
    const [other] = await say(h, [waMessage({ chat: ADMIN_JID, content: { extendedTextMessage: { text: '1', contextInfo: { stanzaId: 'NOT-THE-MENU' } } } })]);
    expect(other).not.toContain('is now');
    // Quoting the menu (or not quoting at all) presses the button.
    const [done] = await say(h, [waMessage({ chat: ADMIN_JID, content: { extendedTextMessage: { text: '2', contextInfo: { stanzaId: menuId } } } })]);
    expect(done).toBe('telegram:42 is now an admin.');
    expect(h.app.services.roles.roleOf({ channel: 'telegram', userId: '42' })).toBe('admin');
    const [again] = await say(h, [text(ADMIN_JID, '2')]); // the menu was used: a bare number is text now
    expect(again).not.toContain('is now');
  });

  it('sends a streamed answer once, as the final text, with "typing…" meanwhile', async () => {
    h = await waApp();
    await until(() => h!.wa.info().state === 'connected', 'connected');
    const wa = h.wa;
    const sink = { reply: (o: Parameters<typeof asOutbound>[0]) => wa.send(ADMIN_JID, asOutbound(o)), edit: (r: Parameters<typeof wa.edit>[0], o: Parameters<typeof asOutbound>[0]) => wa.edit(r, asOutbound(o)) };
    const stream = new StreamingReply(sink, { intervalMs: 5, placeholderMs: 0 });
    for (const d of ['The ', 'answer ', 'is ', '42.']) {
      stream.push(d);
      await sleep(15);
    }
    await stream.finish('The answer is 42.');
    await until(() => h!.fake.texts().length >= 1, 'the answer');
    await sleep(30);
    expect(h.fake.texts()).toEqual(['The answer is 42.']);
    expect(h.fake.current.presences).toContainEqual({ type: 'composing', jid: ADMIN_JID });
    // The final text equal to the last interim one is still delivered (the ref was held).
    const second = new StreamingReply(sink, { intervalMs: 5, placeholderMs: 0 });
    second.push('Short.');
    await sleep(20);
    await second.finish('Short.');
    await until(() => h!.fake.texts().length >= 2, 'the second answer');
    expect(h.fake.texts()).toEqual(['The answer is 42.', 'Short.']);
    // An edit that is not interim (a flow result, a follow-up) arrives as a new message.
    const ref = await wa.send(ADMIN_JID, { text: 'Stopping vm 101…' });
    await wa.edit(ref!, { text: 'vm 101 stopped.' });
    expect(h.fake.texts().slice(-2)).toEqual(['Stopping vm 101…', 'vm 101 stopped.']);
  });

  it('answers free text from the model as one message, however it streamed', async () => {
    const model = await new FakeOpenAiCompatible().start();
    model.fallback = (body) => (isExtraction(body) ? { text: '{"memories": []}' } : { text: 'ok' });
    try {
      h = await waApp({ env: { LOCAL_LLM_URL: `${model.url}/v1`, LOCAL_LLM_MODEL: 'llama-test', LLM_STREAM_EDIT_MS: '50' } });
      await until(() => h!.wa.info().state === 'connected', 'connected');
      const answer = 'word '.repeat(60).trim();
      model.script({ text: answer, chunkChars: 10, delayMs: 15, when: (b) => !isExtraction(b) });
      const replies = await say(h, [text(ADMIN_JID, 'tell me a joke')]);
      await h.app.services.chat.idle();
      await sleep(50);
      expect(replies).toEqual([answer]);
      expect(h.fake.texts()).toEqual([answer]); // no "Thinking…", no half answers
      expect(h.fake.current.presences.length).toBeGreaterThanOrEqual(1); // "typing…" meanwhile
    } finally {
      await h?.app.stop();
      h = undefined;
      await model.close();
    }
  });

  it('reconnects after 408, 428 and 515, backs off long after 440, and tells admins when 440 repeats', async () => {
    h = await waApp();
    await until(() => h!.wa.info().state === 'connected', 'connected');
    for (const code of [408, 428, 500, 515]) {
      const n = h.fake.sockets.length;
      h.fake.current.close(code);
      expect(h.wa.info().state).toBe('reconnecting');
      expect(h.wa.info().detail).toContain(String(code));
      await until(() => h!.fake.sockets.length === n + 1 && h!.wa.info().state === 'connected', `reconnect after ${code}`);
    }
    h.fake.current.close(); // a plain network error, no code
    await until(() => h!.wa.info().state === 'connected' && h!.fake.sockets.length === 6, 'reconnect after a network error');
    // 440: someone else took the session. Wait long (at least most of the cap), never fight.
    h.fake.onSocket = undefined;
    const t0 = Date.now();
    h.fake.current.close(440);
    expect(h.wa.info().detail).toContain('440');
    await until(() => h!.fake.sockets.length === 7, 'a retry after 440');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(55); // 80 ms cap, jittered to 75 %
    h.fake.current.close(440);
    await until(() => h!.fake.sockets.length === 8, 'a second retry after 440');
    expect(h.telegram.sent).toHaveLength(0);
    h.fake.current.close(440);
    await until(() => h!.telegram.sent.length === 1, 'the admin told on Telegram');
    expect(h.telegram.sent[0]).toMatchObject({ chatId: String(TG_ADMIN) });
    expect(plainText(h.telegram.sent[0]!.out.text)).toContain('(440)');
  });

  it('on "logged out" (401) stops, forgets the link, tells admins on Telegram and /readyz, then connects once relinked', async () => {
    h = await waApp();
    await until(() => h!.wa.info().state === 'connected', 'connected');
    const n = h.fake.sockets.length;
    h.fake.current.close(401);
    await until(() => h!.telegram.sent.length === 1, 'the admin told on Telegram');
    expect(plainText(h.telegram.sent[0]!.out.text)).toContain('jarvis whatsapp link');
    expect(h.wa.info()).toMatchObject({ state: 'disconnected' });
    expect(h.wa.info().detail).toContain('logged out (401)');
    expect(h.auth.linkedAs()).toBeUndefined();
    expect(readiness(h.app.services).reasons.join()).toContain('whatsapp is disconnected (logged out (401)');
    const status = await h.telegram.inject({ channel: 'telegram', chatId: String(TG_ADMIN), chatKind: 'private', userId: String(TG_ADMIN), displayName: 'Ada', text: '/status', receivedAt: Date.now() });
    expect(plainText(status[0]!.out.text)).toContain('whatsapp disconnected (logged out (401)');
    // Nothing reconnects by itself, and a send fails at once (a notice is retried later).
    await expect(h.wa.send(ADMIN_PN, { text: 'while logged out' })).rejects.toThrow(/whatsapp: logged out \(401\)/);
    await sleep(100);
    expect(h.fake.sockets.length).toBe(n);
    // `jarvis whatsapp link` (another process) records a new link: the daemon connects.
    seedLinkedCreds(h.auth);
    await until(() => h!.wa.info().state === 'connected', 'connected after relinking');
    await h.wa.send(ADMIN_PN, { text: 'back' });
    expect(h.fake.current.texts()).toEqual(['back']);
    expect(h.fake.current.sent[0]!.jid).toBe(ADMIN_JID);
  });

  it('holds a reply while reconnecting and sends it once the socket is open', async () => {
    h = await waApp();
    await until(() => h!.wa.info().state === 'connected', 'connected');
    h.fake.onSocket = undefined;
    h.fake.current.close(428);
    const pending = h.wa.send(ADMIN_PN, { text: 'sent after the reconnect' });
    await until(() => h!.fake.sockets.length === 2, 'a new socket');
    await sleep(30);
    expect(h.fake.current.sent).toHaveLength(0);
    h.fake.current.open();
    await pending;
    expect(h.fake.current.texts()).toEqual(['sent after the reconnect']);
  });

  it('replaces a socket that went silent, but not one that shows traffic', async () => {
    h = await waApp({ cfg: { watchdogMs: 80 } });
    await until(() => h!.wa.info().state === 'connected', 'connected');
    const first = h.fake.current;
    const beat = setInterval(() => first.frame(), 15);
    await sleep(250);
    clearInterval(beat);
    expect(h.fake.sockets.length).toBe(1);
    await until(() => h!.fake.sockets.length === 2, 'the watchdog to replace the silent socket', 1_000);
    expect(first.ended).toBe(true);
    await until(() => h!.wa.info().state === 'connected', 'connected again');
  });

  it('survives a socket that cannot be made, garbage events and a failed send', async () => {
    const fake = new FakeWhatsApp();
    fake.failNextSocket = new Error('boom at construction');
    h = await waApp({ fake });
    await until(() => h!.wa.info().state === 'connected', 'connected after a failed construction');
    const sock = h.fake.current;
    sock.emit('messages.upsert', { messages: [{} as never, { key: null } as never], type: 'notify' });
    sock.emit('messages.upsert', { messages: undefined as never, type: 'notify' });
    sock.emit('connection.update', {});
    sock.emit('lid-mapping.update', { lid: 'garbage', pn: 'more garbage' });
    sock.failNextSend = new Error('socket write failed');
    await expect(h.wa.send(ADMIN_PN, { text: 'lost' })).rejects.toThrow(/whatsapp: socket write failed/);
    expect(await say(h, [text(ADMIN_JID, '/whoami')])).toHaveLength(1);
  });

  it('paces a burst: one chat at most perChatPerSec, all chats under the global rate, in order', async () => {
    // Global 5/s (a burst of one second's worth, then one per 200 ms); per chat 10/s.
    h = await waApp({ cfg: { perChatPerSec: 10, globalPerMin: 300, jitterMs: 20 } });
    await until(() => h!.wa.info().state === 'connected', 'connected');
    const a = '447700900201@s.whatsapp.net';
    const b = '447700900202@s.whatsapp.net';
    await Promise.all([1, 2, 3, 4].flatMap((i) => [h!.wa.send(a, { text: `a${i}` }), h!.wa.send(b, { text: `b${i}` })]));
    const sent = h.fake.current.sent;
    const gaps = (list: typeof sent) => list.slice(1).map((s, i) => s.at - list[i]!.at);
    const ofA = sent.filter((s) => s.jid === a);
    expect(ofA.map((s) => ('text' in s.content ? s.content.text : ''))).toEqual(['a1', 'a2', 'a3', 'a4']);
    // 10/s per chat: tokens are 100 ms apart; the send itself may lag its token by a few ms.
    for (const g of gaps(ofA)) expect(g).toBeGreaterThanOrEqual(80);
    expect(ofA.at(-1)!.at - ofA[0]!.at).toBeGreaterThanOrEqual(3 * 100 - 10);
    expect(sent).toHaveLength(8);
    expect(sent.at(-1)!.at - sent[0]!.at).toBeGreaterThanOrEqual(3 * 200 - 15); // 8 sends: 5 at once, 3 paced at 5/s
  });

  it('sends a document after the text', async () => {
    h = await waApp();
    await until(() => h!.wa.info().state === 'connected', 'connected');
    await h.wa.send(ADMIN_PN, { text: 'The log:', document: { name: 'run.log', data: Buffer.from('ok\n') } });
    const [t, d] = h.fake.current.sent;
    expect(t!.content).toEqual({ text: 'The log:' });
    expect(d!.content).toMatchObject({ fileName: 'run.log', mimetype: 'text/plain' });
  });

  it('keeps creds and every key type in SQLite through a restart, with concurrent key writes all kept', async () => {
    h = await waApp();
    await until(() => h!.wa.info().state === 'connected', 'connected');
    const sock = h.fake.current;
    const keys = sock.auth.keys;
    const preKey = { public: Buffer.from('pub-1'), private: Buffer.from('priv-1') };
    await keys.set({
      'pre-key': { '1': preKey },
      session: { 'abc.0': Buffer.from('session-abc') },
      'sender-key': { 'group::abc': Buffer.from('sender') },
      'sender-key-memory': { [GROUP]: { [ADMIN_JID]: true } },
      'app-state-sync-key': { AAAA: { keyData: Buffer.from('app-state'), timestamp: 5 } },
      'app-state-sync-version': { regular: { version: 3, hash: Buffer.alloc(4, 1), indexValueMap: {} } },
      'lid-mapping': { [ADMIN_PN]: ADMIN_LID, [`${ADMIN_LID}_reverse`]: ADMIN_PN },
      'device-list': { [ADMIN_PN]: ['0', '7'] },
      tctoken: { [ADMIN_JID]: { token: Buffer.from('tc'), timestamp: '1' } },
      'identity-key': { 'abc.0': Buffer.from('identity') },
    });
    // 200 writes racing each other, as Baileys does when many sessions change at once.
    await Promise.all(Array.from({ length: 200 }, (_, i) => keys.set({ session: { [`race.${i}`]: Buffer.from(`s${i}`) } })));
    await keys.set({ 'identity-key': { 'abc.0': null } }); // a null deletes
    sock.emit('creds.update', { me: { id: '447700900001:7@s.whatsapp.net', lid: '201111111111111:7@lid', name: 'Jarvis' }, nextPreKeyId: 31 });
    const dataDir = h.dataDir;
    await h.app.stop();
    h = await waApp({ dataDir });
    await until(() => h!.wa.info().state === 'connected', 'connected after restart');
    const again = h.fake.current;
    expect(again.auth.creds.nextPreKeyId).toBe(31);
    expect(again.auth.creds.me?.lid).toBe('201111111111111:7@lid');
    expect(Buffer.from(again.auth.creds.noiseKey.private)).toEqual(Buffer.from(sock.auth.creds.noiseKey.private));
    const k = again.auth.keys;
    expect(await k.get('pre-key', ['1'])).toEqual({ '1': preKey });
    expect((await k.get('session', ['abc.0']))['abc.0']).toEqual(Buffer.from('session-abc'));
    const races = await k.get('session', Array.from({ length: 200 }, (_, i) => `race.${i}`));
    expect(Object.keys(races)).toHaveLength(200);
    expect(races['race.137']).toEqual(Buffer.from('s137'));
    const appKey = (await k.get('app-state-sync-key', ['AAAA'])).AAAA!;
    expect(Buffer.from(appKey.keyData!)).toEqual(Buffer.from('app-state'));
    expect(typeof (appKey as { toJSON?: unknown }).toJSON).toBe('function'); // a protobuf object again
    expect((await k.get('lid-mapping', [`${ADMIN_LID}_reverse`]))[`${ADMIN_LID}_reverse`]).toBe(ADMIN_PN);
    expect((await k.get('device-list', [ADMIN_PN]))[ADMIN_PN]).toEqual(['0', '7']);
    expect((await k.get('app-state-sync-version', ['regular'])).regular!.hash).toEqual(Buffer.alloc(4, 1));
    expect(await k.get('identity-key', ['abc.0'])).toEqual({});
  });
});
