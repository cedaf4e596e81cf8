-- Power actions on the Proxmox cluster. A row is written before anything is sent, and every move is
-- a conditional update, so a double press, a retry or a restart cannot send an action twice.
-- state: confirming (RED, waiting for its button) -> sending -> running (task id known) -> done | failed;
-- confirming -> cancelled | expired; sending -> unknown (a restart found it mid-request: never re-sent).
CREATE TABLE cluster_actions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  actor TEXT NOT NULL,
  chat_id TEXT NOT NULL,
  node TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('qemu', 'lxc', 'node')),
  vmid INTEGER,
  name TEXT,
  action TEXT NOT NULL,
  tier TEXT NOT NULL CHECK (tier IN ('yellow', 'red')),
  state TEXT NOT NULL CHECK (state IN ('confirming', 'sending', 'running', 'done', 'failed', 'cancelled', 'expired', 'unknown')),
  upid TEXT,
  outcome TEXT,
  -- The reply to edit with the outcome once the task ends (JSON SentRef).
  reply_ref TEXT,
  expires_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX cluster_actions_state ON cluster_actions (state);
CREATE INDEX cluster_actions_target ON cluster_actions (node, vmid, created_at);

-- Conditions the watcher has told admins about. A row lives while its condition lasts, so each is
-- told once and again only after it cleared.
CREATE TABLE cluster_alerts (
  key TEXT PRIMARY KEY,
  detail TEXT NOT NULL,
  since INTEGER NOT NULL
);

-- What the watcher saw last, per node and guest: a guest that was running and now is not is news.
CREATE TABLE cluster_seen (
  key TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  at INTEGER NOT NULL
);
