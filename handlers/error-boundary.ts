import type { Handler } from '../src/core/handler.js';
import { DeliveryError, UserError, errorRef, somethingWentWrong } from '../src/core/errors.js';

/** First link: nothing thrown further down reaches the channel, and no stack trace reaches chat. */
const errorBoundary: Handler = {
  name: 'error-boundary',
  priority: 0,
  async handle(ctx, next) {
    try {
      await next();
    } catch (err) {
      if (err instanceof UserError) {
        ctx.outcome = 'user_error';
        await ctx.reply(err.message).catch((e) => ctx.log.warn({ err: e }, 'could not send error reply'));
        return;
      }
      const ref = errorRef();
      ctx.outcome = 'error';
      if (err instanceof DeliveryError) {
        ctx.log.warn({ err, ref, handler: ctx.handledBy }, 'could not deliver a reply');
        return;
      }
      ctx.log.error({ err, ref, handler: ctx.handledBy }, 'handler failed'); // handledBy: the deepest handler reached, the one that threw
      await ctx.reply(somethingWentWrong(ref)).catch(() => undefined);
    }
  },
};

export default errorBoundary;
