import type { Transformer } from 'grammy';
import type { Clock } from '../core/clock.js';
import { systemClock } from '../core/clock.js';
import { TokenBucket } from './token-bucket.js';

export interface OutboxLimits {
  perChatPerSec: number;
  perChatBurst: number;
  groupPerMin: number;
  globalPerSec: number;
}

interface ChatLane {
  bucket: TokenBucket;
  group?: TokenBucket;
  tail: Promise<unknown>;
  pending: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * One outbox for every outgoing chat message: calls for one chat leave in order, and no faster
 * than Telegram's per-chat, per-group and global limits, so a burst is paced instead of
 * turning into a storm of 429s.
 */
export class Outbox {
  private readonly lanes = new Map<string, ChatLane>();
  private readonly global: TokenBucket;

  constructor(private readonly limits: OutboxLimits, private readonly clock: Clock = systemClock, private readonly wait = sleep) {
    this.global = new TokenBucket(Math.max(1, Math.floor(limits.globalPerSec)), limits.globalPerSec / 1000, clock);
  }

  /** Calls waiting or running, across chats. */
  get pending(): number {
    let n = 0;
    for (const l of this.lanes.values()) n += l.pending;
    return n;
  }

  schedule<T>(chatId: string, fn: () => Promise<T>): Promise<T> {
    const lane = this.lane(chatId);
    lane.pending++;
    const run = lane.tail.then(async () => {
      await this.acquire(lane);
      return fn();
    });
    lane.tail = run
      .catch(() => undefined)
      .finally(() => {
        lane.pending--;
        if (lane.pending === 0 && lane.bucket.full() && (!lane.group || lane.group.full())) this.lanes.delete(chatId);
      });
    return run;
  }

  /** After a 429 the chat's lane starts from empty, so the next call waits a full interval. */
  penalise(chatId: string): void {
    this.lanes.get(chatId)?.bucket.drain();
  }

  private lane(chatId: string): ChatLane {
    let lane = this.lanes.get(chatId);
    if (!lane) {
      if (this.lanes.size >= 1000) this.sweep();
      const { perChatBurst, perChatPerSec, groupPerMin } = this.limits;
      lane = {
        bucket: new TokenBucket(perChatBurst, perChatPerSec / 1000, this.clock),
        // Negative chat ids are groups and channels: 20 messages a minute.
        group: chatId.startsWith('-') ? new TokenBucket(Math.min(groupPerMin, perChatBurst), groupPerMin / 60_000, this.clock) : undefined,
        tail: Promise.resolve(),
        pending: 0,
      };
      this.lanes.set(chatId, lane);
    }
    return lane;
  }

  /** Drops idle lanes that have refilled: they hold nothing a new lane would not. */
  private sweep(): void {
    for (const [id, l] of this.lanes) {
      if (l.pending === 0 && l.bucket.full() && (!l.group || l.group.full())) this.lanes.delete(id);
    }
  }

  /** Lanes held in memory (for tests: idle chats must not accumulate). */
  get size(): number {
    return this.lanes.size;
  }

  private async acquire(lane: ChatLane): Promise<void> {
    for (;;) {
      const d = Math.max(lane.bucket.delay(), lane.group?.delay() ?? 0, this.global.delay());
      if (d === 0) {
        lane.bucket.take();
        lane.group?.take();
        this.global.take();
        return;
      }
      await this.wait(d);
    }
  }
}

/** Methods that put something in a chat and so count against its limits. */
const CHAT_METHODS = new Set([
  'sendMessage', 'editMessageText', 'editMessageReplyMarkup', 'editMessageCaption', 'sendDocument', 'sendPhoto',
  'sendMessageDraft', 'copyMessage', 'forwardMessage', 'sendMediaGroup', 'sendAudio', 'sendVideo', 'sendVoice',
  'sendSticker', 'sendLocation', 'sendPoll', 'deleteMessage',
]);

export function outboxTransformer(outbox: Outbox): Transformer {
  return (prev, method, payload, signal) => {
    const chatId = (payload as { chat_id?: unknown } | undefined)?.chat_id;
    if (!CHAT_METHODS.has(method) || (typeof chatId !== 'number' && typeof chatId !== 'string')) return prev(method, payload, signal);
    return outbox.schedule(String(chatId), () => prev(method, payload, signal));
  };
}
