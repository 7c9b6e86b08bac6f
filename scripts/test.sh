#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, dependency policy, fetched test data,
# unit/integration/CLI tests, the hostile-input run, the smoke fuzz and the E2E run. Installs what
# it needs first (idempotent; a failed install stops the script, since nothing after it can run).
#
# Every step then runs even when an earlier one failed (each in its own subshell with `set -e`, so
# a step stops at its own first error, never the suite; cargo test runs every test binary even
# after one fails, --no-fail-fast), its output is kept in
# $TMPDIR/lucent-test-logs/STEP.log, and the end prints a table (step, ok/FAILED, seconds) and the
# line `lucent: N passed, N failed`, always (also after a failed install). N counts tests, read
# from each runner's own summary line (cargo's `test result:`, vitest's `Tests`, the E2E script's
# `e2e:`); a step that failed without reporting a failed test (fmt, clippy, a build, the
# hostile-input run, the fuzz run, a test binary that did not compile) counts as one failure, so
# the line never says 0 failed when a step failed. Exit status: 1 if any step failed, else 0.
source "$(dirname "$0")/setup-common.sh"
logs=${TMPDIR:-/tmp}/lucent-test-logs
steps=()    # "name|ok or FAILED|seconds|log"
summary_printed=0

# Tests passed and failed in one log, from the runner's summary lines: "P F".
count_tests() {
  local log=$1
  [ -f "$log" ] || { echo "0 0"; return; }
  sed 's/\x1b\[[0-9;]*m//g' "$log" | awk '
    /^test result: / {
      for (i = 1; i <= NF; i++) {
        if ($(i + 1) ~ /^passed;?$/) p += $i
        if ($(i + 1) ~ /^failed;?$/) f += $i
      }
    }
    /^ *Tests +[0-9]/ {
      for (i = 1; i <= NF; i++) {
        if ($(i + 1) ~ /^passed/) p += $i
        if ($(i + 1) ~ /^failed/) f += $i
      }
    }
    /^e2e: [0-9]+ passed, [0-9]+ failed$/ { p += $2; f += $4 }
    END { print p + 0, f + 0 }'
}

summary() {
  [ "$summary_printed" = 1 ] && return
  summary_printed=1
  local passed=0 failed=0 any_failed=0 entry name result seconds log p f
  printf '\n%-66s %-7s %8s\n' step result seconds
  for entry in "${steps[@]}"; do
    IFS='|' read -r name result seconds log <<<"$entry"
    printf '%-66s %-7s %8s\n' "$name" "$result" "$seconds"
    read -r p f <<<"$(count_tests "$log")"
    passed=$((passed + p))
    if [ "$result" = ok ]; then
      failed=$((failed + f))
    else
      any_failed=1
      failed=$((failed + (f > 0 ? f : 1)))
    fi
  done
  if [ "${#steps[@]}" -eq 0 ]; then
    echo "(no step ran: the installation failed)"
    any_failed=1
    failed=1
  fi
  echo "lucent: $passed passed, $failed failed"
  return $any_failed
}
# An install step that aborts the script still ends with the counts line (its exit stays non-zero).
trap 'status=$?; summary || true; exit $status' EXIT

ensure_base
ensure_python_pip
# Reference decoders for the golden-image tests; a real Secret Service for the audit tests;
# the QA harness's peers (GDCM's Python bindings, GNU time for peak memory, pydicom).
# xmllint (libxml2-utils) checks the audit export against the DICOM audit schema.
ensure_apt dcmtk libgdcm-tools dbus gnome-keyring python3-gdcm python3-numpy time libxml2-utils
ensure_pydicom
# The viewer: its build dependencies, a headless X server and WebKit's WebDriver for the E2E run.
ensure_viewer_build_deps
ensure_apt xvfb xauth webkit2gtk-driver
ensure_cargo_tool tauri-driver tauri-driver
ensure_cargo_tool cargo-deny cargo-deny
ensure_cargo_tool cargo-fuzz cargo-fuzz
cd "$repo"
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
target=${CARGO_TARGET_DIR:-$repo/target}
rm -rf "$logs"
mkdir -p "$logs"

# step NAME LOG COMMAND...: runs COMMAND (a program or a function) in a subshell with `set -e`,
# its output shown and kept in $logs/LOG.log (without keyring noise), and records the result.
step() {
  local name=$1 log=$logs/$2.log started=$SECONDS rc
  shift 2
  say "$name"
  set +e
  (set -e; "$@") 2>&1 | sed -u '/Failed to set fd limit/d' | tee "$log"
  rc=${PIPESTATUS[0]}
  steps+=("$name|$([ "$rc" -eq 0 ] && echo ok || echo FAILED)|$((SECONDS - started))|$log")
  [ "$rc" -eq 0 ] || say "FAILED (exit $rc): $name; the suite goes on"
}

step "fetch public test files (pinned, checksummed)" fetch test-data/fetch.sh
# The UI first: src-tauri embeds viewer-ui/dist, so clippy and the tests below need it too.
step "build the viewer (UI, release binaries)" build-viewer build_viewer
step "build the E2E test build of the viewer" build-viewer-e2e build_viewer_e2e
step "viewer UI unit tests (vitest)" vitest bash -c 'cd viewer-ui && npx vitest run --reporter=dot'
step "cargo fmt --check" fmt cargo fmt --all -- --check
step "cargo clippy --all-targets -- -D warnings" clippy \
  cargo clippy --workspace --all-targets --quiet -- -D warnings
step "cargo deny check bans licenses sources" deny \
  cargo deny --log-level error check bans licenses sources
step "cargo test (private D-Bus session, unlocked gnome-keyring)" cargo-test \
  scripts/with-keyring.sh cargo test --workspace --quiet --no-fail-fast
step "the shipped binaries carry no test-only code path" release-binaries \
  scripts/check-release-binaries.sh "$target/debug/lucent"
step "hostile input: 300 files of the malformed corpus (4 GiB, 15 s each)" hostile \
  scripts/with-keyring.sh scripts/hostile.sh --limit 300
step "smoke fuzz: every cargo-fuzz target for 10 s (AddressSanitizer)" fuzz \
  scripts/fuzz.sh --seconds 10 --fresh
step "end-to-end tests in the real webview (tauri-driver, Xvfb)" e2e \
  scripts/with-keyring.sh xvfb-run -a python3 src-tauri/e2e/e2e.py "$target"

trap - EXIT
summary
