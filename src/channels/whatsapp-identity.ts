import type { Db } from '../storage/database.js';
import type { Clock } from '../core/clock.js';

/**
 * Who a WhatsApp message is from. Baileys 7 addresses people by LID (`<lid>@lid`, opaque) or by
 * phone number (`<number>@s.whatsapp.net`), and a message often carries the other form too
 * (`remoteJidAlt` / `participantAlt`). Jarvis keys people by number (`whatsapp:<number>`), so
 * `JARVIS_ADMINS=whatsapp:<number>` matches whichever form arrives; the pairs learned are kept in
 * our own table, which outlives a re-link.
 */

export type JidKind = 'pn' | 'lid' | 'group' | 'status' | 'broadcast' | 'newsletter' | 'other';

export interface ParsedJid {
  /** The user part without device or agent: digits for people. */
  user: string;
  server: string;
  kind: JidKind;
}

export function parseJid(jid: string | null | undefined): ParsedJid | undefined {
  if (!jid) return undefined;
  const at = jid.indexOf('@');
  if (at <= 0) return undefined;
  const server = jid.slice(at + 1);
  const user = jid.slice(0, at).split(':')[0]!.split('_')[0]!;
  if (!user) return undefined;
  const kind: JidKind =
    server === 's.whatsapp.net' || server === 'c.us' || server === 'hosted'
      ? 'pn'
      : server === 'lid' || server === 'hosted.lid'
        ? 'lid'
        : server === 'g.us'
          ? 'group'
          : server === 'broadcast'
            ? user === 'status'
              ? 'status'
              : 'broadcast'
            : server === 'newsletter'
              ? 'newsletter'
              : 'other';
  return { user, server, kind };
}

/** `user@server` without the device part, the form to key a chat by and send to. */
export function normalJid(jid: string): string {
  const p = parseJid(jid);
  return p ? `${p.user}@${p.server === 'c.us' ? 's.whatsapp.net' : p.server}` : jid;
}

/** A chat id as given to send(): a JID, or a bare phone number (a notice addressed by number). */
export function chatJid(chatId: string): string {
  const digits = chatId.replace(/^\+/, '');
  return /^\d{5,20}$/.test(digits) ? `${digits}@s.whatsapp.net` : normalJid(chatId);
}

export interface LidPair {
  lid: string;
  pn: string;
}

/** Looks a LID JID up in Baileys' own mapping store (only pairs it has already seen). */
export type PnLookup = (lidJid: string) => Promise<string | null | undefined>;

export class WhatsAppIdentities {
  private readonly sql;
  /** Pairs known, so the common case (a known person writes again) touches no disk. */
  private readonly byLid = new Map<string, string>();

  constructor(private readonly db: Db, private readonly clock: Clock) {
    this.sql = {
      get: db.prepare('SELECT pn FROM whatsapp_identities WHERE lid = ?'),
      byPn: db.prepare('SELECT lid FROM whatsapp_identities WHERE pn = ? ORDER BY updated_at DESC LIMIT 1'),
      upsert: db.prepare(
        `INSERT INTO whatsapp_identities (lid, pn, source, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(lid) DO UPDATE SET pn = excluded.pn, source = excluded.source, updated_at = excluded.updated_at
         WHERE whatsapp_identities.pn <> excluded.pn`,
      ),
      count: db.prepare('SELECT COUNT(*) AS n FROM whatsapp_identities'),
    };
  }

  /**
   * Records pairs given as JIDs in either order ({lid, pn} as Baileys' events name them); pairs
   * that are not one LID and one phone number are ignored.
   */
  learn(pairs: readonly LidPair[], source: string): void {
    const rows: [string, string][] = [];
    for (const { lid, pn } of pairs) {
      const a = parseJid(lid);
      const b = parseJid(pn);
      if (a?.kind === 'lid' && b?.kind === 'pn') rows.push([a.user, b.user]);
      else if (a?.kind === 'pn' && b?.kind === 'lid') rows.push([b.user, a.user]);
    }
    const fresh = rows.filter(([l, p]) => this.byLid.get(l) !== p);
    if (fresh.length === 0) return;
    const now = this.clock.now();
    this.db.transaction(() => {
      for (const [l, p] of fresh) this.sql.upsert.run(l, p, source, now);
    })();
    for (const [l, p] of fresh) this.byLid.set(l, p);
  }

  /** The phone number (digits) of a LID user part, if known. */
  pnForLid(lidUser: string): string | undefined {
    const cached = this.byLid.get(lidUser);
    if (cached) return cached;
    const row = this.sql.get.get(lidUser) as { pn: string } | undefined;
    if (row) this.byLid.set(lidUser, row.pn);
    return row?.pn;
  }

  lidForPn(pn: string): string | undefined {
    return (this.sql.byPn.get(pn) as { lid: string } | undefined)?.lid;
  }

  count(): number {
    return (this.sql.count.get() as { n: number }).n;
  }

  /**
   * The user id Jarvis keys a sender by: the phone number's digits whenever the number is known
   * (from the JID itself, its alternate, our table, or Baileys' store); otherwise `<lid>@lid`,
   * which can never be mistaken for a number (such a person stays a stranger until it is known).
   */
  async userId(sender: string, alt: string | null | undefined, lookup?: PnLookup): Promise<string> {
    const s = parseJid(sender);
    if (!s) return sender;
    const a = parseJid(alt);
    if (s.kind === 'pn') {
      if (a?.kind === 'lid') this.learn([{ lid: a.user + '@lid', pn: s.user + '@s.whatsapp.net' }], 'message');
      return s.user;
    }
    if (s.kind !== 'lid') return `${s.user}@${s.server}`;
    if (a?.kind === 'pn') {
      this.learn([{ lid: `${s.user}@lid`, pn: `${a.user}@s.whatsapp.net` }], 'message');
      return a.user;
    }
    const known = this.pnForLid(s.user);
    if (known) return known;
    const found = lookup ? parseJid(await Promise.resolve(`${s.user}@lid`).then(lookup).catch(() => undefined)) : undefined;
    if (found?.kind === 'pn') {
      this.learn([{ lid: `${s.user}@lid`, pn: `${found.user}@s.whatsapp.net` }], 'baileys');
      return found.user;
    }
    return `${s.user}@lid`;
  }
}
