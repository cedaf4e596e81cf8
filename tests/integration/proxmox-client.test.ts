import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ClusterError, type ClusterErrorKind } from '../../src/cluster/errors.js';
import { ProxmoxClient, classifyTaskExit, parseUpid, type ProxmoxClientOptions } from '../../src/cluster/proxmox.js';
import { ADMIN_TOKEN, FakeProxmox, NOACL_TOKEN, READER_TOKEN, makeSelfSignedCert, type FakeToken } from '../fakes/proxmox.js';

const noSleep = async (): Promise<void> => undefined;

function client(fake: FakeProxmox, token: FakeToken = ADMIN_TOKEN, over: Partial<ProxmoxClientOptions> = {}): ProxmoxClient {
  return new ProxmoxClient({ baseUrl: fake.url, tokenId: token.tokenId, tokenSecret: token.secret, timeoutMs: 1_000, sleep: noSleep, ...over });
}

/** Awaits a rejection and checks it is a ClusterError of `kind` that leaks no secret, URL or address. */
async function failure(p: Promise<unknown>, kind: ClusterErrorKind, fake?: FakeProxmox): Promise<ClusterError> {
  const err = await p.then(
    () => {
      throw new Error(`expected a ClusterError '${kind}', got success`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ClusterError);
  const ce = err as ClusterError;
  expect({ kind: ce.kind, userMessage: ce.userMessage }).toMatchObject({ kind });
  const everything = [ce.message, ce.userMessage, ce.detail ?? '', String(ce.cause ?? ''), ce.stack ?? '', JSON.stringify(ce)].join('\n');
  for (const t of [ADMIN_TOKEN, READER_TOKEN, NOACL_TOKEN]) expect(everything).not.toContain(t.secret);
  expect(everything).not.toMatch(/PVEAPIToken/i);
  expect(everything).not.toMatch(/https?:\/\//);
  expect(everything).not.toContain('127.0.0.1');
  if (fake) expect(everything).not.toContain(fake.url);
  // One sentence for chat: starts with a capital, ends with a full stop, no newline.
  expect(ce.userMessage).toMatch(/^[A-Z].*\.$/);
  expect(ce.userMessage).not.toContain('\n');
  return ce;
}

describe('ProxmoxClient over HTTP against the fake', () => {
  let fake: FakeProxmox;
  beforeEach(async () => {
    fake = await FakeProxmox.start();
  });
  afterEach(async () => {
    await fake.close();
  });

  describe('reads', () => {
    it('types /cluster/resources for nodes, guests and storage', async () => {
      const c = client(fake);
      const nodes = await c.resources('node');
      expect(nodes.map((n) => [n.node, n.status, n.maxcpu])).toEqual([['pve1', 'online', 16], ['pve2', 'online', 16]]);
      expect(nodes[0]!.cpu).toBeCloseTo(0.12);

      fake.setGuest(100, { cpu: 0.875, mem: 3 * 1024 ** 3, lock: 'backup' });
      const vms = await c.resources('vm');
      expect(vms.map((v) => `${v.type}/${v.vmid}:${v.status}`)).toEqual(['qemu/100:running', 'qemu/101:stopped', 'lxc/200:running', 'qemu/9000:stopped']);
      const web = vms.find((v) => v.vmid === 100)!;
      expect(web).toMatchObject({ name: 'web', node: 'pve1', cpu: 0.875, mem: 3 * 1024 ** 3, template: false, lock: 'backup', tags: ['prod', 'web'] });
      expect(vms.find((v) => v.vmid === 9000)!.template).toBe(true);

      const storage = await c.resources('storage');
      expect(storage.map((s) => [s.storage, s.shared, s.content])).toEqual([
        ['local', false, ['iso', 'vztmpl', 'backup']],
        ['local-lvm', false, ['images', 'rootdir']],
      ]);
      expect(fake.requests.map((r) => `${r.method} ${r.path}?type=${r.query.type}`)).toEqual([
        'GET /cluster/resources?type=node',
        'GET /cluster/resources?type=vm',
        'GET /cluster/resources?type=storage',
      ]);
    });

    it('shows an offline node without figures and its guests as unknown; asking the node itself is unreachable, once', async () => {
      fake.setNode('pve2', { status: 'offline' });
      const c = client(fake);
      const nodes = await c.resources('node');
      expect(nodes.find((n) => n.node === 'pve2')).toEqual({ type: 'node', id: 'node/pve2', node: 'pve2', status: 'offline' });
      const vms = await c.resources('vm');
      expect(vms.find((v) => v.vmid === 200)!.status).toBe('unknown');
      fake.clearRequests();
      const err = await failure(c.nodeStatus('pve2'), 'unreachable', fake);
      expect(err.status).toBe(595);
      expect(err.userMessage).toContain('node pve2');
      expect(fake.requests).toHaveLength(1);
    });

    it('reads /nodes, a node status and guest status, coping with numbers sent as strings', async () => {
      const c = client(fake);
      expect((await c.nodes()).map((n) => n.node)).toEqual(['pve1', 'pve2']);
      const st = await c.nodeStatus('pve1');
      expect(st.loadavg).toEqual([0.31, 0.42, 0.5]);
      expect(st.memory).toEqual({ total: 64 * 1024 ** 3, used: 24 * 1024 ** 3, free: 40 * 1024 ** 3 });
      expect(st.cpuinfo).toMatchObject({ cpus: 16, sockets: 1 });

      const vm = await c.guestStatus('pve1', 'qemu', 100);
      expect(vm).toMatchObject({ vmid: 100, name: 'web', status: 'running', qmpstatus: 'running', haManaged: false, template: false });
      const ct = await c.guestStatus('pve2', 'lxc', 200);
      expect(ct).toMatchObject({ vmid: 200, name: 'dns', status: 'running' });

      fake.setGuest(100, { paused: true });
      expect((await c.guestStatus('pve1', 'qemu', 100)).status).toBe('paused');
      expect(await c.version()).toMatchObject({ version: '8.2.4' });
    });

    it('accepts a base URL that already ends in /api2/json/', async () => {
      const c = client(fake, ADMIN_TOKEN, { baseUrl: `${fake.url}/api2/json/` });
      expect((await c.nodes()).length).toBe(2);
      expect(fake.requests[0]!.path).toBe('/nodes');
    });
  });

  describe('power actions and tasks', () => {
    it('start returns a UPID, the task runs then stops OK, and the VM is running after', async () => {
      const c = client(fake);
      const upid = await c.guestAction('pve1', 'qemu', 101, 'start');
      expect(parseUpid(upid)).toMatchObject({ node: 'pve1', type: 'qmstart', id: '101', user: 'root@pam!jarvis' });
      expect(upid).toMatch(/^UPID:pve1:[0-9A-F]{8}:[0-9A-F]{8}:[0-9A-F]{8}:qmstart:101:root@pam!jarvis:$/);

      // The guest changes when the task ends, not when the POST is answered.
      expect((await c.guestStatus('pve1', 'qemu', 101)).status).toBe('stopped');
      const first = await c.taskStatus('pve1', upid);
      expect(first).toMatchObject({ status: 'running', type: 'qmstart', id: '101' });
      expect(first.exitstatus).toBeUndefined();

      const done = await c.waitForTask('pve1', upid, { timeoutMs: 2_000, pollMs: 5 });
      expect(done).toEqual({ done: true, ok: true, outcome: 'ok', exitstatus: 'OK' });
      expect((await c.guestStatus('pve1', 'qemu', 101)).status).toBe('running');

      const post = fake.requests.find((r) => r.method === 'POST')!;
      expect(post).toMatchObject({ path: '/nodes/pve1/qemu/101/status/start', body: {}, auth: 'ok', tokenId: 'root@pam!jarvis' });
      // The UPID went into the path percent-encoded and arrived intact.
      expect(fake.requests.some((r) => r.path === `/nodes/pve1/tasks/${upid}/status`)).toBe(true);
    });

    it('sends parameters as a form body and shuts a container down', async () => {
      const c = client(fake);
      const upid = await c.guestAction('pve2', 'lxc', 200, 'shutdown', { timeoutSeconds: 30 });
      expect(parseUpid(upid)!.type).toBe('vzshutdown');
      expect(fake.requests.at(-1)!.body).toEqual({ timeout: '30' });
      expect((await c.waitForTask('pve2', upid, { timeoutMs: 2_000, pollMs: 5 })).done).toBe(true);
      expect(fake.guest(200).status).toBe('stopped');
    });

    it('refuses actions a container does not have, before asking Proxmox', async () => {
      const c = client(fake);
      const reset = await failure(c.guestAction('pve2', 'lxc', 200, 'reset'), 'rejected', fake);
      expect(reset.userMessage).toContain('no reset');
      await failure(c.guestAction('pve2', 'lxc', 200, 'suspend'), 'rejected', fake);
      await failure(c.guestAction('pve1', 'qemu', 42, 'start'), 'rejected', fake);
      await failure(c.guestAction('pve1/../x', 'qemu', 100, 'start'), 'rejected', fake);
      await failure(c.guestStatus('pve1', 'qemu', 1e10), 'rejected', fake);
      await failure(c.taskStatus('pve1', 'not-a-upid'), 'rejected', fake);
      expect(fake.requests).toEqual([]);
    });

    it('a 500 with a reason before the task (VM not running) is rejected and quotes Proxmox', async () => {
      const err = await failure(client(fake).guestAction('pve1', 'qemu', 101, 'reset'), 'rejected', fake);
      expect(err.status).toBe(500);
      expect(err.detail).toBe('VM 101 not running');
      expect(err.userMessage).toBe('Proxmox refused that (HTTP 500): VM 101 not running.');
    });

    it('a task that fails comes back ok:false with a ready error, and the guest is unchanged', async () => {
      const c = client(fake);
      const upid = await c.guestAction('pve1', 'qemu', 100, 'start'); // already running
      const r = await c.waitForTask('pve1', upid, { timeoutMs: 2_000, pollMs: 5 });
      expect(r).toMatchObject({ done: true, ok: false, outcome: 'failed', exitstatus: 'VM 100 already running' });
      if (r.done && !r.ok) expect(r.error.userMessage).toBe('VM 100: the task failed (VM 100 already running).');
    });

    it('gives up waiting (not the task) when it runs longer than timeoutMs', async () => {
      fake.taskPolls = Number.POSITIVE_INFINITY;
      const c = client(fake, ADMIN_TOKEN, { sleep: undefined });
      const upid = await c.guestAction('pve1', 'qemu', 101, 'start');
      const started = Date.now();
      const r = await c.waitForTask('pve1', upid, { timeoutMs: 60, pollMs: 20 });
      expect(r.done).toBe(false);
      if (!r.done) expect(r.last.status).toBe('running');
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(fake.requests.filter((q) => q.path.includes('/tasks/')).length).toBeLessThanOrEqual(4);
    });

    it('reboots a node: Proxmox answers null, the node goes offline and comes back', async () => {
      fake.nodeRebootMs = 30;
      const c = client(fake);
      await expect(c.nodeAction('pve2', 'reboot')).resolves.toBeUndefined();
      expect(fake.requests.at(-1)).toMatchObject({ method: 'POST', path: '/nodes/pve2/status', body: { command: 'reboot' } });
      expect((await c.resources('node')).find((n) => n.node === 'pve2')!.status).toBe('offline');
      await new Promise((r) => setTimeout(r, 60));
      expect((await c.resources('node')).find((n) => n.node === 'pve2')!.status).toBe('online');
    });

    it('classifies task exit texts', () => {
      expect(['OK', 'WARNINGS: 2', 'VM is locked (backup)', "can't lock file '/var/lock/qemu-server/lock-100.conf' - got timeout",
        "Configuration file 'nodes/pve1/qemu-server/999.conf' does not exist", 'start failed: QEMU exited with code 1'].map(classifyTaskExit))
        .toEqual(['ok', 'warnings', 'busy', 'busy', 'not_found', 'failed']);
    });
  });

  describe('failures map to kinds and say nothing secret', () => {
    it('401 on a wrong secret or unknown token', async () => {
      const wrong = await failure(client(fake, { ...ADMIN_TOKEN, secret: 'ffffffff-0000-4000-8000-000000000000' }).resources('vm'), 'auth', fake);
      expect(wrong.userMessage).toBe('Proxmox refused the API token (401): check PROXMOX_TOKEN_ID and PROXMOX_TOKEN_SECRET.');
      expect(wrong.status).toBe(401);
      await failure(client(fake, { ...ADMIN_TOKEN, tokenId: 'ghost@pve!nope' }).nodes(), 'auth', fake);
      expect(fake.requests.map((r) => [r.auth, r.status])).toEqual([['wrong', 401], ['wrong', 401]]);
    });

    it('403 when a read-only token tries to power something, naming the privilege it lacks', async () => {
      const reader = client(fake, READER_TOKEN);
      expect((await reader.resources('vm')).length).toBe(4);
      const err = await failure(reader.guestAction('pve1', 'qemu', 100, 'stop'), 'forbidden', fake);
      expect(err.userMessage).toBe('The API token lacks permission for that (403): it needs VM.PowerMgmt on /vms/100.');
      const node = await failure(reader.nodeAction('pve1', 'shutdown'), 'forbidden', fake);
      expect(node.userMessage).toContain('Sys.PowerMgmt on /nodes/pve1');
      expect(fake.guest(100).status).toBe('running');
      expect(fake.nodes.get('pve1')!.status).toBe('online');
    });

    it('a token without ACLs gets 200 with empty lists, and permissions() shows why', async () => {
      const c = client(fake, NOACL_TOKEN);
      expect(await c.resources('vm')).toEqual([]);
      expect(await c.resources('storage')).toEqual([]);
      // Nodes are listed, without figures (those need Sys.Audit).
      expect((await c.resources('node')).map((n) => Object.keys(n).sort())).toEqual([
        ['id', 'node', 'status', 'type'],
        ['id', 'node', 'status', 'type'],
      ]);
      expect(await c.permissions()).toEqual({});
      expect(await client(fake).permissions()).toEqual({ '/': ['Datastore.Audit', 'Sys.Audit', 'Sys.PowerMgmt', 'VM.Audit', 'VM.PowerMgmt'] });
      await failure(c.guestStatus('pve1', 'qemu', 100), 'forbidden', fake);
    });

    it('not found: unknown vmid, a guest asked on the wrong node or as the wrong kind, an unknown node, a lost task', async () => {
      const c = client(fake);
      const missing = await failure(c.guestStatus('pve1', 'qemu', 999), 'not_found', fake);
      expect(missing.userMessage).toBe('VM 999 was not found on node pve1.');
      expect(missing.detail).toBe("Configuration file 'nodes/pve1/qemu-server/999.conf' does not exist");
      expect((await failure(c.guestStatus('pve2', 'qemu', 100), 'not_found', fake)).userMessage).toBe('VM 100 was not found on node pve2.');
      expect((await failure(c.guestStatus('pve1', 'lxc', 100), 'not_found', fake)).userMessage).toBe('Container 100 was not found on node pve1.');
      expect((await failure(c.guestAction('pve1', 'qemu', 999, 'reboot'), 'not_found', fake)).userMessage).toBe('VM 999 was not found on node pve1.');
      expect((await failure(c.nodeStatus('pve9'), 'not_found', fake)).userMessage).toBe('Node pve9 is not part of the cluster.');
      expect((await failure(c.guestStatus('pve9', 'qemu', 100), 'not_found', fake)).userMessage).toBe('Node pve9 is not part of the cluster.');
      const lost = 'UPID:pve1:0000ABCD:0000ABCD:66000000:qmstart:100:root@pam!jarvis:';
      expect((await failure(c.taskStatus('pve1', lost), 'not_found', fake)).userMessage).toBe('Proxmox has no record of that task on node pve1.');

      // Start on a vmid that does not exist: Proxmox accepts, the task fails.
      const upid = await c.guestAction('pve1', 'qemu', 999, 'start');
      const r = await c.waitForTask('pve1', upid, { timeoutMs: 2_000, pollMs: 5 });
      expect(r).toMatchObject({ done: true, ok: false, outcome: 'not_found' });
      if (r.done && !r.ok) expect(r.error.kind).toBe('not_found');
    });

    it('busy: a locked VM fails its task (as current Proxmox does) or the POST itself (sync mode)', async () => {
      const c = client(fake);
      fake.setGuest(101, { lock: 'backup' });
      const upid = await c.guestAction('pve1', 'qemu', 101, 'start');
      const r = await c.waitForTask('pve1', upid, { timeoutMs: 2_000, pollMs: 5 });
      expect(r).toMatchObject({ done: true, ok: false, outcome: 'busy', exitstatus: 'VM is locked (backup)' });
      if (r.done && !r.ok) {
        expect(r.error.kind).toBe('busy');
        expect(r.error.userMessage).toBe('VM 101 is locked (backup); try again when that backup has finished.');
      }
      expect(fake.guest(101).status).toBe('stopped');

      fake.lockErrors = 'sync';
      const sync = await failure(c.guestAction('pve1', 'qemu', 101, 'start'), 'busy', fake);
      expect(sync.status).toBe(500);
      expect(sync.userMessage).toBe('VM 101 is locked (backup); try again when that backup has finished.');

      fake.setGuest(101, { lock: undefined, flockBusy: true });
      const upid2 = await c.guestAction('pve1', 'qemu', 101, 'start');
      const r2 = await c.waitForTask('pve1', upid2, { timeoutMs: 2_000, pollMs: 5 });
      expect(r2).toMatchObject({ done: true, ok: false, outcome: 'busy' });
      if (r2.done && !r2.ok) expect(r2.error.userMessage).toBe('VM 101 is busy with another task; try again in a minute.');
    });

    it('a hanging host: GETs time out and are retried, then unreachable; a POST is tried once', async () => {
      fake.fault = { kind: 'hang' };
      const c = client(fake, ADMIN_TOKEN, { timeoutMs: 120, retries: 1 });
      const get = await failure(c.resources('vm'), 'unreachable', fake);
      expect(get.userMessage).toBe('The Proxmox host did not answer (timeout after 0.12 s, tried 2 times).');
      expect(fake.requests.filter((r) => r.method === 'GET')).toHaveLength(2);

      const post = await failure(c.guestAction('pve1', 'qemu', 101, 'start'), 'unreachable', fake);
      expect(post.userMessage).toContain('may still have started');
      expect(fake.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    });

    it('retries a GET after 503 and 502 with backoff, then succeeds', async () => {
      const waits: number[] = [];
      const c = client(fake, ADMIN_TOKEN, { retries: 2, backoffMs: 100, random: () => 0.5, sleep: async (ms) => void waits.push(ms) });
      fake.fault = { kind: 'status', status: 503, times: 1 };
      const first = c.resources('node');
      await expect(first).resolves.toHaveLength(2);
      expect(waits).toEqual([100]);

      fake.clearRequests();
      fake.fault = { kind: 'status', status: 502, times: 2, method: 'GET' };
      await expect(c.nodes()).resolves.toHaveLength(2);
      expect(waits).toEqual([100, 100, 200]);
      expect(fake.requests.map((r) => r.status)).toEqual([502, 502, 200]);
    });

    it('retries a GET after a dropped connection', async () => {
      fake.fault = { kind: 'drop', times: 1 };
      await expect(client(fake).version()).resolves.toMatchObject({ version: '8.2.4' });
      expect(fake.requests.map((r) => r.status)).toEqual([-1, 200]);
    });

    it('gives up on a GET after the retries: unreachable with the status', async () => {
      fake.fault = { kind: 'status', status: 504 };
      const err = await failure(client(fake, ADMIN_TOKEN, { retries: 2 }).resources('vm'), 'unreachable', fake);
      expect(err.status).toBe(504);
      expect(err.userMessage).toBe('The Proxmox host is not available right now (HTTP 504, tried 3 times); try again in a minute.');
      expect(fake.requests).toHaveLength(3);
    });

    it('never retries a POST on 503, and nothing happened to the guest', async () => {
      fake.fault = { kind: 'status', status: 503, times: 5, method: 'POST' };
      const err = await failure(client(fake, ADMIN_TOKEN, { retries: 3 }).guestAction('pve1', 'qemu', 101, 'start'), 'unreachable', fake);
      expect(err.userMessage).toContain('check its status before trying again');
      expect(fake.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
      expect(fake.guest(101).status).toBe('stopped');
      expect(fake.tasks.size).toBe(0);
    });

    it('a refused connection is unreachable, and says nothing was sent for a POST', async () => {
      const url = fake.url;
      await fake.close();
      const c = new ProxmoxClient({ baseUrl: url, tokenId: ADMIN_TOKEN.tokenId, tokenSecret: ADMIN_TOKEN.secret, timeoutMs: 500, retries: 0 });
      const err = await failure(c.guestAction('pve1', 'qemu', 100, 'stop'), 'unreachable');
      expect(err.userMessage).toBe('The Proxmox host could not be reached (connection refused).');
      fake = await FakeProxmox.start(); // for afterEach
    });

    it('other statuses: a proxy 404 is not_found, a bare 400 is rejected, a container that is not there is not_found at once', async () => {
      const c = client(fake);
      fake.fault = { kind: 'status', status: 404, times: 1 };
      expect((await failure(c.nodes(), 'not_found', fake)).userMessage).toBe('Proxmox has no such item.');
      fake.fault = { kind: 'status', status: 400, times: 1 };
      expect((await failure(c.guestAction('pve1', 'qemu', 100, 'shutdown'), 'rejected', fake)).userMessage).toBe('Proxmox refused that (HTTP 400).');
      expect((await failure(c.guestAction('pve1', 'lxc', 999, 'start'), 'not_found', fake)).userMessage).toBe('Container 999 was not found on node pve1.');
      const ct = await failure(c.guestAction('pve2', 'lxc', 200, 'start'), 'rejected', fake);
      expect(ct.userMessage).toBe('Proxmox refused that (HTTP 500): CT 200 already running.');
    });

    it('a 2xx answer that is not {data} is bad_response', async () => {
      fake.fault = { kind: 'status', status: 200, times: 3 };
      const err = await failure(client(fake).nodes(), 'bad_response', fake);
      expect(err.userMessage).toBe('Proxmox sent an answer Jarvis could not read; try again later.');
    });

    it('the caller can abort a call that hangs', async () => {
      fake.fault = { kind: 'hang' };
      const ac = new AbortController();
      const p = client(fake, ADMIN_TOKEN, { timeoutMs: 5_000 }).resources('vm', { signal: ac.signal });
      setTimeout(() => ac.abort(new Error('shutting down')), 20);
      await expect(p).rejects.toThrow('shutting down');
    });
  });

  describe('options', () => {
    it('refuses bad options without echoing the secret', () => {
      const base = { baseUrl: 'https://pve.lan:8006', tokenId: ADMIN_TOKEN.tokenId, tokenSecret: ADMIN_TOKEN.secret, timeoutMs: 1000 };
      const attempts: Partial<ProxmoxClientOptions>[] = [
        { baseUrl: 'not a url' },
        { baseUrl: 'ftp://pve.lan' },
        { baseUrl: 'https://root:pw@pve.lan:8006' },
        { tokenId: 'root@pam' },
        { tokenSecret: 'has space' },
        { fingerprint: 'AB:CD' },
        { baseUrl: 'http://pve.lan:8006', fingerprint: 'AB'.repeat(32) },
        { timeoutMs: 0 },
      ];
      for (const over of attempts) {
        let thrown: unknown;
        try {
          new ProxmoxClient({ ...base, ...over });
        } catch (e) {
          thrown = e;
        }
        expect(thrown).toBeInstanceOf(TypeError);
        expect(String(thrown)).not.toContain(ADMIN_TOKEN.secret);
        expect(String(thrown)).not.toContain('pve.lan');
      }
    });

    it('does not show the token when the client itself is logged', async () => {
      const { inspect } = await import('node:util');
      const c = client(fake);
      expect(inspect(c, { depth: 5 })).not.toContain(ADMIN_TOKEN.secret);
      expect(JSON.stringify(c)).not.toContain(ADMIN_TOKEN.secret);
    });
  });
});

describe('ProxmoxClient over HTTPS with a self-signed certificate', () => {
  let fake: FakeProxmox;
  beforeAll(async () => {
    fake = await FakeProxmox.start({ https: true });
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.clearRequests();
    fake.connections = 0;
  });

  it('works with the pinned fingerprint, in any case and with or without colons', async () => {
    for (const fingerprint of [fake.fingerprint256!, fake.fingerprint256!.toLowerCase().replace(/:/g, '')]) {
      const vms = await client(fake, ADMIN_TOKEN, { fingerprint }).resources('vm');
      expect(vms).toHaveLength(4);
    }
    expect(fake.authedRequests()).toHaveLength(2);
  });

  it('a wrong fingerprint fails with tls, and the fake never saw a request, let alone the token', async () => {
    const other = makeSelfSignedCert('elsewhere');
    const err = await failure(client(fake, ADMIN_TOKEN, { fingerprint: other.fingerprint256 }).resources('vm'), 'tls', fake);
    expect(err.userMessage).toBe('The Proxmox certificate does not match PROXMOX_FINGERPRINT; Jarvis did not send the token.');
    await failure(client(fake, ADMIN_TOKEN, { fingerprint: 'AB'.repeat(32) }).guestAction('pve1', 'qemu', 101, 'start'), 'tls', fake);
    expect(fake.connections).toBeGreaterThanOrEqual(2); // the handshakes did happen...
    expect(fake.requests).toEqual([]); // ...but no request followed them
    expect(fake.requests.some((r) => r.carriedSecret)).toBe(false);
    expect(fake.guest(101).status).toBe('stopped');
  });

  it('a tls failure is not retried', async () => {
    await failure(client(fake, ADMIN_TOKEN, { fingerprint: 'CD'.repeat(32), retries: 3 }).nodes(), 'tls', fake);
    expect(fake.connections).toBe(1);
  });

  it('works with ca = the certificate PEM', async () => {
    const c = client(fake, ADMIN_TOKEN, { ca: fake.certPem! });
    expect((await c.nodeStatus('pve1')).pveversion).toContain('pve-manager');
    expect(fake.authedRequests()).toHaveLength(1);
  });

  it('refuses a certificate from another CA, and an unconfigured self-signed one, before sending', async () => {
    const other = makeSelfSignedCert('other-ca');
    const wrongCa = await failure(client(fake, ADMIN_TOKEN, { ca: other.certPem }).nodes(), 'tls', fake);
    expect(wrongCa.userMessage).toContain('not signed by the CA in PROXMOX_CA_FILE');
    const none = await failure(client(fake).nodes(), 'tls', fake);
    expect(none.userMessage).toContain('set PROXMOX_FINGERPRINT or PROXMOX_CA_FILE');
    expect(fake.requests).toEqual([]);
  });

  it('an https URL pointing at a plain HTTP server is a tls error, and the server got no request', async () => {
    const plain = await FakeProxmox.start();
    try {
      const err = await failure(client(plain, ADMIN_TOKEN, { baseUrl: plain.url.replace('http:', 'https:'), fingerprint: fake.fingerprint256! }).nodes(), 'tls', plain);
      expect(err.userMessage).toContain('did not speak TLS');
      expect(plain.requests).toEqual([]);
    } finally {
      await plain.close();
    }
  });
});
