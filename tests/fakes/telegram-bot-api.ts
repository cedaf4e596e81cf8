/**
 * A local fake of the Telegram Bot API over real HTTP on 127.0.0.1.
 * Why real HTTP: the daemon under test is a separate process using the real grammY client, so
 * the wire is the only seam we share with it. The fake speaks the real Bot API shapes and enforces
 * the server-side rules a bot must cope with: long polling, offset confirmation, one poller per
 * token, text/HTML/button validation, "message is not modified", single-use callback queries,
 * and injectable 429/500/timeout faults. Node built-ins only, so it never drifts with a dependency.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedCall { method: string; params: Record<string, unknown>; at: number; token: string; answeredWith: 'ok' | 'error'; errorCode?: number }
export interface FaultPlan {
  /** called for every method call except getUpdates (see `pollFaults`); return undefined for a normal answer.
   *  `callIndex` is the index this call gets in `calls` (0-based, counts all recorded calls). */
  (method: string, params: Record<string, unknown>, callIndex: number): undefined | { kind: '429'; retryAfter: number } | { kind: '500' } | { kind: 'timeout'; ms: number } | { kind: 'lost-answer' }
}
/** Faults for getUpdates, which is not recorded in `calls`; `pollIndex` counts getUpdates requests (0-based). */
export type PollFaultPlan = (params: Record<string, unknown>, pollIndex: number) => undefined | { kind: '429'; retryAfter: number } | { kind: '500' } | { kind: 'timeout'; ms: number };
export interface FakeTelegramOptions { token?: string; botUsername?: string; botId?: number }

type Params = Record<string, unknown>;
type Update = Record<string, unknown> & { update_id: number };
interface StoredMessage { msg: Params; raw: string; parseMode: unknown; markupJson: string }

/** Thrown by method handlers; becomes `{ok:false, error_code, description}` with that HTTP status. */
class ApiError extends Error {
  constructor(readonly code: number, readonly description: string, readonly parameters?: Params) { super(description); }
}
const badRequest = (what: string): ApiError => new ApiError(400, `Bad Request: ${what}`);

/** Methods that simply answer `true` (state we don't model). Names are case-insensitive on the real API. */
const TRUE_METHODS = ['deleteMessage', 'deleteMessages', 'sendChatAction', 'deleteMyCommands',
  'setChatMenuButton', 'setMyDescription', 'setMyShortDescription', 'setMyName', 'pinChatMessage', 'unpinChatMessage',
  'unpinAllChatMessages', 'setMessageReaction', 'leaveChat', 'close', 'logOut', 'setMyDefaultAdministratorRights'];
/** Media senders return a Message (no text) so clients that read `message_id` keep working. */
const MEDIA_METHODS = ['sendDocument', 'sendPhoto', 'sendAudio', 'sendVoice', 'sendVideo', 'sendAnimation', 'sendSticker'];
const ALLOWED_HTML_TAGS = new Set(['b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'code', 'pre', 'a',
  'tg-spoiler', 'span', 'blockquote']);

/** Parses Telegram-HTML the way the Bot API does (strictly): returns the plain text or throws 400 "can't parse entities". */
export function parseTelegramHtml(src: string): string {
  const fail = (why: string): never => { throw badRequest(`can't parse entities: ${why}`); };
  const at = (i: number): number => Buffer.byteLength(src.slice(0, i));
  const tagRe = /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)(\s[^<>]*)?>/y;
  const entRe = /&(lt|gt|amp|quot|#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6}));/y;
  const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };
  const stack: string[] = [];
  let out = '';
  for (let i = 0; i < src.length;) {
    const ch = src[i]!;
    if (ch === '<') {
      tagRe.lastIndex = i;
      const m = tagRe.exec(src) ?? fail(`Unexpected character '<' at byte offset ${at(i)}; use &lt; to escape it`);
      const [whole, closing, rawName] = m as RegExpExecArray & [string, string, string];
      const name = rawName.toLowerCase();
      if (!ALLOWED_HTML_TAGS.has(name)) fail(`Unsupported ${closing ? 'end' : 'start'} tag "${name}" at byte offset ${at(i)}`);
      if (closing) {
        const open = stack.pop();
        if (open === undefined) fail(`Unexpected end tag at byte offset ${at(i)}`);
        if (open !== name) fail(`Unmatched end tag at byte offset ${at(i)}, expected "</${open}>", found "</${name}>"`);
      } else stack.push(name);
      i += whole.length;
    } else if (ch === '&') {
      entRe.lastIndex = i;
      const e = entRe.exec(src) ?? fail(`Can't find end of the entity starting at byte offset ${at(i)}`);
      const cp = e[2] !== undefined ? Number(e[2]) : e[3] !== undefined ? parseInt(e[3], 16) : undefined;
      if (cp !== undefined && cp > 0x10ffff) fail(`Invalid entity at byte offset ${at(i)}`);
      out += cp !== undefined ? String.fromCodePoint(cp) : named[e[1]!]!;
      i += e[0].length;
    } else { out += ch; i++; }
  }
  if (stack.length) fail(`Can't find end tag corresponding to start tag "${stack[stack.length - 1]}"`);
  return out;
}

/** Form/query values arrive as strings; decode the ones that are obviously JSON (numbers, objects, booleans). */
function coerce(v: string): unknown {
  if (/^(-?\d+(\.\d+)?|true|false)$/.test(v) || /^[[{]/.test(v)) { try { return JSON.parse(v); } catch { /* keep string */ } }
  return v;
}

/** Minimal multipart/form-data parser, enough for grammY's InputFile uploads (fields + `attach://` file parts). */
function parseMultipart(body: Buffer, boundary: string): Params {
  const out: Params = {};
  const files: Params = {};
  for (const part of body.toString('latin1').split(`--${boundary}`)) {
    const [head = '', ...body] = part.split('\r\n\r\n');
    const name = /;\s*name="([^"]*)"/i.exec(head)?.[1];
    if (!name || !body.length) continue;
    const content = body.join('\r\n\r\n').replace(/\r\n$/, '');
    const filename = /filename="?([^";\r\n]*)"?/i.exec(head)?.[1];
    if (filename !== undefined) files[name] = { filename, size: content.length };
    else out[name] = coerce(Buffer.from(content, 'latin1').toString('utf8'));
  }
  // grammY sends `document: "attach://<id>"` plus a file part named <id>; fold the file info back in.
  for (const [k, v] of Object.entries(out)) if (typeof v === 'string' && v.startsWith('attach://')) out[k] = files[v.slice(9)] ?? v;
  return out;
}

async function readParams(req: IncomingMessage, url: URL): Promise<Params> {
  const params: Params = {};
  for (const [k, v] of url.searchParams) params[k] = coerce(v);
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const body = Buffer.concat(chunks);
  if (!body.length) return params;
  const type = req.headers['content-type'] ?? '';
  if (type.startsWith('multipart/form-data')) {
    return { ...params, ...parseMultipart(body, /boundary=("?)([^";]+)\1/.exec(type)?.[2] ?? '') };
  }
  if (type.startsWith('application/x-www-form-urlencoded')) {
    return { ...params, ...Object.fromEntries([...new URLSearchParams(body.toString('utf8'))].map(([k, v]) => [k, coerce(v)])) };
  }
  try { return { ...params, ...(JSON.parse(body.toString('utf8')) as Params) }; } catch { throw badRequest('invalid JSON in request body'); }
}

function writeJson(res: ServerResponse, status: number, payload: unknown): void {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
}
const errorBody = (e: ApiError): Params =>
  ({ ok: false, error_code: e.code, description: e.description, ...(e.parameters ? { parameters: e.parameters } : {}) });

export class FakeTelegramBotApi {
  readonly token: string;
  readonly calls: RecordedCall[] = [];
  faults: FaultPlan | undefined;
  pollFaults: PollFaultPlan | undefined;
  /** getUpdates requests received (with the right token), faulted or not. */
  polls = 0;
  /** Non-empty simulates a webhook set on the bot: getUpdates then answers 409 until deleteWebhook. */
  webhookUrl = '';
  private readonly me: Params;
  private server: Server | undefined;
  private port = 0;
  private queue: Update[] = [];
  private nextUpdateId = 100_000;
  private offset = 0;
  private poll: { res: ServerResponse; limit: number; timer: NodeJS.Timeout } | undefined;
  private readonly faultTimers = new Set<NodeJS.Timeout>();
  private readonly messages = new Map<string, StoredMessage>();
  private readonly lastMessageId = new Map<number, number>();
  private readonly chats = new Map<number, Params>();
  /** callback query id -> answered yet? */
  private readonly callbackQueries = new Map<string, boolean>();
  private nextQueryId = 4_000_000_000;
  private readonly handlers = new Map<string, [string, (p: Params) => unknown]>();
  /** sendMessageDraft calls, in order (drafts are ephemeral: they are not messages). */
  readonly drafts: { chatId: number; draftId: number; text: string }[] = [];
  /** Documents people sent, by file_id. */
  private readonly files = new Map<string, Buffer>();

  constructor(opts: FakeTelegramOptions = {}) {
    this.token = opts.token ?? '123456:TEST-token';
    this.me = { id: opts.botId ?? 123456, is_bot: true, first_name: 'Jarvis', username: opts.botUsername ?? 'jarvis_test_bot',
      can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false };
    const table: Record<string, (p: Params) => unknown> = {
      getMe: () => this.me,
      sendMessage: (p) => this.storeBotMessage(this.chatId(p), checkText(p.text, p.parse_mode), p.reply_markup, p.parse_mode),
      editMessageText: (p) => this.editMessageText(p),
      editMessageReplyMarkup: (p) => this.editMessageReplyMarkup(p),
      answerCallbackQuery: (p) => this.answerCallbackQuery(p),
      setMyCommands: (p) => this.setMyCommands(p),
      getMyCommands: () => [],
      setWebhook: (p) => { this.webhookUrl = String(p.url ?? ''); return true; },
      deleteWebhook: (p) => { this.webhookUrl = ''; if (p.drop_pending_updates) this.queue = []; return true; },
      getWebhookInfo: () => ({ url: this.webhookUrl, has_custom_certificate: false, pending_update_count: this.queue.length }),
      sendMessageDraft: (p) => {
        if (!Number.isInteger(Number(p.draft_id)) || Number(p.draft_id) === 0) throw new ApiError(400, 'Bad Request: draft_id must be non-zero');
        if (Number(this.chatId(p)) < 0) throw new ApiError(400, 'Bad Request: drafts are for private chats only');
        const text = String(p.text ?? '');
        if (text) checkText(text, p.parse_mode);
        this.drafts.push({ chatId: Number(this.chatId(p)), draftId: Number(p.draft_id), text });
        return true;
      },
      getFile: (p) => {
        const file = this.files.get(String(p.file_id));
        if (!file) throw new ApiError(400, 'Bad Request: invalid file_id');
        return { file_id: String(p.file_id), file_unique_id: `u${String(p.file_id)}`, file_size: file.length, file_path: `documents/${String(p.file_id)}` };
      },
    };
    for (const m of TRUE_METHODS) table[m] = () => true;
    for (const m of MEDIA_METHODS) table[m] = (p) => this.storeBotMessage(this.chatId(p), '', p.reply_markup);
    for (const [name, fn] of Object.entries(table)) this.handlers.set(name.toLowerCase(), [name, fn]);
  }

  /** `port`: listen again where a stopped fake listened (a Bot API that was down comes back). */
  start(port = 0): Promise<void> {
    const server = (this.server = createServer((req, res) => { void this.handle(req, res); }));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => { this.port = (server.address() as AddressInfo).port; resolve(); });
    });
  }

  /** Ends a pending long poll with `[]`, drops timeout faults, and force-closes keep-alive sockets so tests exit fast. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.endPoll(200, { ok: true, result: [] });
    this.faultTimers.forEach((t) => clearTimeout(t));
    await new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); });
  }

  get apiRoot(): string {
    if (!this.port) throw new Error('FakeTelegramBotApi: call start() first');
    return `http://127.0.0.1:${this.port}`;
  }
  /** Highest offset the bot confirmed via getUpdates (updates below it are gone). */
  get confirmedOffset(): number { return this.offset; }
  get pendingPolls(): number { return this.poll ? 1 : 0; }

  sendText(from: { id: number; first_name?: string; username?: string }, text: string,
    opts: { chatId?: number; chatType?: 'private' | 'group' | 'supergroup' } = {}): number {
    const chatId = opts.chatId ?? from.id;
    const type = opts.chatType ?? 'private';
    const user = { first_name: from.first_name ?? 'Tester', ...(from.username ? { username: from.username } : {}) };
    const chat = type === 'private' ? { id: chatId, type, ...user } : { id: chatId, type, title: 'Test Group' };
    this.chats.set(chatId, chat);
    const entities = text.startsWith('/') ? [{ type: 'bot_command', offset: 0, length: text.split(' ')[0]!.length }] : undefined;
    return this.pushRawUpdate({ message: { message_id: this.nextMessageId(chatId), date: now(), chat,
      from: { id: from.id, is_bot: false, ...user }, text, ...(entities ? { entities } : {}) } });
  }

  /** A person sends a document (stored here, so getFile and the download serve it). */
  sendDocument(from: { id: number; first_name?: string }, name: string, bytes: Buffer, caption?: string): number {
    const fileId = `doc${this.files.size + 1}`;
    this.files.set(fileId, bytes);
    const chat = { id: from.id, type: 'private' as const, first_name: from.first_name ?? 'Tester' };
    this.chats.set(from.id, chat);
    return this.pushRawUpdate({ message: { message_id: this.nextMessageId(from.id), date: now(), chat, from: { id: from.id, is_bot: false, first_name: from.first_name ?? 'Tester' },
      document: { file_id: fileId, file_unique_id: `u${fileId}`, file_name: name, file_size: bytes.length }, ...(caption ? { caption } : {}) } });
  }

  pressButton(from: { id: number; first_name?: string }, data: string, messageId: number, opts: { chatId?: number } = {}): string {
    const chatId = opts.chatId ?? from.id;
    const id = String(this.nextQueryId++);
    this.callbackQueries.set(id, false);
    const message = this.messages.get(`${chatId}:${messageId}`)?.msg ?? { message_id: messageId, date: now(), chat: this.chatOf(chatId), from: this.botUser(), text: '' };
    this.pushRawUpdate({ callback_query: { id, from: { id: from.id, is_bot: false, first_name: from.first_name ?? 'Tester' },
      chat_instance: 'ci', data, message } });
    return id;
  }

  pushRawUpdate(update: Record<string, unknown>): number {
    const update_id = typeof update.update_id === 'number' ? update.update_id : this.nextUpdateId++;
    this.nextUpdateId = Math.max(this.nextUpdateId, update_id + 1);
    this.queue.push({ ...update, update_id });
    if (this.poll) this.endPoll(200, { ok: true, result: this.queue.slice(0, this.poll.limit) });
    return update_id;
  }

  /** Successful sendMessage / editMessageText calls for this chat: what the user actually saw. */
  sentTo(chatId: number): RecordedCall[] {
    return this.calls.filter((c) => c.answeredWith === 'ok' && (c.method === 'sendMessage' || c.method === 'editMessageText')
      && Number(c.params.chat_id) === chatId);
  }
  /** Raw `text` param (markup included) of each successful sendMessage to chatId. */
  textsTo(chatId: number): string[] {
    return this.sentTo(chatId).filter((c) => c.method === 'sendMessage').map((c) => String(c.params.text));
  }

  async waitFor(predicate: (calls: RecordedCall[]) => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.calls)) {
      if (Date.now() > deadline) {
        const list = this.calls.map((c, i) => `  #${i} ${c.method} ${c.answeredWith}${c.errorCode !== undefined ? ` ${c.errorCode}` : ''} `
          + JSON.stringify(c.params).slice(0, 200)).join('\n');
        throw new Error(`FakeTelegramBotApi.waitFor timed out after ${timeoutMs} ms; ${this.calls.length} calls so far:\n${list || '  (none)'}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  // ---- HTTP plumbing ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    // File downloads, as api.telegram.org/file/bot<token>/<file_path> serves them.
    const download = /^\/file\/bot([^/]*)\/documents\/(.+)$/.exec(url.pathname);
    if (download) {
      const file = download[1] === this.token ? this.files.get(decodeURIComponent(download[2]!)) : undefined;
      if (!file) return writeJson(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': file.length }).end(file);
      return;
    }
    const route = /^\/bot([^/]*)\/([A-Za-z]+)$/.exec(url.pathname);
    let params: Params = {};
    try { params = await readParams(req, url); } catch (e) { return writeJson(res, 400, errorBody(e as ApiError)); }
    if (!route) return writeJson(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
    const [, token, rawMethod] = route as RegExpExecArray & [string, string, string];
    const entry = this.handlers.get(rawMethod.toLowerCase());
    const method = entry?.[0] ?? (rawMethod.toLowerCase() === 'getupdates' ? 'getUpdates' : rawMethod);
    if (method === 'getUpdates' && token === this.token) {
      // A faulted poll never reaches the queue: updates wait for the next one.
      const fault = this.pollFaults?.(params, this.polls);
      this.polls++;
      if (fault?.kind === '429') return writeJson(res, 429, errorBody(new ApiError(429, `Too Many Requests: retry after ${fault.retryAfter}`, { retry_after: fault.retryAfter })));
      if (fault?.kind === '500') return writeJson(res, 500, errorBody(new ApiError(500, 'Internal Server Error')));
      if (fault?.kind === 'timeout') {
        const t = setTimeout(() => { this.faultTimers.delete(t); req.socket.destroy(); }, fault.ms);
        return void this.faultTimers.add(t);
      }
      return this.getUpdates(params, res);
    }
    const rec: RecordedCall = { method, params, at: Date.now(), token, answeredWith: 'error' };
    const fail = (e: ApiError): void => { rec.errorCode = e.code; writeJson(res, e.code, errorBody(e)); };
    if (token !== this.token) {
      if (method !== 'getUpdates') this.calls.push(rec);
      return fail(new ApiError(401, 'Unauthorized'));
    }
    if (!entry) { this.calls.push(rec); return fail(new ApiError(404, 'Not Found: method not found')); }
    const fault = this.faults?.(method, params, this.calls.length);
    this.calls.push(rec);
    // Faulted calls never reach the handler, so they have no effect (a retry is the only way to get it done).
    if (fault?.kind === '429') return fail(new ApiError(429, `Too Many Requests: retry after ${fault.retryAfter}`, { retry_after: fault.retryAfter }));
    if (fault?.kind === '500') return fail(new ApiError(500, 'Internal Server Error'));
    if (fault?.kind === 'timeout') {
      rec.errorCode = 0;
      const t = setTimeout(() => { this.faultTimers.delete(t); req.socket.destroy(); }, fault.ms);
      return void this.faultTimers.add(t);
    }
    let result: unknown;
    try { result = entry[1](params); } catch (e) { return fail(e instanceof ApiError ? e : new ApiError(500, `Internal Server Error: ${String(e)}`)); }
    rec.answeredWith = 'ok';
    // 'lost-answer': the call took effect, but the connection drops before the answer (a network fault after the fact).
    if (fault?.kind === 'lost-answer') return void req.socket.destroy();
    writeJson(res, 200, { ok: true, result });
  }

  /** Long polling with the real rules: offset confirms, one poller per token (the older one loses), 409 while a webhook is set. */
  private getUpdates(p: Params, res: ServerResponse): void {
    const conflict = (why: string): Params => errorBody(new ApiError(409, `Conflict: ${why}`));
    if (this.webhookUrl) {
      return writeJson(res, 409, conflict("can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"));
    }
    this.endPoll(409, conflict('terminated by other getUpdates request; make sure that only one bot instance is running'));
    const offset = Number(p.offset ?? 0);
    if (offset > this.offset) {
      this.offset = offset;
      this.queue = this.queue.filter((u) => u.update_id >= offset);
    }
    const limit = Math.min(100, Math.max(1, Number(p.limit ?? 100) || 100));
    const timeout = Number(p.timeout ?? 0);
    // Updates stay queued after delivery: only a later offset removes them, so a restarted bot sees them again.
    if (this.queue.length || !(timeout > 0)) return writeJson(res, 200, { ok: true, result: this.queue.slice(0, limit) });
    const timer = setTimeout(() => { if (this.poll?.res === res) this.endPoll(200, { ok: true, result: [] }); }, timeout * 1000);
    this.poll = { res, limit, timer };
    res.on('close', () => { if (this.poll?.res === res) { clearTimeout(timer); this.poll = undefined; } });
  }

  private endPoll(status: number, body: Params): void {
    const poll = this.poll;
    this.poll = undefined;
    if (poll) { clearTimeout(poll.timer); writeJson(poll.res, status, body); }
  }

  // ---- methods ----

  private editMessageText(p: Params): Params | true {
    const raw = checkText(p.text, p.parse_mode);
    const markup = checkMarkup(p.reply_markup);
    if (p.inline_message_id !== undefined) return true;
    const stored = this.messages.get(`${this.chatId(p)}:${Number(p.message_id)}`);
    if (!stored) throw badRequest('message to edit not found');
    if (stored.raw === raw && stored.parseMode === p.parse_mode && stored.markupJson === JSON.stringify(markup ?? null)) {
      throw badRequest('message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message');
    }
    const msg = withMarkup({ ...stored.msg, text: plainText(raw, p.parse_mode), edit_date: now() }, markup);
    Object.assign(stored, { msg, raw, parseMode: p.parse_mode, markupJson: JSON.stringify(markup ?? null) });
    return msg;
  }

  /** Answers `true` (simplification); keeps the stored markup current so a later editMessageText compares correctly. */
  private editMessageReplyMarkup(p: Params): true {
    const markup = checkMarkup(p.reply_markup);
    const stored = p.chat_id === undefined ? undefined : this.messages.get(`${this.chatId(p)}:${Number(p.message_id)}`);
    if (stored) Object.assign(stored, { msg: withMarkup(stored.msg, markup), markupJson: JSON.stringify(markup ?? null) });
    return true;
  }

  /** Each callback query may be answered once; unknown ids fail like expired ones. */
  private answerCallbackQuery(p: Params): true {
    const id = String(p.callback_query_id ?? '');
    if (this.callbackQueries.get(id) !== false) throw badRequest('query is too old and response timeout expired or query ID is invalid');
    this.callbackQueries.set(id, true);
    return true;
  }

  private setMyCommands(p: Params): true {
    const commands = typeof p.commands === 'string' ? coerce(p.commands) : p.commands;
    const valid = (c: Params | null): boolean => typeof c?.command === 'string' && /^[a-z0-9_]{1,32}$/.test(c.command)
      && typeof c.description === 'string' && c.description.length >= 1 && c.description.length <= 256;
    if (Array.isArray(commands) && commands.length <= 100 && commands.every(valid)) return true;
    throw badRequest('BOT_COMMAND_INVALID');
  }

  private storeBotMessage(chatId: number, raw: string, replyMarkup: unknown, parseMode?: unknown): Params {
    const markup = checkMarkup(replyMarkup);
    const msg = withMarkup({ message_id: this.nextMessageId(chatId), date: now(), chat: this.chatOf(chatId), from: this.botUser(),
      ...(raw ? { text: plainText(raw, parseMode) } : {}) }, markup);
    this.messages.set(`${chatId}:${String(msg.message_id)}`, { msg, raw, parseMode, markupJson: JSON.stringify(markup ?? null) });
    return msg;
  }

  private chatId(p: Params): number {
    if (!/^-?\d+$/.test(String(p.chat_id))) throw badRequest('chat not found'); // '@channel' names are not modelled
    return Number(p.chat_id);
  }
  private chatOf(id: number): Params {
    return this.chats.get(id) ?? (id > 0 ? { id, type: 'private', first_name: 'Tester' } : { id, type: 'group', title: 'Test Group' });
  }
  /** Message ids are per chat and shared by user and bot messages, like real private chats; they start at 1000. */
  private nextMessageId(chatId: number): number {
    const id = (this.lastMessageId.get(chatId) ?? 999) + 1;
    this.lastMessageId.set(chatId, id);
    return id;
  }
  private botUser(): Params {
    return { id: this.me.id, is_bot: true, first_name: this.me.first_name, username: this.me.username };
  }
}

/** Real messages carry only inline keyboards; editing without reply_markup removes the keyboard. */
function withMarkup(msg: Params, markup: Params | undefined): Params {
  const { reply_markup: _old, ...rest } = msg;
  return markup?.inline_keyboard ? { ...rest, reply_markup: markup } : rest;
}
const now = (): number => Math.floor(Date.now() / 1000);
const plainText = (raw: string, parseMode: unknown): string => (parseMode === 'HTML' ? parseTelegramHtml(raw) : raw);

/** Validates a message text like the Bot API: non-empty, HTML well-formed, <= 4096 chars after entity parsing. */
function checkText(text: unknown, parseMode: unknown): string {
  const raw = text == null ? '' : String(text);
  const plain = plainText(raw, parseMode);
  if (!plain.trim()) throw badRequest('message text is empty');
  if (plain.length > 4096) throw badRequest('message is too long');
  return raw;
}

/** Validates inline keyboards: callback_data must be 1..64 bytes of UTF-8. */
function checkMarkup(markup: unknown): Params | undefined {
  const m = (typeof markup === 'string' ? coerce(markup) : markup) as Params | undefined;
  if (!m || typeof m !== 'object') return undefined;
  const buttons = (Array.isArray(m.inline_keyboard) ? m.inline_keyboard.flat() : []) as (Params | null)[];
  const bytes = (b: Params): number => Buffer.byteLength(String(b.callback_data ?? ''), 'utf8');
  const badData = (b: Params | null): boolean => !!b && 'callback_data' in b && (bytes(b) < 1 || bytes(b) > 64);
  if (buttons.some(badData)) throw badRequest('BUTTON_DATA_INVALID');
  return m;
}
