"""`klaxon list --format json` against `curl` (fetching the same answer: the floor) and
`amtool alert query -o json` (the peer) on one real Alertmanager, in one run, interleaved:
wall time (spawn to reaped), CPU (user + system) and peak RSS (GNU time), median of RUNS each. Run through
benches/alertmanager.sh, which builds the release binary first."""

import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import am  # noqa: E402

RUNS = int(os.environ.get("RUNS", "7"))
# PHASES=1: also where klaxon's wall time goes (KLAXON_PHASES marks, median of RUNS), beside curl.
PHASES = os.environ.get("PHASES") == "1"


def timed(cmd, env):
    """(wall s, cpu s, peak KiB) of one run, its output thrown away. Wall from spawn to reaped
    (GNU time's own has 10 ms steps); CPU and peak RSS from GNU time, a small process, because
    a child's rusage counts the pages it had as a fork of this (large) Python process."""
    start = time.monotonic()
    r = subprocess.run(["/usr/bin/time", "-f", "%x %U %S %M", *cmd], env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    wall = time.monotonic() - start
    code, user, system, rss = r.stderr.strip().splitlines()[-1].split()
    if code != "0":
        raise SystemExit(f"{cmd[0]} exited {code}: {r.stderr.strip()}")
    return wall, float(user) + float(system), int(rss)


def phases(cmd, env):
    """{mark: ms since start} of one run with KLAXON_PHASES on."""
    r = subprocess.run(cmd, env=dict(env, KLAXON_PHASES="1"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True)
    marks = {}
    for line in r.stderr.splitlines():
        if line.startswith("phase "):
            _, ms, what = line.split(None, 2)
            marks.setdefault(what, float(ms))
    return marks


def print_phases(n, cmd, env, curl, curl_cmd):
    runs = [phases(cmd, env) for _ in range(RUNS)]
    url = [a for a in curl_cmd if a.startswith("http")][0]
    ttfb = [subprocess.run(["curl", "-sf", "-o", "/dev/null", "-w", "%{time_starttransfer} %{time_total}", url],
                           capture_output=True, text=True, check=True).stdout.split() for _ in range(RUNS)]
    print(f"<!-- phases of `klaxon list --format json` at {n:,} (median of {RUNS}, ms since start); curl's wall "
          f"in the same run: {curl * 1000:.0f} ms; curl -w (median of {RUNS}): first byte "
          f"{am.median([float(a) for a, _ in ttfb]) * 1000:.0f} ms, last {am.median([float(b) for _, b in ttfb]) * 1000:.0f} ms"
          f" -->")
    for what in runs[0]:
        got = [r[what] for r in runs if what in r]
        print(f"<!--   {am.median(got):9.1f}  {what} -->")


def main(counts):
    print(f"<!-- benches/alertmanager.sh {' '.join(map(str, counts))}: load average before: {am.load_average()} -->")
    print(f"| alerts | command | wall time (median of {RUNS}) | CPU user+sys | peak memory | wall vs curl |")
    print("|---|---|---|---|---|---|")
    for n in counts:
        with tempfile.TemporaryDirectory() as work:
            server = am.Alertmanager(work)
            try:
                server.post(0, n)
                server.wait_for(n)
                env = am.klaxon_env(work, server)
                query = "active=true&silenced=true&inhibited=false&unprocessed=true"
                tools = {
                    "`klaxon list --format json`": [am.KLAXON, "list", "--format", "json"],
                    "`curl` GET of the same answer": ["curl", "-sf", "-o", "/dev/null", f"{server.url}/api/v2/alerts?{query}"],
                    "`amtool alert query -o json`": ["amtool", "alert", "query", "-o", "json",
                                                     f"--alertmanager.url={server.url}"],
                }
                first = timed(tools["`klaxon list --format json`"], env)  # records every alert as seen
                got = {name: [] for name in tools}
                # Each round starts with the next tool: the server's state after one request
                # (its garbage collection under way, say) would otherwise always fall on the
                # same tool's.
                names = list(tools)
                for r in range(RUNS):
                    for name in names[r % len(names):] + names[:r % len(names)]:
                        got[name].append(timed(tools[name], env))
                curl = am.median([w for w, _, _ in got["`curl` GET of the same answer"]])
                for name, runs in got.items():
                    wall = am.median([w for w, _, _ in runs])
                    cpu = am.median([c for _, c, _ in runs])
                    rss = am.median([m for _, _, m in runs]) / 1024
                    print(f"| {n:,} | {name} | {wall:.3f} s | {cpu:.2f} s | {rss:.0f} MiB | {wall / curl:.2f}x |")
                print(f"| {n:,} | klaxon, first run (records {n:,} new alerts) | {first[0]:.3f} s | {first[1]:.2f} s "
                      f"| {first[2] / 1024:.0f} MiB | {first[0] / curl:.2f}x |")
                if PHASES:
                    print_phases(n, tools["`klaxon list --format json`"], env, curl,
                                 tools["`curl` GET of the same answer"])
            finally:
                server.stop()
    print(f"<!-- load average after: {am.load_average()} -->")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10000, 50000])
