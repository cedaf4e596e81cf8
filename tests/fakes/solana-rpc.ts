/**
 * A fake Solana JSON-RPC node for msw: real JSON-RPC 2.0 envelopes and the real result shapes
 * (`{context:{slot}, value}` where the API uses them), with knobs for the situations landing code
 * must survive: a transaction that needs several sends, one that never lands, an expiring
 * blockhash, a failing simulation, an on-chain error, and providers that are down.
 * Like a real node it rejects a transaction whose signatures do not verify, and silently drops
 * one whose blockhash has expired.
 *
 * It also keeps a small ledger (lamports and token balances) so getTransaction can answer with
 * real pre/post balances. Linked to the fake market (`swapsFrom`), a landed transaction moves
 * what its quote promised, adjusted by `fills` (a worse fill, rent for a new token account);
 * `markLanded` can land a swap given outright. `hideTransactions` makes getTransaction answer
 * null, as a node does that reports a signature confirmed before it serves the transaction.
 * `slideBps` moves the price against every swap between its quote and its execution, as a
 * crashing token does: past the quote's slippage, the swap fails with 0x1771.
 */
import { createHash, randomBytes } from 'node:crypto';
import { http, HttpResponse, type HttpHandler } from 'msw';
import { encodeBase58, SOL_MINT } from '../../src/trading/base58.js';
import { decodeForVerification, MEMO_PROGRAM_ID, verifyTransactionSignatures } from './solana-tx-builder.js';
import type { FakeMarket } from './market.js';

type Commitment = 'processed' | 'confirmed' | 'finalized';
interface Status { slot: number; err: unknown; confirmationStatus: Commitment }

export interface FakeSolanaRpcOptions {
  blockHeight?: number;
  /** Each getBlockHeight call advances the chain by this many blocks (0 = only advanceBlocks moves it). */
  blocksPerHeightCall?: number;
  /** A signature lands after it has been sent this many times; Infinity = never. */
  confirmAfterSends?: number;
  /** Blocks a fresh blockhash stays valid for (the real network: about 150). */
  blockhashValidity?: number;
}

/** A swap as the fake chain applies it. */
export interface FakeSwap {
  /** The wallet: fee payer and owner of the token account. */
  owner: string;
  mint: string;
  /** 'buy' = SOL -> token, 'sell' = token -> SOL. */
  side: 'buy' | 'sell';
  /** Lamports the swap itself moved: spent on a buy, received on a sell (fee and rent apart). */
  lamports: bigint;
  /** Token base units: received on a buy, sold on a sell. */
  tokens: bigint;
  feeLamports: number;
  /** Rent paid on a buy when the owner has no token account for the mint yet (default `fills.ataRentLamports`). */
  ataRentLamports?: number;
  /** The price slid below what the quote's slippage allowed: the swap fails with SlippageToleranceExceeded. */
  slippageExceeded?: boolean;
}

/** How landed swaps differ from their quote. */
export interface FillModel {
  /** Share of the quoted output that arrives, in basis points (10_000 = exactly the quote). */
  outputBps: number;
  /** Rent for creating the owner's token account on its first buy of a mint (real network: 2_039_280). */
  ataRentLamports: number;
}

const SLOT_OFFSET = 1_000;
const SIGNATURE_FEE = 5_000;
/** The pool's token account starts with this much of every mint. */
const POOL_TOKENS = 10n ** 18n;
/** SPL Token's "insufficient funds", as a swap selling more than the wallet holds fails with. */
const INSUFFICIENT_FUNDS = { InstructionError: [2, { Custom: 1 }] };
/** Jupiter's SlippageToleranceExceeded (Anchor custom error 6001 = 0x1771), and the log line a node shows for it. */
const SLIPPAGE_EXCEEDED = { InstructionError: [2, { Custom: 6001 }] };
const JUPITER_PROGRAM_ID = 'JUP6LkbZbjS1jKKwapdHNy74zcZ3tLUZoi5QNyVTaV4';
const TOKEN_PROGRAM_ID = 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA';

/** A made-up but valid address, the same every time for the same label. */
const fakeAddress = (label: string): string => encodeBase58(createHash('sha256').update(label).digest());

export class FakeSolanaRpc {
  blockHeight: number;
  blocksPerHeightCall: number;
  confirmAfterSends: number;
  blockhashValidity: number;
  /** Answer for simulateTransaction; null = success. */
  simulateError: { err: unknown; logs: string[] } | null = null;
  /** Recorded in the status of every transaction that lands while set. */
  onChainError: unknown = null;
  /** Status a landed transaction reports. */
  landedAs: Commitment = 'confirmed';
  balances = new Map<string, number>();
  /** URLs that answer 503. */
  down = new Set<string>();
  /** Applied to swaps that land from now on. */
  fills: FillModel = { outputBps: 10_000, ataRentLamports: 0 };
  /** The next this-many getTransaction calls answer null (Infinity: every one). */
  hideTransactions = 0;
  /**
   * How far the price has moved against every swap between its quote and its execution, in basis
   * points of the quoted output. A swap left with less than its quote's minimum (the slippage)
   * fails with 0x1771 in simulation and on chain; one within it fills at the moved amount.
   */
  slideBps = 0;
  /** The slide happens after simulation: simulations pass, and the transaction fails on chain (a fee is paid). */
  slideOnChainOnly = false;
  readonly sent: { signature: string; url: string }[] = [];
  readonly calls: { method: string; url: string }[] = [];
  private readonly sendCounts = new Map<string, number>();
  private readonly statuses = new Map<string, Status>();
  /** Blockhashes handed out by getLatestBlockhash, with their lastValidBlockHeight. */
  private readonly blockhashes = new Map<string, number>();
  /** Token balances by `${owner}:${mint}`; a key present means the token account exists. */
  private readonly tokens = new Map<string, bigint>();
  /** getTransaction answers (json encoding) of landed transactions. */
  private readonly transactions = new Map<string, Record<string, unknown>>();
  private market?: Pick<FakeMarket, 'transactions' | 'tokens'>;

  constructor(opts: FakeSolanaRpcOptions = {}) {
    this.blockHeight = opts.blockHeight ?? 100_000;
    this.blocksPerHeightCall = opts.blocksPerHeightCall ?? 0;
    this.confirmAfterSends = opts.confirmAfterSends ?? 1;
    this.blockhashValidity = opts.blockhashValidity ?? 150;
  }

  get slot(): number {
    return this.blockHeight + SLOT_OFFSET;
  }

  advanceBlocks(n: number): void {
    this.blockHeight += n;
  }

  /**
   * Record a transaction as landed (or failed, with `err`) without it being sent: restart
   * reconciliation. With `swap`, its balances move and getTransaction serves it.
   */
  markLanded(signature: string, opts: { err?: unknown; confirmationStatus?: Commitment; swap?: FakeSwap } = {}): void {
    const err = opts.swap ? this.execute(signature, opts.swap, opts.err ?? null, 0) : opts.err ?? null;
    this.statuses.set(signature, { slot: this.slot, err, confirmationStatus: opts.confirmationStatus ?? 'confirmed' });
  }

  /** Landed transactions move what the fake market's quote for them promised (see `fills`). */
  swapsFrom(market: Pick<FakeMarket, 'transactions' | 'tokens'>): this {
    this.market = market;
    return this;
  }

  /** The owner's balance of a mint on the fake chain (base units). */
  tokenBalance(owner: string, mint: string): bigint {
    return this.tokens.get(`${owner}:${mint}`) ?? 0n;
  }

  sendCount(signature: string): number {
    return this.sendCounts.get(signature) ?? 0;
  }

  /** `url` may carry a query (an API key, as providers do); msw matches on the path. */
  handlers(url: string): HttpHandler[] {
    const path = url.split('?')[0]!;
    return [
      http.post(path, async ({ request }) => {
        let body: { jsonrpc?: unknown; id?: unknown; method?: unknown; params?: unknown };
        try {
          body = (await request.json()) as typeof body;
        } catch {
          return HttpResponse.json({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
        }
        const method = typeof body.method === 'string' ? body.method : '';
        this.calls.push({ method, url });
        if (this.down.has(url)) return new HttpResponse('Service Unavailable', { status: 503 });
        const id = body.id ?? null;
        const params = Array.isArray(body.params) ? (body.params as unknown[]) : [];
        const answer = this.answer(method, params, url);
        return HttpResponse.json('error' in answer ? { jsonrpc: '2.0', id, error: answer.error } : { jsonrpc: '2.0', id, result: answer.result });
      }),
    ];
  }

  private answer(method: string, params: unknown[], url: string): { result: unknown } | { error: { code: number; message: string } } {
    const context = { slot: this.slot };
    switch (method) {
      case 'getLatestBlockhash': {
        const blockhash = encodeBase58(randomBytes(32));
        const lastValidBlockHeight = this.blockHeight + this.blockhashValidity;
        this.blockhashes.set(blockhash, lastValidBlockHeight);
        return { result: { context, value: { blockhash, lastValidBlockHeight } } };
      }
      case 'getBlockHeight': {
        const height = this.blockHeight;
        this.blockHeight += this.blocksPerHeightCall;
        return { result: height };
      }
      case 'getBalance': {
        const pubkey = params[0];
        if (typeof pubkey !== 'string') return invalidParams();
        return { result: { context, value: this.balances.get(pubkey) ?? 0 } };
      }
      case 'simulateTransaction': {
        const tx = this.decode(params);
        if (!tx) return invalidParams();
        const slipped = this.simulateError === null && !this.slideOnChainOnly && this.swapIn(tx.message)?.slippageExceeded === true;
        const sim = this.simulateError ?? (slipped
          ? { err: SLIPPAGE_EXCEEDED, logs: [`Program ${JUPITER_PROGRAM_ID} invoke [1]`, 'Program log: Error: custom program error: 0x1771', `Program ${JUPITER_PROGRAM_ID} failed: custom program error: 0x1771`] }
          : { err: null, logs: ['Program MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr invoke [1]', 'Program MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr success'] });
        return { result: { context, value: { err: sim.err, logs: sim.logs, accounts: null, unitsConsumed: 1_234, returnData: null } } };
      }
      case 'sendTransaction': {
        const tx = this.decode(params);
        if (!tx) return invalidParams();
        if (!verifyTransactionSignatures(tx.bytes)) return { error: { code: -32003, message: 'Transaction signature verification failure' } };
        const signature = encodeBase58(tx.signatures[0]!);
        this.sent.push({ signature, url });
        const count = this.sendCount(signature) + 1;
        this.sendCounts.set(signature, count);
        const lastValid = this.blockhashes.get(tx.blockhash);
        const expired = lastValid !== undefined && this.blockHeight > lastValid;
        if (!expired && !this.statuses.has(signature) && count >= this.confirmAfterSends) {
          const swap = this.swapIn(tx.message);
          const version = (tx.message[0]! & 0x80) !== 0 ? 0 : 'legacy';
          const err = swap ? this.execute(signature, swap, this.onChainError, version) : this.onChainError;
          this.statuses.set(signature, { slot: this.slot, err, confirmationStatus: this.landedAs });
        }
        return { result: signature };
      }
      case 'getSignatureStatuses': {
        const signatures = params[0];
        if (!Array.isArray(signatures) || signatures.length > 256) return invalidParams();
        const value = signatures.map((s) => {
          const st = typeof s === 'string' ? this.statuses.get(s) : undefined;
          if (!st) return null;
          return {
            slot: st.slot,
            confirmations: st.confirmationStatus === 'finalized' ? null : 1,
            err: st.err,
            status: st.err === null ? { Ok: null } : { Err: st.err },
            confirmationStatus: st.confirmationStatus,
          };
        });
        return { result: { context, value } };
      }
      case 'getTransaction': {
        const [signature, config] = params;
        const c = (config ?? {}) as { encoding?: unknown; commitment?: unknown; maxSupportedTransactionVersion?: unknown };
        if (typeof signature !== 'string' || (c.encoding !== undefined && c.encoding !== 'json')) return invalidParams();
        if (c.commitment === 'processed') return { error: { code: -32602, message: 'Method does not support commitment below `confirmed`' } };
        if (this.hideTransactions > 0) {
          this.hideTransactions--;
          return { result: null };
        }
        const status = this.statuses.get(signature);
        const tx = this.transactions.get(signature);
        if (!status || !tx || status.confirmationStatus === 'processed') return { result: null };
        if (tx.version === 0 && c.maxSupportedTransactionVersion === undefined) {
          return { error: { code: -32015, message: 'Transaction version (0) is not supported by the requesting client. Please try the request again with the following configuration parameter: "maxSupportedTransactionVersion": 0' } };
        }
        return { result: tx };
      }
      default:
        return { error: { code: -32601, message: 'Method not found' } };
    }
  }

  /** The swap the market built these message bytes for, with `fills` applied. */
  private swapIn(message: Uint8Array): FakeSwap | undefined {
    const built = this.market?.transactions.find((t) => {
      const decoded = decodeForVerification(t.bytes);
      return decoded !== undefined && Buffer.from(decoded.message).equals(Buffer.from(message));
    });
    if (!built?.swap) return undefined;
    const { inputMint, outputMint, inAmount, outAmount, minOut, priorityFeeLamports } = built.swap;
    const moved = (outAmount * BigInt(10_000 - this.slideBps)) / 10_000n;
    const out = (moved * BigInt(this.fills.outputBps)) / 10_000n;
    const buy = inputMint === SOL_MINT;
    return {
      owner: built.userPublicKey,
      mint: buy ? outputMint : inputMint,
      side: buy ? 'buy' : 'sell',
      lamports: buy ? inAmount : out,
      tokens: buy ? out : inAmount,
      feeLamports: SIGNATURE_FEE + priorityFeeLamports,
      ...(minOut !== undefined && moved < minOut ? { slippageExceeded: true } : {}),
    };
  }

  /**
   * Moves the balances a landed swap moves (only the fee when it failed) and records its
   * getTransaction answer. Returns the transaction's error: a sale of more than the owner holds fails.
   */
  private execute(signature: string, swap: FakeSwap, requestedErr: unknown, version: 0 | 'legacy'): unknown {
    const { owner, mint } = swap;
    const ata = fakeAddress(`ata:${owner}:${mint}`);
    const poolAuthority = fakeAddress(`pool-authority:${mint}`);
    const pool = fakeAddress(`pool:${mint}`);
    const walletKey = `${owner}:${mint}`;
    const poolKey = `${poolAuthority}:${mint}`;
    const hadAccount = this.tokens.has(walletKey);
    const pre = {
      lamports: this.balances.get(owner) ?? 0,
      ataLamports: this.balances.get(ata) ?? 0,
      tokens: this.tokens.get(walletKey) ?? 0n,
      pool: this.tokens.get(poolKey) ?? POOL_TOKENS,
    };
    const err = requestedErr ?? (swap.slippageExceeded ? SLIPPAGE_EXCEEDED : swap.side === 'sell' && swap.tokens > pre.tokens ? INSUFFICIENT_FUNDS : null);
    const post = { ...pre, lamports: pre.lamports - swap.feeLamports };
    if (err === null) {
      if (swap.side === 'buy') {
        const rent = hadAccount ? 0 : swap.ataRentLamports ?? this.fills.ataRentLamports;
        post.lamports -= Number(swap.lamports) + rent;
        post.ataLamports += rent;
        post.tokens += swap.tokens;
        post.pool -= swap.tokens;
      } else {
        post.lamports += Number(swap.lamports);
        post.tokens -= swap.tokens;
        post.pool += swap.tokens;
      }
      this.balances.set(ata, post.ataLamports);
      this.tokens.set(walletKey, post.tokens);
      this.tokens.set(poolKey, post.pool);
    }
    this.balances.set(owner, post.lamports);
    const decimals = this.market?.tokens.get(mint)?.decimals ?? 6;
    const entry = (accountIndex: number, holder: string, amount: bigint) => ({
      accountIndex,
      mint,
      owner: holder,
      programId: TOKEN_PROGRAM_ID,
      uiTokenAmount: { amount: amount.toString(), decimals, uiAmount: Number(amount) / 10 ** decimals, uiAmountString: String(Number(amount) / 10 ** decimals) },
    });
    // Account order as a node lists it: the fee payer first, then writable accounts, then programs.
    const accountKeys = [owner, ata, pool, MEMO_PROGRAM_ID];
    this.transactions.set(signature, {
      slot: this.slot,
      blockTime: Math.floor(Date.now() / 1000),
      version,
      meta: {
        err,
        status: err === null ? { Ok: null } : { Err: err },
        fee: swap.feeLamports,
        preBalances: [pre.lamports, pre.ataLamports, 2_039_280, 1],
        postBalances: [post.lamports, err === null ? post.ataLamports : pre.ataLamports, 2_039_280, 1],
        preTokenBalances: [...(hadAccount ? [entry(1, owner, pre.tokens)] : []), entry(2, poolAuthority, pre.pool)],
        postTokenBalances: err === null ? [entry(1, owner, post.tokens), entry(2, poolAuthority, post.pool)] : [...(hadAccount ? [entry(1, owner, pre.tokens)] : []), entry(2, poolAuthority, pre.pool)],
        innerInstructions: [],
        logMessages: [`Program ${MEMO_PROGRAM_ID} invoke [1]`, `Program ${MEMO_PROGRAM_ID} ${err === null ? 'success' : 'failed'}`],
        rewards: [],
        loadedAddresses: { writable: [], readonly: [] },
        computeUnitsConsumed: 1_234,
      },
      transaction: {
        signatures: [signature],
        message: {
          header: { numRequiredSignatures: 1, numReadonlySignedAccounts: 0, numReadonlyUnsignedAccounts: 1 },
          accountKeys,
          recentBlockhash: encodeBase58(randomBytes(32)),
          instructions: [{ programIdIndex: 3, accounts: [0], data: '', stackHeight: null }],
          ...(version === 0 ? { addressTableLookups: [] } : {}),
        },
      },
    });
    return err;
  }

  private decode(params: unknown[]): (NonNullable<ReturnType<typeof decodeForVerification>> & { bytes: Uint8Array }) | undefined {
    const [encoded, config] = params;
    if (typeof encoded !== 'string' || (config as { encoding?: unknown } | undefined)?.encoding !== 'base64') return undefined;
    const bytes = new Uint8Array(Buffer.from(encoded, 'base64'));
    const tx = decodeForVerification(bytes);
    return tx && { ...tx, bytes };
  }
}

function invalidParams(): { error: { code: number; message: string } } {
  return { error: { code: -32602, message: 'Invalid params' } };
}
