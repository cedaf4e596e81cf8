/**
 * An in-memory Solana market behind msw handlers that speak Jupiter's and bags.fm's real wire formats
 * (see the comments in src/trading/jupiter.ts and src/trading/bags.ts for where they come from).
 * Why a fake with state rather than canned answers: trading tests need quotes that follow prices
 * (move a price, the next quote moves), faults that can be switched on mid-flow, and a record of
 * what was asked, including the API key sent.
 *
 * Quotes are computed from USD prices with exact integer math:
 *   out = in / 10^decIn × usdIn / usdOut × 10^decOut, truncated; min = out × (10000 − bps) / 10000.
 * SOL (the wrapped-SOL mint) is always priced at `solUsd` with 9 decimals.
 *
 * In-process tests use `setupServer(...market.handlers({ jupiterUrl, bagsUrl }))` from 'msw/node';
 * a child process reaches the same handlers through tests/fakes/msw-http-server.ts.
 */
import { http, HttpResponse, delay, type HttpHandler } from 'msw';
import { encodeBase58, SOL_MINT } from '../../src/trading/base58.js';

export interface FakeToken {
  /** No price: Price v3 leaves the mint out and no venue can quote it. */
  usdPrice?: number;
  decimals: number;
  /** A bags.fm launch: bags can quote it (default false). */
  onBags?: boolean;
  /** Jupiter can route it (default true). */
  jupiterRoute?: boolean;
}

export interface RecordedRequest {
  service: 'jupiter' | 'bags';
  method: string;
  /** Path below the service's base URL, e.g. '/swap/v1/quote' or '/trade/swap'. */
  path: string;
  query: Record<string, string>;
  apiKey: string | null;
  /** JSON body of a POST, when there was one. */
  body?: unknown;
  at: number;
}

/** What a built transaction swaps, as its quote said: the fake RPC moves these amounts when it lands. */
export interface BuiltSwap {
  inputMint: string;
  outputMint: string;
  inAmount: bigint;
  outAmount: bigint;
  /** The least the quote allowed after its slippage (otherAmountThreshold): the chain refuses less. */
  minOut?: bigint;
  priorityFeeLamports: number;
}

export interface BuiltTransaction {
  service: 'jupiter' | 'bags';
  userPublicKey: string;
  bytes: Uint8Array;
  swap?: BuiltSwap;
}

export interface FakeMarketOptions {
  /** Bytes of the "transaction" a swap answer carries (default: a small placeholder). */
  makeTransaction?: (userPublicKey: string) => Uint8Array;
  /** Stamps `requests[].at` (default Date.now). */
  now?: () => number;
  /** When set, Jupiter answers 401 to requests without this x-api-key. */
  jupiterApiKey?: string;
  /** When set, bags answers 401 to requests without this x-api-key. */
  bagsApiKey?: string;
}

const SOL_DECIMALS = 9;
/** bags.fm sets its own priority fee; the fake always answers this one. */
const BAGS_PRIORITY_FEE = 5_000;
const MAX_PRICE_IDS = 50;

export class FakeMarket {
  solUsd = 150;
  readonly tokens = new Map<string, FakeToken>();
  readonly requests: RecordedRequest[] = [];
  readonly transactions: BuiltTransaction[] = [];
  /** Carried by every swap answer. */
  lastValidBlockHeight = 1000;
  /** Jupiter answers 503 to everything. */
  jupiterDown = false;
  /** bags answers 503 to everything. */
  bagsDown = false;
  /** bags answers `{success:false, error}` (HTTP 400) to everything; a string is the error text. */
  bagsFailure: boolean | string = false;
  /** Added before every answer, to exercise timeouts. */
  jupiterDelayMs = 0;
  bagsDelayMs = 0;

  private readonly makeTransaction: (userPublicKey: string) => Uint8Array;
  private readonly now: () => number;
  private pending429 = 0;
  private retryAfterSec = 1;
  private slot = 300_000_000;

  constructor(private readonly opts: FakeMarketOptions = {}) {
    this.makeTransaction = opts.makeTransaction ?? ((key) => new TextEncoder().encode(`fake-swap-tx:${key}`));
    this.now = opts.now ?? Date.now;
  }

  setToken(mint: string, token: FakeToken): this {
    this.tokens.set(mint, { ...token });
    return this;
  }

  /** Sets or clears (undefined) a token's USD price; the token must exist. */
  setPrice(mint: string, usd: number | undefined): this {
    const token = this.tokens.get(mint);
    if (!token) throw new Error(`FakeMarket.setPrice: unknown token ${mint}; call setToken first`);
    token.usdPrice = usd;
    return this;
  }

  /** The next `n` Jupiter requests (any endpoint) answer 429 with `Retry-After: retryAfterSec`. */
  jupiter429(n: number, retryAfterSec = 1): this {
    this.pending429 = n;
    this.retryAfterSec = retryAfterSec;
    return this;
  }

  requestsTo(service: 'jupiter' | 'bags', path?: string): RecordedRequest[] {
    return this.requests.filter((r) => r.service === service && (path === undefined || r.path === path));
  }

  /**
   * Handlers for both services. `jupiterUrl` is Jupiter's base (e.g. http://jup.test), `bagsUrl` bags'
   * base including /api/v1 (e.g. http://bags.test/api/v1); either may carry a path prefix.
   */
  handlers(opts: { jupiterUrl: string; bagsUrl: string }): HttpHandler[] {
    const jup = opts.jupiterUrl.replace(/\/+$/, '');
    const bags = opts.bagsUrl.replace(/\/+$/, '');
    return [
      http.get(`${jup}/swap/v1/quote`, ({ request }) => this.jupiter(request, jup, () => this.jupiterQuote(request))),
      http.post(`${jup}/swap/v1/swap`, ({ request }) => this.jupiter(request, jup, (body) => this.jupiterSwap(body))),
      http.get(`${jup}/price/v3`, ({ request }) => this.jupiter(request, jup, () => this.jupiterPrices(request))),
      http.get(`${bags}/trade/quote`, ({ request }) => this.bags(request, bags, () => this.bagsQuote(request))),
      http.post(`${bags}/trade/swap`, ({ request }) => this.bags(request, bags, (body) => this.bagsSwap(body))),
    ];
  }

  // ---- Jupiter ------------------------------------------------------------------------------------

  private async jupiter(request: Request, base: string, answer: (body: unknown) => Response): Promise<Response> {
    const body = await this.record('jupiter', request, base);
    if (this.jupiterDelayMs > 0) await delay(this.jupiterDelayMs);
    if (this.pending429 > 0) {
      this.pending429--;
      return HttpResponse.json({ code: 429, message: 'Too Many Requests' }, { status: 429, headers: { 'Retry-After': String(this.retryAfterSec) } });
    }
    if (this.jupiterDown) return new HttpResponse('Service Unavailable', { status: 503, headers: { 'content-type': 'text/plain' } });
    if (this.opts.jupiterApiKey !== undefined && request.headers.get('x-api-key') !== this.opts.jupiterApiKey) {
      return HttpResponse.json({ message: 'Unauthorized' }, { status: 401 });
    }
    return answer(body);
  }

  private jupiterQuote(request: Request): Response {
    const q = new URL(request.url).searchParams;
    const inputMint = q.get('inputMint');
    const outputMint = q.get('outputMint');
    const amount = q.get('amount');
    const slippageBps = Number(q.get('slippageBps') ?? '50');
    if (!inputMint || !outputMint || amount === null) {
      return jupiterError(400, 'Missing required query parameter: inputMint, outputMint and amount are required', 'INVALID_REQUEST');
    }
    if (!/^\d+$/.test(amount)) return jupiterError(400, `Query parameter amount cannot be parsed: invalid digit found in string`, 'INVALID_REQUEST');
    if (!Number.isInteger(slippageBps) || slippageBps < 0 || slippageBps > 10_000) return jupiterError(400, 'Invalid slippageBps', 'INVALID_REQUEST');
    if (inputMint === outputMint) return jupiterError(400, 'Circular arbitrage is disabled', 'CIRCULAR_ARBITRAGE_IS_DISABLED');
    for (const mint of [inputMint, outputMint]) {
      if (mint !== SOL_MINT && !this.tokens.has(mint)) return jupiterError(400, `The token ${mint} is not tradable`, 'TOKEN_NOT_TRADABLE');
    }
    const inSide = this.side(inputMint);
    const outSide = this.side(outputMint);
    const routable = (mint: string): boolean => mint === SOL_MINT || this.tokens.get(mint)?.jupiterRoute !== false;
    if (!inSide || !outSide || !routable(inputMint) || !routable(outputMint)) {
      return jupiterError(400, 'Could not find any route', 'COULD_NOT_FIND_ANY_ROUTE');
    }
    const inAmount = BigInt(amount);
    const outAmount = convert(inAmount, inSide, outSide);
    if (outAmount === 0n) return jupiterError(400, 'Could not find any route', 'COULD_NOT_FIND_ANY_ROUTE');
    const threshold = withSlippage(outAmount, slippageBps);
    return HttpResponse.json({
      inputMint,
      inAmount: inAmount.toString(),
      outputMint,
      outAmount: outAmount.toString(),
      otherAmountThreshold: threshold.toString(),
      swapMode: 'ExactIn',
      slippageBps,
      platformFee: null,
      priceImpactPct: '0',
      routePlan: [
        {
          swapInfo: {
            ammKey: 'FakeAmm11111111111111111111111111111111111',
            label: 'FakeAMM',
            inputMint,
            outputMint,
            inAmount: inAmount.toString(),
            outAmount: outAmount.toString(),
            feeAmount: '0',
            feeMint: inputMint,
          },
          percent: 100,
        },
      ],
      contextSlot: this.slot++,
      timeTaken: 0.001,
    });
  }

  private jupiterSwap(body: unknown): Response {
    const b = asRecord(body);
    const quote = asRecord(b?.quoteResponse);
    const userPublicKey = b?.userPublicKey;
    if (!quote || typeof quote.inAmount !== 'string' || typeof quote.outAmount !== 'string' || typeof quote.inputMint !== 'string') {
      return jupiterError(400, 'Invalid quoteResponse', 'INVALID_REQUEST');
    }
    if (typeof userPublicKey !== 'string' || userPublicKey.length < 32) return jupiterError(400, 'Invalid userPublicKey', 'INVALID_REQUEST');
    const fee = typeof b?.prioritizationFeeLamports === 'number' ? b.prioritizationFeeLamports : 0;
    const bytes = this.build('jupiter', userPublicKey, swapOf(quote, fee));
    return HttpResponse.json({
      swapTransaction: Buffer.from(bytes).toString('base64'),
      lastValidBlockHeight: this.lastValidBlockHeight,
      prioritizationFeeLamports: fee,
      computeUnitLimit: 200_000,
      prioritizationType: { computeBudget: { microLamports: Math.floor((fee * 1_000_000) / 200_000), estimatedMicroLamports: 0 } },
      dynamicSlippageReport: null,
      simulationError: null,
    });
  }

  private jupiterPrices(request: Request): Response {
    const raw = new URL(request.url).searchParams.get('ids') ?? '';
    const ids = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (ids.length === 0) return jupiterError(400, 'Missing ids', 'INVALID_REQUEST');
    if (ids.length > MAX_PRICE_IDS) return jupiterError(400, `Too many ids: at most ${MAX_PRICE_IDS} per request`, 'INVALID_REQUEST');
    const out: Record<string, unknown> = {};
    for (const mint of ids) {
      const side = this.side(mint);
      if (!side) continue;
      out[mint] = {
        createdAt: '2024-06-05T08:55:25.527Z',
        liquidity: 1_000_000,
        usdPrice: side.usd,
        blockId: this.slot,
        decimals: side.decimals,
        priceChange24h: 0,
      };
    }
    return HttpResponse.json(out);
  }

  // ---- bags.fm ------------------------------------------------------------------------------------

  private async bags(request: Request, base: string, answer: (body: unknown) => Response): Promise<Response> {
    const body = await this.record('bags', request, base);
    if (this.bagsDelayMs > 0) await delay(this.bagsDelayMs);
    if (this.bagsDown) return new HttpResponse('Service Unavailable', { status: 503, headers: { 'content-type': 'text/plain' } });
    const key = request.headers.get('x-api-key');
    if (!key || (this.opts.bagsApiKey !== undefined && key !== this.opts.bagsApiKey)) return bagsError(401, 'Unauthorized: invalid or missing API key');
    if (this.bagsFailure !== false) return bagsError(400, typeof this.bagsFailure === 'string' ? this.bagsFailure : 'Internal error while processing request');
    return answer(body);
  }

  private bagsQuote(request: Request): Response {
    const q = new URL(request.url).searchParams;
    const inputMint = q.get('inputMint');
    const outputMint = q.get('outputMint');
    const amount = q.get('amount');
    const mode = q.get('slippageMode') ?? 'auto';
    if (!inputMint || !outputMint || amount === null) return bagsError(400, 'inputMint, outputMint and amount are required');
    if (!/^\d+$/.test(amount) || amount === '0') return bagsError(400, 'amount must be a positive integer');
    if (mode !== 'auto' && mode !== 'manual') return bagsError(400, "slippageMode must be 'auto' or 'manual'");
    const bpsText = q.get('slippageBps');
    if (mode === 'manual' && bpsText === null) return bagsError(400, 'slippageBps is required when slippageMode is manual');
    const slippageBps = mode === 'manual' ? Number(bpsText) : 100;
    if (!Number.isInteger(slippageBps) || slippageBps < 0 || slippageBps > 10_000) return bagsError(400, 'slippageBps must be between 0 and 10000');
    const inSide = this.side(inputMint);
    const outSide = this.side(outputMint);
    const onBags = (mint: string): boolean => mint === SOL_MINT || this.tokens.get(mint)?.onBags === true;
    if (!inSide || !outSide || !onBags(inputMint) || !onBags(outputMint) || inputMint === outputMint) {
      return bagsError(400, 'No route found for this token pair');
    }
    const inAmount = BigInt(amount);
    const outAmount = convert(inAmount, inSide, outSide);
    const minOut = withSlippage(outAmount, slippageBps);
    return HttpResponse.json({
      success: true,
      response: {
        requestId: `fake-${this.slot}`,
        contextSlot: this.slot++,
        inAmount: inAmount.toString(),
        inputMint,
        outAmount: outAmount.toString(),
        outputMint,
        minOutAmount: minOut.toString(),
        otherAmountThreshold: minOut.toString(),
        priceImpactPct: '0',
        slippageBps,
        routePlan: [
          {
            venue: 'FakeBagsPool',
            inAmount: inAmount.toString(),
            outAmount: outAmount.toString(),
            inputMint,
            outputMint,
            inputMintDecimals: inSide.decimals,
            outputMintDecimals: outSide.decimals,
            marketKey: 'FakeMarket111111111111111111111111111111111',
            data: '',
          },
        ],
        platformFee: { amount: '0', feeBps: 0, feeAccount: 'FakeFee1111111111111111111111111111111111111', segmenterFeeAmount: '0', segmenterFeePct: 0 },
        outTransferFee: null,
        simulatedComputeUnits: null,
      },
    });
  }

  private bagsSwap(body: unknown): Response {
    const b = asRecord(body);
    const quote = asRecord(b?.quoteResponse);
    const userPublicKey = b?.userPublicKey;
    if (!quote || typeof quote.requestId !== 'string' || typeof quote.inAmount !== 'string') return bagsError(400, 'quoteResponse is invalid');
    if (typeof userPublicKey !== 'string' || userPublicKey.length < 32) return bagsError(400, 'userPublicKey is invalid');
    const bytes = this.build('bags', userPublicKey, swapOf(quote, BAGS_PRIORITY_FEE));
    return HttpResponse.json({
      success: true,
      response: {
        swapTransaction: encodeBase58(bytes),
        computeUnitLimit: 200_000,
        lastValidBlockHeight: this.lastValidBlockHeight,
        prioritizationFeeLamports: BAGS_PRIORITY_FEE,
      },
    });
  }

  // ---- shared -------------------------------------------------------------------------------------

  private async record(service: 'jupiter' | 'bags', request: Request, base: string): Promise<unknown> {
    const url = new URL(request.url);
    const basePath = new URL(base).pathname.replace(/\/+$/, '');
    let body: unknown;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      const text = await request.clone().text();
      try {
        body = text === '' ? undefined : (JSON.parse(text) as unknown);
      } catch {
        body = text;
      }
    }
    this.requests.push({
      service,
      method: request.method,
      path: url.pathname.slice(basePath.length) || '/',
      query: Object.fromEntries(url.searchParams),
      apiKey: request.headers.get('x-api-key'),
      ...(body !== undefined ? { body } : {}),
      at: this.now(),
    });
    return body;
  }

  private build(service: 'jupiter' | 'bags', userPublicKey: string, swap: BuiltSwap | undefined): Uint8Array {
    const bytes = this.makeTransaction(userPublicKey);
    this.transactions.push({ service, userPublicKey, bytes, ...(swap ? { swap } : {}) });
    return bytes;
  }

  /** Price and decimals of a mint, or undefined when it has no price. */
  private side(mint: string): Side | undefined {
    if (mint === SOL_MINT) return { usd: this.solUsd, decimals: SOL_DECIMALS };
    const token = this.tokens.get(mint);
    if (!token || token.usdPrice === undefined || !(token.usdPrice > 0) || !Number.isFinite(token.usdPrice)) return undefined;
    return { usd: token.usdPrice, decimals: token.decimals };
  }
}

interface Side {
  usd: number;
  decimals: number;
}

/** out = in / 10^decIn × usdIn / usdOut × 10^decOut, exactly (prices taken as the decimals they print as). */
export function convert(amountIn: bigint, from: Side, to: Side): bigint {
  const pIn = toRational(from.usd);
  const pOut = toRational(to.usd);
  return (amountIn * pIn.num * pOut.den * 10n ** BigInt(to.decimals)) / (pIn.den * pOut.num * 10n ** BigInt(from.decimals));
}

export function withSlippage(amount: bigint, slippageBps: number): bigint {
  return (amount * BigInt(10_000 - slippageBps)) / 10_000n;
}

/** 0.00012 → 12 / 100000; 1.5e-7 → 15 / 100000000. */
function toRational(x: number): { num: bigint; den: bigint } {
  const [mantissa = '0', exp = '0'] = x.toString().toLowerCase().split('e');
  const [whole = '0', frac = ''] = mantissa.split('.');
  let num = BigInt(whole + frac);
  let den = 10n ** BigInt(frac.length);
  const e = Number(exp);
  if (e >= 0) num *= 10n ** BigInt(e);
  else den *= 10n ** BigInt(-e);
  return { num, den };
}

function jupiterError(status: number, error: string, errorCode: string): Response {
  return HttpResponse.json({ error, errorCode }, { status });
}

function bagsError(status: number, error: string): Response {
  return HttpResponse.json({ success: false, error }, { status });
}

/** The swap a quote echoed back to /swap describes; undefined when its amounts are not integers. */
function swapOf(quote: Record<string, unknown>, priorityFeeLamports: number): BuiltSwap | undefined {
  const { inputMint, outputMint, inAmount, outAmount, otherAmountThreshold } = quote;
  if (typeof inputMint !== 'string' || typeof outputMint !== 'string' || typeof inAmount !== 'string' || typeof outAmount !== 'string') return undefined;
  if (!/^\d+$/.test(inAmount) || !/^\d+$/.test(outAmount)) return undefined;
  const minOut = typeof otherAmountThreshold === 'string' && /^\d+$/.test(otherAmountThreshold) ? { minOut: BigInt(otherAmountThreshold) } : {};
  return { inputMint, outputMint, inAmount: BigInt(inAmount), outAmount: BigInt(outAmount), ...minOut, priorityFeeLamports };
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}
