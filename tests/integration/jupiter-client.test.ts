import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../../src/core/clock.js';
import { SOL_MINT } from '../../src/trading/base58.js';
import { VenueError } from '../../src/trading/errors.js';
import { JupiterClient } from '../../src/trading/jupiter.js';
import { RateBudget } from '../../src/trading/rate-budget.js';
import { FakeMarket } from '../fakes/market.js';

const JUP = 'http://jup.test';
const BAGS = 'http://bags.test/api/v1';
const KEY = 'jup-secret-key-0123456789';
const BONK = 'DezXAZ8z7PnrnRJjz3wXBoRgixCa6xjnB7YaB1pPB263';
const WIF = 'EKpQGSJtjMFqKZ9KQanSqYXRcF8fBopzLHYxdM65zcjm';
const UNKNOWN = 'Unknown1111111111111111111111111111111111111';
const USER = '7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

let market: FakeMarket;
beforeEach(() => {
  market = new FakeMarket();
  market.setToken(BONK, { usdPrice: 0.00002, decimals: 5 });
  market.setToken(WIF, { usdPrice: 2, decimals: 6 });
  server.use(...market.handlers({ jupiterUrl: JUP, bagsUrl: BAGS }));
});

function client(over: Partial<ConstructorParameters<typeof JupiterClient>[0]> = {}): JupiterClient {
  return new JupiterClient({
    baseUrl: JUP,
    apiKey: KEY,
    timeoutMs: 500,
    budget: new RateBudget({ perMinute: 6_000, clock: systemClock }),
    backoffMs: 1,
    ...over,
  });
}

async function failure(p: Promise<unknown>): Promise<VenueError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(VenueError);
  return err as VenueError;
}

/** Nothing a person or a log line sees may carry the key or the address (URLs can carry keys). */
function expectNoSecrets(err: VenueError): void {
  const seen = [err.message, err.userMessage, String(err.cause), (err.cause as Error | undefined)?.message ?? ''].join('\n');
  expect(seen).not.toContain(KEY);
  expect(seen).not.toContain('jup.test');
  expect(seen).not.toContain('/swap/v1');
  expect(seen).not.toContain('/price/v3');
}

const buySol = (lamports: bigint) => ({ inputMint: SOL_MINT, outputMint: WIF, amount: lamports, slippageBps: 100 });

describe('JupiterClient.quote', () => {
  it('parses amounts as bigint, sends the key and the documented query', async () => {
    const q = await client().quote(buySol(1_000_000_000n));
    // 1 SOL at $150 buys 75 WIF at $2; 6 decimals.
    expect(q).toMatchObject({ venue: 'jupiter', inputMint: SOL_MINT, outputMint: WIF, inAmount: 1_000_000_000n, outAmount: 75_000_000n, minOutAmount: 74_250_000n, slippageBps: 100, priceImpactPct: 0 });
    expect((q.raw as { routePlan: unknown[] }).routePlan).toHaveLength(1);
    const [req] = market.requestsTo('jupiter', '/swap/v1/quote');
    expect(req).toMatchObject({ apiKey: KEY, query: { inputMint: SOL_MINT, outputMint: WIF, amount: '1000000000', slippageBps: '100', restrictIntermediateTokens: 'true' } });
  });

  it('keeps amounts beyond 2^53 exact', async () => {
    // 1,000 SOL into a token priced at $0.00002 with 5 decimals: 7.5e14 base units, and the reverse.
    const q = await client().quote({ ...buySol(1_000_000_000_000n), outputMint: BONK });
    expect(q.outAmount).toBe(750_000_000_000_000n);
    market.setToken(BONK, { usdPrice: 0.00002, decimals: 9 });
    const big = await client().quote({ inputMint: BONK, outputMint: SOL_MINT, amount: 123_456_789_012_345_678_901n, slippageBps: 50 });
    expect(big.inAmount).toBe(123_456_789_012_345_678_901n);
    expect(big.outAmount).toBe((123_456_789_012_345_678_901n * 2n) / (150n * 100_000n));
  });

  it('omits the key header when no key is configured', async () => {
    await client({ apiKey: undefined }).quote(buySol(1_000_000n));
    expect(market.requests[0]?.apiKey).toBeNull();
  });

  it('an unknown token is no_route with a sentence a person can read', async () => {
    const err = await failure(client().quote({ ...buySol(1_000_000n), outputMint: UNKNOWN }));
    expect(err.kind).toBe('no_route');
    expect(err.userMessage).toMatch(/^Jupiter does not trade this token/);
    expectNoSecrets(err);
  });

  it('a known token without a route is no_route too, and is not retried', async () => {
    market.setToken(WIF, { usdPrice: 2, decimals: 6, jupiterRoute: false });
    const err = await failure(client().quote(buySol(1_000_000n)));
    expect(err.kind).toBe('no_route');
    expect(err.userMessage).toMatch(/no route/);
    expect(market.requests).toHaveLength(1);
  });

  it('other 4xx answers are rejected, once', async () => {
    server.use(http.get(`${JUP}/swap/v1/quote`, () => HttpResponse.json({ error: 'Invalid slippageBps', errorCode: 'INVALID_REQUEST' }, { status: 400 })));
    const err = await failure(client().quote(buySol(1_000_000n)));
    expect(err.kind).toBe('rejected');
    expect(err.userMessage).toMatch(/refused the quote request/);
  });

  it('401 says the key is the problem', async () => {
    const strict = new FakeMarket({ jupiterApiKey: 'the-right-key-000' });
    server.use(...strict.handlers({ jupiterUrl: JUP, bagsUrl: BAGS }));
    const err = await failure(client().quote(buySol(1_000_000n)));
    expect(err.kind).toBe('rejected');
    expect(err.userMessage).toMatch(/JUPITER_API_KEY/);
    expectNoSecrets(err);
  });
});

describe('JupiterClient.swap', () => {
  it('posts the raw quote with our options and decodes the base64 transaction', async () => {
    const bytes = Uint8Array.from({ length: 700 }, (_, i) => (i * 7) % 256);
    const m = new FakeMarket({ makeTransaction: () => bytes });
    m.setToken(WIF, { usdPrice: 2, decimals: 6 });
    m.lastValidBlockHeight = 123_456;
    server.use(...m.handlers({ jupiterUrl: JUP, bagsUrl: BAGS }));
    const c = client();
    const q = await c.quote(buySol(5_000_000n));
    const tx = await c.swap(q, USER, { priorityFeeLamports: 10_000 });
    expect(tx.lastValidBlockHeight).toBe(123_456);
    expect(Buffer.from(tx.transaction).equals(Buffer.from(bytes))).toBe(true);
    const swapReq = m.requestsTo('jupiter', '/swap/v1/swap')[0];
    expect(swapReq?.apiKey).toBe(KEY);
    expect(swapReq?.body).toEqual({ quoteResponse: q.raw, userPublicKey: USER, dynamicComputeUnitLimit: true, prioritizationFeeLamports: 10_000 });
  });

  it('is retried on 5xx, since building a transaction moves nothing', async () => {
    const q = await client().quote(buySol(5_000_000n));
    let calls = 0;
    server.use(
      http.post(`${JUP}/swap/v1/swap`, () => {
        calls++;
        return calls === 1 ? new HttpResponse('oops', { status: 502 }) : undefined;
      }),
    );
    const tx = await client().swap(q, USER, { priorityFeeLamports: 0 });
    expect(calls).toBe(2);
    expect(tx.lastValidBlockHeight).toBe(1000);
  });

  it('a transaction that is not base64 is bad_response', async () => {
    const q = await client().quote(buySol(5_000_000n));
    server.use(http.post(`${JUP}/swap/v1/swap`, () => HttpResponse.json({ swapTransaction: 'not base64 at all!', lastValidBlockHeight: 5 })));
    const err = await failure(client().swap(q, USER, { priorityFeeLamports: 0 }));
    expect(err.kind).toBe('bad_response');
  });

  it('refuses a quote from another venue (a programming error)', async () => {
    const q = await client().quote(buySol(5_000_000n));
    await expect(client().swap({ ...q, venue: 'bags' }, USER, { priorityFeeLamports: 0 })).rejects.toThrow(/bags/);
  });
});

describe('JupiterClient.prices', () => {
  it('answers one batch; a mint without a price is absent', async () => {
    market.setToken(BONK, { decimals: 5 }); // no price
    const prices = await client().prices([SOL_MINT, WIF, BONK, UNKNOWN]);
    expect(prices.get(SOL_MINT)).toEqual({ usdPrice: 150, decimals: 9 });
    expect(prices.get(WIF)).toEqual({ usdPrice: 2, decimals: 6 });
    expect(prices.has(BONK)).toBe(false);
    expect(prices.has(UNKNOWN)).toBe(false);
    const reqs = market.requestsTo('jupiter', '/price/v3');
    expect(reqs).toHaveLength(1);
    expect(reqs[0]?.query.ids?.split(',')).toEqual([SOL_MINT, WIF, BONK, UNKNOWN]);
    expect(reqs[0]?.apiKey).toBe(KEY);
  });

  it('treats null, zero, negative and non-numeric prices as absent', async () => {
    server.use(
      http.get(`${JUP}/price/v3`, () =>
        HttpResponse.json({
          [SOL_MINT]: { usdPrice: 151.5, decimals: 9, liquidity: 1 },
          [WIF]: null,
          [BONK]: { usdPrice: 0, decimals: 5 },
          a: { usdPrice: -1, decimals: 5 },
          b: { usdPrice: '2', decimals: 5 },
          c: { usdPrice: 3 },
        }),
      ),
    );
    const prices = await client().prices([SOL_MINT, WIF, BONK, 'a', 'b', 'c']);
    expect([...prices.keys()]).toEqual([SOL_MINT, 'c']);
    expect(prices.get('c')).toEqual({ usdPrice: 3 });
  });

  it('refuses more than 50 mints without asking', async () => {
    const mints = Array.from({ length: 51 }, (_, i) => `Mint${i}`);
    await expect(client().prices(mints)).rejects.toThrow(/at most 50/);
    expect(market.requests).toHaveLength(0);
    expect((await client().prices([])).size).toBe(0);
  });
});

describe('JupiterClient failures', () => {
  it('429 is rate_limited with Retry-After, and the shared budget then holds every call back', async () => {
    const clock = new ManualClock();
    const budget = new RateBudget({ perMinute: 600, clock, sleep: async (ms) => clock.advance(ms) });
    const c = client({ budget, maxBudgetWaitMs: 500 });
    market.jupiter429(1, 3);
    const err = await failure(c.quote(buySol(1_000_000n)));
    expect(err.kind).toBe('rate_limited');
    expect(err.retryAfterMs).toBe(3_000);
    expect(err.userMessage).toBe('Jupiter is limiting how often Jarvis may ask; try again in 3 seconds.');
    expectNoSecrets(err);
    expect(budget.tryTake()).toBe(3_000);

    // The prices poll shares the key: refused at once, nothing sent.
    const held = await failure(c.prices([SOL_MINT]));
    expect(held.kind).toBe('rate_limited');
    expect(held.retryAfterMs).toBe(3_000);
    expect(market.requests).toHaveLength(1);

    // Willing to wait longer: the budget sleeps (on the manual clock) and the call goes through.
    const patient = client({ budget, maxBudgetWaitMs: 10_000 });
    expect((await patient.prices([SOL_MINT])).get(SOL_MINT)?.usdPrice).toBe(150);
    expect(market.requests).toHaveLength(2);
  });

  it('429 without Retry-After assumes 10 seconds', async () => {
    server.use(http.get(`${JUP}/price/v3`, () => new HttpResponse('slow down', { status: 429 })));
    const err = await failure(client().prices([SOL_MINT]));
    expect(err.kind).toBe('rate_limited');
    expect(err.retryAfterMs).toBe(10_000);
  });

  it('Retry-After given as an HTTP date is honoured', async () => {
    const at = new Date(Date.now() + 20_000).toUTCString();
    server.use(http.get(`${JUP}/price/v3`, () => new HttpResponse(null, { status: 429, headers: { 'Retry-After': at } })));
    const err = await failure(client().prices([SOL_MINT]));
    expect(err.retryAfterMs).toBeGreaterThan(15_000);
    expect(err.retryAfterMs).toBeLessThanOrEqual(20_000);
  });

  it('a 4xx page that is not JSON (a proxy, a wrong base URL) is rejected, not retried', async () => {
    let calls = 0;
    server.use(
      http.get(`${JUP}/swap/v1/quote`, () => {
        calls++;
        return new HttpResponse('<h1>Not Found</h1>', { status: 404, headers: { 'content-type': 'text/html' } });
      }),
    );
    const err = await failure(client().quote(buySol(1_000_000n)));
    expect(err.kind).toBe('rejected');
    expect(calls).toBe(1);
  });

  it('5xx is retried twice, then unavailable', async () => {
    market.jupiterDown = true;
    const err = await failure(client().quote(buySol(1_000_000n)));
    expect(err.kind).toBe('unavailable');
    expect(err.userMessage).toBe('Jupiter is not answering right now; try again in a minute.');
    expect(market.requests).toHaveLength(3);
    expect(String(err.cause)).toMatch(/HTTP 503 \(3 attempts\)/);
    expectNoSecrets(err);
  });

  it('a network error is retried, then unavailable', async () => {
    let calls = 0;
    server.use(
      http.get(`${JUP}/price/v3`, () => {
        calls++;
        return HttpResponse.error();
      }),
    );
    const err = await failure(client().prices([SOL_MINT]));
    expect(err.kind).toBe('unavailable');
    expect(calls).toBe(3);
    expectNoSecrets(err);
  });

  it('a slow answer times out and is unavailable', async () => {
    market.jupiterDelayMs = 1_000;
    const started = Date.now();
    const err = await failure(client({ timeoutMs: 40, retries: 1 }).quote(buySol(1_000_000n)));
    expect(err.kind).toBe('unavailable');
    expect(String(err.cause)).toMatch(/timed out \(2 attempts\)/);
    expect(Date.now() - started).toBeLessThan(900);
    expectNoSecrets(err);
  });

  it('the caller aborting stops at once, without retries or a VenueError', async () => {
    market.jupiterDelayMs = 1_000;
    const controller = new AbortController();
    const p = client().quote(buySol(1_000_000n), controller.signal);
    setTimeout(() => controller.abort(new Error('user cancelled')), 20);
    await expect(p).rejects.toThrow('user cancelled');
    expect(market.requests).toHaveLength(1);
  });

  it('a body that is not JSON is bad_response', async () => {
    server.use(http.get(`${JUP}/swap/v1/quote`, () => new HttpResponse('<html>oops</html>', { status: 200, headers: { 'content-type': 'application/json' } })));
    const err = await failure(client().quote(buySol(1_000_000n)));
    expect(err.kind).toBe('bad_response');
    expect(err.userMessage).toBe('Jupiter sent an answer Jarvis could not read; try again later.');
    expectNoSecrets(err);
  });

  it('JSON of the wrong shape is bad_response', async () => {
    server.use(
      http.get(`${JUP}/swap/v1/quote`, ({ request }) => {
        const q = new URL(request.url).searchParams;
        return HttpResponse.json({ inputMint: q.get('inputMint'), outputMint: q.get('outputMint'), inAmount: '1000', outAmount: 12.5, otherAmountThreshold: '1', slippageBps: 100, priceImpactPct: '0', routePlan: [] });
      }),
    );
    expect((await failure(client().quote(buySol(1_000_000n)))).kind).toBe('bad_response');
    server.use(http.get(`${JUP}/price/v3`, () => HttpResponse.json(['not', 'a', 'map'])));
    expect((await failure(client().prices([SOL_MINT]))).kind).toBe('bad_response');
  });
});
