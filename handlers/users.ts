import type { Handler } from '../src/core/handler.js';
import { plain, bold, type Span } from '../src/core/message.js';
import { roleQuestion } from '../conversations/allow.js';
import { grantRole, parseRole, requireIdentity, revokeRole } from '../src/access/grants.js';
import { UserError } from '../src/core/errors.js';

/** Admin commands over who may use Jarvis: /users, /allow, /deny. */
const users: Handler = {
  name: 'users',
  priority: 200,
  commands: [
    { name: 'users', description: 'Who may use Jarvis', role: 'admin', effect: 'read' },
    { name: 'allow', description: 'Let someone use Jarvis', role: 'admin', effect: 'read', usage: '[channel:id] [admin|user]' },
    { name: 'deny', description: 'Take someone’s access away', role: 'admin', effect: 'read', usage: '<channel:id>' },
  ],
  async handle(ctx, next) {
    const s = ctx.services;
    switch (ctx.command?.name) {
      case 'users': {
        const spans: Span[] = [bold('Users'), plain('\n')];
        for (const u of s.roles.list()) {
          spans.push(plain(`${u.key} — ${u.role}${u.source === 'config' ? ' (owner, from config)' : ` (by ${u.grantedBy})`}\n`));
        }
        await ctx.reply(spans);
        return;
      }
      case 'allow': {
        const [who, roleArg, ...rest] = ctx.command.args.split(/\s+/).filter(Boolean);
        if (!who) {
          s.flows.start(ctx, 'allow', 'who');
          await ctx.reply('Who should I allow? Send their id as channel:id (they get it from /start), or /cancel.');
          return;
        }
        const target = requireIdentity(who);
        const role = roleArg === undefined ? undefined : parseRole(roleArg);
        if ((roleArg !== undefined && !role) || rest.length) throw new UserError('Usage: /allow <channel:id> [admin|user]');
        if (!role) {
          const run = s.flows.start(ctx, 'allow', 'role', { target: `${target.channel}:${target.userId}` });
          await ctx.reply(roleQuestion(`${target.channel}:${target.userId}`, run));
          return;
        }
        await ctx.reply(grantRole(s, ctx.key, target, role));
        return;
      }
      case 'deny': {
        const args = ctx.command.args.split(/\s+/).filter(Boolean);
        if (args.length !== 1) throw new UserError('Usage: /deny <channel:id>');
        await ctx.reply(revokeRole(s, ctx.key, requireIdentity(args[0]!)));
        return;
      }
      default:
        return next();
    }
  },
};

export default users;
