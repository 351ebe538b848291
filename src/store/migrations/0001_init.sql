-- The timeline: every ack, note, escalation and lifecycle change, append-only.
CREATE TABLE entries (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    op_id     TEXT NOT NULL UNIQUE,          -- idempotency key: a retried write stores once
    alert_key TEXT NOT NULL,
    kind      TEXT NOT NULL,
    actor     TEXT NOT NULL,
    at        TEXT NOT NULL,                 -- RFC 3339, UTC, microseconds: sorts as text
    text      TEXT NOT NULL DEFAULT '',
    level     INTEGER
);
CREATE INDEX entries_by_alert ON entries (alert_key, id);

-- Every alert ever seen, so resolved alerts keep their place and history.
CREATE TABLE alerts (
    key         TEXT PRIMARY KEY,
    source      TEXT NOT NULL,
    title       TEXT NOT NULL,
    severity    TEXT NOT NULL,
    first_seen  TEXT NOT NULL,
    changed_at  TEXT NOT NULL,
    resolved_at TEXT,
    last        TEXT NOT NULL                -- the alert as last seen, JSON
);
CREATE INDEX alerts_open_by_source ON alerts (source) WHERE resolved_at IS NULL;
