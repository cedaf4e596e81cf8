/**
 * Builds small, valid, unsigned Solana transactions for fakes of Jupiter and bags.fm, and verifies
 * signatures for the fake RPC. Deliberately written apart from src/trading/solana-tx.ts (its own
 * encoder and reader) so a bug in our parser cannot hide behind a fake that shares it.
 */
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { decodeBase58, encodeBase58 } from '../../src/trading/base58.js';

/** The Memo program: a harmless program id for the one instruction we add. */
export const MEMO_PROGRAM_ID = 'MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr';
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export interface BuildOptions {
  payer: string;
  /** Defaults to a random one, so two built transactions never share a signature. */
  blockhash?: string;
  version?: 'legacy' | 0;
  extraSigners?: string[];
  instructionData?: Uint8Array;
}

function compactU16(n: number): number[] {
  const out: number[] = [];
  let rest = n;
  for (;;) {
    const low = rest & 0x7f;
    rest >>= 7;
    if (rest === 0) {
      out.push(low);
      return out;
    }
    out.push(low | 0x80);
  }
}

function key(address: string): Uint8Array {
  const bytes = decodeBase58(address);
  if (bytes?.length !== 32) throw new Error(`not a 32-byte base58 key: ${address}`);
  return bytes;
}

/** A transaction with zeroed signature slots, the payer first, and one Memo instruction. */
export function buildUnsignedTransaction(opts: BuildOptions): Uint8Array {
  const signers = [opts.payer, ...(opts.extraSigners ?? [])];
  const keys = [...signers, MEMO_PROGRAM_ID];
  const blockhash = opts.blockhash ? key(opts.blockhash) : randomBytes(32);
  const data = opts.instructionData ?? new TextEncoder().encode('jarvis test');
  const version = opts.version ?? 0;

  const message: number[] = [];
  if (version === 0) message.push(0x80);
  // header: every signer writable, the program read-only and unsigned
  message.push(signers.length, 0, 1);
  message.push(...compactU16(keys.length));
  for (const k of keys) message.push(...key(k));
  message.push(...blockhash);
  message.push(...compactU16(1)); // one instruction
  message.push(keys.length - 1); // program id index
  message.push(...compactU16(1), 0); // accounts: the payer
  message.push(...compactU16(data.length), ...data);
  if (version === 0) {
    // one address table lookup, as Jupiter's routes carry, so the v0 tail is exercised
    message.push(...compactU16(1), ...randomBytes(32));
    message.push(...compactU16(2), 0, 1);
    message.push(...compactU16(1), 2);
  }

  return Uint8Array.from([...compactU16(signers.length), ...new Array<number>(signers.length * 64).fill(0), ...message]);
}

interface Decoded { signatures: Uint8Array[]; message: Uint8Array; signers: Uint8Array[]; blockhash: string }

/** Enough of a reader to verify signatures; undefined for anything it does not understand. */
export function decodeForVerification(bytes: Uint8Array): Decoded | undefined {
  let at = 0;
  const byte = (): number => {
    if (at >= bytes.length) throw new Error('short');
    return bytes[at++]!;
  };
  const len = (): number => {
    let value = 0;
    for (let shift = 0; shift < 21; shift += 7) {
      const b = byte();
      value |= (b & 0x7f) << shift;
      if (!(b & 0x80)) return value;
    }
    throw new Error('long');
  };
  const slice = (n: number): Uint8Array => {
    if (at + n > bytes.length) throw new Error('short');
    at += n;
    return bytes.slice(at - n, at);
  };
  try {
    const nSig = len();
    const signatures = Array.from({ length: nSig }, () => slice(64));
    const messageStart = at;
    let required = byte();
    if (required & 0x80) required = byte();
    byte();
    byte();
    const nKeys = len();
    const keys = Array.from({ length: nKeys }, () => slice(32));
    const blockhash = encodeBase58(slice(32));
    if (required !== nSig || required > nKeys) return undefined;
    return { signatures, message: bytes.slice(messageStart), signers: keys.slice(0, required), blockhash };
  } catch {
    return undefined;
  }
}

/** True when every required signature is a valid ed25519 signature of the message by its signer. */
export function verifyTransactionSignatures(bytes: Uint8Array): boolean {
  const tx = decodeForVerification(bytes);
  if (!tx || tx.signers.length === 0) return false;
  return tx.signers.every((signer, i) => {
    const publicKey = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, signer]), format: 'der', type: 'spki' });
    return verify(null, tx.message, publicKey, tx.signatures[i]!);
  });
}
