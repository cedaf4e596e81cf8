import { UserError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { VenueError, RpcError } from './errors.js';
import type { VenueRouter } from './route.js';
import type { Quote, QuoteRequest } from './venue.js';
import type { Mode, TxRecord } from './store.js';
import type { Keypair } from './solana-tx.js';
import { signTransaction } from './solana-tx.js';
import type { SolanaRpc } from './rpc.js';
import { landTransaction } from './landing.js';
import { SOL_MINT } from './base58.js';
import { readChainFill } from './chain-fill.js';

/**
 * One swap, paper or live, through the same steps up to signing: quote (bags.fm or Jupiter),
 * then either a simulated fill at the quoted amount less modelled fees, or build, sign, record
 * the signature, land, and read what actually moved back from the chain. Failures come back as a
 * TradeError with one sentence for a person.
 */

export class TradeError extends UserError {
  constructor(message: string, readonly retryable: boolean, options?: { cause?: unknown }) {
    super(message);
    if (options?.cause) this.cause = options.cause;
  }
}

/**
 * The price moved past the slippage on the try and on the re-quote. Every transaction the swap
 * built is then settled for good (failed in simulation, so never sent; failed on chain; or
 * expired), so nothing of it can still land.
 */
export class SlippageExceeded extends TradeError {
  /** @param lastSlippageBps the slippage of the last try (the re-quote's). */
  constructor(readonly lastSlippageBps: number) {
    super('The price moved more than your slippage allows, twice.', false);
  }
}

export interface LiveWallet {
  keypair: Keypair;
  rpc: SolanaRpc;
  resendIntervalMs: number;
}

export interface SwapOrder {
  mode: Mode;
  request: QuoteRequest;
  priorityFeeLamports: number;
  networkFeeLamports: number;
  /** Persists a live transaction before it is first sent (the restart path reads it back). */
  recordTx?: (tx: TxRecord) => void;
  /** The slippage of the one re-quote after a 0x1771 (a stop-loss widens it); default: the same. */
  requoteSlippageBps?: number;
  signal?: AbortSignal;
}

export interface SwapFill {
  venue: string;
  inAmount: bigint;
  outAmount: bigint;
  /** SOL paid in fees on top of the swap (network + priority). */
  feeLamports: number;
  signature?: string;
  /** 'chain': read from the landed transaction; 'quote': what the quote promised (paper, or the chain could not tell). */
  source: 'chain' | 'quote';
  /** Live: the slippage the landed transaction was quoted with. */
  slippageBps?: number;
}

const MAX_FRESH_TRANSACTIONS = 3;

export function explain(err: unknown): TradeError {
  if (err instanceof TradeError) return err;
  if (err instanceof VenueError) return new TradeError(err.userMessage, err.kind === 'rate_limited' || err.kind === 'unavailable', { cause: err });
  if (err instanceof RpcError) return new TradeError('The Solana network is not answering right now; try again in a minute.', true, { cause: err });
  if (err instanceof UserError) return new TradeError(err.message, false, { cause: err });
  return new TradeError('The swap could not be carried out.', true, { cause: err });
}

export async function executeSwap(deps: { router: VenueRouter; wallet?: LiveWallet; log: Logger }, order: SwapOrder): Promise<SwapFill> {
  const fees = order.networkFeeLamports + order.priorityFeeLamports;
  try {
    if (order.mode === 'paper') {
      const q = await deps.router.quote(order.request, order.signal);
      return { venue: q.venue, inAmount: q.inAmount, outAmount: q.outAmount, feeLamports: fees, source: 'quote' };
    }
    const wallet = deps.wallet;
    if (!wallet) throw new TradeError('Live trading is not available: no wallet is unlocked.', false);
    let requoted = false;
    let request = order.request;
    for (let attempt = 1; attempt <= MAX_FRESH_TRANSACTIONS; attempt++) {
      const first: Quote = await deps.router.quote(request, order.signal);
      const { quote, tx } = await deps.router.swap(first, request, wallet.keypair.publicKey, { priorityFeeLamports: order.priorityFeeLamports }, order.signal);
      const signed = signTransaction(tx.transaction, wallet.keypair);
      const record: TxRecord = { signature: signed.signature, lastValidBlockHeight: tx.lastValidBlockHeight, venue: quote.venue, expectedOut: quote.outAmount.toString(), feeLamports: fees, slippageBps: request.slippageBps };
      order.recordTx?.(record);
      const outcome = await landTransaction({
        rpc: wallet.rpc,
        transaction: signed.bytes,
        signature: signed.signature,
        lastValidBlockHeight: tx.lastValidBlockHeight,
        resendIntervalMs: wallet.resendIntervalMs,
        signal: order.signal,
      });
      if (outcome.status === 'confirmed') return confirmedFill({ wallet, log: deps.log }, record, request, quote, order.signal);
      if (outcome.status === 'expired') {
        deps.log.warn({ signature: signed.signature, attempt }, 'transaction expired before landing; building a fresh one');
        continue;
      }
      if (outcome.slippage && !requoted) {
        requoted = true;
        attempt--;
        if (order.requoteSlippageBps !== undefined) request = { ...request, slippageBps: order.requoteSlippageBps };
        deps.log.warn({ signature: signed.signature, slippageBps: request.slippageBps }, 'slippage exceeded (0x1771); re-quoting once');
        continue;
      }
      if (outcome.slippage) throw new SlippageExceeded(request.slippageBps);
      throw new TradeError('The swap failed on chain.', true);
    }
    throw new TradeError(`The transaction did not land in time, ${MAX_FRESH_TRANSACTIONS} times; the network may be congested.`, true);
  } catch (err) {
    throw explain(err);
  }
}

/**
 * The fill of a live transaction known to be confirmed: what moved on chain, or, when the chain
 * cannot tell (not served yet, RPC down, odd balances), what the quote promised, with a warning.
 */
export async function confirmedFill(
  deps: { wallet: LiveWallet; log: Logger },
  tx: TxRecord,
  request: Pick<QuoteRequest, 'inputMint' | 'outputMint'>,
  quoted: { inAmount: bigint; outAmount: bigint },
  signal?: AbortSignal,
): Promise<SwapFill> {
  const buying = request.inputMint === SOL_MINT;
  const mint = buying ? request.outputMint : request.inputMint;
  const chain = await readChainFill(deps.wallet.rpc, tx.signature, deps.wallet.keypair.publicKey, mint, buying ? 'buy' : 'sell', { signal });
  const slippage = tx.slippageBps !== undefined ? { slippageBps: tx.slippageBps } : {};
  if (chain) return { venue: tx.venue, ...chain, signature: tx.signature, source: 'chain', ...slippage };
  deps.log.warn({ signature: tx.signature }, 'could not read the fill from the chain; recording the quoted amounts');
  return { venue: tx.venue, inAmount: quoted.inAmount, outAmount: quoted.outAmount, feeLamports: tx.feeLamports, signature: tx.signature, source: 'quote', ...slippage };
}
