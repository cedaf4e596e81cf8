import type { Ctx, Handler } from '../src/core/handler.js';
import { UserError } from '../src/core/errors.js';
import type { Actor } from '../src/vibe/service.js';

/**
 * /vibe: coding with Claude in a sandboxed project workspace (src/vibe/). The turn runs in the
 * background and streams into its own message, so /vibe stop and the approval buttons work while
 * it does. While a session is open, plain messages in its chat continue it (until /vibe done).
 * Buttons: `vibe:ok|no|all:<approval id>`, checked against the asker in the database.
 */

const USAGE = [
  '/vibe <request>: ask Claude to work in your current project',
  '/vibe new [project] · /vibe projects · /vibe use <project>',
  '/vibe status · /vibe stop (abort the running turn) · /vibe done (end the session)',
  '/vibe send <path>: get a file from the workspace',
].join('\n');
const PROJECT = /^[a-z0-9][a-z0-9._-]{0,39}$/;
const CALLBACK = /^vibe:(ok|no|all):(\d{1,15})$/;

function actor(ctx: Ctx): Actor {
  return { key: ctx.key, chatId: ctx.inbound.chatId, channel: ctx.inbound.channel };
}

function projectName(text: string | undefined): string {
  const name = (text ?? '').trim().toLowerCase();
  if (!PROJECT.test(name)) throw new UserError('A project name is 1-40 characters: a-z, 0-9, ".", "_" or "-", starting with a letter or digit.');
  return name;
}

async function command(ctx: Ctx, args: string): Promise<void> {
  const vibe = ctx.services.vibe;
  const [word = '', ...rest] = args.split(/\s+/).filter(Boolean);
  const tail = rest.join(' ');
  switch (word.toLowerCase()) {
    case '':
      await ctx.reply(`${vibe.status(ctx.key)}\n\n${USAGE}`);
      return;
    case 'help':
      await ctx.reply(USAGE);
      return;
    case 'status':
      await ctx.reply(vibe.status(ctx.key));
      return;
    case 'projects': {
      const list = vibe.projects(ctx.key);
      const current = vibe.project(ctx.key);
      await ctx.reply(list.length ? `Projects (current: ${current}):\n${list.map((p) => `${p === current ? '• ' : '  '}${p}`).join('\n')}` : `No projects yet; ${current} is made when you start.`);
      return;
    }
    case 'use':
      await ctx.reply(vibe.use(actor(ctx), projectName(tail)));
      return;
    case 'new': {
      const s = vibe.newSession(actor(ctx), tail ? projectName(tail) : undefined);
      await ctx.reply(`New session #${s.id} in project ${s.project}. Send /vibe <request>, then plain messages to go on; /vibe done ends it.`);
      return;
    }
    case 'stop':
      await ctx.reply(vibe.stop(ctx.key) ? 'Stopping the running turn.' : 'Nothing is running.');
      return;
    case 'done':
      await ctx.reply(vibe.done(ctx.key) ? 'Session ended; the workspace stays. Plain messages go to normal chat again.' : 'There is no open /vibe session.');
      return;
    case 'send': {
      if (!tail) throw new UserError('Usage: /vibe send <path>');
      const file = vibe.file(ctx.key, tail);
      await ctx.reply({ text: `${tail} (${file.data.length} bytes)`, document: file });
      return;
    }
    default:
      vibe.start(actor(ctx), args);
  }
}

/** Telegram bots may download at most 20 MB. */
const MAX_RECEIVE_BYTES = 20 * 1024 * 1024;

/** A document sent while a session is open in this chat is saved into the project (at the caption's path, if given). */
async function receive(ctx: Ctx, next: () => Promise<void>): Promise<void> {
  const file = ctx.inbound.file!;
  const session = ctx.services.vibe.active(ctx.key);
  if (!session || session.chatId !== ctx.inbound.chatId || session.channel !== ctx.inbound.channel) return next();
  const caption = ctx.inbound.text?.trim();
  const path = caption && !/\s/.test(caption) ? caption : file.name;
  const data = await ctx.download(file.id, MAX_RECEIVE_BYTES);
  const r = ctx.services.vibe.receive(ctx.key, path, data);
  await ctx.reply(`${r.created ? 'Saved' : 'Replaced'} ${r.path} (${data.length} bytes) in project ${r.project}. Claude can use it in your next message.`);
}

const vibe: Handler = {
  name: 'vibe',
  priority: 450,
  commands: [{ name: 'vibe', description: 'Code with Claude in a sandboxed project folder', role: 'user', effect: 'read', usage: '<request> | new | projects | use | status | stop | done | send' }],
  callbacks: [{ prefix: 'vibe:', role: 'user', effect: 'read' }],
  async handle(ctx, next) {
    const cb = ctx.inbound.callback;
    if (cb) {
      if (!cb.data.startsWith('vibe:')) return next();
      const m = CALLBACK.exec(cb.data);
      if (!m) throw new UserError('That button is not valid any more.');
      const text = ctx.services.vibe.answerApproval(ctx.key, Number(m[2]), m[1] as 'ok' | 'no' | 'all');
      await ctx.answerCallback(text);
      if (cb.messageId) await ctx.edit({ chatId: ctx.inbound.chatId, messageId: cb.messageId }, text);
      return;
    }
    if (ctx.command?.name === 'vibe') return command(ctx, ctx.command.args.trim());
    if (ctx.inbound.file && !ctx.command) return receive(ctx, next);
    // Plain text continues an open session in the chat it lives in.
    const text = ctx.inbound.text?.trim();
    const session = text && !ctx.command ? ctx.services.vibe.active(ctx.key) : undefined;
    if (!session || session.chatId !== ctx.inbound.chatId || session.channel !== ctx.inbound.channel) return next();
    ctx.services.vibe.start(actor(ctx), text!);
  },
};

export default vibe;
