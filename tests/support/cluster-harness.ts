import { makeHarness, type Harness } from './app-harness.js';
import { ADMIN_TOKEN, FakeProxmox, type FakeProxmoxOptions, type FakeToken } from '../fakes/proxmox.js';
import { plainText } from '../../src/core/message.js';

/**
 * The real app with the cluster module pointed at a fake Proxmox over real HTTP on 127.0.0.1
 * (the real client runs). Cron is off: tests run the watcher by hand and wait for follow-ups.
 */
export interface ClusterHarness extends Harness {
  pve: FakeProxmox;
  /** Waits for every task follow-up and the notices they queued. */
  settle(): Promise<void>;
  /** Everything sent to a chat (messages, edits, notices) since the last call, as text. */
  seen(chatId: number | string): Promise<string[]>;
  /** Power requests (POST) the fake received. */
  posts(): string[];
  /** Audit rows for cluster actions, oldest first. */
  audit(): { actor: string; action: string; target: string | null; outcome: string; detail: string | null }[];
}

export const USER = 2002;
export const ADMIN2 = 3003;

export async function makeClusterHarness(
  opts: { token?: FakeToken; fake?: FakeProxmoxOptions; env?: Record<string, string>; pve?: FakeProxmox } = {},
): Promise<ClusterHarness> {
  const pve = opts.pve ?? (await FakeProxmox.start(opts.fake));
  const token = opts.token ?? ADMIN_TOKEN;
  const base = await makeHarness(
    {
      PROXMOX_URL: pve.url,
      PROXMOX_TOKEN_ID: token.tokenId,
      PROXMOX_TOKEN_SECRET: token.secret,
      PROXMOX_TIMEOUT_MS: '1000',
      CLUSTER_TASK_POLL_MS: '20',
      CLUSTER_TASK_TIMEOUT_SEC: '5',
      JARVIS_RATE_LIMIT_ENABLED: 'false',
      ...opts.env,
    },
    { cron: false },
  );
  base.app.services.roles.grant({ channel: 'telegram', userId: String(USER) }, 'user', 'test');
  base.app.services.roles.grant({ channel: 'telegram', userId: String(ADMIN2) }, 'admin', 'test');
  const read = new Map<string, number>();
  const settle = async () => {
    await base.app.services.cluster?.actions.idle();
    await base.app.services.notices.deliver();
  };
  const h = Object.create(base) as ClusterHarness;
  Object.assign(h, {
    pve,
    settle,
    async seen(chatId: number | string) {
      await settle();
      const chat = String(chatId);
      const all = base.memory.sent.filter((m) => m.chatId === chat && m.kind !== 'answer').map((m) => plainText(m.out.text));
      const from = read.get(chat) ?? 0;
      read.set(chat, all.length);
      return all.slice(from);
    },
    posts() {
      return pve.requests.filter((r) => r.method === 'POST').map((r) => r.path);
    },
    audit() {
      return base.app.services.db
        .prepare("SELECT actor, action, target, outcome, detail FROM audit_log WHERE action LIKE 'cluster %' ORDER BY id")
        .all() as ReturnType<ClusterHarness['audit']>;
    },
    async restart() {
      await base.restart();
      read.clear();
    },
    async close() {
      await base.close();
      if (!opts.pve) await pve.close();
    },
  });
  return h;
}
