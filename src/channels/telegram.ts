import { Bot, GrammyError, HttpError, InputFile, type Transformer } from 'grammy';
import type { Update } from 'grammy/types';
import { autoRetry } from '@grammyjs/auto-retry';
import { createConcurrentSink, createRunner, createSource, sequentialize, type RunnerHandle } from '@grammyjs/runner';
import type { Channel, ChannelInfo, ChannelState, Dispatch } from './channel.js';
import type { Outbound, SentRef } from '../core/message.js';
import { UserError } from '../core/errors.js';
import type { Replier } from '../core/handler.js';
import type { Logger } from '../core/logger.js';
import type { Clock } from '../core/clock.js';
import type { Metrics } from '../ops/metrics.js';
import type { Config } from '../config.js';
import { Outbox, outboxTransformer } from './outbox.js';
import { pauseUnlessAborted } from '../core/pause.js';
import { truncate } from '../core/render.js';
import { DeliveryError } from '../core/errors.js';
import type { UpdateInbox } from '../storage/update-inbox.js';
import { htmlToPlain, renderForTelegram } from './telegram-render.js';
import { sequenceKey, telegramInbound } from './telegram-inbound.js';

type TelegramConfig = NonNullable<Config['telegram']>;

const ALLOWED_UPDATES = ['message', 'callback_query'] as const;

/** The system error code under a network failure (ECONNRESET, ECONNREFUSED…), never its message: that holds the URL with the token. */
function networkCode(err: HttpError): string | undefined {
  const code = (err.error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^[A-Z_]{3,32}$/.test(code) ? code : undefined;
}

/** Failures of the API on the way to a person become DeliveryErrors (the boundary must not reply to them). */
async function delivering<T>(send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (err) {
    if (err instanceof GrammyError) throw new DeliveryError(`telegram: ${err.message}`, { cause: err });
    if (err instanceof HttpError) {
      const code = networkCode(err);
      throw new DeliveryError(`telegram: ${err.message}${code ? ` (${code})` : ''}`, { cause: err });
    }
    throw err;
  }
}

/**
 * Network failures that happened before a connection existed, so the request never reached
 * Telegram: safe to repeat for any method. (A reset or a timeout may come after Telegram acted,
 * so a message is not sent again after one: a lost reply beats a doubled one.)
 */
const NEVER_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

/** Calls that may be repeated after a network error without a person seeing anything twice. */
const IDEMPOTENT = new Set(['getMe', 'getWebhookInfo', 'deleteWebhook', 'setMyCommands', 'answerCallbackQuery', 'editMessageText', 'editMessageReplyMarkup']);

/** The token was refused: a configuration problem that a restart will not fix. */
export class TelegramStartError extends Error {
  override readonly name = 'TelegramStartError';
}

/** The API could not be reached at start: worth a restart later (pm2 backs off). */
export class TelegramUnreachableError extends Error {
  override readonly name = 'TelegramUnreachableError';
}

/**
 * Telegram through grammY: long polling with the runner (in order per chat, concurrent across
 * chats), outgoing calls through auto-retry and one rate-limited outbox.
 */
export class TelegramChannel implements Channel {
  readonly name = 'telegram' as const;
  readonly bot: Bot;
  private runner?: RunnerHandle;
  private state: ChannelState = 'starting';
  private draftSeq = 0;
  private draftsWork = true;
  private detail?: string;
  private offset = 0;
  /** Replayed updates not finished yet (queued in their chat's sequence or being handled). */
  private replaying = 0;
  private readonly outbox: Outbox;

  constructor(private readonly cfg: TelegramConfig, private readonly deps: { log: Logger; metrics: Metrics; clock: Clock; inbox: UpdateInbox }) {
    this.bot = new Bot(cfg.token, { client: { apiRoot: cfg.apiRoot, timeoutSeconds: cfg.requestTimeoutSec } });
    this.outbox = new Outbox(cfg);
    // Installed inner to outer: count every attempt, retry 429/5xx/network, then pace per chat.
    this.bot.api.config.use(this.metricsTransformer(), this.retryTransformer(), outboxTransformer(this.outbox));
  }

  info(): ChannelInfo {
    return { name: this.name, state: this.state, detail: this.detail };
  }

  async start(dispatch: Dispatch): Promise<void> {
    const { log } = this.deps;
    try {
      await this.bot.init();
      const webhook = await this.bot.api.getWebhookInfo();
      if (webhook.url) {
        log.warn('a webhook was set for this bot; deleting it so long polling can work');
        await this.bot.api.deleteWebhook({ drop_pending_updates: false });
      }
    } catch (err) {
      this.setState('disconnected', 'cannot reach Telegram');
      if (err instanceof GrammyError && err.error_code === 401) {
        throw new TelegramStartError('Telegram rejected TELEGRAM_BOT_TOKEN (401 Unauthorized): check the token from @BotFather.');
      }
      throw new TelegramUnreachableError(`Cannot reach the Telegram Bot API at ${this.cfg.apiRoot}: ${err instanceof Error ? err.message : String(err)}`);
    }
    this.setState('connected'); // getMe answered: the token works and the API is reachable
    const username = this.bot.botInfo.username;
    this.bot.catch((err) => log.error({ err: err.error }, 'telegram update failed'));
    this.bot.use(sequentialize((ctx) => sequenceKey(ctx.update)));
    this.bot.use(async (ctx) => {
      const inbound = telegramInbound(ctx.update, username, this.deps.clock.now());
      if (!inbound) {
        if (ctx.update.callback_query) await this.answer(ctx.update.callback_query.id);
        log.debug({ update: ctx.update.update_id }, 'update ignored');
        return;
      }
      await dispatch(inbound, this.replier(inbound.chatId, inbound.callback?.queryId));
    });
    this.replay();
    // The runner types its signal with an older AbortSignal polyfill; at run time it is Node's own.
    const source = createSource<Update>({ supply: (batch, signal) => this.fetch(batch, signal as unknown as AbortSignal) });
    const sink = createConcurrentSink<Update>(
      { consume: (u) => this.bot.handleUpdate(u) },
      async (err) => log.error({ err }, 'telegram update failed outside the chain'),
      { concurrency: 256 },
    );
    this.runner = createRunner(source, sink);
    this.runner.start();
    void this.runner.task()?.catch((err) => {
      this.setState('disconnected', 'polling stopped');
      log.error({ err }, 'telegram polling stopped');
    });
    log.info({ bot: username }, 'telegram long polling started');
  }

  /**
   * Updates fetched by an earlier run and never handled (it stopped or died first) go first: each
   * enters the per-chat sequence now, in the order they arrived, so it runs before anything newer
   * from its chat; chats do not wait for each other (a live sale waiting to land holds up only its
   * own chat), and polling starts without waiting for the backlog to finish.
   */
  private replay(): void {
    const { log } = this.deps;
    const left = this.deps.inbox.unhandled<Update>('telegram', 24 * 3600_000);
    if (left.length === 0) return;
    log.warn({ count: left.length }, 'handling updates fetched before the last stop');
    for (const u of left) {
      this.replaying++;
      void this.bot
        .handleUpdate(u)
        .catch((err) => log.error({ err }, 'replayed update failed'))
        .finally(() => this.replaying--);
    }
  }

  /** Stops fetching. The runner's task only ends once its sink has room, which a backlog can delay: waiting is bounded. */
  async stop(): Promise<void> {
    this.setState('stopped');
    if (!this.runner?.isRunning()) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.runner.stop(), new Promise((r) => (timer = setTimeout(r, 1000)))]);
    clearTimeout(timer);
  }

  /** Updates Telegram considers delivered that are still queued or being handled here. */
  pending(): number {
    return (this.runner?.size() ?? 0) + this.replaying;
  }

  async send(chatId: string, out: Outbound): Promise<SentRef | undefined> {
    return this.replier(chatId).send(out);
  }

  async edit(ref: SentRef, out: Outbound): Promise<void> {
    return this.replier(ref.chatId).edit(ref, out);
  }

  async publishCommands(
    commands: { user: { name: string; description: string }[]; admin: { name: string; description: string }[] },
    adminUserIds: string[],
  ): Promise<void> {
    const toBot = (list: { name: string; description: string }[]) => list.map((c) => ({ command: c.name, description: truncate(c.description, 256) }));
    try {
      await this.bot.api.setMyCommands(toBot(commands.user));
      for (const id of adminUserIds) {
        await this.bot.api.setMyCommands(toBot(commands.admin), { scope: { type: 'chat', chat_id: Number(id) } });
      }
    } catch (err) {
      this.deps.log.warn({ err }, 'could not publish the command menu');
    }
  }

  private setState(state: ChannelState, detail?: string): void {
    if (this.state === 'stopped') return;
    this.state = state;
    this.detail = detail;
  }

  /** getUpdates with backoff. Starts at offset 0: Telegram re-sends what was never confirmed and the inbound ledger drops what was handled. */
  private async fetch(batchSize: number, signal: AbortSignal): Promise<Update[]> {
    let retryIn = 500;
    for (;;) {
      try {
        const updates = await this.bot.api.getUpdates(
          { offset: this.offset, limit: Math.max(1, Math.min(batchSize, 100)), timeout: this.cfg.pollTimeoutSec, allowed_updates: [...ALLOWED_UPDATES] },
          signal as never, // grammY types this with the same polyfill
        );
        this.setState('connected');
        this.deps.inbox.save('telegram', updates.map((u) => ({ id: String(u.update_id), payload: u })));
        const last = updates[updates.length - 1];
        if (last) this.offset = last.update_id + 1;
        return updates;
      } catch (err) {
        if (signal.aborted) throw err;
        const code = err instanceof GrammyError ? err.error_code : undefined;
        if (code === 401) {
          this.setState('disconnected', 'token rejected (401)');
          throw err;
        }
        this.setState(code === 409 ? 'disconnected' : 'reconnecting', code === 409 ? 'another process polls this token (409)' : 'getUpdates failing');
        this.deps.log.warn({ err, code }, 'getUpdates failed; retrying');
        const retryAfter = err instanceof GrammyError ? err.parameters.retry_after : undefined;
        const wait = retryAfter ? retryAfter * 1000 : retryIn * (0.5 + Math.random());
        await pauseUnlessAborted(wait, signal);
        if (signal.aborted) throw new Error('stopped');
        retryIn = Math.min(retryIn * 2, 30_000);
      }
    }
  }

  private replier(chatId: string, queryId?: string): Replier {
    let answered = queryId === undefined;
    return {
      send: (out) =>
        delivering(async () => {
          if (out.interim && this.canDraft(chatId)) {
            const draftId = ++this.draftSeq;
            if (await this.draft(chatId, draftId, out)) return { chatId, messageId: `draft-${draftId}`, held: true };
          }
          let ref: SentRef | undefined;
          for (const part of renderForTelegram(out)) {
            const msg = await this.sendHtml(chatId, part);
            ref = { chatId, messageId: String(msg.message_id) };
          }
          if (out.document) await this.bot.api.sendDocument(chatId, new InputFile(out.document.data, out.document.name));
          return ref;
        }),
      edit: (ref, out) =>
        delivering(async () => {
          const draft = ref.held ? /^draft-(\d+)$/.exec(ref.messageId) : null;
          if (draft) {
            // A streamed draft: interim states update it; the final text is sent as a real message.
            if (out.interim) {
              await this.draft(chatId, Number(draft[1]), out);
              return;
            }
            for (const part of renderForTelegram(out)) await this.sendHtml(chatId, part);
            return;
          }
          const [first, ...rest] = renderForTelegram(out);
          try {
            await this.bot.api.editMessageText(ref.chatId, Number(ref.messageId), first!.text, { parse_mode: 'HTML', reply_markup: first!.reply_markup });
          } catch (err) {
            if (!(err instanceof GrammyError && /message is not modified/.test(err.description))) throw err;
          }
          for (const part of rest) await this.sendHtml(chatId, part);
        }),
      download: async (fileId, maxBytes) => {
        const file = await this.bot.api.getFile(fileId);
        if (!file.file_path) throw new UserError('Telegram did not make that file available.');
        if ((file.file_size ?? 0) > maxBytes) throw new UserError(`That file is too large (${file.file_size} bytes; at most ${maxBytes}).`);
        const res = await fetch(`${this.cfg.apiRoot}/file/bot${this.cfg.token}/${file.file_path}`, { signal: AbortSignal.timeout(60_000) });
        if (!res.ok) throw new UserError('The file could not be downloaded from Telegram; send it again.');
        const data = Buffer.from(await res.arrayBuffer());
        if (data.length > maxBytes) throw new UserError(`That file is too large (at most ${maxBytes} bytes).`);
        return data;
      },
      answerCallback: async (text) => {
        if (answered) {
          if (text) await this.replier(chatId).send({ text });
          return;
        }
        answered = true;
        await this.answer(queryId!, text);
      },
    };
  }

  /** Drafts work in private chats (positive ids) while the server has the method. */
  private canDraft(chatId: string): boolean {
    return this.cfg.streamDrafts && this.draftsWork && /^\d+$/.test(chatId);
  }

  /**
   * Shows a streamed answer's current text as an animated draft (Bot API 9.3+). False when the
   * server does not know the method (drafts are then off for this run and edits are used).
   */
  private async draft(chatId: string, draftId: number, out: Outbound): Promise<boolean> {
    const [first] = renderForTelegram(out);
    try {
      await this.bot.api.sendMessageDraft(Number(chatId), draftId, first?.text ?? '', { parse_mode: 'HTML' });
      return true;
    } catch (err) {
      if (err instanceof GrammyError && (err.error_code === 404 || /method not found|unknown method/i.test(err.description))) {
        this.draftsWork = false;
        this.deps.log.warn('this Bot API server has no sendMessageDraft: streaming with edits instead');
      }
      return false;
    }
  }

  private async sendHtml(chatId: string, part: ReturnType<typeof renderForTelegram>[number]) {
    const opts = { parse_mode: 'HTML' as const, reply_markup: part.reply_markup, link_preview_options: { is_disabled: true } };
    try {
      return await this.bot.api.sendMessage(chatId, part.text, opts);
    } catch (err) {
      // Our renderer escapes everything; if Telegram still cannot parse it, send it plain rather than not at all.
      if (err instanceof GrammyError && /can't parse entities/.test(err.description)) {
        this.deps.log.error({ err }, 'telegram rejected our HTML; resending as plain text');
        return this.bot.api.sendMessage(chatId, htmlToPlain(part.text), { reply_markup: part.reply_markup });
      }
      throw err;
    }
  }

  private async answer(queryId: string, text?: string): Promise<void> {
    try {
      await this.bot.api.answerCallbackQuery(queryId, text ? { text: truncate(text, 200) } : undefined);
    } catch (err) {
      this.deps.log.debug({ err }, 'answerCallbackQuery failed (query too old?)');
    }
  }

  private metricsTransformer(): Transformer {
    const { metrics } = this.deps;
    return async (prev, method, payload, signal) => {
      try {
        const res = await prev(method, payload, signal);
        if (method !== 'getUpdates' || !res.ok) {
          metrics.apiCalls.inc({ service: 'telegram', method, outcome: res.ok ? 'ok' : String(res.error_code) });
        }
        if (!res.ok && res.error_code === 429) {
          metrics.api429.inc({ service: 'telegram', method });
          const chatId = (payload as { chat_id?: unknown } | undefined)?.chat_id;
          if (chatId !== undefined) this.outbox.penalise(String(chatId));
        }
        return res;
      } catch (err) {
        if (!(err instanceof HttpError && signal?.aborted)) metrics.apiCalls.inc({ service: 'telegram', method, outcome: 'network' });
        throw err;
      }
    };
  }

  /**
   * auto-retry (429 retry_after, 5xx backoff, bounded by TELEGRAM_MAX_RETRIES) for everything but
   * getUpdates, whose own loop backs off and must stop at once on shutdown. A network error is
   * retried only for idempotent calls: a sendMessage whose answer was lost may have been delivered,
   * and sending it again would say it twice.
   */
  private retryTransformer(): Transformer {
    const retry = autoRetry({ maxRetryAttempts: this.cfg.maxRetries, maxDelaySeconds: 120, rethrowHttpErrors: true });
    const attempts = Math.max(1, this.cfg.maxRetries);
    return async (prev, method, payload, signal) => {
      if (method === 'getUpdates') return prev(method, payload, signal);
      for (let attempt = 1; ; attempt++) {
        try {
          return await retry(prev, method, payload, signal);
        } catch (err) {
          const repeatable = err instanceof HttpError && (IDEMPOTENT.has(method) || NEVER_CONNECTED.has(networkCode(err) ?? ''));
          if (!repeatable || attempt >= attempts || signal?.aborted) throw err;
          await new Promise((r) => setTimeout(r, Math.min(30_000, 500 * 2 ** attempt)));
        }
      }
    };
  }
}
