import type { Logger } from './logger.js';
import type { Inbound, Outbound, RichText, SentRef } from './message.js';
import type { Identity, Role } from '../access/roles.js';
import type { Services } from './services.js';

/**
 * One link of the chain. Files in handlers/ default-export a Handler; the chain sorts them by
 * priority (lower first) at start. A handler that does not call `next` ends the chain.
 */
export interface Handler {
  name: string;
  priority: number;
  /** Commands this handler answers; /help and setMyCommands are generated from these. */
  commands?: CommandSpec[];
  /** Callback-data prefixes this handler answers (e.g. 'flow:'), with the effect they have. */
  callbacks?: CallbackSpec[];
  handle(ctx: Ctx, next: Next): Promise<void>;
}

export type Next = () => Promise<void>;

/** 'act' moves money, machines or files: refused during lockdown. */
export type Effect = 'read' | 'act';

export interface CommandSpec {
  /** Without the slash, lowercase: [a-z0-9_]{1,32}. */
  name: string;
  description: string;
  /** Lowest role that may use it. */
  role: Role;
  effect: Effect;
  usage?: string;
}

export interface CallbackSpec {
  prefix: string;
  role: Role;
  effect: Effect;
}

export interface ParsedCommand {
  name: string;
  args: string;
  spec?: CommandSpec;
}

/** What a channel provides to answer one inbound message. */
export interface Replier {
  send(out: Outbound): Promise<SentRef | undefined>;
  edit(ref: SentRef, out: Outbound): Promise<void>;
  /** Answers a button press (stops the spinner); safe to call when there is none. */
  answerCallback(text?: string): Promise<void>;
  /** The bytes of a file the person sent (Inbound.file), refused above maxBytes; absent where a channel cannot. */
  download?(fileId: string, maxBytes: number): Promise<Buffer>;
}

export interface Ctx {
  readonly inbound: Inbound;
  readonly identity: Identity;
  /** `channel:userId`, the key roles and rate limits use. */
  readonly key: string;
  role: Role;
  readonly command?: ParsedCommand;
  readonly log: Logger;
  readonly services: Services;
  reply(out: Outbound | RichText): Promise<SentRef | undefined>;
  edit(ref: SentRef, out: Outbound | RichText): Promise<void>;
  answerCallback(text?: string): Promise<void>;
  /** The bytes of the file this message carries; a UserError where the channel cannot fetch files. */
  download(fileId: string, maxBytes: number): Promise<Buffer>;
  /** Set by the chain: the deepest handler reached (the one that ended the chain, or threw). */
  handledBy?: string;
  /** Set by links that refuse or fail a message; 'ok' when unset (for metrics). */
  outcome?: 'ok' | 'denied' | 'limited' | 'refused' | 'user_error' | 'error' | 'ignored';
}
