import { bold, plain, type Span } from '../core/message.js';
import { formatBytes, formatDuration } from '../core/render.js';
import type { GuestKind, GuestResource, GuestStatus, NodeResource } from './proxmox.js';

/** How cluster figures read in chat: sizes in GiB/TiB, percentages, uptimes, guest names. */

const KIND_LABEL: Record<GuestKind, string> = { qemu: 'VM', lxc: 'CT' };

export function kindLabel(kind: GuestKind): string {
  return KIND_LABEL[kind];
}

/** "VM 101 (db)" or "CT 200". */
export function guestLabel(kind: GuestKind, vmid: number, name?: string | null): string {
  return `${KIND_LABEL[kind]} ${vmid}${name ? ` (${name})` : ''}`;
}

/** Sizes as the rest of Jarvis shows them; '?' when Proxmox left the figure out. */
export function bytes(n: number | undefined): string {
  return n === undefined ? '?' : formatBytes(n);
}

export function percent(used: number | undefined, max: number | undefined): string {
  if (used === undefined || max === undefined || max <= 0) return '?';
  return `${Math.round((used / max) * 100)}%`;
}

export function uptime(seconds: number | undefined): string {
  return seconds === undefined || seconds <= 0 ? '-' : formatDuration(seconds * 1000);
}

/** A sentence continued after a colon: "The host…" -> "the host…". */
export function afterColon(sentence: string): string {
  // Only ordinary sentence openers lose their capital; names (Proxmox, VM 101) keep it.
  return /^(The|A|An|This|That|There|It|No|Only|Some|Jarvis could)\b/.test(sentence) ? sentence.charAt(0).toLowerCase() + sentence.slice(1) : sentence;
}

function cpu(c: number | undefined): string {
  return c === undefined ? '?' : `${Math.round(c * 100)}%`;
}

/** One line per node: status, CPU, memory, disk, uptime. */
export function nodeLine(n: NodeResource): string {
  if (n.status !== 'online') return `${n.node}: ${n.status.toUpperCase()}`;
  if (n.maxmem === undefined) return `${n.node}: online (figures hidden: the token lacks Sys.Audit)`;
  return `${n.node}: online · CPU ${cpu(n.cpu)} of ${n.maxcpu ?? '?'} · mem ${percent(n.mem, n.maxmem)} of ${bytes(n.maxmem)} · disk ${percent(n.disk, n.maxdisk)} of ${bytes(n.maxdisk)} · up ${uptime(n.uptime)}`;
}

export interface GuestCounts {
  vmRunning: number;
  vmStopped: number;
  ctRunning: number;
  ctStopped: number;
  /** On an offline node: neither running nor stopped as far as anyone can tell. */
  unknown: number;
}

export function countGuests(guests: readonly GuestResource[]): GuestCounts {
  const c: GuestCounts = { vmRunning: 0, vmStopped: 0, ctRunning: 0, ctStopped: 0, unknown: 0 };
  for (const g of guests) {
    if (g.template) continue;
    if (g.status === 'unknown') {
      c.unknown++;
      continue;
    }
    const running = g.status === 'running' || g.status === 'paused';
    if (g.type === 'qemu') running ? c.vmRunning++ : c.vmStopped++;
    else running ? c.ctRunning++ : c.ctStopped++;
  }
  return c;
}

const STATE_MARK: Record<GuestResource['status'], string> = { running: 'running', stopped: 'stopped', paused: 'paused', unknown: 'unknown' };

/** One line per guest in a list. */
export function guestLine(g: GuestResource): string {
  const head = `${g.vmid} ${g.name ?? '-'} · ${g.node} · ${g.template ? 'template' : STATE_MARK[g.status]}`;
  const lock = g.lock ? ` · locked (${g.lock})` : '';
  if (g.status !== 'running') return head + lock;
  return `${head} · CPU ${cpu(g.cpu)} · mem ${bytes(g.mem)}/${bytes(g.maxmem)} · up ${uptime(g.uptime)}${lock}`;
}

/** The detail card of one guest. */
export function guestCard(g: GuestResource, s: GuestStatus | undefined): Span[] {
  const status = s?.qmpstatus === 'paused' ? 'paused' : (s?.status ?? g.status);
  const spans: Span[] = [bold(guestLabel(g.type, g.vmid, g.name)), plain(` on ${g.node} · ${g.template ? 'template' : status}`)];
  const lock = s?.lock ?? g.lock;
  if (lock) spans.push(plain(` · locked (${lock})`));
  const maxcpu = s?.cpus ?? g.maxcpu;
  spans.push(plain(`\nCPU ${cpu(s?.cpu ?? g.cpu)} of ${maxcpu ?? '?'} · memory ${bytes(s?.mem ?? g.mem)} of ${bytes(s?.maxmem ?? g.maxmem)}`));
  spans.push(plain(`\nDisk ${bytes(s?.maxdisk ?? g.maxdisk)}${g.type === 'lxc' ? ` (${percent(s?.disk ?? g.disk, s?.maxdisk ?? g.maxdisk)} used)` : ''} · up ${uptime(s?.uptime ?? g.uptime)}`));
  if (s?.haManaged || g.hastate) spans.push(plain('\nManaged by HA'));
  const tags = s?.tags.length ? s.tags : g.tags;
  if (tags.length) spans.push(plain(`\nTags: ${tags.join(', ')}`));
  return spans;
}
