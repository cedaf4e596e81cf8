import { createPublicKey, generateKeyPairSync, randomBytes, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeBase58, encodeBase58 } from '../../src/trading/base58.js';
import {
  keypairFromSecretKey, parseSecretKey, parseTransaction, signTransaction, transactionSignature,
} from '../../src/trading/solana-tx.js';
import { buildUnsignedTransaction, MEMO_PROGRAM_ID, verifyTransactionSignatures } from '../fakes/solana-tx-builder.js';

/** A fresh Solana-format 64-byte secret key (seed + public key), made independently of our code. */
function newSecretKey(): Uint8Array {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32);
  const pub = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  return Uint8Array.from([...seed, ...pub]);
}

function verifyWith(address: string, message: Uint8Array, signature: Uint8Array): boolean {
  const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), decodeBase58(address)!]);
  return verify(null, message, createPublicKey({ key: spki, format: 'der', type: 'spki' }), signature);
}

const BLOCKHASH = encodeBase58(new Uint8Array(32).fill(7));

describe('parseTransaction', () => {
  it('reads a legacy transaction', () => {
    const payer = keypairFromSecretKey(newSecretKey()).publicKey;
    const tx = parseTransaction(buildUnsignedTransaction({ payer, blockhash: BLOCKHASH, version: 'legacy' }));
    expect(tx.version).toBe('legacy');
    expect(tx.numRequiredSignatures).toBe(1);
    expect(tx.signatures).toHaveLength(1);
    expect(tx.accountKeys).toEqual([payer, MEMO_PROGRAM_ID]);
    expect(tx.recentBlockhash).toBe(BLOCKHASH);
  });

  it('reads a v0 transaction with an address table lookup and two signers', () => {
    const payer = keypairFromSecretKey(newSecretKey()).publicKey;
    const other = keypairFromSecretKey(newSecretKey()).publicKey;
    const tx = parseTransaction(buildUnsignedTransaction({ payer, blockhash: BLOCKHASH, version: 0, extraSigners: [other] }));
    expect(tx.version).toBe(0);
    expect(tx.numRequiredSignatures).toBe(2);
    expect(tx.accountKeys).toEqual([payer, other, MEMO_PROGRAM_ID]);
    expect(tx.message[0]).toBe(0x80);
    expect(tx.recentBlockhash).toBe(BLOCKHASH);
  });

  it('refuses every truncation and trailing garbage with a clean error', () => {
    const bytes = buildUnsignedTransaction({ payer: keypairFromSecretKey(newSecretKey()).publicKey, version: 0 });
    for (let n = 0; n < bytes.length; n++) {
      expect(() => parseTransaction(bytes.subarray(0, n)), `length ${n}`).toThrow(/^malformed transaction: /);
    }
    expect(() => parseTransaction(Uint8Array.from([...bytes, 0]))).toThrow(/malformed transaction: .*trailing/);
  });

  it('refuses inconsistent headers and unsupported versions', () => {
    const bytes = buildUnsignedTransaction({ payer: keypairFromSecretKey(newSecretKey()).publicKey, version: 0 });
    const sigCountMismatch = Uint8Array.from(bytes);
    sigCountMismatch[1 + 64 + 1] = 2; // header says two signers, one slot
    expect(() => parseTransaction(sigCountMismatch)).toThrow(/malformed transaction: .*signature slots/);
    const v1 = Uint8Array.from(bytes);
    v1[1 + 64] = 0x81;
    expect(() => parseTransaction(v1)).toThrow(/malformed transaction: unsupported message version 1/);
    // a length prefix claiming 16,000 signatures in a short buffer
    expect(() => parseTransaction(Uint8Array.from([0x80, 0x7d, 1, 2, 3]))).toThrow(/malformed transaction: truncated/);
    expect(() => parseTransaction(Uint8Array.from([0xff, 0xff, 0xff, 0xff]))).toThrow(/malformed transaction/);
  });

  it('refuses random bytes without reading out of bounds', () => {
    for (let i = 0; i < 500; i++) {
      const junk = randomBytes(1 + (i % 300));
      try {
        parseTransaction(junk);
      } catch (e) {
        expect((e as Error).message).toMatch(/^malformed transaction: /);
      }
    }
  });
});

describe('signTransaction', () => {
  it('signs as fee payer: the signature verifies over the message and is the transaction id', () => {
    const kp = keypairFromSecretKey(newSecretKey());
    for (const version of ['legacy', 0] as const) {
      const unsigned = buildUnsignedTransaction({ payer: kp.publicKey, version });
      const { bytes, signature } = signTransaction(unsigned, kp);
      const tx = parseTransaction(bytes);
      expect(verifyWith(kp.publicKey, tx.message, tx.signatures[0]!)).toBe(true);
      expect(signature).toBe(encodeBase58(tx.signatures[0]!));
      expect(transactionSignature(bytes)).toBe(signature);
      expect(verifyTransactionSignatures(bytes)).toBe(true);
      expect(bytes.length).toBe(unsigned.length);
      expect(unsigned.subarray(1, 65).every((b) => b === 0)).toBe(true); // input untouched
    }
  });

  it('puts a second signer in its own slot, leaving the payer slot alone', () => {
    const payer = keypairFromSecretKey(newSecretKey());
    const second = keypairFromSecretKey(newSecretKey());
    const unsigned = buildUnsignedTransaction({ payer: payer.publicKey, extraSigners: [second.publicKey] });
    const once = signTransaction(unsigned, second).bytes;
    const tx = parseTransaction(once);
    expect(tx.signatures[0]!.every((b) => b === 0)).toBe(true);
    expect(verifyWith(second.publicKey, tx.message, tx.signatures[1]!)).toBe(true);
    expect(verifyTransactionSignatures(once)).toBe(false);
    const both = signTransaction(once, payer);
    expect(verifyTransactionSignatures(both.bytes)).toBe(true);
  });

  it('refuses to sign a transaction the wallet is not a signer of', () => {
    const someoneElse = keypairFromSecretKey(newSecretKey()).publicKey;
    const unsigned = buildUnsignedTransaction({ payer: someoneElse });
    expect(() => signTransaction(unsigned, keypairFromSecretKey(newSecretKey()))).toThrow(/not a required signer/);
  });

  it('refuses to sign malformed bytes', () => {
    const kp = keypairFromSecretKey(newSecretKey());
    const unsigned = buildUnsignedTransaction({ payer: kp.publicKey });
    expect(() => signTransaction(unsigned.subarray(0, unsigned.length - 3), kp)).toThrow(/malformed transaction/);
  });
});

describe('keys', () => {
  it('derives the same public key from a 64-byte key and from its seed, and hides the seed', () => {
    const secret = newSecretKey();
    const full = keypairFromSecretKey(secret);
    const fromSeed = keypairFromSecretKey(secret.subarray(0, 32));
    expect(full.publicKey).toBe(encodeBase58(secret.subarray(32)));
    expect(fromSeed.publicKey).toBe(full.publicKey);
    expect(JSON.stringify(full)).not.toContain(encodeBase58(secret.subarray(0, 32)));
    expect(Object.keys(full).sort()).toEqual(['publicKey', 'sign']);
  });

  it('rejects a 64-byte key whose public half belongs to another seed', () => {
    const a = newSecretKey();
    const b = newSecretKey();
    const mismatched = Uint8Array.from([...a.subarray(0, 32), ...b.subarray(32)]);
    expect(() => keypairFromSecretKey(mismatched)).toThrow(/does not match/);
    expect(() => keypairFromSecretKey(new Uint8Array(40))).toThrow(/64 bytes/);
  });

  it('parses both the base58 export and the solana-keygen JSON file', () => {
    const secret = newSecretKey();
    expect(parseSecretKey(encodeBase58(secret))).toEqual(secret);
    expect(parseSecretKey(` ${JSON.stringify([...secret])}\n`)).toEqual(secret);
  });

  it('never echoes the input in its errors', () => {
    const secret = encodeBase58(newSecretKey());
    const inputs = [
      `${secret.slice(0, 40)}0OIl`, // not base58
      secret.slice(0, 30), // base58, wrong length
      `[${secret}]`, // not JSON
      JSON.stringify([1, 2, 300]), // out of range
      JSON.stringify(Array.from({ length: 63 }, () => 5)),
    ];
    for (const input of inputs) {
      let message = '';
      try {
        parseSecretKey(input);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).not.toBe('');
      expect(message).not.toContain(secret.slice(0, 12));
      expect(message).not.toContain(input);
    }
  });
});
