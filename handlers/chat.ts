import type { Handler } from '../src/core/handler.js';
import { parseRememberRequest } from '../src/memory/remember-request.js';

/**
 * Free text that no command or flow took, in a private chat: answered by the routed model with
 * recalled memories and recent turns, streamed into one message (src/llm/chat.ts). Without a
 * model set up it passes on, and the last link says which commands exist. Strangers never get
 * here (the access link stops them first).
 */
const chat: Handler = {
  name: 'chat',
  priority: 1000,
  async handle(ctx, next) {
    const text = ctx.inbound.text?.trim();
    if (ctx.command || ctx.inbound.callback || !text || ctx.inbound.chatKind !== 'private') return next();
    const { chat: service, llm } = ctx.services;
    // Without a model, only "remember that …" is still understood.
    if (!llm.configured && !parseRememberRequest(text)) return next();
    await service.answer(ctx.key, ctx.inbound.chatId, text, ctx);
  },
};

export default chat;
