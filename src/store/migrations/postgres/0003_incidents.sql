-- Incidents: one row per firing of an alert (its `seen` entry up to the alert's next `seen`),
-- kept by triggers in the transaction that writes each entry (writers hold the write lock,
-- so entries arrive in id order), so a report reads them instead of rebuilding them from
-- the whole timeline. `id` is the `seen` entry's id; an entry belongs to its alert's latest
-- incident before it. The alert's source, service and name are copied here (and kept in
-- step with `alerts`) so the percentiles walk one index each: `ORDER BY tta LIMIT 1 OFFSET k`.
CREATE TABLE incidents (
    id            BIGINT PRIMARY KEY,
    alert_key     TEXT NOT NULL,
    source        TEXT NOT NULL DEFAULT '',
    service       TEXT NOT NULL DEFAULT '',
    name          TEXT NOT NULL DEFAULT '',
    fired_at      TIMESTAMPTZ NOT NULL,
    sev           BIGINT NOT NULL,       -- the highest level it reached (seen, severity-changed)
    acked_at      TIMESTAMPTZ,           -- the first ack in it
    resolved_at   TIMESTAMPTZ,           -- the first resolve in it
    escalations   BIGINT NOT NULL DEFAULT 0,
    humans        BIGINT NOT NULL DEFAULT 0,   -- entries a person wrote (ack, note, escalation…)
    prev_resolved TIMESTAMPTZ,           -- the alert's last resolve before it fired (flaps)
    tta BIGINT GENERATED ALWAYS AS (CAST(ROUND(EXTRACT(EPOCH FROM (acked_at - fired_at))) AS BIGINT)) STORED,
    ttr BIGINT GENERATED ALWAYS AS (CAST(ROUND(EXTRACT(EPOCH FROM (resolved_at - fired_at))) AS BIGINT)) STORED,
    -- Seconds to resolve with no human entry at all (noise: resolved on its own).
    auto_s BIGINT GENERATED ALWAYS AS
        (CASE WHEN humans = 0 THEN CAST(ROUND(EXTRACT(EPOCH FROM (resolved_at - fired_at))) AS BIGINT) END) STORED
);
CREATE INDEX incidents_by_time ON incidents (fired_at);
CREATE INDEX incidents_by_alert ON incidents (alert_key, id);
CREATE INDEX incidents_by_tta ON incidents (tta, fired_at) INCLUDE (sev, source, service, name);
CREATE INDEX incidents_by_ttr ON incidents (ttr, fired_at) INCLUDE (sev, source, service, name);
CREATE INDEX incidents_by_sev_tta ON incidents (sev, tta, fired_at);
CREATE INDEX incidents_by_sev_ttr ON incidents (sev, ttr, fired_at);
CREATE INDEX incidents_by_service_tta ON incidents (service, tta, fired_at);
CREATE INDEX incidents_by_service_ttr ON incidents (service, ttr, fired_at);
CREATE INDEX incidents_by_name_auto ON incidents (name, service, auto_s, fired_at);

CREATE FUNCTION klaxon_incidents_entry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.kind = 'seen' THEN
        INSERT INTO incidents (id, alert_key, source, service, name, fired_at, sev, prev_resolved)
        SELECT NEW.id, NEW.alert_key, COALESCE(a.source, ''), COALESCE(a.service, ''), COALESCE(a.name, ''),
            NEW.at, COALESCE(NEW.level, 2),
            (SELECT MAX(x.at) FROM entries x
             WHERE x.kind = 'resolved' AND x.alert_key = NEW.alert_key AND x.id < NEW.id)
        FROM (SELECT 1) one LEFT JOIN alerts a ON a.key = NEW.alert_key;
    ELSIF NEW.kind IN ('acked', 'unacked', 'note', 'escalated', 'severity-set', 'closed', 'resolved',
                       'severity-changed') THEN
        UPDATE incidents SET
            acked_at = CASE WHEN NEW.kind = 'acked' AND (acked_at IS NULL OR NEW.at < acked_at)
                            THEN NEW.at ELSE acked_at END,
            resolved_at = CASE WHEN NEW.kind = 'resolved' AND (resolved_at IS NULL OR NEW.at < resolved_at)
                               THEN NEW.at ELSE resolved_at END,
            sev = CASE WHEN NEW.kind = 'severity-changed' AND NEW.level > sev THEN NEW.level ELSE sev END,
            escalations = escalations + CASE WHEN NEW.kind = 'escalated' THEN 1 ELSE 0 END,
            humans = humans + CASE WHEN NEW.kind IN ('acked', 'unacked', 'note', 'escalated', 'severity-set',
                                                     'closed') THEN 1 ELSE 0 END
        WHERE id = (SELECT MAX(i.id) FROM incidents i WHERE i.alert_key = NEW.alert_key AND i.id < NEW.id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER incidents_entry AFTER INSERT ON entries
    FOR EACH ROW EXECUTE FUNCTION klaxon_incidents_entry();

-- The alert's source, service and name as they are now, as the reports always used them.
CREATE FUNCTION klaxon_incidents_alert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE incidents SET source = NEW.source, service = COALESCE(NEW.service, ''), name = COALESCE(NEW.name, '')
    WHERE alert_key = NEW.key;
    RETURN NULL;
END $$;
CREATE TRIGGER incidents_alert_new AFTER INSERT ON alerts
    FOR EACH ROW EXECUTE FUNCTION klaxon_incidents_alert();
CREATE TRIGGER incidents_alert_changed AFTER UPDATE ON alerts
    FOR EACH ROW WHEN (NEW.source IS DISTINCT FROM OLD.source OR NEW.service IS DISTINCT FROM OLD.service
                       OR NEW.name IS DISTINCT FROM OLD.name)
    EXECUTE FUNCTION klaxon_incidents_alert();
