-- Reports aggregate in the database: firings and actions by kind and time, and the alert's
-- service and name (alertname label, else title) as columns to group and match on.
CREATE INDEX entries_by_kind_time ON entries (kind, at);
ALTER TABLE alerts ADD COLUMN service TEXT GENERATED ALWAYS AS (json_extract(last, '$.service')) VIRTUAL;
ALTER TABLE alerts ADD COLUMN name TEXT
    GENERATED ALWAYS AS (COALESCE(json_extract(last, '$.labels.alertname'), title)) VIRTUAL;
CREATE INDEX alerts_by_service ON alerts (service);
