import type { Services } from '../core/services.js';

/** The Trading line of /status. */
export function tradingStatus(s: Services): string[] {
  const t = s.config.trading;
  const row = s.db.prepare("SELECT COUNT(*) AS open, COUNT(DISTINCT mint) AS mints FROM positions WHERE state IN ('open', 'exiting')").get() as { open: number; mints: number };
  const gaps = (s.db.prepare('SELECT COUNT(*) AS n FROM price_gaps').get() as { n: number }).n;
  const mode = t.mode === 'live' ? (s.trading.d.wallet ? `live enabled (wallet ${s.trading.d.wallet.keypair.publicKey.slice(0, 4)}…)` : 'live configured, wallet locked: paper only') : 'paper';
  return [`${mode}; ${row.open} open positions over ${row.mints} tokens${gaps ? `, ${gaps} without a price` : ''}; monitor every ${t.monitorIntervalSec} s${s.trading.exits.busy ? `, ${s.trading.exits.busy} exits in flight` : ''}`];
}
