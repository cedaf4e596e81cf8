-- Messages nobody asked for (trade fills, alerts), written in the same transaction as the change
-- they report, then delivered; so a crash between the two loses nothing and a retry sends once.
CREATE TABLE notices (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_key TEXT NOT NULL,
  chat_id TEXT NOT NULL,
  body TEXT NOT NULL,
  dedupe_key TEXT UNIQUE,
  created_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  sent_at INTEGER,
  failed TEXT
);
CREATE INDEX notices_due ON notices (sent_at, next_attempt_at);
