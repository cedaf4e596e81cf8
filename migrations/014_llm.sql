-- Every model call, priced when it ends: the cost ledger that budgets and /usage read.
-- cost_nanos is in billionths of a US dollar, so sums are exact integers.
CREATE TABLE llm_calls (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  user_key TEXT NOT NULL,
  provider TEXT NOT NULL CHECK (provider IN ('claude', 'local')),
  model TEXT NOT NULL,
  purpose TEXT NOT NULL,
  input_tokens INTEGER NOT NULL DEFAULT 0,
  output_tokens INTEGER NOT NULL DEFAULT 0,
  cache_read_tokens INTEGER NOT NULL DEFAULT 0,
  cache_write_tokens INTEGER NOT NULL DEFAULT 0,
  cost_nanos INTEGER NOT NULL DEFAULT 0,
  -- 'ok', or the error kind ('timeout', 'overloaded', ...)
  outcome TEXT NOT NULL,
  -- Why this provider: the router's reason, or the fallback that led here.
  reason TEXT,
  ms INTEGER
);
CREATE INDEX llm_calls_user_at ON llm_calls (user_key, at);
CREATE INDEX llm_calls_at ON llm_calls (at);

-- Free-text conversation, per person and chat, so context survives restarts.
CREATE TABLE chat_turns (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_key TEXT NOT NULL,
  chat_id TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
  text TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX chat_turns_conversation ON chat_turns (user_key, chat_id, id);
CREATE INDEX chat_turns_at ON chat_turns (at);
