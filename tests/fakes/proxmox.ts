/**
 * A local fake of the Proxmox VE API over real HTTP or HTTPS on 127.0.0.1.
 *
 * Why real sockets: the client under test opens its own TLS connections and checks certificates, and
 * the e2e daemon is a separate process, so the wire is the only seam. The fake speaks the real
 * shapes: `{data}` bodies; errors as status + reason phrase + `{"data":null,"message":"...\n"}`;
 * 400 with `errors` per parameter; API-token auth (401, no body); per-token privileges (403
 * "Permission check failed (/vms/100, VM.PowerMgmt)"; a token without ACLs sees empty guest lists);
 * 500 "Configuration file 'nodes/pve1/qemu-server/999.conf' does not exist" for a guest that is not
 * on that node; 500 "hostname lookup ..." for an unknown node; 595 for an offline one; power actions
 * that return a realistic UPID at once and change the guest only when the task finishes; lock and
 * "already running" errors inside the task (where real Proxmox reports most of them); numbers as
 * strings where Proxmox does that (loadavg, an lxc's vmid). Node built-ins and /usr/bin/openssl only.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type GuestKind = 'qemu' | 'lxc';
export type Privilege = 'VM.Audit' | 'VM.PowerMgmt' | 'Sys.Audit' | 'Sys.PowerMgmt' | 'Datastore.Audit';
export const ALL_PRIVILEGES: readonly Privilege[] = ['VM.Audit', 'VM.PowerMgmt', 'Sys.Audit', 'Sys.PowerMgmt', 'Datastore.Audit'];

export interface FakeToken {
  /** 'user@realm!name'. */
  tokenId: string;
  secret: string;
  /** Effective privileges on '/', propagated (the fake has no finer ACL paths). */
  privileges: Privilege[];
}

export interface FakeNode {
  node: string;
  status: 'online' | 'offline';
  cpu: number;
  maxcpu: number;
  mem: number;
  maxmem: number;
  disk: number;
  maxdisk: number;
  uptime: number;
}

export interface FakeGuest {
  vmid: number;
  kind: GuestKind;
  node: string;
  name: string;
  status: 'running' | 'stopped';
  /** A VM suspended in memory (status stays 'running', qmpstatus 'paused'). */
  paused: boolean;
  /** The config's `lock:` ('backup', 'migrate', 'snapshot', ...). */
  lock?: string;
  /** Another task holds the config flock: actions end "can't lock file ... - got timeout". */
  flockBusy?: boolean;
  template: boolean;
  haManaged: boolean;
  tags: string[];
  cpu: number;
  maxcpu: number;
  mem: number;
  maxmem: number;
  disk: number;
  maxdisk: number;
  uptime: number;
}

export interface FakeStorage {
  storage: string;
  node: string;
  disk: number;
  maxdisk: number;
  shared: boolean;
  content: string[];
  plugintype: string;
}

export interface FakeTask {
  upid: string;
  node: string;
  type: string;
  id: string;
  /** Full token id that started it. */
  user: string;
  pid: number;
  pstart: number;
  starttime: number;
  startedAt: number;
  /** Status reads answered 'running' so far. */
  polls: number;
  done: boolean;
  /** What it ends with: 'OK' or an error text. */
  exitstatus: string;
  /** Applied to the guest when it ends OK. */
  effect?: () => void;
}

export interface RecordedRequest {
  method: string;
  /** Path below /api2/json, decoded, without the query: '/nodes/pve1/qemu/100/status/start'. */
  path: string;
  query: Record<string, string>;
  body: Record<string, string>;
  /** 'ok': a known token with the right secret; 'wrong': an Authorization header that did not pass. */
  auth: 'ok' | 'wrong' | 'none';
  /** The token id the request claimed, when it had one. */
  tokenId?: string;
  /** Whether the Authorization header carried any known token's secret (right token or not). */
  carriedSecret: boolean;
  status: number;
  at: number;
}

export type FakeFault =
  /** Accept the request and never answer (timeouts). */
  | { kind: 'hang'; method?: 'GET' | 'POST'; path?: RegExp }
  /** Answer with this status and an empty body, `times` times (default: until cleared). */
  | { kind: 'status'; status: number; times?: number; method?: 'GET' | 'POST'; path?: RegExp }
  /** Close the socket without answering, `times` times (default: until cleared). */
  | { kind: 'drop'; times?: number; method?: 'GET' | 'POST'; path?: RegExp };

export interface FakeProxmoxOptions {
  /** Serve HTTPS with a fresh self-signed certificate (made with /usr/bin/openssl). */
  https?: boolean;
  tokens?: FakeToken[];
  /** Task status reads that still answer 'running' before a task stops (default 1). */
  taskPolls?: number;
  /** And the least time a task runs (default 0). */
  taskMs?: number;
  /** Real Proxmox waits 3 s before a 401; the fake does not unless asked (default 0). */
  authFailDelayMs?: number;
  /** 'task' (default, like current Proxmox): lock errors end the task. 'sync': the POST itself
   *  answers 500 "VM is locked (backup)", as some endpoints and older versions do. */
  lockErrors?: 'task' | 'sync';
  /** How long a rebooted node stays offline (default 50 ms). */
  nodeRebootMs?: number;
  /** How long a node takes to go offline after a shutdown or reboot command (default 0: at once). */
  nodeGoesDownMs?: number;
  /** Start empty instead of with the default cluster (DEFAULT_* below). */
  empty?: boolean;
}

/** A token with every privilege Jarvis uses. */
export const ADMIN_TOKEN: FakeToken = { tokenId: 'root@pam!jarvis', secret: '5a3e7c1d-0b9f-4e2a-8d6c-1f2e3d4c5b6a', privileges: [...ALL_PRIVILEGES] };
/** Can read everything, may not power anything. */
export const READER_TOKEN: FakeToken = { tokenId: 'jarvis@pve!reader', secret: 'c0ffee00-1111-4222-8333-444455556666', privileges: ['VM.Audit', 'Sys.Audit', 'Datastore.Audit'] };
/** A privilege-separated token nobody gave an ACL: authenticates, sees nothing. */
export const NOACL_TOKEN: FakeToken = { tokenId: 'jarvis@pve!noacl', secret: 'deadbeef-2222-4333-8444-555566667777', privileges: [] };

const GiB = 1024 ** 3;

/** Two nodes, two VMs, a container, a template, two storages. */
export function defaultCluster(): { nodes: FakeNode[]; guests: FakeGuest[]; storage: FakeStorage[] } {
  const node = (name: string): FakeNode => ({ node: name, status: 'online', cpu: 0.12, maxcpu: 16, mem: 24 * GiB, maxmem: 64 * GiB, disk: 40 * GiB, maxdisk: 100 * GiB, uptime: 864_000 });
  const guest = (g: Partial<FakeGuest> & Pick<FakeGuest, 'vmid' | 'kind' | 'node' | 'name' | 'status'>): FakeGuest => ({
    paused: false,
    template: false,
    haManaged: false,
    tags: [],
    cpu: g.status === 'running' ? 0.05 : 0,
    maxcpu: 2,
    mem: g.status === 'running' ? 1 * GiB : 0,
    maxmem: 4 * GiB,
    disk: 0,
    maxdisk: 32 * GiB,
    uptime: g.status === 'running' ? 3_600 : 0,
    ...g,
  });
  return {
    nodes: [node('pve1'), node('pve2')],
    guests: [
      guest({ vmid: 100, kind: 'qemu', node: 'pve1', name: 'web', status: 'running', tags: ['prod', 'web'] }),
      guest({ vmid: 101, kind: 'qemu', node: 'pve1', name: 'db', status: 'stopped' }),
      guest({ vmid: 200, kind: 'lxc', node: 'pve2', name: 'dns', status: 'running', disk: 2 * GiB, maxdisk: 8 * GiB }),
      guest({ vmid: 9000, kind: 'qemu', node: 'pve2', name: 'debian-tpl', status: 'stopped', template: true }),
    ],
    storage: [
      { storage: 'local', node: 'pve1', disk: 10 * GiB, maxdisk: 100 * GiB, shared: false, content: ['iso', 'vztmpl', 'backup'], plugintype: 'dir' },
      { storage: 'local-lvm', node: 'pve1', disk: 50 * GiB, maxdisk: 400 * GiB, shared: false, content: ['images', 'rootdir'], plugintype: 'lvmthin' },
    ],
  };
}

export interface SelfSignedCert {
  certPem: string;
  keyPem: string;
  /** 'AB:CD:…', uppercase, as Node's getPeerCertificate().fingerprint256. */
  fingerprint256: string;
}

/** A fresh self-signed certificate for 127.0.0.1 and localhost (P-256, valid 2 days). */
export function makeSelfSignedCert(commonName = 'pve.test'): SelfSignedCert {
  const dir = mkdtempSync(join(tmpdir(), 'fake-pve-cert-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync(
      '/usr/bin/openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '2',
        '-subj', `/CN=${commonName}`, '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const certPem = readFileSync(cert, 'utf8');
    return { certPem, keyPem: readFileSync(key, 'utf8'), fingerprint256: new X509Certificate(certPem).fingerprint256 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Thrown by route handlers; becomes status + reason + `{"data":null,"message":...}`. */
class PveError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: Record<string, string>,
    readonly emptyBody = false,
  ) {
    super(message);
  }
}

const hex8 = (n: number): string => n.toString(16).toUpperCase().padStart(8, '0');

export class FakeProxmox {
  readonly url: string;
  readonly https: boolean;
  /** PEM and fingerprint of the served certificate (HTTPS only). */
  readonly certPem?: string;
  readonly fingerprint256?: string;

  readonly tokens = new Map<string, FakeToken>();
  readonly nodes = new Map<string, FakeNode>();
  readonly guests = new Map<number, FakeGuest>();
  storage: FakeStorage[] = [];
  readonly tasks = new Map<string, FakeTask>();
  readonly requests: RecordedRequest[] = [];
  /** TCP connections accepted: shows a client reached the fake even when it sent no request. */
  connections = 0;
  fault: FakeFault | undefined;
  taskPolls: number;
  taskMs: number;
  lockErrors: 'task' | 'sync';
  authFailDelayMs: number;
  nodeRebootMs: number;
  nodeGoesDownMs: number;

  private nextPid = 0x1a2b0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly hanging = new Set<ServerResponse>();

  private constructor(
    private readonly server: Server,
    url: string,
    opts: FakeProxmoxOptions,
    cert?: SelfSignedCert,
  ) {
    this.url = url;
    this.https = cert !== undefined;
    if (cert) {
      this.certPem = cert.certPem;
      this.fingerprint256 = cert.fingerprint256;
    }
    this.taskPolls = opts.taskPolls ?? 1;
    this.taskMs = opts.taskMs ?? 0;
    this.lockErrors = opts.lockErrors ?? 'task';
    this.authFailDelayMs = opts.authFailDelayMs ?? 0;
    this.nodeRebootMs = opts.nodeRebootMs ?? 50;
    this.nodeGoesDownMs = opts.nodeGoesDownMs ?? 0;
    for (const t of opts.tokens ?? [ADMIN_TOKEN, READER_TOKEN, NOACL_TOKEN]) this.tokens.set(t.tokenId, { ...t, privileges: [...t.privileges] });
    if (!opts.empty) {
      const c = defaultCluster();
      for (const n of c.nodes) this.nodes.set(n.node, n);
      for (const g of c.guests) this.guests.set(g.vmid, g);
      this.storage = c.storage;
    }
  }

  static async start(opts: FakeProxmoxOptions = {}): Promise<FakeProxmox> {
    const cert = opts.https ? makeSelfSignedCert() : undefined;
    let fake: FakeProxmox | undefined;
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      fake!.handle(req, res).catch(() => {
        if (!res.headersSent) {
          res.writeHead(500, 'fake proxmox failed');
          res.end();
        } else res.destroy();
      });
    };
    const server = cert ? createHttpsServer({ key: cert.keyPem, cert: cert.certPem }, handler) : createHttpServer(handler);
    server.on('connection', () => {
      if (fake) fake.connections++;
    });
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    fake = new FakeProxmox(server, `${cert ? 'https' : 'http'}://127.0.0.1:${port}`, opts, cert);
    return fake;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // --- state helpers for tests ------------------------------------------------------------

  addGuest(g: Partial<FakeGuest> & Pick<FakeGuest, 'vmid' | 'kind' | 'node' | 'name'>): FakeGuest {
    const guest: FakeGuest = {
      status: 'stopped', paused: false, template: false, haManaged: false, tags: [],
      cpu: 0, maxcpu: 1, mem: 0, maxmem: 1 * GiB, disk: 0, maxdisk: 8 * GiB, uptime: 0, ...g,
    };
    this.guests.set(guest.vmid, guest);
    return guest;
  }

  guest(vmid: number): FakeGuest {
    const g = this.guests.get(vmid);
    if (!g) throw new Error(`fake proxmox: no guest ${vmid}`);
    return g;
  }

  setGuest(vmid: number, patch: Partial<FakeGuest>): FakeGuest {
    return Object.assign(this.guest(vmid), patch);
  }

  addNode(n: Partial<FakeNode> & Pick<FakeNode, 'node'>): FakeNode {
    const node: FakeNode = { status: 'online', cpu: 0.01, maxcpu: 4, mem: 2 * GiB, maxmem: 16 * GiB, disk: 5 * GiB, maxdisk: 50 * GiB, uptime: 100, ...n };
    this.nodes.set(node.node, node);
    return node;
  }

  setNode(name: string, patch: Partial<FakeNode>): FakeNode {
    const n = this.nodes.get(name);
    if (!n) throw new Error(`fake proxmox: no node ${name}`);
    return Object.assign(n, patch);
  }

  /** Requests that reached the API with a valid token. */
  authedRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.auth === 'ok');
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  // --- the wire -----------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://fake');
    const base = '/api2/json';
    const apiPath = url.pathname.startsWith(`${base}/`) || url.pathname === base ? url.pathname.slice(base.length) || '/' : undefined;
    const path = apiPath === undefined ? url.pathname : apiPath.split('/').map((s) => safeDecode(s)).join('/');
    const query = Object.fromEntries(url.searchParams);
    const body = parseBody(raw, req.headers['content-type']);
    const { auth, token, claimed, carriedSecret } = this.authenticate(req.headers.authorization);
    const record: RecordedRequest = { method, path, query, body: body ?? {}, auth, carriedSecret, status: 0, at: Date.now() };
    if (claimed) record.tokenId = claimed;
    this.requests.push(record);

    const fault = this.takeFault(method, path);
    if (fault?.kind === 'hang') {
      this.hanging.add(res);
      res.on('close', () => this.hanging.delete(res));
      return;
    }
    if (fault?.kind === 'drop') {
      record.status = -1;
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'status') {
      record.status = fault.status;
      res.writeHead(fault.status);
      res.end();
      return;
    }

    let status = 200;
    let payload: unknown;
    try {
      if (apiPath === undefined) throw new PveError(501, 'no such uri', undefined, true);
      if (auth !== 'ok' || !token) {
        if (this.authFailDelayMs > 0) await new Promise((r) => setTimeout(r, this.authFailDelayMs));
        throw new PveError(401, auth === 'none' ? 'No ticket' : 'authentication failure', undefined, true);
      }
      if (body === undefined) throw new PveError(415, `Unsupported Content-Type '${req.headers['content-type'] ?? ''}'`);
      this.settleTasks();
      payload = { data: this.route(method, path, query, body, token) };
    } catch (err) {
      if (!(err instanceof PveError)) throw err;
      status = err.status;
      record.status = status;
      const reason = err.message.split('\n')[0]!;
      if (err.emptyBody) {
        res.writeHead(status, reason);
        res.end();
        return;
      }
      payload = { data: null, message: `${err.message}\n`, ...(err.errors ? { errors: err.errors } : {}) };
      const text = JSON.stringify(payload);
      res.writeHead(status, reason, { 'content-type': 'application/json;charset=UTF-8', 'content-length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    record.status = status;
    const text = JSON.stringify(payload);
    res.writeHead(200, 'OK', { 'content-type': 'application/json;charset=UTF-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  private authenticate(header: string | undefined): { auth: RecordedRequest['auth']; token?: FakeToken; claimed?: string; carriedSecret: boolean } {
    if (!header) return { auth: 'none', carriedSecret: false };
    const carriedSecret = [...this.tokens.values()].some((t) => header.includes(t.secret));
    const m = /^PVEAPIToken[= ]([^=\s]+)=(\S+)$/.exec(header.trim());
    if (!m) return { auth: 'wrong', carriedSecret };
    const token = this.tokens.get(m[1]!);
    if (!token || token.secret !== m[2]) return { auth: 'wrong', claimed: m[1]!, carriedSecret };
    return { auth: 'ok', token, claimed: m[1]!, carriedSecret };
  }

  private takeFault(method: string, path: string): FakeFault | undefined {
    const f = this.fault;
    if (!f || (f.method && f.method !== method) || (f.path && !f.path.test(path))) return undefined;
    if (f.kind !== 'hang' && f.times !== undefined) {
      f.times--;
      if (f.times <= 0) this.fault = undefined;
    }
    return f;
  }

  private route(method: string, path: string, query: Record<string, string>, body: Record<string, string>, token: FakeToken): unknown {
    const seg = path.split('/').filter((s) => s !== '');
    const can = (p: Privilege): boolean => token.privileges.includes(p);
    const need = (aclPath: string, p: Privilege): void => {
      if (!can(p)) throw new PveError(403, `Permission check failed (${aclPath}, ${p})`);
    };
    const notImplemented = (): never => {
      throw new PveError(501, `Method '${method} ${path}' not implemented`);
    };

    if (method === 'GET' && path === '/version') return { version: '8.2.4', release: '8.2', repoid: 'faa83925c9641325' };
    if (method === 'GET' && path === '/access/permissions') {
      if (token.privileges.length === 0) return {};
      return { '/': Object.fromEntries(token.privileges.map((p) => [p, 1])) };
    }
    if (method === 'GET' && path === '/cluster/resources') return this.resources(query.type, can);
    if (method === 'GET' && path === '/nodes') return [...this.nodes.values()].map((n) => this.nodeRow(n, can('Sys.Audit')));

    if (seg[0] !== 'nodes' || seg.length < 3) return notImplemented();
    const nodeName = seg[1]!;
    const node = this.nodes.get(nodeName);
    if (!node) throw new PveError(500, `hostname lookup '${nodeName}' failed - failed to get address info for: ${nodeName}: Name or service not known`);
    if (node.status === 'offline') throw new PveError(595, 'No route to host', undefined, true);
    const rest = seg.slice(2).join('/');

    if (rest === 'status' && method === 'GET') {
      need(`/nodes/${nodeName}`, 'Sys.Audit');
      return this.nodeStatus(node);
    }
    if (rest === 'status' && method === 'POST') {
      need(`/nodes/${nodeName}`, 'Sys.PowerMgmt');
      this.checkParams(body, ['command']);
      if (body.command !== 'reboot' && body.command !== 'shutdown') {
        throw new PveError(400, 'Parameter verification failed.', {
          command: body.command === undefined ? 'property is missing and it is not optional' : `value '${body.command}' does not have a value in the enumeration 'reboot, shutdown'`,
        });
      }
      this.powerNode(node, body.command);
      return null;
    }
    const task = /^tasks\/([^/]+)\/status$/.exec(rest);
    if (task && method === 'GET') return this.taskStatus(node, task[1]!, token, can('Sys.Audit'));

    const guest = /^(qemu|lxc)\/([^/]+)\/status\/([^/]+)$/.exec(rest);
    if (guest) {
      const kind = guest[1] as GuestKind;
      const vmid = guest[2]!;
      if (!/^\d+$/.test(vmid) || Number(vmid) < 100 || Number(vmid) > 999_999_999) {
        throw new PveError(400, 'Parameter verification failed.', { vmid: 'invalid format - value does not look like a valid VM ID' });
      }
      const id = Number(vmid);
      if (method === 'GET' && guest[3] === 'current') {
        need(`/vms/${id}`, 'VM.Audit');
        return this.guestStatus(this.guestOn(node.node, kind, id), kind);
      }
      if (method === 'POST') return this.guestAction(node.node, kind, id, guest[3]!, body, token, need);
    }
    return notImplemented();
  }

  private resources(type: string | undefined, can: (p: Privilege) => boolean): unknown[] {
    if (type !== undefined && !['vm', 'node', 'storage', 'sdn', 'pool'].includes(type)) {
      throw new PveError(400, 'Parameter verification failed.', { type: `value '${type}' does not have a value in the enumeration 'vm, storage, node, sdn'` });
    }
    const rows: unknown[] = [];
    if (type === undefined || type === 'node') for (const n of this.nodes.values()) rows.push(this.nodeRow(n, can('Sys.Audit')));
    if ((type === undefined || type === 'vm') && can('VM.Audit')) {
      for (const g of [...this.guests.values()].sort((a, b) => a.vmid - b.vmid)) {
        const node = this.nodes.get(g.node);
        const online = node?.status === 'online';
        const running = online && g.status === 'running';
        rows.push(strip({
          id: `${g.kind}/${g.vmid}`,
          type: g.kind,
          vmid: g.vmid,
          name: g.name,
          node: g.node,
          status: online ? g.status : 'unknown',
          template: g.template ? 1 : 0,
          maxcpu: g.maxcpu,
          maxmem: g.maxmem,
          maxdisk: g.maxdisk,
          cpu: running ? g.cpu : 0,
          mem: running ? g.mem : 0,
          disk: g.disk,
          uptime: running ? g.uptime : 0,
          netin: 0,
          netout: 0,
          diskread: 0,
          diskwrite: 0,
          lock: g.lock,
          tags: g.tags.length ? g.tags.join(';') : undefined,
          hastate: g.haManaged ? (g.status === 'running' ? 'started' : 'stopped') : undefined,
        }));
      }
    }
    if ((type === undefined || type === 'storage') && can('Datastore.Audit')) {
      for (const s of this.storage) {
        const online = this.nodes.get(s.node)?.status === 'online';
        rows.push(strip({
          id: `storage/${s.node}/${s.storage}`,
          type: 'storage',
          storage: s.storage,
          node: s.node,
          status: online ? 'available' : 'unknown',
          disk: online ? s.disk : undefined,
          maxdisk: online ? s.maxdisk : undefined,
          shared: s.shared ? 1 : 0,
          content: s.content.join(','),
          plugintype: s.plugintype,
        }));
      }
    }
    return rows;
  }

  private nodeRow(n: FakeNode, audit: boolean): unknown {
    const row: Record<string, unknown> = { id: `node/${n.node}`, type: 'node', node: n.node, status: n.status, level: '' };
    if (audit && n.status === 'online') Object.assign(row, { cpu: n.cpu, maxcpu: n.maxcpu, mem: n.mem, maxmem: n.maxmem, disk: n.disk, maxdisk: n.maxdisk, uptime: n.uptime });
    return row;
  }

  private nodeStatus(n: FakeNode): unknown {
    return {
      uptime: n.uptime,
      cpu: n.cpu,
      wait: 0.001,
      idle: 0,
      loadavg: ['0.31', '0.42', '0.50'],
      memory: { total: n.maxmem, used: n.mem, free: n.maxmem - n.mem },
      swap: { total: 8 * GiB, used: 0, free: 8 * GiB },
      rootfs: { total: n.maxdisk, used: n.disk, avail: n.maxdisk - n.disk, free: n.maxdisk - n.disk },
      cpuinfo: { cpus: n.maxcpu, cores: n.maxcpu / 2, sockets: 1, model: 'AMD EPYC 7302P 16-Core Processor', mhz: '2999.998', hvm: '1', flags: 'fpu vme' },
      ksm: { shared: 0 },
      pveversion: 'pve-manager/8.2.4/faa83925c9641325',
      kversion: 'Linux 6.8.12-1-pve #1 SMP PREEMPT_DYNAMIC PMX 6.8.12-1 (2024-08-05T16:17Z)',
      'current-kernel': { sysname: 'Linux', release: '6.8.12-1-pve', machine: 'x86_64', version: '#1 SMP' },
    };
  }

  /** The guest if it is that kind on that node; otherwise the error real Proxmox gives. */
  private guestOn(node: string, kind: GuestKind, vmid: number): FakeGuest {
    const g = this.guests.get(vmid);
    if (!g || g.kind !== kind || g.node !== node) throw new PveError(500, missingConfig(node, kind, vmid));
    return g;
  }

  private guestStatus(g: FakeGuest, kind: GuestKind): unknown {
    const running = g.status === 'running';
    const common = {
      name: g.name,
      status: g.status,
      uptime: running ? g.uptime : 0,
      cpu: running ? g.cpu : 0,
      cpus: g.maxcpu,
      mem: running ? g.mem : 0,
      maxmem: g.maxmem,
      disk: g.disk,
      maxdisk: g.maxdisk,
      netin: 0,
      netout: 0,
      diskread: 0,
      diskwrite: 0,
      ha: { managed: g.haManaged ? 1 : 0 },
      lock: g.lock,
      tags: g.tags.length ? g.tags.join(';') : undefined,
      template: g.template ? 1 : undefined,
    };
    if (kind === 'qemu') {
      return strip({ vmid: g.vmid, ...common, qmpstatus: running ? (g.paused ? 'paused' : 'running') : 'stopped', pid: running ? 4242 : undefined, 'running-qemu': running ? '9.0.2' : undefined, agent: 0 });
    }
    // Proxmox's lxc status carries the vmid as a string.
    return strip({ vmid: String(g.vmid), type: 'lxc', ...common, swap: 0, maxswap: 512 * 1024 ** 2 });
  }

  private checkParams(body: Record<string, string>, allowed: string[]): void {
    const extra = Object.keys(body).filter((k) => !allowed.includes(k));
    if (extra.length) {
      throw new PveError(400, 'Parameter verification failed.', Object.fromEntries(extra.map((k) => [k, 'property is not defined in schema and the schema does not allow additional properties'])));
    }
  }

  private guestAction(node: string, kind: GuestKind, vmid: number, action: string, body: Record<string, string>, token: FakeToken, need: (aclPath: string, p: Privilege) => void): string {
    const qemuActions = ['start', 'stop', 'shutdown', 'reboot', 'reset', 'suspend', 'resume'];
    const lxcActions = ['start', 'stop', 'shutdown', 'reboot', 'suspend', 'resume'];
    if (!(kind === 'qemu' ? qemuActions : lxcActions).includes(action)) throw new PveError(501, `Method 'POST /nodes/${node}/${kind}/${vmid}/status/${action}' not implemented`);
    need(`/vms/${vmid}`, 'VM.PowerMgmt');
    this.checkParams(body, ['timeout', 'skiplock', 'forceStop', 'keepActive', 'todisk']);
    if (body.timeout !== undefined && !/^\d+$/.test(body.timeout)) throw new PveError(400, 'Parameter verification failed.', { timeout: `type check ('integer') failed - got '${body.timeout}'` });

    const g = this.guests.get(vmid);
    const here = g && g.kind === kind && g.node === node ? g : undefined;
    const who = kind === 'qemu' ? 'VM' : 'CT';
    const running = here?.status === 'running';

    // Checks the API makes before it forks the worker: they answer 500 at once.
    if (kind === 'qemu') {
      if (['reset', 'reboot', 'suspend', 'resume'].includes(action)) {
        if (!here) throw new PveError(500, `unable to find configuration file for VM ${vmid} on node '${node}'`);
        if ((action === 'reboot' || action === 'shutdown') && here.paused) throw new PveError(500, 'VM is paused - cannot shutdown');
        if (!running) throw new PveError(500, `VM ${vmid} not running`);
      }
      if (action === 'shutdown' && here?.paused) throw new PveError(500, 'VM is paused - cannot shutdown');
    } else {
      if (!here) throw new PveError(500, missingConfig(node, kind, vmid));
      if (action === 'start' && running) throw new PveError(500, `CT ${vmid} already running`);
      if (action !== 'start' && action !== 'resume' && !running) throw new PveError(500, `CT ${vmid} not running`);
    }
    if (here?.lock && this.lockErrors === 'sync') throw new PveError(500, `${who} is locked (${here.lock})`);

    // Everything else happens inside the worker: the POST returns a UPID either way.
    let exitstatus = 'OK';
    let effect: (() => void) | undefined;
    if (!here) exitstatus = missingConfig(node, kind, vmid);
    else if (here.lock) exitstatus = `${who} is locked (${here.lock})`;
    else if (here.flockBusy) exitstatus = `can't lock file '${kind === 'qemu' ? `/var/lock/qemu-server/lock-${vmid}.conf` : `/run/lock/lxc/pve-config-${vmid}.lock`}' - got timeout`;
    else if (action === 'start' && running) exitstatus = `VM ${vmid} already running`;
    else if (action === 'start' && here.template) exitstatus = `you can't start a vm if it's a template`;
    else effect = () => applyAction(here, action);

    const prefix = kind === 'qemu' ? 'qm' : 'vz';
    const type = here?.haManaged && ['start', 'stop', 'shutdown'].includes(action) ? (action === 'start' ? 'hastart' : 'hastop') : `${prefix}${action}`;
    return this.newTask(node, type, String(vmid), token.tokenId, exitstatus, effect).upid;
  }

  private newTask(node: string, type: string, id: string, user: string, exitstatus: string, effect?: () => void): FakeTask {
    const pid = this.nextPid++;
    const pstart = 0x02b4c5d6 + pid;
    const starttime = Math.floor(Date.now() / 1000);
    const upid = `UPID:${node}:${hex8(pid)}:${hex8(pstart)}:${hex8(starttime)}:${type}:${id}:${user}:`;
    const task: FakeTask = { upid, node, type, id, user, pid, pstart, starttime, startedAt: Date.now(), polls: 0, done: false, exitstatus };
    if (effect) task.effect = effect;
    this.tasks.set(upid, task);
    if (this.taskPolls <= 0 && this.taskMs <= 0) this.finish(task);
    return task;
  }

  private finish(task: FakeTask): void {
    if (task.done) return;
    task.done = true;
    if (task.exitstatus === 'OK') task.effect?.();
  }

  /** Tasks with no poll requirement left end on their own once their time is up. */
  private settleTasks(): void {
    const now = Date.now();
    for (const t of this.tasks.values()) if (!t.done && t.polls >= this.taskPolls && now - t.startedAt >= this.taskMs) this.finish(t);
  }

  private taskStatus(node: FakeNode, rawUpid: string, token: FakeToken, audit: boolean): unknown {
    const task = this.tasks.get(rawUpid);
    if (!/^UPID:/.test(rawUpid)) throw new PveError(400, 'Parameter verification failed.', { upid: 'unable to parse worker upid' });
    if (!task || task.node !== node.node) throw new PveError(400, 'Parameter verification failed.', { upid: 'no such task' });
    if (task.user !== token.tokenId && !audit) throw new PveError(403, `Permission check failed (/nodes/${node.node}, Sys.Audit)`);
    if (!task.done) {
      if (task.polls >= this.taskPolls && Date.now() - task.startedAt >= this.taskMs) this.finish(task);
      else task.polls++;
    }
    const [user, tokenid] = task.user.split('!');
    return strip({
      upid: task.upid,
      node: task.node,
      pid: task.pid,
      pstart: task.pstart,
      starttime: task.starttime,
      type: task.type,
      id: task.id,
      user,
      tokenid,
      status: task.done ? 'stopped' : 'running',
      exitstatus: task.done ? task.exitstatus : undefined,
    });
  }

  private powerNode(node: FakeNode, command: 'reboot' | 'shutdown'): void {
    if (this.nodeGoesDownMs > 0) {
      const t = setTimeout(() => {
        this.timers.delete(t);
        this.nodeDown(node, command);
      }, this.nodeGoesDownMs);
      this.timers.add(t);
      return;
    }
    this.nodeDown(node, command);
  }

  private nodeDown(node: FakeNode, command: 'reboot' | 'shutdown'): void {
    node.status = 'offline';
    for (const g of this.guests.values()) if (g.node === node.node) Object.assign(g, { status: 'stopped', paused: false, cpu: 0, mem: 0, uptime: 0 });
    if (command === 'reboot') {
      const t = setTimeout(() => {
        this.timers.delete(t);
        node.status = 'online';
        node.uptime = 1;
      }, this.nodeRebootMs);
      this.timers.add(t);
    }
  }
}

function applyAction(g: FakeGuest, action: string): void {
  switch (action) {
    case 'start':
    case 'reboot':
    case 'reset':
      Object.assign(g, { status: 'running', paused: false, uptime: 1, cpu: 0.02, mem: Math.round(g.maxmem / 4) });
      break;
    case 'stop':
    case 'shutdown':
      Object.assign(g, { status: 'stopped', paused: false, uptime: 0, cpu: 0, mem: 0 });
      break;
    case 'suspend':
      g.paused = true;
      break;
    case 'resume':
      g.paused = false;
      break;
  }
}

function missingConfig(node: string, kind: GuestKind, vmid: number): string {
  return `Configuration file 'nodes/${node}/${kind === 'qemu' ? 'qemu-server' : 'lxc'}/${vmid}.conf' does not exist`;
}

/** Form or JSON bodies, as pveproxy takes them; undefined for another content type. */
function parseBody(raw: string, contentType: string | undefined): Record<string, string> | undefined {
  if (raw === '') return {};
  const ct = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (ct === '' || ct === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(raw));
  if (ct === 'application/json') {
    try {
      const v = JSON.parse(raw) as Record<string, unknown>;
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
    } catch {
      return {};
    }
  }
  return undefined;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function strip<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}
