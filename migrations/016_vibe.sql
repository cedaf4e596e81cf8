-- /vibe: coding sessions with Claude in a per-user workspace.
-- One active session per person; its messages (Anthropic content blocks as JSON) are kept so a
-- restart resumes the context; older messages are folded into `summary`.
CREATE TABLE vibe_sessions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_key TEXT NOT NULL,
  chat_id TEXT NOT NULL,
  channel TEXT NOT NULL,
  project TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('active', 'done')),
  turns INTEGER NOT NULL DEFAULT 0,
  input_tokens INTEGER NOT NULL DEFAULT 0,
  output_tokens INTEGER NOT NULL DEFAULT 0,
  cache_read_tokens INTEGER NOT NULL DEFAULT 0,
  cache_write_tokens INTEGER NOT NULL DEFAULT 0,
  cost_nanos INTEGER NOT NULL DEFAULT 0,
  summary TEXT,
  -- "Always for this session": commands run without asking.
  always_allow INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX vibe_sessions_one_active ON vibe_sessions (user_key) WHERE state = 'active';

CREATE TABLE vibe_messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  session_id INTEGER NOT NULL REFERENCES vibe_sessions (id) ON DELETE CASCADE,
  role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
  content TEXT NOT NULL,
  -- Folded into the session's summary: no longer sent verbatim.
  summarized INTEGER NOT NULL DEFAULT 0,
  at INTEGER NOT NULL
);
CREATE INDEX vibe_messages_session ON vibe_messages (session_id, id);

-- Risky tool calls waiting for the person's answer; no answer by expires_at is a deny.
CREATE TABLE vibe_approvals (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  session_id INTEGER NOT NULL REFERENCES vibe_sessions (id) ON DELETE CASCADE,
  user_key TEXT NOT NULL,
  kind TEXT NOT NULL,
  detail TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'denied', 'expired', 'always')),
  expires_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  decided_at INTEGER
);

-- The project each person works in.
CREATE TABLE vibe_prefs (
  user_key TEXT PRIMARY KEY,
  project TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
