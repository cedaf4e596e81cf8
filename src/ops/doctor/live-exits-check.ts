import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { activeLivePositions, liveExitBlock, strandedLine } from '../../trading/stranded.js';
import { unlockWallet, walletPublicKey } from '../../trading/wallet.js';
import { fail, pass, skip, type Check } from './types.js';

/**
 * Open live positions whose exits cannot be signed: the wallet would not be unlocked with this
 * configuration (paper mode, no wallet, no or a wrong master secret). Read-only, like the daemon's
 * own start-up check (src/trading/stranded.ts), and works with the daemon running or stopped.
 */
export const liveExitsCheck: Check = {
  name: 'live exits',
  run({ config }) {
    if (!existsSync(config.dbPath)) return skip('no database yet');
    const db = new Database(config.dbPath, { readonly: true, fileMustExist: true });
    try {
      if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'positions'").get()) return skip('no trading tables yet');
      const live = activeLivePositions(db);
      if (live.length === 0) return pass('no live positions open');
      const stored = walletPublicKey(db) !== undefined;
      const secret = config.masterSecret;
      let unlocks = false;
      if (config.trading.mode === 'live' && stored && secret) {
        try {
          unlocks = unlockWallet(db, secret) !== undefined;
        } catch {
          unlocks = false; // wrong secret, or a damaged sealed key: either way nothing can sign
        }
      }
      const block = liveExitBlock({ mode: config.trading.mode, stored, secretSet: Boolean(secret), unlocks });
      if (!block) return pass(`${live.length} live position(s); the wallet unlocks, so their exits can be signed`);
      return fail(strandedLine(live, block), block.fix);
    } finally {
      db.close();
    }
  },
};
