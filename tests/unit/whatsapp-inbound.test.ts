import { describe, expect, it } from 'vitest';
import { whatsappIncoming, messageText } from '../../src/channels/whatsapp-inbound.js';
import { chatJid, normalJid, parseJid } from '../../src/channels/whatsapp-identity.js';
import { waMessage } from '../fakes/baileys-socket.js';

const NOW = 1_700_000_000_000;
const opts = { allowedGroups: new Set(['120363000000000001@g.us']), now: NOW, maxAgeMs: 24 * 3600_000 };
const PN = '447700900123@s.whatsapp.net';
const LID = '201234567890123@lid';
const take = (m: Parameters<typeof waMessage>[0]) => whatsappIncoming(waMessage({ atMs: NOW, ...m }), opts);

describe('WhatsApp upsert → what Jarvis takes', () => {
  it('takes plain and extended text, replies, and captions of images, videos and documents', () => {
    expect(take({ chat: PN, content: { conversation: '/status' } })).toMatchObject({ ok: true, msg: { chatId: PN, chatKind: 'private', sender: PN, text: '/status' } });
    expect(take({ chat: PN, content: { extendedTextMessage: { text: 'see https://example.org' } } })).toMatchObject({ ok: true, msg: { text: 'see https://example.org' } });
    const reply = take({ chat: PN, content: { extendedTextMessage: { text: '2', contextInfo: { stanzaId: 'MENU1', quotedMessage: { conversation: 'Which role?' } } } } });
    expect(reply).toMatchObject({ ok: true, msg: { text: '2', quotedId: 'MENU1' } });
    expect(take({ chat: PN, content: { imageMessage: { caption: '/buy SOL 1' } } })).toMatchObject({ ok: true, msg: { text: '/buy SOL 1' } });
    expect(take({ chat: PN, content: { videoMessage: { caption: 'a clip' } } })).toMatchObject({ ok: true, msg: { text: 'a clip' } });
    expect(take({ chat: PN, content: { documentWithCaptionMessage: { message: { documentMessage: { caption: 'the report', fileName: 'r.pdf' } } } } })).toMatchObject({ ok: true, msg: { text: 'the report' } });
    expect(take({ chat: PN, content: { ephemeralMessage: { message: { extendedTextMessage: { text: 'disappearing' } } } } })).toMatchObject({ ok: true, msg: { text: 'disappearing' } });
  });

  it('carries the other identity form when WhatsApp gives it', () => {
    expect(take({ chat: LID, alt: PN, content: { conversation: 'hi' }, pushName: 'Ada' })).toMatchObject({ ok: true, msg: { chatId: LID, sender: LID, senderAlt: PN, pushName: 'Ada' } });
    const g = take({ chat: '120363000000000001@g.us', from: LID, alt: PN, content: { conversation: 'hi all' } });
    expect(g).toMatchObject({ ok: true, msg: { chatKind: 'group', sender: LID, senderAlt: PN } });
  });

  it('skips our own messages, status, broadcasts, newsletters, other groups, protocol messages and media without text', () => {
    const skip = (m: Parameters<typeof waMessage>[0]) => {
      const r = take(m);
      return r.ok ? 'taken' : r.skip;
    };
    expect(skip({ chat: PN, fromMe: true, content: { conversation: 'sent from my phone' } })).toBe('self');
    expect(skip({ chat: 'status@broadcast', from: PN, content: { conversation: 'my status' } })).toBe('status');
    expect(skip({ chat: '1700000000@broadcast', from: PN, content: { conversation: 'to a list' } })).toBe('broadcast');
    expect(skip({ chat: '120363999@newsletter', content: { conversation: 'channel post' } })).toBe('newsletter');
    expect(skip({ chat: '120363000000000999@g.us', from: PN, content: { conversation: '/status' } })).toBe('group');
    expect(skip({ chat: PN, content: { protocolMessage: { type: 0, key: { id: 'X' } } } })).toBe('no-text');
    expect(skip({ chat: PN, content: { protocolMessage: { type: 14, editedMessage: { conversation: 'edited' } } } })).toBe('no-text');
    expect(skip({ chat: PN, content: { reactionMessage: { text: '👍', key: { id: 'X' } } } })).toBe('no-text');
    expect(skip({ chat: PN, content: { senderKeyDistributionMessage: { groupId: 'g' } } })).toBe('no-text');
    expect(skip({ chat: PN, content: { imageMessage: { mimetype: 'image/jpeg' } } })).toBe('no-text');
    expect(skip({ chat: PN, content: { conversation: '   ' } })).toBe('no-text');
    expect(skip({ chat: PN, atMs: NOW - 25 * 3600_000, content: { conversation: '/sell all' } })).toBe('stale');
    expect(whatsappIncoming({ key: { remoteJid: PN, fromMe: false } }, opts)).toEqual({ ok: false, skip: 'malformed' });
  });

  it('reads text through view-once wrappers but not edits', () => {
    expect(messageText({ viewOnceMessageV2: { message: { imageMessage: { caption: 'once' } } } })?.text).toBe('once');
    expect(messageText({ editedMessage: { message: { conversation: 'x' } } })).toBeUndefined();
  });
});

describe('JIDs', () => {
  it('parses people, groups and broadcasts, dropping the device part', () => {
    expect(parseJid('447700900123:12@s.whatsapp.net')).toEqual({ user: '447700900123', server: 's.whatsapp.net', kind: 'pn' });
    expect(parseJid(LID)?.kind).toBe('lid');
    expect(parseJid('120363000000000001@g.us')?.kind).toBe('group');
    expect(parseJid('status@broadcast')?.kind).toBe('status');
    expect(parseJid('nonsense')).toBeUndefined();
    expect(normalJid('447700900123:3@s.whatsapp.net')).toBe(PN);
    expect(chatJid('+447700900123')).toBe(PN);
    expect(chatJid(LID)).toBe(LID);
  });
});
