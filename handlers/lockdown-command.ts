import type { Handler } from '../src/core/handler.js';
import { UserError } from '../src/core/errors.js';

/** /lockdown on|off: the kill switch. Not stuck behind a busy chat (see the Telegram channel). */
const lockdownCommand: Handler = {
  name: 'lockdown-command',
  priority: 210,
  commands: [{ name: 'lockdown', description: 'Refuse every action that moves money, machines or files', role: 'admin', effect: 'read', usage: 'on|off' }],
  async handle(ctx, next) {
    if (ctx.command?.name !== 'lockdown') return next();
    const { lockdown, audit } = ctx.services;
    const arg = ctx.command.args.toLowerCase();
    if (arg === '') {
      await ctx.reply(`Lockdown is ${lockdown.isOn() ? 'ON' : 'off'}. Use /lockdown on or /lockdown off.`);
      return;
    }
    if (arg !== 'on' && arg !== 'off') throw new UserError('Usage: /lockdown on|off');
    const on = arg === 'on';
    const changed = lockdown.isOn() !== on;
    lockdown.set(on);
    audit.record({ actor: ctx.key, action: 'lockdown', target: arg, outcome: changed ? 'ok' : 'noop' });
    ctx.log.warn({ lockdown: on }, 'lockdown changed');
    await ctx.reply(
      on
        ? 'Lockdown is ON. Every action that moves money, machines or files is refused until an admin sends /lockdown off. Reads still work.'
        : 'Lockdown is off. Actions are allowed again.',
    );
  },
};

export default lockdownCommand;
