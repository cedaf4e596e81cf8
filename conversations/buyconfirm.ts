import type { Flow } from '../src/core/flows.js';
import type { Ctx } from '../src/core/handler.js';
import type { BuyPlan } from '../src/trading/service.js';
import { confirmStep, INTERRUPTED_BUY, quoteData, quoteMessage } from './buy.js';

/**
 * The confirmation /buy asks for when presets filled in TP/SL or a live buy is large: the quote
 * with Confirm/Cancel, valid for TRADING_CONFIRM_TTL_SEC. The flow keeps only the resolved request
 * (strings and numbers); Confirm quotes and checks it again before buying.
 */
export async function askBuyConfirm(ctx: Ctx, plan: BuyPlan): Promise<void> {
  const { flows, clock, config } = ctx.services;
  const ttl = config.trading.confirmTtlMs;
  const run = flows.start(ctx, 'buyconfirm', 'confirm', quoteData(plan, clock.now() + ttl));
  await ctx.reply(quoteMessage(plan, 'buyconfirm', run, ttl));
}

const buyConfirm: Flow = {
  name: 'buyconfirm',
  role: 'user',
  effect: 'act',
  steps: { confirm: confirmStep },
  once: { confirm: INTERRUPTED_BUY },
};

export default buyConfirm;
