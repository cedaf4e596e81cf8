import type { Ctx, Handler } from '../src/core/handler.js';
import { UserError } from '../src/core/errors.js';
import { bold, code, plain, type Button, type Outbound, type Span } from '../src/core/message.js';
import { roleAtLeast } from '../src/access/roles.js';
import { LAMPORTS_PER_SOL } from '../src/trading/base58.js';
import { BUY_USAGE, parseBuyArgs, parsePlanWords } from '../src/trading/buy-args.js';
import { describePlan, formatPlanArgs, stopPrice } from '../src/trading/tpsl.js';
import { pct, price, shortMint, signedSol, sol, tokens } from '../src/trading/format.js';
import type { PnlReport } from '../src/trading/service.js';
import type { Position } from '../src/trading/store.js';
import { fillText, startGuidedBuy } from '../conversations/buy.js';
import { askBuyConfirm } from '../conversations/buyconfirm.js';
import { askSellConfirm, needsSellConfirm, notOpen, openPosition, sellAndReply } from '../conversations/sellconfirm.js';

/**
 * Trading from chat: /buy (always with TP/SL), /positions with a card and buttons per position,
 * /sell, /tpsl and /pnl. Button data is `pos:s<percent>:<id>` to sell (effect act, so lockdown
 * refuses it) and `pos:vref:<id>` / `pos:vedit:<id>` to look (read). Nothing in the data is
 * trusted: every press looks the position up again as the caller's own, and open.
 */

const SELL_USAGE = '/sell <id> [percent], e.g. /sell 3 50. See /positions for ids.';
const TPSL_USAGE = '/tpsl <id> tp=50:50,100:50 sl=20 [trail]';
const POS_DATA = /^pos:(s(\d{1,3})|vref|vedit):(\d{1,15})$/;

export function parseId(text: string | undefined): number | undefined {
  const m = /^#?(\d{1,15})$/.exec(text ?? '');
  return m ? Number(m[1]) : undefined;
}

function unrealised(p: Position): { lamports: number; pct: number } | undefined {
  if (p.lastPrice === null || p.tokensBought === 0n || p.tokensLeft === 0n) return undefined;
  const value = (Number(p.tokensLeft) / 10 ** p.decimals) * p.lastPrice * LAMPORTS_PER_SOL;
  const basis = (p.costLamports * Number(p.tokensLeft)) / Number(p.tokensBought);
  return { lamports: Math.round(value - basis), pct: basis > 0 ? ((value - basis) / basis) * 100 : 0 };
}

const STATE: Record<Position['state'], string> = { pending: 'being bought', open: 'open', exiting: 'being sold', closed: 'closed', failed: 'failed' };

export function positionCard(p: Position): Outbound {
  const u = unrealised(p);
  const spans: Span[] = [
    bold(`#${p.id} ${shortMint(p.mint)}`),
    plain(` · ${p.mode} · ${STATE[p.state]}\n`),
    plain(`Entry ${price(p.entryPrice)} SOL`),
    plain(p.lastPrice === null ? ' · no price yet' : ` · last ${price(p.lastPrice)} SOL${u ? `, unrealised ${signedSol(u.lamports)} (${pct(u.pct)})` : ''}`),
    plain(`\nHolding ${tokens(p.tokensLeft, p.decimals)} of ${tokens(p.tokensBought, p.decimals)} tokens bought for ${sol(p.costLamports)}`),
    plain(p.realizedLamports > 0 ? `; sold so far for ${sol(p.realizedLamports)}` : ''),
    plain(`\n${describePlan(p.plan)}; stop now at ${price(stopPrice(p))} SOL`),
  ];
  if (p.exit && p.state === 'open') spans.push(plain(`\nA ${p.exit.reason === 'manual' ? 'sale' : p.exit.reason === 'tp' ? 'take-profit sale' : 'stop-loss sale'} is waiting to retry.`));
  const refresh: Button = { label: 'Refresh', data: `pos:vref:${p.id}` };
  const buttons: Button[][] =
    p.state === 'open'
      ? [
          [25, 50, 100].map((n) => ({ label: `Sell ${n}%`, data: `pos:s${n}:${p.id}` })),
          [{ label: 'Edit TP/SL', data: `pos:vedit:${p.id}` }, refresh],
        ]
      : [[refresh]];
  return { text: spans, buttons };
}

/** One message per active position (pending, open or being sold). */
export async function replyPositions(ctx: Ctx): Promise<void> {
  const list = ctx.services.trading.positions(ctx.key);
  if (list.length === 0) {
    await ctx.reply('You have no open positions. Buy with /buy, or open the menu with /demo.');
    return;
  }
  for (const p of list) await ctx.reply(positionCard(p));
}

const PERIOD: Record<PnlReport['period'], string> = { day: 'today (since 00:00 UTC)', week: 'the last 7 days', all: 'all time' };

export function pnlText(r: PnlReport): Span[] {
  const rate = r.closedPositions > 0 ? `, win rate ${Math.round((r.wins / r.closedPositions) * 100)}%` : '';
  return [
    bold(`PnL ${PERIOD[r.period]}`),
    plain(`\nRealised: ${signedSol(r.realizedLamports)} from ${r.sells} ${r.sells === 1 ? 'sale' : 'sales'}`),
    plain(`\nUnrealised: ${signedSol(r.unrealizedLamports)} on ${r.open} open ${r.open === 1 ? 'position' : 'positions'}`),
    plain(`\nClosed positions: ${r.closedPositions}, ${r.wins} won${rate}`),
  ];
}

export function parsePeriod(text: string): PnlReport['period'] {
  const t = text.trim().toLowerCase();
  if (t === '' || t === 'day' || t === 'today') return 'day';
  if (t === 'week' || t === 'all') return t;
  throw new UserError('Usage: /pnl [day|week|all]');
}

/** Sells, or asks first when it is a large live sale. */
async function sellOrConfirm(ctx: Ctx, id: number, percent: number): Promise<void> {
  if (!(percent >= 1 && percent <= 100)) throw new UserError('Sell between 1% and 100% of a position.');
  const p = openPosition(ctx, id);
  if (needsSellConfirm(ctx, p, percent)) return askSellConfirm(ctx, p, percent);
  await sellAndReply(ctx, id, percent);
}

async function buy(ctx: Ctx, text: string): Promise<void> {
  if (text === '') return startGuidedBuy(ctx);
  const args = parseBuyArgs(text);
  if (typeof args === 'string') throw new UserError(args);
  const { trading } = ctx.services;
  const plan = await trading.prepareBuy(ctx.key, args);
  if (plan.needsConfirm) return askBuyConfirm(ctx, plan);
  if (plan.mode === 'live') await ctx.reply(`Buying ${sol(plan.lamports)} of ${shortMint(plan.mint)} with real SOL…`);
  const position = await trading.buy(ctx.key, ctx.inbound.chatId, plan);
  await ctx.reply(fillText(position, plan.feeLamports));
}

async function sell(ctx: Ctx, text: string): Promise<void> {
  const [idText, pctText, ...rest] = text.split(/\s+/).filter(Boolean);
  const id = parseId(idText);
  const m = pctText === undefined ? undefined : /^(\d{1,3}(?:\.\d{1,2})?)%?$/.exec(pctText);
  if (id === undefined || (pctText !== undefined && !m) || rest.length) throw new UserError(`Usage: ${SELL_USAGE}`);
  await sellOrConfirm(ctx, id, m ? Number(m[1]) : 100);
}

async function editTpsl(ctx: Ctx, text: string): Promise<void> {
  const [idText, ...words] = text.split(/\s+/).filter(Boolean);
  const id = parseId(idText);
  if (id === undefined || words.length === 0) throw new UserError(`Usage: ${TPSL_USAGE}`);
  const change = parsePlanWords(words.join(' '));
  if (typeof change === 'string') throw new UserError(change);
  openPosition(ctx, id);
  // Restating the stop-loss without `trail` makes it a fixed one again; leaving it out keeps it as it was.
  const trailing = change.trailing ?? (change.slPct !== undefined ? false : undefined);
  const p = ctx.services.trading.editPlan(ctx.key, id, { tp: change.tp, slPct: change.slPct, trailing });
  await ctx.reply(`Position #${id} now: ${describePlan(p.plan)}; stop at ${price(stopPrice(p))} SOL.`);
}

async function press(ctx: Ctx, action: string, percent: number | undefined, id: number): Promise<void> {
  if (!roleAtLeast(ctx.role, 'user')) throw new UserError('You are not allowed to do that.');
  if (percent !== undefined) return sellOrConfirm(ctx, id, percent);
  if (action === 'vedit') {
    const p = openPosition(ctx, id);
    await ctx.reply([
      plain(`Position #${id}: ${describePlan(p.plan)}.\nTo change it, send (levels already sold stay done):\n`),
      code(`/tpsl ${id} ${formatPlanArgs(p.plan)}`),
    ]);
    return;
  }
  const p = ctx.services.trading.position(ctx.key, id);
  if (p.state === 'closed' || p.state === 'failed') throw new UserError(notOpen(p)!);
  const card = positionCard(p);
  const messageId = ctx.inbound.callback?.messageId;
  if (messageId) await ctx.edit({ chatId: ctx.inbound.chatId, messageId }, card);
  else await ctx.reply(card);
}

const trade: Handler = {
  name: 'trade',
  priority: 310,
  commands: [
    { name: 'buy', description: 'Buy a token, always with take-profit and stop-loss', role: 'user', effect: 'act', usage: BUY_USAGE.replace(/^\/buy /, '') },
    { name: 'positions', description: 'Your open positions, with sell buttons', role: 'user', effect: 'read' },
    { name: 'sell', description: 'Sell part or all of a position', role: 'user', effect: 'act', usage: '<id> [percent]' },
    { name: 'tpsl', description: 'Change the take-profit and stop-loss of a position', role: 'user', effect: 'act', usage: '<id> tp=50:50,100:50 sl=20 [trail]' },
    { name: 'pnl', description: 'Profit and loss: realised, unrealised, win rate', role: 'user', effect: 'read', usage: '[day|week|all]' },
  ],
  callbacks: [
    { prefix: 'pos:s', role: 'user', effect: 'act' },
    { prefix: 'pos:v', role: 'user', effect: 'read' },
  ],
  async handle(ctx, next) {
    const cb = ctx.inbound.callback;
    if (cb) {
      const m = POS_DATA.exec(cb.data);
      if (!m) return next();
      return press(ctx, m[1]!, m[2] === undefined ? undefined : Number(m[2]), Number(m[3]));
    }
    const args = ctx.command?.args ?? '';
    switch (ctx.command?.name) {
      case 'buy':
        return buy(ctx, args);
      case 'sell':
        return sell(ctx, args);
      case 'tpsl':
        return editTpsl(ctx, args);
      case 'positions':
        return replyPositions(ctx);
      case 'pnl':
        await ctx.reply(pnlText(ctx.services.trading.pnl(ctx.key, parsePeriod(args))));
        return;
      default:
        return next();
    }
  },
};

export default trade;
