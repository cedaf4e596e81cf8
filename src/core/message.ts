/**
 * The channel-agnostic message model. Channels translate their updates into an `Inbound`
 * and render an `Outbound`; nothing past the channel knows which network a message came from.
 */

export type ChannelName = 'telegram' | 'whatsapp' | 'console' | 'memory';

export type ChatKind = 'private' | 'group';

export interface Inbound {
  channel: ChannelName;
  chatId: string;
  chatKind: ChatKind;
  userId: string;
  displayName: string;
  /** Message text; absent for button presses. */
  text?: string;
  /** A document the person sent (its caption, if any, is `text`); fetch it with ctx.download(file.id). */
  file?: { id: string; name: string; size?: number };
  /** A button press: the opaque data the button carried (never trusted) and the channel's query id. */
  callback?: { queryId: string; data: string; messageId?: string };
  messageId?: string;
  /** The channel's own id for the update, used for de-duplication. */
  updateId?: string;
  receivedAt: number;
}

/** One styled piece of text. Channels escape `text` for their own format. */
export interface Span {
  text: string;
  style?: 'bold' | 'italic' | 'code' | 'pre';
}

/** Plain string, or spans for simple formatting. */
export type RichText = string | Span[];

export interface Button {
  label: string;
  /** Opaque action data, at most 64 bytes (Telegram's limit); re-validated when pressed. */
  data: string;
}

export interface Outbound {
  text: RichText;
  /** Rows of buttons. */
  buttons?: Button[][];
  /** A file to send with the text (as its caption where the channel can). */
  document?: { name: string; data: Buffer };
  /**
   * A passing state (a streamed answer still growing, its placeholder): a channel without cheap
   * edits (WhatsApp) may skip it. The final state always follows as a send or edit without it.
   */
  interim?: boolean;
}

/** Where a sent message landed, so it can be edited later. */
export interface SentRef {
  chatId: string;
  messageId: string;
  /** Nothing reached the chat yet (an interim send was skipped): the final edit must still be made. */
  held?: boolean;
}

export const MAX_CALLBACK_DATA_BYTES = 64;

/** The identity a role is keyed by: `channel:userId`. */
export function userKey(inbound: Pick<Inbound, 'channel' | 'userId'>): string {
  return `${inbound.channel}:${inbound.userId}`;
}

export function toSpans(text: RichText): Span[] {
  return typeof text === 'string' ? [{ text }] : text;
}

export function plainText(text: RichText): string {
  return toSpans(text).map((s) => s.text).join('');
}

export const bold = (text: string): Span => ({ text, style: 'bold' });
export const code = (text: string): Span => ({ text, style: 'code' });
export const italic = (text: string): Span => ({ text, style: 'italic' });
export const pre = (text: string): Span => ({ text, style: 'pre' });
export const plain = (text: string): Span => ({ text });

export function asOutbound(out: Outbound | RichText): Outbound {
  return typeof out === 'string' || Array.isArray(out) ? { text: out } : out;
}
