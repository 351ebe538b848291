-- Who is sending an action, apart from when it is next due: `klaxon sync` ignores the retry
-- time (next_at) but never another console's lease, so nothing is sent twice at once.
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS leased_until TIMESTAMPTZ;
