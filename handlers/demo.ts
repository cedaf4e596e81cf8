import type { Ctx, Handler } from '../src/core/handler.js';
import { UserError } from '../src/core/errors.js';
import { bold, plain, type Outbound } from '../src/core/message.js';
import { roleAtLeast } from '../src/access/roles.js';
import { sol } from '../src/trading/format.js';
import { startGuidedBuy } from '../conversations/buy.js';
import { pnlText, replyPositions } from './trade.js';
import { settingsView } from './trading-settings.js';

/**
 * /demo: the trading menu, so a person can start without knowing a command. Buttons carry
 * `demo:<what>`; all only read, except Buy (`demo:buy`, declared 'act' so lockdown refuses it
 * before the guided buy even starts). Each press re-checks the caller, as any button must.
 */

async function menu(ctx: Ctx): Promise<Outbound> {
  const { trading } = ctx.services;
  const bal = await trading.balance(ctx.key);
  const open = trading.positions(ctx.key).length;
  return {
    text: [
      bold(`Trading (${bal.mode})`),
      plain(bal.mode === 'paper' ? '\nPaper mode: trades are simulated, no real SOL moves.' : '\nLive mode: trades use real SOL from the wallet.'),
      plain(`\nBalance: ${sol(bal.lamports)}`),
      plain(`\nOpen positions: ${open}`),
      plain(`\n${trading.describeLimits(ctx.key)}`),
    ],
    buttons: [
      [
        { label: 'Balance', data: 'demo:balance' },
        { label: 'Positions', data: 'demo:positions' },
      ],
      [
        { label: 'Buy', data: 'demo:buy' },
        { label: 'Settings', data: 'demo:settings' },
        { label: 'PnL', data: 'demo:pnl' },
      ],
    ],
  };
}

const demo: Handler = {
  name: 'demo',
  priority: 300,
  commands: [{ name: 'demo', description: 'Trading menu: balance, positions, buy, settings, PnL', role: 'user', effect: 'read' }],
  callbacks: [
    { prefix: 'demo:', role: 'user', effect: 'read' },
    { prefix: 'demo:buy', role: 'user', effect: 'act' },
  ],
  async handle(ctx, next) {
    if (ctx.command?.name === 'demo') {
      await ctx.reply(await menu(ctx));
      return;
    }
    const data = ctx.inbound.callback?.data;
    if (!data?.startsWith('demo:')) return next();
    if (!roleAtLeast(ctx.role, 'user')) throw new UserError('You are not allowed to do that.');
    const { trading } = ctx.services;
    switch (data) {
      case 'demo:balance': {
        const bal = await trading.balance(ctx.key);
        await ctx.reply(`Balance: ${sol(bal.lamports)} (${bal.mode}).`);
        return;
      }
      case 'demo:positions':
        return replyPositions(ctx);
      case 'demo:buy':
        return startGuidedBuy(ctx);
      case 'demo:settings':
        await ctx.reply(settingsView(ctx));
        return;
      case 'demo:pnl':
        await ctx.reply(pnlText(trading.pnl(ctx.key, 'day')));
        return;
      default:
        return next();
    }
  },
};

export default demo;
