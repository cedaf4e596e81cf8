import type { Handler } from '../src/core/handler.js';

/**
 * The end of the chain: plain text nobody took. Until the chat module answers free text,
 * say what works instead (in private chats; groups are not spammed).
 */
const noChat: Handler = {
  name: 'no-chat',
  priority: 2000,
  async handle(ctx) {
    ctx.outcome = 'ignored';
    if (ctx.inbound.chatKind !== 'private') return;
    const text = ctx.inbound.text ?? '';
    if (text.trim() === '') return;
    await ctx.reply('I only answer commands for now. Send /help to see them.');
  },
};

export default noChat;
