-- Idempotency-Key memory for POST /api/events (24 h). `key` is the SHA-256 hex of the header;
-- `status` is NULL while the first request with the key is being processed.
CREATE TABLE IF NOT EXISTS idempotency_keys (
  key TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL,
  status INTEGER,
  response TEXT
);
CREATE INDEX IF NOT EXISTS idempotency_keys_by_age ON idempotency_keys (created_at);
