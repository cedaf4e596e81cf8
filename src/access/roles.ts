import type { Db } from '../storage/database.js';
import type { Clock } from '../core/clock.js';
import type { ChannelName } from '../core/message.js';
import { UserError } from '../core/errors.js';
import { ChangeWatch } from '../storage/change-watch.js';

export type Role = 'admin' | 'user' | 'stranger';
export type GrantableRole = Exclude<Role, 'stranger'>;

export const ROLE_RANK: Record<Role, number> = { stranger: 0, user: 1, admin: 2 };

export function roleAtLeast(role: Role, needed: Role): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[needed];
}

export interface Identity {
  channel: ChannelName;
  userId: string;
}

const IDENTITY_RE = /^(telegram|whatsapp|console):([A-Za-z0-9_.@+-]{1,64})$/;

/** Parses `telegram:123`; undefined when it is not a well-formed identity. */
export function parseIdentity(text: string): Identity | undefined {
  const m = IDENTITY_RE.exec(text.trim());
  if (!m) return undefined;
  const channel = m[1] as ChannelName;
  const userId = m[2]!;
  if (channel === 'telegram' && !/^-?\d{1,20}$/.test(userId)) return undefined;
  if (channel === 'whatsapp' && !/^\d{5,20}$/.test(userId.replace(/^\+/, ''))) return undefined;
  return { channel, userId: channel === 'whatsapp' ? userId.replace(/^\+/, '') : userId };
}

export const formatIdentity = (id: Identity): string => `${id.channel}:${id.userId}`;

export interface UserRow {
  key: string;
  role: GrantableRole;
  displayName: string | null;
  grantedBy: string;
  source: 'config' | 'chat';
}

/**
 * Who may do what. Owners come from config and cannot be changed from chat; everyone else is a
 * row in `users`, cached in memory because every message asks.
 */
export class Roles {
  private readonly owners: Set<string>;
  private readonly cache = new Map<string, GrantableRole>();
  private readonly watch: ChangeWatch;

  constructor(private readonly db: Db, owners: readonly string[], private readonly clock: Clock, watchMs?: number) {
    this.owners = new Set(owners.map((o) => {
      const id = parseIdentity(o);
      return id ? formatIdentity(id) : o;
    }));
    this.watch = new ChangeWatch(db, watchMs);
    this.reload();
  }

  /** Grants made by another process (jarvis chat) are picked up within a second. */
  private reload(): void {
    this.cache.clear();
    for (const r of this.db.prepare('SELECT channel, user_id, role FROM users').all() as { channel: string; user_id: string; role: GrantableRole }[]) {
      this.cache.set(`${r.channel}:${r.user_id}`, r.role);
    }
  }

  roleOf(id: Identity): Role {
    if (id.channel === 'console') return 'admin'; // the local terminal is the owner's
    if (this.watch.changed()) this.reload();
    const key = formatIdentity(id);
    if (this.owners.has(key)) return 'admin';
    return this.cache.get(key) ?? 'stranger';
  }

  isOwner(id: Identity): boolean {
    return this.owners.has(formatIdentity(id));
  }

  grant(id: Identity, role: GrantableRole, grantedBy: string, displayName?: string): void {
    if (this.isOwner(id)) throw new UserError(`${formatIdentity(id)} is an owner (JARVIS_ADMINS); change the config to change that.`);
    const now = this.clock.now();
    this.db
      .prepare(
        `INSERT INTO users (channel, user_id, role, display_name, granted_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(channel, user_id) DO UPDATE SET role = excluded.role, granted_by = excluded.granted_by, updated_at = excluded.updated_at`,
      )
      .run(id.channel, id.userId, role, displayName ?? null, grantedBy, now, now);
    this.cache.set(formatIdentity(id), role);
  }

  /** Returns false when there was nothing to revoke. */
  revoke(id: Identity): boolean {
    if (this.isOwner(id)) throw new UserError(`${formatIdentity(id)} is an owner (JARVIS_ADMINS); remove it from the config instead.`);
    const changed = this.db.prepare('DELETE FROM users WHERE channel = ? AND user_id = ?').run(id.channel, id.userId).changes;
    this.cache.delete(formatIdentity(id));
    return changed > 0;
  }

  list(): UserRow[] {
    const rows = this.db
      .prepare('SELECT channel, user_id, role, display_name, granted_by FROM users ORDER BY role, channel, user_id')
      .all() as { channel: string; user_id: string; role: GrantableRole; display_name: string | null; granted_by: string }[];
    const owners: UserRow[] = [...this.owners].sort().map((key) => ({ key, role: 'admin', displayName: null, grantedBy: 'config', source: 'config' }));
    return [
      ...owners,
      ...rows.map((r) => ({ key: `${r.channel}:${r.user_id}`, role: r.role, displayName: r.display_name, grantedBy: r.granted_by, source: 'chat' as const })),
    ];
  }
}
