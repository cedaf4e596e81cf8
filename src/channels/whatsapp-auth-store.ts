import { BufferJSON, initAuthCreds, makeCacheableSignalKeyStore, proto } from '@whiskeysockets/baileys';
import type { AuthenticationCreds, AuthenticationState, SignalDataSet, SignalDataTypeMap, SignalKeyStore } from '@whiskeysockets/baileys';
import type { Db } from '../storage/database.js';
import type { Clock } from '../core/clock.js';
import { kvGet, kvSet } from '../storage/database.js';

/**
 * Baileys' auth state in our SQLite file (table whatsapp_auth) instead of a folder of JSON files:
 * the creds and every Signal key type, serialised with BufferJSON. better-sqlite3 is synchronous,
 * so one set() is one transaction that nothing can interleave with: concurrent key writes are
 * applied one after another and none is lost. The socket sees the store through Baileys' own
 * makeCacheableSignalKeyStore (reads from memory, writes through).
 */

const CREDS = 'creds';
/** Set by `jarvis whatsapp link` once it has linked and let go of the account. */
const LINKED_AT = 'whatsapp.linked_at';

/** Any logger Baileys accepts (pino's child loggers do). */
type BaileysLogger = Parameters<typeof makeCacheableSignalKeyStore>[1];

export class WhatsAppAuthStore {
  private readonly sql;

  constructor(private readonly db: Db, private readonly clock: Clock) {
    this.sql = {
      get: db.prepare('SELECT value FROM whatsapp_auth WHERE kind = ? AND id = ?'),
      upsert: db.prepare(
        'INSERT INTO whatsapp_auth (kind, id, value, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(kind, id) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
      ),
      remove: db.prepare('DELETE FROM whatsapp_auth WHERE kind = ? AND id = ?'),
      clearKeys: db.prepare('DELETE FROM whatsapp_auth WHERE kind <> ?'),
      clearAll: db.prepare('DELETE FROM whatsapp_auth'),
      counts: db.prepare('SELECT kind, COUNT(*) AS n FROM whatsapp_auth GROUP BY kind'),
    };
  }

  /** The creds saved last, or new ones (saved at once, so a restart mid-pairing keeps them). */
  loadCreds(): AuthenticationCreds {
    const row = this.sql.get.get(CREDS, '') as { value: string } | undefined;
    if (row) return JSON.parse(row.value, BufferJSON.reviver) as AuthenticationCreds;
    const creds = initAuthCreds();
    this.saveCreds(creds);
    return creds;
  }

  saveCreds(creds: AuthenticationCreds): void {
    this.sql.upsert.run(CREDS, '', JSON.stringify(creds, BufferJSON.replacer), this.clock.now());
  }

  /** The raw key store (tests and the cache wrapper use it). */
  readonly keys: SignalKeyStore = {
    get: async <T extends keyof SignalDataTypeMap>(type: T, ids: string[]) => this.getKeys(type, ids),
    set: async (data: SignalDataSet) => this.setKeys(data),
    clear: async () => {
      this.sql.clearKeys.run(CREDS);
    },
  };

  /** What a socket is given: fresh creds from the database and the cached key store. */
  state(log?: BaileysLogger): AuthenticationState {
    return { creds: this.loadCreds(), keys: makeCacheableSignalKeyStore(this.keys, log) };
  }

  getKeys<T extends keyof SignalDataTypeMap>(type: T, ids: string[]): { [id: string]: SignalDataTypeMap[T] } {
    const out: { [id: string]: SignalDataTypeMap[T] } = {};
    for (const id of ids) {
      const row = this.sql.get.get(type, id) as { value: string } | undefined;
      if (!row) continue;
      let value = JSON.parse(row.value, BufferJSON.reviver) as unknown;
      if (type === 'app-state-sync-key' && value) value = proto.Message.AppStateSyncKeyData.fromObject(value as object);
      out[id] = value as SignalDataTypeMap[T];
    }
    return out;
  }

  /** One batch, one transaction: a null value deletes the key. */
  setKeys(data: SignalDataSet): void {
    const now = this.clock.now();
    this.db.transaction(() => {
      for (const [type, entries] of Object.entries(data)) {
        if (type === CREDS) throw new Error('"creds" is not a key type');
        for (const [id, value] of Object.entries(entries ?? {})) {
          if (value === null || value === undefined) this.sql.remove.run(type, id);
          else this.sql.upsert.run(type, id, JSON.stringify(value, BufferJSON.replacer), now);
        }
      }
    })();
  }

  /** Linked: the creds carry an account WhatsApp signed (a pairing finished). */
  linkedAs(): string | undefined {
    const row = this.sql.get.get(CREDS, '') as { value: string } | undefined;
    if (!row) return undefined;
    const creds = JSON.parse(row.value, BufferJSON.reviver) as Partial<AuthenticationCreds>;
    return creds.me?.id && creds.account ? creds.me.id : undefined;
  }

  /**
   * Forgets the account (after "logged out"): creds and keys go, our LID table stays. `also` runs
   * in the same transaction (e.g. queueing the notices that say so).
   */
  clear(also?: () => void): void {
    this.db.transaction(() => {
      this.sql.clearAll.run();
      also?.();
    })();
  }

  /** Marks a link made by `jarvis whatsapp link`, so a daemon waiting for one picks it up. */
  markLinked(): void {
    kvSet(this.db, LINKED_AT, String(this.clock.now()), this.clock.now());
  }

  linkedAt(): string | undefined {
    return kvGet(this.db, LINKED_AT);
  }

  /** Rows per kind, for `jarvis whatsapp status`. */
  counts(): Record<string, number> {
    return Object.fromEntries((this.sql.counts.all() as { kind: string; n: number }[]).map((r) => [r.kind, r.n]));
  }
}
