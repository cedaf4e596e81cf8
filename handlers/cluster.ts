import type { Ctx, Handler } from '../src/core/handler.js';
import { UserError } from '../src/core/errors.js';
import type { SentRef } from '../src/core/message.js';
import type { ClusterService } from '../src/cluster/service.js';
import type { ActionTarget, Actor, Plan } from '../src/cluster/actions.js';
import { guestDetailCard, guestListText, nodeCard, overviewCard, storageText } from '../src/cluster/cards.js';
import { isValidNodeName, isValidVmid, type GuestKind } from '../src/cluster/proxmox.js';
import { classifyClusterAction } from '../src/cluster/tiers.js';

/**
 * The Proxmox cluster from chat: /cluster, /vms, /cts, /vm, /ct, /node and their buttons. Reads
 * are for any allowed user; power actions go through the cluster service, which classifies each
 * into a tier (tiers.ts), checks role and lockdown, audits, and asks RED ones to be confirmed. The
 * commands are declared 'read' because their plain forms only read; the service guards the rest,
 * so a refusal is audited with its tier.
 */

const NOT_SET_UP = 'The cluster module is not set up: set PROXMOX_URL, PROXMOX_TOKEN_ID and PROXMOX_TOKEN_SECRET (see docs/cluster.md).';
const CALLBACK = /^cl:(?:(o)|n:([A-Za-z0-9][A-Za-z0-9.-]{0,40})|g:(\d{3,9})|a:([a-z]{4,8}):(\d{3,9})|na:(reboot|shutdown):([A-Za-z0-9][A-Za-z0-9.-]{0,40})|(ok|no):(\d{1,15}))$/;

function service(ctx: Ctx): ClusterService {
  const c = ctx.services.cluster;
  if (!c) throw new UserError(NOT_SET_UP);
  return c;
}

function actor(ctx: Ctx): Actor {
  return { key: ctx.key, role: ctx.role, chatId: ctx.inbound.chatId };
}

function parseVmid(text: string | undefined, usage: string): number {
  const vmid = /^\d{1,10}$/.test(text ?? '') ? Number(text) : NaN;
  if (!isValidVmid(vmid)) throw new UserError(`Usage: ${usage} (a VM id is a number from 100 up).`);
  return vmid;
}

function parseNode(text: string | undefined, usage: string): string {
  if (!text || text.length > 40 || !isValidNodeName(text)) throw new UserError(`Usage: ${usage}`);
  return text;
}

/** The message a press came from, to edit in place; undefined for typed commands. */
function pressedMessage(ctx: Ctx): SentRef | undefined {
  const id = ctx.inbound.callback?.messageId;
  return id ? { chatId: ctx.inbound.chatId, messageId: id } : undefined;
}

/** Shows a card: in place for a button press, as a new message for a command. */
async function show(ctx: Ctx, out: Parameters<Ctx['reply']>[0]): Promise<void> {
  const ref = pressedMessage(ctx);
  if (ref) await ctx.edit(ref, out);
  else await ctx.reply(out);
}

/** Asks for confirmation (RED) or sends at once (YELLOW), following the task in the reply. */
async function carryOut(ctx: Ctx, plan: Plan, progressIn?: SentRef): Promise<void> {
  const cluster = service(ctx);
  if (plan.step === 'confirm') {
    await ctx.reply({
      text: plan.prompt,
      buttons: [[{ label: plan.confirmLabel, data: `cl:ok:${plan.action.id}` }, { label: 'Cancel', data: `cl:no:${plan.action.id}` }]],
    });
    return;
  }
  let ref = progressIn;
  try {
    if (ref) await ctx.edit(ref, plan.progress);
    else ref = await ctx.reply(plan.progress);
  } catch (err) {
    // Nothing was sent to Proxmox yet: end the claimed action rather than leave it blocking the guest.
    cluster.actions.abandon(plan.action, 'the progress reply could not be delivered, so nothing was sent');
    throw err;
  }
  await cluster.actions.execute(plan.action, ref);
}

async function act(ctx: Ctx, target: ActionTarget, word: string): Promise<void> {
  await carryOut(ctx, await service(ctx).actions.plan(actor(ctx), target, word));
}

async function guestCommand(ctx: Ctx, kind: GuestKind, args: string): Promise<void> {
  const usage = `/${kind === 'qemu' ? 'vm' : 'ct'} <vmid> [start|shutdown|reboot|${kind === 'qemu' ? 'suspend|resume|stop|reset' : 'stop'}]`;
  const [idText, ...words] = args.split(/\s+/).filter(Boolean);
  const vmid = parseVmid(idText, usage);
  const word = words.join(' ');
  const c = classifyClusterAction(word);
  if (word === '' || (c.known && c.tier === 'green')) {
    await ctx.reply(guestDetailCard(await service(ctx).guest(vmid, kind), ctx.role));
    return;
  }
  await act(ctx, { kind: 'guest', vmid, hint: kind }, word);
}

async function nodeCommand(ctx: Ctx, args: string): Promise<void> {
  const usage = '/node <name> [reboot|shutdown]';
  const [nameText, ...words] = args.split(/\s+/).filter(Boolean);
  const name = parseNode(nameText, usage);
  const word = words.join(' ');
  const c = classifyClusterAction(word);
  if (word === '' || (c.known && c.tier === 'green')) {
    const n = await service(ctx).node(name);
    await ctx.reply(nodeCard(n.node, n.status, n.guests, ctx.role));
    return;
  }
  // "reboot" and "shutdown" on a node mean the node's own commands (RED), not a guest's.
  const nodeWord = ['reboot', 'restart', 'shutdown', 'shut down'].includes(c.input) ? `node ${c.input}` : word;
  await act(ctx, { kind: 'node', node: name }, nodeWord);
}

async function clusterCommand(ctx: Ctx, args: string): Promise<void> {
  const cluster = service(ctx);
  const c = classifyClusterAction(args);
  if (args.trim() === '' || (c.known && (c.action === 'status' || c.action === 'list'))) {
    await ctx.reply(overviewCard(await cluster.overview()));
    return;
  }
  if (c.action === 'storage') {
    await ctx.reply(storageText(await cluster.storage()));
    return;
  }
  if (c.known && c.tier !== 'black') {
    throw new UserError(c.target === 'node' ? `Say which node: /node <name> ${c.input.replace(/\b(node|host)\b/g, '').trim()}.` : `Say which guest: /vm <vmid> ${c.input} or /ct <vmid> ${c.input}.`);
  }
  await cluster.actions.plan(actor(ctx), undefined, args);
}

async function guestList(ctx: Ctx, kind: GuestKind, args: string): Promise<void> {
  const name = args.trim() === '' ? undefined : parseNode(args.trim(), `/${kind === 'qemu' ? 'vms' : 'cts'} [node]`);
  const r = await service(ctx).guests(kind, name);
  await ctx.reply(guestListText(kind === 'qemu' ? 'VMs' : 'Containers', r.guests, name, r.emptyHint));
}

async function press(ctx: Ctx, m: RegExpExecArray): Promise<void> {
  const cluster = service(ctx);
  if (m[1]) return show(ctx, overviewCard(await cluster.overview()));
  if (m[2]) {
    const n = await cluster.node(m[2]);
    return show(ctx, nodeCard(n.node, n.status, n.guests, ctx.role));
  }
  if (m[3]) return show(ctx, guestDetailCard(await cluster.guest(Number(m[3])), ctx.role));
  if (m[4]) return act(ctx, { kind: 'guest', vmid: Number(m[5]) }, m[4]);
  if (m[6]) return act(ctx, { kind: 'node', node: m[7]! }, `node ${m[6]}`);
  const id = Number(m[9]);
  if (m[8] === 'no') return show(ctx, cluster.actions.cancel(actor(ctx), id));
  return carryOut(ctx, cluster.actions.confirm(actor(ctx), id), pressedMessage(ctx));
}

const cluster: Handler = {
  name: 'cluster',
  priority: 400,
  commands: [
    { name: 'cluster', description: 'Proxmox cluster: nodes, guests and alerts at a glance', role: 'user', effect: 'read', usage: '[storage]' },
    { name: 'vms', description: 'Virtual machines with status and resource use', role: 'user', effect: 'read', usage: '[node]' },
    { name: 'cts', description: 'Containers with status and resource use', role: 'user', effect: 'read', usage: '[node]' },
    { name: 'vm', description: 'One VM in detail; admins: start, shutdown, reboot, suspend, resume, stop, reset', role: 'user', effect: 'read', usage: '<vmid> [action]' },
    { name: 'ct', description: 'One container in detail; admins: start, shutdown, reboot, stop', role: 'user', effect: 'read', usage: '<vmid> [action]' },
    { name: 'node', description: 'One Proxmox node in detail; admins: reboot, shutdown', role: 'user', effect: 'read', usage: '<name> [reboot|shutdown]' },
  ],
  callbacks: [{ prefix: 'cl:', role: 'user', effect: 'read' }],
  async handle(ctx, next) {
    const cb = ctx.inbound.callback;
    if (cb) {
      if (!cb.data.startsWith('cl:')) return next();
      const m = CALLBACK.exec(cb.data);
      if (!m) throw new UserError('That button is not valid any more.');
      return press(ctx, m);
    }
    const args = (ctx.command?.args ?? '').trim();
    switch (ctx.command?.name) {
      case 'cluster':
        return clusterCommand(ctx, args);
      case 'vms':
        return guestList(ctx, 'qemu', args);
      case 'cts':
        return guestList(ctx, 'lxc', args);
      case 'vm':
        return guestCommand(ctx, 'qemu', args);
      case 'ct':
        return guestCommand(ctx, 'lxc', args);
      case 'node':
        return nodeCommand(ctx, args);
      default:
        return next();
    }
  },
};

export default cluster;
