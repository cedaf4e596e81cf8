-- Roles granted from chat. Owners from JARVIS_ADMINS are not stored: config always wins.
CREATE TABLE users (
  channel TEXT NOT NULL,
  user_id TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('admin', 'user')),
  display_name TEXT,
  granted_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (channel, user_id)
);

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT,
  outcome TEXT NOT NULL,
  detail TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);

-- When a stranger was last told "no", so denials are at most one per interval.
CREATE TABLE stranger_denials (
  subject TEXT PRIMARY KEY,
  last_reply_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL
);
