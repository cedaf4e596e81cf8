import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN } from '../support/app-harness.js';
import { MINT_A, type TradingHarness } from '../support/trading-harness.js';
import { liveBuy, liveHarness, OWNER, RPC_A, RPC_B } from '../support/live-harness.js';
import { FakeSolanaRpc } from '../fakes/solana-rpc.js';
import { randomBytes } from 'node:crypto';
import { encodeBase58 } from '../../src/trading/base58.js';

/**
 * A token falling faster than a position's slippage: every sale fails with 0x1771 (the fake chain
 * moves the price `slideBps` against each swap between quote and execution). A stop-loss retries
 * with a wider slippage each time, up to TRADING_SL_MAX_SLIPPAGE_BPS, and sells once; take-profits
 * and manual sales keep the position's slippage. Real clients against the fakes, live mode.
 */

let h: TradingHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/**
 * Widening retries come 5 s apart on the manual clock, and the Jupiter request budget (60 a minute)
 * would make the later ones wait for real seconds that the manual clock never sees. The budget is
 * not what these tests are about.
 */
const BUDGET = { JUPITER_RATE_PER_MIN: '6000' };
const t = () => h!.app.services.trading;
const pos = (id: number) => t().d.store.get(id)!;
const sells = () => h!.app.services.db.prepare("SELECT reason, signature FROM trades WHERE side = 'sell' ORDER BY id").all() as { reason: string; signature: string }[];
/** The slippage of every sale quote asked of Jupiter, in order. */
const saleSlippages = () => h!.market.requestsTo('jupiter', '/swap/v1/quote').filter((r) => r.query.inputMint === MINT_A).map((r) => Number(r.query.slippageBps));

async function settle(): Promise<void> {
  for (let i = 0; i < 400 && t().exits.busy > 0; i++) await new Promise((r) => setTimeout(r, 10));
}

/** A monitor tick, and the exits it started carried out. */
async function tick(): Promise<void> {
  await h!.tick();
  await settle();
}

/** Moves the clock to when the position's failed exit may be retried, and ticks. */
async function retry(id: number): Promise<void> {
  const at = pos(id).retryAt;
  expect(at).not.toBeNull();
  h!.clock.advance(Math.max(0, at! - h!.clock.now()));
  await tick();
}

/** Notices the owner received since the last call, and all of them so far. */
const seen: string[] = [];
async function notices(): Promise<string[]> {
  const fresh = await h!.notices(ADMIN);
  seen.push(...fresh);
  return fresh;
}
afterEach(() => {
  seen.length = 0;
});

const count = (texts: string[], pattern: RegExp) => texts.filter((s) => pattern.test(s)).length;

describe('a stop-loss in a price falling faster than its slippage', () => {
  it('doubles the slippage on every try (the re-quote and the next attempt) until it sells, once, and says it widened', async () => {
    const rpc = new FakeSolanaRpc({ confirmAfterSends: 1 });
    let pub: string;
    ({ harness: h, pub } = await liveHarness(rpc, undefined, BUDGET));
    const p = await liveBuy(h, `${MINT_A} 0.5 tp=50 sl=20`);
    expect(p.slippageBps).toBe(100);
    await notices();

    rpc.slideBps = 700; // sales fail below 7% slippage
    h.market.setPrice(MINT_A, 0.015 * 0.5);
    await tick();
    expect(pos(p.id)).toMatchObject({ state: 'open', exitAttempts: 1 });
    // 1%, then its re-quote at 2%: both below the slide.
    expect(await notices()).toEqual([expect.stringMatching(/^Selling position #\d+ \(Aaaa…Lmno\) failed: The price moved more than your slippage allows, twice\. Retrying in 5 s with slippage widened to 4% \(attempt 1\)\.$/)]);
    expect(sells()).toHaveLength(0);
    await retry(p.id); // 4% fails; its re-quote at 8% is within the slide and sells

    // The slippage asked for grows and never passes the cap (2000 bps by default).
    expect(saleSlippages()).toEqual([100, 200, 400, 800]);
    expect(sells().map((s) => s.reason)).toEqual(['sl']);
    expect(pos(p.id).state).toBe('closed');
    expect(rpc.tokenBalance(pub!, MINT_A)).toBe(0n);
    const texts = await notices();
    expect(texts).toHaveLength(1);
    expect(texts[0]).toMatch(/^Stop-loss: sold position #\d+ \(Aaaa…Lmno\), now closed\./);
    expect(texts[0]).toContain("Sold with slippage widened to 8% because the price was falling faster than the position's own 1% allowed.");

    // Nothing more happens: no second sale, no second message.
    h.clock.advance(600_000);
    await tick();
    expect(sells()).toHaveLength(1);
    expect(await notices()).toEqual([]);
    expect(count(seen, /slippage widened to 8%/)).toBe(1);
  });

  it('widens the same way when simulation passes and the swap fails on chain, without waiting for the blockhash', async () => {
    const rpc = new FakeSolanaRpc({ confirmAfterSends: 1 });
    ({ harness: h } = await liveHarness(rpc, undefined, BUDGET));
    const p = await liveBuy(h, `${MINT_A} 0.5 tp=50 sl=20`);
    await notices();
    const sentBefore = rpc.sent.length;

    rpc.slideBps = 300; // sales fail below 3% slippage, but only once they are on chain
    rpc.slideOnChainOnly = true;
    h.market.setPrice(MINT_A, 0.015 * 0.5);
    await tick();
    // Both transactions of the attempt were sent and failed on chain (0x1771); the exit is free to retry at once.
    expect(rpc.sent.length - sentBefore).toBe(2);
    expect(pos(p.id)).toMatchObject({ state: 'open', exitAttempts: 1 });
    expect(await notices()).toEqual([expect.stringMatching(/Retrying in 5 s with slippage widened to 4% \(attempt 1\)/)]);
    await retry(p.id); // 4%: within the slide, sells
    expect(saleSlippages()).toEqual([100, 200, 400]);
    expect(sells().map((s) => s.reason)).toEqual(['sl']);
    expect(pos(p.id).state).toBe('closed');
    expect((await notices()).join('\n')).toContain('Sold with slippage widened to 4%');
  });

  it('stops widening at TRADING_SL_MAX_SLIPPAGE_BPS, tells the owner once, and sells at the cap when it can', async () => {
    const rpc = new FakeSolanaRpc({ confirmAfterSends: 1 });
    ({ harness: h } = await liveHarness(rpc, undefined, { ...BUDGET, TRADING_SL_MAX_SLIPPAGE_BPS: '1000' }));
    const p = await liveBuy(h, `${MINT_A} 0.5 tp=50 sl=20 trail`);
    await notices();

    rpc.slideBps = 3000; // a crash: not even the cap is enough
    h.market.setPrice(MINT_A, 0.015 * 0.5);
    await tick();
    for (let i = 0; i < 7; i++) await retry(p.id);
    expect(pos(p.id)).toMatchObject({ state: 'open', exitAttempts: 8 });
    expect(sells()).toHaveLength(0);
    await notices();
    expect(count(seen, /^Trailing stop of position #\d+ \(Aaaa…Lmno\) still not sold: the price is falling faster than even 10% slippage allows/)).toBe(1);
    // The 8th failure, at the cap, does not repeat it.
    expect(count(seen, /attempt 8/)).toBe(0);

    rpc.slideBps = 900; // the fall slows to within the cap
    await retry(p.id);
    const slippages = saleSlippages();
    // 1%, 2% | 4%, 8% | then the cap (10%) for both tries of every attempt.
    expect(slippages).toEqual([100, 200, 400, 800, ...Array<number>(13).fill(1000)]);
    expect(Math.max(...slippages)).toBe(1000);
    expect(sells().map((s) => s.reason)).toEqual(['trail']);
    const texts = await notices();
    expect(texts).toHaveLength(1);
    expect(texts[0]).toMatch(/^Trailing stop: sold position #\d+/);
    expect(texts[0]).toContain('Sold with slippage widened to 10%');
    expect(count(seen, /still not sold/)).toBe(1);
  });

  it('keeps the widened slippage across a restart', async () => {
    const rpc = new FakeSolanaRpc({ confirmAfterSends: 1 });
    ({ harness: h } = await liveHarness(rpc, undefined, BUDGET));
    const p = await liveBuy(h, `${MINT_A} 0.5 tp=50 sl=20`);
    rpc.slideBps = 1_500; // sales fail below 15%
    h.market.setPrice(MINT_A, 0.015 * 0.5);
    await tick();
    await retry(p.id);
    expect(saleSlippages()).toEqual([100, 200, 400, 800]);

    await h.restart();
    h.server.use(...rpc.handlers(RPC_A), ...rpc.handlers(RPC_B));
    await retry(p.id); // 16%: sells, where a stop starting over at 1% would fail again
    expect(saleSlippages()).toEqual([100, 200, 400, 800, 1600]);
    expect(sells().map((s) => s.reason)).toEqual(['sl']);
    expect(pos(p.id).state).toBe('closed');
  });
});

describe('a widened stop-loss cut off by a crash', () => {
  it('is booked once at the restart, and its notice names the slippage its transaction used', async () => {
    const rpc = new FakeSolanaRpc({ confirmAfterSends: 1 });
    let pub: string;
    ({ harness: h, pub } = await liveHarness(rpc, undefined, BUDGET));
    const p = await liveBuy(h, `${MINT_A} 0.5 tp=50 sl=20`);
    await notices();
    // The attempt started at 4%; its re-quote at 8% was sent, then the daemon died.
    const sig = encodeBase58(randomBytes(64));
    const tx = { signature: sig, lastValidBlockHeight: rpc.blockHeight + 100, venue: 'jupiter', expectedOut: '200000000', feeLamports: 105_000, slippageBps: 800 };
    const intent = { id: 'widened-exit', reason: 'sl' as const, legs: [], tokens: p.tokensLeft.toString(), slippageBps: 400, tx };
    expect(t().exits.claim(p.id, intent)).toBe(true);
    t().d.store.sql.setExitTx.run({ id: p.id, exit: JSON.stringify(intent), now: Date.now() });
    rpc.markLanded(sig, { swap: { owner: pub!, mint: MINT_A, side: 'sell', lamports: 210_000_000n, tokens: p.tokensLeft, feeLamports: 105_000 } });

    await h.restart();
    expect(pos(p.id).state).toBe('closed');
    expect(sells()).toEqual([{ reason: 'sl', signature: sig }]);
    const texts = (await notices()).filter((x) => x.startsWith('Stop-loss: sold'));
    expect(texts).toHaveLength(1);
    expect(texts[0]).toContain('Sold with slippage widened to 8%');
  });
});

describe('sales that are not stop-losses never widen', () => {
  it('a take-profit failing on slippage retries at the position slippage', async () => {
    const rpc = new FakeSolanaRpc({ confirmAfterSends: 1 });
    ({ harness: h } = await liveHarness(rpc, undefined, BUDGET));
    const p = await liveBuy(h, `${MINT_A} 0.5 tp=50 sl=20`);
    await notices();

    rpc.slideBps = 700;
    h.market.setPrice(MINT_A, 0.015 * 1.6);
    await tick();
    expect(pos(p.id)).toMatchObject({ state: 'open', exitAttempts: 1 });
    expect(pos(p.id).exit?.reason).toBe('tp');
    expect(await notices()).toEqual([expect.stringMatching(/failed: The price moved more than your slippage allows, twice\. Retrying in 5 s \(attempt 1\)\.$/)]);
    for (let i = 0; i < 4; i++) await retry(p.id);
    expect(sells()).toHaveLength(0);
    expect(saleSlippages()).toEqual(Array<number>(10).fill(100));

    rpc.slideBps = 50; // the market calms down: within 1%
    await retry(p.id);
    expect(saleSlippages()).toEqual(Array<number>(11).fill(100));
    expect(sells().map((s) => s.reason)).toEqual(['tp']);
    await notices();
    expect(seen.some((s) => /widened|still not sold/.test(s))).toBe(false);
    expect(count(seen, /^Take-profit \+50%: sold position/)).toBe(1);
  });

  it('a manual sale failing on slippage says so and is retried at the position slippage', async () => {
    const rpc = new FakeSolanaRpc({ confirmAfterSends: 1 });
    ({ harness: h } = await liveHarness(rpc, undefined, BUDGET));
    const p = await liveBuy(h, `${MINT_A} 0.5 tp=50 sl=20`);
    rpc.slideBps = 700;
    const r = await t().sell(OWNER, p.id, 100);
    expect(r).toMatchObject({ status: 'failed', message: 'The price moved more than your slippage allows, twice.' });
    expect(pos(p.id).exit?.reason).toBe('manual');
    await retry(p.id);
    await retry(p.id);
    expect(saleSlippages()).toEqual(Array<number>(6).fill(100));
    expect(sells()).toHaveLength(0);
  });
});
