-- Per-user trading settings; NULL limits mean "the configured default".
CREATE TABLE trading_settings (
  user_key TEXT PRIMARY KEY,
  mode TEXT NOT NULL DEFAULT 'paper' CHECK (mode IN ('paper', 'live')),
  slippage_bps INTEGER,
  priority TEXT NOT NULL DEFAULT 'medium' CHECK (priority IN ('low', 'medium', 'high')),
  preset_tp TEXT,
  preset_sl REAL,
  preset_trailing INTEGER NOT NULL DEFAULT 0,
  max_trade_lamports INTEGER,
  max_open INTEGER,
  daily_loss_lamports INTEGER,
  updated_at INTEGER NOT NULL
);

-- Paper money: one balance per user, created at the configured start on first use.
CREATE TABLE paper_accounts (
  user_key TEXT PRIMARY KEY,
  lamports INTEGER NOT NULL CHECK (lamports >= 0),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

-- A position moves pending -> open -> exiting -> open|closed, or ends failed. Every move is a
-- conditional UPDATE on (id, state[, version]); the process that changed the row is the one that acts.
CREATE TABLE positions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_key TEXT NOT NULL,
  chat_id TEXT NOT NULL,
  mode TEXT NOT NULL CHECK (mode IN ('paper', 'live')),
  mint TEXT NOT NULL,
  decimals INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'open', 'exiting', 'closed', 'failed')),
  version INTEGER NOT NULL DEFAULT 0,
  -- SOL paid for the whole position, fees included (the cost basis).
  cost_lamports INTEGER NOT NULL DEFAULT 0,
  -- Token amounts in base units, as decimal text (they overflow 2^53).
  tokens_bought TEXT NOT NULL DEFAULT '0',
  tokens_left TEXT NOT NULL DEFAULT '0',
  -- SOL per whole token: the fill price, and the highest price seen since (for a trailing stop).
  entry_price REAL NOT NULL DEFAULT 0,
  high_price REAL NOT NULL DEFAULT 0,
  last_price REAL,
  sl_pct REAL NOT NULL,
  sl_trailing INTEGER NOT NULL DEFAULT 0,
  -- JSON [{"at":50,"sell":50,"done":false}, ...]: rise in % over entry, share of the bought amount to sell.
  tp TEXT NOT NULL,
  slippage_bps INTEGER NOT NULL,
  realized_lamports INTEGER NOT NULL DEFAULT 0,
  -- JSON of the exit being carried out (state exiting) or waiting for a retry (state open).
  exit TEXT,
  exit_attempts INTEGER NOT NULL DEFAULT 0,
  retry_at INTEGER,
  -- Live buys: the transaction being landed while pending.
  buy_tx TEXT,
  failure TEXT,
  opened_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  closed_at INTEGER
);
CREATE INDEX positions_state_mint ON positions (state, mint);
CREATE INDEX positions_user_state ON positions (user_key, state);

-- Fills. exit_id is unique, so one exit is recorded at most once whatever retries or restarts do.
CREATE TABLE trades (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  position_id INTEGER NOT NULL REFERENCES positions (id),
  user_key TEXT NOT NULL,
  exit_id TEXT UNIQUE,
  side TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
  reason TEXT NOT NULL,
  mode TEXT NOT NULL,
  venue TEXT NOT NULL,
  sol_lamports INTEGER NOT NULL,
  tokens TEXT NOT NULL,
  fee_lamports INTEGER NOT NULL,
  pnl_lamports INTEGER,
  price REAL NOT NULL,
  signature TEXT,
  at INTEGER NOT NULL
);
CREATE INDEX trades_user_at ON trades (user_key, at);

-- How long each held mint has gone without a price (a missing price never triggers; the owner is told once).
CREATE TABLE price_gaps (
  mint TEXT PRIMARY KEY,
  missing_since INTEGER NOT NULL,
  warned INTEGER NOT NULL DEFAULT 0
);

-- The live wallet: secret key sealed with AES-256-GCM under a key derived from the master secret.
CREATE TABLE wallet (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  public_key TEXT NOT NULL,
  sealed TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
