import type { Handler } from '../src/core/handler.js';

const cancel: Handler = {
  name: 'cancel',
  priority: 105,
  commands: [{ name: 'cancel', description: 'Stop the current flow', role: 'user', effect: 'read' }],
  async handle(ctx, next) {
    if (ctx.command?.name !== 'cancel') return next();
    const { flow, running } = ctx.services.flows.cancel(ctx);
    if (running) await ctx.reply(`Too late to cancel /${flow}: its last step is already running.`);
    else await ctx.reply(flow ? `Cancelled /${flow}.` : 'Nothing to cancel.');
  },
};

export default cancel;
