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

export function parseBuyArgs(args: string): BuyArgs | string {
  const words = args.split(/\s+/).filter(Boolean);
  const [mint, amount, ...rest] = words;
  if (!mint || !amount) return `Usage: ${BUY_USAGE}`;
  if (!isSolanaAddress(mint)) return 'That is not a Solana token address (base58, 32 bytes). Copy the mint address from the token page.';
  const lamports = parseSolAmount(amount);
  if (typeof lamports === 'string') return lamports;
  const out: BuyArgs = { mint, lamports };
  for (const w of rest) {
    const [k, v] = w.includes('=') ? [w.slice(0, w.indexOf('=')).toLowerCase(), w.slice(w.indexOf('=') + 1)] : [w.toLowerCase(), ''];
    if (k === 'tp') {
      const tp = parseTakeProfit(v);
      if (typeof tp === 'string') return tp;
      out.tp = tp;
    } else if (k === 'sl') {
      const sl = parseStopLoss(v.replace(/t(rail(ing)?)?$/i, ''));
      if (typeof sl === 'string') return sl;
      out.slPct = sl;
      if (/t(rail(ing)?)?$/i.test(v)) out.trailing = true;
    } else if (k === 'trail' || k === 'trailing') {
      out.trailing = true;
    } else if (k === 'slip' || k === 'slippage') {
      const m = /^(\d+(?:\.\d+)?)%?$/.exec(v);
      if (!m || !(Math.round(Number(m[1]) * 100) >= 1)) return 'Slippage is a percentage of at least 0.01, like slip=1.5.';
      out.slippageBps = Math.round(Number(m[1]) * 100);
    } else {
      return `I do not understand "${w.slice(0, 30)}". Usage: ${BUY_USAGE}`;
    }
  }
  return out;
}
