import type { Handler } from '../src/core/handler.js';
import { truncate } from '../src/core/render.js';

/** While lockdown is on, commands and buttons that move money, machines or files are refused. */
const lockdownGate: Handler = {
  name: 'lockdown',
  priority: 20,
  async handle(ctx, next) {
    const { lockdown, registry, audit } = ctx.services;
    if (!lockdown.isOn()) return next();
    const effect = ctx.command?.spec?.effect ?? (ctx.inbound.callback ? registry.callback(ctx.inbound.callback.data)?.effect : undefined);
    if (effect !== 'act') return next();
    ctx.outcome = 'refused';
    const action = ctx.command ? `/${ctx.command.name}` : `button ${truncate(ctx.inbound.callback?.data ?? '', 40)}`;
    audit.record({ actor: ctx.key, action, outcome: 'refused', detail: 'lockdown' });
    await ctx.reply('Refused: Jarvis is in lockdown, so nothing that moves money, machines or files runs. Reads still work. An admin can lift it with /lockdown off.');
  },
};

export default lockdownGate;
