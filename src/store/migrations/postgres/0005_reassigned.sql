-- A reassignment is a person's action: the incident counts it among its human touches.
CREATE OR REPLACE FUNCTION klaxon_incidents_entry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.kind = 'seen' THEN
        INSERT INTO incidents (id, alert_key, source, service, name, fired_at, sev, prev_resolved)
        SELECT NEW.id, NEW.alert_key, COALESCE(a.source, ''), COALESCE(a.service, ''), COALESCE(a.name, ''),
            NEW.at, COALESCE(NEW.level, 2),
            (SELECT MAX(x.at) FROM entries x
             WHERE x.kind = 'resolved' AND x.alert_key = NEW.alert_key AND x.id < NEW.id)
        FROM (SELECT 1) one LEFT JOIN alerts a ON a.key = NEW.alert_key;
    ELSIF NEW.kind IN ('acked', 'unacked', 'note', 'escalated', 'severity-set', 'closed', 'reassigned',
                       'resolved', 'severity-changed') THEN
        UPDATE incidents SET
            acked_at = CASE WHEN NEW.kind = 'acked' AND (acked_at IS NULL OR NEW.at < acked_at)
                            THEN NEW.at ELSE acked_at END,
            resolved_at = CASE WHEN NEW.kind = 'resolved' AND (resolved_at IS NULL OR NEW.at < resolved_at)
                               THEN NEW.at ELSE resolved_at END,
            sev = CASE WHEN NEW.kind = 'severity-changed' AND NEW.level > sev THEN NEW.level ELSE sev END,
            escalations = escalations + CASE WHEN NEW.kind = 'escalated' THEN 1 ELSE 0 END,
            humans = humans + CASE WHEN NEW.kind IN ('acked', 'unacked', 'note', 'escalated', 'severity-set',
                                                     'closed', 'reassigned') THEN 1 ELSE 0 END
        WHERE id = (SELECT MAX(i.id) FROM incidents i WHERE i.alert_key = NEW.alert_key AND i.id < NEW.id);
    END IF;
    RETURN NULL;
END $$;
