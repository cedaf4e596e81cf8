import { randomBytes } from 'node:crypto';
import type { Db } from '../storage/database.js';
import type { Clock } from './clock.js';
import type { Ctx, Effect } from './handler.js';
import type { Role } from '../access/roles.js';

/**
 * Persisted, channel-agnostic multi-step flows. One active flow per (channel, chat, user); its
 * step and data live in SQLite, so a restart in the middle of a flow resumes it. A step that acts
 * and must not run twice is named in its flow's `once`: if Jarvis dies while it runs, the next
 * start ends the flow instead (see FlowEngine.reconcile).
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
  /** `run` identifies this run of the flow; buttons carry it (see flowButtonData). */
  steps: Record<string, (ctx: Ctx, input: FlowInput, data: FlowData, run: string) => Promise<FlowResult>>;
  /**
   * Steps that act (move money, change a machine) and so must never run twice for one answer, each
   * with what to tell the person if Jarvis died while it ran. The step may or may not have acted
   * then, and its reply may be lost: resumed, the same button would run it again. So the next start
   * ends such a flow and says this, to check before trying again.
   */
  once?: Record<string, string>;
}

/** What a start-up found of steps that were running when Jarvis stopped. */
export interface FlowReconcileReport {
  /** Steps safe to run again: their flows continue where they were. */
  resumed: number;
  /** `once` steps: their flows were ended and the person told. */
  ended: number;
}

export interface ActiveFlow {
  flow: string;
  run: string;
  step: string;
  data: FlowData;
  expiresAt: number;
  updatedAt: number;
}

const NAME = /^[a-z0-9_]{1,16}$/;
const RUN = /^[a-z0-9]{6}$/;
const VALUE = /^[A-Za-z0-9_.-]{1,16}$/;

/**
 * Callback data for a flow's buttons: `flow:<name>:<step>:<run>:<value>`, at most 62 bytes. Step and
 * run are part of it so a button from an earlier step, or from an earlier run of the same flow (an
 * old message), is recognised as expired instead of acting on what is current now.
 */
export function flowButtonData(flow: string, step: string, run: string, value: string): string {
  if (!NAME.test(flow) || !NAME.test(step) || !RUN.test(run) || !VALUE.test(value)) {
    throw new Error(`flow button ${flow}:${step}:${run}:${value} does not fit the callback data format`);
  }
  return `flow:${flow}:${step}:${run}:${value}`;
}

export function parseFlowButton(data: string): { flow: string; step: string; run: string; value: string } | undefined {
  const m = /^flow:([a-z0-9_]{1,16}):([a-z0-9_]{1,16}):([a-z0-9]{6}):([A-Za-z0-9_.-]{1,16})$/.exec(data);
  return m ? { flow: m[1]!, step: m[2]!, run: m[3]!, value: m[4]! } : undefined;
}

const YES_WORDS: readonly string[] = ['yes', 'y', 'confirm', 'ok'];
const NO_WORDS: readonly string[] = ['no', 'n', 'cancel', 'stop'];

/**
 * A Confirm/Cancel step's answer: the button's value ('yes' or 'no') or a typed word, in any case;
 * undefined for anything else. `alsoYes`: typed words that also mean yes (the button's label).
 */
export function confirmAnswer(input: FlowInput, alsoYes: readonly string[] = []): 'yes' | 'no' | undefined {
  const answer = (input.kind === 'choice' ? input.value : input.text).trim().toLowerCase();
  if (YES_WORDS.includes(answer) || alsoYes.includes(answer)) return 'yes';
  if (NO_WORDS.includes(answer)) return 'no';
  return undefined;
}

const newRunId = (): string => randomBytes(4).readUInt32BE(0).toString(36).padStart(6, '0').slice(-6);

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
      for (const step of Object.keys(f.once ?? {})) if (!f.steps[step]) throw new Error(`flow ${f.name}: once names ${step}, which is not one of its steps`);
      this.flows.set(f.name, f);
    }
    this.sql = {
      get: db.prepare('SELECT flow, run, step, data, expires_at, updated_at FROM flows WHERE channel = @channel AND chat_id = @chatId AND user_id = @userId'),
      upsert: db.prepare(
        `INSERT INTO flows (channel, chat_id, user_id, flow, run, step, data, expires_at, updated_at)
         VALUES (@channel, @chatId, @userId, @flow, @run, @step, @data, @expiresAt, @now)
         ON CONFLICT(channel, chat_id, user_id) DO UPDATE SET flow = excluded.flow, run = excluded.run, step = excluded.step,
           data = excluded.data, expires_at = excluded.expires_at, updated_at = excluded.updated_at, running = 0`,
      ),
      // Guarded: only the step we read moves on, so a duplicate delivery cannot advance a flow twice.
      // `running` is 1 from the claim until the step's outcome is written (see reconcile).
      advance: db.prepare(
        `UPDATE flows SET step = @step, data = @data, expires_at = @expiresAt, updated_at = @now, running = @running
         WHERE channel = @channel AND chat_id = @chatId AND user_id = @userId AND flow = @flow AND step = @fromStep AND updated_at = @fromUpdated`,
      ),
      settle: db.prepare(
        `UPDATE flows SET running = 0
         WHERE channel = @channel AND chat_id = @chatId AND user_id = @userId AND flow = @flow AND step = @fromStep AND updated_at = @fromUpdated`,
      ),
      finish: db.prepare(
        'DELETE FROM flows WHERE channel = @channel AND chat_id = @chatId AND user_id = @userId AND flow = @flow AND step = @fromStep AND updated_at = @fromUpdated',
      ),
      delete: db.prepare('DELETE FROM flows WHERE channel = @channel AND chat_id = @chatId AND user_id = @userId'),
      purge: db.prepare('DELETE FROM flows WHERE expires_at < ?'),
      interrupted: db.prepare('SELECT channel, chat_id, user_id, flow, step FROM flows WHERE running = 1'),
      resume: db.prepare('UPDATE flows SET running = 0 WHERE channel = @channel AND chat_id = @chat_id AND user_id = @user_id AND running = 1'),
      end: db.prepare('DELETE FROM flows WHERE channel = @channel AND chat_id = @chat_id AND user_id = @user_id AND running = 1'),
    };
  }

  get(name: string): Flow | undefined {
    return this.flows.get(name);
  }

  /** The caller's flow, if one is active and not expired (an expired one is removed). */
  active(ctx: Ctx): ActiveFlow | undefined {
    const row = this.sql.get.get(where(ctx)) as { flow: string; run: string; step: string; data: string; expires_at: number; updated_at: number } | undefined;
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
    return { flow: row.flow, run: row.run, step: row.step, data, expiresAt: row.expires_at, updatedAt: row.updated_at };
  }

  /** Starts (or replaces) the caller's flow at `step` and returns the run id for its buttons. The caller sends the first prompt. */
  start(ctx: Ctx, flow: string, step: string, data: FlowData = {}): string {
    const f = this.flows.get(flow);
    if (!f || !f.steps[step]) throw new Error(`no flow step ${flow}.${step}`);
    const now = this.clock.now();
    const run = newRunId();
    this.sql.upsert.run({ ...where(ctx), flow, run, step, data: JSON.stringify(data), expiresAt: now + this.ttlMs, now });
    return run;
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
    const claimed = this.sql.advance.run({ ...guard, step: active.step, data: JSON.stringify(active.data), expiresAt: now + this.ttlMs, now, running: 1 }).changes === 1;
    if (!claimed) return false;
    this.busy.add(key);
    const claimedGuard = { ...guard, fromUpdated: now };
    let result: FlowResult;
    try {
      result = await step(ctx, input, active.data, active.run);
    } catch (err) {
      // A step that failed half-way may have acted already: end the flow rather than let a
      // second press repeat it. The person starts again from the command.
      this.sql.finish.run(claimedGuard);
      throw err;
    } finally {
      this.busy.delete(key);
    }
    if ('done' in result) this.sql.finish.run(claimedGuard);
    else if ('next' in result) {
      if (!f.steps[result.next]) throw new Error(`flow ${f.name} has no step ${result.next}`);
      const at = Math.max(this.clock.now(), now + 1);
      this.sql.advance.run({ ...claimedGuard, step: result.next, data: JSON.stringify(result.data), expiresAt: at + this.ttlMs, now: at, running: 0 });
    } else this.sql.settle.run(claimedGuard);
    return true;
  }

  /**
   * At start, before any channel delivers a message: flows whose step was running when Jarvis
   * stopped (killed, crashed, or out of shutdown time). A `once` step may have acted, or not, and
   * its answer may never have reached the person; run again from the same button it could act
   * twice (buy twice). So its flow ends and `tell` says so, in the transaction that ends it (give it
   * Notices.enqueue). Any other step is safe to repeat: its flow continues at that step.
   * Only the process that owns the channels may call this (a second process sharing the file,
   * `jarvis chat`, would take the daemon's running steps for interrupted ones).
   */
  reconcile(tell: (userKey: string, chatId: string, text: string) => void): FlowReconcileReport {
    const report: FlowReconcileReport = { resumed: 0, ended: 0 };
    this.db.transaction(() => {
      for (const row of this.sql.interrupted.all() as { channel: string; chat_id: string; user_id: string; flow: string; step: string }[]) {
        const say = this.flows.get(row.flow)?.once?.[row.step];
        if (say === undefined) {
          report.resumed += this.sql.resume.run(row).changes;
          continue;
        }
        report.ended += this.sql.end.run(row).changes;
        tell(`${row.channel}:${row.user_id}`, row.chat_id, say);
      }
    })();
    return report;
  }

  /**
   * Ends the caller's flow and returns its name (undefined when there was none). A step that is
   * running cannot be cancelled: whatever it does is already under way, so it is left to finish.
   */
  cancel(ctx: Ctx): { flow?: string; running: boolean } {
    const w = where(ctx);
    const a = this.active(ctx);
    if (a && this.busy.has(`${w.channel}\u0000${w.chatId}\u0000${w.userId}`)) return { flow: a.flow, running: true };
    this.sql.delete.run(w);
    return { flow: a?.flow, running: false };
  }

  purgeExpired(): number {
    return this.sql.purge.run(this.clock.now()).changes;
  }
}
