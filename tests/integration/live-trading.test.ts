import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN } from '../support/app-harness.js';
import { makeTradingHarness, MINT_A, type TradingHarness } from '../support/trading-harness.js';
import { liveBuy, liveHarness, OWNER, RPC_A, RPC_B } from '../support/live-harness.js';
import { FakeSolanaRpc } from '../fakes/solana-rpc.js';
import { encodeBase58 } from '../../src/trading/base58.js';

/**
 * Live mode end to end against fakes of Jupiter and Solana JSON-RPC: the wallet sealed at rest,
 * real signing, simulate, send, re-send, expiry with a fresh transaction, 0x1771 re-quote, and
 * reconciliation of an exit a restart interrupted. No network, no mocks of our code.
 * (What fills are booked at, chain or quote, is in live-fills.test.ts.)
 */

let h: TradingHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const trades = (t: TradingHarness) => t.app.services.db.prepare('SELECT side, reason, signature FROM trades ORDER BY id').all() as { side: string; reason: string; signature: string | null }[];

describe('live trading', () => {
  it('a live buy is signed by the wallet, lands, and opens the position with its signature', async () => {
    const rpc = new FakeSolanaRpc({ confirmAfterSends: 1 });
    ({ harness: h } = await liveHarness(rpc));
    const p = await liveBuy(h, `${MINT_A} 0.5 tp=50 sl=20`);
    expect(p.state).toBe('open');
    expect(rpc.sent).toHaveLength(1);
    expect(trades(h)).toEqual([{ side: 'buy', reason: 'buy', signature: rpc.sent[0]!.signature }]);
    const swap = h.market.requestsTo('jupiter', '/swap/v1/swap')[0]!;
    expect((swap.body as { prioritizationFeeLamports: number }).prioritizationFeeLamports).toBe(100_000);
  });

  it('an exit that expires unconfirmed is re-sent, then rebuilt as a fresh transaction, and sold once', async () => {
    const rpc = new FakeSolanaRpc({ confirmAfterSends: 1 });
    ({ harness: h } = await liveHarness(rpc, (n) => {
      // The buy lands; the first exit transaction never does and its block height runs out; the second lands.
      if (n === 2) {
        rpc.confirmAfterSends = Infinity;
        rpc.blocksPerHeightCall = 60;
      }
      if (n === 3) {
        rpc.confirmAfterSends = 1;
        rpc.blocksPerHeightCall = 0;
      }
    }));
    const p = await liveBuy(h, `${MINT_A} 0.5 tp=50 sl=20`);
    h.market.setPrice(MINT_A, 0.015 * 0.5);
    await h.tick();
    for (let i = 0; i < 400 && h.app.services.trading.exits.busy > 0; i++) await new Promise((r) => setTimeout(r, 10));
    const sigs = [...new Set(rpc.sent.map((s) => s.signature))];
    expect(sigs).toHaveLength(3); // buy, expired exit, fresh exit
    expect(rpc.sendCount(sigs[1]!)).toBeGreaterThan(1); // re-sent while waiting
    expect(trades(h).map((t) => [t.side, t.signature])).toEqual([
      ['buy', sigs[0]],
      ['sell', sigs[2]],
    ]);
    expect(h.app.services.trading.d.store.get(p.id)!.state).toBe('closed');
    expect((await h.notices(ADMIN)).join('\n')).toContain(`https://solscan.io/tx/${sigs[2]}`);
  });

  it('a slippage failure (0x1771) in simulation re-quotes once and then sells', async () => {
    const rpc = new FakeSolanaRpc({ confirmAfterSends: 1 });
    ({ harness: h } = await liveHarness(rpc, (n) => {
      rpc.simulateError = n === 2 ? { err: { InstructionError: [2, { Custom: 6001 }] }, logs: ['Program log: Error: custom program error: 0x1771'] } : null;
    }));
    const p = await liveBuy(h, `${MINT_A} 0.5 tp=50 sl=20`);
    const quotesBefore = h.market.requestsTo('jupiter', '/swap/v1/quote').length;
    const r = await h.app.services.trading.sell(OWNER, p.id, 100);
    expect(r.status).toBe('sold');
    expect(h.market.requestsTo('jupiter', '/swap/v1/quote').length - quotesBefore).toBe(2);
    expect(trades(h).filter((t) => t.side === 'sell')).toHaveLength(1);
  });

  it('a restart settles an exit whose transaction landed without sending anything again', async () => {
    const rpc = new FakeSolanaRpc({ confirmAfterSends: 1 });
    let dataDir: string;
    ({ harness: h, dataDir } = await liveHarness(rpc));
    const p = await liveBuy(h, `${MINT_A} 0.5 tp=50 sl=20`);
    const store = h.app.services.trading.d.store;
    // As if the process died right after sending: claimed, signature recorded, landed on chain.
    const sig = encodeBase58(randomBytes(64));
    const intent = { id: 'crash-exit', reason: 'sl' as const, legs: [], tokens: p.tokensLeft.toString(), tx: { signature: sig, lastValidBlockHeight: rpc.blockHeight + 100, venue: 'jupiter', expectedOut: '400000000', feeLamports: 105_000 } };
    expect(h.app.services.trading.exits.claim(p.id, intent)).toBe(true);
    store.sql.setExitTx.run({ id: p.id, exit: JSON.stringify(intent), now: Date.now() });
    rpc.markLanded(sig);
    const sendsBefore = rpc.sent.length;
    await h.restart();
    h.server.use(...rpc.handlers(RPC_A), ...rpc.handlers(RPC_B));
    const after = h.app.services.trading.d.store.get(p.id)!;
    expect(after.state).toBe('closed');
    expect(rpc.sent.length).toBe(sendsBefore);
    expect(trades(h).filter((t) => t.side === 'sell').map((t) => t.signature)).toEqual([sig]);
    void dataDir!;
  });

  it('a restart releases an exit whose transaction expired, and the monitor sells it once', async () => {
    const rpc = new FakeSolanaRpc({ confirmAfterSends: 1 });
    ({ harness: h } = await liveHarness(rpc));
    const p = await liveBuy(h, `${MINT_A} 0.5 tp=50 sl=20`);
    const intent = { id: 'expired-exit', reason: 'sl' as const, legs: [], tokens: p.tokensLeft.toString(), tx: { signature: encodeBase58(randomBytes(64)), lastValidBlockHeight: rpc.blockHeight - 1, venue: 'jupiter', expectedOut: '1', feeLamports: 1 } };
    expect(h.app.services.trading.exits.claim(p.id, intent)).toBe(true);
    h.app.services.trading.d.store.sql.setExitTx.run({ id: p.id, exit: JSON.stringify(intent), now: Date.now() });
    await h.restart();
    const released = h.app.services.trading.d.store.get(p.id)!;
    expect(released.state).toBe('open');
    expect(released.exit?.reason).toBe('sl');
    await h.tick();
    for (let i = 0; i < 400 && h.app.services.trading.exits.busy > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(h.app.services.trading.d.store.get(p.id)!.state).toBe('closed');
    expect(trades(h).filter((t) => t.side === 'sell')).toHaveLength(1);
  });

  it('refuses to start live with a wrong master secret, naming the problem and not the secret', async () => {
    const rpc = new FakeSolanaRpc();
    const { harness, dataDir } = await liveHarness(rpc);
    await harness.close();
    await expect(makeTradingHarness({ TRADING_MODE: 'live', JARVIS_MASTER_SECRET: 'not the right secret', SOLANA_RPC_URL: RPC_A }, { dataDir })).rejects.toThrow(/master secret is wrong/);
  });
});
