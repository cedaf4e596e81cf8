import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { setupServer } from 'msw/node';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN } from '../support/app-harness.js';
import { MINT_A, type TradingHarness } from '../support/trading-harness.js';
import { liveBuy, liveHarness, OWNER, RPC_A, RPC_B, START_LAMPORTS } from '../support/live-harness.js';
import { FakeSolanaRpc } from '../fakes/solana-rpc.js';
import { encodeBase58, SOL_MINT } from '../../src/trading/base58.js';
import { createLogger } from '../../src/core/logger.js';
import { SolanaRpc } from '../../src/trading/rpc.js';
import { keypairFromSecretKey } from '../../src/trading/solana-tx.js';
import { confirmedFill } from '../../src/trading/swap.js';

/**
 * Live fills are booked at what moved on chain (getTransaction's balances), not at the quote:
 * the fake chain lands each swap short of its quote and charges rent for a new token account, and
 * Jarvis must record those amounts; when the chain cannot tell, it falls back to the quote, once.
 *
 * The numbers: 0.5 SOL of MINT_A ($0.015, 6 decimals) at $150/SOL quotes 5000 tokens; the fee is
 * 5000 (signature) + 100_000 (medium priority) lamports.
 */

const QUOTED_TOKENS = 5_000_000_000n;
const SPENT = 500_000_000;
const FEE = 105_000;
const RENT = 2_039_280;

let h: TradingHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

type TradeRow = { side: string; sol_lamports: number; tokens: string; fee_lamports: number; pnl_lamports: number | null; signature: string | null };
const trades = (t: TradingHarness) => t.app.services.db.prepare('SELECT side, sol_lamports, tokens, fee_lamports, pnl_lamports, signature FROM trades ORDER BY id').all() as TradeRow[];
const getTransactionCalls = (rpc: FakeSolanaRpc) => rpc.calls.filter((c) => c.method === 'getTransaction').length;

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

describe('live fills from chain', () => {
  it('a live buy records the tokens received and everything paid on chain, rent included, not the quote', async () => {
    const rpc = new FakeSolanaRpc();
    let pub: string;
    ({ harness: h, pub } = await liveHarness(rpc));
    rpc.fills = { outputBps: 9_700, ataRentLamports: RENT };
    const p = await liveBuy(h, `${MINT_A} 0.5 tp=50 sl=20`);

    const received = (QUOTED_TOKENS * 97n) / 100n;
    const cost = SPENT + FEE + RENT;
    expect(rpc.tokenBalance(pub, MINT_A)).toBe(received);
    expect(START_LAMPORTS - rpc.balances.get(pub)!).toBe(cost);
    expect(p.tokensBought).toBe(received);
    expect(p.tokensLeft).toBe(received);
    expect(p.costLamports).toBe(cost);
    expect(p.entryPrice).toBeCloseTo(cost / 1e9 / 4850, 12);
    expect(trades(h)).toEqual([{ side: 'buy', sol_lamports: cost, tokens: received.toString(), fee_lamports: FEE, pnl_lamports: null, signature: rpc.sent[0]!.signature }]);
    const [card] = await h.say(ADMIN, '/positions');
    expect(card).toContain('Holding 4850 of 4850 tokens bought for 0.5021 SOL');
  });

  it('a second buy of the same token pays no rent: its token account exists', async () => {
    const rpc = new FakeSolanaRpc();
    ({ harness: h } = await liveHarness(rpc));
    rpc.fills = { outputBps: 10_000, ataRentLamports: RENT };
    const first = await liveBuy(h, `${MINT_A} 0.5 tp=50 sl=20`);
    const second = await liveBuy(h, `${MINT_A} 0.5 tp=50 sl=20`);
    expect(first.costLamports).toBe(SPENT + FEE + RENT);
    expect(second.costLamports).toBe(SPENT + FEE);
    expect(second.tokensBought).toBe(QUOTED_TOKENS);
  });

  it('a live exit books the SOL that arrived on chain as its proceeds', async () => {
    const rpc = new FakeSolanaRpc();
    let pub: string;
    ({ harness: h, pub } = await liveHarness(rpc));
    const p = await liveBuy(h, `${MINT_A} 0.5 tp=50 sl=20`);
    expect(p.costLamports).toBe(SPENT + FEE);
    const before = rpc.balances.get(pub)!;
    rpc.fills = { outputBps: 9_800, ataRentLamports: RENT };
    const r = await h.app.services.trading.sell(OWNER, p.id, 100);

    const proceeds = (SPENT * 98) / 100 - FEE; // the quote said 0.5 SOL; 0.49 arrived, less the fee
    expect(r).toMatchObject({ status: 'sold', proceeds, pnl: proceeds - (SPENT + FEE) });
    expect(rpc.balances.get(pub)! - before).toBe(proceeds);
    expect(rpc.tokenBalance(pub, MINT_A)).toBe(0n);
    const after = h.app.services.trading.position(OWNER, p.id);
    expect(after).toMatchObject({ state: 'closed', realizedLamports: proceeds, tokensLeft: 0n });
    expect(trades(h)[1]).toEqual({ side: 'sell', sol_lamports: proceeds, tokens: QUOTED_TOKENS.toString(), fee_lamports: FEE, pnl_lamports: proceeds - (SPENT + FEE), signature: rpc.sent.at(-1)!.signature });
  });

  it('a transaction the node serves only after a few asks still books the chain amounts', async () => {
    const rpc = new FakeSolanaRpc();
    ({ harness: h } = await liveHarness(rpc));
    rpc.fills = { outputBps: 9_700, ataRentLamports: RENT };
    rpc.hideTransactions = 2;
    const p = await liveBuy(h, `${MINT_A} 0.5 tp=50 sl=20`);
    expect(getTransactionCalls(rpc)).toBe(3);
    expect(p.tokensBought).toBe((QUOTED_TOKENS * 97n) / 100n);
    expect(p.costLamports).toBe(SPENT + FEE + RENT);
  });

  it('when the chain never serves the transaction, the quote is recorded, exactly once per trade', async () => {
    const rpc = new FakeSolanaRpc();
    ({ harness: h } = await liveHarness(rpc));
    rpc.fills = { outputBps: 9_700, ataRentLamports: RENT };
    rpc.hideTransactions = Infinity;
    const p = await liveBuy(h, `${MINT_A} 0.5 tp=50 sl=20`);
    // 4 tries, each asking both RPC URLs (the second in case the first only lags in serving it).
    expect(getTransactionCalls(rpc)).toBe(8);
    expect(p).toMatchObject({ state: 'open', tokensBought: QUOTED_TOKENS, costLamports: SPENT + FEE });
    // Booked at the quote, the position thinks it holds 5000 tokens while the wallet has 4850: sell half.
    const r = await h.app.services.trading.sell(OWNER, p.id, 50);
    expect(r).toMatchObject({ status: 'sold', proceeds: SPENT / 2 - FEE });
    expect(trades(h).map((t) => [t.side, t.sol_lamports, t.tokens])).toEqual([
      ['buy', SPENT + FEE, QUOTED_TOKENS.toString()],
      ['sell', SPENT / 2 - FEE, (QUOTED_TOKENS / 2n).toString()],
    ]);
    expect(new Set(rpc.sent.map((s) => s.signature)).size).toBe(2);
  });

  it('a restart books an exit that landed at the SOL that arrived on chain, not the recorded quote', async () => {
    const rpc = new FakeSolanaRpc();
    let pub: string;
    ({ harness: h, pub } = await liveHarness(rpc));
    const p = await liveBuy(h, `${MINT_A} 0.5 tp=50 sl=20`);
    const sig = encodeBase58(randomBytes(64));
    const intent = { id: 'crash-exit', reason: 'sl' as const, legs: [], tokens: p.tokensLeft.toString(), tx: { signature: sig, lastValidBlockHeight: rpc.blockHeight + 100, venue: 'jupiter', expectedOut: '400000000', feeLamports: FEE } };
    expect(h.app.services.trading.exits.claim(p.id, intent)).toBe(true);
    h.app.services.trading.d.store.sql.setExitTx.run({ id: p.id, exit: JSON.stringify(intent), now: Date.now() });
    rpc.markLanded(sig, { swap: { owner: pub, mint: MINT_A, side: 'sell', lamports: 380_000_000n, tokens: p.tokensLeft, feeLamports: FEE } });

    await h.restart();
    const after = h.app.services.trading.position(OWNER, p.id);
    expect(after).toMatchObject({ state: 'closed', realizedLamports: 380_000_000 - FEE });
    expect(trades(h).filter((t) => t.side === 'sell')).toEqual([
      { side: 'sell', sol_lamports: 380_000_000 - FEE, tokens: p.tokensLeft.toString(), fee_lamports: FEE, pnl_lamports: 380_000_000 - FEE - (SPENT + FEE), signature: sig },
    ]);
  });

  it('the tokens booked as sold are those that left the wallet on chain, not the ones the exit asked for', async () => {
    const rpc = new FakeSolanaRpc();
    let pub: string;
    ({ harness: h, pub } = await liveHarness(rpc));
    const p = await liveBuy(h, `${MINT_A} 0.5 tp=50 sl=20`);
    const sig = encodeBase58(randomBytes(64));
    const intent = { id: 'short-exit', reason: 'manual' as const, legs: [], tokens: p.tokensLeft.toString(), tx: { signature: sig, lastValidBlockHeight: rpc.blockHeight + 100, venue: 'jupiter', expectedOut: '500000000', feeLamports: FEE } };
    expect(h.app.services.trading.exits.claim(p.id, intent)).toBe(true);
    h.app.services.trading.d.store.sql.setExitTx.run({ id: p.id, exit: JSON.stringify(intent), now: Date.now() });
    rpc.markLanded(sig, { swap: { owner: pub, mint: MINT_A, side: 'sell', lamports: 300_000_000n, tokens: 3_000_000_000n, feeLamports: FEE } });

    await h.restart();
    expect(h.app.services.trading.position(OWNER, p.id)).toMatchObject({ state: 'open', tokensLeft: 2_000_000_000n, realizedLamports: 300_000_000 - FEE });
    expect(rpc.tokenBalance(pub, MINT_A)).toBe(2_000_000_000n);
    expect(trades(h).filter((t) => t.side === 'sell').map((t) => t.tokens)).toEqual(['3000000000']);
  });

  it('a restart that finds an exit still in flight books the chain amounts once it lands', async () => {
    const rpc = new FakeSolanaRpc();
    let pub: string;
    ({ harness: h, pub } = await liveHarness(rpc));
    const p = await liveBuy(h, `${MINT_A} 0.5 tp=50 sl=20`);
    const sig = encodeBase58(randomBytes(64));
    const intent = { id: 'late-exit', reason: 'sl' as const, legs: [], tokens: p.tokensLeft.toString(), tx: { signature: sig, lastValidBlockHeight: rpc.blockHeight + 100, venue: 'jupiter', expectedOut: '400000000', feeLamports: FEE } };
    expect(h.app.services.trading.exits.claim(p.id, intent)).toBe(true);
    h.app.services.trading.d.store.sql.setExitTx.run({ id: p.id, exit: JSON.stringify(intent), now: Date.now() });

    await h.restart();
    expect(h.app.services.trading.position(OWNER, p.id).state).toBe('exiting');
    rpc.markLanded(sig, { swap: { owner: pub, mint: MINT_A, side: 'sell', lamports: 390_000_000n, tokens: p.tokensLeft, feeLamports: FEE } });
    await until(() => h!.app.services.trading.position(OWNER, p.id).state === 'closed', 'the watched exit to settle');
    expect(h.app.services.trading.position(OWNER, p.id).realizedLamports).toBe(390_000_000 - FEE);
    expect(trades(h).filter((t) => t.side === 'sell').map((t) => [t.sol_lamports, t.signature])).toEqual([[390_000_000 - FEE, sig]]);
  });

  it('a restart opens a live buy that landed at the tokens and SOL that moved on chain', async () => {
    const rpc = new FakeSolanaRpc();
    let pub: string;
    ({ harness: h, pub } = await liveHarness(rpc));
    const store = h.app.services.trading.d.store;
    // As if the process died right after sending the buy: pending, its reserved SOL as cost, the signature recorded.
    const reserved = SPENT + FEE;
    const id = Number(store.sql.insertPending.run({
      userKey: OWNER, chatId: String(ADMIN), mode: 'live', mint: MINT_A, decimals: 6, reserved, slPct: 20, trailing: 0,
      tp: JSON.stringify([{ at: 50, sell: 100, done: false }]), slippageBps: 100, now: Date.now(),
    }).lastInsertRowid);
    const sig = encodeBase58(randomBytes(64));
    store.sql.setBuyTx.run({ id, tx: JSON.stringify({ signature: sig, lastValidBlockHeight: rpc.blockHeight + 100, venue: 'jupiter', expectedOut: QUOTED_TOKENS.toString(), feeLamports: FEE }), now: Date.now() });
    rpc.markLanded(sig, { swap: { owner: pub, mint: MINT_A, side: 'buy', lamports: BigInt(SPENT), tokens: 4_900_000_000n, feeLamports: FEE, ataRentLamports: RENT } });

    await h.restart();
    expect(h.app.services.trading.position(OWNER, id)).toMatchObject({ state: 'open', tokensBought: 4_900_000_000n, costLamports: SPENT + FEE + RENT });
    expect(trades(h)).toEqual([{ side: 'buy', sol_lamports: SPENT + FEE + RENT, tokens: '4900000000', fee_lamports: FEE, pnl_lamports: null, signature: sig }]);
  });
});

describe('the quote fallback', () => {
  it('warns with the signature, and never the RPC URL or its key', async () => {
    const url = 'http://rpc-a.test/?api-key=SECRET-KEY-A';
    const rpc = new FakeSolanaRpc();
    rpc.hideTransactions = Infinity;
    const server = setupServer(...rpc.handlers(url));
    server.listen({ onUnhandledRequest: 'error' });
    try {
      const lines: string[] = [];
      const log = createLogger({ level: 'warn', destination: new Writable({ write: (chunk, _enc, cb) => (lines.push(String(chunk)), cb()) }) });
      const keypair = keypairFromSecretKey(new Uint8Array(32).fill(7));
      const wallet = { keypair, rpc: new SolanaRpc({ urls: [url], timeoutMs: 1_000 }), resendIntervalMs: 100 };
      const signature = encodeBase58(randomBytes(64));
      const fill = await confirmedFill(
        { wallet, log },
        { signature, lastValidBlockHeight: 1, venue: 'jupiter', expectedOut: '123', feeLamports: FEE },
        { inputMint: MINT_A, outputMint: SOL_MINT },
        { inAmount: 5n, outAmount: 123n },
      );
      expect(fill).toEqual({ venue: 'jupiter', inAmount: 5n, outAmount: 123n, feeLamports: FEE, signature, source: 'quote' });
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(signature);
      expect(lines[0]).not.toMatch(/SECRET|rpc-a|:\/\//);
    } finally {
      server.close();
    }
  });
});
