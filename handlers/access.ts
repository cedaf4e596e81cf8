import type { Handler } from '../src/core/handler.js';
import { roleAtLeast } from '../src/access/roles.js';
import { truncate } from '../src/core/render.js';

/**
 * Strangers reach nothing: each attempt is audited and answered at most once per interval.
 * Known users are checked against the role each command or button needs.
 */
const access: Handler = {
  name: 'access',
  priority: 10,
  async handle(ctx, next) {
    const { audit, strangers, registry } = ctx.services;
    if (ctx.role === 'stranger') {
      ctx.outcome = 'denied';
      // Group chatter not addressed to Jarvis is neither answered nor audited; nor is a flood.
      if (ctx.inbound.chatKind === 'group' && !ctx.command && !ctx.inbound.callback) return;
      if (ctx.services.rateLimiter && ctx.services.rateLimiter.take(ctx.key) !== 'ok') return;
      audit.record({
        actor: ctx.key,
        action: ctx.command ? `/${ctx.command.name}` : ctx.inbound.callback ? 'button' : 'message',
        outcome: 'denied',
        detail: truncate(`stranger ${ctx.inbound.displayName}`, 120),
      });
      if (strangers.shouldReply(ctx.key)) {
        await ctx.reply(
          `Hello! This is a private Jarvis. Your id is ${ctx.key}. The owner must allow you before you can use it: send them this id.`,
        );
      }
      return;
    }
    const needed = ctx.command?.spec?.role ?? (ctx.inbound.callback ? registry.callback(ctx.inbound.callback.data)?.role : undefined);
    if (needed && !roleAtLeast(ctx.role, needed)) {
      ctx.outcome = 'denied';
      audit.record({ actor: ctx.key, action: ctx.command ? `/${ctx.command.name}` : 'button', outcome: 'denied', detail: `needs ${needed}` });
      await ctx.reply(needed === 'admin' ? 'That is for admins only.' : 'You are not allowed to do that.');
      return;
    }
    await next();
  },
};

export default access;
