-- What resolved since a time (`klaxon history`, the console's history view) is a range of
-- this index, newest first, instead of a scan of every alert ever seen.
CREATE INDEX alerts_resolved ON alerts (resolved_at DESC, key) WHERE resolved_at IS NOT NULL;
