import type { ChannelName, Inbound, Outbound, SentRef } from '../core/message.js';
import type { Replier } from '../core/handler.js';

export type ChannelState = 'starting' | 'connected' | 'reconnecting' | 'disconnected' | 'stopped';

export interface ChannelInfo {
  name: ChannelName;
  state: ChannelState;
  detail?: string;
}

/** Hands one inbound message to the chain; resolves when the chain is done with it. */
export type Dispatch = (inbound: Inbound, replier: Replier) => Promise<void>;

/** A channel translates to and from the message model, nothing else. */
export interface Channel {
  readonly name: ChannelName;
  start(dispatch: Dispatch): Promise<void>;
  /** Stops fetching new messages; what it already fetched is still handed to the dispatcher. */
  stop(): Promise<void>;
  /** Messages fetched but not finished (e.g. queued behind a busy chat), so shutdown can wait for them. */
  pending?(): number;
  info(): ChannelInfo;
  /** For messages nobody asked for (alerts, job reports). */
  send(chatId: string, out: Outbound): Promise<SentRef | undefined>;
  /** Edits a message sent earlier (a follow-up that outlives the update that asked for it). */
  edit?(ref: SentRef, out: Outbound): Promise<void>;
  /** The command list for the channel's own menu (Telegram's setMyCommands). */
  publishCommands?(commands: { user: { name: string; description: string }[]; admin: { name: string; description: string }[] }, adminUserIds: string[]): Promise<void>;
}
