import type { GuestResource, NodeResource } from './proxmox.js';
import type { AlertRow } from './store.js';
import { guestLabel } from './format.js';

/**
 * What changed on the cluster since the last look, as alerts to raise and to clear. Pure: the
 * watcher reads the state, calls `diffCluster`, and writes the result in one transaction.
 *
 * A condition is raised once and stays in `cluster_alerts` while it lasts, so admins hear about it
 * once; it is cleared (and the all-clear told) when it ends. Thresholds clear below
 * `threshold - clearMargin`, so a node hovering around a threshold does not alert every minute.
 */

export interface WatchThresholds {
  cpuPct: number;
  memPct: number;
  diskPct: number;
  clearMarginPct: number;
}

export interface WatchInput {
  nodes: readonly NodeResource[];
  guests: readonly GuestResource[];
  /** `guest:<vmid>` -> status last seen. */
  seen: ReadonlyMap<string, string>;
  alerts: ReadonlyMap<string, AlertRow>;
  thresholds: WatchThresholds;
  /** True when Jarvis itself stopped or restarted this guest lately (not "unexpected"). */
  expectedStop(g: GuestResource): boolean;
}

export interface AlertChange {
  key: string;
  /** Stored with a raised alert (shown by /cluster). */
  detail: string;
  /** What admins are told. */
  message: string;
}

export interface WatchResult {
  raise: AlertChange[];
  clear: AlertChange[];
  /** The new last-seen status per guest key; keys missing from it are forgotten. */
  seen: Map<string, string>;
}

const pct = (used: number | undefined, max: number | undefined): number | undefined =>
  used !== undefined && max !== undefined && max > 0 ? (used / max) * 100 : undefined;

export function diffCluster(input: WatchInput): WatchResult {
  const raise: AlertChange[] = [];
  const clear: AlertChange[] = [];
  const active = (key: string) => input.alerts.has(key);
  const t = input.thresholds;

  for (const n of input.nodes) {
    const off = `node:${n.node}:offline`;
    if (n.status !== 'online') {
      if (!active(off)) raise.push({ key: off, detail: `node ${n.node} offline`, message: `Node ${n.node} is offline: its guests cannot be reached.` });
      continue; // no figures while offline; threshold alerts stay as they were
    }
    if (active(off)) clear.push({ key: off, detail: '', message: `Node ${n.node} is back online.` });
    const figures: [string, string, number | undefined, number][] = [
      ['cpu', 'CPU', n.cpu === undefined ? undefined : n.cpu * 100, t.cpuPct],
      ['mem', 'memory', pct(n.mem, n.maxmem), t.memPct],
      ['disk', 'root disk', pct(n.disk, n.maxdisk), t.diskPct],
    ];
    for (const [id, label, value, limit] of figures) {
      if (value === undefined) continue;
      const key = `node:${n.node}:${id}`;
      const shown = `${Math.round(value)}%`;
      if (value >= limit && !active(key)) {
        raise.push({ key, detail: `node ${n.node} ${label} ${shown}`, message: `Node ${n.node}: ${label} at ${shown} (threshold ${limit}%).` });
      } else if (active(key) && value < limit - t.clearMarginPct) {
        clear.push({ key, detail: '', message: `Node ${n.node}: ${label} back to ${shown}.` });
      }
    }
  }

  const seen = new Map<string, string>();
  for (const g of input.guests) {
    if (g.template) continue;
    const key = `guest:${g.vmid}`;
    const before = input.seen.get(key);
    // On an offline node a guest's state is unknown: remember what it was, judge nothing.
    if (g.status === 'unknown') {
      if (before !== undefined) seen.set(key, before);
      continue;
    }
    seen.set(key, g.status);
    const alertKey = `guest:${g.vmid}:stopped`;
    if (g.status === 'stopped' && before === 'running' && !active(alertKey) && !input.expectedStop(g)) {
      raise.push({ key: alertKey, detail: `${guestLabel(g.type, g.vmid, g.name)} stopped`, message: `${guestLabel(g.type, g.vmid, g.name)} on ${g.node} stopped unexpectedly (it was running).` });
    } else if (g.status === 'running' && active(alertKey)) {
      clear.push({ key: alertKey, detail: '', message: `${guestLabel(g.type, g.vmid, g.name)} on ${g.node} is running again.` });
    }
  }
  // A guest alert whose guest is gone (deleted, or no longer visible) ends without a message.
  const present = new Set(input.guests.map((g) => g.vmid));
  const nodes = new Set(input.nodes.map((n) => n.node));
  for (const key of input.alerts.keys()) {
    const g = /^guest:(\d+):stopped$/.exec(key);
    if (g && !present.has(Number(g[1]))) clear.push({ key, detail: '', message: '' });
    const n = /^node:(.+):(offline|cpu|mem|disk)$/.exec(key);
    if (n && !nodes.has(n[1]!)) clear.push({ key, detail: '', message: '' });
  }
  return { raise, clear, seen };
}
