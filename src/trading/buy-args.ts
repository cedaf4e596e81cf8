import { isSolanaAddress, LAMPORTS_PER_SOL } from './base58.js';
import { parseStopLoss, parseTakeProfit, type TpLeg } from './tpsl.js';

/**
 * `/buy <mint> <sol> tp=50:50,100:50 sl=20 [trail] [slip=1.5]`: parsed into a request, or one
 * sentence saying what is wrong. TP and SL may be left out here; the service then uses the
 * caller's saved presets and shows them before confirming, or refuses.
 */
export interface BuyArgs {
  mint: string;
  lamports: number;
  tp?: TpLeg[];
  slPct?: number;
  trailing?: boolean;
  slippageBps?: number;
}

export const BUY_USAGE = '/buy <mint> <sol> tp=50:50,100:50 sl=20 [trail]';

export function parseSolAmount(text: string): number | string {
  const t = text.trim().replace(/sol$/i, '');
  if (!/^\d+(\.\d{1,9})?$/.test(t) && !/^\.\d{1,9}$/.test(t)) return `"${text.slice(0, 20)}" is not an amount of SOL, like 0.5.`;
  const lamports = Math.round(Number(t) * LAMPORTS_PER_SOL);
  if (!(lamports > 0)) return 'The amount must be more than 0 SOL.';
  return lamports;
}

/** TP/SL words (`tp=50:50,100:50 sl=20 [trail]`), as typed in /buy, the buy flow, presets and /tpsl. */
export interface PlanWords {
  tp?: TpLeg[];
  slPct?: number;
  trailing?: boolean;
  slippageBps?: number;
}

const TRAIL_SUFFIX = /t(rail(ing)?)?$/i;

/**
 * Reads plan words into `out`. Returns an error sentence, 'unknown' for a word that is not a plan
 * word (the caller phrases that for its own command), or undefined when all were read.
 */
function readPlanWords(words: readonly string[], out: PlanWords, allowSlippage: boolean): string | { unknown: string } | undefined {
  for (const w of words) {
    const i = w.indexOf('=');
    const k = (i < 0 ? w : w.slice(0, i)).toLowerCase();
    const v = i < 0 ? '' : w.slice(i + 1);
    if (k === 'tp') {
      const tp = parseTakeProfit(v);
      if (typeof tp === 'string') return tp;
      out.tp = tp;
    } else if (k === 'sl') {
      const sl = parseStopLoss(v.replace(TRAIL_SUFFIX, ''));
      if (typeof sl === 'string') return sl;
      out.slPct = sl;
      if (TRAIL_SUFFIX.test(v)) out.trailing = true;
    } else if (k === 'trail' || k === 'trailing') {
      out.trailing = true;
    } else if (allowSlippage && (k === 'slip' || k === 'slippage')) {
      const m = /^(\d+(?:\.\d+)?)%?$/.exec(v);
      if (!m || !(Math.round(Number(m[1]) * 100) >= 1)) return 'Slippage is a percentage of at least 0.01, like slip=1.5.';
      out.slippageBps = Math.round(Number(m[1]) * 100);
    } else {
      return { unknown: w.slice(0, 30) };
    }
  }
  return undefined;
}

/** TP/SL words alone (flow, presets, /tpsl); at least one must be given. */
export function parsePlanWords(text: string): PlanWords | string {
  const out: PlanWords = {};
  const err = readPlanWords(text.split(/\s+/).filter(Boolean), out, false);
  if (typeof err === 'string') return err;
  if (err) return `I do not understand "${err.unknown}"; write it like tp=50:50,100:50 sl=20 (add trail for a trailing stop).`;
  if (!out.tp && out.slPct === undefined && !out.trailing) return 'Give a take-profit and a stop-loss, like tp=50:50,100:50 sl=20.';
  return out;
}

export function parseBuyArgs(args: string): BuyArgs | string {
  const words = args.split(/\s+/).filter(Boolean);
  const [mint, amount, ...rest] = words;
  if (!mint || !amount) return `Usage: ${BUY_USAGE}`;
  if (!isSolanaAddress(mint)) return 'That is not a Solana token address (base58, 32 bytes). Copy the mint address from the token page.';
  const lamports = parseSolAmount(amount);
  if (typeof lamports === 'string') return lamports;
  const out: BuyArgs = { mint, lamports };
  const err = readPlanWords(rest, out, true);
  if (typeof err === 'string') return err;
  if (err) return `I do not understand "${err.unknown}". Usage: ${BUY_USAGE}`;
  return out;
}
