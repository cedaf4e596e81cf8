import { describe, expect, it } from 'vitest';
import { diffCluster, type WatchInput } from '../../src/cluster/watch.js';
import type { GuestResource, NodeResource } from '../../src/cluster/proxmox.js';

const node = (n: Partial<NodeResource> & { node: string }): NodeResource => ({ type: 'node', status: 'online', cpu: 0.1, mem: 1, maxmem: 10, disk: 1, maxdisk: 10, ...n });
const guest = (g: Partial<GuestResource> & { vmid: number; status: GuestResource['status'] }): GuestResource => ({ type: 'qemu', node: 'pve1', name: `g${g.vmid}`, template: false, tags: [], ...g });
const input = (over: Partial<WatchInput>): WatchInput => ({
  nodes: [node({ node: 'pve1' })],
  guests: [],
  seen: new Map(),
  alerts: new Map(),
  thresholds: { cpuPct: 90, memPct: 90, diskPct: 90, clearMarginPct: 5 },
  expectedStop: () => false,
  ...over,
});
const alert = (key: string) => [key, { key, detail: key, since: 0 }] as const;

describe('diffCluster', () => {
  it('judges no guest on the first look, and remembers what it saw', () => {
    const r = diffCluster(input({ guests: [guest({ vmid: 100, status: 'stopped' }), guest({ vmid: 101, status: 'running' })] }));
    expect(r.raise).toEqual([]);
    expect([...r.seen]).toEqual([['guest:100', 'stopped'], ['guest:101', 'running']]);
  });

  it('running -> stopped is unexpected unless Jarvis did it; templates are never watched', () => {
    const seen = new Map([['guest:100', 'running'], ['guest:101', 'running']]);
    const guests = [guest({ vmid: 100, status: 'stopped' }), guest({ vmid: 101, status: 'stopped' }), guest({ vmid: 9000, status: 'stopped', template: true })];
    const r = diffCluster(input({ guests, seen, expectedStop: (g) => g.vmid === 101 }));
    expect(r.raise.map((a) => a.key)).toEqual(['guest:100:stopped']);
    expect(r.seen.has('guest:9000')).toBe(false);
  });

  it('a guest on an offline node keeps its last status and raises nothing of its own', () => {
    const r = diffCluster(input({ nodes: [node({ node: 'pve1', status: 'offline' })], guests: [guest({ vmid: 100, status: 'unknown' })], seen: new Map([['guest:100', 'running']]) }));
    expect(r.raise.map((a) => a.key)).toEqual(['node:pve1:offline']);
    expect(r.seen.get('guest:100')).toBe('running');
  });

  it('thresholds clear only below threshold minus margin, and hold while the node is offline', () => {
    const alerts = new Map([alert('node:pve1:mem')]);
    expect(diffCluster(input({ nodes: [node({ node: 'pve1', mem: 8.6 })], alerts })).clear).toEqual([]);
    expect(diffCluster(input({ nodes: [node({ node: 'pve1', mem: 8.4 })], alerts })).clear.map((c) => c.message)).toEqual(['Node pve1: memory back to 84%.']);
    expect(diffCluster(input({ nodes: [node({ node: 'pve1', status: 'offline' })], alerts })).clear).toEqual([]);
    expect(diffCluster(input({ nodes: [node({ node: 'pve1', mem: 9 })] })).raise.map((a) => a.message)).toEqual(['Node pve1: memory at 90% (threshold 90%).']);
  });

  it('alerts about things that are gone end silently', () => {
    const r = diffCluster(input({ alerts: new Map([alert('guest:555:stopped'), alert('node:old:offline')]) }));
    expect(r.clear).toEqual([{ key: 'guest:555:stopped', detail: '', message: '' }, { key: 'node:old:offline', detail: '', message: '' }]);
  });
});
