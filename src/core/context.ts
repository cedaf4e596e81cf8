import type { Ctx, ParsedCommand, Replier } from './handler.js';
import type { Inbound, Outbound, RichText, SentRef } from './message.js';
import { asOutbound, userKey } from './message.js';
import { UserError } from './errors.js';
import type { Identity, Role } from '../access/roles.js';
import type { Services } from './services.js';
import type { Logger } from './logger.js';

/**
 * The Ctx of one message. A class rather than an object literal: it is built for every message,
 * and a fixed shape with prototype methods is what V8 builds fastest.
 */
export class MessageContext implements Ctx {
  readonly identity: Identity;
  readonly key: string;
  role: Role;
  handledBy?: string;
  outcome?: Ctx['outcome'];
  private childLog?: Logger;

  constructor(
    readonly inbound: Inbound,
    readonly services: Services,
    private readonly replier: Replier,
    readonly command: ParsedCommand | undefined,
  ) {
    this.identity = { channel: inbound.channel, userId: inbound.userId };
    this.key = userKey(inbound);
    this.role = services.roles.roleOf(this.identity);
  }

  /** A child logger naming the chat and user, made on first use. */
  get log(): Logger {
    return (this.childLog ??= this.services.log.child({ channel: this.inbound.channel, chat: this.inbound.chatId, user: this.inbound.userId }));
  }

  reply(out: Outbound | RichText): Promise<SentRef | undefined> {
    return this.replier.send(asOutbound(out));
  }

  edit(ref: SentRef, out: Outbound | RichText): Promise<void> {
    return this.replier.edit(ref, asOutbound(out));
  }

  answerCallback(text?: string): Promise<void> {
    return this.replier.answerCallback(text);
  }

  download(fileId: string, maxBytes: number): Promise<Buffer> {
    if (!this.replier.download) return Promise.reject(new UserError('Files cannot be received on this channel.'));
    return this.replier.download(fileId, maxBytes);
  }
}
