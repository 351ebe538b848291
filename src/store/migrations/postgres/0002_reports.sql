-- Reports aggregate in the database: firings and actions by kind and time; an incident's
-- acks, resolve and escalations by kind, alert and id (covering, so no table reads); and
-- the alert's service and name (alertname label, else title) as columns.
CREATE INDEX entries_by_kind_time ON entries (kind, at);
CREATE INDEX entries_by_kind_alert_id ON entries (kind, alert_key, id) INCLUDE (at, level);
DROP INDEX entries_by_kind;
ALTER TABLE alerts ADD COLUMN service TEXT GENERATED ALWAYS AS (last ->> 'service') STORED;
ALTER TABLE alerts ADD COLUMN name TEXT
    GENERATED ALWAYS AS (COALESCE(last -> 'labels' ->> 'alertname', title)) STORED;
CREATE INDEX alerts_by_service ON alerts (service);
