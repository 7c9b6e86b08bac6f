#!/usr/bin/env bash
# Records the viewer and scale benchmarks into benches/results/, each result wrapped with the
# machine it ran on (CPU model, cores, memory, OS, kernel, tool versions), the command, the date
# and the load (`uptime`) before and after: the machine is shared, so the load belongs with the
# figure. Needs a release build (scripts/setup-common.sh: build_viewer, and
# `cargo build --release -p lucent-bench`), Xvfb and a keychain:
#   scripts/with-keyring.sh benches/results/record-viewer.sh [TARGET_DIR]
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
target=$(cd "${1:-${CARGO_TARGET_DIR:-$repo/target}}" && pwd)
out="$repo/benches/results"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export LUCENT_DATA_DIR="$work/data"
bin="$target/release"

"$bin/lucent-testdata" ct --slices 500 "$work/ct500" >/dev/null
"$bin/lucent-testdata" large "$work/dx" >/dev/null

# wrap NAME RESULT.json EXIT COMMAND LOAD_BEFORE: the result with its machine, command and date.
wrap() {
  python3 - "$@" <<'PY'
import json, os, platform, subprocess, sys
name, result, status, command, load_before = sys.argv[1:6]
def run(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip() or None
    except Exception:
        return None
def dpkg(pkg):
    return run("dpkg-query", "-W", "-f=${Version}", pkg)
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), None)
mem_kib = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal:"))
osr = dict(l.rstrip().split("=", 1) for l in open("/etc/os-release") if "=" in l)
doc = {
    "machine": {
        "cpu_model": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "os": osr.get("PRETTY_NAME", "").strip('"'),
        "kernel": platform.release(),
    },
    "tools": {
        "lucent_commit": run("git", "-C", os.environ["REPO"], "rev-parse", "HEAD"),
        "rustc": run("rustc", "--version"),
        "webkit2gtk": dpkg("libwebkit2gtk-4.1-0"),
        "xvfb": dpkg("xvfb"),
        "util_linux_fincore": run("fincore", "--version"),
    },
    "command": command,
    "exit_status": int(status),
    "date_utc": run("date", "-u", "+%Y-%m-%dT%H:%M:%SZ"),
    "uptime_before": load_before,
    "uptime_after": run("uptime"),
    "result": json.load(open(result)),
}
with open(os.path.join(os.environ["OUT"], name), "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
print(f"{name}: exit {status}")
PY
}
export REPO="$repo" OUT="$out"

inapp() { # NAME DIR
  local before status=0
  before=$(uptime)
  xvfb-run -a "$bin/lucent-viewer" --bench-scroll "$work/$1.raw.json" "$2" >"$work/$1.log" 2>&1 || status=$?
  wrap "$1.json" "$work/$1.raw.json" "$status" "xvfb-run -a lucent-viewer --bench-scroll OUT.json $3" "$before"
}
harness() { # NAME LABEL ARGS...
  local name=$1 label=$2 before status=0
  shift 2
  before=$(uptime)
  "$bin/lucent-bench" "$@" --json "$work/$name.raw.json" >/dev/null || status=$?
  wrap "$name.json" "$work/$name.raw.json" "$status" "lucent-bench $label" "$before"
}

inapp viewer-inapp-ct500 "$work/ct500" "CT500 (lucent-testdata ct --slices 500: 512x512)"
inapp viewer-inapp-dx4000x5000 "$work/dx" "DX (lucent-testdata large: 4000x5000)"
harness viewer-harness-ct500 "viewer CT500 (lucent-testdata ct --slices 500)" viewer "$work/ct500"
harness scale-harness "scale --slices 500,1000,3000 --cache-mb 256" scale --slices 500,1000,3000 --cache-mb 256
