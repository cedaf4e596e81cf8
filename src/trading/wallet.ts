import type { Db } from '../storage/database.js';
import { UserError } from '../core/errors.js';
import { openSecret, sealSecret } from './wallet-crypto.js';
import { keypairFromSecretKey, parseSecretKey, type Keypair } from './solana-tx.js';

/**
 * The live wallet at rest: one row holding the public key and the secret key sealed under the
 * master secret (AES-256-GCM, scrypt). The clear key exists only in memory, inside a Keypair.
 */

export function walletPublicKey(db: Db): string | undefined {
  return (db.prepare('SELECT public_key FROM wallet WHERE id = 1').get() as { public_key: string } | undefined)?.public_key;
}

/** Seals and stores a secret key given as base58 or a solana-keygen JSON array. Returns the public key. */
export function importWallet(db: Db, secretText: string, masterSecret: string | undefined, now: number): string {
  if (!masterSecret) throw new UserError('Set JARVIS_MASTER_SECRET (12+ characters) first: it encrypts the wallet key.');
  let secret: Uint8Array;
  try {
    secret = parseSecretKey(secretText.trim());
  } catch {
    throw new UserError('That is not a Solana secret key (base58, or the JSON array from solana-keygen).');
  }
  try {
    const kp = keypairFromSecretKey(secret);
    const current = walletPublicKey(db);
    const live = (db.prepare("SELECT COUNT(*) AS n FROM positions WHERE mode = 'live' AND state IN ('pending', 'open', 'exiting')").get() as { n: number }).n;
    if (current && current !== kp.publicKey && live > 0) {
      throw new UserError(`Wallet ${current} still has ${live} live position(s); close them before replacing the wallet, or its exits could not be signed.`);
    }
    const sealed = sealSecret(secret, masterSecret);
    db.prepare('INSERT INTO wallet (id, public_key, sealed, created_at) VALUES (1, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET public_key = excluded.public_key, sealed = excluded.sealed, created_at = excluded.created_at').run(kp.publicKey, sealed, now);
    return kp.publicKey;
  } finally {
    secret.fill(0);
  }
}

/** The unlocked keypair, undefined when no wallet is stored; throws WalletSecretError on a wrong master secret. */
export function unlockWallet(db: Db, masterSecret: string): Keypair | undefined {
  const row = db.prepare('SELECT public_key, sealed FROM wallet WHERE id = 1').get() as { public_key: string; sealed: string } | undefined;
  if (!row) return undefined;
  const secret = openSecret(row.sealed, masterSecret);
  try {
    const kp = keypairFromSecretKey(secret);
    if (kp.publicKey !== row.public_key) throw new Error('the stored wallet does not match its public key');
    return kp;
  } finally {
    secret.fill(0);
  }
}
