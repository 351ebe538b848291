-- The incidents of a database written before incidents were kept, derived from its entries
-- the way the triggers of 0003 keep them (tests/suite/reports.rs checks that the two agree).
INSERT INTO incidents (id, alert_key, source, service, name, fired_at, sev, acked_at, resolved_at, escalations,
                       humans, prev_resolved)
WITH fired AS (
    SELECT e.id, e.alert_key, e.at, COALESCE(e.level, 2) AS level,
        COALESCE((SELECT MIN(n.id) FROM entries n WHERE n.kind = 'seen' AND n.alert_key = e.alert_key
                    AND n.id > e.id), 9223372036854775807) AS next_id
    FROM entries e WHERE e.kind = 'seen'
),
x AS (
    SELECT f.id, f.alert_key, f.at AS fired_at, f.level,
        MAX(CASE WHEN x.kind = 'severity-changed' THEN x.level END) AS raised,
        MIN(CASE WHEN x.kind = 'acked' THEN x.at END) AS acked_at,
        MIN(CASE WHEN x.kind = 'resolved' THEN x.at END) AS resolved_at,
        COUNT(CASE WHEN x.kind = 'escalated' THEN 1 END) AS escalations,
        COUNT(CASE WHEN x.kind IN ('acked', 'unacked', 'note', 'escalated', 'severity-set', 'closed') THEN 1 END)
            AS humans
    FROM fired f LEFT JOIN entries x ON x.alert_key = f.alert_key AND x.id > f.id AND x.id < f.next_id
    GROUP BY f.id, f.alert_key, f.at, f.level
)
SELECT x.id, x.alert_key, COALESCE(a.source, ''), COALESCE(a.service, ''), COALESCE(a.name, ''), x.fired_at,
    CASE WHEN x.raised > x.level THEN x.raised ELSE x.level END, x.acked_at, x.resolved_at, x.escalations, x.humans,
    (SELECT MAX(r.at) FROM entries r WHERE r.kind = 'resolved' AND r.alert_key = x.alert_key AND r.id < x.id)
FROM x LEFT JOIN alerts a ON a.key = x.alert_key;
