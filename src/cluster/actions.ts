import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Outbound, SentRef } from '../core/message.js';
import type { Notices } from '../core/notices.js';
import type { AuditLog } from '../access/audit.js';
import type { Lockdown } from '../access/lockdown.js';
import type { Role } from '../access/roles.js';
import type { ClusterConfig } from '../config.js';
import { UserError } from '../core/errors.js';
import { formatDuration } from '../core/render.js';
import { isClusterError, phraseClusterError } from './errors.js';
import { afterColon, guestLabel, kindLabel } from './format.js';
import { guestActionSupported, type GuestAction, type GuestKind, type NodeAction, type ProxmoxClient } from './proxmox.js';
import type { ClusterReads } from './reads.js';
import type { ClusterAction, ClusterStore } from './store.js';
import { classifyClusterAction, tierAllows, type ClusterActionClass, type Tier } from './tiers.js';
import { pauseUnlessAborted } from '../core/pause.js';

/**
 * Power actions on guests and nodes, from the word a person typed to the task's outcome:
 * classify (tiers.ts) -> check role and lockdown -> write the row -> (RED: wait for the asker's
 * confirmation) -> send once -> follow the Proxmox task and edit the reply with how it ended.
 * Every refusal and every outcome is audited with who, what, tier and outcome.
 */

export type ActionTarget = { kind: 'guest'; vmid: number; hint?: GuestKind } | { kind: 'node'; node: string };

export interface Actor {
  key: string;
  role: Role;
  chatId: string;
}

export type Plan =
  /** RED: ask first; the buttons carry `action.id`. */
  | { step: 'confirm'; action: ClusterAction; prompt: string; confirmLabel: string }
  /** YELLOW (or a confirmed RED): reply `progress`, then call execute() with that reply. */
  | { step: 'send'; action: ClusterAction; progress: string };

/** Edits a reply sent earlier in the asker's chat (the channel's own edit). */
export type ReplyEditor = (actorKey: string, ref: SentRef, out: Outbound) => Promise<void>;

export interface ClusterActionsDeps {
  client: ProxmoxClient;
  reads: ClusterReads;
  store: ClusterStore;
  clock: Clock;
  log: Logger;
  config: ClusterConfig;
  lockdown: Lockdown;
  audit: AuditLog;
  notices: Notices;
  /** Only the daemon sends power actions: it follows them, and reconciles them after a crash. */
  owner: boolean;
}

const VERBS: Record<string, [doing: string, done: string, imperative: string]> = {
  start: ['Starting', 'started', 'Start'],
  shutdown: ['Shutting down', 'shut down', 'Shut down'],
  reboot: ['Rebooting', 'rebooted', 'Reboot'],
  suspend: ['Suspending', 'suspended', 'Suspend'],
  resume: ['Resuming', 'resumed', 'Resume'],
  stop: ['Hard-stopping', 'stopped', 'Stop'],
  reset: ['Resetting', 'reset', 'Reset'],
  'node reboot': ['Rebooting', 'rebooted and back online', 'Reboot'],
  'node shutdown': ['Shutting down', 'shut down', 'Shut down'],
};

/** "Reboot", "Shut down": the action as a command, for prompts and failure replies. */
function imperative(action: string): string {
  return VERBS[action]?.[2] ?? capitalise(action);
}

/** How long to follow a node power command: a real server often takes minutes to come back. */
const NODE_FOLLOW_MIN_MS = 10 * 60_000;

const TIER_NAME: Record<Tier, string> = { green: 'GREEN', yellow: 'YELLOW', red: 'RED', black: 'BLACK' };

/** "VM 101 (db) on pve1" or "node pve1". */
export function actionTarget(a: Pick<ClusterAction, 'kind' | 'vmid' | 'name' | 'node'>): string {
  return a.kind === 'node' ? `node ${a.node}` : `${guestLabel(a.kind, a.vmid!, a.name)} on ${a.node}`;
}

export class ClusterActions {
  private editor?: ReplyEditor;
  private readonly following = new Set<Promise<void>>();
  private readonly abort = new AbortController();

  constructor(private readonly d: ClusterActionsDeps) {}

  /** Where follow-ups edit replies; set once channels run. Without one, outcomes go out as notices. */
  setEditor(editor: ReplyEditor): void {
    this.editor = editor;
  }

  /**
   * Checks a power action and records it (state confirming or sending). Throws a UserError, after
   * auditing it, for anything refused: an unknown or BLACK word, a role below the tier, lockdown,
   * a target that does not exist or has an action in flight.
   */
  async plan(actor: Actor, target: ActionTarget | undefined, word: string): Promise<Plan> {
    const c = classifyClusterAction(word);
    const what = !target ? 'cluster' : target.kind === 'node' ? `node ${target.node}` : `${target.hint ? kindLabel(target.hint) : 'guest'} ${target.vmid}`;
    if (!c.known) {
      this.record(actor.key, c.input || '(empty)', 'black', what, 'refused', 'unknown word');
      throw new UserError(`"${c.input}" is not a cluster action Jarvis knows, so nothing was done. Guests: start, shutdown, reboot, suspend, resume, stop, reset. Nodes: reboot, shutdown.`);
    }
    if (c.tier === 'black') {
      this.record(actor.key, c.action, 'black', what, 'refused');
      throw new UserError(`Refused (BLACK tier, never from chat, whoever asks): ${c.summary}`);
    }
    if (c.tier === 'green') throw new UserError(`"${c.input}" only reads; it changes nothing.`);
    if (!target) throw new UserError('Say which guest or node: /vm <vmid> <action>, /ct <vmid> <action> or /node <name> <action>.');
    if (c.target === 'node' && target.kind !== 'node') throw new UserError('That acts on a whole node: use /node <name> reboot or /node <name> shutdown.');
    if (c.target !== 'node' && target.kind === 'node') throw new UserError(`A node can only be rebooted or shut down: /node ${target.node} reboot.`);
    if (!this.d.owner) throw new UserError('Power actions run only in the daemon (Telegram, or its own console), so their outcome is always followed; this `jarvis chat` session can read.');
    const resolved = await (target.kind === 'node' ? this.resolveNode(target.node) : this.resolveGuest(target.vmid, target.hint, c)).catch((err: unknown) => {
      throw phraseClusterError(err);
    });
    const named = actionTarget(resolved);
    if (!tierAllows(c.tier, actor.role)) {
      this.record(actor.key, c.action, c.tier, named, 'denied', `role ${actor.role}`);
      throw new UserError(`Only admins may ${c.action.replace(/^node /, '')} ${named} (${TIER_NAME[c.tier]} tier).`);
    }
    if (this.d.lockdown.isOn()) {
      this.record(actor.key, c.action, c.tier, named, 'refused', 'lockdown');
      throw new UserError('Refused: Jarvis is in lockdown, so no cluster power action runs. Reads still work. An admin can lift it with /lockdown off.');
    }
    const now = this.d.clock.now();
    const confirm = c.needsConfirmation;
    // Checked and written with no await in between: two presses cannot both pass the busy check.
    const action = this.d.store.db.transaction(() => {
      this.assertIdle(resolved.node, resolved.vmid ?? null);
      return this.d.store.create(
        {
          actor: actor.key,
          chatId: actor.chatId,
          node: resolved.node,
          kind: resolved.kind,
          vmid: resolved.vmid ?? undefined,
          name: resolved.name ?? undefined,
          action: c.action,
          tier: c.tier as 'yellow' | 'red',
          state: confirm ? 'confirming' : 'sending',
          expiresAt: confirm ? now + this.d.config.confirmTtlMs : undefined,
        },
        now,
      );
    })();
    if (!confirm) return { step: 'send', action, progress: this.progress(action) };
    this.record(actor.key, c.action, c.tier, actionTarget(action), 'asked', `confirmation #${action.id}`);
    const verb = c.action.replace(/^node /, '');
    return {
      step: 'confirm',
      action,
      confirmLabel: `Yes, ${verb} ${action.kind === 'node' ? `node ${action.node}` : `${kindLabel(action.kind)} ${action.vmid}`}`,
      prompt: `${imperative(action.action)} ${actionTarget(action)}? ${c.summary} This is a RED action. Confirm within ${formatDuration(this.d.config.confirmTtlMs)}.`,
    };
  }

  /** The asker pressed Confirm: re-checked (owner, expiry, role, lockdown, nothing in flight), then claimed. */
  confirm(actor: Actor, id: number): Plan & { step: 'send' } {
    const a = this.pending(actor, id);
    const now = this.d.clock.now();
    if (a.expiresAt !== null && now > a.expiresAt) {
      if (this.d.store.move(id, 'confirming', 'expired', now)) this.record(actor.key, a.action, a.tier, actionTarget(a), 'expired');
      throw new UserError(`This confirmation expired, so nothing was sent to ${actionTarget(a)}. Ask again if you still want to.`);
    }
    if (!tierAllows(a.tier, actor.role)) {
      this.d.store.move(id, 'confirming', 'cancelled', now);
      this.record(actor.key, a.action, a.tier, actionTarget(a), 'denied', `role ${actor.role}`);
      throw new UserError('You are no longer an admin, so nothing was sent.');
    }
    if (this.d.lockdown.isOn()) {
      this.d.store.move(id, 'confirming', 'cancelled', now);
      this.record(actor.key, a.action, a.tier, actionTarget(a), 'refused', 'lockdown');
      throw new UserError(`Refused: Jarvis went into lockdown, so nothing was sent to ${actionTarget(a)}.`);
    }
    const claimed = this.d.store.db.transaction(() => {
      this.assertIdle(a.node, a.vmid);
      return this.d.store.move(id, 'confirming', 'sending', now);
    })();
    if (!claimed) throw new UserError('This confirmation was already answered.');
    const action = { ...a, state: 'sending' as const };
    return { step: 'send', action, progress: this.progress(action) };
  }

  /** The progress reply could not be delivered, so nothing was sent: the claimed action ends here. */
  abandon(a: ClusterAction, why: string): void {
    if (this.d.store.finish(a.id, 'failed', why, this.d.clock.now())) this.record(a.actor, a.action, a.tier, actionTarget(a), 'failed', why);
  }

  /** The asker pressed Cancel. */
  cancel(actor: Actor, id: number): string {
    const a = this.pending(actor, id);
    if (!this.d.store.move(id, 'confirming', 'cancelled', this.d.clock.now())) throw new UserError('This confirmation was already answered.');
    this.record(actor.key, a.action, a.tier, actionTarget(a), 'cancelled');
    return `Cancelled: nothing was sent to ${actionTarget(a)}.`;
  }

  /**
   * Sends a claimed action (state sending) once, records its task, and follows the task in the
   * background; `reply` (the progress message) is edited with the outcome. Never throws.
   */
  async execute(a: ClusterAction, reply: SentRef | undefined): Promise<void> {
    const { store, clock, client } = this.d;
    if (reply) store.setReply(a.id, reply, clock.now());
    let upid: string | null = null;
    try {
      if (a.kind === 'node') await client.nodeAction(a.node, this.nodeAction(a), { signal: this.abort.signal });
      else upid = await client.guestAction(a.node, a.kind, a.vmid!, this.guestAction(a), { signal: this.abort.signal });
    } catch (err) {
      // A POST is never retried: without an answer, it may or may not have been carried out.
      const unsure = !isClusterError(err) || err.mayHaveActed === true;
      const why = isClusterError(err) ? err.userMessage : 'Jarvis could not tell whether Proxmox got it.';
      if (!isClusterError(err)) this.d.log.error({ err, action: a.id }, 'cluster action failed to send');
      const said = afterColon(why);
      const text = `${imperative(a.action)} ${actionTarget(a)}: ${unsure ? `${said} Check with ${this.lookCommand(a)}.` : said}`;
      store.finish(a.id, unsure ? 'unknown' : 'failed', why, clock.now());
      this.record(a.actor, a.action, a.tier, actionTarget(a), unsure ? 'unknown' : 'failed', why);
      this.d.reads.invalidate();
      await this.show({ ...a, replyRef: reply ?? a.replyRef }, text);
      return;
    }
    store.markRunning(a.id, upid, clock.now());
    this.record(a.actor, a.action, a.tier, actionTarget(a), 'sent', upid ?? undefined);
    this.d.reads.invalidate();
    this.track(this.follow({ ...a, upid, replyRef: reply ?? a.replyRef, state: 'running' }));
  }

  /**
   * At start, before anything else acts: a row left `sending` may or may not have reached Proxmox,
   * so it is marked unknown (never re-sent) and its asker told; `running` rows are followed again.
   */
  reconcile(): { unknown: number; resumed: number } {
    const { store, clock } = this.d;
    store.expireDue(clock.now());
    let unknown = 0;
    for (const a of store.inState('sending')) {
      if (!store.finish(a.id, 'unknown', 'Jarvis restarted while sending it', clock.now())) continue;
      unknown++;
      this.record(a.actor, a.action, a.tier, actionTarget(a), 'unknown', 'restarted while sending');
      this.d.notices.enqueue({
        userKey: a.actor,
        chatId: a.chatId,
        out: { text: `Jarvis restarted while sending "${a.action}" to ${actionTarget(a)}. It may or may not have happened, and it was not sent again. Check with ${this.lookCommand(a)}.` },
        dedupeKey: `cluster:${a.id}:unknown`,
      });
    }
    const running = store.inState('running');
    for (const a of running) this.track(this.follow(a));
    if (unknown) this.d.notices.kick();
    return { unknown, resumed: running.length };
  }

  /** Resolves when every follow-up started so far has ended (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.following.size) await Promise.allSettled([...this.following]);
  }

  get busy(): number {
    return this.following.size;
  }

  /** Stops following (rows stay `running` and are picked up at the next start). */
  async close(timeoutMs: number): Promise<void> {
    this.abort.abort();
    await Promise.race([this.idle(), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  private pending(actor: Actor, id: number): ClusterAction {
    const a = this.d.store.get(id);
    if (!a) throw new UserError('That confirmation is not valid any more.');
    if (a.actor !== actor.key) {
      this.record(actor.key, a.action, a.tier, actionTarget(a), 'denied', `pressed another admin's confirmation #${id}`);
      throw new UserError('Only the admin who asked for this can answer it.');
    }
    if (a.state !== 'confirming') {
      const how: Record<string, string> = { expired: 'expired', cancelled: 'was cancelled' };
      throw new UserError(`This confirmation ${how[a.state] ?? 'was already answered'}; nothing more was sent.`);
    }
    return a;
  }

  private assertIdle(node: string, vmid: number | null): void {
    const busy = this.d.store.inFlightOn(node, vmid);
    if (busy) throw new UserError(`${capitalise(actionTarget(busy))} already has an action in progress (${busy.action}, asked ${formatDuration(this.d.clock.now() - busy.createdAt)} ago). Wait for it to finish.`);
  }

  private async resolveGuest(vmid: number, hint: GuestKind | undefined, c: ClusterActionClass): Promise<{ node: string; kind: GuestKind; vmid: number; name: string | null }> {
    const g = (await this.d.reads.resources('vm')).find((x) => x.vmid === vmid);
    if (!g) throw new UserError(`There is no VM or container ${vmid} on the cluster (or the API token may not see it).`);
    if (hint && g.type !== hint) throw new UserError(`${vmid} is a ${g.type === 'qemu' ? 'VM' : 'container'}: use /${g.type === 'qemu' ? 'vm' : 'ct'} ${vmid} ${c.input}.`);
    if (c.guestAction && !guestActionSupported(g.type, c.guestAction)) {
      throw new UserError(c.guestAction === 'reset' ? 'Containers have no reset in Proxmox; use reboot, or stop and then start.' : 'Jarvis does not suspend or resume containers: Proxmox marks that as experimental.');
    }
    return { node: g.node, kind: g.type, vmid: g.vmid, name: g.name ?? null };
  }

  private async resolveNode(node: string): Promise<{ node: string; kind: 'node'; vmid: null; name: null }> {
    const n = (await this.d.reads.resources('node')).find((x) => x.node === node);
    if (!n) throw new UserError(`There is no node called ${node} in the cluster.`);
    return { node: n.node, kind: 'node', vmid: null, name: null };
  }

  private guestAction(a: ClusterAction): GuestAction {
    return classifyClusterAction(a.action).guestAction!;
  }

  private nodeAction(a: ClusterAction): NodeAction {
    return classifyClusterAction(a.action).nodeAction!;
  }

  private progress(a: ClusterAction): string {
    const [doing] = VERBS[a.action] ?? [capitalise(a.action)];
    return `${doing} ${actionTarget(a)}…`;
  }

  private lookCommand(a: Pick<ClusterAction, 'kind' | 'vmid' | 'node'>): string {
    return a.kind === 'node' ? `/node ${a.node}` : `/${a.kind === 'qemu' ? 'vm' : 'ct'} ${a.vmid}`;
  }

  private track(p: Promise<void>): void {
    const tracked = p.catch((err) => this.d.log.error({ err }, 'following a cluster action failed')).finally(() => this.following.delete(tracked));
    this.following.add(tracked);
  }

  /** Waits for the task (guests) or the node's state (nodes), then records and tells the outcome. */
  private async follow(a: ClusterAction): Promise<void> {
    const { config, clock } = this.d;
    const started = clock.now();
    let state: 'done' | 'failed' | 'unknown';
    let text: string;
    try {
      const r = a.kind === 'node' ? await this.waitForNode(a) : await this.d.client.waitForTask(a.node, a.upid!, { timeoutMs: config.taskTimeoutMs, pollMs: config.taskPollMs, signal: this.abort.signal });
      if (r.done && r.ok) {
        state = 'done';
        const took = clock.now() - started;
        text = `${capitalise(actionTarget(a))}: ${VERBS[a.action]?.[1] ?? 'done'}${took >= 1000 ? ` (took ${formatDuration(took)})` : ''}.${'outcome' in r && r.outcome === 'warnings' ? ' Proxmox reported warnings.' : ''}`;
      } else if (r.done) {
        state = 'failed';
        text = r.error.userMessage;
      } else {
        state = 'unknown';
        text = `${capitalise(actionTarget(a))}: still not finished after ${formatDuration(config.taskTimeoutMs)}; check with ${this.lookCommand(a)} later.`;
      }
    } catch (err) {
      if (this.abort.signal.aborted) return; // shutting down: picked up again at the next start
      state = 'unknown';
      text = `${capitalise(actionTarget(a))}: Jarvis lost track of the task (${isClusterError(err) ? err.userMessage.replace(/\.$/, '') : 'an error'}); check with ${this.lookCommand(a)}.`;
      if (!isClusterError(err)) this.d.log.error({ err, action: a.id }, 'following a cluster task failed');
    }
    if (!this.d.store.finish(a.id, state, text, clock.now())) return;
    this.record(a.actor, a.action, a.tier, actionTarget(a), state === 'done' ? 'ok' : state, state === 'done' ? undefined : text);
    this.d.reads.invalidate();
    await this.show(a, text);
  }

  /** A node answers a power command with nothing: watch it go offline (and, for a reboot, return). */
  private async waitForNode(a: ClusterAction): Promise<{ done: true; ok: true } | { done: false }> {
    const { config, client } = this.d;
    const polls = Math.floor(Math.max(config.taskTimeoutMs, NODE_FOLLOW_MIN_MS) / config.taskPollMs) + 1;
    let wentDown = false;
    let failedReads = 0;
    for (let i = 0; i < polls; i++) {
      this.abort.signal.throwIfAborted();
      const status = await client.resources('node', { signal: this.abort.signal }).then(
        (nodes) => nodes.find((n) => n.node === a.node)?.status ?? 'offline',
        () => 'unreadable' as const,
      );
      // While a node reboots, the API host itself may be it, so an unreadable API counts as "down";
      // but only twice in a row: one failed read is a blip, not a node going away.
      failedReads = status === 'unreadable' ? failedReads + 1 : 0;
      if (status === 'unreadable' ? failedReads >= 2 : status !== 'online') wentDown = true;
      if (a.action === 'node shutdown' && wentDown) return { done: true, ok: true };
      if (a.action === 'node reboot' && wentDown && status === 'online') return { done: true, ok: true };
      await pauseUnlessAborted(config.taskPollMs, this.abort.signal);
    }
    return { done: false };
  }

  /** Edits the asker's progress message; if there is none or the edit fails, sends a notice. */
  private async show(a: ClusterAction, text: string): Promise<void> {
    const out: Outbound = { text };
    if (a.replyRef && this.editor) {
      try {
        await this.editor(a.actor, a.replyRef, out);
        return;
      } catch (err) {
        this.d.log.warn({ err, action: a.id }, 'could not edit the cluster reply; sending it instead');
      }
    }
    this.d.notices.enqueue({ userKey: a.actor, chatId: a.chatId, out, dedupeKey: `cluster:${a.id}:outcome` });
    this.d.notices.kick();
  }

  private record(actor: string, action: string, tier: Tier, target: string, outcome: string, detail?: string): void {
    this.d.audit.record({ actor, action: `cluster ${action}`, target, outcome, detail: `tier ${tier}${detail ? `; ${detail}` : ''}` });
  }
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

