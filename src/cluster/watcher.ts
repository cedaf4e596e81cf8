import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Notices } from '../core/notices.js';
import type { Roles } from '../access/roles.js';
import type { ClusterConfig } from '../config.js';
import type { Db } from '../storage/database.js';
import { isClusterError } from './errors.js';
import type { ProxmoxClient } from './proxmox.js';
import type { ClusterStore } from './store.js';
import { diffCluster, type AlertChange } from './watch.js';
import { afterColon } from './format.js';
import { adminChats } from '../access/admin-chats.js';

/**
 * The cluster watch: reads nodes and guests, works out what changed (watch.ts), and in one
 * transaction records the alerts and queues one notice per admin, so a crash can neither lose an
 * alert nor send it twice. The Proxmox API being unreachable is itself one alert.
 */

export interface WatchReport {
  nodes: number;
  guests: number;
  raised: string[];
  cleared: string[];
}

/** How long after Jarvis stops or restarts a guest its stop counts as expected, not "unexpected". */
const EXPECTED_STOP_MS = 15 * 60_000;
const UNREACHABLE = 'api:unreachable';

export interface ClusterWatcherDeps {
  client: ProxmoxClient;
  store: ClusterStore;
  db: Db;
  clock: Clock;
  log: Logger;
  config: ClusterConfig;
  notices: Notices;
  roles: Roles;
}

export class ClusterWatcher {
  constructor(private readonly d: ClusterWatcherDeps) {}

  async run(signal?: AbortSignal): Promise<WatchReport> {
    const { client, store, clock, config } = this.d;
    let nodes, guests;
    try {
      [nodes, guests] = await Promise.all([client.resources('node', { signal }), client.resources('vm', { signal })]);
    } catch (err) {
      if (!isClusterError(err)) throw err;
      const raised = this.apply([{ key: UNREACHABLE, detail: 'Proxmox API unreachable', message: `Jarvis cannot read the Proxmox cluster: ${afterColon(err.userMessage)}` }], [], undefined);
      return { nodes: 0, guests: 0, raised, cleared: [] };
    }
    const alerts = store.alerts();
    const before = store.seen();
    const now = clock.now();
    const result = diffCluster({
      nodes,
      guests,
      seen: before,
      alerts,
      thresholds: config.alert,
      expectedStop: (g) => store.actedOnSince(g.node, g.vmid, now - EXPECTED_STOP_MS),
    });
    const clear = result.clear;
    if (alerts.has(UNREACHABLE)) clear.push({ key: UNREACHABLE, detail: '', message: 'Jarvis can read the Proxmox cluster again.' });
    const raised = this.apply(result.raise, clear, { before, after: result.seen });
    return { nodes: nodes.length, guests: guests.length, raised, cleared: clear.map((c) => c.key) };
  }

  /** Writes alerts, clears and the seen map, and queues the notices, all or nothing. Returns the keys raised. */
  private apply(raise: AlertChange[], clear: AlertChange[], seen: { before: ReadonlyMap<string, string>; after: Map<string, string> } | undefined): string[] {
    const { store, db, clock } = this.d;
    const now = clock.now();
    // Read only when someone is to be told: the watcher runs every minute and nearly always has nothing to say.
    const admins = raise.length || clear.length ? adminChats(this.d.roles) : [];
    const raised: string[] = [];
    db.transaction(() => {
      for (const r of raise) {
        if (store.sql.raise.run({ key: r.key, detail: r.detail, since: now }).changes !== 1) continue;
        raised.push(r.key);
        for (const a of admins) this.d.notices.enqueue({ userKey: a.key, chatId: a.chatId, out: { text: `⚠️ ${r.message}` } });
      }
      for (const c of clear) {
        if (store.sql.clear.run(c.key).changes !== 1 || !c.message) continue;
        for (const a of admins) this.d.notices.enqueue({ userKey: a.key, chatId: a.chatId, out: { text: `✅ ${c.message}` } });
      }
      if (seen) {
        for (const key of seen.before.keys()) if (!seen.after.has(key)) store.sql.unsee.run(key);
        for (const [key, status] of seen.after) if (seen.before.get(key) !== status) store.sql.see.run({ key, status, at: now });
      }
    })();
    if (raised.length || clear.length) this.d.notices.kick();
    for (const key of raised) this.d.log.info({ alert: key }, 'cluster alert raised');
    return raised;
  }
}
