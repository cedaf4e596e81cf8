/**
 * A fake Solana JSON-RPC node for msw: real JSON-RPC 2.0 envelopes and the real result shapes
 * (`{context:{slot}, value}` where the API uses them), with knobs for the situations landing code
 * must survive: a transaction that needs several sends, one that never lands, an expiring
 * blockhash, a failing simulation, an on-chain error, and providers that are down.
 * Like a real node it rejects a transaction whose signatures do not verify, and silently drops
 * one whose blockhash has expired.
 */
import { randomBytes } from 'node:crypto';
import { http, HttpResponse, type HttpHandler } from 'msw';
import { encodeBase58 } from '../../src/trading/base58.js';
import { decodeForVerification, verifyTransactionSignatures } from './solana-tx-builder.js';

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

const SLOT_OFFSET = 1_000;

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
  readonly sent: { signature: string; url: string }[] = [];
  readonly calls: { method: string; url: string }[] = [];
  private readonly sendCounts = new Map<string, number>();
  private readonly statuses = new Map<string, Status>();
  /** Blockhashes handed out by getLatestBlockhash, with their lastValidBlockHeight. */
  private readonly blockhashes = new Map<string, number>();

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

  /** Record a transaction as landed (or failed, with `err`) without it being sent: restart reconciliation. */
  markLanded(signature: string, opts: { err?: unknown; confirmationStatus?: Commitment } = {}): void {
    this.statuses.set(signature, { slot: this.slot, err: opts.err ?? null, confirmationStatus: opts.confirmationStatus ?? 'confirmed' });
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
        const sim = this.simulateError ?? { err: null, logs: ['Program MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr invoke [1]', 'Program MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr success'] };
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
          this.statuses.set(signature, { slot: this.slot, err: this.onChainError, confirmationStatus: this.landedAs });
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
      default:
        return { error: { code: -32601, message: 'Method not found' } };
    }
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
