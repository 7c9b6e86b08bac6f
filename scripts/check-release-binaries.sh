#!/usr/bin/env bash
# Proves that the shipped binaries carry no test-only code path: the release `lucent` and
# `lucent-viewer` (built by setup-common.sh's build_viewer, without test features) must not
# contain the name of any environment variable that only a test build honours. Then a control:
# a binary built WITH the `test-override` and `test-fault` features (the debug `lucent` that
# `cargo test -p lucent-cli` builds) must contain them, which shows the search finds the name
# when it is there.
# Usage: scripts/check-release-binaries.sh [CONTROL_BINARY]
#   With CONTROL_BINARY the control must pass; without it, target/debug/lucent is used when it
#   exists and was built for the tests (a missing control is reported, not failed).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$repo/target}
# Environment variables read only under a test feature (crates/lucent-policy: test-override;
# crates/lucent-pixels: test-fault, the deliberately broken decoder, and test-panic, a codec
# panic inside the containment for the hostile tests).
test_only=(LUCENT_TEST_POLICY_FILE LUCENT_TEST_FAULT LUCENT_TEST_CODEC_PANIC)

contains() { grep -a -q -F -e "$2" "$1"; }

status=0
for bin in "$target/release/lucent" "$target/release/lucent-viewer"; do
  if [ ! -f "$bin" ]; then
    echo "FAIL: $bin is missing (scripts/setup-common.sh build_viewer builds it)"
    status=1
    continue
  fi
  for name in "${test_only[@]}"; do
    if contains "$bin" "$name"; then
      echo "FAIL: $bin contains the test-only variable $name: a test feature leaked into a release build"
      status=1
    else
      echo "ok: $bin has no $name"
    fi
  done
done

control=${1:-}
required=1
if [ -z "$control" ]; then
  control=$target/debug/lucent
  required=0
fi
if [ -f "$control" ]; then
  for name in "${test_only[@]}"; do
    if contains "$control" "$name"; then
      echo "ok (control): $control, built with the test feature, contains $name"
    elif [ "$required" = 1 ]; then
      echo "FAIL (control): $control does not contain $name: the search cannot be trusted"
      status=1
    else
      echo "note (control): $control does not contain $name (not built by cargo test -p lucent-cli)"
    fi
  done
elif [ "$required" = 1 ]; then
  echo "FAIL (control): $control is missing"
  status=1
else
  echo "note (control): no $control to check the search against (run after cargo test)"
fi
exit $status
