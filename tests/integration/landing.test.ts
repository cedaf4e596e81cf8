import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isSlippageError, landTransaction, signatureOutcome } from '../../src/trading/landing.js';
import { SolanaRpc } from '../../src/trading/rpc.js';
import { readChainFill } from '../../src/trading/chain-fill.js';
import { keypairFromSecretKey, signTransaction } from '../../src/trading/solana-tx.js';
import { FakeSolanaRpc } from '../fakes/solana-rpc.js';
import { buildUnsignedTransaction } from '../fakes/solana-tx-builder.js';

const URL_A = 'http://rpc-a.test/';
const server = setupServer();
const wallet = keypairFromSecretKey(new Uint8Array(32).fill(11));
let fake: FakeSolanaRpc;
let rpc: SolanaRpc;

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());
beforeEach(() => {
  fake = new FakeSolanaRpc({ blockHeight: 1_000 });
  server.use(...fake.handlers(URL_A));
  rpc = new SolanaRpc({ urls: [URL_A], timeoutMs: 1_000 });
});
afterEach(() => server.resetHandlers());

/** A signed swap-like transaction on a blockhash the fake handed out, as a venue would build it. */
async function signedTx(): Promise<{ transaction: Uint8Array; signature: string; lastValidBlockHeight: number }> {
  const { blockhash, lastValidBlockHeight } = await rpc.getLatestBlockhash();
  const { bytes, signature } = signTransaction(buildUnsignedTransaction({ payer: wallet.publicKey, blockhash }), wallet);
  return { transaction: bytes, signature, lastValidBlockHeight };
}

const fast = { resendIntervalMs: 4, pollIntervalMs: 1 };
const SLIPPAGE_LOGS = [
  'Program JUP6LkbZbjS1jKKwapdHNy74zcZ3tLUZoi5QNyVTaV4 invoke [1]',
  'Program log: AnchorError occurred. Error Code: SlippageToleranceExceeded. Error Number: 6001.',
  'Program JUP6LkbZbjS1jKKwapdHNy74zcZ3tLUZoi5QNyVTaV4 failed: custom program error: 0x1771',
];

describe('landTransaction', () => {
  it('re-sends until the transaction lands, then reports it confirmed', async () => {
    fake.confirmAfterSends = 3;
    const tx = await signedTx();
    const outcome = await landTransaction({ rpc, ...tx, ...fast });
    expect(outcome).toEqual({ status: 'confirmed', signature: tx.signature, slot: fake.slot });
    expect(fake.sendCount(tx.signature)).toBe(3);
    expect(fake.calls[1]?.method).toBe('simulateTransaction');
  });

  it('gives up as expired once the block height passes and one node, read twice with a pause, knows no status', async () => {
    fake.confirmAfterSends = Infinity;
    fake.blocksPerHeightCall = 40;
    const tx = await signedTx();
    const sleeps: number[] = [];
    const sleep = async (ms: number): Promise<void> => {
      sleeps.push(ms);
    };
    const outcome = await landTransaction({ rpc, ...tx, ...fast, recheckDelayMs: 7, sleep });
    expect(outcome).toEqual({ status: 'expired', signature: tx.signature });
    expect(fake.blockHeight).toBeGreaterThan(tx.lastValidBlockHeight);
    expect(fake.sendCount(tx.signature)).toBeGreaterThanOrEqual(3);
    // after the height passed: two status reads, the pause between them
    const lastHeight = fake.calls.map((c) => c.method).lastIndexOf('getBlockHeight');
    expect(fake.calls.slice(lastHeight + 1).map((c) => c.method)).toEqual(['getSignatureStatuses', 'getSignatureStatuses']);
    expect(sleeps.at(-1)).toBe(7);
  });

  it('on one node, a transaction that shows up during the pause is landed, not expired', async () => {
    fake.confirmAfterSends = Infinity;
    fake.blocksPerHeightCall = 40;
    const tx = await signedTx();
    const sleep = async (ms: number): Promise<void> => {
      if (ms === 7) fake.markLanded(tx.signature);
    };
    const outcome = await landTransaction({ rpc, ...tx, ...fast, recheckDelayMs: 7, sleep });
    expect(outcome).toEqual({ status: 'confirmed', signature: tx.signature, slot: fake.slot });
  });

  it('does not call a transaction expired when it landed before the height passed', async () => {
    const tx = await signedTx();
    fake.markLanded(tx.signature);
    fake.advanceBlocks(500);
    const outcome = await landTransaction({ rpc, ...tx, ...fast, simulate: false });
    expect(outcome.status).toBe('confirmed');
    expect(fake.sent).toEqual([]);
  });

  it('fails a slippage simulation without sending anything', async () => {
    fake.simulateError = { err: { InstructionError: [3, { Custom: 6001 }] }, logs: SLIPPAGE_LOGS };
    const tx = await signedTx();
    const outcome = await landTransaction({ rpc, ...tx, ...fast });
    expect(outcome).toEqual({ status: 'failed', signature: tx.signature, reason: 'slippage tolerance exceeded', slippage: true, sent: false });
    expect(fake.sent).toEqual([]);
  });

  it('fails any other simulation error without sending, and without the slippage flag', async () => {
    fake.simulateError = { err: { InstructionError: [2, { Custom: 1 }] }, logs: ['Program log: insufficient funds'] };
    const tx = await signedTx();
    const outcome = await landTransaction({ rpc, ...tx, ...fast });
    expect(outcome).toMatchObject({ status: 'failed', slippage: false, sent: false });
    expect(outcome.status === 'failed' && outcome.reason).toContain('Custom');
    expect(fake.sent).toEqual([]);
  });

  it('sends anyway when the simulating node has not seen the blockhash yet', async () => {
    fake.simulateError = { err: 'BlockhashNotFound', logs: [] };
    const tx = await signedTx();
    expect((await landTransaction({ rpc, ...tx, ...fast })).status).toBe('confirmed');
  });

  it('reports an on-chain error as failed and sent', async () => {
    fake.onChainError = { InstructionError: [3, { Custom: 6001 }] };
    const tx = await signedTx();
    const outcome = await landTransaction({ rpc, ...tx, ...fast });
    expect(outcome).toMatchObject({ status: 'failed', signature: tx.signature, slippage: true, sent: true });
    expect(fake.sendCount(tx.signature)).toBe(1);
  });

  it('rejects a transaction whose signature the node refuses, as not sent', async () => {
    const { blockhash, lastValidBlockHeight } = await rpc.getLatestBlockhash();
    const unsigned = buildUnsignedTransaction({ payer: wallet.publicKey, blockhash });
    const outcome = await landTransaction({ rpc, transaction: unsigned, signature: '1'.repeat(64), lastValidBlockHeight, ...fast });
    expect(outcome).toMatchObject({ status: 'failed', sent: false, slippage: false });
  });

  it('rides out an RPC outage while waiting', async () => {
    const tx = await signedTx();
    fake.down.add(URL_A);
    let sleeps = 0;
    const sleep = async (): Promise<void> => {
      if (++sleeps === 5) fake.down.delete(URL_A);
    };
    const outcome = await landTransaction({ rpc, ...tx, ...fast, simulate: false, sleep });
    expect(outcome.status).toBe('confirmed');
    expect(sleeps).toBeGreaterThanOrEqual(5);
  });

  it('stops waiting with an AbortError when aborted', async () => {
    fake.confirmAfterSends = Infinity;
    const tx = await signedTx();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    await expect(landTransaction({ rpc, ...tx, ...fast, signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('isSlippageError', () => {
  it('recognises 0x1771 in logs or Custom 6001, and nothing else', () => {
    expect(isSlippageError(null, SLIPPAGE_LOGS)).toBe(true);
    expect(isSlippageError({ InstructionError: [0, { Custom: 6001 }] })).toBe(true);
    expect(isSlippageError({ InstructionError: [0, { Custom: 6000 }] })).toBe(false);
    expect(isSlippageError({ InstructionError: [0, 'InvalidAccountData'] }, ['custom program error: 0x17710'])).toBe(false);
    expect(isSlippageError('BlockhashNotFound')).toBe(false);
  });
});

describe('signatureOutcome (restart reconciliation)', () => {
  it('confirmed or failed when a status exists', async () => {
    fake.markLanded('5'.repeat(64));
    fake.markLanded('6'.repeat(64), { err: { InstructionError: [1, { Custom: 1 }] } });
    expect(await signatureOutcome(rpc, '5'.repeat(64), 900)).toMatchObject({ status: 'confirmed' });
    expect(await signatureOutcome(rpc, '6'.repeat(64), 900)).toMatchObject({ status: 'failed', sent: true, slippage: false });
  });

  it('expired once the height has passed with no status, read again after a pause, pending before', async () => {
    const pauses: number[] = [];
    const sleep = async (ms: number): Promise<void> => {
      pauses.push(ms);
    };
    expect(await signatureOutcome(rpc, '7'.repeat(64), 1_050, { sleep })).toEqual({ status: 'pending', signature: '7'.repeat(64) });
    fake.advanceBlocks(51);
    expect(await signatureOutcome(rpc, '7'.repeat(64), 1_050, { sleep, recheckDelayMs: 9 })).toEqual({ status: 'expired', signature: '7'.repeat(64) });
    expect(pauses).toEqual([9]);
    expect(fake.calls.slice(-2).map((c) => c.method)).toEqual(['getSignatureStatuses', 'getSignatureStatuses']);
  });

  it('pending while only processed', async () => {
    fake.markLanded('8'.repeat(64), { confirmationStatus: 'processed' });
    expect(await signatureOutcome(rpc, '8'.repeat(64), 2_000)).toEqual({ status: 'pending', signature: '8'.repeat(64) });
  });
});

describe('the expiry verdict across two nodes', () => {
  const URL_B = 'http://rpc-b.test/';
  let lagging: FakeSolanaRpc;
  let other: FakeSolanaRpc;
  let two: SolanaRpc;
  const noPause = async (ms: number): Promise<void> => {
    if (ms === 7) throw new Error('two nodes: the second reading asks the other node, without a pause');
  };

  beforeEach(() => {
    // The first node carries the sends and never sees the transaction land; the second has it.
    lagging = new FakeSolanaRpc({ blockHeight: 1_000, confirmAfterSends: Infinity, blocksPerHeightCall: 40 });
    other = new FakeSolanaRpc({ blockHeight: 1_000 });
    server.resetHandlers();
    server.use(...lagging.handlers(URL_A), ...other.handlers(URL_B));
    two = new SolanaRpc({ urls: [URL_A, URL_B], timeoutMs: 1_000 });
  });

  async function signedOnTwo(): Promise<{ transaction: Uint8Array; signature: string; lastValidBlockHeight: number }> {
    const { blockhash, lastValidBlockHeight } = await two.getLatestBlockhash();
    const { bytes, signature } = signTransaction(buildUnsignedTransaction({ payer: wallet.publicKey, blockhash }), wallet);
    return { transaction: bytes, signature, lastValidBlockHeight };
  }

  it('the first node says null, the second says confirmed: landed, not expired', async () => {
    const tx = await signedOnTwo();
    other.markLanded(tx.signature);
    const outcome = await landTransaction({ rpc: two, ...tx, ...fast, recheckDelayMs: 7, sleep: noPause });
    expect(outcome).toEqual({ status: 'confirmed', signature: tx.signature, slot: other.slot });
    expect(lagging.blockHeight).toBeGreaterThan(tx.lastValidBlockHeight);
    expect(other.calls.map((c) => c.method)).toEqual(['getSignatureStatuses']);
    // the second opinion does not move the failover: the next call goes to the first node again
    expect(two.currentUrlIndex()).toBe(0);
  });

  it('the second node knows it failed on chain: failed and sent, not expired', async () => {
    const tx = await signedOnTwo();
    other.markLanded(tx.signature, { err: { InstructionError: [2, { Custom: 1 }] } });
    const outcome = await landTransaction({ rpc: two, ...tx, ...fast, recheckDelayMs: 7, sleep: noPause });
    expect(outcome).toMatchObject({ status: 'failed', sent: true });
  });

  it('both nodes say null: expired', async () => {
    const tx = await signedOnTwo();
    const outcome = await landTransaction({ rpc: two, ...tx, ...fast, recheckDelayMs: 7, sleep: noPause });
    expect(outcome).toEqual({ status: 'expired', signature: tx.signature });
    expect(other.calls.map((c) => c.method)).toEqual(['getSignatureStatuses']);
  });

  it('the second node is down: the first is read again after a pause before calling it expired', async () => {
    const tx = await signedOnTwo();
    other.down.add(URL_B);
    const pauses: number[] = [];
    const outcome = await landTransaction({ rpc: two, ...tx, ...fast, recheckDelayMs: 7, sleep: async (ms) => void pauses.push(ms) });
    expect(outcome).toEqual({ status: 'expired', signature: tx.signature });
    expect(pauses.at(-1)).toBe(7);
    const lastHeight = lagging.calls.map((c) => c.method).lastIndexOf('getBlockHeight');
    expect(lagging.calls.slice(lastHeight + 1).map((c) => c.method)).toEqual(['getSignatureStatuses', 'getSignatureStatuses']);
  });

  it('a fill the first node does not serve yet is read from the second, not left to the quote', async () => {
    const sig = '4'.repeat(64);
    const mint = 'AaaaBbbbCcccDdddEeeeFfffGgggHhhhJjjjKkkkLmno';
    // Only the second node has it: the first reports nothing for it, as a lagging node does.
    other.balances.set(wallet.publicKey, 2_000_000_000);
    other.markLanded(sig, { swap: { owner: wallet.publicKey, mint, side: 'buy', lamports: 500_000_000n, tokens: 4_850_000_000n, feeLamports: 105_000, ataRentLamports: 2_039_280 } });
    const pauses: number[] = [];
    const fill = await readChainFill(two, sig, wallet.publicKey, mint, 'buy', { sleep: async (ms) => void pauses.push(ms) });
    expect(fill).toEqual({ inAmount: 500_000_000n + 2_039_280n, outAmount: 4_850_000_000n, feeLamports: 105_000 });
    expect(pauses).toEqual([]);
    expect(lagging.calls.map((c) => c.method)).toEqual(['getTransaction']);
    expect(other.calls.map((c) => c.method)).toEqual(['getTransaction']);
    // A second opinion does not move the failover: the next call goes to the first node again.
    expect(two.currentUrlIndex()).toBe(0);
  });

  it('restart reconciliation: null on the first node, confirmed on the second, is confirmed', async () => {
    const sig = '5'.repeat(64);
    other.markLanded(sig);
    lagging.advanceBlocks(500);
    expect(await signatureOutcome(two, sig, 1_100, { sleep: noPause, recheckDelayMs: 7 })).toMatchObject({ status: 'confirmed', signature: sig });
    expect(await signatureOutcome(two, '6'.repeat(64), 1_100, { sleep: noPause, recheckDelayMs: 7 })).toEqual({ status: 'expired', signature: '6'.repeat(64) });
  });
});
