/**
 * Solana transaction wire format, just enough to sign what a swap venue hands us.
 * Why our own: the venues return a serialized (legacy or v0) transaction that only needs our
 * signature in the right slot; pulling in @solana/web3.js for that would add a large dependency
 * tree next to the wallet key. Parsing is strict and bounds-checked because the bytes come from
 * a third party: anything truncated or inconsistent is refused before we sign it.
 */
import { createPrivateKey, createPublicKey, sign as ed25519Sign, timingSafeEqual, type KeyObject } from 'node:crypto';
import { decodeBase58, encodeBase58 } from './base58.js';

export interface ParsedTransaction {
  signatures: Uint8Array[];
  /** The signed part: everything after the signature array. */
  message: Uint8Array;
  version: 'legacy' | 0;
  numRequiredSignatures: number;
  /** Static account keys (base58); the first numRequiredSignatures are the signers, fee payer first. */
  accountKeys: string[];
  recentBlockhash: string;
}

/** A wallet that can sign. The seed stays inside a KeyObject; it is never a property. */
export interface Keypair {
  publicKey: string;
  sign(message: Uint8Array): Uint8Array;
}

const SIGNATURE_BYTES = 64;
const KEY_BYTES = 32;
const VERSION_PREFIX = 0x80;
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

function malformed(why: string): never {
  throw new Error(`malformed transaction: ${why}`);
}

/** A bounds-checked cursor over the wire bytes. */
class Reader {
  offset = 0;
  constructor(private readonly bytes: Uint8Array) {}

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  u8(what: string): number {
    if (this.remaining < 1) malformed(`truncated at ${what}`);
    return this.bytes[this.offset++]!;
  }

  take(n: number, what: string): Uint8Array {
    if (this.remaining < n) malformed(`truncated at ${what}`);
    const out = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  /** compact-u16 ("shortvec"): 7 bits per byte, high bit = more, at most 3 bytes, canonical. */
  compactU16(what: string): number {
    let value = 0;
    for (let i = 0; i < 3; i++) {
      const byte = this.u8(what);
      value |= (byte & 0x7f) << (7 * i);
      if ((byte & 0x80) === 0) {
        if (i > 0 && byte === 0) malformed(`non-canonical length at ${what}`);
        if (value > 0xffff) malformed(`length overflow at ${what}`);
        return value;
      }
    }
    return malformed(`length too long at ${what}`);
  }

  /** A compact array of `itemBytes`-sized items; checks the whole array fits before slicing. */
  compactArray(itemBytes: number, what: string): Uint8Array[] {
    const count = this.compactU16(what);
    if (count * itemBytes > this.remaining) malformed(`truncated at ${what}`);
    const items: Uint8Array[] = [];
    for (let i = 0; i < count; i++) items.push(this.take(itemBytes, what));
    return items;
  }
}

export function parseTransaction(bytes: Uint8Array): ParsedTransaction {
  const r = new Reader(bytes);
  const signatures = r.compactArray(SIGNATURE_BYTES, 'signatures');
  const messageStart = r.offset;

  let version: 'legacy' | 0 = 'legacy';
  let first = r.u8('message header');
  if (first & VERSION_PREFIX) {
    const v = first & 0x7f;
    if (v !== 0) malformed(`unsupported message version ${v}`);
    version = 0;
    first = r.u8('message header');
  }
  const numRequiredSignatures = first;
  const numReadonlySigned = r.u8('message header');
  const numReadonlyUnsigned = r.u8('message header');

  const keys = r.compactArray(KEY_BYTES, 'account keys');
  const recentBlockhash = r.take(KEY_BYTES, 'recent blockhash');

  const instructionCount = r.compactU16('instructions');
  for (let i = 0; i < instructionCount; i++) {
    const programIdIndex = r.u8('instruction program id');
    // Programs are always static keys, in v0 too (lookup tables cannot supply a program id).
    if (programIdIndex >= keys.length) malformed('instruction program id out of range');
    r.compactArray(1, 'instruction accounts');
    r.compactArray(1, 'instruction data');
  }
  if (version === 0) {
    const lookupCount = r.compactU16('address table lookups');
    for (let i = 0; i < lookupCount; i++) {
      r.take(KEY_BYTES, 'lookup table address');
      r.compactArray(1, 'lookup writable indexes');
      r.compactArray(1, 'lookup readonly indexes');
    }
  }
  if (r.remaining !== 0) malformed(`${r.remaining} unexpected trailing bytes`);

  if (numRequiredSignatures === 0) malformed('no required signatures');
  if (signatures.length !== numRequiredSignatures) {
    malformed(`${signatures.length} signature slots for ${numRequiredSignatures} required signatures`);
  }
  if (numReadonlySigned >= numRequiredSignatures) malformed('the fee payer cannot be read-only');
  if (numRequiredSignatures + numReadonlyUnsigned > keys.length) malformed('header counts exceed the account keys');

  return {
    signatures,
    message: bytes.subarray(messageStart),
    version,
    numRequiredSignatures,
    accountKeys: keys.map((k) => encodeBase58(k)),
    recentBlockhash: encodeBase58(recentBlockhash),
  };
}

/** The transaction id: base58 of the first (fee payer's) signature. */
export function transactionSignature(bytes: Uint8Array): string {
  const first = parseTransaction(bytes).signatures[0];
  if (!first) return malformed('no signatures');
  return encodeBase58(first);
}

/**
 * Puts our signature in our slot. Returns new bytes (the input is not modified) and the
 * transaction id, which is the fee payer's signature (ours, for the swaps we sign).
 */
export function signTransaction(bytes: Uint8Array, keypair: Keypair): { bytes: Uint8Array; signature: string } {
  const tx = parseTransaction(bytes);
  const index = tx.accountKeys.slice(0, tx.numRequiredSignatures).indexOf(keypair.publicKey);
  if (index < 0) throw new Error('this wallet is not a required signer of the transaction');
  const signature = keypair.sign(tx.message);
  if (signature.length !== SIGNATURE_BYTES) throw new Error('the signer returned a signature of the wrong size');

  const out = Uint8Array.from(bytes);
  const signaturesStart = bytes.length - tx.message.length - tx.numRequiredSignatures * SIGNATURE_BYTES;
  out.set(signature, signaturesStart + index * SIGNATURE_BYTES);
  return { bytes: out, signature: transactionSignature(out) };
}

/** Accepts a 64-byte Solana secret key (seed + public key, checked to match) or a 32-byte seed. */
export function keypairFromSecretKey(secret: Uint8Array): Keypair {
  if (secret.length !== 64 && secret.length !== 32) {
    throw new Error('a Solana secret key must be 64 bytes (or a 32-byte seed)');
  }
  const der = Buffer.concat([PKCS8_ED25519_PREFIX, secret.subarray(0, 32)]);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0);
  }
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  const publicKeyBytes = Uint8Array.from(spki.subarray(spki.length - KEY_BYTES));
  if (secret.length === 64 && !timingSafeEqual(publicKeyBytes, secret.subarray(32))) {
    throw new Error('the secret key is inconsistent: its public half does not match its seed');
  }
  const publicKey = encodeBase58(publicKeyBytes);
  return {
    publicKey,
    sign: (message) => new Uint8Array(ed25519Sign(null, message, privateKey)),
  };
}

/**
 * Reads a secret key as people hold it: base58 (wallet export) or a JSON array of numbers
 * (solana-keygen file). Errors never echo the input: it is the wallet secret.
 */
export function parseSecretKey(text: string): Uint8Array {
  const trimmed = text.trim();
  let bytes: Uint8Array | undefined;
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      // JSON.parse quotes the input in its message: drop it.
      throw new Error('the secret key is not a valid JSON array of numbers');
    }
    if (!Array.isArray(parsed) || !parsed.every((n) => Number.isInteger(n) && n >= 0 && n <= 255)) {
      throw new Error('the secret key JSON must be an array of byte values (0-255)');
    }
    bytes = Uint8Array.from(parsed as number[]);
  } else {
    bytes = decodeBase58(trimmed);
    if (!bytes) throw new Error('the secret key is neither base58 nor a JSON array of numbers');
  }
  if (bytes.length !== 64 && bytes.length !== 32) {
    bytes.fill(0);
    throw new Error('the secret key must be 64 bytes (a Solana keypair) or a 32-byte seed');
  }
  return bytes;
}
