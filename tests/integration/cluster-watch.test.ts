import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN } from '../support/app-harness.js';
import clusterWatch from '../../jobs/cluster-watch.js';
import { ADMIN2, makeClusterHarness, USER, type ClusterHarness } from '../support/cluster-harness.js';

/**
 * The watch job against a fake Proxmox whose state the test changes: every admin is told once
 * when a condition starts and once when it clears, never again while it lasts; users are not told.
 */

let h: ClusterHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** One run of the job, as the scheduler would start it (cron is off in tests). */
async function watch(t: ClusterHarness): Promise<void> {
  t.clock.advance(60_000);
  await clusterWatch.run(t.app.services, new AbortController().signal);
}

describe('cluster watch', () => {
  it('is scheduled from config', async () => {
    h = await makeClusterHarness({ env: { CLUSTER_WATCH_CRON: '*/2 * * * *' } });
    expect(h.app.services.scheduler.jobs().find((j) => j.name === 'cluster-watch')).toMatchObject({ cron: '*/2 * * * *', missed: 'skip' });
  });

  it('a node going offline and coming back is told once each way, to every admin', async () => {
    h = await makeClusterHarness();
    await watch(h);
    expect(await h.seen(ADMIN)).toEqual([]);
    h.pve.setNode('pve2', { status: 'offline' });
    await watch(h);
    await watch(h);
    expect(await h.seen(ADMIN)).toEqual(['⚠️ Node pve2 is offline: its guests cannot be reached.']);
    expect(await h.seen(ADMIN2)).toEqual(['⚠️ Node pve2 is offline: its guests cannot be reached.']);
    expect(await h.seen(USER)).toEqual([]);
    expect((await h.say(USER, '/cluster'))[0]).toMatch(/Alerts: node pve2 offline/);
    await h.seen(USER);
    h.pve.setNode('pve2', { status: 'online' });
    await watch(h);
    await watch(h);
    expect(await h.seen(ADMIN)).toEqual(['✅ Node pve2 is back online.']);
    expect(await h.seen(USER)).toEqual([]);
  });

  it('a running VM that stops without Jarvis is an alert; one Jarvis stopped is not', async () => {
    h = await makeClusterHarness();
    await watch(h);
    h.pve.setGuest(100, { status: 'stopped' });
    await watch(h);
    await watch(h);
    expect(await h.seen(ADMIN)).toEqual(['⚠️ VM 100 (web) on pve1 stopped unexpectedly (it was running).']);
    h.pve.setGuest(100, { status: 'running' });
    await watch(h);
    expect(await h.seen(ADMIN)).toEqual(['✅ VM 100 (web) on pve1 is running again.']);

    await h.say(ADMIN, '/ct 200 shutdown');
    await h.settle();
    expect(h.pve.guest(200).status).toBe('stopped');
    await h.seen(ADMIN);
    await watch(h);
    expect(await h.seen(ADMIN)).toEqual([]);
  });

  it('thresholds alert once, hold inside the clear margin, and clear below it', async () => {
    h = await makeClusterHarness({ env: { CLUSTER_ALERT_CPU_PCT: '90', CLUSTER_ALERT_CLEAR_MARGIN_PCT: '5', CLUSTER_ALERT_DISK_PCT: '80' } });
    await watch(h);
    h.pve.setNode('pve1', { cpu: 0.95 });
    h.pve.setNode('pve2', { disk: 85 * 1024 ** 3 });
    await watch(h);
    expect((await h.seen(ADMIN)).sort()).toEqual(['⚠️ Node pve1: CPU at 95% (threshold 90%).', '⚠️ Node pve2: root disk at 85% (threshold 80%).']);
    h.pve.setNode('pve1', { cpu: 0.88 });
    await watch(h);
    expect(await h.seen(ADMIN)).toEqual([]);
    h.pve.setNode('pve1', { cpu: 0.4 });
    await watch(h);
    expect(await h.seen(ADMIN)).toEqual(['✅ Node pve1: CPU back to 40%.']);
  });

  it('the Proxmox API itself going away is one alert, and one all-clear', async () => {
    h = await makeClusterHarness({ env: { PROXMOX_TIMEOUT_MS: '500' } });
    await watch(h);
    h.pve.fault = { kind: 'status', status: 503 };
    await watch(h);
    await watch(h);
    expect(await h.seen(ADMIN)).toEqual(['⚠️ Jarvis cannot read the Proxmox cluster: the Proxmox host is not available right now (HTTP 503, tried 2 times); try again in a minute.']);
    h.pve.fault = undefined;
    await watch(h);
    expect(await h.seen(ADMIN)).toEqual(['✅ Jarvis can read the Proxmox cluster again.']);
  });

  it('an alert raised before a restart is not told again after it', async () => {
    h = await makeClusterHarness();
    await watch(h);
    h.pve.setNode('pve1', { status: 'offline' });
    await watch(h);
    expect(await h.seen(ADMIN)).toHaveLength(1);
    await h.restart();
    await watch(h);
    expect(await h.seen(ADMIN)).toEqual([]);
  });
});

describe('cluster watch after Jarvis acts', () => {
  it('a node Jarvis rebooted does not report its guests as stopped unexpectedly; a start does not hide a later crash', async () => {
    h = await makeClusterHarness();
    await watch(h);
    await h.say(ADMIN, '/node pve1 reboot');
    await h.press(ADMIN, h.lastButtons()![0]![0]!.data);
    await h.settle();
    await h.seen(ADMIN);
    await watch(h);
    expect((await h.seen(ADMIN)).filter((t) => /unexpectedly/.test(t))).toEqual([]);
    await h.say(ADMIN, '/ct 200 start');
    await h.settle();
    await watch(h);
    await h.seen(ADMIN);
    h.pve.setGuest(200, { status: 'stopped' });
    await watch(h);
    expect(await h.seen(ADMIN)).toEqual(['⚠️ CT 200 (dns) on pve2 stopped unexpectedly (it was running).']);
  });
});
