-- Incidents: one row per firing of an alert (its `seen` entry up to the alert's next `seen`),
-- kept by triggers in the transaction that writes each entry, so a report reads them
-- instead of rebuilding them from the whole timeline. `id` is the `seen` entry's id; an
-- entry belongs to its alert's latest incident before it (ids grow as entries are written).
-- The alert's source, service and name are copied here (and kept in step with `alerts`) so
-- the percentiles walk one index each: `ORDER BY tta LIMIT 1 OFFSET k` per group.
CREATE TABLE incidents (
    id            INTEGER PRIMARY KEY,
    alert_key     TEXT NOT NULL,
    source        TEXT NOT NULL DEFAULT '',  -- '' while the alert is not in `alerts`
    service       TEXT NOT NULL DEFAULT '',
    name          TEXT NOT NULL DEFAULT '',
    fired_at      TEXT NOT NULL,
    sev           INTEGER NOT NULL,      -- the highest level it reached (seen, severity-changed)
    acked_at      TEXT,                  -- the first ack in it
    resolved_at   TEXT,                  -- the first resolve in it
    escalations   INTEGER NOT NULL DEFAULT 0,
    humans        INTEGER NOT NULL DEFAULT 0,  -- entries a person wrote (ack, note, escalation…)
    prev_resolved TEXT,                  -- the alert's last resolve before it fired (flaps)
    tta INTEGER GENERATED ALWAYS AS
        (CAST(ROUND((julianday(acked_at) - julianday(fired_at)) * 86400.0) AS INTEGER)) VIRTUAL,
    ttr INTEGER GENERATED ALWAYS AS
        (CAST(ROUND((julianday(resolved_at) - julianday(fired_at)) * 86400.0) AS INTEGER)) VIRTUAL,
    -- Seconds to resolve with no human entry at all (noise: resolved on its own).
    auto_s INTEGER GENERATED ALWAYS AS (CASE WHEN humans = 0 THEN ttr END) VIRTUAL
);
CREATE INDEX incidents_by_time ON incidents (fired_at);
CREATE INDEX incidents_by_alert ON incidents (alert_key, id);
CREATE INDEX incidents_by_tta ON incidents (tta, fired_at, sev, source, service, name);
CREATE INDEX incidents_by_ttr ON incidents (ttr, fired_at, sev, source, service, name);
CREATE INDEX incidents_by_sev_tta ON incidents (sev, tta, fired_at);
CREATE INDEX incidents_by_sev_ttr ON incidents (sev, ttr, fired_at);
CREATE INDEX incidents_by_service_tta ON incidents (service, tta, fired_at);
CREATE INDEX incidents_by_service_ttr ON incidents (service, ttr, fired_at);
CREATE INDEX incidents_by_name_auto ON incidents (name, service, auto_s, fired_at);

-- (The alert's columns by scalar subqueries: a LEFT JOIN on `new.alert_key` in a trigger
-- scans `alerts` in SQLite 3.40.)
CREATE TRIGGER incidents_fire AFTER INSERT ON entries WHEN new.kind = 'seen'
BEGIN
    INSERT INTO incidents (id, alert_key, source, service, name, fired_at, sev, prev_resolved)
    VALUES (new.id, new.alert_key,
        COALESCE((SELECT a.source FROM alerts a WHERE a.key = new.alert_key), ''),
        COALESCE((SELECT a.service FROM alerts a WHERE a.key = new.alert_key), ''),
        COALESCE((SELECT a.name FROM alerts a WHERE a.key = new.alert_key), ''),
        new.at, COALESCE(new.level, 2),
        (SELECT MAX(x.at) FROM entries x
         WHERE x.kind = 'resolved' AND x.alert_key = new.alert_key AND x.id < new.id));
END;

CREATE TRIGGER incidents_follow AFTER INSERT ON entries
WHEN new.kind IN ('acked', 'unacked', 'note', 'escalated', 'severity-set', 'closed', 'resolved', 'severity-changed')
BEGIN
    UPDATE incidents SET
        acked_at = CASE WHEN new.kind = 'acked' AND (acked_at IS NULL OR new.at < acked_at)
                        THEN new.at ELSE acked_at END,
        resolved_at = CASE WHEN new.kind = 'resolved' AND (resolved_at IS NULL OR new.at < resolved_at)
                           THEN new.at ELSE resolved_at END,
        sev = CASE WHEN new.kind = 'severity-changed' AND new.level > sev THEN new.level ELSE sev END,
        escalations = escalations + (new.kind = 'escalated'),
        humans = humans + (new.kind IN ('acked', 'unacked', 'note', 'escalated', 'severity-set', 'closed'))
    WHERE id = (SELECT MAX(i.id) FROM incidents i WHERE i.alert_key = new.alert_key AND i.id < new.id);
END;

-- The alert's source, service and name as they are now, as the reports always used them.
CREATE TRIGGER incidents_alert_new AFTER INSERT ON alerts
BEGIN
    UPDATE incidents SET source = new.source, service = COALESCE(new.service, ''), name = COALESCE(new.name, '')
    WHERE alert_key = new.key;
END;
CREATE TRIGGER incidents_alert_changed AFTER UPDATE ON alerts
WHEN new.source IS NOT old.source OR new.service IS NOT old.service OR new.name IS NOT old.name
BEGIN
    UPDATE incidents SET source = new.source, service = COALESCE(new.service, ''), name = COALESCE(new.name, '')
    WHERE alert_key = new.key;
END;
