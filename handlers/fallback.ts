import type { Handler } from '../src/core/handler.js';
import { EXPIRED_BUTTON } from './conversation.js';

/** After every command handler: unknown commands and stale buttons get a clear answer. */
const fallback: Handler = {
  name: 'fallback',
  priority: 900,
  async handle(ctx, next) {
    if (ctx.command) {
      ctx.outcome = 'ignored';
      await ctx.reply('Unknown command, see /help');
      return;
    }
    if (ctx.inbound.callback) {
      ctx.outcome = 'ignored';
      await ctx.answerCallback(EXPIRED_BUTTON);
      return;
    }
    await next();
  },
};

export default fallback;
