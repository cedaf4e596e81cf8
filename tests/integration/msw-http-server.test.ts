import { http, HttpResponse } from 'msw';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { BagsClient } from '../../src/trading/bags.js';
import { SOL_MINT } from '../../src/trading/base58.js';
import { VenueError } from '../../src/trading/errors.js';
import { JupiterClient } from '../../src/trading/jupiter.js';
import { RateBudget } from '../../src/trading/rate-budget.js';
import { FakeMarket } from '../fakes/market.js';
import { serveHandlers, type ServedHandlers } from '../fakes/msw-http-server.js';

const TOKEN = 'CZzgUBvxaMLwMhVSLgqJn3npmxoTo6nzMNQPAnwtHF3s';
const USER = '7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU';

let served: ServedHandlers | undefined;
afterEach(async () => {
  await served?.close();
  served = undefined;
});

const budget = () => new RateBudget({ perMinute: 6_000, clock: systemClock });

describe('serveHandlers', () => {
  it('serves the fake market over real HTTP to the real clients', async () => {
    const bytes = Uint8Array.from([0, 9, 8, 7, 6, 5]);
    const market = new FakeMarket({ makeTransaction: () => bytes });
    market.setToken(TOKEN, { usdPrice: 0.01, decimals: 6, onBags: true });
    served = await serveHandlers((url) => market.handlers({ jupiterUrl: `${url}/jup`, bagsUrl: `${url}/bags/api/v1` }));
    expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const jupiter = new JupiterClient({ baseUrl: `${served.url}/jup`, apiKey: 'k-jup-123456', timeoutMs: 2_000, budget: budget(), backoffMs: 1 });
    const q = await jupiter.quote({ inputMint: SOL_MINT, outputMint: TOKEN, amount: 1_000_000_000n, slippageBps: 50 });
    expect(q.outAmount).toBe(15_000_000_000n);
    const tx = await jupiter.swap(q, USER, { priorityFeeLamports: 1 });
    expect([...tx.transaction]).toEqual([...bytes]);
    expect((await jupiter.prices([SOL_MINT, TOKEN])).get(TOKEN)?.usdPrice).toBe(0.01);

    const bags = new BagsClient({ baseUrl: `${served.url}/bags/api/v1`, apiKey: 'k-bags-123456', timeoutMs: 2_000, budget: budget(), backoffMs: 1 });
    const bq = await bags.quote({ inputMint: SOL_MINT, outputMint: TOKEN, amount: 1_000_000_000n, slippageBps: 50 });
    const btx = await bags.swap(bq, USER, { priorityFeeLamports: 0 });
    expect([...btx.transaction]).toEqual([...bytes]);

    expect(market.requests.map((r) => `${r.service} ${r.method} ${r.path} ${r.apiKey}`)).toEqual([
      'jupiter GET /swap/v1/quote k-jup-123456',
      'jupiter POST /swap/v1/swap k-jup-123456',
      'jupiter GET /price/v3 k-jup-123456',
      'bags GET /trade/quote k-bags-123456',
      'bags POST /trade/swap k-bags-123456',
    ]);
  });

  it('passes status and headers through, so faults reach the client as they would in-process', async () => {
    const market = new FakeMarket();
    served = await serveHandlers((url) => market.handlers({ jupiterUrl: `${url}/jup`, bagsUrl: `${url}/bags/api/v1` }));
    market.jupiter429(1, 4);
    const jupiter = new JupiterClient({ baseUrl: `${served.url}/jup`, timeoutMs: 2_000, budget: budget(), backoffMs: 1 });
    const err = await jupiter.prices([SOL_MINT]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VenueError);
    expect((err as VenueError).retryAfterMs).toBe(4_000);
  });

  it('answers 404 JSON when no handler matches, and use() adds handlers in front', async () => {
    served = await serveHandlers([]);
    const miss = await fetch(`${served.url}/nothing/here?x=1`);
    expect(miss.status).toBe(404);
    expect(await miss.json()).toEqual({ error: 'no fake handler for GET /nothing/here' });

    served.use(http.post(`${served.url}/echo`, async ({ request }) => HttpResponse.json({ got: await request.json(), key: request.headers.get('x-api-key') }, { status: 201 })));
    const echo = await fetch(`${served.url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'abc' }, body: JSON.stringify({ a: [1, 2] }) });
    expect(echo.status).toBe(201);
    expect(await echo.json()).toEqual({ got: { a: [1, 2] }, key: 'abc' });
  });

  it('closes promptly even with a keep-alive connection open', async () => {
    served = await serveHandlers([http.get('*/ping', () => HttpResponse.json({ ok: true }))]);
    expect(await (await fetch(`${served.url}/ping`)).json()).toEqual({ ok: true });
    const started = Date.now();
    await served.close();
    served = undefined;
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
