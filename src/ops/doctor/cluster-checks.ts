import { isClusterError } from '../../cluster/errors.js';
import { clusterClient } from '../../cluster/build.js';
import { fail, pass, skip, warn, type Check } from './types.js';

/** Proxmox: the API answers over trusted TLS, the token is accepted, and it can see guests. */
export const proxmoxCheck: Check = {
  name: 'proxmox',
  network: true,
  async run({ config, timeoutMs }) {
    const c = config.cluster;
    if (!c) return skip('not configured (PROXMOX_URL, PROXMOX_TOKEN_ID, PROXMOX_TOKEN_SECRET)');
    const client = clusterClient(c, { retries: 0, timeoutMs: Math.min(c.timeoutMs, timeoutMs) });
    try {
      const version = await client.version();
      const guests = await client.resources('vm');
      if (guests.length === 0) {
        return warn(`Proxmox ${version.version} answers, but the token sees no VMs or containers`, 'the token may lack ACLs: give it VM.Audit (PVEAuditor) on / for the token and its user (see docs/cluster.md)');
      }
      return pass(`Proxmox ${version.version}; the token sees ${guests.length} guest(s)`);
    } catch (err) {
      if (!isClusterError(err)) throw err;
      const fix: Record<string, string> = {
        auth: 'check PROXMOX_TOKEN_ID and PROXMOX_TOKEN_SECRET (Datacenter → Permissions → API Tokens)',
        forbidden: 'give the token VM.Audit and Sys.Audit (see docs/cluster.md)',
        tls: 'set PROXMOX_CA_FILE or PROXMOX_FINGERPRINT (see docs/cluster.md)',
        unreachable: 'check the network and PROXMOX_URL',
      };
      return fail(err.userMessage, fix[err.kind] ?? 'see docs/cluster.md');
    }
  },
};
