import type { Handler } from '../src/core/handler.js';

/** Over the per-user budget: one "slow down", then silence until the bucket refills. */
const rateLimit: Handler = {
  name: 'rate-limit',
  priority: 30,
  async handle(ctx, next) {
    const limiter = ctx.services.rateLimiter;
    if (!limiter || ctx.inbound.channel === 'console') return next();
    const decision = limiter.take(ctx.key);
    if (decision === 'ok') return next();
    ctx.outcome = 'limited';
    if (decision === 'limited-first') await ctx.reply('Slow down a little: you are sending faster than I take messages. Try again in a few seconds.');
  },
};

export default rateLimit;
