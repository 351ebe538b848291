#!/usr/bin/env bash
# A storm while the console runs: N new alerts (default 100,000) are posted, 1,000 a batch,
# to a real Alertmanager (Debian's prometheus-alertmanager) that the release console in
# tmux polls every 2 s. Prints the time from the first post to the list showing all N, the
# console's peak memory (VmHWM) and CPU seconds, whether `q` still quits, and, measured in
# the same run as the reference, how long a plain `curl` GET of the same N alerts from
# Alertmanager takes (the floor: the server's own answer).
#
#   bash benches/storm.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}
cargo build --release --quiet
bin=$PWD/target/release/klaxon
dir=$(mktemp -d)
sock="klaxon-storm-$$"
cleanup() {
  tmux -L "$sock" kill-server 2>/dev/null || true
  [ -n "${am_pid:-}" ] && kill "$am_pid" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'route:\n  receiver: "null"\nreceivers:\n  - name: "null"\n' >"$dir/am.yml"
prometheus-alertmanager --config.file="$dir/am.yml" --storage.path="$dir/am" \
  --web.listen-address="127.0.0.1:$port" --cluster.listen-address= >"$dir/am.log" 2>&1 &
am_pid=$!
until curl -sf "127.0.0.1:$port/-/ready" >/dev/null; do sleep 0.1; done
mkdir -p "$dir/config/klaxon"
cat >"$dir/config/klaxon/klaxon.toml" <<EOF
[[sources]]
name = "prod"
kind = "alertmanager"
url = "http://127.0.0.1:$port"
interval = "2s"
timeout = "60s"
max_bytes = 500000000

[notify]
desktop = false
EOF
env_vars="HOME=$dir XDG_CONFIG_HOME=$dir/config XDG_DATA_HOME=$dir/data XDG_CACHE_HOME=$dir/cache"
tmux -L "$sock" -f /dev/null new-session -d -x 120 -y 40 "sh -c 'echo \$\$ > $dir/pid; exec env $env_vars $bin'"
until tmux -L "$sock" capture-pane -p | grep -q "All quiet"; do sleep 0.2; done
pid=$(cat "$dir/pid")

start=$(date +%s.%N)
python3 - "$port" "$n" <<'EOF'
import json, sys, urllib.request
port, n = sys.argv[1], int(sys.argv[2])
for first in range(0, n, 1000):
    batch = [{"labels": {"alertname": f"Storm{i}", "severity": "warning", "instance": f"h{i}"}}
             for i in range(first, min(n, first + 1000))]
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v2/alerts", data=json.dumps(batch).encode(),
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req).read()
EOF
posted=$(date +%s.%N)
until tmux -L "$sock" capture-pane -p | grep -q "Alerts $n/$n"; do sleep 0.1; done
shown=$(date +%s.%N)
sleep 5 # the store records the storm meanwhile; memory and CPU include it
peak=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
ticks=$(awk '{print $14 + $15}' "/proc/$pid/stat")
cpu=$(echo "scale=1; $ticks / $(getconf CLK_TCK)" | bc)
tmux -L "$sock" send-keys G q
quit_start=$(date +%s.%N)
while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
quit=$(echo "$(date +%s.%N) - $quit_start" | bc)
ref_start=$(date +%s.%N)
curl -sf "127.0.0.1:$port/api/v2/alerts" -o /dev/null
ref=$(echo "$(date +%s.%N) - $ref_start" | bc)
printf 'alerts %d: posted in %.1f s; all %d listed %.1f s after the first post\n' "$n" "$(echo "$posted - $start" | bc)" "$n" "$(echo "$shown - $start" | bc)"
printf 'console: peak RSS %d MiB, CPU %s s, q quit in %.2f s\n' $((peak / 1024)) "$cpu" "$quit"
printf 'reference: curl GET of the %d alerts from Alertmanager: %.2f s\n' "$n" "$ref"
