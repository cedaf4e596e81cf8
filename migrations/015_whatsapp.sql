-- WhatsApp (Baileys) auth state: the linked device's credentials (kind 'creds', id '') and every
-- Signal key (kind = the key type: 'pre-key', 'session', 'sender-key', 'app-state-sync-key',
-- 'lid-mapping', ...), each a BufferJSON document. Losing a key write breaks delivery, so every
-- write of one batch lands in one transaction.
CREATE TABLE whatsapp_auth (
  kind TEXT NOT NULL,
  id TEXT NOT NULL,
  value TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (kind, id)
) WITHOUT ROWID;

-- Our own LID <-> phone number table (user parts only, digits), learned from messages
-- (remoteJidAlt / participantAlt) and Baileys' lid-mapping events. It outlives a re-link, so
-- `whatsapp:<number>` keeps naming the same person whichever form a message carries.
CREATE TABLE whatsapp_identities (
  lid TEXT PRIMARY KEY,
  pn TEXT NOT NULL,
  source TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX whatsapp_identities_pn ON whatsapp_identities (pn);
