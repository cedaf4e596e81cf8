import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeTelegramBotApi } from '../fakes/telegram-bot-api.js';
import { createApp, type App } from '../../src/app.js';
import { parseConfig } from '../../src/config.js';
import { createLogger } from '../../src/core/logger.js';
import { UpdateInbox } from '../../src/storage/update-inbox.js';
import { openDatabase } from '../../src/storage/database.js';
import { migrate, readMigrations } from '../../src/storage/migrations.js';
import { systemClock } from '../../src/core/clock.js';
import { projectRoot } from '../../src/core/paths.js';
import { createMetrics } from '../../src/ops/metrics.js';
import { TelegramChannel, TelegramStartError } from '../../src/channels/telegram.js';

const ADMIN = { id: 1001, first_name: 'Ada' };

/** The real app with the real Telegram channel, pointed at the fake Bot API, HTTP on a random port. */
async function appFor(fake: FakeTelegramBotApi, env: Record<string, string> = {}): Promise<App> {
  const r = parseConfig({
    JARVIS_DATA_DIR: mkdtempSync(join(tmpdir(), 'jarvis-tg-')),
    JARVIS_ADMINS: `telegram:${ADMIN.id}`,
    JARVIS_HTTP_PORT: '0',
    TELEGRAM_BOT_TOKEN: fake.token,
    TELEGRAM_API_ROOT: fake.apiRoot,
    TELEGRAM_POLL_TIMEOUT_SEC: '1',
    TELEGRAM_PER_CHAT_PER_SEC: '50',
    TELEGRAM_PER_CHAT_BURST: '20',
    ...env,
  });
  if (!r.ok) throw new Error(r.errors.join('; '));
  const config = r.config;
  return createApp({
    config,
    log: createLogger({ level: 'silent' }),
    defaultMetrics: false,
    channels: ({ db, clock, log, metrics }) => [(lastChannel = new TelegramChannel(config.telegram!, { clock, log, metrics, inbox: new UpdateInbox(db, clock) }))],
  });
}
/** The channel of the app appFor made last. */
let lastChannel: TelegramChannel | undefined;

describe('Telegram channel against the fake Bot API', () => {
  let fake: FakeTelegramBotApi;
  let app: App | undefined;
  beforeEach(async () => {
    fake = new FakeTelegramBotApi();
    await fake.start();
  });
  afterEach(async () => {
    await app?.stop();
    app = undefined;
    await fake.stop();
  });

  it('publishes the user menu for everyone and the admin menu for the owner chat', async () => {
    app = await appFor(fake);
    await app.start();
    const menus = fake.calls.filter((c) => c.method === 'setMyCommands' && c.answeredWith === 'ok');
    const names = (c: (typeof menus)[number]) => (c.params.commands as { command: string }[]).map((x) => x.command);
    const everyone = menus.find((c) => !c.params.scope)!;
    const owner = menus.find((c) => (c.params.scope as { chat_id?: number } | undefined)?.chat_id === ADMIN.id)!;
    expect(names(everyone)).toContain('status');
    expect(names(everyone)).not.toContain('lockdown');
    expect(names(owner)).toContain('lockdown');
  });

  it('escapes user text so the strict HTML parser accepts it, and answers a button exactly once', async () => {
    app = await appFor(fake);
    await app.start();
    fake.sendText({ id: ADMIN.id, first_name: '<b>Ada & co</b>' }, '/whoami');
    await fake.waitFor(() => fake.textsTo(ADMIN.id).length === 1);
    expect(fake.textsTo(ADMIN.id)[0]).toContain('&lt;b&gt;Ada &amp; co&lt;/b&gt;');
    expect(fake.calls.filter((c) => c.answeredWith === 'error')).toEqual([]);

    fake.sendText(ADMIN, '/allow telegram:3003');
    await fake.waitFor(() => fake.textsTo(ADMIN.id).length === 2);
    const question = fake.sentTo(ADMIN.id).at(-1)!;
    const keyboard = (question.params.reply_markup as { inline_keyboard: { text: string; callback_data: string }[][] }).inline_keyboard;
    expect(keyboard.flat().map((b) => b.text)).toEqual(['User', 'Admin']);
    const qid = fake.pressButton(ADMIN, keyboard[0]![0]!.callback_data, 1003);
    await fake.waitFor(() => fake.textsTo(ADMIN.id).length === 3);
    expect(fake.textsTo(ADMIN.id)[2]).toBe('telegram:3003 is now a user.');
    await fake.waitFor(() => fake.calls.some((c) => c.method === 'answerCallbackQuery'));
    expect(fake.calls.filter((c) => c.method === 'answerCallbackQuery' && c.params.callback_query_id === qid)).toHaveLength(1);
  });

  it('delivers every reply exactly once through 429s and 500s, and counts the 429s', async () => {
    app = await appFor(fake);
    await app.start();
    // The first attempt at reply 2 gets a 429, the first at reply 4 a 500 (auto-retry waits ~3 s for 5xx).
    const faulted = new Set<string>();
    fake.faults = (method, params) => {
      const text = String(params.text);
      if (method !== 'sendMessage' || faulted.has(text)) return undefined;
      if (text.startsWith('telegram:2 ')) return faulted.add(text), { kind: '429', retryAfter: 1 };
      if (text.startsWith('telegram:4 ')) return faulted.add(text), { kind: '500' };
      return undefined;
    };
    for (let n = 1; n <= 5; n++) fake.sendText(ADMIN, `/allow telegram:${n} user`);
    const expected = [1, 2, 3, 4, 5].map((n) => `telegram:${n} is now a user.`);
    await fake.waitFor(() => fake.textsTo(ADMIN.id).length >= 5, 20_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(fake.textsTo(ADMIN.id)).toEqual(expected); // once each, in order
    expect(faulted.size).toBe(2);
    expect(fake.calls.filter((c) => c.answeredWith === 'error').map((c) => c.errorCode)).toEqual([429, 500]);
    const metrics = await app.services.metrics.registry.getSingleMetricAsString('jarvis_outgoing_api_429_total');
    expect(metrics).toMatch(/method="sendMessage"} [1-9]/);
  });

  it('never sends a reply twice when the answer to a delivered sendMessage is lost on the network', async () => {
    app = await appFor(fake);
    await app.start();
    let dropped = false;
    fake.faults = (method) => (method === 'sendMessage' && !dropped ? ((dropped = true), { kind: 'lost-answer' }) : undefined);
    fake.sendText(ADMIN, '/whoami');
    fake.sendText(ADMIN, '/start');
    await fake.waitFor(() => fake.textsTo(ADMIN.id).length >= 2);
    await new Promise((r) => setTimeout(r, 1500)); // time enough for any retry to land
    const texts = fake.textsTo(ADMIN.id);
    expect(texts.filter((t) => t.startsWith('You are'))).toHaveLength(1);
    expect(texts).toHaveLength(2);
  });

  it('a message sent while the Bot API refuses connections goes out once, when it is back', async () => {
    app = await appFor(fake);
    await app.start();
    fake.sendText(ADMIN, '/start');
    await fake.waitFor(() => fake.textsTo(ADMIN.id).length === 1);
    const port = Number(new URL(fake.apiRoot).port);
    await fake.stop();
    await new Promise((r) => setTimeout(r, 100)); // the client has seen its idle sockets close
    // Nothing can have reached Telegram (the connection is refused), so sending again is safe.
    const sending = lastChannel!.send(String(ADMIN.id), { text: 'the backup finished' });
    await new Promise((r) => setTimeout(r, 300));
    await fake.start(port);
    await sending;
    expect(fake.textsTo(ADMIN.id).filter((t) => t === 'the backup finished')).toHaveLength(1);
  });

  it('splits a reply over 4096 characters into several messages that all arrive', async () => {
    app = await appFor(fake, { JARVIS_RATE_LIMIT_ENABLED: 'false' });
    await app.start();
    const long = 'x'.repeat(60);
    for (let i = 0; i < 80; i++) app.services.audit.record({ actor: `telegram:${i}`, action: 'message', outcome: 'denied', detail: long });
    fake.sendText(ADMIN, '/audit 80');
    await fake.waitFor(() => fake.textsTo(ADMIN.id).length >= 2);
    await new Promise((r) => setTimeout(r, 200));
    const parts = fake.textsTo(ADMIN.id);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.every((p) => p.length <= 4096)).toBe(true);
    expect(parts.join('\n').match(/→ denied/g)).toHaveLength(80);
  });

  it('skips an update it already handled when Telegram delivers it again', async () => {
    app = await appFor(fake);
    await app.start();
    const update = { message: { message_id: 1, date: 0, chat: { id: ADMIN.id, type: 'private' }, from: { ...ADMIN, is_bot: false }, text: '/whoami' } };
    const id = fake.pushRawUpdate(update);
    await fake.waitFor(() => fake.textsTo(ADMIN.id).length === 1);
    fake.pushRawUpdate({ ...update, update_id: id });
    fake.sendText(ADMIN, '/start');
    await fake.waitFor(() => fake.textsTo(ADMIN.id).length === 2);
    expect(fake.textsTo(ADMIN.id)[1]).toMatch(/at your service/);
  });

  it('replays a backlog left by a crash without one chat waiting for another, and in order within each chat', async () => {
    const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'jarvis-tg-replay-')), 'jarvis.db'));
    migrate(db, readMigrations(join(projectRoot(), 'migrations')));
    const inbox = new UpdateInbox(db, systemClock);
    const msg = (id: number, chat: number, text: string) => ({
      id: String(id),
      payload: { update_id: id, message: { message_id: id, date: 0, chat: { id: chat, type: 'private', first_name: 'X' }, from: { id: chat, is_bot: false, first_name: 'X' }, text } },
    });
    // Fetched by the run that died, never handled: chat 7's first message is a slow one (a live sale landing).
    inbox.save('telegram', [msg(1, 7, 'sell now'), msg(2, 8, 'hello'), msg(3, 7, 'and then this')]);
    const r = parseConfig({ JARVIS_DATA_DIR: mkdtempSync(join(tmpdir(), 'jarvis-tg-')), TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot, TELEGRAM_POLL_TIMEOUT_SEC: '1' });
    if (!r.ok) throw new Error(r.errors.join('; '));
    const channel = new TelegramChannel(r.config.telegram!, { clock: systemClock, log: createLogger({ level: 'silent' }), metrics: createMetrics(), inbox });
    const handled: string[] = [];
    let release!: () => void;
    const slow = new Promise<void>((res) => (release = res));
    try {
      await channel.start(async (inbound) => {
        if (inbound.text === 'sell now') await slow;
        handled.push(`${inbound.chatId}:${inbound.text}`);
      });
      // Start returned and polls while chat 7 is still busy; chat 8 did not wait for it.
      await fake.waitFor(() => handled.includes('8:hello'));
      expect(handled).toEqual(['8:hello']);
      expect(channel.pending()).toBe(2);
      fake.sendText({ id: 8 }, 'live after the restart');
      await fake.waitFor(() => handled.includes('8:live after the restart'));
      expect(handled.filter((h) => h.startsWith('7:'))).toEqual([]);
      release();
      await fake.waitFor(() => handled.length === 4);
      expect(handled.filter((h) => h.startsWith('7:'))).toEqual(['7:sell now', '7:and then this']);
      expect(channel.pending()).toBe(0);
    } finally {
      release();
      await channel.stop();
      db.close();
    }
  });

  it('reports ready with Telegram connected on /readyz, with reasons when it is not', async () => {
    app = await appFor(fake);
    await app.start();
    const base = `http://127.0.0.1:${app.httpAddress()!.port}`;
        const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('jarvis_handler_duration_seconds');
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    await fake.stop(); // Telegram goes away
    await new Promise((r) => setTimeout(r, 1500));
    const down = await fetch(`${base}/readyz`);
    expect(down.status).toBe(503);
    const body = (await down.json()) as { reasons: string[] };
    expect(body.reasons.join(' ')).toMatch(/telegram is (reconnecting|disconnected)/);
    fake = new FakeTelegramBotApi();
    await fake.start();
  });

  it('fails to start with a clear message when the token is rejected', async () => {
    const other = new FakeTelegramBotApi({ token: '999:WRONGTOKEN' });
    await other.start();
    try {
      app = await appFor(fake, { TELEGRAM_API_ROOT: other.apiRoot });
      await expect(app.start()).rejects.toThrow(TelegramStartError);
      await expect(app.start()).rejects.toThrow(/401/);
    } finally {
      await other.stop();
    }
  });
});
