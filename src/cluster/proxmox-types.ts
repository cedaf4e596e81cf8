/**
 * What the Proxmox client takes and returns, apart from the client itself, so a handler, a job or
 * the fake can name these shapes without pulling in node:http and zod.
 */
import type { Clock } from '../core/clock.js';
import type { ClusterError } from './errors.js';

export type GuestKind = 'qemu' | 'lxc';
export type GuestAction = 'start' | 'shutdown' | 'reboot' | 'suspend' | 'resume' | 'stop' | 'reset';
export type NodeAction = 'reboot' | 'shutdown';
export type ResourceType = 'node' | 'vm' | 'storage';

export type NodeState = 'online' | 'offline' | 'unknown';
/** 'paused' is a VM suspended in memory (QMP status); 'unknown' covers a guest on an offline node. */
export type GuestState = 'running' | 'stopped' | 'paused' | 'unknown';

/**
 * The figures /cluster/resources and /nodes report for a node or a guest. Each is left out when
 * the node is offline or the token lacks the audit privilege to see it.
 */
export interface ResourceFigures {
  /** CPU use as a fraction of `maxcpu` cores (0.25 = 25 %). */
  cpu?: number;
  maxcpu?: number;
  /** Bytes. */
  mem?: number;
  maxmem?: number;
  disk?: number;
  maxdisk?: number;
  /** Seconds. */
  uptime?: number;
}

/** One `type: node` row of /cluster/resources. Offline nodes omit most figures. */
export interface NodeResource extends ResourceFigures {
  type: 'node';
  id?: string;
  node: string;
  status: NodeState;
  /** Subscription level ('', 'c', 'b', 's', 'p'). */
  level?: string;
}

/** One `type: qemu | lxc` row of /cluster/resources. */
export interface GuestResource extends ResourceFigures {
  type: GuestKind;
  id?: string;
  vmid: number;
  name?: string;
  node: string;
  status: GuestState;
  template: boolean;
  /** 'backup', 'migrate', 'snapshot', 'rollback', 'clone', 'create', ... when the guest is locked. */
  lock?: string;
  /** HA state ('started', 'stopped', ...) when HA manages the guest. */
  hastate?: string;
  pool?: string;
  tags: string[];
}

/** One `type: storage` row of /cluster/resources (one per storage per node). */
export interface StorageResource {
  type: 'storage';
  id?: string;
  storage: string;
  node: string;
  /** 'available' or 'unknown' on current versions. */
  status?: string;
  disk?: number;
  maxdisk?: number;
  shared: boolean;
  content: string[];
  plugintype?: string;
}

export interface ResourceByType {
  node: NodeResource;
  vm: GuestResource;
  storage: StorageResource;
}

/** One row of GET /nodes. Without Sys.Audit on the node, Proxmox leaves the figures out. */
export interface NodeSummary extends ResourceFigures {
  node: string;
  status: NodeState;
  level?: string;
}

/** GET /nodes/{node}/status (needs Sys.Audit). */
export interface NodeStatus {
  uptime?: number;
  /** Fraction of all cores. */
  cpu?: number;
  /** IO wait fraction. */
  wait?: number;
  /** 1, 5 and 15 minute load averages. */
  loadavg?: number[];
  memory?: { total?: number; used?: number; free?: number };
  swap?: { total?: number; used?: number; free?: number };
  rootfs?: { total?: number; used?: number; avail?: number; free?: number };
  cpuinfo?: { cpus?: number; cores?: number; sockets?: number; model?: string };
  pveversion?: string;
  kversion?: string;
}

/** GET /nodes/{node}/{qemu|lxc}/{vmid}/status/current (needs VM.Audit). */
export interface GuestStatus {
  vmid: number;
  name?: string;
  status: GuestState;
  /** QEMU's own view ('running', 'paused', 'prelaunch', ...); VMs only. */
  qmpstatus?: string;
  lock?: string;
  uptime?: number;
  cpu?: number;
  cpus?: number;
  mem?: number;
  maxmem?: number;
  disk?: number;
  maxdisk?: number;
  template: boolean;
  haManaged: boolean;
  tags: string[];
}

/** GET /nodes/{node}/tasks/{upid}/status. */
export interface TaskStatus {
  upid: string;
  node?: string;
  status: 'running' | 'stopped';
  /** Set once stopped: 'OK', 'WARNINGS: n', or the error text ("VM is locked (backup)"). */
  exitstatus?: string;
  /** Task type, e.g. 'qmstart', 'vzshutdown'. */
  type?: string;
  /** Usually the vmid, as a string. */
  id?: string;
  user?: string;
  starttime?: number;
  pid?: number;
}

/**
 * What a finished task means. 'warnings' counts as success (Proxmox does the same); 'busy' and
 * 'not_found' are recognised from the exit text; everything else is 'failed'.
 */
export type TaskOutcome = 'ok' | 'warnings' | 'busy' | 'not_found' | 'failed';

export type TaskWaitResult =
  | { done: true; ok: true; outcome: 'ok' | 'warnings'; exitstatus: string }
  | { done: true; ok: false; outcome: 'busy' | 'not_found' | 'failed'; exitstatus: string; error: ClusterError }
  /** Still running when `timeoutMs` ran out; `last` is the last status read. */
  | { done: false; last: TaskStatus };

export interface ProxmoxVersion {
  version: string;
  release?: string;
  repoid?: string;
}

/** The parts of a UPID, "UPID:node:PID:PSTART:STARTTIME:type:id:user:" (hex numbers). */
export interface Upid {
  node: string;
  pid: number;
  pstart: number;
  starttime: number;
  type: string;
  id: string;
  user: string;
}

export interface ProxmoxClientOptions {
  /** e.g. https://pve.lan:8006, with or without /api2/json. http:// is allowed (tests, a TLS-terminating proxy). */
  baseUrl: string;
  /** 'user@realm!tokenname'. */
  tokenId: string;
  tokenSecret: string;
  /** PEM of the CA that signed the host's certificate; normal verification against it. */
  ca?: string | Buffer;
  /** SHA-256 fingerprint of the host's own certificate ('AB:CD:...', case and colons free). With it,
   *  a self-signed certificate is accepted when (and only when) it is exactly that certificate. */
  fingerprint?: string;
  /** Per attempt: connect, TLS, request and the whole body. */
  timeoutMs: number;
  /** Extra attempts for GETs after a network error, timeout or 502/503/504 (default 2). POSTs: never. */
  retries?: number;
  /** First backoff before jitter; doubles each retry, capped at 5 s (default 300 ms). */
  backoffMs?: number;
  /** Waits between attempts and task polls; tests inject a fast one. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** In [0, 1); jitter source. */
  random?: () => number;
  /** For waitForTask deadlines. */
  clock?: Clock;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface GuestActionOptions extends CallOptions {
  /** Proxmox's own `timeout` (seconds) for shutdown and reboot; ignored for other actions. */
  timeoutSeconds?: number;
}

export interface WaitForTaskOptions {
  /** Give up waiting (not the task) after this long: the result is `{ done: false }`. */
  timeoutMs: number;
  /** Between polls (default 1 s). */
  pollMs?: number;
  signal?: AbortSignal;
}

/** What a call is about, so an error can say "VM 101 was not found on node pve". */
export interface CallTarget {
  what: 'cluster' | 'node' | 'guest' | 'task';
  node?: string;
  kind?: GuestKind;
  vmid?: number;
}

