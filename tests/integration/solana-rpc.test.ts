import { delay, http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RpcError } from '../../src/trading/errors.js';
import { SolanaRpc } from '../../src/trading/rpc.js';
import { keypairFromSecretKey, signTransaction } from '../../src/trading/solana-tx.js';
import { FakeSolanaRpc } from '../fakes/solana-rpc.js';
import { buildUnsignedTransaction } from '../fakes/solana-tx-builder.js';

// URLs as providers hand them out, with the API key in them: it must never reach an error.
const A = 'http://rpc-a.test/?api-key=SECRET-KEY-A';
const B = 'http://rpc-b.test/v2/SECRET-KEY-B';
const A_PATH = 'http://rpc-a.test/';
const server = setupServer();
let fake: FakeSolanaRpc;

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());
beforeEach(() => {
  fake = new FakeSolanaRpc({ blockHeight: 5_000 });
  server.use(...fake.handlers(A), ...fake.handlers(B));
});
afterEach(() => server.resetHandlers());

async function caught(p: Promise<unknown>): Promise<RpcError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(RpcError);
    const err = e as RpcError;
    const text = `${err.message} ${String((err.cause as Error | undefined)?.message ?? '')}`;
    expect(text).not.toMatch(/SECRET|rpc-a|rpc-b|:\/\//);
    return err;
  }
  throw new Error('expected the call to fail');
}

describe('SolanaRpc', () => {
  it('reads through the real JSON-RPC shapes', async () => {
    const rpc = new SolanaRpc({ urls: [A], timeoutMs: 1_000 });
    fake.balances.set('So11111111111111111111111111111111111111112', 42);
    expect(await rpc.getBlockHeight()).toBe(5_000);
    const { blockhash, lastValidBlockHeight } = await rpc.getLatestBlockhash();
    expect(blockhash).toMatch(/^[1-9A-HJ-NP-Za-km-z]{32,44}$/);
    expect(lastValidBlockHeight).toBe(5_150);
    expect(await rpc.getBalance('So11111111111111111111111111111111111111112')).toBe(42);
    expect(await rpc.getSignatureStatuses(['1'.repeat(64)])).toEqual([null]);
  });

  it('sends base64 and gets the signature back; statuses follow', async () => {
    const rpc = new SolanaRpc({ urls: [A], timeoutMs: 1_000 });
    const kp = keypairFromSecretKey(new Uint8Array(32).fill(9));
    const { bytes, signature } = signTransaction(buildUnsignedTransaction({ payer: kp.publicKey }), kp);
    expect(await rpc.simulateTransaction(bytes)).toMatchObject({ err: null });
    expect(await rpc.sendTransaction(bytes)).toBe(signature);
    const [status] = await rpc.getSignatureStatuses([signature]);
    expect(status).toEqual({ confirmationStatus: 'confirmed', err: null, slot: fake.slot });
  });

  it('transactionFrom: null until the node serves it, then the balances a fill is read from', async () => {
    const rpc = new SolanaRpc({ urls: [A], timeoutMs: 1_000 });
    const kp = keypairFromSecretKey(new Uint8Array(32).fill(5));
    const mint = 'AaaaBbbbCcccDdddEeeeFfffGgggHhhhJjjjKkkkLmno';
    const signature = '2'.repeat(64);
    expect((await rpc.transactionFrom(signature)).tx).toBeNull();
    fake.balances.set(kp.publicKey, 1_000_000_000);
    fake.markLanded(signature, { swap: { owner: kp.publicKey, mint, side: 'buy', lamports: 100_000_000n, tokens: 42n, feeLamports: 5_000, ataRentLamports: 2_039_280 } });
    fake.hideTransactions = 1;
    expect((await rpc.transactionFrom(signature)).tx).toBeNull();
    const { tx } = await rpc.transactionFrom(signature);
    expect(tx?.transaction.message.accountKeys[0]).toBe(kp.publicKey);
    expect(tx?.meta).toMatchObject({ err: null, fee: 5_000, preBalances: [1_000_000_000, 0, 2_039_280, 1], postBalances: [1_000_000_000 - 100_000_000 - 5_000 - 2_039_280, 2_039_280, 2_039_280, 1] });
    expect(tx?.meta?.postTokenBalances?.find((b) => b.owner === kp.publicKey)).toMatchObject({ mint, uiTokenAmount: { amount: '42' } });
  });

  it('getTransaction says bad_response, without the URL, when the answer is not a transaction', async () => {
    const rpc = new SolanaRpc({ urls: [A], timeoutMs: 1_000 });
    server.resetHandlers(http.post(A_PATH, () => HttpResponse.json({ jsonrpc: '2.0', id: 1, result: { meta: { fee: 'lots' }, transaction: {} } })));
    expect((await caught(rpc.transactionFrom('2'.repeat(64)))).kind).toBe('bad_response');
  });

  it('fails over from a down URL to the next, and keeps using the one that worked', async () => {
    fake.down.add(A);
    const rpc = new SolanaRpc({ urls: [A, B], timeoutMs: 1_000 });
    expect(await rpc.getBlockHeight()).toBe(5_000);
    expect(rpc.currentUrlIndex()).toBe(1);
    await rpc.getBlockHeight();
    expect(fake.calls.map((c) => c.url)).toEqual([A, B, B]);
  });

  it('fails over on a network error, a 429, a timeout, a refused key and a non-JSON page', async () => {
    for (const broken of [
      () => HttpResponse.error(),
      () => new HttpResponse('slow down', { status: 429 }),
      () => new HttpResponse('invalid api key', { status: 401 }),
      () => new HttpResponse('<html>gateway</html>', { status: 200, headers: { 'content-type': 'text/html' } }),
      async () => {
        await delay(300);
        return HttpResponse.json({ jsonrpc: '2.0', id: 1, result: 1 });
      },
    ]) {
      server.resetHandlers(http.post(A_PATH, broken), ...fake.handlers(B));
      const rpc = new SolanaRpc({ urls: [A, B], timeoutMs: 50 });
      expect(await rpc.getBlockHeight()).toBe(5_000);
      expect(rpc.currentUrlIndex()).toBe(1);
    }
  });

  it('does not fail over a JSON-RPC error: it is the node answering', async () => {
    const rpc = new SolanaRpc({ urls: [A, B], timeoutMs: 1_000 });
    const kp = keypairFromSecretKey(new Uint8Array(32).fill(3));
    const unsigned = buildUnsignedTransaction({ payer: kp.publicKey }); // zero signature
    const err = await caught(rpc.sendTransaction(unsigned));
    expect(err.kind).toBe('rpc_error');
    expect(err.code).toBe(-32003);
    expect(err.message).toMatch(/signature verification failure/);
    expect(fake.calls.map((c) => c.url)).toEqual([A]);
  });

  it('says unavailable when every URL fails, without naming any', async () => {
    fake.down.add(A);
    fake.down.add(B);
    const rpc = new SolanaRpc({ urls: [A, B], timeoutMs: 1_000 });
    const err = await caught(rpc.getLatestBlockhash());
    expect(err.kind).toBe('unavailable');
    expect(err.message).toBe('every Solana RPC URL failed');
    expect(fake.calls).toHaveLength(2); // each URL once
  });

  it('says bad_response when the result has the wrong shape', async () => {
    const rpc = new SolanaRpc({ urls: [A], timeoutMs: 1_000 });
    server.resetHandlers(http.post(A_PATH, () => HttpResponse.json({ jsonrpc: '2.0', id: 1, result: { context: { slot: 1 }, value: { blockhash: 'not a hash', lastValidBlockHeight: -1 } } })));
    expect((await caught(rpc.getLatestBlockhash())).kind).toBe('bad_response');
    server.resetHandlers(http.post(A_PATH, () => HttpResponse.json({ jsonrpc: '2.0', id: 1, result: { context: { slot: 1 }, value: [null, null] } })));
    expect((await caught(rpc.getSignatureStatuses(['1'.repeat(64)]))).kind).toBe('bad_response');
  });
});
