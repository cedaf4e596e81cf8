/**
 * How dangerous a cluster command is, and who may run it. Pure data and functions: handlers ask
 * `classifyClusterAction(word)` and `tierAllows(tier, role)` before calling the service, the
 * service re-checks. docs/cluster.md's tier table was written from CLUSTER_ACTIONS and TIER_POLICY:
 * change both together.
 *
 * Default deny: a word that is not in the table is BLACK (`known: false`), never "probably a read".
 * A handler may phrase that as "unknown command", but it must not run anything for it. New verbs
 * get a row here first, with a deliberate tier.
 */
import type { Role } from '../access/roles.js';
import type { GuestAction, NodeAction } from './proxmox.js';

export type Tier = 'green' | 'yellow' | 'red' | 'black';

/** What a command acts on: the whole cluster view, one VM/CT, one node, or users and ACLs. */
export type ClusterTarget = 'cluster' | 'guest' | 'node' | 'access';

export interface TierPolicy {
  /** Roles that may run a command of this tier. */
  roles: readonly Role[];
  /** An admin must press a confirmation button (with a TTL) before it is sent. */
  confirm: boolean;
  meaning: string;
}

export const TIER_POLICY: Readonly<Record<Tier, TierPolicy>> = {
  green: { roles: ['user', 'admin'], confirm: false, meaning: 'Reads only: nothing on the cluster changes.' },
  yellow: { roles: ['admin'], confirm: false, meaning: 'Graceful power actions that a guest recovers from by itself.' },
  red: {
    roles: ['admin'],
    confirm: true,
    meaning: 'A pulled plug (data loss risk) or a whole node, which takes every guest on it along.',
  },
  black: {
    roles: [],
    confirm: false,
    meaning: 'Never from chat: destroys data, opens a shell, moves guests, changes users or ACLs, or is not a known word.',
  },
};

export interface ClusterActionSpec {
  /** Canonical name, e.g. 'status', 'start', 'node reboot'. */
  action: string;
  /** What a person may type for it: lower case, single spaces, the first one is the one to document. */
  words: readonly string[];
  tier: Tier;
  target: ClusterTarget;
  /** The Proxmox guest power action it maps to (POST /nodes/{node}/{qemu|lxc}/{vmid}/status/{action}). */
  guestAction?: GuestAction;
  /** The Proxmox node command it maps to (POST /nodes/{node}/status command=...). */
  nodeAction?: NodeAction;
  /** Proxmox privilege the API token needs for it, when Jarvis offers it. */
  privilege?: string;
  summary: string;
}

/** Every word Jarvis knows for the cluster, by tier. The table docs/commands.md is generated from. */
export const CLUSTER_ACTIONS: readonly ClusterActionSpec[] = [
  // GREEN: reads.
  { action: 'status', words: ['status', 'state', 'health'], tier: 'green', target: 'cluster', privilege: 'Sys.Audit, VM.Audit', summary: 'Nodes and guests with CPU, memory, disk and uptime.' },
  { action: 'list', words: ['list', 'ls', 'vms', 'guests', 'nodes'], tier: 'green', target: 'cluster', privilege: 'VM.Audit', summary: 'List nodes, VMs and containers.' },
  { action: 'show', words: ['show', 'info', 'details'], tier: 'green', target: 'guest', privilege: 'VM.Audit', summary: 'One guest or node in detail.' },
  { action: 'storage', words: ['storage', 'storages'], tier: 'green', target: 'cluster', privilege: 'Datastore.Audit', summary: 'Storage use per node.' },

  // YELLOW: graceful power actions on one guest.
  { action: 'start', words: ['start', 'power on'], tier: 'yellow', target: 'guest', guestAction: 'start', privilege: 'VM.PowerMgmt', summary: 'Start a stopped guest.' },
  { action: 'shutdown', words: ['shutdown', 'shut down'], tier: 'yellow', target: 'guest', guestAction: 'shutdown', privilege: 'VM.PowerMgmt', summary: 'Ask the guest OS to shut down cleanly (ACPI / init).' },
  { action: 'reboot', words: ['reboot', 'restart'], tier: 'yellow', target: 'guest', guestAction: 'reboot', privilege: 'VM.PowerMgmt', summary: 'Clean shutdown, then start again (applies pending changes).' },
  { action: 'suspend', words: ['suspend', 'pause'], tier: 'yellow', target: 'guest', guestAction: 'suspend', privilege: 'VM.PowerMgmt', summary: 'Pause a running VM in memory (VMs only).' },
  { action: 'resume', words: ['resume', 'unpause', 'unsuspend'], tier: 'yellow', target: 'guest', guestAction: 'resume', privilege: 'VM.PowerMgmt', summary: 'Resume a paused VM (VMs only).' },

  // RED: a pulled plug, or a whole node. Admin plus a confirmation button.
  { action: 'stop', words: ['stop', 'force stop', 'hard stop'], tier: 'red', target: 'guest', guestAction: 'stop', privilege: 'VM.PowerMgmt', summary: 'Pull the plug: the guest stops at once, unsaved data is lost.' },
  { action: 'reset', words: ['reset', 'hard reset'], tier: 'red', target: 'guest', guestAction: 'reset', privilege: 'VM.PowerMgmt', summary: 'Press the reset button: an instant reboot without shutdown (VMs only).' },
  { action: 'node reboot', words: ['node reboot', 'reboot node', 'host reboot', 'reboot host'], tier: 'red', target: 'node', nodeAction: 'reboot', privilege: 'Sys.PowerMgmt', summary: 'Reboot a whole node, and every guest on it with it.' },
  { action: 'node shutdown', words: ['node shutdown', 'shutdown node', 'node shut down', 'shut down node', 'host shutdown', 'shutdown host'], tier: 'red', target: 'node', nodeAction: 'shutdown', privilege: 'Sys.PowerMgmt', summary: 'Power a whole node off; someone must switch it on again by hand.' },

  // BLACK: known, and refused for everyone.
  { action: 'destroy', words: ['destroy', 'delete', 'remove', 'rm', 'purge', 'wipe'], tier: 'black', target: 'guest', summary: 'Deleting a guest or its disks is never done from chat.' },
  { action: 'shell', words: ['shell', 'exec', 'console', 'terminal', 'ssh', 'vnc', 'spice', 'termproxy', 'run'], tier: 'black', target: 'guest', summary: 'No remote shells or commands inside guests or on nodes.' },
  { action: 'migrate', words: ['migrate', 'move'], tier: 'black', target: 'guest', summary: 'Moving guests between nodes is left to the Proxmox UI.' },
  { action: 'create', words: ['create', 'clone', 'restore', 'template', 'import'], tier: 'black', target: 'guest', summary: 'Guests are not created or restored from chat.' },
  { action: 'config write', words: ['config set', 'config edit', 'config write', 'set', 'edit', 'resize'], tier: 'black', target: 'guest', summary: 'Configuration is read-only from chat.' },
  { action: 'snapshot', words: ['snapshot', 'rollback', 'backup', 'vzdump'], tier: 'black', target: 'guest', summary: 'Snapshots, rollbacks and backups are not offered from chat.' },
  { action: 'access', words: ['acl', 'acls', 'user', 'users', 'token', 'tokens', 'permission', 'permissions', 'role', 'roles', 'group', 'groups', 'password', 'passwd', 'realm'], tier: 'black', target: 'access', summary: 'Users, tokens, roles and ACLs never change from chat.' },
  { action: 'network', words: ['network', 'firewall', 'sdn'], tier: 'black', target: 'node', summary: 'Network and firewall changes are not offered from chat.' },
  { action: 'node upgrade', words: ['upgrade', 'update', 'apt', 'node upgrade', 'node update'], tier: 'black', target: 'node', summary: 'Package upgrades on nodes are not offered from chat.' },
];

export interface ClusterActionClass {
  /** The input, normalised: lower case, single spaces, no leading '/' or trailing punctuation. */
  input: string;
  /** Canonical action name, or `input` when the word is unknown. */
  action: string;
  tier: Tier;
  /** False for words not in CLUSTER_ACTIONS: still BLACK, a handler may say "unknown command". */
  known: boolean;
  target?: ClusterTarget;
  /** RED: an admin must confirm before it is sent. */
  needsConfirmation: boolean;
  guestAction?: GuestAction;
  nodeAction?: NodeAction;
  summary: string;
}

const BY_WORD: ReadonlyMap<string, ClusterActionSpec> = (() => {
  const map = new Map<string, ClusterActionSpec>();
  for (const spec of CLUSTER_ACTIONS) {
    for (const word of spec.words) {
      if (map.has(word)) throw new Error(`cluster tiers: '${word}' is listed twice`);
      map.set(word, spec);
    }
  }
  return map;
})();

/** Lower case, '-' and '_' as spaces, single spaces, no leading '/' (a command prefix) or trailing '.!?'. */
export function normaliseActionWord(raw: string): string {
  return raw
    .toLowerCase()
    .replace(/^\s*\/+/, '')
    .replace(/[-_]+/g, ' ')
    .replace(/[.!?]+\s*$/, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Classifies the verb of a cluster command, e.g. 'start', 'node reboot', 'config'. Pass the verb
 * phrase only, without its target ('start', not 'start 101'). Unknown words are BLACK.
 */
export function classifyClusterAction(raw: string): ClusterActionClass {
  const input = normaliseActionWord(raw);
  const spec = BY_WORD.get(input);
  if (!spec) {
    return {
      input,
      action: input,
      tier: 'black',
      known: false,
      needsConfirmation: false,
      summary: 'Not a cluster command Jarvis knows, so it is refused.',
    };
  }
  const result: ClusterActionClass = {
    input,
    action: spec.action,
    tier: spec.tier,
    known: true,
    target: spec.target,
    needsConfirmation: TIER_POLICY[spec.tier].confirm,
    summary: spec.summary,
  };
  if (spec.guestAction) result.guestAction = spec.guestAction;
  if (spec.nodeAction) result.nodeAction = spec.nodeAction;
  return result;
}

/**
 * Whether `role` may run a command of `tier`. GREEN: any allowed user (user or admin); YELLOW: admin;
 * RED: admin, and only after confirming (see `tierNeedsConfirmation`); BLACK: nobody. Strangers
 * never get anything.
 */
export function tierAllows(tier: Tier, role: Role): boolean {
  return TIER_POLICY[tier].roles.includes(role);
}

export function tierNeedsConfirmation(tier: Tier): boolean {
  return TIER_POLICY[tier].confirm;
}
