/**
 * Drill: access. Every command the registry knows and every button prefix the handlers declare,
 * tried as a stranger, a user and an admin (with and without arguments, the stranger in a group
 * too), against the role table in docs/commands.md. "Granted" means the message got past the
 * access link of the chain (the handler that ended it, as the dispatcher records in its metrics,
 * is not `access` with outcome `denied`). Zero unexpected grants, and the docs table and the
 * registry must agree (a command or prefix in one and not the other, or a different min role or
 * effect, is reported as a mismatch).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, makeHarness, type Harness } from '../support/app-harness.js';
import { loadFolder } from '../../src/core/load-modules.js';
import { isHandler } from '../../src/core/chain.js';
import { projectRoot } from '../../src/core/paths.js';
import { roleAtLeast, type Role } from '../../src/access/roles.js';
import type { Effect } from '../../src/core/handler.js';
import { figure } from './drill-kit.js';

const USER = 2002;
const STRANGER = 2001;
const WHO: Record<Role, number> = { stranger: STRANGER, user: USER, admin: ADMIN };
const STRANGER_REPLY = /^Hello! This is a private Jarvis\. Your id is telegram:2001\. The owner must allow you/;
/** Arguments each command is tried with: none, an identity and role, a word. Never `on` (lockdown would change what follows). */
const ARGS = ['', 'telegram:999999 admin', 'x'];

interface DocRow {
  min: Role;
  effect: Effect;
}

/** The role table of docs/commands.md: commands by name, and buttons by the callback data they show. */
function readRoleTable(): { commands: Map<string, DocRow>; buttons: Map<string, DocRow> } {
  const md = readFileSync(join(projectRoot(), 'docs', 'commands.md'), 'utf8');
  const section = md.slice(md.indexOf('## Role table'), md.indexOf('\n## ', md.indexOf('## Role table') + 1));
  const commands = new Map<string, DocRow>();
  const buttons = new Map<string, DocRow>();
  for (const line of section.split('\n')) {
    if (!line.startsWith('| ')) continue;
    const cells = line.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
    const [what = '', , min = '', effect = ''] = cells;
    const role = min as Role;
    if (!['user', 'admin'].includes(role)) continue; // header, "any other /command", plain text
    const row = { min: role, effect: (effect.replace(/[^a-z]/g, '') || 'read') as Effect };
    const command = /^`\/([a-z0-9_]+)`$/.exec(what);
    if (command) commands.set(command[1]!, row);
    else if (what.startsWith('button ')) for (const m of what.matchAll(/`([^`]+)`/g)) buttons.set(m[1]!.replace(/…$/, ''), row);
  }
  return { commands, buttons };
}

describe('drill: access', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await makeHarness({ JARVIS_RATE_LIMIT_ENABLED: 'false' }, { cron: false });
    h.app.services.roles.grant({ channel: 'telegram', userId: String(USER) }, 'user', 'drill');
  });
  afterAll(async () => {
    await h?.close();
  });

  /** The handler that ended the chain for one message, and its outcome, from the dispatcher's metrics. */
  async function outcomeOf(send: () => Promise<string[]>): Promise<{ handler: string; outcome: string; texts: string[] }> {
    const counts = async () => new Map((await h.app.services.metrics.updates.get()).values.map((v) => [`${v.labels.handler}|${v.labels.outcome}`, v.value]));
    const before = await counts();
    const texts = await send();
    const after = await counts();
    const moved = [...after].filter(([k, v]) => v !== (before.get(k) ?? 0)).map(([k]) => k);
    if (moved.length !== 1) throw new Error(`expected one chain run, saw ${JSON.stringify(moved)}`);
    const [handler = '', outcome = ''] = moved[0]!.split('|');
    return { handler, outcome, texts };
  }

  it('every command and button, as a stranger, a user and an admin: zero unexpected grants', async () => {
    const registry = h.app.services.registry;
    const commands = registry.commandsFor('admin'); // every command: admin reaches them all
    const handlers = await loadFolder('handlers', isHandler);
    const prefixes = handlers.flatMap((x) => x.callbacks ?? []);
    const docs = readRoleTable();

    // The docs table against the registry.
    const mismatches: string[] = [];
    for (const c of commands) {
      const row = docs.commands.get(c.name);
      if (!row) mismatches.push(`/${c.name}: in the registry, not in the docs table`);
      else {
        if (row.min !== c.role) mismatches.push(`/${c.name}: docs say ${row.min}, registry says ${c.role}`);
        if (row.effect !== c.effect) mismatches.push(`/${c.name}: docs say effect ${row.effect}, registry says ${c.effect}`);
      }
    }
    for (const name of docs.commands.keys()) if (!registry.command(name)) mismatches.push(`/${name}: in the docs table, not in the registry`);
    for (const [sample, row] of docs.buttons) {
      const spec = registry.callback(sample);
      if (!spec) mismatches.push(`button ${sample}: in the docs table, no handler takes it`);
      else if (spec.role !== row.min) mismatches.push(`button ${sample}: docs say ${row.min}, registry says ${spec.role}`);
    }
    for (const p of prefixes) {
      if (![...docs.buttons.keys()].some((s) => registry.callback(s)?.prefix === p.prefix)) mismatches.push(`button ${p.prefix}…: declared by a handler, not in the docs table`);
    }

    const roles0 = JSON.stringify(h.app.services.roles.list());
    const lockdown0 = h.app.services.lockdown.isOn();
    const unexpected: string[] = [];
    const refusedWrongly: string[] = [];
    let tries = 0;
    // Strangers first, then users, admins last: what an admin may change cannot help the others.
    for (const role of ['stranger', 'user', 'admin'] as const) {
      const who = WHO[role];
      const chats: { chatKind: 'private' | 'group'; chatId?: string }[] = role === 'stranger' ? [{ chatKind: 'private' }, { chatKind: 'group', chatId: '-100777' }] : [{ chatKind: 'private' }];
      for (const c of commands) {
        const min = docs.commands.get(c.name)?.min ?? c.role;
        const allowed = roleAtLeast(role, min);
        for (const args of ARGS) {
          for (const chat of chats) {
            const text = `/${c.name}${args ? ` ${args}` : ''}`;
            const r = await outcomeOf(() => h.say(who, text, chat));
            tries++;
            const passed = !(r.handler === 'access' && r.outcome === 'denied');
            if (passed && !allowed) unexpected.push(`${role} ran ${text} (${r.handler}, ${r.outcome}): ${r.texts.join(' | ').slice(0, 120)}`);
            if (!passed && allowed) refusedWrongly.push(`${role} refused ${text}: ${r.texts.join(' | ')}`);
            if (!allowed && role === 'stranger' && !r.texts.every((t) => STRANGER_REPLY.test(t))) unexpected.push(`stranger got "${r.texts.join(' | ')}" for ${text}`);
            if (!allowed && role === 'user' && r.texts.join() !== 'That is for admins only.') unexpected.push(`user got "${r.texts.join(' | ')}" for ${text}`);
          }
        }
      }
      for (const p of prefixes) {
        const documented = [...docs.buttons].find(([sample]) => registry.callback(sample)?.prefix === p.prefix)?.[1];
        const allowed = roleAtLeast(role, documented?.min ?? p.role);
        for (const data of [`${p.prefix}1`, `${p.prefix}100:1`]) {
          const r = await outcomeOf(async () => (await h.press(who, data)).texts);
          tries++;
          const passed = !(r.handler === 'access' && r.outcome === 'denied');
          if (passed && !allowed) unexpected.push(`${role} pressed ${data} (${r.handler}, ${r.outcome})`);
          if (!passed && allowed) refusedWrongly.push(`${role} refused button ${data}`);
          if (!allowed && !r.texts.every((t) => STRANGER_REPLY.test(t))) unexpected.push(`stranger got "${r.texts.join(' | ')}" for button ${data}`);
        }
      }
      if (role !== 'admin') {
        // Nothing a stranger or a user tried changed who may do what.
        if (JSON.stringify(h.app.services.roles.list()) !== roles0) unexpected.push(`the user list changed after the ${role}'s tries`);
        if (h.app.services.lockdown.isOn() !== lockdown0) unexpected.push(`lockdown changed after the ${role}'s tries`);
      }
    }
    // Every try of a stranger is audited as denied (rate limit off), and every user try of an admin command.
    const denied = (key: string) => (h.app.services.db.prepare("SELECT COUNT(*) AS n FROM audit_log WHERE actor = ? AND outcome = 'denied'").get(key) as { n: number }).n;
    const strangerTries = commands.length * ARGS.length * 2 + prefixes.length * 2;
    const userDenials = commands.filter((c) => c.role === 'admin').length * ARGS.length;

    figure(`access: ${commands.length} commands x 3 roles, ${unexpected.length} unexpected grants (${tries} tries, with ${ARGS.length} argument forms; stranger in a private chat and a group)`);
    figure(`  ${prefixes.length} button prefixes (${prefixes.map((p) => p.prefix).join(' ')}) x 3 roles; ${refusedWrongly.length} wrongly refused; docs table vs registry: ${mismatches.length} mismatches`);
    for (const m of [...mismatches, ...unexpected, ...refusedWrongly]) figure(`  ! ${m}`);

    expect(unexpected).toEqual([]);
    expect(refusedWrongly).toEqual([]);
    expect(mismatches).toEqual([]);
    expect(denied(`telegram:${STRANGER}`)).toBe(strangerTries);
    expect(denied(`telegram:${USER}`)).toBe(userDenials);
  }, 60_000);
});
