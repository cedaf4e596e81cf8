-- What Jarvis remembers about each person (src/memory/). A row is never edited in place: an update
-- writes a new row and marks the old one invalidated (superseded_by = the new id), so history is kept
-- and nothing is silently duplicated. Live = invalidated_at IS NULL and not past expires_at.
-- tier: session (hours), short (days, extended when recalled), long (no expiry: expires_at NULL).
CREATE TABLE memories (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  -- `channel:userId` of the person the memory is about and who alone may see or change it.
  owner TEXT NOT NULL,
  text TEXT NOT NULL,
  tier TEXT NOT NULL CHECK (tier IN ('session', 'short', 'long')),
  source TEXT NOT NULL CHECK (source IN ('explicit', 'extracted')),
  created_at INTEGER NOT NULL,
  recalled_at INTEGER,
  expires_at INTEGER,
  superseded_by INTEGER REFERENCES memories (id) ON DELETE SET NULL,
  invalidated_at INTEGER
);
CREATE INDEX memories_owner_live ON memories (owner, invalidated_at, id);
CREATE INDEX memories_expires ON memories (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX memories_superseded ON memories (superseded_by) WHERE superseded_by IS NOT NULL;

-- Full-text index of the memories that are not invalidated (expired ones stay until the cleanup job
-- deletes them; queries filter them out). Contentless: the text is read from `memories` by rowid.
-- Each word is indexed with its owner's prefix ('q' + 8 letters from a hash of the key, see
-- src/memory/query.ts), so a word's list of rows is one person's: a query, and BM25's document
-- frequencies, only ever see the owner's rows. The store writes a row here when it inserts a
-- memory (the prefix is computed in code); the triggers take rows out by id.
CREATE VIRTUAL TABLE memories_fts USING fts5 (
  text,
  content = '', contentless_delete = 1,
  tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE TRIGGER memories_fts_invalidate AFTER UPDATE OF invalidated_at ON memories
WHEN old.invalidated_at IS NULL AND new.invalidated_at IS NOT NULL BEGIN
  DELETE FROM memories_fts WHERE rowid = old.id;
END;

CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories WHEN old.invalidated_at IS NULL BEGIN
  DELETE FROM memories_fts WHERE rowid = old.id;
END;
