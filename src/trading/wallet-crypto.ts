/**
 * The wallet secret at rest: sealed with a key derived from a master secret that lives outside the
 * database (env), so a copied database file or backup alone cannot spend the wallet.
 * AES-256-GCM detects tampering; scrypt makes guessing the master secret expensive.
 * Nothing here ever puts the master secret, the wallet secret or the ciphertext in an error.
 */
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { z } from 'zod';

/** Opening failed. One message for every cause, so the error says nothing about the secret. */
export class WalletSecretError extends Error {
  override readonly name = 'WalletSecretError';
  constructor() {
    super('the master secret is wrong or the sealed wallet is damaged');
  }
}

export const MIN_MASTER_SECRET_LENGTH = 12;
const SCRYPT = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_BYTES = 32;
const SALT_BYTES = 16;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Binds the ciphertext to its purpose and format version. */
const AAD = Buffer.from('jarvis wallet secret v1');

const b64 = (bytes: number | undefined) =>
  z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/).transform((s) => Buffer.from(s, 'base64'))
    .refine((buf) => bytes === undefined || buf.length === bytes);

const sealedSchema = z.object({
  v: z.literal(1),
  kdf: z.literal('scrypt'),
  // Bounded so a doctored file cannot make us allocate gigabytes.
  N: z.number().int().min(2 ** 14).max(2 ** 20).refine((n) => (n & (n - 1)) === 0),
  r: z.number().int().min(1).max(32),
  p: z.number().int().min(1).max(16),
  salt: b64(SALT_BYTES),
  iv: b64(IV_BYTES),
  tag: b64(TAG_BYTES),
  ct: b64(undefined).refine((buf) => buf.length > 0),
});

/** scrypt needs about 128·N·r bytes; Node's default cap (32 MiB) is exactly too small for N=2^15, r=8. */
function deriveKey(masterSecret: string, salt: Uint8Array, N: number, r: number, p: number): Buffer {
  const password = Buffer.from(masterSecret, 'utf8');
  try {
    return scryptSync(password, salt, KEY_BYTES, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 });
  } finally {
    password.fill(0);
  }
}

export function sealSecret(secret: Uint8Array, masterSecret: string): string {
  if ([...masterSecret].length < MIN_MASTER_SECRET_LENGTH) {
    throw new Error(`the master secret must be at least ${MIN_MASTER_SECRET_LENGTH} characters`);
  }
  if (secret.length === 0) throw new Error('there is no wallet secret to seal');
  const salt = randomBytes(SALT_BYTES);
  const iv = randomBytes(IV_BYTES);
  const key = deriveKey(masterSecret, salt, SCRYPT.N, SCRYPT.r, SCRYPT.p);
  try {
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(AAD);
    const ct = Buffer.concat([cipher.update(secret), cipher.final()]);
    return JSON.stringify({
      v: 1,
      kdf: 'scrypt',
      ...SCRYPT,
      salt: salt.toString('base64'),
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      ct: ct.toString('base64'),
    });
  } finally {
    key.fill(0);
  }
}

export function openSecret(sealed: string, masterSecret: string): Uint8Array {
  let parsed: z.infer<typeof sealedSchema>;
  try {
    const result = sealedSchema.safeParse(JSON.parse(sealed));
    if (!result.success) throw new WalletSecretError();
    parsed = result.data;
  } catch {
    throw new WalletSecretError();
  }
  let key: Buffer | undefined;
  // update() yields plaintext before the tag is checked: every piece is zeroed in finally.
  const parts: Buffer[] = [];
  try {
    key = deriveKey(masterSecret, parsed.salt, parsed.N, parsed.r, parsed.p);
    const decipher = createDecipheriv('aes-256-gcm', key, parsed.iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(AAD);
    decipher.setAuthTag(parsed.tag);
    parts.push(decipher.update(parsed.ct));
    parts.push(decipher.final());
    const out = new Uint8Array(parts.reduce((n, b) => n + b.length, 0));
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  } catch {
    throw new WalletSecretError();
  } finally {
    key?.fill(0);
    for (const part of parts) part.fill(0);
  }
}
