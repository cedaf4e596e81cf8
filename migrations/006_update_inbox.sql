-- Updates fetched from a channel, kept until the dispatcher has claimed them. Telegram counts an
-- update delivered as soon as the next getUpdates asks past it; if Jarvis stops (or dies) before
-- handling it, this is the only copy left, replayed at the next start.
CREATE TABLE update_inbox (
  channel TEXT NOT NULL,
  update_id TEXT NOT NULL,
  payload TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (channel, update_id)
) WITHOUT ROWID;
