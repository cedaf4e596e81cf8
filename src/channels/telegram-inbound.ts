import type { Update } from 'grammy/types';
import type { Inbound } from '../core/message.js';
import { truncate } from '../core/render.js';

/** Commands that must not wait behind a busy chat. */
const CONTROL_COMMANDS = /^\/(cancel|lockdown)(@\w+)?(\s|$)/i;

export function isControlCommand(text: string | undefined): boolean {
  return !!text && CONTROL_COMMANDS.test(text);
}

function displayName(from: { first_name?: string; last_name?: string; username?: string }): string {
  const name = [from.first_name, from.last_name].filter(Boolean).join(' ').trim();
  return truncate(name || from.username || 'someone', 64);
}

/**
 * Translates a Telegram update into an Inbound; undefined for what Jarvis does not take
 * (other bots, channel posts, edits, service messages, commands for another bot, unknown kinds).
 */
export function telegramInbound(update: Update, botUsername: string, now: number): Inbound | undefined {
  if (update.message) {
    const m = update.message;
    if (!m.from || m.from.is_bot) return undefined;
    let text = typeof m.text === 'string' ? m.text : typeof m.caption === 'string' ? m.caption : undefined;
    const doc = m.document;
    if (text === undefined && !doc) return undefined;
    const cmd = text === undefined ? null : /^\/[A-Za-z0-9_]+@([A-Za-z0-9_]+)/.exec(text);
    if (cmd && text !== undefined) {
      if (cmd[1]!.toLowerCase() !== botUsername.toLowerCase()) return undefined;
      text = text.replace(`@${cmd[1]}`, '');
    }
    return {
      channel: 'telegram',
      chatId: String(m.chat.id),
      chatKind: m.chat.type === 'private' ? 'private' : 'group',
      userId: String(m.from.id),
      displayName: displayName(m.from),
      ...(text !== undefined ? { text } : {}),
      ...(doc ? { file: { id: doc.file_id, name: truncate(doc.file_name ?? 'file', 120), ...(doc.file_size !== undefined ? { size: doc.file_size } : {}) } } : {}),
      messageId: String(m.message_id),
      updateId: String(update.update_id),
      receivedAt: now,
    };
  }
  if (update.callback_query) {
    const q = update.callback_query;
    if (typeof q.data !== 'string') return undefined;
    const chat = q.message?.chat;
    return {
      channel: 'telegram',
      chatId: String(chat?.id ?? q.from.id),
      chatKind: !chat || chat.type === 'private' ? 'private' : 'group',
      userId: String(q.from.id),
      displayName: displayName(q.from),
      callback: { queryId: q.id, data: q.data, messageId: q.message ? String(q.message.message_id) : undefined },
      updateId: String(update.update_id),
      receivedAt: now,
    };
  }
  return undefined;
}

/** The key that keeps one chat's updates in order; control commands get none and run at once. */
export function sequenceKey(update: Update): string | undefined {
  const text = update.message?.text;
  if (isControlCommand(text)) return undefined;
  const chatId = update.message?.chat.id ?? update.callback_query?.message?.chat.id ?? update.callback_query?.from.id;
  return chatId === undefined ? undefined : String(chatId);
}
