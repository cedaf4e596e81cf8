import type { Services } from '../core/services.js';

/** The Cluster line of /status: configured or not, alerts open, actions being followed. */
export function clusterStatus(s: Services): string[] {
  const c = s.config.cluster;
  if (!s.cluster || !c) return ['not configured (set PROXMOX_URL, PROXMOX_TOKEN_ID, PROXMOX_TOKEN_SECRET)'];
  const alerts = (s.db.prepare('SELECT COUNT(*) AS n FROM cluster_alerts').get() as { n: number }).n;
  const host = new URL(c.url).host;
  const busy = s.cluster.actions.busy;
  return [`${host}; ${alerts ? `${alerts} alert${alerts === 1 ? '' : 's'} open` : 'no alerts'}${busy ? `, ${busy} action${busy === 1 ? '' : 's'} being followed` : ''}`];
}
