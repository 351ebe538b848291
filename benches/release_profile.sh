#!/usr/bin/env bash
# The release profile's effect: binary size and start-up time of two builds of the same source,
# the default release profile ("before") and Cargo.toml's tuned one ("after": thin LTO, one
# codegen unit, stripped). Start-up is timed on `--version` (process start, no config) and on
# `check-config` of the embedded default (start, config read and validated), interleaved,
# median of 51 runs each. Prints README rows.
#   bash benches/release_profile.sh            # builds both into target/profile-{before,after}
#   bash benches/release_profile.sh BEFORE AFTER   # two binaries already built
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -eq 2 ]; then
  before=$1 after=$2
else
  CARGO_TARGET_DIR=target/profile-after cargo build --release --locked --bin klaxon
  CARGO_TARGET_DIR=target/profile-before CARGO_PROFILE_RELEASE_LTO=false \
    CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_STRIP=none \
    cargo build --release --locked --bin klaxon
  before=target/profile-before/release/klaxon after=target/profile-after/release/klaxon
fi
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
python3 - "$before" "$after" "$home" <<'PY'
import os, statistics, subprocess, sys, time
before, after, home = sys.argv[1:4]
env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=f"{home}/c", XDG_DATA_HOME=f"{home}/d",
           XDG_STATE_HOME=f"{home}/s", XDG_CACHE_HOME=f"{home}/k")
def run(binary, args):
    t = time.perf_counter()
    subprocess.run([binary, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - t) * 1000
load = open("/proc/loadavg").read().split()[0]
for args in (["--version"], ["check-config"]):
    times = {before: [], after: []}
    for _ in range(51):
        for b in (before, after):
            times[b].append(run(b, args))
    b, a = statistics.median(times[before]), statistics.median(times[after])
    print(f"| start-up, `klaxon {' '.join(args)}` (median of 51, load {load}) | {a:.1f} ms | before: {b:.1f} ms | {a / b:.2f}x |")
sb, sa = os.path.getsize(before), os.path.getsize(after)
print(f"| binary size | {sa / 2**20:.1f} MiB | before: {sb / 2**20:.1f} MiB | {sa / sb:.2f}x |")
PY
