import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config.js';
import { systemClock, type Clock } from './core/clock.js';
import type { Logger } from './core/logger.js';
import { openDatabase, type Db } from './storage/database.js';
import { migrate, readMigrations } from './storage/migrations.js';
import { projectRoot } from './core/paths.js';
import { Roles, parseIdentity } from './access/roles.js';
import { AuditLog } from './access/audit.js';
import { Lockdown } from './access/lockdown.js';
import { RateLimiter } from './access/rate-limit.js';
import { StrangerGate } from './access/stranger-gate.js';
import { accessStatus } from './access/status.js';
import { adminChats } from './access/admin-chats.js';
import { FlowEngine, isFlow } from './core/flows.js';
import { Registry } from './core/registry.js';
import { StatusBoard } from './core/status-board.js';
import { Scheduler, isJob } from './core/scheduler.js';
import { createChain, isHandler } from './core/chain.js';
import { Dispatcher } from './core/dispatcher.js';
import { InboundLedger } from './core/inbound-ledger.js';
import { loadFolder } from './core/load-modules.js';
import type { Services } from './core/services.js';
import type { Channel } from './channels/channel.js';
import { createMetrics } from './ops/metrics.js';
import { createHttpServer, listen } from './ops/http.js';
import { Notices } from './core/notices.js';
import { buildTrading } from './trading/build.js';
import { tradingStatus } from './trading/status.js';
import { buildCluster } from './cluster/build.js';
import { clusterStatus } from './cluster/status.js';
import { buildLlm } from './llm/build.js';
import { Conversation } from './llm/conversation.js';
import { ChatService } from './llm/chat.js';
import { buildVibe } from './vibe/build.js';
import type { ReplySink } from './core/streaming-reply.js';
import { asOutbound, plainText } from './core/message.js';
import { statusReport } from './ops/status-report.js';
import { llmStatus } from './llm/status.js';
import { buildMemory } from './memory/build.js';
import { memoryStatus } from './memory/status.js';
import { Backups } from './ops/backup/service.js';

/**
 * The composition root: the only place that builds services and wires them together.
 * Channels are passed in, so the same app runs with Telegram, the console, or in memory.
 */
export interface App {
  readonly services: Services;
  readonly dispatcher: Dispatcher;
  readonly channels: readonly Channel[];
  /** Where HTTP listens, once started (undefined when disabled). */
  httpAddress(): AddressInfo | undefined;
  start(): Promise<void>;
  /** Graceful: stop intake, let in-flight messages finish (bounded), stop jobs, close HTTP and the database. */
  stop(): Promise<void>;
}

export interface AppOptions {
  config: Config;
  log: Logger;
  /** `notices` lets a channel tell people something outside a reply (WhatsApp: logged out). */
  channels: (deps: { db: Db; clock: Clock; log: Logger; metrics: ReturnType<typeof createMetrics>; notices: Notices }) => Channel[];
  clock?: Clock;
  /** Start the scheduler (off for `jarvis chat`, which shares the database with a running daemon). */
  jobs?: boolean;
  /** With jobs on, whether their schedules run (tests turn this off and call the jobs' services by hand). */
  cron?: boolean;
  http?: boolean;
  defaultMetrics?: boolean;
}

export function readVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export async function createApp(opts: AppOptions): Promise<App> {
  const { config, log } = opts;
  const clock = opts.clock ?? systemClock;
  const db = openDatabase(config.dbPath);
  try {
    const report = migrate(db, readMigrations(join(projectRoot(), 'migrations')), clock.now());
    if (report.applied.length) log.info({ applied: report.applied, version: report.current }, 'database migrated');
  } catch (err) {
    db.close();
    throw err;
  }
  const metrics = createMetrics({ defaults: opts.defaultMetrics });
  const handlers = await loadFolder('handlers', isHandler);
  const flows = await loadFolder('conversations', isFlow);
  const jobs = await loadFolder('jobs', isJob);
  const registry = new Registry(handlers);
  const notices = new Notices(db, clock, log.child({ module: 'notices' }));
  const channels = opts.channels({ db, clock, log, metrics, notices });

  // Services are referenced by the scheduler before the object exists; the getter closes that loop.
  let trading;
  let cluster;
  let memory;
  const audit = new AuditLog(db, clock);
  const lockdown = new Lockdown(db, clock);
  const roles = new Roles(db, config.admins, clock);
  try {
    trading = buildTrading({ db, clock, log, config, lockdown, audit, notices, owner: opts.jobs !== false });
    cluster = buildCluster({ db, clock, log, config, lockdown, audit, notices, roles, owner: opts.jobs !== false });
    memory = buildMemory({ db, clock, log, config });
  } catch (err) {
    db.close();
    throw err;
  }
  const llm = buildLlm({ db, clock, log, config });
  const conversation = new Conversation(db);
  /** Background work replies through the channel itself, as notices do. */
  const replyTo = (channelName: string, chatId: string): ReplySink => {
    const channel = () => {
      const c = channels.find((x) => x.name === channelName);
      if (!c) throw new Error(`no running channel ${channelName}`);
      return c;
    };
    return {
      reply: (out) => channel().send(chatId, asOutbound(out)),
      edit: async (ref, out) => {
        const c = channel();
        if (c.edit) await c.edit(ref, asOutbound(out));
        else await c.send(chatId, asOutbound(out));
      },
    };
  };
  const vibe = buildVibe({ db, clock, log, config, lockdown, llm, replyTo });
  let services!: Services;
  const scheduler = new Scheduler({ db, clock, log: log.child({ module: 'jobs' }), metrics, config, services: () => services }, jobs);
  services = {
    config,
    version: readVersion(),
    startedAt: clock.now(),
    clock,
    log,
    db,
    roles,
    audit,
    lockdown,
    rateLimiter: config.rateLimit.enabled ? new RateLimiter(config.rateLimit.burst, config.rateLimit.perMinute, clock) : undefined,
    strangers: new StrangerGate(db, config.strangerReplyIntervalMs, clock),
    flows: new FlowEngine(db, flows, config.flowTtlMs, clock),
    registry,
    status: new StatusBoard(),
    scheduler,
    metrics,
    notices,
    trading,
    cluster,
    memory,
    llm,
    conversation,
    backups: new Backups({ db, config: config.backup, clock, log: log.child({ module: 'backup' }) }),
    vibe,
    replyTo,
    chat: new ChatService({ llm, conversation, memory, config: config.llm, clock, log: log.child({ module: 'chat' }), status: async () => plainText(await statusReport(services)) }),
    channels: () => channels.map((c) => c.info()),
  };
  services.status.register('Access', () => accessStatus(services));
  services.status.register('Trading', () => tradingStatus(services));
  services.status.register('Cluster', () => clusterStatus(services));
  services.status.register('AI', () => llmStatus(services));
  services.status.register('Memory', () => memoryStatus(services));
  const dispatcher = new Dispatcher(createChain(handlers), services, new InboundLedger(db, clock));
  let http: Server | undefined;
  let address: AddressInfo | undefined;
  let stopping: Promise<void> | undefined;

  return {
    services,
    dispatcher,
    channels,
    httpAddress: () => address,
    async start() {
      if (opts.http !== false && config.http.enabled) {
        http = createHttpServer(services);
        address = await listen(http, config.http.host, config.http.port);
        log.info({ host: address.address, port: address.port }, 'http listening');
      }
      // Whatever a crash left half-done is settled before anything may buy or sell. Only the
      // process that runs the jobs does this: `jarvis chat` must not touch another's exits.
      // It also tells admins, once per start, about live positions nothing can sell (no wallet unlocked).
      if (opts.jobs !== false) await trading.reconcile({ admins: adminChats(services.roles) });
      // Flows whose step was running when Jarvis stopped: a step that acts is not run again from the same button.
      if (opts.jobs !== false) {
        const flows = services.flows.reconcile((userKey, chatId, text) => notices.enqueue({ userKey, chatId, out: { text } }));
        if (flows.resumed || flows.ended) log.info(flows, 'flows reconciled');
      }
      // Cluster follow-ups edit the reply that asked for them, in whichever channel that was.
      cluster?.actions.setEditor(async (userKey, ref, out) => {
        const channel = channels.find((c) => c.name === parseIdentity(userKey)?.channel);
        if (!channel?.edit) throw new Error('no running channel that can edit');
        await channel.edit(ref, out);
      });
      if (opts.jobs !== false) cluster?.actions.reconcile();
      if (opts.jobs !== false) vibe.reconcile();
      for (const c of channels) {
        await c.start(dispatcher.dispatch);
        // Owners and admins granted from chat get the admin menu (those granted later: after a restart).
        const admins = services.roles
          .list()
          .filter((u) => u.role === 'admin')
          .map((u) => parseIdentity(u.key))
          .filter((id) => id?.channel === c.name)
          .map((id) => id!.userId);
        await c.publishCommands?.(
          {
            user: registry.commandsFor('user').map((x) => ({ name: x.name, description: x.description })),
            admin: registry.commandsFor('admin').map((x) => ({ name: x.name, description: x.description })),
          },
          admins,
        );
      }
      // Notices are delivered by the daemon only: `jarvis chat` has no Telegram channel to send them on.
      if (opts.jobs !== false) notices.start(async (userKey, chatId, out) => {
        const id = parseIdentity(userKey);
        const channel = channels.find((c) => c.name === id?.channel);
        if (!channel) throw new Error(`no running channel for ${id?.channel ?? 'unknown'}`);
        await channel.send(chatId, out);
      });
      if (opts.jobs !== false && opts.cron !== false) scheduler.start();
      log.info({ channels: channels.map((c) => c.name), version: services.version }, 'jarvis started');
    },
    stop() {
      stopping ??= (async () => {
        const t0 = Date.now();
        // Running /vibe turns stop first, while their chat can still be told.
        await vibe.close(Math.min(2_000, config.shutdownTimeoutMs / 4));
        await Promise.allSettled(channels.map((c) => c.stop()));
        const drained = await dispatcher.drain(config.shutdownTimeoutMs, () => channels.reduce((n, c) => n + (c.pending?.() ?? 0), 0));
        if (!drained) log.warn({ inFlight: dispatcher.inFlight }, 'shutdown timeout: some messages were still being handled');
        const left = Math.max(100, config.shutdownTimeoutMs - (Date.now() - t0));
        await scheduler.stop(left);
        await trading.close(Math.max(100, config.shutdownTimeoutMs - (Date.now() - t0)));
        await cluster?.actions.close(Math.max(100, config.shutdownTimeoutMs - (Date.now() - t0)));
        await notices.close();
        // Recalls not yet written (last recalled, short memories' expiry) go in before the file closes.
        // Memory extraction still running is given what is left of the shutdown time, then dropped.
        await Promise.race([services.chat.idle(), new Promise((r) => setTimeout(r, Math.max(100, config.shutdownTimeoutMs - (Date.now() - t0))).unref())]);
        memory.close();
        if (http) {
          http.closeAllConnections();
          await new Promise<void>((r) => http!.close(() => r()));
        }
        db.close();
        log.info({ ms: Date.now() - t0 }, 'jarvis stopped');
      })();
      return stopping;
    },
  };
}
