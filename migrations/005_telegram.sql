-- Updates already taken, so a redelivery after a restart is not handled twice.
CREATE TABLE telegram_updates (
  update_id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL
);
