-- The monitor keeps open positions in memory between ticks and asks only which ids are open and at
-- which version; this index answers that without touching the table rows (rowid is in every index).
CREATE INDEX positions_state_version ON positions (state, version);
