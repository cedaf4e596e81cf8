import type { Flow, FlowData, FlowInput, FlowResult } from '../src/core/flows.js';
import { confirmAnswer, flowButtonData } from '../src/core/flows.js';
import type { Ctx } from '../src/core/handler.js';
import { bold, code, plain, type Button, type Outbound, type Span } from '../src/core/message.js';
import { UserError } from '../src/core/errors.js';
import { formatDuration } from '../src/core/render.js';
import { isSolanaAddress, SOL_MINT } from '../src/trading/base58.js';
import { parsePlanWords, parseSolAmount, type BuyArgs } from '../src/trading/buy-args.js';
import { checkPlan, describePlan, parseTakeProfit, type TpLeg } from '../src/trading/tpsl.js';
import { pct, price, shortMint, sol, tokens } from '../src/trading/format.js';
import type { BuyPlan } from '../src/trading/service.js';
import type { Position } from '../src/trading/store.js';

/**
 * The guided buy (`/buy` alone, or Buy in /demo): token, amount, TP/SL, then a quote to confirm.
 * Nothing is reserved until Confirm, and Confirm quotes again, so limits and the mode are checked
 * at the moment money moves, not when the question was asked. Also home to what every buy shows
 * (quote card, fill) and to the confirm step that /buy's own confirmation shares.
 */

/** Ladder as `50:50,100:50`: flow data holds only strings, numbers and booleans. */
export const tpText = (legs: readonly TpLeg[]): string => legs.map((l) => `${l.at}:${l.sell}`).join(',');

/** What Confirm needs to buy again exactly what was quoted (the resolved plan, not the presets). */
export function quoteData(plan: BuyPlan, expiresAt: number): FlowData {
  return {
    mint: plan.mint,
    lamports: plan.lamports,
    tp: tpText(plan.plan.tp),
    sl: plan.plan.slPct,
    trail: plan.plan.trailing,
    slip: plan.slippageBps,
    mode: plan.mode,
    fee: plan.feeLamports,
    expiresAt,
  };
}

function argsFromData(data: FlowData): BuyArgs {
  const tp = parseTakeProfit(String(data.tp ?? ''));
  if (typeof data.mint !== 'string' || typeof data.lamports !== 'number' || typeof data.sl !== 'number' || typeof tp === 'string') {
    throw new UserError('This confirmation is no longer readable; nothing was bought. Start again with /buy.');
  }
  return { mint: data.mint, lamports: data.lamports, tp, slPct: data.sl, trailing: data.trail === true, slippageBps: typeof data.slip === 'number' ? data.slip : undefined };
}

/** A confirmation's time to live, as a person reads it. */
export const within = (ttlMs: number): string => (ttlMs < 120_000 ? `${Math.round(ttlMs / 1000)} seconds` : formatDuration(ttlMs));

/** Price impact as the venue reports it: a fraction (Jupiter's priceImpactPct 0.01 is 1%). */
const impact = (fraction: number): string => pct(Math.abs(fraction) * 100).replace(/^\+/, '');

export function quoteCard(plan: BuyPlan, ttlMs: number): Span[] {
  const q = plan.quote;
  const lines = [
    `You pay: ${sol(plan.lamports)} + ${sol(plan.feeLamports, 6)} in fees`,
    `You get about: ${tokens(q.outAmount, plan.decimals)} tokens, at least ${tokens(q.minOutAmount, plan.decimals)} after ${plan.slippageBps / 100}% slippage`,
    `Price impact: ${impact(q.priceImpactPct)}; venue: ${q.venue}`,
    `${describePlan(plan.plan)}${plan.planSource === 'preset' ? ' (from your presets)' : ''}`,
  ];
  return [
    bold(`Confirm this ${plan.mode} buy`),
    plain('\nToken: '),
    code(plan.mint),
    plain(`\n${lines.join('\n')}\n`),
    plain(plan.mode === 'live' ? 'This spends real SOL from the wallet. ' : 'Paper trade: no real SOL moves. '),
    plain(`Confirm within ${within(ttlMs)}.`),
  ];
}

export function confirmButtons(flow: string, step: string, run: string): Button[][] {
  return [[{ label: 'Confirm', data: flowButtonData(flow, step, run, 'yes') }, { label: 'Cancel', data: flowButtonData(flow, step, run, 'no') }]];
}

export function fillText(p: Position, feeLamports?: number): Span[] {
  const fees = feeLamports === undefined ? 'including fees' : `of which ${sol(feeLamports, 6)} fees`;
  return [
    bold(`Bought${p.mode === 'paper' ? ' (paper)' : ''}: position #${p.id}`),
    plain(`\n${tokens(p.tokensBought, p.decimals)} tokens of ${shortMint(p.mint)} for ${sol(p.costLamports, 6)}, ${fees}.`),
    plain(`\nEntry price ${price(p.entryPrice)} SOL per token.`),
    plain(`\n${describePlan(p.plan)}.`),
    plain('\nSee /positions to sell or change it.'),
  ];
}

/** The quote with Confirm/Cancel for this run of `flow`. */
export function quoteMessage(plan: BuyPlan, flow: string, run: string, ttlMs: number): Outbound {
  return { text: quoteCard(plan, ttlMs), buttons: confirmButtons(flow, 'confirm', run) };
}

/** Said when Jarvis died while a Confirm was being carried out (see Flow.once): the same button must not buy again. */
export const INTERRUPTED_BUY =
  'Jarvis restarted while your buy was being carried out. It may or may not have gone through, and it will not be repeated from that quote: check /positions before buying again.';

/** The Confirm/Cancel answer, shared by the guided flow and /buy's confirmation. */
export async function confirmStep(ctx: Ctx, input: FlowInput, data: FlowData): Promise<FlowResult> {
  const answer = confirmAnswer(input);
  if (!answer) {
    await ctx.reply('Press Confirm or Cancel (or send /cancel).');
    return { stay: true };
  }
  if (typeof data.expiresAt !== 'number' || ctx.services.clock.now() > data.expiresAt) {
    await ctx.reply('This quote has expired, so nothing was bought. Send /buy again for a fresh one.');
    return { done: true };
  }
  if (answer === 'no') {
    await ctx.reply('Cancelled: nothing was bought.');
    return { done: true };
  }
  const trading = ctx.services.trading;
  const plan = await trading.prepareBuy(ctx.key, argsFromData(data));
  if (plan.mode !== data.mode) throw new UserError(`Your trading mode is ${plan.mode} now, not ${String(data.mode)} as quoted, so nothing was bought. Start again with /buy.`);
  if (plan.mode === 'live') await ctx.reply(`Buying ${sol(plan.lamports)} of ${shortMint(plan.mint)} with real SOL…`);
  const position = await trading.buy(ctx.key, ctx.inbound.chatId, plan);
  await ctx.reply(fillText(position, plan.feeLamports));
  return { done: true };
}

/** Starts the guided buy and asks the first question. */
export async function startGuidedBuy(ctx: Ctx): Promise<void> {
  ctx.services.flows.start(ctx, 'buy', 'token');
  await ctx.reply('Which token? Send its mint address (or /cancel).');
}

async function askTpsl(ctx: Ctx, run: string): Promise<void> {
  const preset = ctx.services.trading.settings(ctx.key).preset;
  const ask = 'Take-profit and stop-loss? Send them like tp=50:50,100:50 sl=20 (add trail for a trailing stop).';
  if (!preset) {
    await ctx.reply(ask);
    return;
  }
  await ctx.reply({
    text: `${ask}\nOr use your presets: ${describePlan(preset)}.`,
    buttons: [[{ label: 'Use presets', data: flowButtonData('buy', 'tpsl', run, 'presets') }]],
  });
}

const buyFlow: Flow = {
  name: 'buy',
  role: 'user',
  effect: 'act',
  steps: {
    async token(ctx, input) {
      const mint = input.kind === 'text' ? input.text.trim() : '';
      if (!isSolanaAddress(mint)) {
        await ctx.reply('That is not a Solana token address (base58, 32 bytes). Copy the mint from the token page, or /cancel.');
        return { stay: true };
      }
      if (mint === SOL_MINT) {
        await ctx.reply('That is SOL itself; send the mint of the token to buy.');
        return { stay: true };
      }
      const { trading } = ctx.services;
      const bal = await trading.balance(ctx.key);
      const max = trading.limits(ctx.key).maxTradeLamports;
      await ctx.reply(`How much SOL should I spend? You have ${sol(bal.lamports)} (${bal.mode}); at most ${sol(max)} per trade.`);
      return { next: 'amount', data: { mint } };
    },
    async amount(ctx, input, data, run) {
      const lamports = parseSolAmount(input.kind === 'text' ? input.text : '');
      if (typeof lamports === 'string') {
        await ctx.reply(`${lamports} Send an amount like 0.5, or /cancel.`);
        return { stay: true };
      }
      const max = ctx.services.trading.limits(ctx.key).maxTradeLamports;
      if (lamports > max) {
        await ctx.reply(`That is more than the ${sol(max)} allowed per trade. Send a smaller amount, or /cancel.`);
        return { stay: true };
      }
      await askTpsl(ctx, run);
      return { next: 'tpsl', data: { ...data, lamports } };
    },
    async tpsl(ctx, input, data, run) {
      const { trading } = ctx.services;
      const args: BuyArgs = { mint: String(data.mint), lamports: Number(data.lamports) };
      if (input.kind === 'choice' && input.value === 'presets') {
        if (!trading.settings(ctx.key).preset) {
          await ctx.reply('You have no presets any more. Send tp=… sl=… instead, or /cancel.');
          return { stay: true };
        }
      } else {
        const words = parsePlanWords(input.kind === 'text' ? input.text : '');
        if (typeof words === 'string' || !words.tp || words.slPct === undefined) {
          await ctx.reply(`${typeof words === 'string' ? words : 'Give both a take-profit and a stop-loss, like tp=50:50,100:50 sl=20.'} Try again, or /cancel.`);
          return { stay: true };
        }
        const why = checkPlan({ tp: words.tp, slPct: words.slPct, trailing: words.trailing ?? false });
        if (why) {
          await ctx.reply(`${why} Try again, or /cancel.`);
          return { stay: true };
        }
        Object.assign(args, words);
      }
      const plan = await trading.prepareBuy(ctx.key, args, { forceConfirm: true });
      const ttl = ctx.services.config.trading.confirmTtlMs;
      await ctx.reply(quoteMessage(plan, 'buy', run, ttl));
      return { next: 'confirm', data: quoteData(plan, ctx.services.clock.now() + ttl) };
    },
    confirm: (ctx, input, data) => confirmStep(ctx, input, data),
  },
  once: { confirm: INTERRUPTED_BUY },
};

export default buyFlow;
