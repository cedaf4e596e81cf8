import type { Chain } from './chain.js';
import type { Ctx, Replier } from './handler.js';
import type { Inbound } from './message.js';
import { asOutbound, userKey } from './message.js';
import { parseCommand } from './command.js';
import type { Services } from './services.js';
import type { Logger } from './logger.js';

/**
 * Turns an Inbound and a channel's Replier into a Ctx and runs the chain. Tracks in-flight
 * messages so shutdown can let them finish.
 */
export class Dispatcher {
  private readonly inflight = new Set<Promise<void>>();
  private accepting = true;

  constructor(private readonly chain: Chain, private readonly services: Services) {}

  readonly dispatch = async (inbound: Inbound, replier: Replier): Promise<void> => {
    if (!this.accepting) return;
    const p = this.handle(inbound, replier);
    this.inflight.add(p);
    try {
      await p;
    } finally {
      this.inflight.delete(p);
    }
  };

  get inFlight(): number {
    return this.inflight.size;
  }

  private async handle(inbound: Inbound, replier: Replier): Promise<void> {
    const { services } = this;
    const t0 = performance.now();
    const identity = { channel: inbound.channel, userId: inbound.userId };
    const parsed = inbound.callback ? undefined : parseCommand(inbound.text);
    const command = parsed ? { ...parsed, spec: services.registry.command(parsed.name) } : undefined;
    let log: Logger | undefined;
    const ctx: Ctx = {
      inbound,
      identity,
      key: userKey(inbound),
      role: services.roles.roleOf(identity),
      command,
      services,
      get log() {
        return (log ??= services.log.child({ channel: inbound.channel, chat: inbound.chatId, user: inbound.userId }));
      },
      reply: (out) => replier.send(asOutbound(out)),
      edit: (ref, out) => replier.edit(ref, asOutbound(out)),
      answerCallback: (text) => replier.answerCallback(text),
    };
    try {
      await this.chain.run(ctx);
    } catch (err) {
      // The error boundary should have caught this; it is the last resort.
      ctx.outcome = 'error';
      services.log.error({ err }, 'error escaped the chain');
    } finally {
      if (inbound.callback) await replier.answerCallback().catch(() => undefined);
      services.metrics.updates.inc({ channel: inbound.channel, handler: ctx.handledBy ?? 'none', outcome: ctx.outcome ?? 'ok' });
      services.metrics.handlerSeconds.observe({ channel: inbound.channel }, (performance.now() - t0) / 1000);
    }
  }

  /** Stops taking new messages and waits, at most timeoutMs, for those in flight. */
  async drain(timeoutMs: number): Promise<boolean> {
    this.accepting = false;
    if (this.inflight.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((r) => {
      timer = setTimeout(() => r(false), timeoutMs);
    });
    const done = Promise.allSettled([...this.inflight]).then(() => true as const);
    const result = await Promise.race([done, timedOut]);
    clearTimeout(timer);
    return result;
  }
}
