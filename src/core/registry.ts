import type { CallbackSpec, CommandSpec, Handler } from './handler.js';
import { roleAtLeast, type Role } from '../access/roles.js';

const NAME_RE = /^[a-z0-9_]{1,32}$/;

/** Every command and callback prefix the chain answers, collected from the handlers themselves. */
export class Registry {
  private readonly commands = new Map<string, CommandSpec>();
  private readonly callbacks: CallbackSpec[] = [];

  constructor(handlers: readonly Handler[]) {
    for (const h of handlers) {
      for (const c of h.commands ?? []) {
        if (!NAME_RE.test(c.name)) throw new Error(`handler ${h.name}: command name "${c.name}" must match ${NAME_RE}`);
        if (this.commands.has(c.name)) throw new Error(`command /${c.name} is declared twice (handler ${h.name})`);
        this.commands.set(c.name, c);
      }
      for (const cb of h.callbacks ?? []) this.callbacks.push(cb);
    }
    this.callbacks.sort((a, b) => b.prefix.length - a.prefix.length);
  }

  command(name: string): CommandSpec | undefined {
    return this.commands.get(name);
  }

  callback(data: string): CallbackSpec | undefined {
    return this.callbacks.find((c) => data.startsWith(c.prefix));
  }

  /** The commands a role may use, in a stable order (by name). */
  commandsFor(role: Role): CommandSpec[] {
    return [...this.commands.values()].filter((c) => roleAtLeast(role, c.role)).sort((a, b) => a.name.localeCompare(b.name));
  }
}
