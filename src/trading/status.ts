import type { Services } from '../core/services.js';
import { strandedLine } from './stranded.js';

/** The Trading lines of /status: mode and book, then live positions nothing can sell, if any. */
export function tradingStatus(s: Services): string[] {
  const t = s.config.trading;
  const row = s.db.prepare("SELECT COUNT(*) AS open, COUNT(DISTINCT mint) AS mints FROM positions WHERE state IN ('open', 'exiting')").get() as { open: number; mints: number };
  const gaps = (s.db.prepare('SELECT COUNT(*) AS n FROM price_gaps').get() as { n: number }).n;
  const mode = t.mode === 'live' ? (s.trading.d.wallet ? `live enabled (wallet ${s.trading.d.wallet.keypair.publicKey.slice(0, 4)}…)` : 'live configured, wallet locked: paper only') : 'paper';
  const lines = [`${mode}; ${row.open} open positions over ${row.mints} tokens${gaps ? `, ${gaps} without a price` : ''}; monitor every ${t.monitorIntervalSec} s${s.trading.exits.busy ? `, ${s.trading.exits.busy} exits in flight` : ''}`];
  const stranded = s.trading.stranded();
  if (stranded) lines.push(`⚠️ ${strandedLine(stranded.positions, stranded.block)}. Fix: ${stranded.block.fix}.`);
  return lines;
}
