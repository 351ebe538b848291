-- Who is sending an action, apart from when it is next due: `klaxon sync` ignores the retry
-- time (next_at) but never another console's lease, so nothing is sent twice at once.
-- A table of its own, not a column: klaxon before this release set `user_version` back to
-- its own count when it opened a newer file, so this may run again, and ADD COLUMN cannot.
CREATE TABLE IF NOT EXISTS outbox_lease (
    op_id TEXT PRIMARY KEY,
    until TEXT NOT NULL
);
