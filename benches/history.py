"""See history.sh. The store is made by klaxon itself (its migrations), then filled with resolved
alerts shaped as klaxon writes them; the reference copy differs only by the dropped index."""

import datetime
import json
import os
import random
import shutil
import sqlite3
import subprocess
import tempfile
import time

import am

N = int(os.environ.get("N", "200000"))
RUNS = int(os.environ.get("RUNS", "11"))


def fill(db, now):
    random.seed(1)
    conn = sqlite3.connect(db)
    rows = []
    for i in range(N):
        at = (now - datetime.timedelta(minutes=random.randint(0, 365 * 24 * 60))).strftime("%Y-%m-%dT%H:%M:%S.000000Z")
        key = f"prod/{i:016x}"
        title = f"HostDown: host-{i} is down"
        last = {"key": key, "title": title, "severity": "high", "status": "resolved", "started_at": at,
                "updated_at": at, "labels": {"alertname": "HostDown", "instance": f"host-{i}:9100", "job": "node",
                                             "severity": "critical", "service": f"svc-{i % 40}"},
                "annotations": {"summary": f"host-{i} is down", "description": "d" * 600, "runbook_url": "host-down"},
                "host": f"host-{i}:9100", "service": f"svc-{i % 40}"}
        rows.append((key, "prod", title, "high", at, at, at, json.dumps(last)))
    conn.executemany("INSERT INTO alerts (key, source, title, severity, first_seen, changed_at, resolved_at, last) "
                     "VALUES (?,?,?,?,?,?,?,?)", rows)
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def main():
    print(f"<!-- benches/history.sh: load average before: {am.load_average()} -->")
    with tempfile.TemporaryDirectory() as work:
        homes = {}
        for name in ("indexed", "scanned"):
            home = os.path.join(work, name)
            os.makedirs(os.path.join(home, "data"))
            homes[name] = dict(os.environ, XDG_DATA_HOME=os.path.join(home, "data"),
                               XDG_CACHE_HOME=os.path.join(home, "cache"), XDG_CONFIG_HOME=os.path.join(home, "config"))
        config = os.path.join(work, "klaxon.toml")
        with open(config, "w") as f:
            f.write('[[sources]]\nname = "prod"\nkind = "demo"\n')
        cmd = [am.KLAXON, "--config", config, "history", "--since", "1d", "--format", "json"]
        # klaxon makes the schema; then the year of resolved alerts goes in.
        subprocess.run(cmd, env=homes["indexed"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        db = os.path.join(homes["indexed"]["XDG_DATA_HOME"], "klaxon", "klaxon.db")
        fill(db, datetime.datetime.now(datetime.timezone.utc))
        copy = os.path.join(homes["scanned"]["XDG_DATA_HOME"], "klaxon")
        shutil.copytree(os.path.dirname(db), copy)
        with sqlite3.connect(os.path.join(copy, "klaxon.db")) as c:
            c.execute("DROP INDEX alerts_resolved")
        walls = {"indexed": [], "scanned": []}
        rows = {}
        for _ in range(RUNS):
            for name in walls:
                t = time.perf_counter()
                r = subprocess.run(cmd, env=homes[name], check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
                walls[name].append(time.perf_counter() - t)
                rows[name] = len(json.loads(r.stdout))
        assert rows["indexed"] == rows["scanned"], rows
        med = {k: am.median(v) * 1000 for k, v in walls.items()}
        print("| command | what | result | reference (index dropped) | ratio |")
        print("|---|---|---|---|---|")
        print(f"| `bash benches/history.sh` | `klaxon history --since 1d` on {N:,} alerts resolved over a year "
              f"({rows['indexed']} rows), median of {RUNS} | {med['indexed']:.1f} ms | {med['scanned']:.1f} ms | "
              f"{med['indexed'] / med['scanned']:.2f}x |")
    print(f"<!-- load average after: {am.load_average()} -->")


if __name__ == "__main__":
    main()
