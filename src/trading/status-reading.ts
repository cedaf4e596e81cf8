/**
 * Reading a signature's status for the "expired" verdict. A node that lags, or has pruned its
 * history, answers null for a transaction that did land; believing it would sell (or buy) a second
 * time. So a null seen after the blockhash expired is read again before it is believed: from
 * another node when more than one is configured, else (one node, or no other one answering) from
 * any node after a pause. Only two unknowns make "expired".
 */
import type { SignatureStatus, SolanaRpc } from './rpc.js';

/** What one node said (null: it does not know the signature); undefined when no node could tell. */
export type StatusReading = { status: SignatureStatus | null; node: number } | undefined;

/** One status lookup (with searchTransactionHistory); `avoid` skips that node. Never throws. */
export async function readStatus(rpc: SolanaRpc, signature: string, avoid?: number): Promise<StatusReading> {
  try {
    const { statuses, node } = await rpc.signatureStatusesFrom([signature], { avoid });
    return { status: statuses[0] ?? null, node };
  } catch {
    return undefined;
  }
}

/**
 * The second reading after node `first` said it does not know the signature: a status (landed or
 * failed: follow it), null (unknown twice: it never landed), or undefined (nothing answered).
 */
export async function secondReading(rpc: SolanaRpc, signature: string, first: number, pause: () => Promise<void>): Promise<SignatureStatus | null | undefined> {
  if (rpc.nodeCount > 1) {
    const other = await readStatus(rpc, signature, first);
    if (other) return other.status;
  }
  await pause();
  return (await readStatus(rpc, signature))?.status;
}
