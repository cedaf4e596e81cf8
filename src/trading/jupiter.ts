/**
 * Jupiter: swap quotes and transactions (Swap API v1) and USD prices (Price API v3), on one API key
 * whose request budget (free tier: 60/min across every endpoint) is shared by every call.
 *
 * Wire formats, checked against dev.jup.ag and the @jup-ag/api generated models:
 * - GET /swap/v1/quote?inputMint&outputMint&amount&slippageBps&restrictIntermediateTokens
 *   → { inputMint, inAmount, outputMint, outAmount, otherAmountThreshold, swapMode, slippageBps,
 *       platformFee, priceImpactPct, routePlan[], contextSlot, timeTaken }. Amounts are integer
 *   strings (u64), priceImpactPct a decimal string, passed through as reported.
 *   No route: HTTP 400 { error: "Could not find any route", errorCode: "COULD_NOT_FIND_ANY_ROUTE" };
 *   unknown mint: { error: "The token … is not tradable", errorCode: "TOKEN_NOT_TRADABLE" }.
 * - POST /swap/v1/swap { quoteResponse, userPublicKey, dynamicComputeUnitLimit, prioritizationFeeLamports }
 *   → { swapTransaction (base64 VersionedTransaction), lastValidBlockHeight, prioritizationFeeLamports,
 *       computeUnitLimit, prioritizationType?, dynamicSlippageReport?, simulationError? }.
 *   simulationError is not treated as a failure here: the landing step simulates the signed
 *   transaction itself before sending.
 * - GET /price/v3?ids=a,b (≤ 50) → { [mint]: { usdPrice, decimals, liquidity, priceChange24h,
 *   blockId, createdAt } }; mints without a reliable price are absent (or null).
 */
import { z } from 'zod';
import { VenueError } from './errors.js';
import { badResponse, decimalString, intString, requestJson, type JsonAnswer } from './http-json.js';
import type { RateBudget } from './rate-budget.js';
import type { PriceSource, Quote, QuoteRequest, SwapTransaction, TokenPrice, Venue } from './venue.js';

export interface JupiterClientOptions {
  /** e.g. https://api.jup.ag */
  baseUrl: string;
  apiKey?: string;
  timeoutMs: number;
  budget: RateBudget;
  fetch?: typeof fetch;
  /** Longest wait for a budget token before refusing with 'rate_limited' (default 2000). */
  maxBudgetWaitMs?: number;
  /** Extra attempts on network errors, timeouts and 5xx (default 2). */
  retries?: number;
  /** First backoff between attempts (default 300 ms); tests make it tiny. */
  backoffMs?: number;
}

export const MAX_PRICE_IDS = 50;

const LABEL = 'Jupiter';
/** errorCodes (and their texts) that mean "this pair or token cannot be swapped", not "bad request". */
const NO_ROUTE_CODES = new Set(['COULD_NOT_FIND_ANY_ROUTE', 'TOKEN_NOT_TRADABLE', 'NO_ROUTES_FOUND', 'ROUTE_PLAN_DOES_NOT_CONSUME_ALL_THE_AMOUNT']);
const NO_ROUTE_TEXT = /no route|could not find any route|not tradable|route not found/i;


const QuoteSchema = z.looseObject({
  inputMint: z.string(),
  outputMint: z.string(),
  inAmount: intString,
  outAmount: intString,
  otherAmountThreshold: intString,
  slippageBps: z.number().int().nonnegative(),
  priceImpactPct: decimalString,
  routePlan: z.array(z.unknown()),
});

const SwapSchema = z.looseObject({
  swapTransaction: z.string().min(1),
  lastValidBlockHeight: z.number().int().nonnegative(),
});

const PriceEntrySchema = z.looseObject({ usdPrice: z.unknown().optional(), decimals: z.unknown().optional() });
const PricesSchema = z.record(z.string(), z.unknown());

const ErrorBodySchema = z.looseObject({ error: z.string().optional(), errorCode: z.string().optional(), message: z.string().optional() });

export class JupiterClient implements Venue, PriceSource {
  readonly name = 'jupiter' as const;
  private readonly baseUrl: string;

  constructor(private readonly opts: JupiterClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
  }

  async quote(req: QuoteRequest, signal?: AbortSignal): Promise<Quote> {
    if (req.amount <= 0n) throw new Error('JupiterClient.quote: amount must be positive');
    const query = new URLSearchParams({
      inputMint: req.inputMint,
      outputMint: req.outputMint,
      amount: req.amount.toString(),
      slippageBps: String(req.slippageBps),
      restrictIntermediateTokens: 'true',
    });
    const answer = await this.call('GET', `/swap/v1/quote?${query}`, undefined, signal);
    if (answer.status !== 200) throw this.refusal(answer, 'quote');
    const parsed = QuoteSchema.safeParse(answer.json);
    if (!parsed.success) throw badResponse('jupiter', LABEL, 'quote', parsed.error.issues.length);
    const q = parsed.data;
    return {
      venue: 'jupiter',
      inputMint: q.inputMint,
      outputMint: q.outputMint,
      inAmount: q.inAmount,
      outAmount: q.outAmount,
      minOutAmount: q.otherAmountThreshold,
      priceImpactPct: q.priceImpactPct,
      slippageBps: q.slippageBps,
      raw: answer.json,
    };
  }

  /** Building a transaction moves nothing until it is signed and sent, so this POST is retried too. */
  async swap(quote: Quote, userPublicKey: string, opts: { priorityFeeLamports: number }, signal?: AbortSignal): Promise<SwapTransaction> {
    if (quote.venue !== 'jupiter') throw new Error(`JupiterClient.swap: quote comes from ${quote.venue}`);
    const body = {
      quoteResponse: quote.raw,
      userPublicKey,
      dynamicComputeUnitLimit: true,
      prioritizationFeeLamports: opts.priorityFeeLamports,
    };
    const answer = await this.call('POST', '/swap/v1/swap', body, signal);
    if (answer.status !== 200) throw this.refusal(answer, 'swap');
    const parsed = SwapSchema.safeParse(answer.json);
    if (!parsed.success) throw badResponse('jupiter', LABEL, 'swap', parsed.error.issues.length);
    const transaction = decodeBase64(parsed.data.swapTransaction);
    if (!transaction) throw badResponse('jupiter', LABEL, 'swap transaction encoding', 1);
    return { transaction, lastValidBlockHeight: parsed.data.lastValidBlockHeight };
  }

  async prices(mints: readonly string[], signal?: AbortSignal): Promise<Map<string, TokenPrice>> {
    if (mints.length > MAX_PRICE_IDS) throw new Error(`JupiterClient.prices: at most ${MAX_PRICE_IDS} mints per call, got ${mints.length}`);
    const result = new Map<string, TokenPrice>();
    const ids = [...new Set(mints)];
    if (ids.length === 0) return result;
    // Mints are base58 (no commas); URLSearchParams would turn the commas into %2C, which the API also accepts,
    // but the documented form is a plain comma list.
    const answer = await this.call('GET', `/price/v3?ids=${ids.map(encodeURIComponent).join(',')}`, undefined, signal);
    if (answer.status !== 200) throw this.refusal(answer, 'price');
    const parsed = PricesSchema.safeParse(answer.json);
    if (!parsed.success) throw badResponse('jupiter', LABEL, 'price', parsed.error.issues.length);
    for (const mint of ids) {
      const entry = PriceEntrySchema.safeParse(parsed.data[mint]);
      if (!entry.success) continue; // absent or null: no reliable price
      const { usdPrice, decimals } = entry.data;
      if (typeof usdPrice !== 'number' || !Number.isFinite(usdPrice) || usdPrice <= 0) continue;
      const price: TokenPrice = { usdPrice };
      if (typeof decimals === 'number' && Number.isInteger(decimals) && decimals >= 0) price.decimals = decimals;
      result.set(mint, price);
    }
    return result;
  }

  private call(method: 'GET' | 'POST', path: string, body: unknown, signal: AbortSignal | undefined): Promise<JsonAnswer> {
    return requestJson({
      service: 'jupiter',
      label: LABEL,
      url: `${this.baseUrl}${path}`,
      method,
      headers: this.opts.apiKey ? { 'x-api-key': this.opts.apiKey } : {},
      body,
      timeoutMs: this.opts.timeoutMs,
      retries: this.opts.retries ?? 2,
      backoffMs: this.opts.backoffMs,
      fetch: this.opts.fetch,
      signal,
      budget: this.opts.budget,
      maxBudgetWaitMs: this.opts.maxBudgetWaitMs ?? 2_000,
    });
  }

  /** A 4xx answer: "no route" when Jupiter says so, a key problem on 401/403, otherwise 'rejected'. */
  private refusal(answer: JsonAnswer, what: string): VenueError {
    const parsed = ErrorBodySchema.safeParse(answer.json);
    const code = parsed.success ? parsed.data.errorCode : undefined;
    const text = parsed.success ? (parsed.data.error ?? parsed.data.message ?? '') : '';
    const cause = new Error(`${what}: HTTP ${answer.status}${code ? ` ${code}` : ''}`);
    if ((code && NO_ROUTE_CODES.has(code)) || NO_ROUTE_TEXT.test(text)) {
      const tradable = code === 'TOKEN_NOT_TRADABLE' || /not tradable/i.test(text);
      return new VenueError('jupiter', 'no_route', tradable
        ? 'Jupiter does not trade this token (yet); check the address or try again once it has liquidity.'
        : 'Jupiter found no route for this trade; the token may have too little liquidity for this amount.', undefined, { cause });
    }
    if (answer.status === 401 || answer.status === 403) {
      return new VenueError('jupiter', 'rejected', 'Jupiter refused the API key; check JUPITER_API_KEY.', undefined, { cause });
    }
    return new VenueError('jupiter', 'rejected', `Jupiter refused the ${what} request; check the token address and amount.`, undefined, { cause });
  }
}


/** Strict base64: Buffer.from would silently skip bad characters and hand back a corrupt transaction. */
function decodeBase64(s: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(s) || s.length % 4 !== 0) return undefined;
  return new Uint8Array(Buffer.from(s, 'base64'));
}
