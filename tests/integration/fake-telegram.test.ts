/**
 * Drives the fake Bot API with the real grammY client over 127.0.0.1, so the fake's
 * wire format and server-side rules are checked against what grammY actually sends.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Bot, GrammyError, HttpError } from 'grammy';
import { FakeTelegramBotApi } from '../fakes/telegram-bot-api.js';

const USER = { id: 42, first_name: 'Ada', username: 'ada' };

let fake: FakeTelegramBotApi;
let bot: Bot;

beforeEach(async () => {
  fake = new FakeTelegramBotApi();
  await fake.start();
  bot = new Bot(fake.token, { client: { apiRoot: fake.apiRoot } });
});
afterEach(async () => {
  await fake.stop();
});

/** Resolves to the GrammyError a call rejected with (fails the test if it resolved). */
async function apiError(p: Promise<unknown>): Promise<GrammyError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(GrammyError);
  return err as GrammyError;
}

describe('FakeTelegramBotApi', () => {
  it('answers getMe and rejects a wrong token with 401', async () => {
    const me = await bot.api.getMe();
    expect(me).toMatchObject({ id: 123456, is_bot: true, username: 'jarvis_test_bot', can_join_groups: true });
    const intruder = new Bot('999:wrong', { client: { apiRoot: fake.apiRoot } });
    const err = await apiError(intruder.api.getMe());
    expect(err.error_code).toBe(401);
    expect(err.description).toBe('Unauthorized');
  });

  it('holds a long poll until an update arrives, and answers [] after the timeout', async () => {
    const poll = bot.api.getUpdates({ timeout: 5 });
    await fake.waitFor(() => fake.pendingPolls === 1, 2000);
    const updateId = fake.sendText(USER, '/status now');
    const updates = await poll;
    expect(updates).toHaveLength(1);
    expect(updates[0]!.update_id).toBe(updateId);
    expect(updates[0]!.message).toMatchObject({
      text: '/status now',
      chat: { id: 42, type: 'private' },
      from: { id: 42, is_bot: false, username: 'ada' },
      entities: [{ type: 'bot_command', offset: 0, length: 7 }],
    });
    expect(fake.pendingPolls).toBe(0);

    const started = Date.now();
    const empty = await bot.api.getUpdates({ offset: updateId + 1, timeout: 1 });
    expect(empty).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('redelivers unconfirmed updates and never confirmed ones', async () => {
    const a = fake.sendText(USER, 'one');
    const b = fake.sendText(USER, 'two');
    expect((await bot.api.getUpdates({ timeout: 0 })).map((u) => u.update_id)).toEqual([a, b]);
    // Not confirmed yet: a restarted bot (no offset) sees both again.
    expect((await bot.api.getUpdates({ timeout: 0 })).map((u) => u.update_id)).toEqual([a, b]);
    expect((await bot.api.getUpdates({ offset: a + 1, timeout: 0 })).map((u) => u.update_id)).toEqual([b]);
    expect(fake.confirmedOffset).toBe(a + 1);
    // An older offset cannot resurrect a confirmed update.
    expect((await bot.api.getUpdates({ offset: 0, timeout: 0 })).map((u) => u.update_id)).toEqual([b]);
    await bot.api.getUpdates({ offset: b + 1, timeout: 0 });
    expect(await bot.api.getUpdates({ timeout: 0 })).toEqual([]);
    expect(fake.calls).toHaveLength(0); // getUpdates is never recorded
  });

  it('answers 409 to concurrent pollers and while a webhook is set', async () => {
    const first = bot.api.getUpdates({ timeout: 5 });
    await fake.waitFor(() => fake.pendingPolls === 1, 2000);
    const second = bot.api.getUpdates({ timeout: 1 });
    const err = await apiError(first); // like the real API, the older request loses
    expect(err.error_code).toBe(409);
    expect(err.description).toContain('terminated by other getUpdates request');
    expect(await second).toEqual([]);

    fake.webhookUrl = 'https://example.invalid/hook';
    expect((await bot.api.getWebhookInfo()).url).toBe('https://example.invalid/hook');
    const hookErr = await apiError(bot.api.getUpdates({ timeout: 0 }));
    expect(hookErr.error_code).toBe(409);
    expect(hookErr.description).toContain("can't use getUpdates method while webhook is active");
    expect(await bot.api.deleteWebhook()).toBe(true);
    expect(fake.webhookUrl).toBe('');
    expect(await bot.api.getUpdates({ timeout: 0 })).toEqual([]);
  });

  it('validates sendMessage text like the real API', async () => {
    expect((await apiError(bot.api.sendMessage(42, ''))).description).toBe('Bad Request: message text is empty');
    expect((await apiError(bot.api.sendMessage(42, 'x'.repeat(4097)))).description).toBe('Bad Request: message is too long');
    for (const broken of ['<b>bold', '<b><i>x</b></i>', 'a < b', 'fish & chips', '<div>x</div>']) {
      const err = await apiError(bot.api.sendMessage(42, broken, { parse_mode: 'HTML' }));
      expect(err.description).toMatch(/^Bad Request: can't parse entities: /);
    }
    const tooLongData = await apiError(bot.api.sendMessage(42, 'pick', {
      reply_markup: { inline_keyboard: [[{ text: 'x', callback_data: 'd'.repeat(65) }]] },
    }));
    expect(tooLongData.description).toBe('Bad Request: BUTTON_DATA_INVALID');

    // 4096 is measured after entity parsing, so markup does not count.
    const long = await bot.api.sendMessage(42, `<b>${'y'.repeat(4096)}</b>`, { parse_mode: 'HTML' });
    expect(long.text).toHaveLength(4096);
    const ok = await bot.api.sendMessage(42, '<b>1 &lt; 2</b> &amp; <a href="https://x.y">link</a> &#33;', { parse_mode: 'HTML' });
    expect(ok.text).toBe('1 < 2 & link !');
    expect(ok.message_id).toBe(1001);
    expect(ok.chat).toMatchObject({ id: 42, type: 'private' });
    expect(fake.textsTo(42)).toHaveLength(2);
    expect(fake.calls.filter((c) => c.answeredWith === 'error')).toHaveLength(8);
  });

  it('rejects an editMessageText that changes nothing, and unknown messages', async () => {
    const keyboard = { inline_keyboard: [[{ text: 'Yes', callback_data: 'confirm:1' }]] };
    const msg = await bot.api.sendMessage(42, 'Proceed?', { reply_markup: keyboard });
    const same = await apiError(bot.api.editMessageText(42, msg.message_id, 'Proceed?', { reply_markup: keyboard }));
    expect(same.description).toMatch(/^Bad Request: message is not modified/);
    const edited = await bot.api.editMessageText(42, msg.message_id, 'Done.');
    expect(edited).toMatchObject({ message_id: msg.message_id, text: 'Done.' });
    const missing = await apiError(bot.api.editMessageText(42, 999_999, 'x'));
    expect(missing.description).toBe('Bad Request: message to edit not found');
    expect(fake.sentTo(42).map((c) => c.method)).toEqual(['sendMessage', 'editMessageText']);
  });

  it('delivers button presses and accepts each callback query answer only once', async () => {
    const msg = await bot.api.sendMessage(42, 'Approve trade?', {
      reply_markup: { inline_keyboard: [[{ text: 'Approve', callback_data: 'approve:7' }]] },
    });
    const queryId = fake.pressButton(USER, 'approve:7', msg.message_id);
    const [update] = await bot.api.getUpdates({ timeout: 0 });
    expect(update!.callback_query).toMatchObject({ id: queryId, data: 'approve:7', message: { message_id: msg.message_id, text: 'Approve trade?' } });
    expect(await bot.api.answerCallbackQuery(queryId, { text: 'Approved' })).toBe(true);
    const again = await apiError(bot.api.answerCallbackQuery(queryId));
    expect(again.description).toBe('Bad Request: query is too old and response timeout expired or query ID is invalid');
    expect((await apiError(bot.api.answerCallbackQuery('nope'))).error_code).toBe(400);
  });

  it('applies a 429 fault plan without side effects', async () => {
    fake.faults = (method, _params, index) => (method === 'sendMessage' && index === 0 ? { kind: '429', retryAfter: 3 } : undefined);
    const err = await apiError(bot.api.sendMessage(42, 'hello'));
    expect(err.error_code).toBe(429);
    expect(err.description).toBe('Too Many Requests: retry after 3');
    expect(err.parameters.retry_after).toBe(3);
    expect(fake.textsTo(42)).toEqual([]);

    const sent = await bot.api.sendMessage(42, 'hello');
    expect(sent.message_id).toBe(1000); // the faulted call consumed no message id
    expect(fake.textsTo(42)).toEqual(['hello']);
    expect(fake.calls.map((c) => [c.method, c.answeredWith, c.errorCode])).toEqual([
      ['sendMessage', 'error', 429],
      ['sendMessage', 'ok', undefined],
    ]);
  });

  it('a timeout fault drops the connection without answering or effect', async () => {
    fake.faults = () => ({ kind: 'timeout', ms: 50 });
    const err = await bot.api.sendMessage(42, 'lost').then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect(fake.calls).toMatchObject([{ method: 'sendMessage', answeredWith: 'error', errorCode: 0 }]);
    fake.faults = undefined;
    expect((await bot.api.sendMessage(42, 'found')).message_id).toBe(1000);
  });
});
