import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.js';
import { openDatabase } from '../storage/database.js';
import { migrate, readMigrations } from '../storage/migrations.js';
import { projectRoot } from '../core/paths.js';
import { UserError } from '../core/errors.js';
import { importWallet, unlockWallet, walletPublicKey } from './wallet.js';

/**
 * `jarvis wallet import|show|check`. The secret key is read from standard input, never from the
 * command line (where `ps` and shell history would keep it), sealed under JARVIS_MASTER_SECRET,
 * and only the public key is ever printed.
 */
export function walletCommand(config: Config, sub: string | undefined, out: (s: string) => void): number {
  const db = openDatabase(config.dbPath);
  try {
    migrate(db, readMigrations(join(projectRoot(), 'migrations')));
    switch (sub) {
      case 'import': {
        if (process.stdin.isTTY) {
          out('Pipe the secret key in, so it is not echoed or kept in history:\n  jarvis wallet import < ~/.config/solana/id.json\n');
          return 64;
        }
        const text = readFileSync(0, 'utf8');
        const pub = importWallet(db, text, config.masterSecret, Date.now());
        out(`Wallet ${pub} stored, encrypted with JARVIS_MASTER_SECRET. Set TRADING_MODE=live to trade with it.\n`);
        return 0;
      }
      case 'show': {
        const pub = walletPublicKey(db);
        out(pub ? `${pub}\n` : 'No wallet stored. Import one with: jarvis wallet import < keyfile.json\n');
        return pub ? 0 : 1;
      }
      case 'check': {
        if (!config.masterSecret) throw new UserError('JARVIS_MASTER_SECRET is not set.');
        const kp = unlockWallet(db, config.masterSecret);
        out(kp ? `The master secret unlocks wallet ${kp.publicKey}.\n` : 'No wallet stored.\n');
        return kp ? 0 : 1;
      }
      default:
        out('Usage: jarvis wallet import < keyfile   |   jarvis wallet show   |   jarvis wallet check\n');
        return 64;
    }
  } catch (err) {
    if (err instanceof UserError || (err instanceof Error && err.name === 'WalletSecretError')) {
      out(`${err.message}\n`);
      return 78;
    }
    throw err;
  } finally {
    db.close();
  }
}
