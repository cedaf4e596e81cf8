import type { Db } from '../storage/database.js';
import type { AgentMessage, ContentBlock, LlmUsage } from '../llm/types.js';

/**
 * The /vibe tables (migration 016): sessions, their messages, approvals and each person's current
 * project. Approval moves are conditional updates: only one answer (a button, the timeout, /vibe
 * stop) can decide a pending approval.
 */

export interface VibeSession {
  id: number;
  userKey: string;
  chatId: string;
  channel: string;
  project: string;
  state: 'active' | 'done';
  turns: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costNanos: number;
  summary: string | null;
  alwaysAllow: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface StoredMessage extends AgentMessage {
  id: number;
  summarized: boolean;
}

export type ApprovalState = 'pending' | 'approved' | 'denied' | 'expired' | 'always';

export interface Approval {
  id: number;
  sessionId: number;
  userKey: string;
  kind: string;
  detail: string;
  state: ApprovalState;
  expiresAt: number;
}

interface SessionRow {
  id: number;
  user_key: string;
  chat_id: string;
  channel: string;
  project: string;
  state: 'active' | 'done';
  turns: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  cost_nanos: number;
  summary: string | null;
  always_allow: number;
  created_at: number;
  updated_at: number;
}

const toSession = (r: SessionRow): VibeSession => ({
  id: r.id,
  userKey: r.user_key,
  chatId: r.chat_id,
  channel: r.channel,
  project: r.project,
  state: r.state,
  turns: r.turns,
  inputTokens: r.input_tokens,
  outputTokens: r.output_tokens,
  cacheReadTokens: r.cache_read_tokens,
  cacheWriteTokens: r.cache_write_tokens,
  costNanos: r.cost_nanos,
  summary: r.summary,
  alwaysAllow: r.always_allow === 1,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export class VibeStore {
  private readonly sql;

  constructor(readonly db: Db) {
    this.sql = {
      active: db.prepare("SELECT * FROM vibe_sessions WHERE user_key = ? AND state = 'active'"),
      get: db.prepare('SELECT * FROM vibe_sessions WHERE id = ?'),
      open: db.prepare("INSERT INTO vibe_sessions (user_key, chat_id, channel, project, state, created_at, updated_at) VALUES (?, ?, ?, ?, 'active', ?, ?)"),
      close: db.prepare("UPDATE vibe_sessions SET state = 'done', updated_at = ? WHERE id = ? AND state = 'active'"),
      moveChat: db.prepare('UPDATE vibe_sessions SET chat_id = ?, channel = ?, updated_at = ? WHERE id = ?'),
      usage: db.prepare(
        `UPDATE vibe_sessions SET input_tokens = input_tokens + @input, output_tokens = output_tokens + @output, cache_read_tokens = cache_read_tokens + @cacheRead,
           cache_write_tokens = cache_write_tokens + @cacheWrite, cost_nanos = cost_nanos + @cost, updated_at = @now WHERE id = @id`,
      ),
      turn: db.prepare('UPDATE vibe_sessions SET turns = turns + 1, updated_at = ? WHERE id = ?'),
      always: db.prepare('UPDATE vibe_sessions SET always_allow = 1, updated_at = ? WHERE id = ?'),
      summary: db.prepare('UPDATE vibe_sessions SET summary = ?, updated_at = ? WHERE id = ?'),
      addMessage: db.prepare('INSERT INTO vibe_messages (session_id, role, content, at) VALUES (?, ?, ?, ?)'),
      // Folded messages live on in the summary: not read back (nor parsed) at every step.
      messages: db.prepare('SELECT id, role, content, summarized FROM vibe_messages WHERE session_id = ? AND summarized = 0 ORDER BY id'),
      fold: db.prepare('UPDATE vibe_messages SET summarized = 1 WHERE session_id = ? AND id <= ?'),
      project: db.prepare('SELECT project FROM vibe_prefs WHERE user_key = ?'),
      setProject: db.prepare('INSERT INTO vibe_prefs (user_key, project, updated_at) VALUES (?, ?, ?) ON CONFLICT(user_key) DO UPDATE SET project = excluded.project, updated_at = excluded.updated_at'),
      addApproval: db.prepare("INSERT INTO vibe_approvals (session_id, user_key, kind, detail, state, expires_at, created_at) VALUES (?, ?, ?, ?, 'pending', ?, ?)"),
      approval: db.prepare('SELECT id, session_id AS sessionId, user_key AS userKey, kind, detail, state, expires_at AS expiresAt FROM vibe_approvals WHERE id = ?'),
      decide: db.prepare("UPDATE vibe_approvals SET state = ?, decided_at = ? WHERE id = ? AND state = 'pending'"),
      expirePending: db.prepare("UPDATE vibe_approvals SET state = 'expired', decided_at = ? WHERE state = 'pending'"),
    };
  }

  active(userKey: string): VibeSession | undefined {
    const r = this.sql.active.get(userKey) as SessionRow | undefined;
    return r ? toSession(r) : undefined;
  }

  get(id: number): VibeSession | undefined {
    const r = this.sql.get.get(id) as SessionRow | undefined;
    return r ? toSession(r) : undefined;
  }

  /** Ends any active session of this person and opens a new one, in one transaction. */
  open(userKey: string, chatId: string, channel: string, project: string, now: number): VibeSession {
    return this.db.transaction(() => {
      const old = this.active(userKey);
      if (old) this.sql.close.run(now, old.id);
      const id = Number(this.sql.open.run(userKey, chatId, channel, project, now, now).lastInsertRowid);
      return this.get(id)!;
    })();
  }

  close(id: number, now: number): boolean {
    return this.sql.close.run(now, id).changes === 1;
  }

  moveChat(id: number, chatId: string, channel: string, now: number): void {
    this.sql.moveChat.run(chatId, channel, now, id);
  }

  addUsage(id: number, usage: LlmUsage, costNanos: number, now: number): void {
    this.sql.usage.run({ id, input: usage.inputTokens, output: usage.outputTokens, cacheRead: usage.cacheReadTokens, cacheWrite: usage.cacheWriteTokens, cost: costNanos, now });
  }

  countTurn(id: number, now: number): void {
    this.sql.turn.run(now, id);
  }

  allowAlways(id: number, now: number): void {
    this.sql.always.run(now, id);
  }

  setSummary(id: number, summary: string, foldedThrough: number, now: number): void {
    this.db.transaction(() => {
      this.sql.summary.run(summary, now, id);
      this.sql.fold.run(id, foldedThrough);
    })();
  }

  addMessage(sessionId: number, role: 'user' | 'assistant', content: ContentBlock[], now: number): number {
    return Number(this.sql.addMessage.run(sessionId, role, JSON.stringify(content), now).lastInsertRowid);
  }

  messages(sessionId: number): StoredMessage[] {
    return (this.sql.messages.all(sessionId) as { id: number; role: 'user' | 'assistant'; content: string; summarized: number }[]).map((r) => ({
      id: r.id,
      role: r.role,
      content: JSON.parse(r.content) as ContentBlock[],
      summarized: r.summarized === 1,
    }));
  }

  project(userKey: string): string | undefined {
    return (this.sql.project.get(userKey) as { project: string } | undefined)?.project;
  }

  setProject(userKey: string, project: string, now: number): void {
    this.sql.setProject.run(userKey, project, now);
  }

  addApproval(sessionId: number, userKey: string, kind: string, detail: string, expiresAt: number, now: number): Approval {
    const id = Number(this.sql.addApproval.run(sessionId, userKey, kind, detail, expiresAt, now).lastInsertRowid);
    return this.approval(id)!;
  }

  approval(id: number): Approval | undefined {
    return this.sql.approval.get(id) as Approval | undefined;
  }

  /** pending -> state; true only for the caller that decided it. */
  decide(id: number, state: Exclude<ApprovalState, 'pending'>, now: number): boolean {
    return this.sql.decide.run(state, now, id).changes === 1;
  }

  /** At start: nobody is waiting for approvals left from before. */
  expireAllPending(now: number): number {
    return this.sql.expirePending.run(now).changes;
  }
}
