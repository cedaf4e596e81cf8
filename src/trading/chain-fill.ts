/**
 * What a landed swap actually moved, read back from its transaction's balances.
 * Why: a swap fills anywhere within its slippage and a buy also pays rent for a new token account,
 * so the quote is only an estimate. Amounts mean what SwapFill's do: `inAmount` is what went in
 * (lamports on a buy, token base units on a sell), `outAmount` what came out, `feeLamports` the
 * transaction fee. undefined means "no sensible answer": the caller falls back to the quote.
 */
import { setTimeout as sleepFor } from 'node:timers/promises';
import type { ChainTransaction, SolanaRpc, TokenBalance } from './rpc.js';

/** 'buy' = SOL -> token, 'sell' = token -> SOL. */
export type FillSide = 'buy' | 'sell';

export interface ChainFill {
  inAmount: bigint;
  outAmount: bigint;
  feeLamports: number;
}

/** The owner's balance of `mint`, summed over all its token accounts (absent = 0). */
function tokensOf(balances: readonly TokenBalance[] | null | undefined, owner: string, mint: string): bigint {
  let sum = 0n;
  for (const b of balances ?? []) if (b.mint === mint && b.owner === owner) sum += BigInt(b.uiTokenAmount.amount);
  return sum;
}

export function chainFill(tx: ChainTransaction, owner: string, mint: string, side: FillSide): ChainFill | undefined {
  const meta = tx.meta;
  if (!meta || (meta.err !== null && meta.err !== undefined)) return undefined;
  // The fee payer is the wallet's SOL account: its lamport change is what the wallet paid or got.
  if (tx.transaction.message.accountKeys[0] !== owner) return undefined;
  const before = meta.preBalances[0];
  const after = meta.postBalances[0];
  if (before === undefined || after === undefined) return undefined;
  const fee = BigInt(meta.fee);
  const tokenDelta = tokensOf(meta.postTokenBalances, owner, mint) - tokensOf(meta.preTokenBalances, owner, mint);
  if (side === 'buy') {
    // Everything the wallet paid less the fee: the swap's input plus any rent for a new token account.
    const inAmount = BigInt(before) - BigInt(after) - fee;
    if (tokenDelta <= 0n || inAmount < 0n) return undefined;
    return { inAmount, outAmount: tokenDelta, feeLamports: meta.fee };
  }
  // Gross of the fee, so outAmount - fee is the SOL the wallet is better off by.
  const outAmount = BigInt(after) - BigInt(before) + fee;
  if (tokenDelta >= 0n || outAmount < 0n) return undefined;
  return { inAmount: -tokenDelta, outAmount, feeLamports: meta.fee };
}

export interface ReadOptions {
  tries?: number;
  intervalMs?: number;
  signal?: AbortSignal;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

const defaultSleep = async (ms: number, signal?: AbortSignal): Promise<void> => {
  await sleepFor(ms, undefined, signal ? { signal } : undefined);
};

/**
 * Reads the fill of a confirmed transaction, asking a few times: a node can report a signature
 * confirmed before it serves the transaction. With several nodes, a node that said "not yet" is
 * skipped on the next try, so a lagging one cannot make the fill fall back to the quote while
 * another has it. Never throws; undefined when the transaction stays unavailable, the RPC keeps
 * failing, the signal aborts, or its balances make no sense.
 */
export async function readChainFill(
  rpc: Pick<SolanaRpc, 'transactionFrom' | 'nodeCount'>,
  signature: string,
  owner: string,
  mint: string,
  side: FillSide,
  opts: ReadOptions = {},
): Promise<ChainFill | undefined> {
  const tries = opts.tries ?? 4;
  const sleep = opts.sleep ?? defaultSleep;
  for (let attempt = 1; attempt <= tries; attempt++) {
    if (opts.signal?.aborted) return undefined;
    try {
      const first = await rpc.transactionFrom(signature);
      // Not served by that node (yet): another one may have it already.
      const { tx } = first.tx || rpc.nodeCount < 2 ? first : await rpc.transactionFrom(signature, { avoid: first.node });
      // A served transaction does not change: if it makes no sense now, it never will.
      if (tx) return chainFill(tx, owner, mint, side);
    } catch {
      // An RPC failure (or no other node answering) is as good as "not yet": ask again.
    }
    if (attempt === tries) break;
    try {
      await sleep(opts.intervalMs ?? 500, opts.signal);
    } catch {
      return undefined;
    }
  }
  return undefined;
}
