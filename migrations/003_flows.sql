-- One active multi-step flow per (channel, chat, user).
CREATE TABLE flows (
  channel TEXT NOT NULL,
  chat_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  flow TEXT NOT NULL,
  -- A random id per run of a flow, carried by its buttons: a button from an earlier run is stale.
  run TEXT NOT NULL,
  step TEXT NOT NULL,
  data TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (channel, chat_id, user_id)
);
