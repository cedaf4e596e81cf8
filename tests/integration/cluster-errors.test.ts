import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN } from '../support/app-harness.js';
import { makeClusterHarness, USER, type ClusterHarness } from '../support/cluster-harness.js';
import { FakeProxmox, NOACL_TOKEN, READER_TOKEN } from '../fakes/proxmox.js';

/**
 * Each way Proxmox can fail, as a person sees it: one sentence, no stack trace, no secret, and the
 * chat answered in bounded time (every call has a timeout).
 */

let h: ClusterHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function oneSentence(replies: string[]): string {
  expect(replies).toHaveLength(1);
  const [text] = replies as [string];
  expect(text).not.toMatch(/\bat .*\.(js|ts):\d+|Error:|Something went wrong/);
  expect(text).not.toContain(READER_TOKEN.secret);
  return text;
}

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('cluster errors', () => {
  it('an unreachable host: one sentence, nothing crashes', async () => {
    const pve = await FakeProxmox.start();
    try {
      h = await makeClusterHarness({ pve, env: { PROXMOX_URL: `http://127.0.0.1:${await closedPort()}` } });
      expect(oneSentence(await h.say(USER, '/cluster'))).toMatch(/^The Proxmox host could not be reached \(connection refused/);
      // Refused before anything was sent: a failure, not a maybe.
      expect(oneSentence(await h.say(ADMIN, '/vm 101 start'))).toMatch(/could not be reached/);
    } finally {
      await pve.close();
    }
  });

  it('a host that never answers: the chat gets its answer within the timeouts, not a hang', async () => {
    h = await makeClusterHarness({ env: { PROXMOX_TIMEOUT_MS: '500' } });
    h.pve.fault = { kind: 'hang' };
    const t0 = Date.now();
    expect(oneSentence(await h.say(USER, '/cluster'))).toMatch(/^The Proxmox host did not answer \(timeout after 0\.5 s, tried 2 times\)\./);
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it('a POST whose answer never comes may have acted: recorded as unknown and the person told to check', async () => {
    h = await makeClusterHarness({ env: { PROXMOX_TIMEOUT_MS: '500' } });
    h.pve.fault = { kind: 'hang', method: 'POST' };
    expect(await h.say(ADMIN, '/vm 101 start')).toEqual(['Starting VM 101 (db) on pve1…']);
    await h.settle();
    const edit = h.memory.sent.filter((m) => m.kind === 'edit').at(-1)!;
    expect(edit.out.text).toMatch(/^Start VM 101 \(db\) on pve1: the Proxmox host did not answer \(timeout after 0\.5 s\)\. The action may still have started: check its status before trying again\. Check with \/vm 101\.$/);
    expect(h.audit().at(-1)).toMatchObject({ outcome: 'unknown' });
    expect(h.posts()).toEqual(['/nodes/pve1/qemu/101/status/start']);
  });

  it('a bad token (401)', async () => {
    h = await makeClusterHarness({ token: { ...READER_TOKEN, secret: 'ffffffff-0000-4000-8000-000000000000' } });
    expect(oneSentence(await h.say(USER, '/vms'))).toBe('Proxmox refused the API token (401): check PROXMOX_TOKEN_ID and PROXMOX_TOKEN_SECRET.');
  });

  it('a token without the power privilege (403) on an action', async () => {
    h = await makeClusterHarness({ token: READER_TOKEN });
    expect(await h.say(ADMIN, '/vm 101 start')).toEqual(['Starting VM 101 (db) on pve1…']);
    await h.settle();
    expect(h.memory.sent.filter((m) => m.kind === 'edit').at(-1)!.out.text).toBe('Start VM 101 (db) on pve1: the API token lacks permission for that (403): it needs VM.PowerMgmt on /vms/101.');
    expect(h.pve.guest(101).status).toBe('stopped');
    expect(h.audit().at(-1)).toMatchObject({ outcome: 'failed' });
  });

  it('a token that sees nothing (200, empty lists) is told apart from an empty cluster', async () => {
    h = await makeClusterHarness({ token: NOACL_TOKEN });
    const [overview] = await h.say(USER, '/cluster');
    expect(overview).toMatch(/No VMs or containers are visible: the API token may lack ACLs\. Give it VM\.Audit/);
    expect(oneSentence(await h.say(USER, '/vms'))).toMatch(/^No VMs or containers are visible: the API token may lack ACLs/);
  });

  it('an empty cluster with a token that may see everything says there are none', async () => {
    h = await makeClusterHarness({ fake: { empty: true } });
    h.pve.addNode({ node: 'pve1' });
    expect(oneSentence(await h.say(USER, '/vms'))).toBe('There are no VMs or containers on the cluster.');
  });

  it('an offline node: its guests are unknown, and acting on them says the node cannot be reached', async () => {
    h = await makeClusterHarness();
    h.pve.setNode('pve2', { status: 'offline' });
    expect((await h.say(USER, '/cluster'))[0]).toMatch(/Cluster: 1 of 2 nodes online\n.*\npve2: OFFLINE/);
    expect((await h.say(USER, '/ct 200'))[0]).toMatch(/^CT 200 \(dns\) on pve2 · unknown/);
    expect(await h.say(ADMIN, '/ct 200 start')).toEqual(['Starting CT 200 (dns) on pve2…']);
    await h.settle();
    expect(h.memory.sent.filter((m) => m.kind === 'edit').at(-1)!.out.text).toMatch(/^Start CT 200 \(dns\) on pve2: proxmox could not reach node pve2/i);
  });
});
