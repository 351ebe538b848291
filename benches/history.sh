#!/usr/bin/env bash
# `klaxon history --since 1d` on a SQLite store of 200,000 alerts resolved over a year (N=n to
# change), with the store's index on resolution time and, as the reference in the same run,
# on a copy of the store with that index dropped (what every store was before migration 9).
# Interleaved, median of 11 (RUNS=n); prints the README's table row and the load average.
#
#   bash benches/history.sh            KLAXON_BIN=path uses that binary and skips the build
#
# Needs python3 (its sqlite3 module). Everything is made in a temp dir and removed after.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${KLAXON_BIN:-}" ] || cargo build --release --locked --quiet --bin klaxon
exec python3 benches/history.py
