import type { Db } from '../storage/database.js';
import type { Clock } from './clock.js';
import type { Ctx, Effect } from './handler.js';
import type { Role } from '../access/roles.js';

/**
 * Persisted, channel-agnostic multi-step flows. One active flow per (channel, chat, user); its
 * step and data live in SQLite, so a restart in the middle of a flow resumes it.
 */

export type FlowInput = { kind: 'text'; text: string } | { kind: 'choice'; value: string };

export type FlowData = Record<string, string | number | boolean | null>;

export type FlowResult =
  | { next: string; data: FlowData }
  /** Input was not acceptable; the step has already said why. */
  | { stay: true }
  | { done: true };

export interface Flow {
  name: string;
  role: Role;
  effect: Effect;
  steps: Record<string, (ctx: Ctx, input: FlowInput, data: FlowData) => Promise<FlowResult>>;
}

export interface ActiveFlow {
  flow: string;
  step: string;
  data: FlowData;
  expiresAt: number;
  updatedAt: number;
}

const NAME = /^[a-z0-9_]{1,16}$/;
const VALUE = /^[A-Za-z0-9_.-]{1,24}$/;

/**
 * Callback data for a flow's buttons: `flow:<name>:<step>:<value>`, at most 63 bytes. The step is
 * part of it so a button from an earlier step (an old message) is recognised as expired.
 */
export function flowButtonData(flow: string, step: string, value: string): string {
  if (!NAME.test(flow) || !NAME.test(step) || !VALUE.test(value)) throw new Error(`flow button ${flow}:${step}:${value} exceeds the callback data format`);
  return `flow:${flow}:${step}:${value}`;
}

export function parseFlowButton(data: string): { flow: string; step: string; value: string } | undefined {
  const m = /^flow:([a-z0-9_]{1,16}):([a-z0-9_]{1,16}):([A-Za-z0-9_.-]{1,24})$/.exec(data);
  return m ? { flow: m[1]!, step: m[2]!, value: m[3]! } : undefined;
}

export function isFlow(x: unknown): x is Flow {
  const f = x as Flow;
  return !!f && typeof f.name === 'string' && typeof f.steps === 'object' && f.steps !== null && Object.values(f.steps).every((s) => typeof s === 'function');
}

interface Where {
  channel: string;
  chatId: string;
  userId: string;
}

const where = (ctx: Ctx): Where => ({ channel: ctx.inbound.channel, chatId: ctx.inbound.chatId, userId: ctx.inbound.userId });

export class FlowEngine {
  private readonly flows = new Map<string, Flow>();
  /** Flows with a step running now: a second message for the same flow waits its turn by being refused. */
  private readonly busy = new Set<string>();
  private readonly sql;

  constructor(private readonly db: Db, flows: readonly Flow[], private readonly ttlMs: number, private readonly clock: Clock) {
    for (const f of flows) {
      if (this.flows.has(f.name)) throw new Error(`two flows are named ${f.name}`);
      if (!NAME.test(f.name) || !Object.keys(f.steps).every((k) => NAME.test(k))) throw new Error(`flow ${f.name}: names of flows and steps must match ${NAME}`);
      this.flows.set(f.name, f);
    }
    this.sql = {
      get: db.prepare('SELECT flow, step, data, expires_at, updated_at FROM flows WHERE channel = @channel AND chat_id = @chatId AND user_id = @userId'),
      upsert: db.prepare(
        `INSERT INTO flows (channel, chat_id, user_id, flow, step, data, expires_at, updated_at)
         VALUES (@channel, @chatId, @userId, @flow, @step, @data, @expiresAt, @now)
         ON CONFLICT(channel, chat_id, user_id) DO UPDATE SET flow = excluded.flow, step = excluded.step,
           data = excluded.data, expires_at = excluded.expires_at, updated_at = excluded.updated_at`,
      ),
      // Guarded: only the step we read moves on, so a duplicate delivery cannot advance a flow twice.
      advance: db.prepare(
        `UPDATE flows SET step = @step, data = @data, expires_at = @expiresAt, updated_at = @now
         WHERE channel = @channel AND chat_id = @chatId AND user_id = @userId AND flow = @flow AND step = @fromStep AND updated_at = @fromUpdated`,
      ),
      finish: db.prepare(
        'DELETE FROM flows WHERE channel = @channel AND chat_id = @chatId AND user_id = @userId AND flow = @flow AND step = @fromStep AND updated_at = @fromUpdated',
      ),
      delete: db.prepare('DELETE FROM flows WHERE channel = @channel AND chat_id = @chatId AND user_id = @userId'),
      purge: db.prepare('DELETE FROM flows WHERE expires_at < ?'),
    };
  }

  get(name: string): Flow | undefined {
    return this.flows.get(name);
  }

  /** The caller's flow, if one is active and not expired (an expired one is removed). */
  active(ctx: Ctx): ActiveFlow | undefined {
    const row = this.sql.get.get(where(ctx)) as { flow: string; step: string; data: string; expires_at: number; updated_at: number } | undefined;
    if (!row) return undefined;
    if (row.expires_at <= this.clock.now() || !this.flows.has(row.flow)) {
      this.sql.delete.run(where(ctx));
      return undefined;
    }
    let data: FlowData;
    try {
      data = JSON.parse(row.data) as FlowData;
    } catch {
      this.sql.delete.run(where(ctx));
      return undefined;
    }
    return { flow: row.flow, step: row.step, data, expiresAt: row.expires_at, updatedAt: row.updated_at };
  }

  /** Starts (or replaces) the caller's flow at `step`. The caller sends the first prompt. */
  start(ctx: Ctx, flow: string, step: string, data: FlowData = {}): void {
    const f = this.flows.get(flow);
    if (!f || !f.steps[step]) throw new Error(`no flow step ${flow}.${step}`);
    const now = this.clock.now();
    this.sql.upsert.run({ ...where(ctx), flow, step, data: JSON.stringify(data), expiresAt: now + this.ttlMs, now });
  }

  /**
   * Runs the active step with this input and persists where it leads. Returns false when the
   * flow moved on underneath us (a duplicate or concurrent delivery), in which case nothing ran.
   */
  async advance(ctx: Ctx, active: ActiveFlow, input: FlowInput): Promise<boolean> {
    const f = this.flows.get(active.flow)!;
    const step = f.steps[active.step];
    if (!step) {
      this.sql.delete.run(where(ctx));
      return false;
    }
    // Claim the step before running it, so two deliveries of one message cannot both act:
    // in this process through `busy`, across processes sharing the file through the guarded update.
    const w = where(ctx);
    const key = `${w.channel}\u0000${w.chatId}\u0000${w.userId}`;
    if (this.busy.has(key)) return false;
    const now = Math.max(this.clock.now(), active.updatedAt + 1);
    const guard = { ...w, flow: active.flow, fromStep: active.step, fromUpdated: active.updatedAt };
    const claimed = this.sql.advance.run({ ...guard, step: active.step, data: JSON.stringify(active.data), expiresAt: now + this.ttlMs, now }).changes === 1;
    if (!claimed) return false;
    this.busy.add(key);
    let result: FlowResult;
    try {
      result = await step(ctx, input, active.data);
    } finally {
      this.busy.delete(key);
    }
    const claimedGuard = { ...guard, fromUpdated: now };
    if ('done' in result) this.sql.finish.run(claimedGuard);
    else if ('next' in result) {
      if (!f.steps[result.next]) throw new Error(`flow ${f.name} has no step ${result.next}`);
      const at = Math.max(this.clock.now(), now + 1);
      this.sql.advance.run({ ...claimedGuard, step: result.next, data: JSON.stringify(result.data), expiresAt: at + this.ttlMs, now: at });
    }
    return true;
  }

  /** Ends the caller's flow; returns its name, or undefined when there was none. */
  cancel(ctx: Ctx): string | undefined {
    const a = this.active(ctx);
    this.sql.delete.run(where(ctx));
    return a?.flow;
  }

  purgeExpired(): number {
    return this.sql.purge.run(this.clock.now()).changes;
  }
}
