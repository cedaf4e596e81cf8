import { describe, expect, it } from 'vitest';
import type { Update } from 'grammy/types';
import { sequenceKey, telegramInbound } from '../../src/channels/telegram-inbound.js';

const from = { id: 7, is_bot: false, first_name: 'Ada', last_name: 'L' };
const msg = (text: string, chat: Record<string, unknown> = { id: 7, type: 'private' }) =>
  ({ update_id: 1, message: { message_id: 5, date: 0, chat, from, text } }) as unknown as Update;

describe('telegramInbound', () => {
  it('turns a private text message into an Inbound', () => {
    expect(telegramInbound(msg('/help'), 'jarvis_bot', 99)).toEqual({
      channel: 'telegram', chatId: '7', chatKind: 'private', userId: '7', displayName: 'Ada L', text: '/help', messageId: '5', updateId: '1', receivedAt: 99,
    });
  });

  it('strips our own @mention from a command in a group and drops commands for other bots', () => {
    const group = { id: -100, type: 'supergroup', title: 'g' };
    expect(telegramInbound(msg('/status@Jarvis_Bot now', group), 'jarvis_bot', 0)).toMatchObject({ text: '/status now', chatKind: 'group', chatId: '-100' });
    expect(telegramInbound(msg('/status@other_bot', group), 'jarvis_bot', 0)).toBeUndefined();
  });

  it('takes a button press with its data and the message it was on', () => {
    const u = { update_id: 2, callback_query: { id: 'q1', from, chat_instance: 'c', data: 'flow:allow:user', message: { message_id: 9, date: 0, chat: { id: 7, type: 'private' } } } } as unknown as Update;
    expect(telegramInbound(u, 'b', 0)).toMatchObject({ chatId: '7', userId: '7', callback: { queryId: 'q1', data: 'flow:allow:user', messageId: '9' } });
  });

  it('ignores other bots, service messages, edits and unknown update kinds', () => {
    const bot = { update_id: 3, message: { message_id: 1, date: 0, chat: { id: 1, type: 'private' }, from: { ...from, is_bot: true }, text: '/help' } } as unknown as Update;
    const service = { update_id: 4, message: { message_id: 1, date: 0, chat: { id: 1, type: 'private' }, from, new_chat_title: 'x' } } as unknown as Update;
    const noFrom = { update_id: 5, message: { message_id: 1, date: 0, chat: { id: 1, type: 'channel' }, text: 'x' } } as unknown as Update;
    for (const u of [bot, service, noFrom, { update_id: 6, edited_message: {} }, { update_id: 7, poll: {} }, { update_id: 8 }] as Update[]) {
      expect(telegramInbound(u, 'b', 0)).toBeUndefined();
    }
  });

  it('keeps chats in order but lets /cancel and /lockdown skip the queue', () => {
    expect(sequenceKey(msg('hello'))).toBe('7');
    expect(sequenceKey(msg('/cancel'))).toBeUndefined();
    expect(sequenceKey(msg('/lockdown on'))).toBeUndefined();
    expect(sequenceKey(msg('/cancellation'))).toBe('7');
  });
});
