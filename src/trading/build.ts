import { randomBytes } from 'node:crypto';
import type { Db } from '../storage/database.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Config } from '../config.js';
import type { Lockdown } from '../access/lockdown.js';
import type { AuditLog } from '../access/audit.js';
import type { Notices } from '../core/notices.js';
import { TradingStore } from './store.js';
import { VenueRouter } from './route.js';
import { RateBudget } from './rate-budget.js';
import { JupiterClient } from './jupiter.js';
import { BagsClient } from './bags.js';
import { SolanaRpc } from './rpc.js';
import { unlockWallet, walletPublicKey } from './wallet.js';
import { TradingService } from './service.js';
import type { LiveWallet } from './swap.js';
import { liveExitBlock } from './stranded.js';

/** Builds the trading module from config: clients with their shared budgets, the wallet when live. */
export function buildTrading(deps: { db: Db; clock: Clock; log: Logger; config: Config; lockdown: Lockdown; audit: AuditLog; notices: Notices; owner?: boolean }): TradingService {
  const t = deps.config.trading;
  const log = deps.log.child({ module: 'trading' });
  const jupiter = new JupiterClient({
    baseUrl: t.jupiter.url,
    apiKey: t.jupiter.apiKey,
    timeoutMs: t.httpTimeoutMs,
    budget: new RateBudget({ perMinute: t.jupiter.perMinute, clock: deps.clock, service: 'jupiter', label: 'Jupiter' }),
  });
  const bags = t.bags
    ? new BagsClient({ baseUrl: t.bags.url, apiKey: t.bags.apiKey, timeoutMs: t.httpTimeoutMs, budget: new RateBudget({ perMinute: t.bags.perHour / 60, clock: deps.clock, service: 'bags', label: 'bags.fm' }) })
    : undefined;
  let wallet: LiveWallet | undefined;
  const pub = walletPublicKey(deps.db);
  if (t.mode === 'live') {
    if (!pub) log.warn('TRADING_MODE=live but no wallet is stored; run `jarvis wallet import`. Trading stays paper.');
    else if (!deps.config.masterSecret) log.warn('TRADING_MODE=live but JARVIS_MASTER_SECRET is not set; the wallet stays locked and trading stays paper.');
    else {
      // A wrong master secret throws here, and start fails with a clear message (see main.ts).
      const keypair = unlockWallet(deps.db, deps.config.masterSecret)!;
      wallet = { keypair, rpc: new SolanaRpc({ urls: t.rpcUrls, timeoutMs: t.httpTimeoutMs }), resendIntervalMs: t.resendIntervalMs };
      log.info({ wallet: keypair.publicKey }, 'live wallet unlocked');
    }
  }
  return new TradingService({
    store: new TradingStore(deps.db),
    clock: deps.clock,
    log,
    config: t,
    lockdown: deps.lockdown,
    audit: deps.audit,
    notices: deps.notices,
    router: new VenueRouter({ jupiter, bags }, log, () => deps.clock.now()),
    prices: jupiter,
    wallet,
    // A wrong secret never gets here (start fails above), so an unlocked wallet is the only other case.
    liveBlock: liveExitBlock({ mode: t.mode, stored: pub !== undefined, secretSet: Boolean(deps.config.masterSecret), unlocks: wallet !== undefined }),
    random: () => randomBytes(8).toString('hex'),
    owner: deps.owner !== false,
  });
}
