import { readFileSync } from 'node:fs';
import type { Db } from '../storage/database.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { ClusterConfig, Config } from '../config.js';
import type { Lockdown } from '../access/lockdown.js';
import type { AuditLog } from '../access/audit.js';
import type { Roles } from '../access/roles.js';
import type { Notices } from '../core/notices.js';
import { ProxmoxClient } from './proxmox.js';
import { ClusterReads } from './reads.js';
import { ClusterStore } from './store.js';
import { ClusterActions } from './actions.js';
import { ClusterWatcher } from './watcher.js';
import { ClusterService } from './service.js';

/** The Proxmox client for the configured cluster (also used by `jarvis doctor`). */
export function clusterClient(c: ClusterConfig, opts: { retries: number; timeoutMs?: number; clock?: Clock }): ProxmoxClient {
  return new ProxmoxClient({
    baseUrl: c.url,
    tokenId: c.tokenId,
    tokenSecret: c.tokenSecret,
    ca: c.caFile ? readFileSync(c.caFile) : undefined,
    fingerprint: c.fingerprint,
    timeoutMs: opts.timeoutMs ?? c.timeoutMs,
    retries: opts.retries,
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
}

/** Builds the cluster module from config; undefined (and /cluster says how to set it up) when not configured. */
export function buildCluster(deps: { db: Db; clock: Clock; log: Logger; config: Config; lockdown: Lockdown; audit: AuditLog; notices: Notices; roles: Roles; owner?: boolean }): ClusterService | undefined {
  const c = deps.config.cluster;
  if (!c) return undefined;
  const log = deps.log.child({ module: 'cluster' });
  const host = new URL(c.url).hostname;
  if (c.url.startsWith('http://') && !['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) {
    log.warn('PROXMOX_URL is http://: the API token crosses the network unencrypted. Use https:// with PROXMOX_CA_FILE or PROXMOX_FINGERPRINT.');
  }
  // One retry for reads: a chat should get its answer (or the reason) within two timeouts.
  const client = clusterClient(c, { retries: 1, clock: deps.clock });
  const store = new ClusterStore(deps.db);
  const reads = new ClusterReads(client, deps.clock, c.cacheMs);
  const actions = new ClusterActions({ client, reads, store, clock: deps.clock, log, config: c, lockdown: deps.lockdown, audit: deps.audit, notices: deps.notices, owner: deps.owner !== false });
  const watcher = new ClusterWatcher({ client, store, db: deps.db, clock: deps.clock, log, config: c, notices: deps.notices, roles: deps.roles });
  return new ClusterService({ client, reads, store, clock: deps.clock, log, config: c, actions, watcher });
}
