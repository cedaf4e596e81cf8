import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN } from '../support/app-harness.js';
import { MINT_A, type TradingHarness } from '../support/trading-harness.js';
import { liveBuy, liveHarness, RPC_B } from '../support/live-harness.js';
import { FakeSolanaRpc } from '../fakes/solana-rpc.js';
import { encodeBase58 } from '../../src/trading/base58.js';

/**
 * A sale sent before a restart, whose blockhash has since expired, is found by the start-up
 * reconciliation: the first RPC node (lagging, or pruned) does not know it, the second has it
 * confirmed. It must be booked as sold, once, and never sold again.
 */

let h: TradingHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('the expiry verdict at restart, with two RPC nodes', () => {
  it('null on the first node, confirmed on the second: the sale is booked once, not released to sell again', async () => {
    const rpc = new FakeSolanaRpc({ confirmAfterSends: 1 });
    ({ harness: h } = await liveHarness(rpc));
    const p = await liveBuy(h, `${MINT_A} 0.5 tp=50 sl=20`);
    // From here the second URL is another node, which saw the sale land; the first never did.
    const second = new FakeSolanaRpc({ blockHeight: rpc.blockHeight });
    h.server.use(...second.handlers(RPC_B));
    const sig = encodeBase58(randomBytes(64));
    second.markLanded(sig);
    const intent = { id: 'landed-elsewhere', reason: 'sl' as const, legs: [], tokens: p.tokensLeft.toString(), tx: { signature: sig, lastValidBlockHeight: rpc.blockHeight - 1, venue: 'jupiter', expectedOut: '400000000', feeLamports: 105_000 } };
    expect(h.app.services.trading.exits.claim(p.id, intent)).toBe(true);
    h.app.services.trading.d.store.sql.setExitTx.run({ id: p.id, exit: JSON.stringify(intent), now: Date.now() });
    const sends = rpc.sent.length;

    await h.restart();

    expect(h.app.services.trading.d.store.get(p.id)!.state).toBe('closed');
    const sells = h.app.services.db.prepare("SELECT signature FROM trades WHERE side = 'sell'").all();
    expect(sells).toEqual([{ signature: sig }]);
    expect(second.calls.map((c) => c.method)).toContain('getSignatureStatuses');
    // Nothing was sent again, and the monitor has nothing left to sell.
    h.market.setPrice(MINT_A, 0.015 * 0.5);
    await h.tick();
    expect(rpc.sent.length).toBe(sends);
    expect((await h.notices(ADMIN)).join('\n')).toContain(`Stop-loss: sold position #${p.id}`);
  });
});
