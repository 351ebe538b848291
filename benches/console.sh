#!/usr/bin/env bash
# The console's start-up, key-to-frame latency during a storm and idle wake-ups, through a
# pseudo-terminal harness (benches/console.py) on a real Alertmanager with 50,000 alerts.
# Prints the README's table rows and the load average. ALERTS, STARTS, KEYS, IDLE change
# the sizes (defaults 50000, 20, 200, 60); PARTS picks the parts (default start,idle,keys;
# ONLY=start is PARTS=start).
#
#   bash benches/console.sh
#   PARTS=idle,keys bash benches/console.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet --bin klaxon
exec python3 benches/console.py
