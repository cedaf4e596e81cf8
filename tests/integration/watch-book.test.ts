import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/core/paths.js';
import { openDatabase, type Db } from '../../src/storage/database.js';
import { migrate, readMigrations } from '../../src/storage/migrations.js';
import { TradingStore } from '../../src/trading/store.js';
import { WatchedBook, type Book } from '../../src/trading/watch-book.js';

/** The monitor's cached book against a real SQLite file, changed through the store and through a second connection. */

let dir: string;
let db: Db;
let store: TradingStore;

const insert = (target: Db, mint: string, state = 'open'): number =>
  Number(
    target
      .prepare(
        `INSERT INTO positions (user_key, chat_id, mode, mint, decimals, state, cost_lamports, tokens_bought, tokens_left, entry_price, high_price, sl_pct, sl_trailing, tp, slippage_bps, opened_at, updated_at)
         VALUES ('telegram:1', '1', 'paper', ?, 6, ?, 1000, '1000', '1000', 1, 1, 20, 0, '[{"at":50,"sell":100,"done":false}]', 100, 0, 0)`,
      )
      .run(mint, state).lastInsertRowid,
  );

const ids = (book: Book): number[] => book.mints.flatMap((m) => book.byMint.get(m)!.rows.map((r) => r.id)).sort((x, y) => x - y);
const row = (book: Book, mint: string) => book.byMint.get(mint)!.rows[0]!;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'jarvis-watch-book-'));
  db = openDatabase(join(dir, 'j.db'));
  migrate(db, readMigrations(join(projectRoot(), 'migrations')));
  store = new TradingStore(db);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the watched book', () => {
  it('returns the same book while nothing changed, and sees a new, an edited and a closed position', () => {
    const a = insert(db, 'A');
    const b = insert(db, 'B');
    insert(db, 'C', 'closed');
    const watched = new WatchedBook(store);
    const first = watched.refresh();
    expect(first.mints).toEqual(['A', 'B']);
    expect(watched.refresh()).toBe(first);

    // Edited: a new version of a's row; B's positions did not change, so its group is kept as it was.
    db.prepare('UPDATE positions SET sl_pct = 5, version = version + 1 WHERE id = ?').run(a);
    const edited = watched.refresh();
    expect(edited).not.toBe(first);
    expect(edited.byMint.get('A')!.rows[0]).toMatchObject({ id: a, sl_pct: 5 });
    expect(edited.byMint.get('B')).toBe(first.byMint.get('B'));

    const c = insert(db, 'C');
    db.prepare("UPDATE positions SET state = 'closed', version = version + 1 WHERE id = ?").run(b);
    const moved = watched.refresh();
    expect(moved.mints).toEqual(['A', 'C']);
    expect(ids(moved)).toEqual([a, c]);
    expect(moved.positions).toBe(2);
    // Regrouped from scratch, the same book.
    const fresh = new WatchedBook(store).refresh();
    expect([ids(fresh), fresh.mints, row(fresh, 'A').sl_pct]).toEqual([ids(moved), moved.mints, 5]);
  });

  it('sees a position opened through another connection (jarvis chat beside the daemon)', () => {
    insert(db, 'A');
    const watched = new WatchedBook(store);
    expect(watched.refresh().positions).toBe(1);
    const other = openDatabase(join(dir, 'j.db'));
    try {
      insert(other, 'B');
    } finally {
      other.close();
    }
    expect(watched.refresh().mints).toEqual(['A', 'B']);
  });

  it('lists the positions whose failed exit waits for a retry, and only those', () => {
    const a = insert(db, 'A');
    insert(db, 'B');
    db.prepare("UPDATE positions SET exit = '{}', retry_at = 5, version = version + 1 WHERE id = ?").run(a);
    const watched = new WatchedBook(store);
    expect(watched.refresh().retrying.map((r) => r.id)).toEqual([a]);
    // Sold on retry: it leaves the book and the retry list.
    db.prepare("UPDATE positions SET state = 'closed', version = version + 1 WHERE id = ?").run(a);
    expect(watched.refresh().retrying).toEqual([]);
  });

  it('keeps a raised high, and forgets everything when told to', () => {
    const a = insert(db, 'A');
    const watched = new WatchedBook(store);
    watched.refresh();
    watched.raised(a, 1.5);
    expect(row(watched.refresh(), 'A').high_price).toBe(1.5);
    watched.forget();
    // Read back from the database, where nothing raised it.
    expect(row(watched.refresh(), 'A').high_price).toBe(1);
  });
});
