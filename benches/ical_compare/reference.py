"""Reference side of the klaxon iCalendar comparison: for each feed, sample instants and say
whether python `recurring-ical-events` finds an event that is active then (not cancelled, not
transparent, naming someone by SUMMARY or ATTENDEE). Floating and all-day times are read in
the zone the schedule would be configured with: X-WR-TIMEZONE when the feed names one, else UTC.
An event counts when start <= instant < end (one that takes no time covers no instant).
Writes one JSON object per feed on stdout."""
import datetime as dt, json, random, sys, zoneinfo
import icalendar, recurring_ical_events

UTC = dt.timezone.utc

def to_utc(v, tz):
    if isinstance(v, dt.datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=tz)
        return v.astimezone(UTC)
    return dt.datetime(v.year, v.month, v.day, tzinfo=tz).astimezone(UTC)

def counts(ev):
    if str(ev.get("STATUS", "")).upper() == "CANCELLED":
        return False
    if str(ev.get("TRANSP", "")).upper() == "TRANSPARENT":
        return False
    return bool(str(ev.get("SUMMARY", "")).strip()) or bool(ev.get("ATTENDEE"))

def covers(ev, t, tz):
    """start <= t < end: an event that takes no time puts nobody on call."""
    try:
        s = to_utc(ev.decoded("DTSTART"), tz)
        e = to_utc(ev.decoded("DTEND"), tz) if ev.get("DTEND") is not None else s
    except Exception:
        return True
    return s <= t < e

def main(paths):
    for path in paths:
        out = {"file": path, "samples": [], "error": None}
        try:
            cal = icalendar.Calendar.from_ical(open(path, "rb").read())
            zone = cal.get("X-WR-TIMEZONE")
            tz = zoneinfo.ZoneInfo(str(zone)) if zone else UTC
            out["time_zone"] = str(zone) if zone else "UTC"
            q = recurring_ical_events.of(cal, skip_bad_series=True)
            starts = []
            for ev in cal.walk("VEVENT"):
                if ev.get("DTSTART") is not None:
                    try:
                        starts.append(to_utc(ev.decoded("DTSTART"), tz))
                    except Exception:
                        pass
            if not starts:
                out["error"] = "no DTSTART"
                print(json.dumps(out)); continue
            rnd = random.Random(path)
            lo = min(starts) - dt.timedelta(days=1)
            hi = min(max(starts), lo + dt.timedelta(days=3 * 365)) + dt.timedelta(days=60)
            occ = []
            for ev in q.between(lo.astimezone(tz), hi.astimezone(tz)):
                try:
                    s = to_utc(ev.decoded("DTSTART"), tz)
                    e = to_utc(ev.decoded("DTEND"), tz) if ev.get("DTEND") is not None else s
                except Exception:
                    continue
                occ.append((s, e))
            occ.sort()
            picks = occ if len(occ) <= 8 else [occ[i * len(occ) // 8] for i in range(8)]
            instants = set()
            for s, e in picks:
                for t in (s - dt.timedelta(minutes=1), s + dt.timedelta(minutes=1), s + (e - s) / 2,
                          e - dt.timedelta(minutes=1), e + dt.timedelta(minutes=1)):
                    instants.add(t.replace(microsecond=0))
            span = (hi - lo).total_seconds()
            for _ in range(6):
                instants.add((lo + dt.timedelta(seconds=rnd.uniform(0, span))).replace(microsecond=0))
            for t in sorted(instants):
                found = [ev for ev in q.between(t, t + dt.timedelta(seconds=1)) if counts(ev) and covers(ev, t, tz)]
                out["samples"].append([t.strftime("%Y-%m-%dT%H:%M:%SZ"), bool(found)])
        except Exception as e:
            out["error"] = f"{type(e).__name__}: {e}"[:200]
        print(json.dumps(out), flush=True)

if __name__ == "__main__":
    main(sys.argv[1:])
