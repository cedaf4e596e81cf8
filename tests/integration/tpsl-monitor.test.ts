import { encodeBase58, SOL_MINT } from '../../src/trading/base58.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN } from '../support/app-harness.js';
import { makeTradingHarness, MINT_A, MINT_B, type TradingHarness } from '../support/trading-harness.js';
import { parseBuyArgs, type BuyArgs } from '../../src/trading/buy-args.js';
import type { Position } from '../../src/trading/store.js';
import { buildTrading } from '../../src/trading/build.js';

/**
 * The TP/SL monitor against a fake Jupiter: the real clients, service, store and exit desk.
 * Prices are USD in the fake; positions are judged in SOL (SOL is fixed at 150 USD here).
 */

const OWNER = `telegram:${ADMIN}`;
let h: TradingHarness;

const args = (s: string): BuyArgs => {
  const a = parseBuyArgs(s);
  if (typeof a === 'string') throw new Error(a);
  return a;
};

async function buy(s: string): Promise<Position> {
  const t = h.app.services.trading;
  return t.buy(OWNER, String(ADMIN), await t.prepareBuy(OWNER, args(s)));
}

const sells = () => h.app.services.db.prepare("SELECT reason, tokens, pnl_lamports AS pnl FROM trades WHERE side = 'sell' ORDER BY id").all() as { reason: string; tokens: string; pnl: number }[];
const pos = (id: number) => h.app.services.trading.d.store.get(id)!;
const balance = async () => (await h.app.services.trading.balance(OWNER)).lamports;
/** A valid mint address from a byte pattern. */
const makeMint = (byte: (j: number) => number) => encodeBase58(Uint8Array.from({ length: 32 }, (_, j) => byte(j) % 256));

/**
 * `n` open paper positions on `mint`, written straight into the store (buying them would take a
 * quote each): entry at the fake's price (0.015 USD), TP +50% selling all, fixed SL 20%.
 */
function seedOpen(mint: string, n: number): void {
  h.market.setToken(mint, { usdPrice: 0.015, decimals: 6 });
  const ins = h.app.services.db.prepare(
    `INSERT INTO positions (user_key, chat_id, mode, mint, decimals, state, cost_lamports, tokens_bought, tokens_left, entry_price, high_price, sl_pct, sl_trailing, tp, slippage_bps, opened_at, updated_at)
     VALUES (?, ?, 'paper', ?, 6, 'open', 1000, '1000', '1000', 0.0001, 0.0001, 20, 0, '[{"at":50,"sell":100,"done":false}]', 100, 0, 0)`,
  );
  for (let i = 0; i < n; i++) ins.run(OWNER, String(ADMIN), mint);
}

beforeEach(async () => {
  h = await makeTradingHarness();
});
afterEach(async () => {
  await h.close();
});

describe('buying', () => {
  it('refuses a buy without a stop-loss or without a take-profit, and nothing changes', async () => {
    const t = h.app.services.trading;
    const before = await balance();
    await expect(t.prepareBuy(OWNER, args(`${MINT_A} 0.5 tp=50`))).rejects.toThrow(/stop-loss/);
    await expect(t.prepareBuy(OWNER, args(`${MINT_A} 0.5 sl=20`))).rejects.toThrow(/take-profit/);
    expect(t.positions(OWNER)).toHaveLength(0);
    expect(await balance()).toBe(before);
  });

  it('a paper buy fills at the quote less fees, from the paper balance', async () => {
    const before = await balance();
    const p = await buy(`${MINT_A} 0.5 tp=50:50,100:50 sl=20`);
    expect(p.state).toBe('open');
    // 0.5 SOL = 75 USD = 5000 tokens at 0.015 USD, 6 decimals.
    expect(p.tokensBought).toBe(5_000_000_000n);
    const fees = 5_000 + 100_000;
    expect(p.costLamports).toBe(500_000_000 + fees);
    expect(await balance()).toBe(before - 500_000_000 - fees);
    expect(p.entryPrice).toBeCloseTo((0.5 + fees / 1e9) / 5000, 12);
  });

  it('refuses more than the per-trade limit and more than the balance', async () => {
    const t = h.app.services.trading;
    await expect(t.prepareBuy(OWNER, args(`${MINT_A} 1.5 tp=50 sl=20`))).rejects.toThrow(/per trade/);
  });

  it('refuses a token without a price, so a position is never left unwatched', async () => {
    h.market.setPrice(MINT_A, undefined);
    await expect(h.app.services.trading.prepareBuy(OWNER, args(`${MINT_A} 0.5 tp=50 sl=20`))).rejects.toThrow(/no reliable price/);
  });
});

describe('the monitor', () => {
  it('fills a take-profit ladder leg by leg, then closes', async () => {
    const p = await buy(`${MINT_A} 0.5 tp=50:50,100:50 sl=20`);
    h.market.setPrice(MINT_A, 0.015 * 1.3);
    await h.tick();
    expect(sells()).toHaveLength(0);
    h.market.setPrice(MINT_A, 0.015 * 1.6);
    await h.tick();
    expect(sells().map((s) => [s.reason, s.tokens])).toEqual([['tp', '2500000000']]);
    expect(pos(p.id).state).toBe('open');
    expect(pos(p.id).plan.tp.map((l) => l.done)).toEqual([true, false]);
    const notes = await h.notices(ADMIN);
    expect(notes.join('\n')).toMatch(/Take-profit \+50%.*position #\d+/);
    expect(notes.join('\n')).toMatch(/PnL \+/);
    // The same price again fires nothing more.
    await h.tick();
    expect(sells()).toHaveLength(1);
    h.market.setPrice(MINT_A, 0.015 * 2.1);
    await h.tick();
    expect(sells().map((s) => s.reason)).toEqual(['tp', 'tp']);
    expect(pos(p.id).state).toBe('closed');
    expect(pos(p.id).tokensLeft).toBe(0n);
  });

  it('a stop-loss fires below entry and sells everything left', async () => {
    const p = await buy(`${MINT_A} 0.5 tp=100 sl=20`);
    h.market.setPrice(MINT_A, 0.015 * 0.85);
    await h.tick();
    expect(sells()).toHaveLength(0);
    h.market.setPrice(MINT_A, 0.015 * 0.75);
    await h.tick();
    expect(sells().map((s) => s.reason)).toEqual(['sl']);
    expect(sells()[0]!.pnl).toBeLessThan(0);
    expect(pos(p.id).state).toBe('closed');
    expect((await h.notices(ADMIN)).join('\n')).toMatch(/Stop-loss: sold \(paper\) position/);
  });

  it('a trailing stop follows the high and fires from there, above entry', async () => {
    const p = await buy(`${MINT_A} 0.5 tp=500 sl=10 trail`);
    for (const x of [1.2, 1.5, 1.4]) {
      h.market.setPrice(MINT_A, 0.015 * x);
      await h.tick();
    }
    expect(sells()).toHaveLength(0);
    expect(pos(p.id).highPrice).toBeCloseTo((0.015 * 1.5) / 150, 12);
    h.market.setPrice(MINT_A, 0.015 * 1.34); // more than 10% under the 1.5 high
    await h.tick();
    expect(sells().map((s) => s.reason)).toEqual(['trail']);
    expect(sells()[0]!.pnl).toBeGreaterThan(0);
  });

  it('judges a position by its plan as edited between ticks, and watches a buy made after a tick', async () => {
    const a = await buy(`${MINT_A} 0.5 tp=100 sl=20`);
    h.market.setPrice(MINT_A, 0.015 * 0.9);
    await h.tick();
    expect(sells()).toHaveLength(0);
    h.app.services.trading.editPlan(OWNER, a.id, { slPct: 5 });
    const b = await buy(`${MINT_B} 0.5 tp=100 sl=20`);
    h.market.setPrice(MINT_B, 2 * 0.7);
    await h.tick();
    expect(sells().map((s) => s.reason)).toEqual(['sl', 'sl']);
    expect([pos(a.id).state, pos(b.id).state]).toEqual(['closed', 'closed']);
  });

  it('a missing price never triggers, and the owner is told once when it lasts', async () => {
    const p = await buy(`${MINT_A} 0.5 tp=50 sl=20`);
    await h.notices(ADMIN);
    h.market.setPrice(MINT_A, undefined);
    for (let i = 0; i < 5; i++) {
      await h.tick();
      h.clock.advance(4 * 60_000);
    }
    expect(sells()).toHaveLength(0);
    expect(pos(p.id).state).toBe('open');
    const notes = await h.notices(ADMIN);
    expect(notes.filter((n) => /No price for/.test(n))).toHaveLength(1);
    // Back with a crash-level price: now it fires.
    h.market.setPrice(MINT_A, 0.005);
    await h.tick();
    expect(sells().map((s) => s.reason)).toEqual(['sl']);
  });

  it('a gap ends when the price is back, and a later gap is told again', async () => {
    const p = await buy(`${MINT_A} 0.5 tp=50 sl=20`);
    await h.notices(ADMIN);
    const gaps = () => h.app.services.db.prepare('SELECT mint FROM price_gaps').pluck().all();
    const gap = async () => {
      h.market.setPrice(MINT_A, undefined);
      for (let i = 0; i < 4; i++) {
        await h.tick();
        h.clock.advance(4 * 60_000);
      }
    };
    await gap();
    expect(gaps()).toEqual([MINT_A]);
    h.market.setPrice(MINT_A, 0.015);
    await h.tick();
    expect(gaps()).toEqual([]);
    await h.tick(); // priced again with no gap open: nothing to end, nothing told
    await gap();
    expect(sells()).toHaveLength(0);
    expect(pos(p.id).state).toBe('open');
    expect((await h.notices(ADMIN)).filter((n) => /No price for/.test(n))).toHaveLength(2);
  });

  it('a button sell racing the monitor sells once', async () => {
    const p = await buy(`${MINT_A} 0.5 tp=50 sl=20`);
    h.market.setPrice(MINT_A, 0.015 * 0.5);
    const t = h.app.services.trading;
    const [manual] = await Promise.all([t.sell(OWNER, p.id, 100).catch((e: Error) => e), h.tick()]);
    expect(sells()).toHaveLength(1);
    expect(pos(p.id).state).toBe('closed');
    expect(manual instanceof Error ? manual.message : manual.status).toMatch(/not_claimed|sold|being sold/);
  });

  it('two monitors and a button press on one triggered position sell it once', async () => {
    const s = h.app.services;
    // A second monitor over the same database file, as a second process would have.
    const second = buildTrading({ db: s.db, clock: s.clock, log: s.log, config: s.config, lockdown: s.lockdown, audit: s.audit, notices: s.notices });
    const p = await buy(`${MINT_A} 0.5 tp=50 sl=20`);
    h.market.setPrice(MINT_A, 0.015 * 0.5);
    const press = s.trading.sell(OWNER, p.id, 100).catch((e: Error) => e);
    const [, , pressed] = await Promise.all([s.trading.tick(), second.tick(), press]);
    for (let i = 0; i < 200 && s.trading.exits.busy + second.exits.busy > 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(sells()).toHaveLength(1);
    expect(pos(p.id).state).toBe('closed');
    // The person is told once: by the answer to their press when it won, else by a notice.
    const notes = await h.notices(ADMIN);
    const answered = !(pressed instanceof Error) && pressed.status === 'sold' ? 1 : 0;
    expect(notes.filter((n) => /sold/.test(n)).length + answered).toBe(1);
  });

  it('a position can be claimed once, and one claimed exit run twice records one sale', async () => {
    const desk = h.app.services.trading.exits;
    const p = await buy(`${MINT_A} 0.5 tp=50 sl=20`);
    const intent = { id: 'exit-1', reason: 'manual' as const, legs: [], tokens: p.tokensLeft.toString() };
    expect(desk.claim(p.id, intent)).toBe(true);
    expect(desk.claim(p.id, { ...intent, id: 'exit-2' })).toBe(false);
    const [a, b] = await Promise.all([desk.run(p.id), desk.run(p.id)]);
    expect([a.status, b.status].sort()).toEqual(['not_claimed', 'sold']);
    expect(sells()).toHaveLength(1);
    expect(await balance()).toBeGreaterThan(9.9e9);
  });

  it('a 429 from Jupiter defers the tick; the trigger fires once the budget allows', async () => {
    const p = await buy(`${MINT_A} 0.5 tp=50 sl=20`);
    h.market.setPrice(MINT_A, 0.015 * 0.5);
    h.market.jupiter429(1, 30);
    await h.tick();
    expect(sells()).toHaveLength(0);
    expect(pos(p.id).state).toBe('open');
    h.clock.advance(31_000);
    await h.tick();
    expect(sells().map((s) => s.reason)).toEqual(['sl']);
  });

  it('a failed exit is retried with backoff and the owner is told', async () => {
    const p = await buy(`${MINT_A} 0.5 tp=50 sl=20`);
    await h.notices(ADMIN);
    h.market.setPrice(MINT_A, 0.015 * 0.5);
    h.market.setToken(MINT_A, { usdPrice: 0.015 * 0.5, decimals: 6, jupiterRoute: false });
    await h.tick();
    expect(sells()).toHaveLength(0);
    expect(pos(p.id).exitAttempts).toBe(1);
    expect((await h.notices(ADMIN)).join('\n')).toMatch(/Selling position #\d+ .* failed: .* Retrying in 5 s/);
    h.market.setToken(MINT_A, { usdPrice: 0.015 * 0.5, decimals: 6 });
    h.market.setPrice(MINT_A, 0.015 * 1.01); // price recovered: the stop that already fired is still carried out
    await h.tick();
    expect(sells()).toHaveLength(0);
    h.clock.advance(5_000);
    await h.tick();
    expect(sells().map((s) => s.reason)).toEqual(['sl']);
    expect(pos(p.id).state).toBe('closed');
  });

  it('a stop-loss takes over from a take-profit sale waiting to retry, and sells everything', async () => {
    const p = await buy(`${MINT_A} 0.5 tp=50:50,100:50 sl=20`);
    h.market.setToken(MINT_A, { usdPrice: 0.015 * 1.6, decimals: 6, jupiterRoute: false });
    await h.tick(); // the +50% rung fires and its sale fails: it waits for a retry
    expect(pos(p.id).exit?.reason).toBe('tp');
    expect(() => h.app.services.trading.editPlan(OWNER, p.id, { slPct: 30 })).toThrow(/sale waiting to retry/);
    h.market.setToken(MINT_A, { usdPrice: 0.015 * 0.1, decimals: 6 }); // crash: -90%
    await h.tick();
    expect(sells().map((s) => [s.reason, s.tokens])).toEqual([['sl', '5000000000']]);
    expect(pos(p.id).state).toBe('closed');
  });

  it('only the daemon trades: a process that does not own the jobs refuses to sell', async () => {
    const s = h.app.services;
    const chat = buildTrading({ db: s.db, clock: s.clock, log: s.log, config: s.config, lockdown: s.lockdown, audit: s.audit, notices: s.notices, owner: false });
    const p = await buy(`${MINT_A} 0.5 tp=50 sl=20`);
    await expect(chat.sell(OWNER, p.id, 100)).rejects.toThrow(/runs in the daemon/);
    expect(pos(p.id).state).toBe('open');
  });

  it('evaluates many mints in batches of at most 50 ids per price call', async () => {
    const t = h.app.services.trading;
    // 120 open positions over 60 mints, straight into the store (buying them would take 120 quotes).
    for (let i = 0; i < 60; i++) {
      seedOpen(makeMint((j) => i * 7 + j + 1), 2);
    }
    const before = h.market.requestsTo('jupiter', '/price/v3').length;
    const r = await t.tick();
    const calls = h.market.requestsTo('jupiter', '/price/v3').slice(before);
    expect(r.mints).toBe(60);
    expect(calls).toHaveLength(2);
    for (const c of calls) expect(c.query.ids!.split(',').length).toBeLessThanOrEqual(50);
    expect(r.priced).toBe(60);
  });

  it('a stop-loss that fires while take-profit sales wait for a slot goes ahead of them', async () => {
    const t = h.app.services.trading;
    const up = makeMint((j) => j * 5 + 3);
    const down = makeMint((j) => j * 11 + 7);
    seedOpen(up, 8);
    seedOpen(down, 1);
    h.market.jupiterDelayMs = 60;
    // One tick: eight take-profits fire (four sell at once, four wait for a slot), then the stop-loss.
    h.market.setPrice(up, 0.015 * 1.6);
    h.market.setPrice(down, 0.015 * 0.75);
    expect((await t.tick()).triggered).toBe(9);
    for (let i = 0; i < 200 && t.exits.busy > 0; i++) await new Promise((r) => setTimeout(r, 10));
    const sold = h.market.requestsTo('jupiter', '/swap/v1/quote').filter((r) => r.query.outputMint === SOL_MINT).map((r) => r.query.inputMint);
    expect(sold).toHaveLength(9);
    // Without the priority it would be the ninth quote; it is the fifth, the first free slot.
    expect(sold.indexOf(down)).toBe(4);
    expect(sells().map((x) => x.reason).sort()).toEqual([...Array(8).fill('tp'), 'sl'].sort());
  });

  it('holds triggers during lockdown and acts on them once it is lifted', async () => {
    const p = await buy(`${MINT_A} 0.5 tp=50 sl=20`);
    h.app.services.lockdown.set(true);
    h.market.setPrice(MINT_A, 0.015 * 0.5);
    await h.tick();
    expect(sells()).toHaveLength(0);
    h.app.services.lockdown.set(false);
    await h.tick();
    expect(sells()).toHaveLength(1);
    expect(pos(p.id).state).toBe('closed');
  });
});

describe('risk limits', () => {
  it('after the daily loss limit is hit, new buys are refused until the next UTC day', async () => {
    h.clock.set(Date.UTC(2026, 10, 22, 10, 0, 0));
    const t = h.app.services.trading;
    await t.updateSettings(OWNER, { dailyLossLamports: 200_000_000 });
    await buy(`${MINT_A} 0.5 tp=50 sl=20`);
    h.market.setPrice(MINT_A, 0.015 * 0.4); // -60%: about -0.3 SOL realised
    await h.tick();
    expect(sells()).toHaveLength(1);
    await expect(t.prepareBuy(OWNER, args(`${MINT_B} 0.1 tp=50 sl=20`))).rejects.toThrow(/daily limit.*00:00 UTC/);
    h.clock.set(Date.UTC(2026, 10, 23, 0, 0, 1));
    await expect(t.prepareBuy(OWNER, args(`${MINT_B} 0.1 tp=50 sl=20`))).resolves.toMatchObject({ mint: MINT_B });
  });

  it('refuses a buy beyond the most open positions', async () => {
    await h.restart();
    const t = h.app.services.trading;
    await t.updateSettings(OWNER, { maxOpen: 1 });
    await buy(`${MINT_A} 0.1 tp=50 sl=20`);
    await expect(t.prepareBuy(OWNER, args(`${MINT_B} 0.1 tp=50 sl=20`))).rejects.toThrow(/open positions/);
  });
});

describe('venues', () => {
  it('a bags.fm token goes through bags.fm, and falls back to Jupiter when bags.fm is down', async () => {
    await h.close();
    h = await makeTradingHarness({ BAGS_API_KEY: 'bags-key-123456' });
    h.market.setToken(MINT_B, { usdPrice: 2, decimals: 9, onBags: true });
    await buy(`${MINT_B} 0.2 tp=50 sl=20`);
    const venues = () => h.app.services.db.prepare('SELECT venue FROM trades ORDER BY id').all().map((r) => (r as { venue: string }).venue);
    expect(venues()).toEqual(['bags']);
    h.market.bagsDown = true;
    await buy(`${MINT_B} 0.2 tp=50 sl=20`);
    expect(venues()).toEqual(['bags', 'jupiter']);
  });
});
