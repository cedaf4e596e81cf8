import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { ClusterConfig } from '../config.js';
import { UserError } from '../core/errors.js';
import { phraseClusterError } from './errors.js';
import type { ClusterActions } from './actions.js';
import type { ClusterWatcher } from './watcher.js';
import type { GuestKind, GuestResource, GuestStatus, NodeResource, NodeStatus, ProxmoxClient, StorageResource } from './proxmox.js';
import type { ClusterReads } from './reads.js';
import type { AlertRow, ClusterStore } from './store.js';

/**
 * What handlers and the watch job call for the cluster: reads (cached, in parallel, every failure
 * phrased as one sentence), power actions (actions.ts) and the watcher (watcher.ts).
 */

export interface ClusterServiceDeps {
  client: ProxmoxClient;
  reads: ClusterReads;
  store: ClusterStore;
  clock: Clock;
  log: Logger;
  config: ClusterConfig;
  actions: ClusterActions;
  watcher: ClusterWatcher;
}

export interface Overview {
  nodes: NodeResource[];
  guests: GuestResource[];
  /** Conditions the watcher is alerting about now. */
  alerts: AlertRow[];
  /** Why no guest is listed, when none is. */
  emptyHint?: string;
}

export interface GuestDetail {
  guest: GuestResource;
  /** Absent when the live status could not be read (node offline): the card falls back to the list's figures. */
  status?: GuestStatus;
}

export class ClusterService {
  readonly actions: ClusterActions;
  readonly watcher: ClusterWatcher;

  constructor(private readonly d: ClusterServiceDeps) {
    this.actions = d.actions;
    this.watcher = d.watcher;
  }

  get config(): ClusterConfig {
    return this.d.config;
  }

  /** Every node and guest: two reads, in parallel, shared with anyone asking within the cache time. */
  overview(): Promise<Overview> {
    return this.phrased(async () => {
      const [nodes, guests] = await Promise.all([this.d.reads.resources('node'), this.d.reads.resources('vm')]);
      const overview: Overview = { nodes: sortNodes(nodes), guests, alerts: [...this.d.store.alerts().values()] };
      if (guests.length === 0) overview.emptyHint = await this.emptyHint();
      return overview;
    });
  }

  /** VMs or containers, on one node or all, by vmid. */
  guests(kind: GuestKind, node?: string): Promise<{ guests: GuestResource[]; emptyHint?: string }> {
    return this.phrased(async () => {
      const all = await this.d.reads.resources('vm');
      if (node !== undefined) await this.nodeResource(node);
      const guests = all.filter((g) => g.type === kind && (node === undefined || g.node === node)).sort((a, b) => a.vmid - b.vmid);
      return guests.length === 0 && all.length === 0 ? { guests, emptyHint: await this.emptyHint() } : { guests };
    });
  }

  /** One guest, found by vmid wherever it runs; `hint` makes /ct refuse a VM and /vm a container. */
  guest(vmid: number, hint?: GuestKind): Promise<GuestDetail> {
    return this.phrased(async () => {
      const guest = (await this.d.reads.resources('vm')).find((g) => g.vmid === vmid);
      if (!guest) throw new UserError(`There is no VM or container ${vmid} on the cluster (or the API token may not see it).`);
      if (hint && guest.type !== hint) throw new UserError(`${vmid} is a ${guest.type === 'qemu' ? 'VM' : 'container'}: use /${guest.type === 'qemu' ? 'vm' : 'ct'} ${vmid}.`);
      if (guest.status === 'unknown') return { guest };
      const status = await this.d.client.guestStatus(guest.node, guest.type, vmid).catch((err) => {
        this.d.log.warn({ err, vmid }, 'guest status unavailable; showing the cluster list figures');
        return undefined;
      });
      return status ? { guest, status } : { guest };
    });
  }

  /** One node with its live status (when readable) and its guests. */
  node(name: string): Promise<{ node: NodeResource; status?: NodeStatus; guests: GuestResource[] }> {
    return this.phrased(async () => {
      const [node, guests] = await Promise.all([this.nodeResource(name), this.d.reads.resources('vm')]);
      const mine = guests.filter((g) => g.node === name).sort((a, b) => a.vmid - b.vmid);
      if (node.status !== 'online') return { node, guests: mine };
      const status = await this.d.client.nodeStatus(name).catch(() => undefined);
      return status ? { node, status, guests: mine } : { node, guests: mine };
    });
  }

  /** Forgets finished power actions older than `before` (the audit log keeps their record). */
  prune(before: number): number {
    this.d.store.expireDue(this.d.clock.now());
    return this.d.store.prune(before);
  }

  storage(): Promise<StorageResource[]> {
    return this.phrased(async () => (await this.d.reads.resources('storage')).sort((a, b) => a.node.localeCompare(b.node) || a.storage.localeCompare(b.storage)));
  }

  private async nodeResource(name: string): Promise<NodeResource> {
    const node = (await this.d.reads.resources('node')).find((n) => n.node === name);
    if (!node) throw new UserError(`There is no node called ${name} in the cluster.`);
    return node;
  }

  /**
   * A token without ACLs gets 200 and empty lists, which reads exactly like an empty cluster:
   * ask Proxmox what the token may see, and say which it is.
   */
  private async emptyHint(): Promise<string> {
    const perms = await this.d.client.permissions().catch(() => undefined);
    const canSee = perms && Object.values(perms).some((p) => p.includes('VM.Audit'));
    return canSee
      ? 'There are no VMs or containers on the cluster.'
      : 'No VMs or containers are visible: the API token may lack ACLs. Give it VM.Audit (PVEAuditor) on / (see docs/cluster.md).';
  }

  private async phrased<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw phraseClusterError(err);
    }
  }
}

function sortNodes(nodes: NodeResource[]): NodeResource[] {
  return [...nodes].sort((a, b) => a.node.localeCompare(b.node));
}
