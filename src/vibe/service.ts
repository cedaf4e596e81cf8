import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Button } from '../core/message.js';
import type { ReplySink } from '../core/streaming-reply.js';
import { UserError } from '../core/errors.js';
import type { Lockdown } from '../access/lockdown.js';
import type { LlmService } from '../llm/service.js';
import { budgetSentence } from '../llm/service.js';
import { NANOS_PER_USD } from '../llm/ledger.js';
import type { VibeAgent } from './agent.js';
import type { Approvals } from './approvals.js';
import type { VibeConfig } from './config.js';
import type { SandboxKind } from './sandbox.js';
import type { VibeSession, VibeStore } from './store.js';
import type { ApprovalRequest } from './tools.js';
import { Workspace, WorkspaceError } from './workspace.js';
import { headUnits } from '../core/render.js';

/**
 * /vibe for the handler: sessions and projects, and turns run in the background (so a button
 * press or /vibe stop in the same chat is handled while Claude works), one at a time per person.
 */

export interface Actor {
  key: string;
  chatId: string;
  channel: string;
}

export interface VibeServiceDeps {
  store: VibeStore;
  agent: VibeAgent;
  approvals: Approvals;
  llm: LlmService;
  lockdown: Lockdown;
  config: VibeConfig;
  dataDir: string;
  clock: Clock;
  log: Logger;
  sandbox: { kind: SandboxKind; reason?: string };
  /** A reply path to a chat outside of any handler (turns outlive the message that started them). */
  replyTo(channel: string, chatId: string): ReplySink;
}

const DEFAULT_PROJECT = 'default';
const APPROVAL_DETAIL_MAX = 3_000;

export class VibeService {
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void>; sessionId: number }>();

  constructor(private readonly d: VibeServiceDeps) {}

  project(userKey: string): string {
    return this.d.store.project(userKey) ?? DEFAULT_PROJECT;
  }

  projects(userKey: string): string[] {
    return Workspace.projects(this.d.dataDir, userKey);
  }

  active(userKey: string): VibeSession | undefined {
    return this.d.store.active(userKey);
  }

  isRunning(userKey: string): boolean {
    return this.running.has(userKey);
  }

  /** Switches to (and creates) a project; a session in another project ends. */
  use(actor: Actor, project: string): string {
    const ws = Workspace.forUser(this.d.dataDir, actor.key, project);
    this.assertIdle(actor.key);
    this.d.store.setProject(actor.key, project, this.d.clock.now());
    const s = this.d.store.active(actor.key);
    if (s && s.project !== project) this.d.store.close(s.id, this.d.clock.now());
    return `Now in project ${project} (${this.projects(actor.key).length} in all). ${ws.list('.', { depth: 1 }).entries.length} entries at the top. Send /vibe <request> to start.`;
  }

  /** A fresh session (in `project`, or the current one). */
  newSession(actor: Actor, project?: string): VibeSession {
    this.assertIdle(actor.key);
    const name = project ?? this.project(actor.key);
    Workspace.forUser(this.d.dataDir, actor.key, name);
    this.d.store.setProject(actor.key, name, this.d.clock.now());
    return this.d.store.open(actor.key, actor.chatId, actor.channel, name, this.d.clock.now());
  }

  /** Ends the session (its workspace stays). */
  done(userKey: string): boolean {
    this.assertIdle(userKey);
    const s = this.d.store.active(userKey);
    return s ? this.d.store.close(s.id, this.d.clock.now()) : false;
  }

  /** Aborts the running turn: the model stream, a running command, a pending approval. */
  stop(userKey: string): boolean {
    const r = this.running.get(userKey);
    if (!r) return false;
    r.controller.abort();
    this.d.approvals.denyAll(r.sessionId);
    return true;
  }

  status(userKey: string): string {
    const s = this.d.store.active(userKey);
    const sandbox = this.d.sandbox.kind === 'none' ? `commands are off (${this.d.sandbox.reason ?? 'no sandbox'})` : `commands run in ${this.d.sandbox.kind}`;
    if (!s) return `No /vibe session. Project: ${this.project(userKey)}; ${sandbox}. Start with /vibe <request>.`;
    const tokens = s.inputTokens + s.cacheReadTokens + s.cacheWriteTokens;
    return [
      `Project ${s.project}, session #${s.id}${this.running.has(userKey) ? ' (working now)' : ''}`,
      `${s.turns} turn${s.turns === 1 ? '' : 's'}, ${tokens} tokens in, ${s.outputTokens} out, $${(s.costNanos / NANOS_PER_USD).toFixed(4)}`,
      `${sandbox}${s.alwaysAllow ? '; risky actions allowed for this session' : ''}`,
    ].join('\n');
  }

  /**
   * Starts a turn in the background. Refused (UserError, nothing started) in lockdown, without
   * Claude, over budget, or while this person's previous turn is still running.
   */
  start(actor: Actor, text: string): void {
    this.d.lockdown.assertOff('New /vibe work');
    if (!this.d.llm.has('claude')) throw new UserError('/vibe needs Claude: set ANTHROPIC_API_KEY (see docs/vibe.md).');
    this.assertIdle(actor.key);
    const blocked = this.d.llm.d.budgets.blocking(actor.key, 0, this.d.clock.now());
    if (blocked) throw new UserError(budgetSentence(blocked, this.d.clock.now()));
    let session = this.d.store.active(actor.key);
    if (!session || session.project !== this.project(actor.key)) session = this.newSession(actor);
    else if (session.chatId !== actor.chatId || session.channel !== actor.channel) this.d.store.moveChat(session.id, actor.chatId, actor.channel, this.d.clock.now());
    const workspace = Workspace.forUser(this.d.dataDir, actor.key, session.project);
    const sink = this.d.replyTo(actor.channel, actor.chatId);
    const controller = new AbortController();
    const s = session;
    const done = this.d.agent
      .turn(s, workspace, text, { sink, signal: controller.signal, askApproval: (id, req) => this.sendApproval(sink, id, req) })
      .catch((err) => this.d.log.error({ err, session: s.id }, 'vibe turn crashed'))
      .finally(() => this.running.delete(actor.key));
    this.running.set(actor.key, { controller, done, sessionId: s.id });
  }

  /** A button press on an approval request. */
  answerApproval(userKey: string, id: number, choice: 'ok' | 'no' | 'all'): string {
    return this.d.approvals.answer(userKey, id, choice);
  }

  /** A file the person sent, saved into the current project (a secret-looking name is refused). */
  receive(userKey: string, rel: string, data: Buffer): { path: string; project: string; created: boolean } {
    this.d.lockdown.assertOff('Saving files into a /vibe workspace');
    const project = this.project(userKey);
    try {
      const r = Workspace.forUser(this.d.dataDir, userKey, project).receive(rel, data);
      return { path: rel, project, created: r.created };
    } catch (err) {
      throw err instanceof WorkspaceError ? new UserError(err.userMessage) : err;
    }
  }

  /** A file from the workspace, to send to chat. */
  file(userKey: string, rel: string): { name: string; data: Buffer } {
    try {
      const ws = Workspace.forUser(this.d.dataDir, userKey, this.project(userKey));
      return { name: rel.split('/').pop() || rel, data: ws.readBytes(rel) };
    } catch (err) {
      throw err instanceof WorkspaceError ? new UserError(err.userMessage) : err;
    }
  }

  /** Resolves when every running turn has ended (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running.values()].map((r) => r.done));
  }

  /** Stops every turn; their messages so far are stored, so the sessions resume after a restart. */
  async close(timeoutMs: number): Promise<void> {
    for (const r of this.running.values()) r.controller.abort();
    await Promise.race([this.idle(), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  /** At start: approvals nobody can answer any more are denied. */
  reconcile(): void {
    this.d.store.expireAllPending(this.d.clock.now());
  }

  private assertIdle(userKey: string): void {
    if (this.running.has(userKey)) throw new UserError('A /vibe turn is still running: wait for it, or send /vibe stop.');
  }

  private async sendApproval(sink: ReplySink, id: number, req: ApprovalRequest): Promise<void> {
    const what = req.kind === 'command' ? 'Run this command?' : req.kind === 'delete' ? 'Delete this file?' : 'Allow this change?';
    // A long change is shown in part, and attached whole as a file, so the person sees all of it.
    const long = req.detail.length > APPROVAL_DETAIL_MAX;
    const detail = long ? `${headUnits(req.detail, APPROVAL_DETAIL_MAX)}\n… (${req.detail.length - APPROVAL_DETAIL_MAX} more characters: the whole of it is in the attached file)` : req.detail;
    const document = long ? { name: req.kind === 'command' ? 'command.sh' : 'change.diff', data: Buffer.from(req.detail) } : undefined;
    const secs = Math.round(this.d.config.approvalTimeoutMs / 1000);
    const buttons: Button[][] = [
      [
        { label: 'Allow', data: `vibe:ok:${id}` },
        { label: 'Deny', data: `vibe:no:${id}` },
      ],
      [{ label: 'Always for this session', data: `vibe:all:${id}` }],
    ];
    await sink.reply({ text: `${what} (no answer in ${secs} s is a no)\n\n${detail}`, buttons, ...(document ? { document } : {}) });
  }
}
