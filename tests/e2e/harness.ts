/**
 * What every e2e scenario needs: a fake Bot API, a data dir, the daemon(s) started on them, and
 * ways to talk as a person and read what that person sees. Tests assert replies, never internals.
 */
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterEach, beforeEach } from 'vitest';
import { FakeTelegramBotApi, type RecordedCall } from '../fakes/telegram-bot-api.js';
import { fakeTelegramEnv, startDaemon, tempDataDir, type Daemon } from './daemon.js';

/** pm2 SIGKILLs the daemon this long after asking it to stop (ecosystem.config.cjs). */
export const PM2_KILL_TIMEOUT_MS = (createRequire(import.meta.url)('../../ecosystem.config.cjs') as { apps: { kill_timeout: number }[] }).apps[0]!.kill_timeout;

export interface Person {
  id: number;
  first_name: string;
}

export const person = (id: number, first_name = `User${id}`): Person => ({ id, first_name });

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` is true; throws with `what` after timeoutMs. */
export async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** Telegram HTML as the person reads it: tags gone, entities decoded. */
export function readable(html: string): string {
  return html
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
}

/** A raw private-chat text update, for re-delivering an exact update_id later. */
export function textUpdate(from: Person, text: string, messageId: number, updateId?: number): Record<string, unknown> {
  const chat = { id: from.id, type: 'private', first_name: from.first_name };
  const entities = text.startsWith('/') ? [{ type: 'bot_command', offset: 0, length: text.split(' ')[0]!.length }] : undefined;
  return {
    ...(updateId === undefined ? {} : { update_id: updateId }),
    message: { message_id: messageId, date: Math.floor(Date.now() / 1000), chat, from: { id: from.id, is_bot: false, first_name: from.first_name }, text, ...(entities ? { entities } : {}) },
  };
}

export class Harness {
  readonly fake = new FakeTelegramBotApi();
  readonly dataDir = tempDataDir();
  daemon: Daemon | undefined;
  private env: Record<string, string> = {};
  private readonly started: Daemon[] = [];

  async start(env: Record<string, string> = {}): Promise<Daemon> {
    this.env = env;
    const d = await startDaemon(fakeTelegramEnv(this.fake.apiRoot, this.fake.token, this.dataDir, env));
    this.started.push(d);
    this.daemon = d;
    return d;
  }

  /** Stops the daemon with `signal` and starts a new one on the same data dir, fake and env. */
  async restart(signal: NodeJS.Signals = 'SIGTERM'): Promise<Awaited<ReturnType<Daemon['stop']>>> {
    const stopped = await this.daemon!.stop(signal);
    await this.start(this.env);
    return stopped;
  }

  /** What the person in chatId has been sent so far, as they read it. */
  texts(chatId: number): string[] {
    return this.fake.textsTo(chatId).map(readable);
  }

  count(chatId: number, includes: string): number {
    return this.texts(chatId).filter((t) => t.includes(includes)).length;
  }

  async waitForText(chatId: number, includes: string, timeoutMs?: number): Promise<string> {
    await this.fake.waitFor(() => this.count(chatId, includes) > 0, timeoutMs);
    return this.texts(chatId).find((t) => t.includes(includes))!;
  }

  /** Sends `text` as `from` and waits for `replies` new messages in that chat; returns them. */
  async say(from: Person, text: string, replies = 1): Promise<string[]> {
    const before = this.fake.textsTo(from.id).length;
    this.fake.sendText(from, text);
    await this.fake.waitFor(() => this.fake.textsTo(from.id).length >= before + replies);
    return this.texts(from.id).slice(before);
  }

  /** Sends `text` and returns the single reply. */
  async ask(from: Person, text: string): Promise<string> {
    return (await this.say(from, text))[0]!;
  }

  /** answerCallbackQuery attempts for one query id (answered or not). */
  answers(queryId: string): RecordedCall[] {
    return this.fake.calls.filter((c) => c.method === 'answerCallbackQuery' && String(c.params.callback_query_id) === queryId);
  }

  async waitForAnswer(queryId: string, timeoutMs?: number): Promise<RecordedCall> {
    await this.fake.waitFor(() => this.answers(queryId).length > 0, timeoutMs);
    return this.answers(queryId)[0]!;
  }

  /**
   * The bot's latest message in chatId containing `includes`, as the person's client holds it
   * (message_id and inline keyboard). The fake does not record results in `calls`, so this
   * reads its message store: what Telegram shows, not daemon state.
   */
  botMessage(chatId: number, includes: string): { messageId: number; buttons: { text: string; callback_data: string }[] } {
    type Stored = { msg: { message_id: number; text?: string; reply_markup?: { inline_keyboard: { text: string; callback_data: string }[][] } } };
    const store = (this.fake as unknown as { messages: Map<string, Stored> }).messages;
    const hits = [...store.entries()]
      .filter(([key, m]) => key.startsWith(`${chatId}:`) && (m.msg.text ?? '').includes(includes))
      .map(([, m]) => m.msg)
      .sort((a, b) => a.message_id - b.message_id);
    const msg = hits.at(-1);
    if (!msg) throw new Error(`no bot message in chat ${chatId} contains "${includes}"`);
    return { messageId: msg.message_id, buttons: msg.reply_markup?.inline_keyboard.flat() ?? [] };
  }

  messageIdOf(chatId: number, includes: string): number {
    return this.botMessage(chatId, includes).messageId;
  }

  /** Presses the button labelled `label` on the bot's latest message containing `on`; returns the query id. */
  press(from: Person, label: string, on: string): { queryId: string; data: string; messageId: number } {
    const { messageId, buttons } = this.botMessage(from.id, on);
    const button = buttons.find((b) => b.text === label);
    if (!button) throw new Error(`no "${label}" button on "${on}" (buttons: ${buttons.map((b) => b.text).join(', ') || 'none'})`);
    return { queryId: this.fake.pressButton(from, button.callback_data, messageId), data: button.callback_data, messageId };
  }

  async cleanup(): Promise<void> {
    for (const d of this.started) await d.stop('SIGKILL');
    await this.fake.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** Registers a fresh Harness per test (fake started) and its cleanup; call the result inside a test. */
export function useHarness(): () => Harness {
  let h: Harness | undefined;
  beforeEach(async () => {
    h = new Harness();
    await h.fake.start();
  });
  afterEach(async () => {
    await h?.cleanup();
    h = undefined;
  });
  return () => h!;
}
