import type { Flow } from '../src/core/flows.js';
import { confirmAnswer } from '../src/core/flows.js';
import type { Ctx } from '../src/core/handler.js';
import { UserError } from '../src/core/errors.js';
import { formatDuration } from '../src/core/render.js';
import type { ExitResult } from '../src/trading/exits.js';
import type { Position } from '../src/trading/store.js';
import { pct, shortMint, signedSol, sol, tokens, txLink } from '../src/trading/format.js';
import { LAMPORTS_PER_SOL } from '../src/trading/base58.js';
import { confirmButtons, within } from './buy.js';

/**
 * Manual sells: the answer a person gets, and the confirmation a large live sale needs first
 * (its size is the cost basis of the share sold, compared with TRADING_LIVE_CONFIRM_ABOVE_SOL).
 * The flow stores the position's version, so a confirmation given after a take-profit or a
 * stop-loss changed the position does not sell a share the person did not see.
 */

/** Base units a sale of `percent`% of what is left sells (the service's rounding). */
export function tokensFor(p: Position, percent: number): bigint {
  return percent >= 100 ? p.tokensLeft : (p.tokensLeft * BigInt(Math.round(percent * 100))) / 10_000n;
}

/** Cost basis, in lamports, of the tokens a sale of `percent`% sells. */
export function sellSize(p: Position, percent: number): number {
  return p.tokensBought > 0n ? Math.round((p.costLamports * Number(tokensFor(p, percent))) / Number(p.tokensBought)) : 0;
}

export function needsSellConfirm(ctx: Ctx, p: Position, percent: number): boolean {
  return p.mode === 'live' && sellSize(p, percent) >= ctx.services.config.trading.liveConfirmAboveLamports;
}

/** The reason a position cannot be sold or edited now, for a person; undefined when it is open. */
export function notOpen(p: Position): string | undefined {
  switch (p.state) {
    case 'open':
      return undefined;
    case 'closed':
      return `Position #${p.id} is closed (result ${signedSol(p.realizedLamports - p.costLamports)}). See /pnl.`;
    case 'exiting':
      return `Position #${p.id} is being sold right now; you will get a message when it completes.`;
    case 'pending':
      return `Position #${p.id} is still being bought.`;
    case 'failed':
      return `Position #${p.id} never opened: the buy failed${p.failure ? ` (${p.failure})` : ''}.`;
  }
}

/** The caller's position, open; a UserError says why not otherwise. */
export function openPosition(ctx: Ctx, id: number): Position {
  const p = ctx.services.trading.position(ctx.key, id);
  const why = notOpen(p);
  if (why) throw new UserError(why);
  return p;
}

export function sellResultText(r: ExitResult, id: number, percent: number, now: number): string {
  if (r.status === 'not_claimed') {
    return r.state === 'closed' ? `Position #${id} is already closed.` : `Position #${id} is already being sold; you will get a message when it completes.`;
  }
  if (r.status === 'failed') {
    const when = r.retryAt > now ? `in ${formatDuration(r.retryAt - now)}` : 'shortly';
    return `Selling position #${id} did not go through: ${r.message} I will retry it myself ${when}; no need to press Sell again.`;
  }
  const p = r.position;
  const basis = r.proceeds - r.pnl;
  const lines = [
    `Sold ${percent >= 100 ? 'all' : `${percent}%`} of${p.mode === 'paper' ? ' paper' : ''} position #${id} (${shortMint(p.mint)}): received ${sol(r.proceeds)}.`,
    `PnL ${signedSol(r.pnl)} (${pct(basis > 0 ? (r.pnl / basis) * 100 : 0)}).`,
    p.state === 'closed' ? 'The position is now closed.' : `${tokens(p.tokensLeft, p.decimals)} tokens left.`,
  ];
  if (r.signature) lines.push(txLink(r.signature));
  return lines.join('\n');
}

/** Sells now and says how it went. */
export async function sellAndReply(ctx: Ctx, id: number, percent: number): Promise<void> {
  const r = await ctx.services.trading.sell(ctx.key, id, percent);
  await ctx.reply(sellResultText(r, id, percent, ctx.services.clock.now()));
}

/** Asks to confirm a sale; Confirm sells only if pressed in time and the position did not change. */
export async function askSellConfirm(ctx: Ctx, p: Position, percent: number): Promise<void> {
  const { flows, clock, config } = ctx.services;
  const ttl = config.trading.confirmTtlMs;
  const run = flows.start(ctx, 'sellconfirm', 'confirm', { id: p.id, percent, version: p.version, expiresAt: clock.now() + ttl });
  const amount = tokensFor(p, percent);
  const worth = p.lastPrice !== null ? `, worth about ${sol(Math.round((Number(amount) / 10 ** p.decimals) * p.lastPrice * LAMPORTS_PER_SOL))} at the last price` : '';
  await ctx.reply({
    text: `Sell ${percent >= 100 ? 'all' : `${percent}%`} of live position #${p.id} (${shortMint(p.mint)}): ${tokens(amount, p.decimals)} tokens that cost ${sol(sellSize(p, percent))}${worth}? This sells for real SOL. Confirm within ${within(ttl)}.`,
    buttons: confirmButtons('sellconfirm', 'confirm', run),
  });
}

const sellConfirm: Flow = {
  name: 'sellconfirm',
  role: 'user',
  effect: 'act',
  steps: {
    async confirm(ctx, input, data) {
      const answer = confirmAnswer(input);
      if (!answer) {
        await ctx.reply('Press Confirm or Cancel (or send /cancel).');
        return { stay: true };
      }
      const id = Number(data.id);
      const percent = Number(data.percent);
      if (typeof data.expiresAt !== 'number' || ctx.services.clock.now() > data.expiresAt) {
        await ctx.reply(`This confirmation has expired, so position #${id} was not sold. Press Sell again to sell it.`);
        return { done: true };
      }
      if (answer === 'no') {
        await ctx.reply(`Cancelled: position #${id} was not sold.`);
        return { done: true };
      }
      const p = openPosition(ctx, id);
      if (p.version !== data.version) throw new UserError(`Position #${id} changed since you asked (part of it may have sold), so nothing was sold. Look again with /positions.`);
      await sellAndReply(ctx, id, percent);
      return { done: true };
    },
  },
};

export default sellConfirm;
