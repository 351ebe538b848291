-- A reassignment is a person's action: the incident counts it among its human touches.
DROP TRIGGER incidents_follow;
CREATE TRIGGER incidents_follow AFTER INSERT ON entries
WHEN new.kind IN ('acked', 'unacked', 'note', 'escalated', 'severity-set', 'closed', 'reassigned', 'resolved',
                   'severity-changed')
BEGIN
    UPDATE incidents SET
        acked_at = CASE WHEN new.kind = 'acked' AND (acked_at IS NULL OR new.at < acked_at)
                        THEN new.at ELSE acked_at END,
        resolved_at = CASE WHEN new.kind = 'resolved' AND (resolved_at IS NULL OR new.at < resolved_at)
                           THEN new.at ELSE resolved_at END,
        sev = CASE WHEN new.kind = 'severity-changed' AND new.level > sev THEN new.level ELSE sev END,
        escalations = escalations + (new.kind = 'escalated'),
        humans = humans + (new.kind IN ('acked', 'unacked', 'note', 'escalated', 'severity-set', 'closed',
                                  'reassigned'))
    WHERE id = (SELECT MAX(i.id) FROM incidents i WHERE i.alert_key = new.alert_key AND i.id < new.id);
END;
