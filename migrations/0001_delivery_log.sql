-- The delivery log: every delivery (one event to one hook) and every attempt at it.
-- A delivery is recorded at its first attempt. Times are epoch milliseconds.
CREATE TABLE IF NOT EXISTS deliveries (
  id TEXT PRIMARY KEY,                 -- dlv_…
  event_id TEXT NOT NULL,              -- evt_…, sent as webhook-id
  hook_id TEXT NOT NULL,
  event TEXT NOT NULL,
  payload TEXT NOT NULL,               -- the event object without hookId
  status TEXT NOT NULL CHECK (status IN ('pending', 'retrying', 'succeeded', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_by_hook ON deliveries (hook_id, created_at DESC);
CREATE INDEX IF NOT EXISTS deliveries_by_hook_status ON deliveries (hook_id, status, created_at DESC);
CREATE INDEX IF NOT EXISTS deliveries_by_age ON deliveries (updated_at);

CREATE TABLE IF NOT EXISTS attempts (
  id TEXT PRIMARY KEY,
  delivery_id TEXT NOT NULL,
  hook_id TEXT NOT NULL,
  event TEXT NOT NULL,
  number INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  result TEXT NOT NULL CHECK (result IN ('Success', 'Error')),
  response_status INTEGER,
  response_body TEXT,                  -- first 4 KiB
  error TEXT
);
CREATE INDEX IF NOT EXISTS attempts_by_hook ON attempts (hook_id, started_at DESC);
CREATE INDEX IF NOT EXISTS attempts_by_delivery ON attempts (delivery_id, number);
