/**
 * bags.fm public API v2 as a swap venue for tokens launched there. Its key allows 1,000 requests an
 * hour, far too few for price polling, so it only quotes and builds swaps.
 *
 * Wire formats, checked against docs.bags.fm (OpenAPI "Bags Public API v2") and @bagsfm/bags-sdk:
 * - Every answer is { success: true, response } or { success: false, error } (some error bodies carry
 *   the text in `response` instead), with 2xx or 4xx/5xx status.
 * - GET /trade/quote?inputMint&outputMint&amount&slippageMode=auto|manual&slippageBps
 *   → response { requestId, contextSlot, inAmount, inputMint, outAmount, outputMint, minOutAmount,
 *   otherAmountThreshold, priceImpactPct, slippageBps, routePlan[{ venue, inAmount, outAmount,
 *   inputMint, outputMint, inputMintDecimals, outputMintDecimals, marketKey, data }], platformFee?,
 *   outTransferFee?, simulatedComputeUnits }. Amounts are integer strings.
 * - POST /trade/swap { quoteResponse, userPublicKey }
 *   → response { swapTransaction (BASE58 VersionedTransaction), computeUnitLimit,
 *   lastValidBlockHeight, prioritizationFeeLamports }. No priority-fee input: bags sets it.
 */
import { z } from 'zod';
import { VenueError } from './errors.js';
import { badResponse, decimalString, intString, requestJson, type JsonAnswer } from './http-json.js';
import type { RateBudget } from './rate-budget.js';
import type { Quote, QuoteRequest, SwapTransaction, Venue } from './venue.js';
import { decodeBase58 } from './base58.js';

export interface BagsClientOptions {
  /** e.g. https://public-api-v2.bags.fm/api/v1 */
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
  /** 1,000 requests/hour → perMinute 16.6. */
  budget: RateBudget;
  fetch?: typeof fetch;
  /** Longest wait for a budget token before refusing with 'rate_limited' (default 2000). */
  maxBudgetWaitMs?: number;
  /** Extra attempts on network errors, timeouts and 5xx (default 2). */
  retries?: number;
  /** First backoff between attempts (default 300 ms); tests make it tiny. */
  backoffMs?: number;
}

const LABEL = 'bags.fm';
/** bags phrases its refusals in prose; these mean "cannot trade this pair", not "bad request". */
const NO_ROUTE_TEXT = /no (?:\w+ )?(?:pool|route|liquidity|market)|not found|unsupported|not supported|could not find|not tradable/i;

const EnvelopeSchema = z.union([
  z.looseObject({ success: z.literal(true), response: z.unknown() }),
  z.looseObject({ success: z.literal(false), error: z.unknown().optional(), response: z.unknown().optional() }),
]);

const QuoteSchema = z.looseObject({
  inputMint: z.string(),
  outputMint: z.string(),
  inAmount: intString,
  outAmount: intString,
  minOutAmount: intString,
  priceImpactPct: decimalString,
  slippageBps: z.number().int().nonnegative(),
});

const SwapSchema = z.looseObject({
  swapTransaction: z.string().min(1),
  lastValidBlockHeight: z.number().int().nonnegative(),
});

export class BagsClient implements Venue {
  readonly name = 'bags' as const;
  private readonly baseUrl: string;

  constructor(private readonly opts: BagsClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
  }

  async quote(req: QuoteRequest, signal?: AbortSignal): Promise<Quote> {
    if (req.amount <= 0n) throw new Error('BagsClient.quote: amount must be positive');
    const query = new URLSearchParams({
      inputMint: req.inputMint,
      outputMint: req.outputMint,
      amount: req.amount.toString(),
      slippageMode: 'manual',
      slippageBps: String(req.slippageBps),
    });
    const response = await this.call('GET', `/trade/quote?${query}`, undefined, signal, 'quote');
    const parsed = QuoteSchema.safeParse(response);
    if (!parsed.success) throw badResponse('bags', LABEL, 'quote', parsed.error.issues.length);
    const q = parsed.data;
    return {
      venue: 'bags',
      inputMint: q.inputMint,
      outputMint: q.outputMint,
      inAmount: q.inAmount,
      outAmount: q.outAmount,
      minOutAmount: q.minOutAmount,
      priceImpactPct: q.priceImpactPct,
      slippageBps: q.slippageBps,
      raw: response,
    };
  }

  /**
   * Builds (does not send) the swap, so it is retried like a GET. bags takes no priority-fee input;
   * `opts.priorityFeeLamports` is accepted for the Venue interface and ignored.
   */
  async swap(quote: Quote, userPublicKey: string, _opts: { priorityFeeLamports: number }, signal?: AbortSignal): Promise<SwapTransaction> {
    if (quote.venue !== 'bags') throw new Error(`BagsClient.swap: quote comes from ${quote.venue}`);
    const response = await this.call('POST', '/trade/swap', { quoteResponse: quote.raw, userPublicKey }, signal, 'swap');
    const parsed = SwapSchema.safeParse(response);
    if (!parsed.success) throw badResponse('bags', LABEL, 'swap', parsed.error.issues.length);
    const transaction = decodeTransactionBase58(parsed.data.swapTransaction);
    if (!transaction) throw badResponse('bags', LABEL, 'swap transaction encoding', 1);
    return { transaction, lastValidBlockHeight: parsed.data.lastValidBlockHeight };
  }

  /** One request; unwraps `{success:true, response}` or turns the refusal into a VenueError. */
  private async call(method: 'GET' | 'POST', path: string, body: unknown, signal: AbortSignal | undefined, what: string): Promise<unknown> {
    const answer = await requestJson({
      service: 'bags',
      label: LABEL,
      url: `${this.baseUrl}${path}`,
      method,
      headers: { 'x-api-key': this.opts.apiKey },
      body,
      timeoutMs: this.opts.timeoutMs,
      retries: this.opts.retries ?? 2,
      backoffMs: this.opts.backoffMs,
      fetch: this.opts.fetch,
      signal,
      budget: this.opts.budget,
      maxBudgetWaitMs: this.opts.maxBudgetWaitMs ?? 2_000,
    });
    const envelope = EnvelopeSchema.safeParse(answer.json);
    if (envelope.success && envelope.data.success === true) {
      if (answer.status >= 200 && answer.status < 300) return envelope.data.response;
    }
    if (envelope.success && envelope.data.success === false) throw refusal(answer, what, errorText(envelope.data));
    if (answer.status >= 400) throw refusal(answer, what, '');
    throw badResponse('bags', LABEL, what, envelope.success ? 0 : envelope.error.issues.length);
  }
}

function errorText(body: { error?: unknown; response?: unknown }): string {
  if (typeof body.error === 'string') return body.error;
  if (typeof body.response === 'string') return body.response;
  if (body.error && typeof body.error === 'object' && typeof (body.error as { message?: unknown }).message === 'string') {
    return (body.error as { message: string }).message;
  }
  return '';
}

function refusal(answer: JsonAnswer, what: string, text: string): VenueError {
  // The cause names the status only: bags' prose may echo the request (mints, and in theory the key).
  const cause = new Error(`${what}: HTTP ${answer.status}, success:false`);
  if (NO_ROUTE_TEXT.test(text)) {
    return new VenueError('bags', 'no_route', 'bags.fm cannot trade this token; it may not be a bags.fm launch or has no pool yet.', undefined, { cause });
  }
  if (answer.status === 401 || answer.status === 403) {
    return new VenueError('bags', 'rejected', 'bags.fm refused the API key; check BAGS_API_KEY.', undefined, { cause });
  }
  return new VenueError('bags', 'rejected', `bags.fm refused the ${what} request; check the token address and amount.`, undefined, { cause });
}


/** A Solana transaction is at most 1,232 bytes, about 1,683 base58 characters. */
const MAX_TRANSACTION_CHARS = 2_000;

/** Base58 for a whole transaction (bags.fm sends swaps base58, Jupiter base64). */
export function decodeTransactionBase58(s: string): Uint8Array | undefined {
  return decodeBase58(s, MAX_TRANSACTION_CHARS);
}
