-- What resolved since a time (`klaxon history`, the console's history view) is a range of
-- this index, newest first: without it every alert ever seen was read, `last` JSON and all
-- (138 ms for a day out of a year of 200,000 resolved alerts, 1.9 ms with it).
CREATE INDEX alerts_resolved ON alerts (resolved_at DESC, key) WHERE resolved_at IS NOT NULL;
