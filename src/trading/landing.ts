/**
 * Landing a signed transaction: simulate, send, re-send until it lands or its blockhash expires.
 * Why this shape: with skipPreflight and maxRetries 0 the node forwards once and forgets, so we
 * re-broadcast ourselves; the only safe "it did not happen" is the blockhash expiring with no
 * status, because after that the same bytes can never land; and "no status" is read twice (a
 * second node, or after a pause: see status-reading.ts). Everything short of that (RPC
 * hiccups, odd send errors) keeps us waiting rather than guessing, since a wrong "failed" would
 * let the caller buy twice.
 */
import { setTimeout as sleepFor } from 'node:timers/promises';
import { RpcError } from './errors.js';
import type { SignatureStatus, SolanaRpc } from './rpc.js';
import { readStatus, secondReading } from './status-reading.js';

export type LandingOutcome =
  | { status: 'confirmed'; signature: string; slot?: number }
  /** `sent: false` means the bytes never reached a validator, so retrying cannot double-spend. */
  | { status: 'failed'; signature: string; reason: string; slippage: boolean; sent: boolean }
  | { status: 'expired'; signature: string };

export interface LandOptions {
  rpc: SolanaRpc;
  transaction: Uint8Array;
  signature: string;
  lastValidBlockHeight: number;
  resendIntervalMs?: number;
  pollIntervalMs?: number;
  /** The pause before a single node is asked a second time whether it knows an expired transaction. */
  recheckDelayMs?: number;
  simulate?: boolean;
  signal?: AbortSignal;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Jupiter's SlippageToleranceExceeded: Anchor custom error 6001. */
const SLIPPAGE_CODE = 6001;
const SLIPPAGE_LOG = /custom program error: 0x1771\b/i;
/** The node rejected the signatures: these bytes can never land. */
const SIGNATURE_FAILURE_CODE = -32003;

export function isSlippageError(err: unknown, logs?: string[]): boolean {
  if (logs?.some((line) => SLIPPAGE_LOG.test(line))) return true;
  if (typeof err === 'string') return SLIPPAGE_LOG.test(err);
  if (typeof err !== 'object' || err === null) return false;
  const ie = (err as { InstructionError?: unknown }).InstructionError;
  if (!Array.isArray(ie)) return false;
  const detail: unknown = ie[1];
  return typeof detail === 'object' && detail !== null && (detail as { Custom?: unknown }).Custom === SLIPPAGE_CODE;
}

/** A short, log-safe description of a transaction error. */
function describeError(err: unknown, slippage: boolean): string {
  if (slippage) return 'slippage tolerance exceeded';
  const text = typeof err === 'string' ? err : JSON.stringify(err) ?? String(err);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** The node could not see the blockhash yet (it lags the venue's node): not a reason to give up. */
function isBlockhashNotFound(err: unknown): boolean {
  return err === 'BlockhashNotFound';
}

function abortError(signal: AbortSignal): DOMException {
  const error = new DOMException('stopped waiting for the transaction to land', 'AbortError');
  Object.defineProperty(error, 'cause', { value: signal.reason });
  return error;
}

const defaultSleep = async (ms: number, signal?: AbortSignal): Promise<void> => {
  await sleepFor(ms, undefined, signal ? { signal } : undefined);
};

/**
 * What a status says, or undefined when it settles nothing yet: absent, or only `processed` (that
 * block may still be dropped with its fork, success or error alike, and the tx land elsewhere).
 */
function settled(signature: string, status: SignatureStatus | null): LandingOutcome | undefined {
  if (!status || status.confirmationStatus === 'processed') return undefined;
  if (status.err !== null && status.err !== undefined) {
    const slippage = isSlippageError(status.err);
    return { status: 'failed', signature, reason: describeError(status.err, slippage), slippage, sent: true };
  }
  return { status: 'confirmed', signature, slot: status.slot };
}

/** How long a single node is given before it is asked again about an expired transaction. */
export const RECHECK_DELAY_MS = 1_000;

/**
 * Resolves once the outcome is certain. If the RPC stays unreachable it keeps waiting (it cannot
 * tell "expired" from "landed" blind): bound it with `signal`, which rejects with an AbortError.
 */
export async function landTransaction(opts: LandOptions): Promise<LandingOutcome> {
  const { rpc, transaction, signature, lastValidBlockHeight, signal } = opts;
  const rawSleep = opts.sleep ?? defaultSleep;
  const sleep = async (ms: number, s?: AbortSignal): Promise<void> => {
    try {
      await rawSleep(ms, s);
    } catch (e) {
      if (s?.aborted) throw abortError(s);
      throw e;
    }
  };
  const pollMs = opts.pollIntervalMs ?? 500;
  const recheckMs = opts.recheckDelayMs ?? RECHECK_DELAY_MS;
  const resendEvery = Math.max(1, Math.round((opts.resendIntervalMs ?? 2000) / pollMs));
  const checkAbort = (): void => {
    if (signal?.aborted) throw abortError(signal);
  };

  checkAbort();
  if (opts.simulate ?? true) {
    // An RPC failure here propagates: nothing has been sent, so the caller may simply retry.
    const sim = await rpc.simulateTransaction(transaction);
    if (sim.err !== null && !isBlockhashNotFound(sim.err)) {
      const slippage = isSlippageError(sim.err, sim.logs);
      return { status: 'failed', signature, reason: describeError(sim.err, slippage), slippage, sent: false };
    }
  }

  let accepted = false;
  let expiredSeen = false;
  for (let poll = 0; ; poll++) {
    checkAbort();
    if (poll % resendEvery === 0 && !expiredSeen) {
      let height: number | undefined;
      try {
        height = await rpc.getBlockHeight();
      } catch {
        height = undefined;
      }
      checkAbort();
      if (height !== undefined && height > lastValidBlockHeight) {
        expiredSeen = true;
      } else {
        try {
          await rpc.sendTransaction(transaction);
          accepted = true;
        } catch (e) {
          if (!accepted && e instanceof RpcError && e.kind === 'rpc_error' && e.code === SIGNATURE_FAILURE_CODE) {
            return { status: 'failed', signature, reason: 'the transaction signature was rejected', slippage: false, sent: false };
          }
          // Anything else may be transient, and an earlier copy may still land: keep watching.
        }
      }
    }
    if (!expiredSeen) {
      await sleep(pollMs, signal);
      checkAbort();
    }
    const reading = await readStatus(rpc, signature);
    checkAbort();
    const outcome = settled(signature, reading?.status ?? null);
    if (outcome) return outcome;
    // The blockhash has expired and the tx is unknown even after that: it can never land, if a
    // second reading agrees. (processed-but-unconfirmed keeps us polling until it confirms or its fork is dropped.)
    if (expiredSeen && reading && reading.status === null) {
      const again = await secondReading(rpc, signature, reading.node, () => sleep(recheckMs, signal));
      checkAbort();
      if (again === null) return { status: 'expired', signature };
      const landed = again && settled(signature, again);
      if (landed) return landed;
    }
    if (expiredSeen) await sleep(pollMs, signal);
  }
}

/**
 * One-shot reconciliation at start-up for a transaction recorded as in flight. RPC errors
 * propagate; so does nothing answering the second reading (then it is not called expired).
 */
export async function signatureOutcome(
  rpc: SolanaRpc,
  signature: string,
  lastValidBlockHeight: number,
  opts: { recheckDelayMs?: number; sleep?: (ms: number) => Promise<void> } = {},
): Promise<LandingOutcome | { status: 'pending'; signature: string }> {
  const [status] = await rpc.getSignatureStatuses([signature]);
  if (status) return settled(signature, status) ?? { status: 'pending', signature };
  const height = await rpc.getBlockHeight();
  if (height <= lastValidBlockHeight) return { status: 'pending', signature };
  // Look again now the height has passed: it may have landed between the two calls.
  const { statuses: [again], node } = await rpc.signatureStatusesFrom([signature]);
  if (again) return settled(signature, again) ?? { status: 'pending', signature };
  // Unknown to that node: a second reading (another node, or the same after a pause) must agree.
  const sleep = opts.sleep ?? defaultSleep;
  const second = await secondReading(rpc, signature, node, () => sleep(opts.recheckDelayMs ?? RECHECK_DELAY_MS));
  if (second === undefined) throw new RpcError('unavailable', 'no Solana RPC node could confirm that the transaction is gone');
  if (second) return settled(signature, second) ?? { status: 'pending', signature };
  return { status: 'expired', signature };
}
