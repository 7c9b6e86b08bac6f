#!/usr/bin/env bash
# Coverage-guided fuzzing of the header reader, the index, DICOMDIR resolution and frame decode
# per codec (cargo-fuzz / libFuzzer with AddressSanitizer; targets in fuzz/), seeded by
# `lucent-testdata fuzz-seeds` from the generated phantoms and the fetched pydicom files.
#   scripts/fuzz.sh [--seconds N] [--jobs J] [--fresh] [TARGET...]
#       (default: every target, 60 s each; the corpus grows in $target/fuzz-corpus/TARGET
#       across runs; --fresh starts from the seeds alone, as CI does, so a run is reproducible)
# Prints executions, findings and a result per target. Exits 1 when any target found a crash,
# leak, timeout or out-of-memory (the reproducer is in $target/fuzz-artifacts/TARGET/), and also
# when a target did not run as it should: its binary is missing (e.g. a misspelt target), it ran
# 0 executions, or it ended otherwise than at the end of -max_total_time (exit 0 and libFuzzer's
# "Done N runs" line) or with a finding (another exit code, a signal, no summary). The reason is
# printed. Exits 2 when the fuzz targets do not build (the build log is printed). Needs cargo-fuzz
# (the test command installs it); builds on the stable toolchain with RUSTC_BOOTSTRAP=1
# (cargo-fuzz passes -Z flags).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
seconds=60
jobs=2
targets=()
fresh=0
while [ $# -gt 0 ]; do
    case "$1" in
        --fresh) fresh=1; shift ;;
        --seconds) seconds=$2; shift 2 ;;
        --jobs) jobs=$2; shift 2 ;;
        *) targets+=("$1"); shift ;;
    esac
done
# libFuzzer reads -max_total_time=0 as "no limit": a run must have a positive length.
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
    echo "scripts/fuzz.sh: --seconds must be a whole number ≥ 1 (got '$seconds')" >&2
    exit 2
fi
[ ${#targets[@]} -eq 0 ] && targets=(header index dicomdir decode_rle decode_jpeg decode_jpegls decode_j2k decode_deflate)
target=${CARGO_TARGET_DIR:-$repo/target}
export CARGO_TARGET_DIR=$target/fuzz-build
export RUSTC_BOOTSTRAP=1
test-data/fetch.sh >/dev/null
cargo build --quiet -p lucent-testdata --manifest-path "$repo/Cargo.toml" --target-dir "$target"
seeds=$target/fuzz-seeds
rm -rf "$seeds"
"$target/debug/lucent-testdata" fuzz-seeds "$seeds" --from test-data/cache/pydicom-3.0.1/data >/dev/null
if ! (cd fuzz && cargo fuzz build -O >/dev/null 2>"$target/fuzz-build.log"); then
    cat "$target/fuzz-build.log" >&2
    echo "FAIL: the fuzz targets do not build (cargo fuzz build -O; log above)" >&2
    exit 2
fi
bin=$CARGO_TARGET_DIR/x86_64-unknown-linux-gnu/release
mkdir -p "$target/fuzz-logs"
run_one() {
    local t=$1
    local corpus=$target/fuzz-corpus/$t artifacts=$target/fuzz-artifacts/$t/
    rm -rf "$artifacts"
    [ "$fresh" = 1 ] && rm -rf "$corpus"
    mkdir -p "$corpus" "$artifacts"
    local rc=0
    # The exit codes are set explicitly so that the classification below does not rely on
    # libFuzzer's defaults.
    "$bin/$t" "$corpus" "$seeds/$t" -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=15 \
        -max_len=1048576 -report_slow_units=15 -artifact_prefix="$artifacts" -print_final_stats=1 \
        -error_exitcode=77 -timeout_exitcode=70 >"$target/fuzz-logs/$t.log" 2>&1 || rc=$?
    echo "$rc" >"$target/fuzz-logs/$t.exit"
}
running=0
for t in "${targets[@]}"; do
    rm -f "$target/fuzz-logs/$t.log" "$target/fuzz-logs/$t.exit"
    # A target without a binary (misspelt, or missing from fuzz/Cargo.toml) is reported below.
    [ -x "$bin/$t" ] || continue
    run_one "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then wait -n || true; running=$((running - 1)); fi
done
wait || true
status=0
printf '%-15s %12s %10s %8s %8s %10s  %s\n' target executions exec/s cover findings slow-units result
for t in "${targets[@]}"; do
    log=$target/fuzz-logs/$t.log
    if [ ! -x "$bin/$t" ]; then
        printf '%-15s %12s %10s %8s %8s %10s  %s\n' "$t" - - - - - "FAIL: no fuzz binary $bin/$t (not a target in fuzz/Cargo.toml?)"
        status=1
        continue
    fi
    rc=$(cat "$target/fuzz-logs/$t.exit" 2>/dev/null || echo none)
    runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo 0)
    speed=$(grep -Eo 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo 0)
    cover=$(grep -Eo 'cov: [0-9]+' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
    # crash-, leak-, timeout- and oom- artifacts are findings; slow-unit- ones (over 15 s with
    # AddressSanitizer) are reported but do not fail the run.
    findings=$(find "$target/fuzz-artifacts/$t" -type f ! -name 'slow-unit-*' | wc -l)
    slow=$(find "$target/fuzz-artifacts/$t" -type f -name 'slow-unit-*' | wc -l)
    if [ "$findings" -gt 0 ] || grep -q 'ERROR: libFuzzer\|ERROR: AddressSanitizer\|panicked' "$log"; then
        result="FAIL: finding (exit $rc); reproducer in $target/fuzz-artifacts/$t/"
    elif [ "$rc" != 0 ]; then
        result="FAIL: unexpected exit $rc without a finding (see $log)"
    elif ! grep -Eq '^Done [0-9]+ runs in [0-9]+ second' "$log"; then
        result="FAIL: exit 0 without libFuzzer's 'Done N runs' summary (see $log)"
    elif [ "$runs" -eq 0 ]; then
        result="FAIL: 0 executions (see $log)"
    else
        result=ok
    fi
    printf '%-15s %12s %10s %8s %8s %10s  %s\n' "$t" "$runs" "$speed" "$cover" "$findings" "$slow" "$result"
    if [ "$result" != ok ]; then
        status=1
        grep -m3 -E 'ERROR|panicked' "$log" >&2 || true
    fi
done
exit $status
