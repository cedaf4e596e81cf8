import { describe, expect, it } from 'vitest';
import { chainFill, readChainFill } from '../../src/trading/chain-fill.js';
import { RpcError } from '../../src/trading/errors.js';
import type { ChainTransaction, TokenBalance } from '../../src/trading/rpc.js';

/**
 * chainFill reads a swap's amounts from getTransaction balances; readChainFill asks again while
 * the node does not serve the transaction yet. Transactions are written as a node returns them
 * (json encoding), cut to the fields we read.
 */

const OWNER = 'Wa11etOwner1111111111111111111111111111111';
const MINT = 'AaaaBbbbCcccDdddEeeeFfffGgggHhhhJjjjKkkkLmno';
const OTHER_MINT = '7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU';
const POOL = 'Poo1Authority11111111111111111111111111111';
const FEE = 105_000;
const RENT = 2_039_280;

const tokens = (accountIndex: number, owner: string, amount: bigint, mint = MINT): TokenBalance => ({ accountIndex, mint, owner, uiTokenAmount: { amount: amount.toString() } });

function tx(opts: { payer?: string; pre: number; post: number; preTokens?: TokenBalance[]; postTokens?: TokenBalance[]; err?: unknown; fee?: number }): ChainTransaction {
  return {
    meta: {
      err: opts.err ?? null,
      fee: opts.fee ?? FEE,
      preBalances: [opts.pre, 0, 2_039_280, 1],
      postBalances: [opts.post, RENT, 2_039_280, 1],
      preTokenBalances: opts.preTokens ?? [],
      postTokenBalances: opts.postTokens ?? [],
    },
    transaction: { message: { accountKeys: [opts.payer ?? OWNER, 'Ata1111111111111111111111111111111111111111', 'Poo1Account1111111111111111111111111111111', 'MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr'] } },
  };
}

/** A 0.5 SOL buy that created the owner's token account: the wallet paid swap + fee + rent. */
const buyWithNewAccount = tx({
  pre: 10_000_000_000,
  post: 10_000_000_000 - 500_000_000 - FEE - RENT,
  preTokens: [tokens(2, POOL, 1_000_000_000_000n)],
  postTokens: [tokens(1, OWNER, 4_850_000_000n), tokens(2, POOL, 1_000_000_000_000n - 4_850_000_000n)],
});

describe('chainFill', () => {
  it('a buy that created the token account: tokens received, and SOL paid with the rent in it', () => {
    expect(chainFill(buyWithNewAccount, OWNER, MINT, 'buy')).toEqual({ inAmount: BigInt(500_000_000 + RENT), outAmount: 4_850_000_000n, feeLamports: FEE });
  });

  it('a sell: tokens that left the wallet, and SOL received gross of the fee', () => {
    const sell = tx({
      pre: 9_000_000_000,
      post: 9_000_000_000 + 480_000_000 - FEE,
      preTokens: [tokens(1, OWNER, 4_850_000_000n), tokens(2, POOL, 5n)],
      postTokens: [tokens(1, OWNER, 850_000_000n), tokens(2, POOL, 4_000_000_005n)],
    });
    const fill = chainFill(sell, OWNER, MINT, 'sell');
    expect(fill).toEqual({ inAmount: 4_000_000_000n, outAmount: 480_000_000n, feeLamports: FEE });
    expect(Number(fill!.outAmount) - fill!.feeLamports).toBe(480_000_000 - FEE); // net, as exits.ts books it
  });

  it('sums every token account the owner has for the mint, and ignores other owners and mints', () => {
    const buy = tx({
      pre: 1_000_000_000,
      post: 1_000_000_000 - 100_000_000 - FEE,
      preTokens: [tokens(1, OWNER, 100n), tokens(3, OWNER, 50n), tokens(2, POOL, 9_000n), tokens(4, OWNER, 7n, OTHER_MINT)],
      postTokens: [tokens(1, OWNER, 100n), tokens(3, OWNER, 1_050n), tokens(5, OWNER, 25n), tokens(2, POOL, 7_975n), tokens(4, OWNER, 999n, OTHER_MINT)],
    });
    expect(chainFill(buy, OWNER, MINT, 'buy')).toEqual({ inAmount: 100_000_000n, outAmount: 1_025n, feeLamports: FEE });
  });

  it('undefined when the fee payer is not the owner: its SOL change is not ours', () => {
    expect(chainFill(tx({ ...{ pre: 10_000_000_000, post: 9_000_000_000 }, payer: POOL, postTokens: [tokens(1, OWNER, 5n)] }), OWNER, MINT, 'buy')).toBeUndefined();
  });

  it('undefined when the transaction failed (meta.err)', () => {
    const failed = tx({ pre: 10_000_000_000, post: 10_000_000_000 - FEE, err: { InstructionError: [2, { Custom: 6001 }] }, postTokens: [tokens(1, OWNER, 5n)] });
    expect(chainFill(failed, OWNER, MINT, 'buy')).toBeUndefined();
  });

  it('undefined when the answer makes no sense: no tokens moved, tokens the wrong way, SOL the wrong way, no meta', () => {
    expect(chainFill(tx({ pre: 10_000_000_000, post: 9_000_000_000 }), OWNER, MINT, 'buy')).toBeUndefined();
    expect(chainFill(buyWithNewAccount, OWNER, MINT, 'sell')).toBeUndefined();
    // tokens arrived but the wallet paid less than the fee
    expect(chainFill(tx({ pre: 1_000_000, post: 1_000_000 - 10, postTokens: [tokens(1, OWNER, 5n)] }), OWNER, MINT, 'buy')).toBeUndefined();
    // tokens left but the wallet lost more than the fee
    expect(chainFill(tx({ pre: 1_000_000, post: 1_000_000 - FEE - 1, preTokens: [tokens(1, OWNER, 5n)] }), OWNER, MINT, 'sell')).toBeUndefined();
    expect(chainFill({ ...buyWithNewAccount, meta: null }, OWNER, MINT, 'buy')).toBeUndefined();
  });
});

describe('readChainFill', () => {
  function node(answers: (ChainTransaction | null | Error)[]) {
    const asked: string[] = [];
    return {
      asked,
      nodeCount: 1,
      async transactionFrom(signature: string): Promise<{ tx: ChainTransaction | null; node: number }> {
        asked.push(signature);
        const next = answers.length > 1 ? answers.shift()! : answers[0]!;
        if (next instanceof Error) throw next;
        return { tx: next, node: 0 };
      },
    };
  }
  const sleeps: number[] = [];
  const sleep = async (ms: number) => {
    sleeps.push(ms);
  };

  it('asks again while the node does not serve the transaction (null or an RPC error), then reads it', async () => {
    sleeps.length = 0;
    const rpc = node([null, new RpcError('unavailable', 'every Solana RPC URL failed'), buyWithNewAccount]);
    expect(await readChainFill(rpc, 'sig', OWNER, MINT, 'buy', { sleep, intervalMs: 250 })).toEqual({ inAmount: BigInt(500_000_000 + RENT), outAmount: 4_850_000_000n, feeLamports: FEE });
    expect(rpc.asked).toEqual(['sig', 'sig', 'sig']);
    expect(sleeps).toEqual([250, 250]);
  });

  it('gives up after its tries (4 by default), without throwing', async () => {
    sleeps.length = 0;
    const rpc = node([null]);
    expect(await readChainFill(rpc, 'sig', OWNER, MINT, 'buy', { sleep })).toBeUndefined();
    expect(rpc.asked).toHaveLength(4);
    expect(sleeps).toEqual([500, 500, 500]);
  });

  it('does not ask again about a served transaction that makes no sense', async () => {
    const rpc = node([buyWithNewAccount]);
    expect(await readChainFill(rpc, 'sig', POOL, MINT, 'buy', { sleep })).toBeUndefined();
    expect(rpc.asked).toHaveLength(1);
  });

  it('stops when its signal aborts', async () => {
    const stop = new AbortController();
    const rpc = node([null]);
    const aborting = async () => {
      stop.abort();
      throw new DOMException('aborted', 'AbortError');
    };
    expect(await readChainFill(rpc, 'sig', OWNER, MINT, 'buy', { sleep: aborting, signal: stop.signal })).toBeUndefined();
    expect(rpc.asked).toHaveLength(1);
    expect(await readChainFill(rpc, 'sig', OWNER, MINT, 'buy', { sleep, signal: stop.signal })).toBeUndefined();
    expect(rpc.asked).toHaveLength(1);
  });
});
