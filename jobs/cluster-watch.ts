import type { Job } from '../src/core/scheduler.js';

/**
 * The cluster watch: tells admins once when a node goes offline or comes back, a running guest
 * stops without Jarvis stopping it, a node passes a CPU, memory or disk threshold, or the Proxmox
 * API cannot be read; and once more when each condition clears. Scheduled only when configured.
 */
const clusterWatch: Job = {
  name: 'cluster-watch',
  description: 'polls the Proxmox cluster and alerts admins about offline nodes, stopped guests and thresholds',
  quiet: true,
  enabled: (config) => config.cluster !== undefined,
  schedule: (config) => ({ cron: config.cluster?.watchCron ?? '* * * * *', missed: 'skip' }),
  async run(s, signal) {
    if (!s.cluster) return 'not configured';
    const r = await s.cluster.watcher.run(signal);
    return `nodes=${r.nodes} guests=${r.guests} raised=${r.raised.length} cleared=${r.cleared.length}`;
  },
};

export default clusterWatch;
