import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ADMIN } from './app-harness.js';
import { makeTradingHarness, type TradingHarness } from './trading-harness.js';
import type { FakeSolanaRpc } from '../fakes/solana-rpc.js';
import { buildUnsignedTransaction } from '../fakes/solana-tx-builder.js';
import { openDatabase } from '../../src/storage/database.js';
import { migrate, readMigrations } from '../../src/storage/migrations.js';
import { projectRoot } from '../../src/core/paths.js';
import { importWallet } from '../../src/trading/wallet.js';
import { keypairFromSecretKey } from '../../src/trading/solana-tx.js';
import { encodeBase58 } from '../../src/trading/base58.js';
import { parseBuyArgs, type BuyArgs } from '../../src/trading/buy-args.js';
import type { Position } from '../../src/trading/store.js';

/**
 * The trading harness in live mode: a wallet sealed at rest and unlocked at start, both RPC URLs
 * served by one fake chain that settles what the fake market's transactions swap. The owner
 * (ADMIN) has chosen live mode.
 */

export const OWNER = `telegram:${ADMIN}`;
export const MASTER = 'correct horse battery staple';
export const RPC_A = 'http://rpc-a.test';
export const RPC_B = 'http://rpc-b.test';
/** What the fake chain starts the wallet with: 10 SOL. */
export const START_LAMPORTS = 10_000_000_000;

export const args = (s: string): BuyArgs => {
  const a = parseBuyArgs(s);
  if (typeof a === 'string') throw new Error(a);
  return a;
};

/** `onBuild(n)` runs as the market builds its n-th transaction (to switch faults on and off); `env` adds variables. */
export async function liveHarness(rpc: FakeSolanaRpc, onBuild?: (n: number) => void, env: Record<string, string> = {}): Promise<{ harness: TradingHarness; pub: string; dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'jarvis-live-'));
  const seed = randomBytes(32);
  const pub = keypairFromSecretKey(seed).publicKey;
  const db = openDatabase(join(dataDir, 'jarvis.db'));
  migrate(db, readMigrations(join(projectRoot(), 'migrations')));
  importWallet(db, encodeBase58(seed), MASTER, Date.now());
  db.close();
  rpc.balances.set(pub, START_LAMPORTS);
  const harness = await makeTradingHarness(
    { TRADING_MODE: 'live', JARVIS_MASTER_SECRET: MASTER, SOLANA_RPC_URL: `${RPC_A},${RPC_B}`, SOLANA_RESEND_INTERVAL_MS: '100', ...env },
    { dataDir },
  );
  let built = 0;
  (harness.market as unknown as { makeTransaction: (user: string) => Uint8Array }).makeTransaction = (user: string) => {
    built++;
    onBuild?.(built);
    harness.market.lastValidBlockHeight = rpc.blockHeight + 150;
    return buildUnsignedTransaction({ payer: user });
  };
  harness.server.use(...rpc.handlers(RPC_A), ...rpc.handlers(RPC_B));
  rpc.swapsFrom(harness.market);
  await harness.app.services.trading.updateSettings(OWNER, { mode: 'live' });
  return { harness, pub, dataDir };
}

export async function liveBuy(t: TradingHarness, s: string): Promise<Position> {
  const svc = t.app.services.trading;
  const plan = await svc.prepareBuy(OWNER, args(s));
  expect(plan.mode).toBe('live');
  return svc.buy(OWNER, String(ADMIN), plan);
}
