import type { Handler } from '../src/core/handler.js';
import { bold, plain, type Span } from '../src/core/message.js';

/** /start and /help; the command list comes from the registry, filtered by the caller's role. */
const startHelp: Handler = {
  name: 'start-help',
  priority: 100,
  commands: [
    { name: 'start', description: 'Introduction', role: 'user', effect: 'read' },
    { name: 'help', description: 'The commands you can use', role: 'user', effect: 'read' },
  ],
  async handle(ctx, next) {
    const name = ctx.command?.name;
    if (name === 'start') {
      await ctx.reply([bold('Jarvis'), plain(` at your service, ${ctx.inbound.displayName}. You are ${ctx.role === 'admin' ? 'an admin' : 'a user'} here. Send /help to see what I can do.`)]);
      return;
    }
    if (name !== 'help') return next();
    const spans: Span[] = [bold('Commands'), plain('\n')];
    for (const c of ctx.services.registry.commandsFor(ctx.role)) {
      spans.push(plain(`/${c.name}${c.usage ? ` ${c.usage}` : ''} — ${c.description}\n`));
    }
    await ctx.reply(spans);
  },
};

export default startHelp;
