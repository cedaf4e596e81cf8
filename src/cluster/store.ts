import type { Db } from '../storage/database.js';
import type { SentRef } from '../core/message.js';
import type { Tier } from './tiers.js';

/**
 * The cluster tables (migration 011) and every statement over them. An action row is written
 * before anything is sent, and each move is a conditional update that reports whether it won, so
 * a double press, a retry or a restart can never send the same power action twice.
 */

export type ActionKind = 'qemu' | 'lxc' | 'node';
export type ActionState = 'confirming' | 'sending' | 'running' | 'done' | 'failed' | 'cancelled' | 'expired' | 'unknown';

export interface ClusterAction {
  id: number;
  /** `channel:userId` of the admin who asked. */
  actor: string;
  chatId: string;
  node: string;
  kind: ActionKind;
  vmid: number | null;
  name: string | null;
  /** Canonical action from tiers.ts: 'start', 'stop', 'node reboot', ... */
  action: string;
  tier: Extract<Tier, 'yellow' | 'red'>;
  state: ActionState;
  upid: string | null;
  outcome: string | null;
  replyRef: SentRef | null;
  expiresAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface NewAction {
  actor: string;
  chatId: string;
  node: string;
  kind: ActionKind;
  vmid?: number;
  name?: string;
  action: string;
  tier: 'yellow' | 'red';
  state: 'confirming' | 'sending';
  expiresAt?: number;
}

export interface AlertRow {
  key: string;
  detail: string;
  since: number;
}

interface ActionRow {
  id: number;
  actor: string;
  chat_id: string;
  node: string;
  kind: ActionKind;
  vmid: number | null;
  name: string | null;
  action: string;
  tier: 'yellow' | 'red';
  state: ActionState;
  upid: string | null;
  outcome: string | null;
  reply_ref: string | null;
  expires_at: number | null;
  created_at: number;
  updated_at: number;
}

function toAction(r: ActionRow): ClusterAction {
  let replyRef: SentRef | null = null;
  try {
    replyRef = r.reply_ref ? (JSON.parse(r.reply_ref) as SentRef) : null;
  } catch {
    replyRef = null;
  }
  return {
    id: r.id,
    actor: r.actor,
    chatId: r.chat_id,
    node: r.node,
    kind: r.kind,
    vmid: r.vmid,
    name: r.name,
    action: r.action,
    tier: r.tier,
    state: r.state,
    upid: r.upid,
    outcome: r.outcome,
    replyRef,
    expiresAt: r.expires_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export class ClusterStore {
  readonly sql;

  constructor(readonly db: Db) {
    this.sql = {
      insert: db.prepare(
        `INSERT INTO cluster_actions (actor, chat_id, node, kind, vmid, name, action, tier, state, expires_at, created_at, updated_at)
         VALUES (@actor, @chatId, @node, @kind, @vmid, @name, @action, @tier, @state, @expiresAt, @now, @now)`,
      ),
      get: db.prepare('SELECT * FROM cluster_actions WHERE id = ?'),
      move: db.prepare('UPDATE cluster_actions SET state = @to, updated_at = @now WHERE id = @id AND state = @from'),
      setReply: db.prepare('UPDATE cluster_actions SET reply_ref = @ref, updated_at = @now WHERE id = @id'),
      running: db.prepare("UPDATE cluster_actions SET state = 'running', upid = @upid, updated_at = @now WHERE id = @id AND state = 'sending'"),
      finish: db.prepare("UPDATE cluster_actions SET state = @to, outcome = @outcome, updated_at = @now WHERE id = @id AND state IN ('sending', 'running')"),
      inState: db.prepare('SELECT * FROM cluster_actions WHERE state = ? ORDER BY id'),
      recentOn: db.prepare(
        `SELECT COUNT(*) AS n FROM cluster_actions
         WHERE node = @node AND (vmid IS @vmid OR kind = 'node') AND state IN ('sending', 'running', 'done', 'unknown')
           AND action IN ('shutdown', 'reboot', 'suspend', 'stop', 'reset', 'node reboot', 'node shutdown') AND updated_at >= @since`,
      ),
      inFlightOn: db.prepare(
        `SELECT * FROM cluster_actions WHERE node = @node AND vmid IS @vmid AND state IN ('sending', 'running') ORDER BY id DESC LIMIT 1`,
      ),
      expireDue: db.prepare("UPDATE cluster_actions SET state = 'expired', updated_at = @now WHERE state = 'confirming' AND expires_at < @now"),
      prune: db.prepare("DELETE FROM cluster_actions WHERE state NOT IN ('confirming', 'sending', 'running') AND updated_at < ?"),
      alerts: db.prepare('SELECT key, detail, since FROM cluster_alerts'),
      raise: db.prepare('INSERT INTO cluster_alerts (key, detail, since) VALUES (@key, @detail, @since) ON CONFLICT(key) DO NOTHING'),
      clear: db.prepare('DELETE FROM cluster_alerts WHERE key = ?'),
      seen: db.prepare('SELECT key, status FROM cluster_seen'),
      see: db.prepare('INSERT INTO cluster_seen (key, status, at) VALUES (@key, @status, @at) ON CONFLICT(key) DO UPDATE SET status = excluded.status, at = excluded.at'),
      unsee: db.prepare('DELETE FROM cluster_seen WHERE key = ?'),
    };
  }

  create(a: NewAction, now: number): ClusterAction {
    const id = Number(
      this.sql.insert.run({
        actor: a.actor,
        chatId: a.chatId,
        node: a.node,
        kind: a.kind,
        vmid: a.vmid ?? null,
        name: a.name ?? null,
        action: a.action,
        tier: a.tier,
        state: a.state,
        expiresAt: a.expiresAt ?? null,
        now,
      }).lastInsertRowid,
    );
    return this.get(id)!;
  }

  get(id: number): ClusterAction | undefined {
    const r = this.sql.get.get(id) as ActionRow | undefined;
    return r ? toAction(r) : undefined;
  }

  /** Moves `from` -> `to`; true only for the caller that made the move. */
  move(id: number, from: ActionState, to: ActionState, now: number): boolean {
    return this.sql.move.run({ id, from, to, now }).changes === 1;
  }

  setReply(id: number, ref: SentRef | undefined, now: number): void {
    this.sql.setReply.run({ id, ref: ref ? JSON.stringify(ref) : null, now });
  }

  markRunning(id: number, upid: string | null, now: number): boolean {
    return this.sql.running.run({ id, upid, now }).changes === 1;
  }

  /** sending|running -> done|failed|unknown with what happened; false when it had already ended. */
  finish(id: number, to: 'done' | 'failed' | 'unknown', outcome: string, now: number): boolean {
    return this.sql.finish.run({ id, to, outcome, now }).changes === 1;
  }

  inState(state: ActionState): ClusterAction[] {
    return (this.sql.inState.all(state) as ActionRow[]).map(toAction);
  }

  /** The action being sent or followed on this guest (vmid) or node (vmid null), if any. */
  inFlightOn(node: string, vmid: number | null): ClusterAction | undefined {
    const r = this.sql.inFlightOn.get({ node, vmid }) as ActionRow | undefined;
    return r ? toAction(r) : undefined;
  }

  /** Whether Jarvis stopped, restarted or paused this guest (or its node) since `since`: its stop is then expected. */
  actedOnSince(node: string, vmid: number | null, since: number): boolean {
    return (this.sql.recentOn.get({ node, vmid, since }) as { n: number }).n > 0;
  }

  expireDue(now: number): number {
    return this.sql.expireDue.run({ now }).changes;
  }

  prune(before: number): number {
    return this.sql.prune.run(before).changes;
  }

  alerts(): Map<string, AlertRow> {
    return new Map((this.sql.alerts.all() as AlertRow[]).map((a) => [a.key, a]));
  }

  seen(): Map<string, string> {
    return new Map((this.sql.seen.all() as { key: string; status: string }[]).map((r) => [r.key, r.status]));
  }
}
