/**
 * A small client for the Proxmox VE API (`/api2/json`), authenticated with an API token.
 *
 * Policy, in the house style (see src/trading/http-json.ts):
 * - every attempt has a timeout covering connect, TLS handshake, request and body, and runs on its
 *   own connection, written only after the certificate passed (proxmox-transport.ts);
 * - GETs are retried after a network error, a timeout or 502/503/504, with backoff and jitter;
 *   POSTs (power actions) never are, since a lost answer may hide an action that did happen;
 * - every answer is `{ data }`, checked with zod (proxmox-schemas.ts);
 * - failures become ClusterError with a kind and one sentence for a person (proxmox-failures.ts,
 *   errors.ts), and never carry the URL, the token or a header.
 *
 * Proxmox habits this client copes with: errors come as HTTP status + reason phrase, and since PVE 7
 * also as `{"data":null,"message":"...\n"}`; most application errors are 500 with a reason ("VM is
 * locked (backup)", "Configuration file 'nodes/pve/qemu-server/999.conf' does not exist"); a node
 * that is down behind the API host answers 595 ("No route to host"); numbers sometimes arrive as
 * strings; booleans as 0/1; power actions return a task id (UPID) at once and the real outcome only
 * shows in the task's exit status, which is where most lock errors surface.
 *
 * This file is also the module's front door: the types, the input checks and classifyTaskExit are
 * re-exported here, so callers import everything Proxmox from one place.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import type { Clock } from '../core/clock.js';
import { ClusterError } from './errors.js';
import {
  badResponse,
  classifyTaskExit,
  proxmoxReason,
  redirectError,
  refusalError,
  scrubDetail,
  targetOfUpid,
  taskFailure,
  tlsError,
  unreachableError,
} from './proxmox-failures.js';
import {
  answerData,
  answerJson,
  guestRow,
  guestStatusSchema,
  nodeRow,
  nodeStatusSchema,
  nodeSummaryRow,
  parseAnswer,
  permissionsSchema,
  rowsSchema,
  storageRow,
  taskStatusSchema,
  upidSchema,
  versionSchema,
} from './proxmox-schemas.js';
import { requestOnce, type Answer, type Attempt, type ProxmoxEndpoint } from './proxmox-transport.js';
import type {
  CallOptions,
  CallTarget,
  GuestAction,
  GuestActionOptions,
  GuestKind,
  GuestStatus,
  NodeAction,
  NodeStatus,
  NodeSummary,
  ProxmoxClientOptions,
  ProxmoxVersion,
  ResourceByType,
  ResourceType,
  TaskOutcome,
  TaskStatus,
  TaskWaitResult,
  WaitForTaskOptions,
} from './proxmox-types.js';
import {
  GUEST_ACTIONS,
  VMID_MAX,
  VMID_MIN,
  guestActionSupported,
  isValidNodeName,
  isValidVmid,
  normaliseFingerprint,
  parseUpid,
} from './proxmox-validation.js';

export type * from './proxmox-types.js';
export * from './proxmox-validation.js';
export { classifyTaskExit } from './proxmox-failures.js';

const RETRY_STATUSES = new Set([502, 503, 504]);
const MAX_BACKOFF_MS = 5_000;

export class ProxmoxClient {
  /** Host, port, TLS trust and timeout: the same for every request. */
  private readonly endpoint: ProxmoxEndpoint;
  /** e.g. '/api2/json' or '/pve/api2/json' behind a proxy. */
  private readonly prefix: string;
  // Hard-private: never shown by util.inspect, never serialised by a logger.
  readonly #authorization: string;
  readonly #secret: string;
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
    const tls = url.protocol === 'https:';
    const path = url.pathname.replace(/\/+$/, '').replace(/\/api2\/json$/, '');
    this.prefix = `${path}/api2/json`;

    if (!/^[^\s:/!]+@[^\s@!:/]+![A-Za-z0-9][A-Za-z0-9._-]*$/.test(opts.tokenId)) {
      throw new TypeError("Proxmox token id must look like 'user@realm!tokenname'");
    }
    if (!/^[\x21-\x7e]+$/.test(opts.tokenSecret)) throw new TypeError('Proxmox token secret is empty or has spaces or control characters');
    this.#secret = opts.tokenSecret;
    this.#authorization = `PVEAPIToken=${opts.tokenId}=${opts.tokenSecret}`;

    let fingerprint: string | undefined;
    if (opts.fingerprint !== undefined) {
      fingerprint = normaliseFingerprint(opts.fingerprint);
      if (!fingerprint) throw new TypeError('Proxmox fingerprint must be a SHA-256 fingerprint: 64 hex digits, colons optional');
    }
    if ((opts.ca !== undefined || opts.fingerprint !== undefined) && !tls) {
      throw new TypeError('A Proxmox CA or fingerprint needs an https:// base URL');
    }
    if (!(opts.timeoutMs > 0)) throw new TypeError('Proxmox timeoutMs must be positive');
    this.endpoint = {
      tls,
      host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port ? Number(url.port) : tls ? 443 : 80,
      hostHeader: url.host,
      ...(opts.ca !== undefined ? { ca: opts.ca } : {}),
      ...(fingerprint !== undefined ? { fingerprint } : {}),
      timeoutMs: opts.timeoutMs,
    };
    this.retries = Math.max(0, Math.floor(opts.retries ?? 2));
    this.backoffMs = opts.backoffMs ?? 300;
    this.sleep = opts.sleep ?? ((ms, signal) => delay(ms, undefined, signal ? { signal } : undefined));
    this.random = opts.random ?? Math.random;
    this.clock = opts.clock ?? { now: () => Date.now() };
  }

  /** GET /version: the cheapest authenticated call, for `doctor` and start-up checks. */
  async version(opts: CallOptions = {}): Promise<ProxmoxVersion> {
    const data = await this.call('GET', '/version', { target: { what: 'cluster' }, signal: opts.signal });
    return parseAnswer(versionSchema, data, 'version');
  }

  /**
   * GET /cluster/resources?type=…. Rows of other types (pools, SDN, old openvz) are skipped.
   * Nodes are always listed (figures only with Sys.Audit); guests only with VM.Audit and storage
   * only with Datastore.Audit, so a token without ACLs gets an empty guest list, not an error.
   */
  async resources<T extends ResourceType>(type: T, opts: CallOptions = {}): Promise<ResourceByType[T][]> {
    const data = await this.call('GET', '/cluster/resources', { query: { type }, target: { what: 'cluster' }, signal: opts.signal });
    const rows = parseAnswer(rowsSchema, data, 'cluster resources');
    const want = type === 'vm' ? ['qemu', 'lxc'] : [type];
    const schema = type === 'node' ? nodeRow : type === 'vm' ? guestRow : storageRow;
    const picked = rows.filter((r) => typeof r.type === 'string' && want.includes(r.type));
    return parseAnswer(z.array(schema), picked, 'cluster resources') as ResourceByType[T][];
  }

  /** GET /nodes. */
  async nodes(opts: CallOptions = {}): Promise<NodeSummary[]> {
    const data = await this.call('GET', '/nodes', { target: { what: 'cluster' }, signal: opts.signal });
    return parseAnswer(z.array(nodeSummaryRow), data, 'nodes');
  }

  /** GET /nodes/{node}/status. */
  async nodeStatus(node: string, opts: CallOptions = {}): Promise<NodeStatus> {
    this.checkNode(node);
    const data = await this.call('GET', `/nodes/${node}/status`, { target: { what: 'node', node }, signal: opts.signal });
    return parseAnswer(nodeStatusSchema, data, 'node status');
  }

  /** GET /nodes/{node}/{qemu|lxc}/{vmid}/status/current. A vmid that is not on that node is 'not_found'. */
  async guestStatus(node: string, kind: GuestKind, vmid: number, opts: CallOptions = {}): Promise<GuestStatus> {
    this.checkGuest(node, kind, vmid);
    const data = await this.call('GET', `/nodes/${node}/${kind}/${vmid}/status/current`, {
      target: { what: 'guest', node, kind, vmid },
      signal: opts.signal,
    });
    return parseAnswer(guestStatusSchema, data, 'guest status');
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
    return parseAnswer(upidSchema, data, 'power action');
  }

  /**
   * POST /nodes/{node}/status command=reboot|shutdown. Proxmox answers `null`, not a task: the node
   * goes down about 2 s later and then stops answering. Watch /cluster/resources for it to return.
   */
  async nodeAction(node: string, command: NodeAction, opts: CallOptions = {}): Promise<void> {
    this.checkNode(node);
    if (command !== 'reboot' && command !== 'shutdown') throw new ClusterError('rejected', 'A node can only be rebooted or shut down.');
    const data = await this.call('POST', `/nodes/${node}/status`, { form: { command }, target: { what: 'node', node }, signal: opts.signal });
    if (data !== null && data !== undefined && data !== '') throw badResponse('node action', 1);
  }

  /** GET /nodes/{node}/tasks/{upid}/status. */
  async taskStatus(node: string, upid: string, opts: CallOptions = {}): Promise<TaskStatus> {
    this.checkNode(node);
    if (!parseUpid(upid)) throw new ClusterError('rejected', 'That is not a Proxmox task id.');
    const data = await this.call('GET', `/nodes/${node}/tasks/${encodeURIComponent(upid)}/status`, {
      target: { what: 'task', node },
      signal: opts.signal,
    });
    return parseAnswer(taskStatusSchema, data, 'task status');
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
    const raw = parseAnswer(permissionsSchema, data, 'permissions');
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
    return taskFailure(this.scrub(exitstatus), outcome, target);
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
      const result = await requestOnce(this.endpoint, { method, path: fullPath, body, authorization: this.#authorization }, opts.signal);
      if (result.kind === 'tls') throw tlsError(result, this.endpoint.ca !== undefined);
      if (result.kind === 'too_large') throw badResponse('body', 1);
      if (result.kind === 'answer' && !RETRY_STATUSES.has(result.status)) return this.interpret(result, opts.target);
      last = result;
    }
    throw unreachableError(last, tries, method, this.endpoint.timeoutMs);
  }

  /** A final answer (not one to retry): its data, or the ClusterError it amounts to. */
  private interpret(a: Answer, target: CallTarget): unknown {
    const json = answerJson(a);
    const { status } = a;
    if (status >= 200 && status < 300) return answerData(json, status);
    if (status < 400) throw redirectError(status);
    throw refusalError(status, this.scrub(proxmoxReason(a, json)), target);
  }

  /** See scrubDetail; the secret stays in this class. */
  private scrub(text: string): string {
    return scrubDetail(text, this.#secret);
  }
}
