import { bold, plain, type Button, type Outbound, type Span } from '../core/message.js';
import type { Role } from '../access/roles.js';
import { guestActionSupported, type GuestResource, type NodeResource, type NodeStatus, type StorageResource } from './proxmox.js';
import { bytes, countGuests, guestCard, guestLabel, guestLine, nodeLine, percent, uptime } from './format.js';
import type { GuestDetail, Overview } from './service.js';
import { classifyClusterAction } from './tiers.js';

/**
 * The cluster screens as chat messages, with the buttons the caller's role may use. Button data:
 * `cl:o` overview, `cl:n:<node>` a node, `cl:g:<vmid>` a guest (reads); `cl:a:<action>:<vmid>` and
 * `cl:na:<action>:<node>` power actions; `cl:ok:<id>` / `cl:no:<id>` answer a RED confirmation.
 * Nothing in the data is trusted: the handler re-checks role, tier and target on every press.
 */

export function overviewCard(o: Overview): Outbound {
  const c = countGuests(o.guests);
  const online = o.nodes.filter((n) => n.status === 'online').length;
  const text: Span[] = [
    bold(`Cluster: ${online} of ${o.nodes.length} node${o.nodes.length === 1 ? '' : 's'} online`),
    plain(`\n${o.nodes.map(nodeLine).join('\n')}`),
    plain(`\nVMs: ${c.vmRunning} running, ${c.vmStopped} stopped · Containers: ${c.ctRunning} running, ${c.ctStopped} stopped${c.unknown ? ` · ${c.unknown} unknown (node offline)` : ''}`),
  ];
  if (o.emptyHint) text.push(plain(`\n${o.emptyHint}`));
  if (o.alerts.length) text.push(plain(`\nAlerts: ${o.alerts.map((a) => a.detail).join('; ')}`));
  const nodeButtons = o.nodes.map((n): Button => ({ label: n.node, data: `cl:n:${n.node}` }));
  const rows: Button[][] = [];
  for (let i = 0; i < nodeButtons.length; i += 3) rows.push(nodeButtons.slice(i, i + 3));
  rows.push([{ label: 'Refresh', data: 'cl:o' }]);
  return { text, buttons: rows };
}

export function guestListText(kind: 'VMs' | 'Containers', guests: readonly GuestResource[], node: string | undefined, emptyHint?: string): string {
  const where = node ? ` on ${node}` : '';
  if (guests.length === 0) return emptyHint ?? `No ${kind.toLowerCase()}${where}.`;
  return [`${kind}${where} (${guests.length}):`, ...guests.map(guestLine)].join('\n');
}

export function storageText(rows: readonly StorageResource[]): string {
  if (rows.length === 0) return 'No storage is visible (the API token needs Datastore.Audit to see it).';
  return ['Storage:', ...rows.map((s) => `${s.node}/${s.storage} (${s.plugintype ?? '?'}${s.shared ? ', shared' : ''}): ${percent(s.disk, s.maxdisk)} of ${bytes(s.maxdisk)} used`)].join('\n');
}

/** Power buttons worth offering in the guest's state, for admins only. */
function guestButtons(g: GuestResource, status: string, role: Role): Button[][] {
  const refresh: Button = { label: 'Refresh', data: `cl:g:${g.vmid}` };
  if (role !== 'admin' || g.template) return [[refresh]];
  const offer =
    status === 'stopped' ? ['start'] : status === 'paused' ? ['resume', 'stop'] : status === 'running' ? ['shutdown', 'reboot', 'suspend', 'stop', 'reset'] : [];
  const buttons = offer
    .filter((a) => guestActionSupported(g.type, classifyClusterAction(a).guestAction!))
    .map((a): Button => ({ label: classifyClusterAction(a).tier === 'red' ? `${capitalise(a)} ⚠` : capitalise(a), data: `cl:a:${a}:${g.vmid}` }));
  const rows: Button[][] = [];
  for (let i = 0; i < buttons.length; i += 3) rows.push(buttons.slice(i, i + 3));
  rows.push([refresh, { label: g.node, data: `cl:n:${g.node}` }]);
  return rows;
}

export function guestDetailCard(d: GuestDetail, role: Role): Outbound {
  const status = d.status?.qmpstatus === 'paused' ? 'paused' : (d.status?.status ?? d.guest.status);
  return { text: guestCard(d.guest, d.status), buttons: guestButtons(d.guest, status, role) };
}

export function nodeCard(n: NodeResource, status: NodeStatus | undefined, guests: readonly GuestResource[], role: Role): Outbound {
  const text: Span[] = [bold(`Node ${n.node}`), plain(`\n${nodeLine(n)}`)];
  if (status) {
    if (status.loadavg?.length) text.push(plain(`\nLoad ${status.loadavg.map((l) => l.toFixed(2)).join(' ')}`));
    if (status.pveversion) text.push(plain(` · ${status.pveversion}`));
    if (status.uptime !== undefined) text.push(plain(` · up ${uptime(status.uptime)}`));
  }
  text.push(plain(guests.length ? `\n${guests.map((g) => `${guestLabel(g.type, g.vmid, g.name)}: ${g.template ? 'template' : g.status}`).join('\n')}` : '\nNo guests on this node.'));
  const rows: Button[][] = [];
  const guestButtons = guests.filter((g) => !g.template).slice(0, 12).map((g): Button => ({ label: String(g.vmid), data: `cl:g:${g.vmid}` }));
  for (let i = 0; i < guestButtons.length; i += 4) rows.push(guestButtons.slice(i, i + 4));
  if (role === 'admin' && n.status === 'online') rows.push([{ label: 'Reboot node ⚠', data: `cl:na:reboot:${n.node}` }, { label: 'Shut down node ⚠', data: `cl:na:shutdown:${n.node}` }]);
  rows.push([{ label: 'Refresh', data: `cl:n:${n.node}` }, { label: 'Cluster', data: 'cl:o' }]);
  return { text, buttons: rows };
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
