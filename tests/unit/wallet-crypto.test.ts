import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openSecret, sealSecret, WalletSecretError } from '../../src/trading/wallet-crypto.js';

const MASTER = 'correct horse battery staple';

describe('wallet secret at rest', () => {
  const secret = randomBytes(64);
  const sealed = sealSecret(secret, MASTER);

  it('round-trips, and the sealed form holds neither the secret nor the master secret', () => {
    expect(openSecret(sealed, MASTER)).toEqual(new Uint8Array(secret));
    expect(sealed).not.toContain(MASTER);
    expect(sealed).not.toContain(secret.toString('base64'));
    expect(sealed).not.toContain(secret.toString('hex'));
    const json = JSON.parse(sealed) as Record<string, unknown>;
    expect(json).toMatchObject({ v: 1, kdf: 'scrypt', N: 2 ** 15, r: 8, p: 1 });
    expect(Buffer.from(json.salt as string, 'base64')).toHaveLength(16);
    expect(Buffer.from(json.iv as string, 'base64')).toHaveLength(12);
  });

  it('seals the same secret differently each time (fresh salt and IV)', () => {
    expect(sealSecret(secret, MASTER)).not.toBe(sealed);
  });

  it('a wrong master secret throws WalletSecretError without leaking anything', () => {
    let error: unknown;
    try {
      openSecret(sealed, 'the wrong master secret');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WalletSecretError);
    const message = (error as Error).message;
    expect(message).toBe('the master secret is wrong or the sealed wallet is damaged');
    expect(message).not.toContain('the wrong master secret');
    expect(message).not.toContain((JSON.parse(sealed) as { ct: string }).ct);
  });

  it('a flipped ciphertext byte, a swapped tag, bad JSON or an unknown version all throw WalletSecretError', () => {
    const json = JSON.parse(sealed) as Record<string, unknown>;
    const ct = Buffer.from(json.ct as string, 'base64');
    ct[5]! ^= 0x01;
    const tampered = JSON.stringify({ ...json, ct: ct.toString('base64') });
    const otherTag = JSON.stringify({ ...json, tag: (JSON.parse(sealSecret(secret, MASTER)) as { tag: string }).tag });
    for (const bad of [tampered, otherTag, '{not json', JSON.stringify({ ...json, v: 2 }), JSON.stringify({ ...json, N: 2 ** 30 }), '']) {
      expect(() => openSecret(bad, MASTER)).toThrow(WalletSecretError);
    }
  });

  it('refuses a master secret shorter than 12 characters', () => {
    expect(() => sealSecret(secret, 'short-pw')).toThrow(/at least 12 characters/);
  });
});
