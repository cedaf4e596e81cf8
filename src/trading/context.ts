import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { TradingConfig } from '../config.js';
import type { Lockdown } from '../access/lockdown.js';
import type { AuditLog } from '../access/audit.js';
import type { Notices } from '../core/notices.js';
import type { TradingStore } from './store.js';
import type { VenueRouter } from './route.js';
import type { PriceSource } from './venue.js';
import type { LiveWallet } from './swap.js';
import type { LiveBlock } from './stranded.js';

/** What every part of the trading module shares; built once in src/trading/build.ts. */
export interface TradingDeps {
  store: TradingStore;
  clock: Clock;
  log: Logger;
  config: TradingConfig;
  lockdown: Lockdown;
  audit: AuditLog;
  notices: Notices;
  router: VenueRouter;
  prices: PriceSource;
  /** Present when live trading is configured and the wallet is unlocked. */
  wallet?: LiveWallet;
  /** Why the wallet is not unlocked (so live positions cannot be sold); undefined when it is. */
  liveBlock?: LiveBlock;
  random: () => string;
  /**
   * Whether this process owns trading (the daemon, which runs the jobs). `jarvis chat` shares the
   * database but must not buy or sell: a daemon restart would reconcile its half-done exits as
   * abandoned and sell again.
   */
  owner: boolean;
}

export const DAY_MS = 86_400_000;

/** Start of the current UTC day: when the daily loss limit resets. */
export function dayStart(now: number): number {
  return now - (now % DAY_MS);
}
