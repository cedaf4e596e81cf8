-- The last price seen per held mint (SOL per token). Kept per mint, not per position, so a monitor
-- tick writes ~500 small rows instead of rewriting 10,000 positions; positions store only their high.
CREATE TABLE mint_prices (
  mint TEXT PRIMARY KEY,
  price REAL NOT NULL,
  at INTEGER NOT NULL
);
