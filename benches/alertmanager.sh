#!/usr/bin/env bash
# klaxon list --format json against curl (the floor: the server's answer fetched) and amtool
# (the peer) on the same real Alertmanager, in one run, interleaved: wall time, CPU and peak
# memory, median of 7 (RUNS=n to change). Prints the README's table rows and the load average.
#
#   bash benches/alertmanager.sh [N ...]        default: 10000 50000
#   RUNS=n (default 7); PHASES=1 adds where klaxon's wall time goes (KLAXON_PHASES marks) beside
#   curl's first and last byte; KLAXON_BIN=path uses that binary and skips the build.
#
# Needs Debian's prometheus-alertmanager (amtool comes with it), curl, GNU time, python3.
# Everything runs on 127.0.0.1 in a temp dir; the Alertmanager is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${KLAXON_BIN:-}" ] || cargo build --release --locked --quiet --bin klaxon
exec python3 benches/list.py "$@"
