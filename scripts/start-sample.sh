#!/usr/bin/env bash
# Builds Lucent, writes the bundled sample study (generated phantoms, no patient data) to
# test-data/sample/ and opens it: for now the `lucent info` tree; later the viewer.
source "$(dirname "$0")/setup-common.sh"
ensure_base
cd "$repo"
say "building (release)"
cargo build --release --quiet -p lucent-cli -p lucent-testdata
target=${CARGO_TARGET_DIR:-$repo/target}
if [ ! -f test-data/sample/.complete ]; then
  say "writing the sample study to test-data/sample/"
  rm -rf test-data/sample
  "$target/release/lucent-testdata" sample test-data/sample
  touch test-data/sample/.complete
fi
"$target/release/lucent" info test-data/sample "$@"
