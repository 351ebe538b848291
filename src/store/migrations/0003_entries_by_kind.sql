-- Ownership folds only the timelines someone acted on: find those without a full scan.
CREATE INDEX entries_by_kind ON entries (kind, alert_key);
