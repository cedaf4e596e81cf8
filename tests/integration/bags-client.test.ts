import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../../src/core/clock.js';
import { BagsClient, decodeTransactionBase58 } from '../../src/trading/bags.js';
import { encodeBase58, SOL_MINT } from '../../src/trading/base58.js';
import { VenueError } from '../../src/trading/errors.js';
import { RateBudget } from '../../src/trading/rate-budget.js';
import { JupiterClient } from '../../src/trading/jupiter.js';
import { VenueRouter } from '../../src/trading/route.js';
import { createLogger } from '../../src/core/logger.js';
import { FakeMarket } from '../fakes/market.js';

const JUP = 'http://jup.test';
const BAGS = 'http://bags.test/api/v1';
const KEY = 'bags-secret-key-0123456789';
const LAUNCH = 'CZzgUBvxaMLwMhVSLgqJn3npmxoTo6nzMNQPAnwtHF3s';
const OTHER = 'EKpQGSJtjMFqKZ9KQanSqYXRcF8fBopzLHYxdM65zcjm';
const USER = '7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

let market: FakeMarket;
beforeEach(() => {
  market = new FakeMarket({ bagsApiKey: KEY });
  market.setToken(LAUNCH, { usdPrice: 0.0005, decimals: 6, onBags: true });
  market.setToken(OTHER, { usdPrice: 2, decimals: 6 });
  server.use(...market.handlers({ jupiterUrl: JUP, bagsUrl: BAGS }));
});

function client(over: Partial<ConstructorParameters<typeof BagsClient>[0]> = {}): BagsClient {
  return new BagsClient({
    baseUrl: BAGS,
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

function expectNoSecrets(err: VenueError): void {
  const seen = [err.message, err.userMessage, String(err.cause)].join('\n');
  expect(seen).not.toContain(KEY);
  expect(seen).not.toContain('bags.test');
  expect(seen).not.toContain('/trade/');
}

const buy = (lamports: bigint, mint = LAUNCH) => ({ inputMint: SOL_MINT, outputMint: mint, amount: lamports, slippageBps: 300 });

describe('BagsClient.quote', () => {
  it('maps the bags quote to ours with bigint amounts, manual slippage and the key', async () => {
    const q = await client().quote(buy(100_000_000n));
    // 0.1 SOL at $150 = $15 → 30,000 tokens at $0.0005, 6 decimals.
    expect(q).toMatchObject({ venue: 'bags', inputMint: SOL_MINT, outputMint: LAUNCH, inAmount: 100_000_000n, outAmount: 30_000_000_000n, minOutAmount: 29_100_000_000n, slippageBps: 300, priceImpactPct: 0 });
    expect((q.raw as { requestId: string }).requestId).toMatch(/^fake-/);
    const [req] = market.requestsTo('bags', '/trade/quote');
    expect(req).toMatchObject({ apiKey: KEY, query: { inputMint: SOL_MINT, outputMint: LAUNCH, amount: '100000000', slippageMode: 'manual', slippageBps: '300' } });
  });

  it('a token that is not a bags launch is no_route, readable, not retried', async () => {
    const err = await failure(client().quote(buy(100_000_000n, OTHER)));
    expect(err.kind).toBe('no_route');
    expect(err.userMessage).toBe('bags.fm cannot trade this token; it may not be a bags.fm launch or has no pool yet.');
    expect(market.requests).toHaveLength(1);
    expectNoSecrets(err);
  });

  it('success:false with some other error is rejected, whatever the HTTP status', async () => {
    market.bagsFailure = 'Amount is below the minimum';
    const err = await failure(client().quote(buy(1n)));
    expect(err.kind).toBe('rejected');
    expect(err.userMessage).toMatch(/refused the quote request/);

    server.use(http.get(`${BAGS}/trade/quote`, () => HttpResponse.json({ success: false, error: 'Token not supported' })));
    const ok200 = await failure(client().quote(buy(1n)));
    expect(ok200.kind).toBe('no_route');

    server.use(http.get(`${BAGS}/trade/quote`, () => HttpResponse.json({ success: false, response: 'No pool found for mint' }, { status: 404 })));
    expect((await failure(client().quote(buy(1n)))).kind).toBe('no_route');
  });

  it('a wrong key is rejected and says which setting to check', async () => {
    const err = await failure(client({ apiKey: 'wrong-key-000000' }).quote(buy(1_000n)));
    expect(err.kind).toBe('rejected');
    expect(err.userMessage).toMatch(/BAGS_API_KEY/);
    expect(err.message).not.toContain('wrong-key-000000');
  });

  it('5xx is retried, then unavailable', async () => {
    market.bagsDown = true;
    const err = await failure(client().quote(buy(1_000n)));
    expect(err.kind).toBe('unavailable');
    expect(err.userMessage).toBe('bags.fm is not answering right now; try again in a minute.');
    expect(market.requests).toHaveLength(3);
    expectNoSecrets(err);
  });

  it('a slow answer times out and is unavailable', async () => {
    market.bagsDelayMs = 1_000;
    const err = await failure(client({ timeoutMs: 40, retries: 0 }).quote(buy(1_000n)));
    expect(err.kind).toBe('unavailable');
  });

  it('429 penalizes the bags budget', async () => {
    const clock = new ManualClock();
    const budget = new RateBudget({ perMinute: 1000 / 60, clock });
    server.use(http.get(`${BAGS}/trade/quote`, () => HttpResponse.json({ success: false, error: 'Too many requests' }, { status: 429, headers: { 'Retry-After': '60' } })));
    const err = await failure(client({ budget }).quote(buy(1_000n)));
    expect(err.kind).toBe('rate_limited');
    expect(err.retryAfterMs).toBe(60_000);
    expect(err.userMessage).toBe('bags.fm is limiting how often Jarvis may ask; try again in 60 seconds.');
    expect(budget.tryTake()).toBe(60_000);
  });

  it('answers without the envelope, or with a broken quote, are bad_response', async () => {
    server.use(http.get(`${BAGS}/trade/quote`, () => HttpResponse.json({ inAmount: '1', outAmount: '2' })));
    expect((await failure(client().quote(buy(1_000n)))).kind).toBe('bad_response');
    server.use(http.get(`${BAGS}/trade/quote`, () => HttpResponse.json({ success: true, response: { inAmount: '1', outAmount: '-2', minOutAmount: '1', inputMint: SOL_MINT, outputMint: LAUNCH, priceImpactPct: '0', slippageBps: 1 } })));
    expect((await failure(client().quote(buy(1_000n)))).kind).toBe('bad_response');
    server.use(http.get(`${BAGS}/trade/quote`, () => new HttpResponse('{"success":tru', { status: 200 })));
    const err = await failure(client().quote(buy(1_000n)));
    expect(err.kind).toBe('bad_response');
    expectNoSecrets(err);
  });
});

describe('BagsClient.swap', () => {
  it('decodes the base58 transaction to the exact bytes the fake built', async () => {
    // Realistic size, with leading zero bytes (base58 encodes those as leading '1's).
    const bytes = Uint8Array.from({ length: 1_100 }, (_, i) => (i < 3 ? 0 : (i * 31 + 7) % 256));
    const m = new FakeMarket({ makeTransaction: () => bytes });
    m.setToken(LAUNCH, { usdPrice: 0.0005, decimals: 6, onBags: true });
    m.lastValidBlockHeight = 987_654;
    server.use(...m.handlers({ jupiterUrl: JUP, bagsUrl: BAGS }));
    const c = client();
    const q = await c.quote(buy(50_000_000n));
    const tx = await c.swap(q, USER, { priorityFeeLamports: 10_000 });
    expect(tx.lastValidBlockHeight).toBe(987_654);
    expect(Buffer.from(tx.transaction).equals(Buffer.from(bytes))).toBe(true);
    expect(m.transactions).toHaveLength(1);
    const req = m.requestsTo('bags', '/trade/swap')[0];
    expect(req?.body).toEqual({ quoteResponse: q.raw, userPublicKey: USER });
    expect(req?.apiKey).toBe(KEY);
  });

  it('a transaction that is not base58 is bad_response', async () => {
    const q = await client().quote(buy(50_000_000n));
    server.use(http.post(`${BAGS}/trade/swap`, () => HttpResponse.json({ success: true, response: { swapTransaction: 'AQID+/0OIl==', lastValidBlockHeight: 1 } })));
    const err = await failure(client().swap(q, USER, { priorityFeeLamports: 0 }));
    expect(err.kind).toBe('bad_response');
  });

  it('success:false on swap is rejected', async () => {
    const q = await client().quote(buy(50_000_000n));
    market.bagsFailure = true;
    const err = await failure(client().swap(q, USER, { priorityFeeLamports: 0 }));
    expect(err.kind).toBe('rejected');
    expect(err.userMessage).toMatch(/refused the swap request/);
  });
});

describe('decodeTransactionBase58', () => {
  it('round-trips with encodeBase58 for empty-prefixed and full-size transactions', () => {
    for (const bytes of [Uint8Array.from([0, 0, 1, 2, 255]), Uint8Array.from({ length: 1_232 }, (_, i) => (i * 13) % 256), Uint8Array.from([0])]) {
      expect(Buffer.from(decodeTransactionBase58(encodeBase58(bytes))!).equals(Buffer.from(bytes))).toBe(true);
    }
    expect(decodeTransactionBase58('0OIl')).toBeUndefined();
    expect(decodeTransactionBase58('')).toBeUndefined();
  });
});

describe('VenueRouter: mints bags.fm does not trade', () => {
  const mints = ['So1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1', 'So1bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2', 'So1ccccccccccccccccccccccccccccccccccccccc3'].map((m) => m.replace('So1', 'Tk1'));
  const jupiter = () => new JupiterClient({ baseUrl: JUP, timeoutMs: 500, budget: new RateBudget({ perMinute: 6_000, clock: systemClock }), backoffMs: 1 });
  const bagsQuotes = (mint: string) => market.requestsTo('bags', '/trade/quote').filter((r) => r.query.outputMint === mint).length;

  it('are remembered for an hour (no bags.fm quota spent on them), and the memory stays bounded', async () => {
    for (const m of mints) market.setToken(m, { usdPrice: 1, decimals: 6 });
    const clock = new ManualClock(1_700_000_000_000);
    const router = new VenueRouter({ jupiter: jupiter(), bags: client() }, createLogger({ level: 'silent' }), () => clock.now(), 3_600_000, 2);
    const [a, b, c] = mints as [string, string, string];
    for (const m of [a, b]) expect((await router.quote(buy(1_000_000n, m))).venue).toBe('jupiter');
    await router.quote(buy(1_000_000n, a));
    expect([bagsQuotes(a), bagsQuotes(b)]).toEqual([1, 1]); // the second quote of a did not ask bags.fm
    // A third one with room for two: the oldest (a) is forgotten, b and c are kept.
    await router.quote(buy(1_000_000n, c));
    await router.quote(buy(1_000_000n, b));
    await router.quote(buy(1_000_000n, c));
    expect([bagsQuotes(b), bagsQuotes(c)]).toEqual([1, 1]);
    await router.quote(buy(1_000_000n, a));
    expect(bagsQuotes(a)).toBe(2);
    // After an hour bags.fm is asked again.
    clock.advance(3_600_001);
    await router.quote(buy(1_000_000n, b));
    expect(bagsQuotes(b)).toBe(2);
  });
});
