import type { Clock } from '../core/clock.js';
import type { ProxmoxClient, ResourceByType, ResourceType } from './proxmox.js';

/**
 * Cluster reads, cached per resource type for a few seconds and shared while in flight, so ten
 * people opening /cluster at once cost one round of requests. A failed read is not cached.
 */
interface Entry {
  at: number;
  value: Promise<unknown>;
  settled: boolean;
}

export class ClusterReads {
  private readonly cache = new Map<ResourceType, Entry>();

  constructor(
    private readonly client: ProxmoxClient,
    private readonly clock: Clock,
    private readonly ttlMs: number,
  ) {}

  resources<T extends ResourceType>(type: T): Promise<ResourceByType[T][]> {
    const now = this.clock.now();
    const hit = this.cache.get(type);
    if (hit && (!hit.settled || now - hit.at < this.ttlMs)) return hit.value as Promise<ResourceByType[T][]>;
    const entry: Entry = { at: now, value: this.client.resources(type), settled: false };
    this.cache.set(type, entry);
    entry.value.then(
      () => {
        entry.settled = true;
      },
      () => {
        entry.settled = true;
        if (this.cache.get(type) === entry) this.cache.delete(type);
      },
    );
    return entry.value as Promise<ResourceByType[T][]>;
  }

  /** After an action or for the watcher: the next read asks Proxmox again. */
  invalidate(): void {
    this.cache.clear();
  }
}
