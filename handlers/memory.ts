import type { Ctx, Handler } from '../src/core/handler.js';
import { UserError } from '../src/core/errors.js';
import type { Button, SentRef } from '../src/core/message.js';
import { formatIdentity, parseIdentity } from '../src/access/roles.js';
import { rememberRequestFrom } from '../src/memory/remember-request.js';
import { normalText } from '../src/memory/query.js';
import { memoryListText, quoted, rememberedText } from '../src/memory/format.js';
import type { Memory } from '../src/memory/store.js';
import { askClearConfirm } from '../conversations/memoryclear.js';

/**
 * What Jarvis remembers, from chat: /remember, /memory (list, search, clear, and for admins a
 * read-only look at someone's), /forget by id or by words. Everything is the caller's own: the
 * service is always asked with ctx.key, so an id or a button naming someone else's memory finds
 * nothing. Declared 'read': these are the person's notes, not money, machines or files, so they
 * work in lockdown. Private chats only, so a group never sees anyone's memories.
 */

const PRIVATE_ONLY = 'Your memories are private: use /remember, /memory and /forget in a private chat with me.';
const REMEMBER_USAGE = 'Usage: /remember <text>, e.g. /remember I take my coffee black. Starting with "for today" or "for a while" keeps it only that long.';
const FORGET_USAGE = 'Usage: /forget <id> or /forget <words>. See /memory for ids.';
const MEMORY_USAGE = 'Usage: /memory, /memory search <words>, /memory clear';
/** Memories shown by /memory (newest first) and matches offered by /forget <words>. */
const LIST_LIMIT = 15;
const FORGET_CHOICES = 3;
const CALLBACK = /^mem:(?:f:(\d{1,15})|(k))$/;

function parseMemoryId(text: string): number | undefined {
  const m = /^#?(\d{1,15})$/.exec(text);
  return m ? Number(m[1]) : undefined;
}

async function remember(ctx: Ctx, args: string): Promise<void> {
  const req = rememberRequestFrom(args);
  if (!req) throw new UserError(REMEMBER_USAGE);
  await ctx.reply(rememberedText(ctx.services.memory.remember(ctx.key, req)));
}

/** Lists `owner`'s memories, newest first; for someone else's, says whose and that it is read-only. */
async function list(ctx: Ctx, owner: string, words: string): Promise<void> {
  const { memory, clock } = ctx.services;
  const own = owner === ctx.key;
  if (words) {
    const found = memory.search(owner, words, LIST_LIMIT);
    if (found.length === 0) return void (await ctx.reply(`Nothing ${own ? 'I remember' : `remembered for ${owner}`} matches “${words}”.`));
    await ctx.reply(memoryListText(`${found.length === 1 ? 'One memory matches' : `${found.length} memories match`} “${words}”${own ? '' : ` (${owner}, read-only)`}, best first`, found, clock.now()));
    return;
  }
  const { memories, total } = memory.list(owner, LIST_LIMIT);
  if (total === 0) {
    return void (await ctx.reply(own ? 'I remember nothing about you yet. Tell me with /remember <text>, or "remember that …".' : `Nothing is remembered for ${owner}.`));
  }
  const more = total > memories.length ? `${total - memories.length} older not shown: /memory search <words> finds them. ` : '';
  const footer = own ? `${more}/forget <id> removes one, /memory clear removes all.` : `${more}Read-only.`;
  await ctx.reply(memoryListText(`${own ? 'What I remember about you' : `Memories of ${owner}`} (${total}, newest first)`, memories, clock.now(), footer));
}

/** An admin's look at someone's memories: read-only, audited. */
async function inspect(ctx: Ctx, args: string): Promise<void> {
  if (ctx.role !== 'admin') throw new UserError('Only admins may look at someone else\'s memories.');
  const [who = '', ...words] = args.split(/\s+/);
  const id = parseIdentity(who);
  if (!id) throw new UserError('Usage: /memory of <channel:id> [words], e.g. /memory of telegram:123456789');
  const owner = formatIdentity(id);
  ctx.services.audit.record({ actor: ctx.key, action: 'memory inspect', target: owner, outcome: 'ok', detail: words.length ? 'search' : 'list' });
  await list(ctx, owner, words.join(' '));
}

async function memoryCommand(ctx: Ctx, args: string): Promise<void> {
  const [sub = '', ...rest] = args.split(/\s+/);
  const tail = rest.join(' ').trim();
  switch (sub.toLowerCase()) {
    case '':
      return list(ctx, ctx.key, '');
    case 'search':
      if (!tail) throw new UserError('Usage: /memory search <words>');
      return list(ctx, ctx.key, tail);
    case 'clear': {
      const n = ctx.services.memory.count(ctx.key);
      if (n === 0) throw new UserError('I remember nothing about you, so there is nothing to clear.');
      return askClearConfirm(ctx, n);
    }
    case 'of':
      return inspect(ctx, tail);
    default:
      throw new UserError(MEMORY_USAGE);
  }
}

function forgotText(m: Memory | undefined, id: number): string {
  return m ? `Forgotten: ${quoted(m)}.` : `You have no memory #${id} (it may be forgotten already). See /memory.`;
}

/** By id at once; by words, at once only for an exact match, otherwise the closest few to choose from. */
async function forget(ctx: Ctx, args: string): Promise<void> {
  if (!args) throw new UserError(FORGET_USAGE);
  const { memory } = ctx.services;
  const id = parseMemoryId(args);
  if (id !== undefined) return void (await ctx.reply(forgotText(memory.forget(ctx.key, id), id)));
  const found = memory.search(ctx.key, args, FORGET_CHOICES);
  if (found.length === 0) throw new UserError(`Nothing I remember matches “${args}”. See /memory.`);
  const exact = found.filter((m) => normalText(m.text) === normalText(args));
  if (exact.length === 1) return void (await ctx.reply(forgotText(memory.forget(ctx.key, exact[0]!.id), exact[0]!.id)));
  const buttons: Button[][] = [...found.map((m) => [{ label: `Forget #${m.id}`, data: `mem:f:${m.id}` }]), [{ label: 'Keep them', data: 'mem:k' }]];
  await ctx.reply({ text: memoryListText(found.length === 1 ? 'Forget this one?' : 'Which one should I forget?', found, ctx.services.clock.now()), buttons });
}

/** A press on /forget's choice: the id is looked up again as the presser's own. */
async function press(ctx: Ctx, m: RegExpExecArray): Promise<void> {
  const text = m[2] ? 'Kept: nothing was forgotten.' : forgotText(ctx.services.memory.forget(ctx.key, Number(m[1])), Number(m[1]));
  const msg = ctx.inbound.callback?.messageId;
  const ref: SentRef | undefined = msg ? { chatId: ctx.inbound.chatId, messageId: msg } : undefined;
  await ctx.answerCallback();
  if (ref) await ctx.edit(ref, text);
  else await ctx.reply(text);
}

const memory: Handler = {
  name: 'memory',
  priority: 500,
  commands: [
    { name: 'remember', description: 'Keep a note about you for later conversations', role: 'user', effect: 'read', usage: '[for today|for a while] <text>' },
    { name: 'memory', description: 'What I remember about you; search or clear it', role: 'user', effect: 'read', usage: '[search <words>|clear|of <channel:id>]' },
    { name: 'forget', description: 'Forget one memory, by id or by its words', role: 'user', effect: 'read', usage: '<id|words>' },
  ],
  callbacks: [{ prefix: 'mem:', role: 'user', effect: 'read' }],
  async handle(ctx, next) {
    const cb = ctx.inbound.callback;
    const name = ctx.command?.name;
    if (cb ? !cb.data.startsWith('mem:') : name !== 'remember' && name !== 'memory' && name !== 'forget') return next();
    if (ctx.inbound.chatKind !== 'private') throw new UserError(PRIVATE_ONLY);
    if (cb) {
      const m = CALLBACK.exec(cb.data);
      if (!m) throw new UserError('That button is not valid any more.');
      return press(ctx, m);
    }
    const args = (ctx.command?.args ?? '').trim();
    if (name === 'remember') return remember(ctx, args);
    if (name === 'memory') return memoryCommand(ctx, args);
    return forget(ctx, args);
  },
};

export default memory;
