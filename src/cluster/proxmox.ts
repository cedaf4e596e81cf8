/**
 * A small client for the Proxmox VE API (`/api2/json`), authenticated with an API token.
 *
 * Why node:http/node:tls and not fetch: a Proxmox host usually has a self-signed certificate, and
 * the safe answers to that (a CA file, or a pinned SHA-256 fingerprint of the host's own certificate)
 * need TLS options fetch does not take. The client opens the TLS connection itself, checks the
 * certificate, and only then writes the request that carries the token, so the token never reaches
 * a host that failed verification. One connection per request; no keep-alive, no shared agent.
 *
 * Policy, in the house style (see src/trading/http-json.ts):
 * - every attempt has a timeout covering connect, TLS handshake, request and body;
 * - GETs are retried after a network error, a timeout or 502/503/504, with backoff and jitter;
 *   POSTs (power actions) never are, since a lost answer may hide an action that did happen;
 * - every answer is `{ data }`, checked with zod;
 * - failures become ClusterError with a kind and one sentence for a person (errors.ts), and never
 *   carry the URL, the token or a header.
 *
 * Proxmox habits this file copes with: errors come as HTTP status + reason phrase, and since PVE 7
 * also as `{"data":null,"message":"...\n"}`; most application errors are 500 with a reason ("VM is
 * locked (backup)", "Configuration file 'nodes/pve/qemu-server/999.conf' does not exist"); a node
 * that is down behind the API host answers 595 ("No route to host"); numbers sometimes arrive as
 * strings; booleans as 0/1; power actions return a task id (UPID) at once and the real outcome only
 * shows in the task's exit status, which is where most lock errors surface.
 */
import { STATUS_CODES, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { connect as tlsConnect } from 'node:tls';
import { gunzipSync } from 'node:zlib';
import { z } from 'zod';
import type { Clock } from '../core/clock.js';
import { ClusterError } from './errors.js';

// ---------------------------------------------------------------------------------------------
// Types

export type GuestKind = 'qemu' | 'lxc';
export type GuestAction = 'start' | 'shutdown' | 'reboot' | 'suspend' | 'resume' | 'stop' | 'reset';
export type NodeAction = 'reboot' | 'shutdown';
export type ResourceType = 'node' | 'vm' | 'storage';

export type NodeState = 'online' | 'offline' | 'unknown';
/** 'paused' is a VM suspended in memory (QMP status); 'unknown' covers a guest on an offline node. */
export type GuestState = 'running' | 'stopped' | 'paused' | 'unknown';

/** One `type: node` row of /cluster/resources. Offline nodes omit most figures. */
export interface NodeResource {
  type: 'node';
  id?: string;
  node: string;
  status: NodeState;
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
  /** Subscription level ('', 'c', 'b', 's', 'p'). */
  level?: string;
}

/** One `type: qemu | lxc` row of /cluster/resources. */
export interface GuestResource {
  type: GuestKind;
  id?: string;
  vmid: number;
  name?: string;
  node: string;
  status: GuestState;
  cpu?: number;
  maxcpu?: number;
  mem?: number;
  maxmem?: number;
  disk?: number;
  maxdisk?: number;
  uptime?: number;
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
export interface NodeSummary {
  node: string;
  status: NodeState;
  cpu?: number;
  maxcpu?: number;
  mem?: number;
  maxmem?: number;
  disk?: number;
  maxdisk?: number;
  uptime?: number;
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

// ---------------------------------------------------------------------------------------------
// Validation helpers (exported: handlers and the fake share them)

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

const UPID_RE =
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

const BUSY_RES = [/\b(?:VM|CT) is locked\b/i, /can't lock file/i, /\bcfs-lock\b.*\berror\b/i, /\bgot (?:lock request )?timeout\b/i];
const NOT_FOUND_RES = [
  /does not exist/i,
  /unable to find configuration file/i,
  /\bno such (?:vm|ct|machine|container|node|cluster node|task)\b/i,
  /hostname lookup '[^']*' failed/i,
  /unable to get remote IP address for node/i,
];
const NODE_MISSING_RES = [/hostname lookup '[^']*' failed/i, /no such (?:cluster )?node/i, /unable to get remote IP address for node/i];

/** Reads a task's exit status. */
export function classifyTaskExit(exitstatus: string): TaskOutcome {
  if (exitstatus === 'OK') return 'ok';
  if (/^WARNINGS: \d+$/.test(exitstatus)) return 'warnings';
  if (BUSY_RES.some((re) => re.test(exitstatus))) return 'busy';
  if (NOT_FOUND_RES.some((re) => re.test(exitstatus))) return 'not_found';
  return 'failed';
}

// ---------------------------------------------------------------------------------------------
// Response schemas

const numberLike = z.union([
  z.number(),
  z
    .string()
    .trim()
    .regex(/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/)
    .transform(Number),
]);
/** Proxmox numbers: sometimes strings, sometimes null, often absent. */
const optNum = numberLike.nullish().transform((v) => v ?? undefined);
const optStr = z.string().nullish().transform((v) => (v === null || v === undefined || v === '' ? undefined : v));
const flag = z
  .union([z.boolean(), numberLike])
  .nullish()
  .transform((v) => v === true || v === 1);
const tagList = z
  .string()
  .nullish()
  .transform((v) => (v ? v.split(/[;,\s]+/).filter((t) => t !== '') : []));

function nodeState(s: string | undefined): NodeState {
  return s === 'online' || s === 'offline' ? s : 'unknown';
}

function guestState(s: string | undefined): GuestState {
  if (s === 'running' || s === 'stopped') return s;
  if (s === 'paused' || s === 'suspended') return 'paused';
  return 'unknown';
}

const figures = {
  cpu: optNum,
  maxcpu: optNum,
  mem: optNum,
  maxmem: optNum,
  disk: optNum,
  maxdisk: optNum,
  uptime: optNum,
};

const nodeRow = z
  .object({ id: optStr, node: z.string().min(1), status: optStr, level: optStr, ...figures })
  .transform((r): NodeResource => strip({ type: 'node' as const, ...r, status: nodeState(r.status) }));

const guestRow = z
  .object({
    type: z.enum(['qemu', 'lxc']),
    id: optStr,
    vmid: numberLike.pipe(z.number().int()),
    name: optStr,
    node: z.string().min(1),
    status: optStr,
    template: flag,
    lock: optStr,
    hastate: optStr,
    pool: optStr,
    tags: tagList,
    ...figures,
  })
  .transform((r): GuestResource => strip({ ...r, status: guestState(r.status) }));

const storageRow = z
  .object({
    id: optStr,
    storage: z.string().min(1),
    node: z.string().min(1),
    status: optStr,
    disk: optNum,
    maxdisk: optNum,
    shared: flag,
    content: z
      .string()
      .nullish()
      .transform((v) => (v ? v.split(',').filter((c) => c !== '') : [])),
    plugintype: optStr,
  })
  .transform((r): StorageResource => strip({ type: 'storage' as const, ...r }));

const nodeSummaryRow = z
  .object({ node: z.string().min(1), status: optStr, level: optStr, ...figures })
  .transform((r): NodeSummary => strip({ ...r, status: nodeState(r.status) }));

const usage = z
  .object({ total: optNum, used: optNum, free: optNum, avail: optNum })
  .partial()
  .transform((u) => strip(u));

const nodeStatusSchema = z
  .object({
    uptime: optNum,
    cpu: optNum,
    wait: optNum,
    loadavg: z.array(numberLike).nullish(),
    memory: usage.nullish(),
    swap: usage.nullish(),
    rootfs: usage.nullish(),
    cpuinfo: z
      .object({ cpus: optNum, cores: optNum, sockets: optNum, model: optStr })
      .nullish()
      .transform((c) => (c ? strip(c) : undefined)),
    pveversion: optStr,
    kversion: optStr,
  })
  .transform((s): NodeStatus => strip({ ...s, loadavg: s.loadavg ?? undefined, memory: s.memory ?? undefined, swap: s.swap ?? undefined, rootfs: s.rootfs ?? undefined }));

const guestStatusSchema = z
  .object({
    vmid: numberLike.pipe(z.number().int()),
    name: optStr,
    status: optStr,
    qmpstatus: optStr,
    lock: optStr,
    uptime: optNum,
    cpu: optNum,
    cpus: optNum,
    mem: optNum,
    maxmem: optNum,
    disk: optNum,
    maxdisk: optNum,
    template: flag,
    ha: z.object({ managed: flag }).partial().nullish(),
    tags: tagList,
  })
  .transform((s): GuestStatus => {
    const { ha, ...rest } = s;
    const status = s.qmpstatus === 'paused' || s.qmpstatus === 'suspended' ? 'paused' : guestState(s.status);
    return strip({ ...rest, status, haManaged: ha?.managed === true });
  });

const taskStatusSchema = z
  .object({
    upid: z.string().min(1),
    node: optStr,
    status: z.enum(['running', 'stopped']),
    exitstatus: optStr,
    type: optStr,
    id: optStr,
    user: optStr,
    starttime: optNum,
    pid: optNum,
  })
  .transform((t): TaskStatus => strip(t));

const versionSchema = z
  .object({ version: z.string().min(1), release: optStr, repoid: optStr })
  .transform((v): ProxmoxVersion => strip(v));

const upidSchema = z.string().regex(UPID_RE);

const permissionsSchema = z.record(z.string(), z.record(z.string(), z.union([z.boolean(), numberLike])));

const rowsSchema = z.array(z.record(z.string(), z.unknown()));

/** Drops keys whose value is undefined, so results compare cleanly and print without noise. */
function strip<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

// ---------------------------------------------------------------------------------------------
// The client

/** What a call is about, so an error can say "VM 101 was not found on node pve". */
export interface CallTarget {
  what: 'cluster' | 'node' | 'guest' | 'task';
  node?: string;
  kind?: GuestKind;
  vmid?: number;
}

type TlsReason = 'fingerprint' | 'untrusted' | 'hostname' | 'expired' | 'not_tls' | 'other';

type Attempt =
  | { kind: 'answer'; status: number; reason: string; body: Buffer; encoding?: string }
  | { kind: 'timeout' }
  | { kind: 'network'; code?: string }
  | { kind: 'tls'; reason: TlsReason; code?: string }
  | { kind: 'too_large' };

const RETRY_STATUSES = new Set([502, 503, 504]);
const MAX_BODY_BYTES = 32 * 1024 * 1024;
const MAX_BACKOFF_MS = 5_000;
/** Errors that mean no connection was made, so nothing was sent. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

const TLS_UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'CERT_CHAIN_TOO_LONG',
  'PATH_LENGTH_EXCEEDED',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
]);
const TLS_EXPIRED = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERROR_IN_CERT_NOT_BEFORE_FIELD', 'ERROR_IN_CERT_NOT_AFTER_FIELD']);
const TLS_HOSTNAME = new Set(['ERR_TLS_CERT_ALTNAME_INVALID', 'HOSTNAME_MISMATCH']);
const TLS_NOT_TLS = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_HTTP_REQUEST', 'ERR_SSL_UNKNOWN_PROTOCOL']);

export class ProxmoxClient {
  private readonly tls: boolean;
  /** Host to connect to (IPv6 without brackets). */
  private readonly connectHost: string;
  private readonly port: number;
  /** Value of the Host header. */
  private readonly hostHeader: string;
  /** e.g. '/api2/json' or '/pve/api2/json' behind a proxy. */
  private readonly prefix: string;
  // Hard-private: never shown by util.inspect, never serialised by a logger.
  readonly #authorization: string;
  readonly #secret: string;
  private readonly ca?: string | Buffer;
  private readonly fingerprint?: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  private readonly clock: Clock;

  /** Throws TypeError on a bad option; the message never contains the secret or the URL. */
  constructor(opts: ProxmoxClientOptions) {
    let url: URL;
    try {
      url = new URL(opts.baseUrl);
    } catch {
      throw new TypeError('Proxmox base URL is not a valid URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError('Proxmox base URL must start with https:// or http://');
    if (url.username || url.password) throw new TypeError('Proxmox base URL must not carry a user or password');
    if (url.search || url.hash) throw new TypeError('Proxmox base URL must not carry a query or fragment');
    this.tls = url.protocol === 'https:';
    this.connectHost = url.hostname.replace(/^\[(.*)\]$/, '$1');
    this.port = url.port ? Number(url.port) : this.tls ? 443 : 80;
    this.hostHeader = url.host;
    const path = url.pathname.replace(/\/+$/, '').replace(/\/api2\/json$/, '');
    this.prefix = `${path}/api2/json`;

    if (!/^[^\s:/!]+@[^\s@!:/]+![A-Za-z0-9][A-Za-z0-9._-]*$/.test(opts.tokenId)) {
      throw new TypeError("Proxmox token id must look like 'user@realm!tokenname'");
    }
    if (!/^[\x21-\x7e]+$/.test(opts.tokenSecret)) throw new TypeError('Proxmox token secret is empty or has spaces or control characters');
    this.#secret = opts.tokenSecret;
    this.#authorization = `PVEAPIToken=${opts.tokenId}=${opts.tokenSecret}`;

    if (opts.fingerprint !== undefined) {
      const fp = normaliseFingerprint(opts.fingerprint);
      if (!fp) throw new TypeError('Proxmox fingerprint must be a SHA-256 fingerprint: 64 hex digits, colons optional');
      this.fingerprint = fp;
    }
    if (opts.ca !== undefined) this.ca = opts.ca;
    if ((opts.ca !== undefined || opts.fingerprint !== undefined) && !this.tls) {
      throw new TypeError('A Proxmox CA or fingerprint needs an https:// base URL');
    }
    if (!(opts.timeoutMs > 0)) throw new TypeError('Proxmox timeoutMs must be positive');
    this.timeoutMs = opts.timeoutMs;
    this.retries = Math.max(0, Math.floor(opts.retries ?? 2));
    this.backoffMs = opts.backoffMs ?? 300;
    this.sleep = opts.sleep ?? ((ms, signal) => delay(ms, undefined, signal ? { signal } : undefined));
    this.random = opts.random ?? Math.random;
    this.clock = opts.clock ?? { now: () => Date.now() };
  }

  /** GET /version: the cheapest authenticated call, for `doctor` and start-up checks. */
  async version(opts: CallOptions = {}): Promise<ProxmoxVersion> {
    const data = await this.call('GET', '/version', { target: { what: 'cluster' }, signal: opts.signal });
    return this.parse(versionSchema, data, 'version');
  }

  /**
   * GET /cluster/resources?type=…. Rows of other types (pools, SDN, old openvz) are skipped.
   * Nodes are always listed (figures only with Sys.Audit); guests only with VM.Audit and storage
   * only with Datastore.Audit, so a token without ACLs gets an empty guest list, not an error.
   */
  async resources<T extends ResourceType>(type: T, opts: CallOptions = {}): Promise<ResourceByType[T][]> {
    const data = await this.call('GET', '/cluster/resources', { query: { type }, target: { what: 'cluster' }, signal: opts.signal });
    const rows = this.parse(rowsSchema, data, 'cluster resources');
    const want = type === 'vm' ? ['qemu', 'lxc'] : [type];
    const schema = type === 'node' ? nodeRow : type === 'vm' ? guestRow : storageRow;
    const picked = rows.filter((r) => typeof r.type === 'string' && want.includes(r.type));
    return this.parse(z.array(schema), picked, 'cluster resources') as ResourceByType[T][];
  }

  /** GET /nodes. */
  async nodes(opts: CallOptions = {}): Promise<NodeSummary[]> {
    const data = await this.call('GET', '/nodes', { target: { what: 'cluster' }, signal: opts.signal });
    return this.parse(z.array(nodeSummaryRow), data, 'nodes');
  }

  /** GET /nodes/{node}/status. */
  async nodeStatus(node: string, opts: CallOptions = {}): Promise<NodeStatus> {
    this.checkNode(node);
    const data = await this.call('GET', `/nodes/${node}/status`, { target: { what: 'node', node }, signal: opts.signal });
    return this.parse(nodeStatusSchema, data, 'node status');
  }

  /** GET /nodes/{node}/{qemu|lxc}/{vmid}/status/current. A vmid that is not on that node is 'not_found'. */
  async guestStatus(node: string, kind: GuestKind, vmid: number, opts: CallOptions = {}): Promise<GuestStatus> {
    this.checkGuest(node, kind, vmid);
    const data = await this.call('GET', `/nodes/${node}/${kind}/${vmid}/status/current`, {
      target: { what: 'guest', node, kind, vmid },
      signal: opts.signal,
    });
    return this.parse(guestStatusSchema, data, 'guest status');
  }

  /**
   * POST /nodes/{node}/{qemu|lxc}/{vmid}/status/{action}; returns the task's UPID at once. Never
   * retried. Many refusals (a lock, "already running") only show in the task's exit status, so
   * follow with waitForTask. An action the guest type lacks (see GUEST_ACTIONS) is refused here.
   */
  async guestAction(node: string, kind: GuestKind, vmid: number, action: GuestAction, opts: GuestActionOptions = {}): Promise<string> {
    this.checkGuest(node, kind, vmid);
    if (!(GUEST_ACTIONS.qemu as readonly string[]).includes(action)) {
      throw new ClusterError('rejected', 'Jarvis does not know that power action.');
    }
    if (!guestActionSupported(kind, action)) {
      const why =
        action === 'reset'
          ? 'Containers have no reset in Proxmox; use reboot, or stop and then start.'
          : 'Jarvis does not suspend or resume containers: Proxmox marks that as experimental.';
      throw new ClusterError('rejected', why);
    }
    const form: Record<string, string> = {};
    if (opts.timeoutSeconds !== undefined && (action === 'shutdown' || action === 'reboot')) {
      if (!Number.isInteger(opts.timeoutSeconds) || opts.timeoutSeconds < 0) throw new ClusterError('rejected', 'The shutdown timeout must be a whole number of seconds.');
      form.timeout = String(opts.timeoutSeconds);
    }
    const data = await this.call('POST', `/nodes/${node}/${kind}/${vmid}/status/${action}`, {
      form,
      target: { what: 'guest', node, kind, vmid },
      signal: opts.signal,
    });
    return this.parse(upidSchema, data, 'power action');
  }

  /**
   * POST /nodes/{node}/status command=reboot|shutdown. Proxmox answers `null`, not a task: the node
   * goes down about 2 s later and then stops answering. Watch /cluster/resources for it to return.
   */
  async nodeAction(node: string, command: NodeAction, opts: CallOptions = {}): Promise<void> {
    this.checkNode(node);
    if (command !== 'reboot' && command !== 'shutdown') throw new ClusterError('rejected', 'A node can only be rebooted or shut down.');
    const data = await this.call('POST', `/nodes/${node}/status`, { form: { command }, target: { what: 'node', node }, signal: opts.signal });
    if (data !== null && data !== undefined && data !== '') throw this.badResponse('node action', 1);
  }

  /** GET /nodes/{node}/tasks/{upid}/status. */
  async taskStatus(node: string, upid: string, opts: CallOptions = {}): Promise<TaskStatus> {
    this.checkNode(node);
    if (!parseUpid(upid)) throw new ClusterError('rejected', 'That is not a Proxmox task id.');
    const data = await this.call('GET', `/nodes/${node}/tasks/${encodeURIComponent(upid)}/status`, {
      target: { what: 'task', node },
      signal: opts.signal,
    });
    return this.parse(taskStatusSchema, data, 'task status');
  }

  /**
   * Polls taskStatus until the task stops or `timeoutMs` runs out. A failed task comes back as
   * `ok: false` with a ClusterError ready to show (kind 'busy', 'not_found' or 'rejected'); errors
   * reading the status (after GET retries) are thrown. At most timeoutMs/pollMs + 1 polls.
   */
  async waitForTask(node: string, upid: string, opts: WaitForTaskOptions): Promise<TaskWaitResult> {
    const pollMs = Math.max(1, opts.pollMs ?? 1_000);
    const deadline = this.clock.now() + opts.timeoutMs;
    const maxPolls = Math.floor(opts.timeoutMs / pollMs) + 1;
    const target = targetOfUpid(upid, node);
    for (let poll = 1; ; poll++) {
      opts.signal?.throwIfAborted();
      const last = await this.taskStatus(node, upid, { signal: opts.signal });
      if (last.status === 'stopped') {
        const exitstatus = last.exitstatus ?? 'unexpected status';
        const outcome = classifyTaskExit(exitstatus);
        if (outcome === 'ok' || outcome === 'warnings') return { done: true, ok: true, outcome, exitstatus };
        return { done: true, ok: false, outcome, exitstatus, error: this.taskError(exitstatus, outcome, target) };
      }
      const left = deadline - this.clock.now();
      if (left <= 0 || poll >= maxPolls) return { done: false, last };
      await this.sleep(Math.min(pollMs, left), opts.signal);
    }
  }

  /**
   * GET /access/permissions: the token's effective privileges by ACL path, e.g.
   * { '/': ['VM.Audit'], '/vms/101': ['VM.Audit', 'VM.PowerMgmt'] }. Lets a caller tell "no VMs"
   * from "this token may not see any" (a privilege-separated token without ACLs sees nothing).
   */
  async permissions(opts: CallOptions = {}): Promise<Record<string, string[]>> {
    const data = await this.call('GET', '/access/permissions', { target: { what: 'cluster' }, signal: opts.signal });
    const raw = this.parse(permissionsSchema, data, 'permissions');
    const out: Record<string, string[]> = {};
    for (const [path, privs] of Object.entries(raw)) {
      out[path] = Object.entries(privs)
        .filter(([, v]) => v !== false)
        .map(([p]) => p)
        .sort();
    }
    return out;
  }

  /** Turns a failed task's exit text into the error a person should read. */
  taskError(exitstatus: string, outcome: TaskOutcome = classifyTaskExit(exitstatus), target: CallTarget = { what: 'task' }): ClusterError {
    const detail = this.scrub(exitstatus);
    if (outcome === 'busy') return new ClusterError('busy', busyMessage(detail, target), { detail });
    if (outcome === 'not_found') return new ClusterError('not_found', notFoundMessage(detail, target), { detail });
    const why = clause(detail) || 'no reason given';
    const who = label(target);
    return new ClusterError('rejected', who ? `${capitalise(who)}: the task failed (${why}).` : `The Proxmox task failed (${why}).`, { detail });
  }

  // -------------------------------------------------------------------------------------------
  // Wire

  private checkNode(node: string): void {
    if (typeof node !== 'string' || !isValidNodeName(node)) {
      throw new ClusterError('rejected', 'That is not a valid Proxmox node name.');
    }
  }

  private checkGuest(node: string, kind: GuestKind, vmid: number): void {
    this.checkNode(node);
    if (kind !== 'qemu' && kind !== 'lxc') throw new ClusterError('rejected', "A guest is either a VM ('qemu') or a container ('lxc').");
    if (!isValidVmid(vmid)) throw new ClusterError('rejected', `A VM id is a whole number from ${VMID_MIN} to ${VMID_MAX}.`);
  }

  private parse<S extends z.ZodType>(schema: S, data: unknown, what: string): z.output<S> {
    const r = schema.safeParse(data);
    if (!r.success) throw this.badResponse(what, r.error.issues.length);
    return r.data;
  }

  private badResponse(what: string, issues: number): ClusterError {
    return new ClusterError('bad_response', 'Proxmox sent an answer Jarvis could not read; try again later.', {
      cause: new Error(`${what}: unexpected shape (${issues} issue${issues === 1 ? '' : 's'})`),
    });
  }

  private async call(
    method: 'GET' | 'POST',
    path: string,
    opts: { query?: Record<string, string>; form?: Record<string, string>; target: CallTarget; signal?: AbortSignal | undefined },
  ): Promise<unknown> {
    const qs = opts.query ? `?${new URLSearchParams(opts.query).toString()}` : '';
    const fullPath = `${this.prefix}${path}${qs}`;
    const body = method === 'POST' ? new URLSearchParams(opts.form ?? {}).toString() : undefined;
    const attempts = method === 'GET' ? 1 + this.retries : 1;
    let last: Attempt = { kind: 'network' };
    let tries = 0;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      opts.signal?.throwIfAborted();
      if (attempt > 1) {
        const base = Math.min(MAX_BACKOFF_MS, this.backoffMs * 2 ** (attempt - 2));
        await this.sleep(Math.round(base * (0.5 + this.random())), opts.signal);
        opts.signal?.throwIfAborted();
      }
      tries = attempt;
      const result = await this.attempt(method, fullPath, body, opts.signal);
      if (result.kind === 'tls') throw this.tlsError(result);
      if (result.kind === 'too_large') throw this.badResponse('body', 1);
      if (result.kind === 'answer' && !RETRY_STATUSES.has(result.status)) return this.interpret(result, opts.target);
      last = result;
    }
    throw this.unreachable(last, tries, method);
  }

  /** One request on its own connection; the caller's abort rejects with its reason, never retried. */
  private attempt(method: 'GET' | 'POST', path: string, body: string | undefined, signal?: AbortSignal): Promise<Attempt> {
    return new Promise<Attempt>((resolve, reject) => {
      let settled = false;
      let socket: Socket | undefined;
      let req: ClientRequest | undefined;
      const settle = (then: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        req?.destroy();
        socket?.destroy();
        then();
      };
      const finish = (a: Attempt): void => settle(() => resolve(a));
      const onAbort = (): void => settle(() => reject(signal?.reason));
      const timer = setTimeout(() => finish({ kind: 'timeout' }), this.timeoutMs);
      if (signal?.aborted) {
        onAbort();
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });

      const headers: Record<string, string> = {
        host: this.hostHeader,
        authorization: this.#authorization,
        accept: 'application/json',
        'accept-encoding': 'identity',
        'user-agent': 'jarvis',
        connection: 'close',
      };
      if (body !== undefined) {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        headers['content-length'] = String(Buffer.byteLength(body));
      }

      // Only ever called with a socket whose certificate passed: this is where the token leaves.
      const send = (s: Socket): void => {
        if (settled) return;
        req = httpRequest({ method, path, headers, setHost: false, createConnection: () => s });
        req.on('error', (err) => finish(socketFailure(err)));
        req.on('response', (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_BODY_BYTES) finish({ kind: 'too_large' });
            else chunks.push(chunk);
          });
          res.on('error', (err) => finish(socketFailure(err)));
          res.on('aborted', () => finish({ kind: 'network', code: 'ECONNRESET' }));
          res.on('end', () => {
            const encoding = res.headers['content-encoding'];
            finish({
              kind: 'answer',
              status: res.statusCode ?? 0,
              reason: res.statusMessage ?? '',
              body: Buffer.concat(chunks),
              ...(typeof encoding === 'string' ? { encoding } : {}),
            });
          });
        });
        req.end(body);
      };

      if (!this.tls) {
        const s = netConnect({ host: this.connectHost, port: this.port });
        socket = s;
        s.on('error', (err) => finish(socketFailure(err)));
        send(s);
        return;
      }

      const s = tlsConnect({
        host: this.connectHost,
        port: this.port,
        ...(isIP(this.connectHost) ? {} : { servername: this.connectHost }),
        ...(this.ca !== undefined ? { ca: this.ca } : {}),
        // A pinned fingerprint replaces chain and name checks (unless a CA is given too): the
        // certificate must be exactly the pinned one, checked below before anything is written.
        rejectUnauthorized: this.fingerprint === undefined || this.ca !== undefined,
        ALPNProtocols: ['http/1.1'],
      });
      socket = s;
      // Stays attached for the socket's life: errors after the handshake reach the request too,
      // but one must never go unheard in the tick before http attaches its own listener.
      s.on('error', (err) => finish(socketFailure(err)));
      s.once('secureConnect', () => {
        if (settled) return;
        if (this.fingerprint !== undefined) {
          const seen = s.getPeerCertificate()?.fingerprint256;
          if (!seen || normaliseFingerprint(seen) !== this.fingerprint) {
            finish({ kind: 'tls', reason: 'fingerprint' });
            return;
          }
        }
        send(s);
      });
    });
  }

  private interpret(a: Extract<Attempt, { kind: 'answer' }>, target: CallTarget): unknown {
    let raw = a.body;
    if (a.encoding && a.encoding !== 'identity') {
      if (a.encoding !== 'gzip') throw this.badResponse(`content-encoding ${a.encoding}`, 1);
      try {
        raw = gunzipSync(raw);
      } catch {
        throw this.badResponse('gzip body', 1);
      }
    }
    const json = parseJson(raw.toString('utf8'));
    const { status } = a;

    if (status >= 200 && status < 300) {
      if (json === null || typeof json !== 'object' || Array.isArray(json) || !('data' in json)) {
        throw this.badResponse(`HTTP ${status} body without {data}`, 1);
      }
      return (json as { data: unknown }).data;
    }
    if (status < 400) {
      throw new ClusterError('bad_response', `Proxmox answered with a redirect (HTTP ${status}); check PROXMOX_URL.`, { status });
    }

    const body = json !== null && typeof json === 'object' ? (json as { message?: unknown; errors?: unknown }) : {};
    // Proxmox puts its reason in the status line; a stock phrase ("Bad Request") says nothing more.
    const reason = a.reason === STATUS_CODES[a.status] ? '' : a.reason;
    const message = typeof body.message === 'string' && body.message.trim() !== '' ? body.message : reason;
    const paramErrors =
      body.errors && typeof body.errors === 'object'
        ? Object.entries(body.errors as Record<string, unknown>)
            .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
            .join('; ')
        : '';
    const detail = this.scrub(paramErrors ? `${clause(message)}: ${paramErrors}` : message);
    const cause = new Error(`HTTP ${status}: ${detail}`);
    const opts = { status, detail, cause };

    if (status === 401) {
      throw new ClusterError('auth', 'Proxmox refused the API token (401): check PROXMOX_TOKEN_ID and PROXMOX_TOKEN_SECRET.', opts);
    }
    if (status === 403) throw new ClusterError('forbidden', forbiddenMessage(detail, target), opts);
    if (status === 595 || status === 596) {
      const who = target.node ? `node ${target.node}` : 'a cluster node';
      throw new ClusterError('unreachable', `Proxmox could not reach ${who} (it may be offline): ${clause(detail) || 'no answer'}.`, opts);
    }
    if (BUSY_RES.some((re) => re.test(detail))) throw new ClusterError('busy', busyMessage(detail, target), opts);
    if (status === 404 || NOT_FOUND_RES.some((re) => re.test(detail))) {
      throw new ClusterError('not_found', notFoundMessage(detail, target), opts);
    }
    if (status === 501) {
      throw new ClusterError('rejected', `This Proxmox does not offer that request (HTTP 501): ${clause(detail) || 'not implemented'}.`, opts);
    }
    throw new ClusterError('rejected', `Proxmox refused that (HTTP ${status})${detail ? `: ${clause(detail)}` : ''}.`, opts);
  }

  private tlsError(a: Extract<Attempt, { kind: 'tls' }>): ClusterError {
    const cause = new Error(`TLS: ${a.reason}${a.code ? ` (${a.code})` : ''}; request not sent`);
    const notSent = 'Jarvis did not send the token.';
    const msg: Record<TlsReason, string> = {
      fingerprint: `The Proxmox certificate does not match PROXMOX_FINGERPRINT; ${notSent}`,
      untrusted:
        this.ca !== undefined
          ? `The Proxmox certificate is not signed by the CA in PROXMOX_CA_FILE; ${notSent}`
          : `The Proxmox certificate is not trusted (self-signed?): set PROXMOX_FINGERPRINT or PROXMOX_CA_FILE; ${notSent}`,
      hostname: `The Proxmox certificate is not for the host name in PROXMOX_URL; ${notSent}`,
      expired: `The Proxmox certificate has expired or is not valid yet; ${notSent}`,
      not_tls: `The Proxmox host did not speak TLS; check that PROXMOX_URL has the right scheme and port. ${notSent}`,
      other: `The TLS handshake with the Proxmox host failed; ${notSent}`,
    };
    return new ClusterError('tls', msg[a.reason], { cause });
  }

  private unreachable(last: Attempt, tries: number, method: 'GET' | 'POST'): ClusterError {
    const times = tries > 1 ? `, tried ${tries} times` : '';
    const maybeDone = method === 'POST' ? ' The action may still have started: check its status before trying again.' : '';
    let userMessage: string;
    let what: string;
    let status: number | undefined;
    if (last.kind === 'timeout') {
      what = 'timed out';
      userMessage = `The Proxmox host did not answer (timeout after ${seconds(this.timeoutMs)}${times}).${maybeDone}`;
    } else if (last.kind === 'answer') {
      status = last.status;
      what = `HTTP ${last.status}`;
      userMessage = `The Proxmox host is not available right now (HTTP ${last.status}${times}); try again in a minute.${maybeDone}`;
    } else {
      const code = last.kind === 'network' ? last.code : undefined;
      what = code ? `network error ${code}` : 'network error';
      const sent = code !== undefined && NOT_CONNECTED.has(code) ? '' : maybeDone;
      userMessage = `The Proxmox host could not be reached (${describeCode(code)}${times}).${sent}`;
    }
    return new ClusterError('unreachable', userMessage, {
      ...(status !== undefined ? { status } : {}),
      cause: new Error(`${what} (${tries} attempt${tries === 1 ? '' : 's'})`),
    });
  }

  /** One line of Proxmox's text, safe to show and log: no URL, no token, no control characters. */
  private scrub(text: string): string {
    let t = (text.split(/\r?\n/).find((l) => l.trim() !== '') ?? '').replace(/[\u0000-\u001f\u007f]/g, ' ');
    t = t.split(this.#secret).join('[redacted]');
    t = t.replace(/PVEAPIToken\S*/gi, '[redacted]').replace(/\bhttps?:\/\/\S+/gi, '[url]');
    t = t.replace(/\s+/g, ' ').trim();
    return t.length > 200 ? `${t.slice(0, 199)}…` : t;
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function socketFailure(err: unknown): Attempt {
  const code = errorCode(err);
  if (code !== undefined) {
    if (TLS_UNTRUSTED.has(code)) return { kind: 'tls', reason: 'untrusted', code };
    if (TLS_EXPIRED.has(code)) return { kind: 'tls', reason: 'expired', code };
    if (TLS_HOSTNAME.has(code)) return { kind: 'tls', reason: 'hostname', code };
    if (TLS_NOT_TLS.has(code)) return { kind: 'tls', reason: 'not_tls', code };
    if (/^ERR_(SSL|TLS)_/.test(code) || /CERT/.test(code)) return { kind: 'tls', reason: 'other', code };
    return { kind: 'network', code };
  }
  return { kind: 'network' };
}

function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

function describeCode(code: string | undefined): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name not found';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'no route to host';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'connection reset';
    case undefined:
      return 'network error';
    default:
      return `network error ${code}`;
  }
}

/** Text that goes before a full stop we add: no trailing dots or spaces of its own. */
function clause(text: string): string {
  return text.trim().replace(/[.\s]+$/, '');
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(2))} s`;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function label(t: CallTarget): string | undefined {
  if (t.what === 'guest' && t.vmid !== undefined) return `${t.kind === 'lxc' ? 'container' : 'VM'} ${t.vmid}`;
  if (t.what === 'node' && t.node) return `node ${t.node}`;
  return undefined;
}

/** A task's UPID names its node, type and id: enough to say "VM 101" in a task's error. */
function targetOfUpid(upid: string, node: string): CallTarget {
  const u = parseUpid(upid);
  const id = u ? Number(u.id) : NaN;
  if (u && isValidVmid(id)) {
    const kind: GuestKind | undefined = /^(qm|qemu)/.test(u.type) ? 'qemu' : /^(vz|lxc|pct)/.test(u.type) ? 'lxc' : undefined;
    if (kind) return { what: 'guest', node: u.node, kind, vmid: id };
  }
  return { what: 'task', node };
}

function busyMessage(detail: string, target: CallTarget): string {
  const who = capitalise(label(target) ?? 'That guest');
  const lock = /is locked \(([^)]+)\)/i.exec(detail)?.[1];
  if (lock) return `${who} is locked (${lock}); try again when that ${lock} has finished.`;
  return `${who} is busy with another task; try again in a minute.`;
}

function notFoundMessage(detail: string, target: CallTarget): string {
  if (target.node && NODE_MISSING_RES.some((re) => re.test(detail))) return `Node ${target.node} is not part of the cluster.`;
  if (target.what === 'guest' && target.vmid !== undefined) {
    return `${capitalise(label(target)!)} was not found${target.node ? ` on node ${target.node}` : ''}.`;
  }
  if (target.what === 'node' && target.node) return `Node ${target.node} was not found.`;
  if (target.what === 'task') return `Proxmox has no record of that task${target.node ? ` on node ${target.node}` : ''}.`;
  return 'Proxmox has no such item.';
}

function forbiddenMessage(detail: string, target: CallTarget): string {
  const m = /Permission check failed \(([^,)]+),\s*([^)]+)\)/i.exec(detail);
  if (m) return `The API token lacks permission for that (403): it needs ${m[2]!.trim()} on ${m[1]!.trim()}.`;
  if (target.what === 'node') return 'The API token lacks permission for that (403): it needs Sys.Audit to read a node and Sys.PowerMgmt to reboot or shut it down.';
  return 'The API token lacks permission for that (403): it needs VM.Audit to read and VM.PowerMgmt to start and stop.';
}
