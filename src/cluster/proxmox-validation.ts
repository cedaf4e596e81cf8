/**
 * What Jarvis accepts before it asks Proxmox anything: which power actions a guest type has, what
 * a node name, a VM id, a task id (UPID) and a certificate fingerprint look like. Plain checks
 * with no I/O, shared by the client, the handlers and the fake.
 */
import type { GuestAction, GuestKind, Upid } from './proxmox-types.js';

/**
 * Actions each guest type has in Jarvis. Containers have no reset in Proxmox. Their suspend and
 * resume exist but are marked experimental (CRIU, often fails and can leave the CT frozen), so
 * Jarvis does not offer them.
 */
export const GUEST_ACTIONS: Readonly<Record<GuestKind, readonly GuestAction[]>> = {
  qemu: ['start', 'shutdown', 'reboot', 'suspend', 'resume', 'stop', 'reset'],
  lxc: ['start', 'shutdown', 'reboot', 'stop'],
};

export function guestActionSupported(kind: GuestKind, action: GuestAction): boolean {
  return GUEST_ACTIONS[kind].includes(action);
}

export const NODE_NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9.-]*$/;
export const VMID_MIN = 100;
export const VMID_MAX = 999_999_999;

export function isValidNodeName(node: string): boolean {
  return node.length <= 253 && NODE_NAME_RE.test(node);
}

export function isValidVmid(vmid: number): boolean {
  return Number.isInteger(vmid) && vmid >= VMID_MIN && vmid <= VMID_MAX;
}

/** PVE::UPID's own pattern; a power action's answer is checked against it too. */
export const UPID_RE =
  /^UPID:([a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?):([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8,9}):([0-9A-Fa-f]{8}):([^:\s/]+):([^:\s/]*):([^:\s/]+):$/;

/** Parses a UPID the way PVE::UPID does; undefined when it is not one. */
export function parseUpid(upid: string): Upid | undefined {
  const m = UPID_RE.exec(upid);
  if (!m) return undefined;
  return {
    node: m[1]!,
    pid: parseInt(m[2]!, 16),
    pstart: parseInt(m[3]!, 16),
    starttime: parseInt(m[4]!, 16),
    type: m[5]!,
    id: m[6]!,
    user: m[7]!,
  };
}

/** 'ab:cd:…' / 'ABCD…' → 'AB:CD:…' (the form Node's fingerprint256 has); undefined unless 64 hex digits. */
export function normaliseFingerprint(fingerprint: string): string | undefined {
  const hex = fingerprint.replace(/[\s:]/g, '').toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) return undefined;
  return hex.replace(/(..)(?!$)/g, '$1:');
}
