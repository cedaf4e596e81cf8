import type { proto, WAMessage } from '@whiskeysockets/baileys';
import type { ChatKind } from '../core/message.js';
import { normalJid, parseJid } from './whatsapp-identity.js';

/**
 * What Jarvis takes from a Baileys `messages.upsert`: a person's text in a private chat or an
 * allowed group. Everything else (our own messages, status broadcasts, broadcast lists,
 * newsletters, other groups, protocol messages, reactions, edits, media without a caption,
 * messages older than the replay window) is skipped with a reason.
 */

export interface WaIncoming {
  /** The chat's JID without a device part (a person's LID or number JID, or a group). */
  chatId: string;
  chatKind: ChatKind;
  /** The person's JID as the message carried it, and its other form when WhatsApp gave it. */
  sender: string;
  senderAlt?: string;
  id: string;
  text: string;
  pushName?: string;
  /** The message this one quotes (a reply), if any. */
  quotedId?: string;
}

export type WaSkip = 'malformed' | 'self' | 'status' | 'broadcast' | 'newsletter' | 'group' | 'no-text' | 'stale';

export type WaTake = { ok: true; msg: WaIncoming } | { ok: false; skip: WaSkip };

export interface WaInboundOptions {
  allowedGroups: ReadonlySet<string>;
  now: number;
  /** Messages older than this (delivered late, after an outage) are skipped; 0 takes all. */
  maxAgeMs: number;
}

/** Containers WhatsApp wraps real content in (disappearing and view-once messages, captioned documents). */
function unwrap(content: proto.IMessage | null | undefined): proto.IMessage | undefined {
  let m = content ?? undefined;
  for (let depth = 0; m && depth < 4; depth++) {
    const inner =
      m.ephemeralMessage?.message ??
      m.viewOnceMessage?.message ??
      m.viewOnceMessageV2?.message ??
      m.viewOnceMessageV2Extension?.message ??
      m.documentWithCaptionMessage?.message;
    if (!inner) break;
    m = inner;
  }
  return m;
}

/** The text a person wrote: plain or extended text (replies, links), or a media caption. */
export function messageText(content: proto.IMessage | null | undefined): { text: string; quotedId?: string } | undefined {
  const m = unwrap(content);
  if (!m) return undefined;
  const text =
    m.conversation ??
    m.extendedTextMessage?.text ??
    m.imageMessage?.caption ??
    m.videoMessage?.caption ??
    m.documentMessage?.caption ??
    undefined;
  if (typeof text !== 'string' || text.trim() === '') return undefined;
  const context = m.extendedTextMessage?.contextInfo ?? m.imageMessage?.contextInfo ?? m.videoMessage?.contextInfo ?? m.documentMessage?.contextInfo;
  return { text, quotedId: context?.stanzaId ?? undefined };
}

function timestampMs(t: WAMessage['messageTimestamp']): number | undefined {
  if (typeof t === 'number') return t * 1000;
  if (t && typeof (t as { toNumber?: unknown }).toNumber === 'function') return (t as { toNumber(): number }).toNumber() * 1000;
  return undefined;
}

export function whatsappIncoming(m: WAMessage, opts: WaInboundOptions): WaTake {
  const key = m.key;
  const remote = parseJid(key?.remoteJid);
  if (!key || !remote || !key.id) return { ok: false, skip: 'malformed' };
  if (key.fromMe) return { ok: false, skip: 'self' };
  if (remote.kind === 'status') return { ok: false, skip: 'status' };
  if (remote.kind === 'broadcast' || m.broadcast) return { ok: false, skip: 'broadcast' };
  if (remote.kind === 'newsletter') return { ok: false, skip: 'newsletter' };
  const chatId = normalJid(key.remoteJid!);
  const group = remote.kind === 'group';
  if (group && !opts.allowedGroups.has(chatId)) return { ok: false, skip: 'group' };
  if (!group && remote.kind !== 'pn' && remote.kind !== 'lid') return { ok: false, skip: 'malformed' };
  const sender = group ? (key.participant ?? m.participant) : key.remoteJid;
  if (!sender) return { ok: false, skip: 'malformed' };
  const said = messageText(m.message);
  if (!said) return { ok: false, skip: 'no-text' };
  const at = timestampMs(m.messageTimestamp);
  if (opts.maxAgeMs > 0 && at !== undefined && opts.now - at > opts.maxAgeMs) return { ok: false, skip: 'stale' };
  const senderAlt = (group ? key.participantAlt : key.remoteJidAlt) ?? undefined;
  return {
    ok: true,
    msg: {
      chatId,
      chatKind: group ? 'group' : 'private',
      sender,
      ...(senderAlt ? { senderAlt } : {}),
      id: key.id,
      text: said.text,
      ...(m.pushName ? { pushName: m.pushName } : {}),
      ...(said.quotedId ? { quotedId: said.quotedId } : {}),
    },
  };
}
