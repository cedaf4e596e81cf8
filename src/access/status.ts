import type { Services } from '../core/services.js';

/** The access module's lines on /status. */
export function accessStatus(s: Services): string[] {
  const users = s.roles.list();
  const admins = users.filter((u) => u.role === 'admin').length;
  const since = s.clock.now() - 86_400_000;
  const denied = (s.db.prepare("SELECT COUNT(*) AS n FROM audit_log WHERE outcome = 'denied' AND at >= ?").get(since) as { n: number }).n;
  return [`${users.length} allowed (${admins} admin${admins === 1 ? '' : 's'}), ${denied} denied attempt${denied === 1 ? '' : 's'} in the last 24 h`];
}
