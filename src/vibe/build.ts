import type { Db } from '../storage/database.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Config } from '../config.js';
import type { Lockdown } from '../access/lockdown.js';
import type { LlmService } from '../llm/service.js';
import type { ReplySink } from '../core/streaming-reply.js';
import { VibeAgent } from './agent.js';
import { Approvals } from './approvals.js';
import { detectSandbox, type SandboxKind } from './sandbox.js';
import { VibeService } from './service.js';
import { VibeStore } from './store.js';
import { projectRoot } from '../core/paths.js';

/** Which sandbox /vibe uses: the configured one, or (auto) bubblewrap when it works here. */
export function vibeSandbox(setting: Config['vibe']['sandbox']): { kind: SandboxKind; reason?: string } {
  if (setting === 'none') return { kind: 'none', reason: 'VIBE_SANDBOX=none' };
  const found = detectSandbox();
  if (setting === 'bwrap' && found.kind !== 'bwrap') return { kind: 'none', reason: found.reason ?? 'bubblewrap does not work here' };
  return found;
}

export function buildVibe(deps: { db: Db; clock: Clock; log: Logger; config: Config; lockdown: Lockdown; llm: LlmService; replyTo(channel: string, chatId: string): ReplySink }): VibeService {
  const log = deps.log.child({ module: 'vibe' });
  const store = new VibeStore(deps.db);
  const approvals = new Approvals(store, deps.clock);
  const sandbox = vibeSandbox(deps.config.vibe.sandbox);
  if (sandbox.kind === 'none') log.warn({ reason: sandbox.reason }, '/vibe cannot run commands: no sandbox');
  const refusal = () => (deps.lockdown.isOn() ? 'Jarvis is in lockdown: files are not changed and commands do not run.' : undefined);
  const agent = new VibeAgent({ llm: deps.llm, store, approvals, config: deps.config.vibe, clock: deps.clock, log, sandbox, refusal, streamEditMs: deps.config.llm.streamEditMs, hideHostPaths: [deps.config.dataDir, projectRoot()] });
  return new VibeService({ store, agent, approvals, llm: deps.llm, lockdown: deps.lockdown, config: deps.config.vibe, dataDir: deps.config.dataDir, clock: deps.clock, log, sandbox, replyTo: deps.replyTo });
}
