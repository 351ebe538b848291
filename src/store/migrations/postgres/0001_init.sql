-- The team's timeline on PostgreSQL: the same tables as SQLite's, with what a shared
-- database adds: the writer's database account on every entry, and a change feed.

CREATE TABLE entries (
    id        BIGSERIAL PRIMARY KEY,
    op_id     TEXT NOT NULL UNIQUE,          -- idempotency key: a replayed write stores once
    alert_key TEXT NOT NULL,
    kind      TEXT NOT NULL,
    actor     TEXT NOT NULL,                 -- the name from the writer's config
    db_user   TEXT NOT NULL DEFAULT session_user,
    at        TIMESTAMPTZ NOT NULL,          -- when the person acted (maybe offline)
    stored_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    text      TEXT NOT NULL DEFAULT '',
    level     BIGINT
);
CREATE INDEX entries_by_alert ON entries (alert_key, id);
CREATE INDEX entries_by_kind ON entries (kind, alert_key);

-- The database, not the config file, says who wrote an entry; and entries are never
-- rewritten: the retrospective reads what happened.
CREATE FUNCTION klaxon_entries_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.db_user := session_user;
        NEW.stored_at := now();
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'klaxon entries are append-only';
END $$;
CREATE TRIGGER entries_guard BEFORE INSERT OR UPDATE OR DELETE ON entries
    FOR EACH ROW EXECUTE FUNCTION klaxon_entries_guard();

-- Consoles LISTEN on klaxon_entries; the payload is only the newest id (far under
-- NOTIFY's 8000 bytes) and they read the rows themselves, after their cursor.
CREATE FUNCTION klaxon_entries_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE newest BIGINT;
BEGIN
    SELECT max(id) INTO newest FROM new_rows;
    IF newest IS NOT NULL THEN
        PERFORM pg_notify('klaxon_entries', newest::text);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER entries_notify AFTER INSERT ON entries REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION klaxon_entries_notify();

CREATE TABLE alerts (
    key         TEXT PRIMARY KEY,
    source      TEXT NOT NULL,
    title       TEXT NOT NULL,
    severity    TEXT NOT NULL,
    first_seen  TIMESTAMPTZ NOT NULL,
    changed_at  TIMESTAMPTZ NOT NULL,
    resolved_at TIMESTAMPTZ,
    last        JSONB NOT NULL               -- the alert as last seen
);
CREATE INDEX alerts_open_by_source ON alerts (source) WHERE resolved_at IS NULL;

-- Actions on their way to a source; any console may send them, one at a time (a lease).
CREATE TABLE outbox (
    op_id      TEXT PRIMARY KEY REFERENCES entries (op_id),
    alert_key  TEXT NOT NULL,
    source     TEXT NOT NULL,
    kind       TEXT NOT NULL,
    actor      TEXT NOT NULL,
    text       TEXT NOT NULL DEFAULT '',
    labels     JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    state      TEXT NOT NULL DEFAULT 'pending',   -- pending | done
    remote_id  TEXT,
    attempts   INTEGER NOT NULL DEFAULT 0,
    next_at    TIMESTAMPTZ NOT NULL,
    last_error TEXT
);
CREATE INDEX outbox_pending ON outbox (state, created_at);
CREATE INDEX outbox_by_alert ON outbox (alert_key, created_at);
