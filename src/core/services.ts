import type { Config } from '../config.js';
import type { Db } from '../storage/database.js';
import type { Clock } from './clock.js';
import type { Logger } from './logger.js';
import type { Roles } from '../access/roles.js';
import type { AuditLog } from '../access/audit.js';
import type { Lockdown } from '../access/lockdown.js';
import type { RateLimiter } from '../access/rate-limit.js';
import type { StrangerGate } from '../access/stranger-gate.js';
import type { FlowEngine } from './flows.js';
import type { Registry } from './registry.js';
import type { StatusBoard } from './status-board.js';
import type { Scheduler } from './scheduler.js';
import type { Metrics } from '../ops/metrics.js';
import type { ChannelInfo } from '../channels/channel.js';
import type { Notices } from './notices.js';
import type { TradingService } from '../trading/service.js';
import type { ClusterService } from '../cluster/service.js';
import type { LlmService } from '../llm/service.js';
import type { Conversation } from '../llm/conversation.js';
import type { ChatService } from '../llm/chat.js';
import type { VibeService } from '../vibe/service.js';
import type { ReplySink } from './streaming-reply.js';
import type { MemoryService } from '../memory/service.js';
import type { Backups } from '../ops/backup/service.js';

/** Everything handlers, flows and jobs may use. Built once, in src/app.ts. */
export interface Services {
  readonly config: Config;
  readonly version: string;
  readonly startedAt: number;
  readonly clock: Clock;
  readonly log: Logger;
  readonly db: Db;
  readonly roles: Roles;
  readonly audit: AuditLog;
  readonly lockdown: Lockdown;
  /** Absent when rate limiting is disabled in config. */
  readonly rateLimiter?: RateLimiter;
  readonly strangers: StrangerGate;
  readonly flows: FlowEngine;
  readonly registry: Registry;
  readonly status: StatusBoard;
  readonly scheduler: Scheduler;
  readonly metrics: Metrics;
  /** Messages nobody asked for, delivered after the change they report commits. */
  readonly notices: Notices;
  readonly trading: TradingService;
  /** Absent until PROXMOX_URL, PROXMOX_TOKEN_ID and PROXMOX_TOKEN_SECRET are set. */
  readonly cluster?: ClusterService;
  /** Model calls: routing, budgets, the cost ledger (configured or not: check `llm.configured`). */
  readonly llm: LlmService;
  /** Free-text chat turns per person and chat. */
  readonly conversation: Conversation;
  /** Answers free text: routed model, recalled memories, streamed reply. */
  readonly chat: ChatService;
  /** Coding sessions with Claude in a sandboxed workspace. */
  readonly vibe: VibeService;
  /** Sends to and edits in a chat outside of any handler (background work such as /vibe turns). */
  replyTo(channel: string, chatId: string): ReplySink;
  /** What Jarvis remembers about each person (tiers, recall, extraction). */
  readonly memory: MemoryService;
  /** Online database backups (the nightly job and /backup). */
  readonly backups: Backups;
  /** The channels that are running and their state. */
  channels(): ChannelInfo[];
}
