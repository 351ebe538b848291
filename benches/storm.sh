#!/usr/bin/env bash
# A storm while the console runs, once with the SQLite store and once with PostgreSQL: N new
# alerts (default 100,000) are posted, 1,000 a batch, to a real Alertmanager (Debian's
# prometheus-alertmanager) that the release console in tmux polls every 2 s. For each store it
# prints, as the README's table rows: the time from the first post to the list showing all N,
# the console's peak memory (VmHWM) and CPU seconds (and, on PostgreSQL, the server's CPU
# seconds over the same time: the triggers run there), how long `G` then `q` take to end it,
# and, measured in the same run as the reference, how long a plain `curl` GET of the same N
# alerts takes (the floor: the server's own answer).
#
#   bash benches/storm.sh [N] [sqlite|postgres ...]      default: 100000 sqlite postgres
#   KLAXON_BIN=path uses that binary and skips the build.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}
shift || true
backends=("$@")
[ $# -gt 0 ] || backends=(sqlite postgres)
[ -n "${KLAXON_BIN:-}" ] || cargo build --release --locked --quiet --bin klaxon
bin=${KLAXON_BIN:-$PWD/target/release/klaxon}
top=$(mktemp -d)
chmod 755 "$top"
sock="klaxon-storm-$$"
am_pid="" pg_pid=""
cleanup() {
  tmux -L "$sock" kill-server 2>/dev/null || true
  [ -n "$am_pid" ] && kill "$am_pid" 2>/dev/null || true
  [ -n "$pg_pid" ] && kill "$pg_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$top"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
cpu_of() { # CPU seconds (user + system) of the given pids and of their children that ended
  local t=0 p
  for p in "$@"; do [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15 + $16 + $17}' "/proc/$p/stat"))); done
  echo "scale=2; $t / $(getconf CLK_TCK)" | bc
}
pg_pids() { echo "$pg_pid" $(pgrep -P "$pg_pid" || true); }

# PostgreSQL as tests/suite/common/postgres.rs starts it (its own cluster on a free port; as
# nobody when run as root), with fsync on.
start_postgres() {
  local pgbin as=()
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
  mkdir -p "$dir/pg"
  if [ "$(id -u)" = 0 ]; then
    chown 65534:65534 "$dir/pg"
    as=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
  fi
  "${as[@]}" "$pgbin/initdb" -D "$dir/pg/data" -U postgres --auth=trust -E UTF8 --no-sync --no-instructions >/dev/null
  pg_port=$(free_port)
  "${as[@]}" "$pgbin/postgres" -D "$dir/pg/data" -p "$pg_port" -k "$dir/pg" -c listen_addresses=127.0.0.1 \
    >/dev/null 2>&1 &
  pg_pid=$!
  until psql -h 127.0.0.1 -p "$pg_port" -U postgres -Atc 'SELECT 1' postgres >/dev/null 2>&1; do sleep 0.2; done
  psql -h 127.0.0.1 -p "$pg_port" -U postgres -qc 'CREATE DATABASE klaxon' postgres
}

post_storm() {
  python3 - "$port" "$n" <<'PY'
import json, sys, urllib.request
port, n = sys.argv[1], int(sys.argv[2])
for first in range(0, n, 1000):
    batch = [{"labels": {"alertname": f"Storm{i}", "severity": "warning", "instance": f"h{i}"}}
             for i in range(first, min(n, first + 1000))]
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v2/alerts", data=json.dumps(batch).encode(),
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req).read()
PY
}

echo "<!-- benches/storm.sh $n ${backends[*]}: load average before: $(cut -d' ' -f1-3 /proc/loadavg) -->"
echo "| command | what | result |"
echo "|---|---|---|"
for backend in "${backends[@]}"; do
  dir="$top/$backend"
  mkdir -p "$dir/config/klaxon"
  chmod 755 "$dir"
  port=$(free_port)
  printf 'route:\n  receiver: "null"\nreceivers:\n  - name: "null"\n' >"$dir/am.yml"
  prometheus-alertmanager --config.file="$dir/am.yml" --storage.path="$dir/am" \
    --web.listen-address="127.0.0.1:$port" --cluster.listen-address= >/dev/null 2>&1 &
  am_pid=$!
  until curl -sf "127.0.0.1:$port/-/ready" >/dev/null; do sleep 0.1; done
  env_vars="HOME=$dir XDG_CONFIG_HOME=$dir/config XDG_DATA_HOME=$dir/data XDG_CACHE_HOME=$dir/cache"
  : >"$dir/config/klaxon/klaxon.toml"
  if [ "$backend" = postgres ]; then
    start_postgres
    printf '[store]\nbackend = "postgres"\nurl_env = "KLAXON_DATABASE_URL"\n\n' >"$dir/config/klaxon/klaxon.toml"
    env_vars="$env_vars KLAXON_DATABASE_URL=postgresql://postgres@127.0.0.1:$pg_port/klaxon?sslmode=disable"
  fi
  printf '[[sources]]\nname = "prod"\nkind = "alertmanager"\nurl = "http://127.0.0.1:%s"\ninterval = "2s"\n' "$port" \
    >>"$dir/config/klaxon/klaxon.toml"
  printf 'timeout = "60s"\nmax_bytes = 500000000\n\n[notify]\ndesktop = false\n' >>"$dir/config/klaxon/klaxon.toml"
  tmux -L "$sock" -f /dev/null new-session -d -x 120 -y 40 "sh -c 'echo \$\$ > $dir/pid; exec env $env_vars $bin'"
  until tmux -L "$sock" capture-pane -p | grep -q "All quiet"; do sleep 0.2; done
  pid=$(cat "$dir/pid")
  cpu0=$(cpu_of "$pid")
  pg0=0
  [ -n "$pg_pid" ] && pg0=$(cpu_of $(pg_pids))

  start=$(date +%s.%N)
  post_storm
  until tmux -L "$sock" capture-pane -p | grep -q "Alerts $n/$n"; do sleep 0.1; done
  shown=$(date +%s.%N)
  sleep 5 # the store records the storm meanwhile; memory and CPU include it
  peak=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  cpu=$(echo "$(cpu_of "$pid") - $cpu0" | bc)
  tmux -L "$sock" send-keys G q
  quit_start=$(date +%s.%N)
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  quit=$(echo "$(date +%s.%N) - $quit_start" | bc)
  pg_cpu=""
  [ -n "$pg_pid" ] && pg_cpu=$(echo "$(cpu_of $(pg_pids)) - $pg0" | bc)
  ref_start=$(date +%s.%N)
  curl -sf "127.0.0.1:$port/api/v2/alerts" -o /dev/null
  ref=$(echo "$(date +%s.%N) - $ref_start" | bc)
  printf '| `bash benches/storm.sh %d %s` | first post → the list shows all %d | %.1f s |\n' "$n" "$backend" "$n" \
    "$(echo "$shown - $start" | bc)"
  printf '| | reference, same run: `curl` GET of the %d alerts from Alertmanager | %.2f s |\n' "$n" "$ref"
  printf "| | the console's peak RSS (VmHWM), store recording included | %d MiB |\n" $((peak / 1024))
  printf "| | the console's CPU time over the storm (until 5 s after all are listed) | **%.1f s** |\n" "$cpu"
  [ -n "$pg_cpu" ] && printf "| | PostgreSQL's CPU time, the same storm until the console is gone (the triggers run there) | %.1f s |\n" "$pg_cpu"
  printf '| | `G` then `q` → process gone | %.2f s |\n' "$quit"
  kill "$am_pid"
  wait "$am_pid" 2>/dev/null || true
  am_pid=""
  if [ -n "$pg_pid" ]; then
    kill "$pg_pid"
    wait "$pg_pid" 2>/dev/null || true
    pg_pid=""
  fi
done
echo "<!-- load average after: $(cut -d' ' -f1-3 /proc/loadavg) -->"
