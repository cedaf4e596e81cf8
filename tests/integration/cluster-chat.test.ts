import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN } from '../support/app-harness.js';
import { ADMIN2, makeClusterHarness, USER, type ClusterHarness } from '../support/cluster-harness.js';

/**
 * The cluster from chat, as people use it, against a fake Proxmox that changes state when its tasks
 * finish: every tier, the RED confirmation (accepted, expired, pressed by someone else, pressed
 * twice), BLACK refused, lockdown, and the task outcome edited into the reply.
 */

let h: ClusterHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const confirmData = (t: ClusterHarness) => t.lastButtons()?.[0]?.[0]?.data;
const cancelData = (t: ClusterHarness) => t.lastButtons()?.[0]?.[1]?.data;

describe('cluster reads (GREEN)', () => {
  it('/cluster shows every node with figures and counts of running and stopped guests, with node buttons', async () => {
    h = await makeClusterHarness();
    const [text] = await h.say(USER, '/cluster');
    expect(text).toMatch(/Cluster: 2 of 2 nodes online/);
    expect(text).toMatch(/pve1: online · CPU 12% of 16 · mem 38% of 64 GB · disk 40% of 100 GB · up 10d 0h/);
    // The template (9000) is not counted as a stopped VM.
    expect(text).toMatch(/VMs: 1 running, 1 stopped · Containers: 1 running, 0 stopped/);
    expect(h.lastButtons()!.flat().map((b) => b.data)).toEqual(['cl:n:pve1', 'cl:n:pve2', 'cl:o']);
  });

  it('many people asking at once cost one round of requests (one read per resource type)', async () => {
    h = await makeClusterHarness();
    h.pve.clearRequests();
    const answers = await Promise.all([ADMIN, USER, ADMIN2, ADMIN, USER, ADMIN2].map((u) => h!.say(u, '/cluster')));
    expect(answers.every(([t]) => /2 of 2 nodes online/.test(t ?? ''))).toBe(true);
    const reads = h.pve.requests.filter((r) => r.path === '/cluster/resources').map((r) => r.query.type).sort();
    expect(reads).toEqual(['node', 'vm']);
  });

  it('/vms, /cts, /vm and /node show lists and details; a user gets no power buttons, an admin does', async () => {
    h = await makeClusterHarness();
    const [vms] = await h.say(USER, '/vms');
    expect(vms).toMatch(/VMs \(3\):\n100 web · pve1 · running · CPU 5%.*\n101 db · pve1 · stopped\n9000 debian-tpl · pve2 · template/);
    expect((await h.say(USER, '/cts pve2'))[0]).toMatch(/Containers on pve2 \(1\):\n200 dns · pve2 · running/);
    expect((await h.say(USER, '/cts pve1'))[0]).toBe('No containers on pve1.');
    const [card] = await h.say(USER, '/vm 100');
    expect(card).toMatch(/^VM 100 \(web\) on pve1 · running\nCPU/);
    expect(card).toMatch(/Tags: prod, web/);
    expect(h.lastButtons()!.flat().map((b) => b.label)).toEqual(['Refresh']);
    await h.say(ADMIN, '/vm 100');
    expect(h.lastButtons()!.flat().map((b) => b.data)).toEqual(['cl:a:shutdown:100', 'cl:a:reboot:100', 'cl:a:suspend:100', 'cl:a:stop:100', 'cl:a:reset:100', 'cl:g:100', 'cl:n:pve1']);
    await h.say(ADMIN, '/ct 200');
    // Containers have no suspend or reset.
    expect(h.lastButtons()!.flat().map((b) => b.data)).toEqual(['cl:a:shutdown:200', 'cl:a:reboot:200', 'cl:a:stop:200', 'cl:g:200', 'cl:n:pve2']);
    const [node] = await h.say(USER, '/node pve1');
    expect(node).toMatch(/Node pve1\npve1: online.*\nLoad .*\nVM 100 \(web\): running\nVM 101 \(db\): stopped/);
    expect(h.lastButtons()!.flat().some((b) => b.data.startsWith('cl:na:'))).toBe(false);
    expect((await h.press(USER, 'cl:n:pve2')).texts[0]).toMatch(/^Node pve2/);
  });

  it('says which command fits when /ct names a VM or /vm a container, and that a vmid does not exist', async () => {
    h = await makeClusterHarness();
    expect(await h.say(USER, '/ct 100')).toEqual(['100 is a VM: use /vm 100.']);
    expect(await h.say(ADMIN, '/vm 200 start')).toEqual(['200 is a container: use /ct 200 start.']);
    expect(await h.say(USER, '/vm 555')).toEqual(['There is no VM or container 555 on the cluster (or the API token may not see it).']);
    expect(await h.say(USER, '/vm abc')).toEqual([expect.stringMatching(/^Usage: \/vm <vmid>/)]);
    expect(await h.say(USER, '/node ../etc')).toEqual(['Usage: /node <name> [reboot|shutdown]']);
    expect(await h.say(USER, '/node pve9')).toEqual(['There is no node called pve9 in the cluster.']);
    expect(h.posts()).toEqual([]);
  });
});

describe('YELLOW actions', () => {
  it('an admin starts a VM: a progress reply, the task followed, the reply edited with the outcome, all audited', async () => {
    h = await makeClusterHarness();
    expect(await h.say(ADMIN, '/vm 101 start')).toEqual(['Starting VM 101 (db) on pve1…']);
    await h.settle();
    const edits = h.memory.sent.filter((m) => m.kind === 'edit');
    expect(edits.map((e) => e.out.text)).toEqual(['VM 101 (db) on pve1: started.']);
    expect(h.pve.guest(101).status).toBe('running');
    expect(h.posts()).toEqual(['/nodes/pve1/qemu/101/status/start']);
    expect(h.audit().map((a) => [a.actor, a.action, a.target, a.outcome, a.detail?.split(';')[0]])).toEqual([
      [`telegram:${ADMIN}`, 'cluster start', 'VM 101 (db) on pve1', 'sent', 'tier yellow'],
      [`telegram:${ADMIN}`, 'cluster start', 'VM 101 (db) on pve1', 'ok', 'tier yellow'],
    ]);
  });

  it('a user may not: refused with the tier, audited, nothing sent', async () => {
    h = await makeClusterHarness();
    expect(await h.say(USER, '/vm 101 start')).toEqual(['Only admins may start VM 101 (db) on pve1 (YELLOW tier).']);
    expect(await h.press(USER, 'cl:a:reboot:100')).toMatchObject({ texts: ['Only admins may reboot VM 100 (web) on pve1 (YELLOW tier).'] });
    expect(h.posts()).toEqual([]);
    expect(h.audit().map((a) => [a.action, a.outcome, a.detail])).toEqual([
      ['cluster start', 'denied', 'tier yellow; role user'],
      ['cluster reboot', 'denied', 'tier yellow; role user'],
    ]);
  });

  it('a failed task (guest locked by a backup) is told in one sentence and recorded as failed', async () => {
    h = await makeClusterHarness();
    h.pve.setGuest(100, { lock: 'backup' });
    await h.say(ADMIN, '/vm 100 reboot');
    await h.settle();
    const last = h.memory.sent.filter((m) => m.kind === 'edit').at(-1)!;
    expect(last.out.text).toMatch(/VM 100.*locked.*backup/i);
    expect(h.pve.guest(100).status).toBe('running');
    expect(h.audit().at(-1)).toMatchObject({ outcome: 'failed' });
  });

  it('an action already in progress on the same guest is refused until it ends', async () => {
    h = await makeClusterHarness({ fake: { taskPolls: 15 } });
    expect(await h.say(ADMIN, '/vm 101 start')).toEqual(['Starting VM 101 (db) on pve1…']);
    expect(await h.say(ADMIN2, '/vm 101 start')).toEqual([expect.stringMatching(/^VM 101 \(db\) on pve1 already has an action in progress \(start, asked 0s ago\)/)]);
    await h.settle();
    expect(h.posts()).toEqual(['/nodes/pve1/qemu/101/status/start']);
    // Once done, the next one goes (and Proxmox itself says it is already running).
    expect(await h.say(ADMIN2, '/vm 101 reboot')).toEqual(['Rebooting VM 101 (db) on pve1…']);
  });
});

describe('RED actions need the asker to confirm in time', () => {
  it('asks with a button naming the target, sends nothing until confirmed, then stops the VM once', async () => {
    h = await makeClusterHarness();
    const [prompt] = await h.say(ADMIN, '/vm 100 stop');
    expect(prompt).toMatch(/^Stop VM 100 \(web\) on pve1\? Pull the plug: the guest stops at once, unsaved data is lost\. This is a RED action\. Confirm within 1m 0s\./);
    expect(h.lastButtons()![0]!.map((b) => b.label)).toEqual(['Yes, stop VM 100', 'Cancel']);
    expect(h.posts()).toEqual([]);
    const data = confirmData(h)!;
    const pressed = await h.press(ADMIN, data);
    expect(pressed.texts).toEqual(['Hard-stopping VM 100 (web) on pve1…']);
    await h.settle();
    expect(h.pve.guest(100).status).toBe('stopped');
    // Pressing again (or a retry of the same update) sends nothing more.
    expect((await h.press(ADMIN, data)).texts).toEqual(['This confirmation was already answered; nothing more was sent.']);
    expect(h.posts()).toEqual(['/nodes/pve1/qemu/100/status/stop']);
    expect(h.audit().map((a) => [a.action, a.outcome, a.detail?.split(';')[0]])).toEqual([
      ['cluster stop', 'asked', 'tier red'],
      ['cluster stop', 'sent', 'tier red'],
      ['cluster stop', 'ok', 'tier red'],
    ]);
  });

  it('a confirmation pressed by another admin does nothing and is audited; the asker can still confirm', async () => {
    h = await makeClusterHarness();
    await h.say(ADMIN, '/vm 100 reset');
    const data = confirmData(h)!;
    expect((await h.press(ADMIN2, data)).texts).toEqual(['Only the admin who asked for this can answer it.']);
    expect((await h.press(USER, data)).texts).toEqual(['Only the admin who asked for this can answer it.']);
    expect(h.posts()).toEqual([]);
    expect(h.audit().filter((a) => a.outcome === 'denied').map((a) => a.actor)).toEqual([`telegram:${ADMIN2}`, `telegram:${USER}`]);
    expect((await h.press(ADMIN, data)).texts).toEqual(['Resetting VM 100 (web) on pve1…']);
    await h.settle();
    expect(h.posts()).toEqual(['/nodes/pve1/qemu/100/status/reset']);
  });

  it('an expired confirmation sends nothing', async () => {
    h = await makeClusterHarness();
    await h.say(ADMIN, '/vm 100 stop');
    const data = confirmData(h)!;
    h.clock.advance(61_000);
    expect((await h.press(ADMIN, data)).texts).toEqual(['This confirmation expired, so nothing was sent to VM 100 (web) on pve1. Ask again if you still want to.']);
    expect((await h.press(ADMIN, data)).texts).toEqual(['This confirmation expired; nothing more was sent.']);
    expect(h.posts()).toEqual([]);
    expect(h.pve.guest(100).status).toBe('running');
    expect(h.audit().map((a) => a.outcome)).toEqual(['asked', 'expired']);
  });

  it('Cancel sends nothing', async () => {
    h = await makeClusterHarness();
    await h.say(ADMIN, '/vm 100 stop');
    expect((await h.press(ADMIN, cancelData(h)!)).texts).toEqual(['Cancelled: nothing was sent to VM 100 (web) on pve1.']);
    expect(h.posts()).toEqual([]);
  });

  it('a node reboot is RED: confirmed, sent once, followed until the node is back', async () => {
    h = await makeClusterHarness();
    expect((await h.press(USER, 'cl:na:reboot:pve2')).texts).toEqual(['Only admins may reboot node pve2 (RED tier).']);
    expect(await h.say(ADMIN, '/cluster reboot node')).toEqual(['Say which node: /node <name> reboot.']);
    const [prompt] = await h.say(ADMIN, '/node pve2 reboot');
    expect(prompt).toMatch(/^Reboot node pve2\? Reboot a whole node, and every guest on it with it\./);
    expect(h.lastButtons()![0]![0]!.label).toBe('Yes, reboot node pve2');
    expect((await h.press(ADMIN, confirmData(h)!)).texts).toEqual(['Rebooting node pve2…']);
    await h.settle();
    expect(h.memory.sent.filter((m) => m.kind === 'edit').at(-1)!.out.text).toBe('Node pve2: rebooted and back online.');
    expect(h.posts()).toEqual(['/nodes/pve2/status']);
  });
  it('one failed read while following a node shutdown is not taken for the node going down', async () => {
    h = await makeClusterHarness({ fake: { nodeGoesDownMs: 500 } });
    await h.say(ADMIN, '/node pve2 shutdown');
    // One failed read: the client tries a GET 3 times before giving up on it.
    h.pve.fault = { kind: 'drop', times: 3, method: 'GET', path: /cluster\/resources/ };
    // What the node really was when the person was told the outcome.
    const nodeWhenTold: string[] = [];
    const edit = h.memory.edit.bind(h.memory);
    h.memory.edit = async (ref, out) => {
      if (String(out.text).startsWith('Node pve2:')) nodeWhenTold.push(h!.pve.nodes.get('pve2')!.status);
      return edit(ref, out);
    };
    expect((await h.press(ADMIN, confirmData(h)!)).texts).toEqual(['Shutting down node pve2…']);
    await h.settle();
    expect(h.memory.sent.filter((m) => m.kind === 'edit').at(-1)!.out.text).toBe('Node pve2: shut down.');
    expect(h.pve.requests.some((r) => r.method === 'GET' && r.path.includes('cluster/resources') && r.status === -1)).toBe(true);
    expect(nodeWhenTold).toEqual(['offline']);
  });
});

describe('BLACK and lockdown', () => {
  it('BLACK words are refused for everyone, admins included, and audited', async () => {
    h = await makeClusterHarness();
    expect(await h.say(ADMIN, '/vm 100 destroy')).toEqual(['Refused (BLACK tier, never from chat, whoever asks): Deleting a guest or its disks is never done from chat.']);
    expect(await h.say(ADMIN, '/node pve1 exec rm -rf /')).toEqual([expect.stringMatching(/^"exec rm rf \/" is not a cluster action Jarvis knows/)]);
    expect(await h.say(ADMIN, '/node pve1 shell')).toEqual([expect.stringMatching(/^Refused \(BLACK tier.*No remote shells/)]);
    expect(await h.say(ADMIN, '/cluster acl')).toEqual([expect.stringMatching(/^Refused \(BLACK tier.*Users, tokens, roles and ACLs never change from chat\./)]);
    expect(await h.say(USER, '/vm 100 migrate')).toEqual([expect.stringMatching(/^Refused \(BLACK tier/)]);
    expect(h.posts()).toEqual([]);
    expect(h.audit().map((a) => [a.action, a.outcome, a.detail?.split(';')[0]])).toEqual([
      ['cluster destroy', 'refused', 'tier black'],
      ['cluster exec rm rf /', 'refused', 'tier black'],
      ['cluster shell', 'refused', 'tier black'],
      ['cluster access', 'refused', 'tier black'],
      ['cluster migrate', 'refused', 'tier black'],
    ]);
  });

  it('lockdown refuses YELLOW and RED (also a confirmation given after it began) but keeps reads', async () => {
    h = await makeClusterHarness();
    await h.say(ADMIN, '/vm 100 stop');
    const data = confirmData(h)!;
    await h.say(ADMIN, '/lockdown on');
    expect(await h.say(ADMIN, '/vm 101 start')).toEqual([expect.stringMatching(/^Refused: Jarvis is in lockdown/)]);
    expect((await h.press(ADMIN, 'cl:a:reset:100')).texts).toEqual([expect.stringMatching(/^Refused: Jarvis is in lockdown/)]);
    expect((await h.press(ADMIN, data)).texts).toEqual(['Refused: Jarvis went into lockdown, so nothing was sent to VM 100 (web) on pve1.']);
    expect((await h.say(USER, '/cluster'))[0]).toMatch(/2 of 2 nodes online/);
    expect(h.posts()).toEqual([]);
    expect(h.audit().filter((a) => a.outcome === 'refused').map((a) => a.detail)).toEqual(['tier yellow; lockdown', 'tier red; lockdown', 'tier red; lockdown']);
  });
});

describe('restarts', () => {
  it('an action left mid-send is never re-sent: marked unknown and the asker told; a running task is followed again', async () => {
    h = await makeClusterHarness({ fake: { taskPolls: 1_000_000 } });
    await h.say(ADMIN, '/vm 101 start');
    const store = h.app.services.db;
    // A crash between writing the row and hearing back from Proxmox leaves it 'sending'.
    store.prepare("INSERT INTO cluster_actions (actor, chat_id, node, kind, vmid, name, action, tier, state, created_at, updated_at) VALUES (?, ?, 'pve1', 'qemu', 100, 'web', 'reboot', 'yellow', 'sending', 1, 1)").run(`telegram:${ADMIN}`, String(ADMIN));
    await h.restart();
    h.pve.taskPolls = 0;
    await h.settle();
    const texts = await h.seen(ADMIN);
    expect(texts).toContain('Jarvis restarted while sending "reboot" to VM 100 (web) on pve1. It may or may not have happened, and it was not sent again. Check with /vm 100.');
    expect(texts).toContain('VM 101 (db) on pve1: started.');
    expect(h.posts()).toEqual(['/nodes/pve1/qemu/101/status/start']);
    expect(h.pve.guest(101).status).toBe('running');
  });
});

describe('upkeep', () => {
  it('maintenance forgets finished actions after 30 days; the audit log keeps them', async () => {
    h = await makeClusterHarness();
    await h.say(ADMIN, '/vm 101 start');
    await h.settle();
    const count = () => (h!.app.services.db.prepare('SELECT COUNT(*) AS n FROM cluster_actions').get() as { n: number }).n;
    expect(count()).toBe(1);
    h.clock.advance(31 * 86_400_000);
    const maintenance = (await import('../../jobs/maintenance.js')).default;
    expect(await maintenance.run(h.app.services, new AbortController().signal)).toMatch(/cluster_actions=1/);
    expect(count()).toBe(0);
    expect(h.audit().map((a) => a.outcome)).toEqual(['sent', 'ok']);
  });
});

describe('not configured', () => {
  it('every cluster command says how to set it up', async () => {
    const { makeHarness } = await import('../support/app-harness.js');
    const plain = await makeHarness({}, { cron: false });
    try {
      for (const cmd of ['/cluster', '/vms', '/vm 100 start', '/node pve1']) {
        expect(await plain.say(ADMIN, cmd)).toEqual(['The cluster module is not set up: set PROXMOX_URL, PROXMOX_TOKEN_ID and PROXMOX_TOKEN_SECRET (see docs/cluster.md).']);
      }
      expect(plain.app.services.scheduler.names()).not.toContain('cluster-watch');
    } finally {
      await plain.close();
    }
  });
});
