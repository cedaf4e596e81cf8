import type { Job } from '../src/core/scheduler.js';

/**
 * The TP/SL monitor: every few seconds, price what is held and exit what triggered. Exits run on
 * the trading module's exit desk, so a slow sale never holds the next tick back.
 */
const tpslMonitor: Job = {
  name: 'tpsl-monitor',
  description: 'prices held tokens and sells positions whose take-profit or stop-loss fired',
  quiet: true,
  schedule: (config) => ({ cron: `*/${config.trading.monitorIntervalSec} * * * * *`, missed: 'skip' }),
  async run(s, signal) {
    const r = await s.trading.tick(signal);
    return `positions=${r.positions} mints=${r.mints} priced=${r.priced} missing=${r.missing} triggered=${r.triggered} retried=${r.retried}${r.deferred ? ' deferred' : ''}${r.held ? ` held=${r.held}` : ''}`;
  },
};

export default tpslMonitor;
