import type { Handler } from '../src/core/handler.js';
import { statusReport } from '../src/ops/status-report.js';

const status: Handler = {
  name: 'status',
  priority: 110,
  commands: [
    { name: 'status', description: 'Uptime, channels, database and jobs', role: 'user', effect: 'read' },
    { name: 'whoami', description: 'Your id and role', role: 'user', effect: 'read' },
  ],
  async handle(ctx, next) {
    switch (ctx.command?.name) {
      case 'status':
        await ctx.reply(await statusReport(ctx.services));
        return;
      case 'whoami':
        await ctx.reply(`You are ${ctx.inbound.displayName}, ${ctx.key}, role ${ctx.role}.`);
        return;
      default:
        return next();
    }
  },
};

export default status;
