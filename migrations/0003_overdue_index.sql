-- The sweeper looks for retrying deliveries whose next attempt is long overdue.
CREATE INDEX IF NOT EXISTS deliveries_overdue ON deliveries (status, next_attempt_at);
