/**
 * Solana JSON-RPC over fetch, with failover across several providers.
 * Why failover: public and free-tier RPCs go down or rate-limit often, and a stuck exit is worse
 * than a slower one. A JSON-RPC `error` is the node's considered answer, so it is not retried
 * elsewhere. RPC URLs often embed an API key: no URL ever appears in an error or a log.
 */
import { z } from 'zod';
import { isSolanaAddress } from './base58.js';
import { RpcError } from './errors.js';

export type ConfirmationStatus = 'processed' | 'confirmed' | 'finalized';

export interface SignatureStatus {
  confirmationStatus: ConfirmationStatus | null;
  /** The transaction error when it landed but failed; null when it succeeded. */
  err: unknown | null;
  slot: number;
}

export interface SimulationResult {
  err: unknown | null;
  logs: string[];
}

/** The parts of a `getTransaction` answer (json encoding) that chain-fill.ts reads. */
export type ChainTransaction = z.infer<typeof transactionSchema>;
export type TokenBalance = z.infer<typeof tokenBalanceSchema>;

export interface SolanaRpcOptions {
  urls: string[];
  timeoutMs: number;
  fetch?: typeof fetch;
}

const slot = z.number().int().nonnegative();
const base58Hash = z.string().refine(isSolanaAddress, 'not a base58 32-byte hash');
const withContext = <T extends z.ZodType>(value: T) => z.object({ context: z.object({ slot }), value });

const latestBlockhashSchema = withContext(z.object({ blockhash: base58Hash, lastValidBlockHeight: slot }));
const simulationSchema = withContext(z.object({ err: z.unknown(), logs: z.array(z.string()).nullish() }));
const signatureSchema = z.string().regex(/^[1-9A-HJ-NP-Za-km-z]{64,90}$/);
const statusSchema = z.object({
  slot,
  err: z.unknown(),
  confirmationStatus: z.enum(['processed', 'confirmed', 'finalized']).nullish(),
}).nullable();
const statusesSchema = withContext(z.array(statusSchema));
const balanceSchema = withContext(slot);
const lamports = z.number().int().nonnegative();
const tokenBalanceSchema = z.object({
  accountIndex: z.number().int().nonnegative(),
  mint: z.string(),
  owner: z.string().optional(),
  uiTokenAmount: z.object({ amount: z.string().regex(/^\d+$/) }),
});
// Only what the fill is computed from; the rest of the answer (instructions, logs...) is not parsed.
const transactionSchema = z.object({
  meta: z.object({
    err: z.unknown(),
    fee: lamports,
    preBalances: z.array(lamports),
    postBalances: z.array(lamports),
    preTokenBalances: z.array(tokenBalanceSchema).nullish(),
    postTokenBalances: z.array(tokenBalanceSchema).nullish(),
  }).nullable(),
  transaction: z.object({ message: z.object({ accountKeys: z.array(z.string()) }) }),
});

const jsonRpcErrorSchema = z.object({
  error: z.object({ code: z.number().int(), message: z.string() }),
});
const jsonRpcResultSchema = z.object({ result: z.unknown() });

/** Why a URL was skipped; kept off error messages but useful as a `cause` (no URL in it). */
type Skip = 'network' | 'timeout' | `http ${number}` | 'not json';

const toBase64 = (tx: Uint8Array): string => Buffer.from(tx.buffer, tx.byteOffset, tx.byteLength).toString('base64');

export class SolanaRpc {
  private readonly urls: string[];
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;
  private current = 0;
  private nextId = 1;

  constructor(opts: SolanaRpcOptions) {
    if (opts.urls.length === 0) throw new Error('at least one Solana RPC URL is needed');
    this.urls = [...opts.urls];
    this.timeoutMs = opts.timeoutMs;
    this.fetchFn = opts.fetch ?? fetch;
  }

  /** Index (not URL) of the provider the next call will try first; for /status. */
  currentUrlIndex(): number {
    return this.current;
  }

  /** How many providers are configured: with more than one, a verdict can be checked on a second node. */
  get nodeCount(): number {
    return this.urls.length;
  }

  async getLatestBlockhash(): Promise<{ blockhash: string; lastValidBlockHeight: number }> {
    const r = await this.call('getLatestBlockhash', [{ commitment: 'confirmed' }], latestBlockhashSchema);
    return r.value;
  }

  /** At `confirmed`, like the blockhash: expiry is then judged conservatively (late, never early). */
  async getBlockHeight(): Promise<number> {
    return this.call('getBlockHeight', [{ commitment: 'confirmed' }], slot);
  }

  async simulateTransaction(tx: Uint8Array): Promise<SimulationResult> {
    const r = await this.call('simulateTransaction', [toBase64(tx), {
      encoding: 'base64', sigVerify: false, replaceRecentBlockhash: false, commitment: 'confirmed',
    }], simulationSchema);
    return { err: r.value.err ?? null, logs: r.value.logs ?? [] };
  }

  /** Hands the transaction to the node once; the caller re-sends (maxRetries 0) until it lands or expires. */
  async sendTransaction(tx: Uint8Array): Promise<string> {
    return this.call('sendTransaction', [toBase64(tx), {
      encoding: 'base64', skipPreflight: true, maxRetries: 0,
    }], signatureSchema);
  }

  async getSignatureStatuses(signatures: string[]): Promise<(SignatureStatus | null)[]> {
    return (await this.signatureStatusesFrom(signatures)).statuses;
  }

  /**
   * getSignatureStatuses (with searchTransactionHistory), saying which node answered. With `avoid`,
   * that node is skipped and the others are asked in turn: a second opinion before calling a
   * transaction gone, since a lagging or pruned node answers null for one that landed. Such a read
   * does not move the failover position. Throws RpcError 'unavailable' when no other node answers.
   */
  async signatureStatusesFrom(signatures: string[], opts: { avoid?: number } = {}): Promise<{ statuses: (SignatureStatus | null)[]; node: number }> {
    const order = this.order(opts.avoid);
    const { result: r, node } = await this.callOn(order, opts.avoid === undefined, 'getSignatureStatuses', [signatures, { searchTransactionHistory: true }], statusesSchema);
    if (r.value.length !== signatures.length) {
      throw new RpcError('bad_response', 'the Solana RPC answered with the wrong number of signature statuses');
    }
    const statuses = r.value.map((s) => s && { confirmationStatus: s.confirmationStatus ?? null, err: s.err ?? null, slot: s.slot });
    return { statuses, node };
  }

  /** Lamports. */
  async getBalance(pubkey: string): Promise<number> {
    const r = await this.call('getBalance', [pubkey, { commitment: 'confirmed' }], balanceSchema);
    return r.value;
  }

  /**
   * A landed transaction's balances, at `confirmed` (null when the node does not serve it, yet: a
   * node may report a signature confirmed a moment before getTransaction finds it), and which node
   * answered. With `avoid`, that node is skipped (without moving the failover position): the node
   * that lags in serving it may not be the only one.
   */
  async transactionFrom(signature: string, opts: { avoid?: number } = {}): Promise<{ tx: ChainTransaction | null; node: number }> {
    const { result, node } = await this.callOn(this.order(opts.avoid), opts.avoid === undefined, 'getTransaction', [signature, {
      encoding: 'json', commitment: 'confirmed', maxSupportedTransactionVersion: 0,
    }], transactionSchema.nullable());
    return { tx: result, node };
  }

  /** Node indexes in the order a call tries them: from the current one on, without `avoid`. */
  private order(avoid?: number): number[] {
    return this.urls.map((_, attempt) => (this.current + attempt) % this.urls.length).filter((i) => i !== avoid);
  }

  private async call<T extends z.ZodType>(method: string, params: unknown[], schema: T): Promise<z.infer<T>> {
    return (await this.callOn(this.order(), true, method, params, schema)).result;
  }

  /** Tries the nodes in `order`; `sticky`: the node that answers becomes the first tried next time. */
  private async callOn<T extends z.ZodType>(order: number[], sticky: boolean, method: string, params: unknown[], schema: T): Promise<{ result: z.infer<T>; node: number }> {
    const skipped: Skip[] = [];
    for (const index of order) {
      const posted = await this.post(this.urls[index]!, method, params);
      if ('skip' in posted) {
        skipped.push(posted.skip);
        continue;
      }
      if (sticky) this.current = index;
      const answer = posted.body;
      const rpcError = jsonRpcErrorSchema.safeParse(answer);
      if (rpcError.success) {
        const { code, message } = rpcError.data.error;
        throw new RpcError('rpc_error', `Solana RPC ${method} failed: ${message.slice(0, 300)}`, code);
      }
      const envelope = jsonRpcResultSchema.safeParse(answer);
      const result = envelope.success ? schema.safeParse(envelope.data.result) : undefined;
      if (!result?.success) {
        throw new RpcError('bad_response', `Solana RPC ${method} answered with an unexpected shape`);
      }
      return { result: result.data as z.infer<T>, node: index };
    }
    throw new RpcError('unavailable', order.length < this.urls.length ? 'no other Solana RPC URL answered' : 'every Solana RPC URL failed', undefined, { cause: new Error(skipped.join(', ')) });
  }

  /** The parsed JSON body, or why this URL should be skipped. */
  private async post(url: string, method: string, params: unknown[]): Promise<{ body: unknown } | { skip: Skip }> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    let response: Response;
    try {
      response = await this.fetchFn(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: this.nextId++, method, params }),
        signal,
      });
    } catch {
      return { skip: signal.aborted ? 'timeout' : 'network' };
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      return { skip: signal.aborted ? 'timeout' : response.ok ? 'not json' : `http ${response.status}` };
    }
    // Some providers put a JSON-RPC error on a 4xx: that is still the node's answer.
    if (!response.ok && !(response.status < 500 && response.status !== 429 && jsonRpcErrorSchema.safeParse(body).success)) {
      return { skip: `http ${response.status}` };
    }
    return { body };
  }
}
