import type { Chain } from './chain.js';
import type { Replier } from './handler.js';
import type { Inbound } from './message.js';
import { parseCommand } from './command.js';
import type { Services } from './services.js';
import { MessageContext } from './context.js';
import { errorRef, somethingWentWrong } from './errors.js';
import type { InboundLedger } from './inbound-ledger.js';

/**
 * Turns an Inbound and a channel's Replier into a Ctx and runs the chain. Tracks in-flight
 * messages so shutdown can let them finish.
 */
const LONE_SURROGATE_SOURCE = '[\\uD800-\\uDBFF](?![\\uDC00-\\uDFFF])|(?<![\\uD800-\\uDBFF])[\\uDC00-\\uDFFF]';
const LONE_SURROGATE = new RegExp(LONE_SURROGATE_SOURCE);
const LONE_SURROGATE_ALL = new RegExp(LONE_SURROGATE_SOURCE, 'g');

export class Dispatcher {
  private readonly inflight = new Set<Promise<void>>();
  private accepting = true;

  constructor(private readonly chain: Chain, private readonly services: Services, private readonly ledger: InboundLedger) {}

  readonly dispatch = async (inbound: Inbound, replier: Replier): Promise<void> => {
    // Refused after shutdown has begun and before the update is claimed: the next start replays it
    // from the channel's update inbox (or the network redelivers it).
    if (!this.accepting) return;
    let fresh: boolean;
    try {
      fresh = inbound.updateId === undefined || this.ledger.claim(inbound.channel, inbound.updateId);
    } catch (err) {
      return this.failBeforeChain(replier, err); // e.g. the database is locked or the disk is full
    }
    if (!fresh) {
      this.services.log.info({ channel: inbound.channel, update: inbound.updateId }, 'update already handled; skipping the redelivery');
      if (inbound.callback) await replier.answerCallback().catch(() => undefined);
      return;
    }
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

  private async handle(raw: Inbound, replier: Replier): Promise<void> {
    const { services } = this;
    const t0 = performance.now();
    // A lone surrogate (only a forged update can carry one) is never echoed back or stored.
    const inbound = raw.text !== undefined && LONE_SURROGATE.test(raw.text) ? { ...raw, text: raw.text.replace(LONE_SURROGATE_ALL, '\uFFFD') } : raw;
    const command = inbound.callback ? undefined : parseCommand(inbound.text);
    if (command) command.spec = services.registry.command(command.name);
    let ctx: MessageContext;
    try {
      ctx = new MessageContext(inbound, services, replier, command);
    } catch (err) {
      return this.failBeforeChain(replier, err);
    }
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

  /** The chain's error boundary is not reached yet: answer the same way it would. */
  private async failBeforeChain(replier: Replier, err: unknown): Promise<void> {
    const ref = errorRef();
    this.services.log.error({ err, ref }, 'could not take an inbound message');
    await replier.answerCallback().catch(() => undefined);
    await replier.send({ text: somethingWentWrong(ref) }).catch(() => undefined);
  }

  /**
   * Waits, at most timeoutMs, until nothing is in flight and the channels have nothing queued,
   * then refuses new messages. Channels have stopped fetching by now; messages they had already
   * fetched (Telegram counts them delivered) are still handled while time remains.
   */
  async drain(timeoutMs: number, queued: () => number = () => 0): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while ((this.inflight.size > 0 || queued() > 0) && performance.now() < deadline) {
      let timer: NodeJS.Timeout | undefined;
      const tick = new Promise((r) => (timer = setTimeout(r, Math.min(50, Math.max(1, deadline - performance.now())))));
      await Promise.race([Promise.allSettled([...this.inflight]), tick]);
      clearTimeout(timer);
    }
    this.accepting = false;
    return this.inflight.size === 0 && queued() === 0;
  }
}
