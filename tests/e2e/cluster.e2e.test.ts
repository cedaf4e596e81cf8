import { afterEach, describe, expect, it } from 'vitest';
import { person, useHarness } from './harness.js';
import { ADMIN_TOKEN, FakeProxmox } from '../fakes/proxmox.js';

const ADMIN = person(1001, 'Ada');

/**
 * The built daemon against a fake Bot API and a fake Proxmox over HTTPS with a self-signed
 * certificate pinned by fingerprint: a RED stop asked, confirmed with its button, sent once, and
 * its outcome edited into the message the person pressed.
 */
describe('cluster e2e', () => {
  const harness = useHarness();
  let pve: FakeProxmox | undefined;
  afterEach(async () => {
    await pve?.close();
    pve = undefined;
  });

  it('reads over pinned TLS, and a confirmed RED stop is sent once and reported in place', async () => {
    pve = await FakeProxmox.start({ https: true });
    const h = harness();
    const daemon = await h.start({
      JARVIS_ADMINS: `telegram:${ADMIN.id}`,
      PROXMOX_URL: pve.url,
      PROXMOX_TOKEN_ID: ADMIN_TOKEN.tokenId,
      PROXMOX_TOKEN_SECRET: ADMIN_TOKEN.secret,
      PROXMOX_FINGERPRINT: pve.fingerprint256!,
      CLUSTER_TASK_POLL_MS: '50',
    });
    expect(await h.ask(ADMIN, '/cluster')).toMatch(/^Cluster: 2 of 2 nodes online/);
    expect(await h.ask(ADMIN, '/vm 100 stop')).toMatch(/^Stop VM 100 \(web\) on pve1\?/);
    const pressed = h.press(ADMIN, 'Yes, stop VM 100', 'Stop VM 100');
    // The confirmation message itself becomes the progress, then the outcome: what the person's client shows.
    const edits = () => h.fake.sentTo(ADMIN.id).filter((c) => c.method === 'editMessageText');
    await h.fake.waitFor(() => edits().some((c) => c.params.text === 'VM 100 (web) on pve1: stopped.'));
    expect(edits().map((c) => [c.params.message_id, c.params.text])).toEqual([
      [pressed.messageId, 'Hard-stopping VM 100 (web) on pve1…'],
      [pressed.messageId, 'VM 100 (web) on pve1: stopped.'],
    ]);
    expect(h.botMessage(ADMIN.id, 'VM 100 (web) on pve1: stopped.').buttons).toEqual([]);
    expect(pve.guest(100).status).toBe('stopped');
    expect(pve.requests.filter((r) => r.method === 'POST').map((r) => r.path)).toEqual(['/nodes/pve1/qemu/100/status/stop']);
    expect(JSON.stringify(daemon.logs)).not.toContain(ADMIN_TOKEN.secret);
  });
});
