-- Inbound updates already taken, per channel, so a redelivery (after a crash, a retry by the
-- network) is not handled twice.
CREATE TABLE inbound_ledger (
  channel TEXT NOT NULL,
  update_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (channel, update_id)
) WITHOUT ROWID;
CREATE INDEX inbound_ledger_at ON inbound_ledger (at);
