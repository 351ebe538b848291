-- Actions on their way to a source, in order, each done once: the entry's op_id is the key.
CREATE TABLE outbox (
    op_id      TEXT PRIMARY KEY,
    alert_key  TEXT NOT NULL,
    source     TEXT NOT NULL,
    kind       TEXT NOT NULL,
    actor      TEXT NOT NULL,
    text       TEXT NOT NULL DEFAULT '',
    labels     TEXT NOT NULL,              -- the alert's labels when acted on, JSON
    created_at TEXT NOT NULL,
    state      TEXT NOT NULL DEFAULT 'pending',   -- pending | done
    remote_id  TEXT,                       -- what the source calls it (a silence id)
    attempts   INTEGER NOT NULL DEFAULT 0,
    next_at    TEXT NOT NULL,
    last_error TEXT
);
CREATE INDEX outbox_pending ON outbox (state, created_at);
CREATE INDEX outbox_by_alert ON outbox (alert_key, created_at);
