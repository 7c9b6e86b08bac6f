#!/usr/bin/env bash
# The hostile-input run: generates the malformed corpus (lucent-testdata malformed: ≥ 5,000
# files from the phantoms and the fetched pydicom files) and puts every file through
# `lucent info --json` and `lucent render`, one process each, 4 GiB address space, 15 s
# (lucent-bench hostile). Exits 1 on any panic (a codec panic caught by lucent-pixels included:
# E_INTERNAL), crash, hang or untyped error, on any keychain/audit/policy error (the run's
# environment is broken: nothing was decoded), and when fewer than the floor of renders produce
# an image (lucent-bench's --min-rendered-percent; see DEFAULT_MIN_RENDERED_PERCENT).
#   scripts/hostile.sh [--limit N]    (N files spread over the corpus; CI uses 300)
# Report: $target/hostile.md and .json. Run inside a keychain session (render audits every open):
# the README's test command does; by hand: scripts/with-keyring.sh scripts/hostile.sh
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
limit=0
[ "${1:-}" = "--limit" ] && limit=$2
target=${CARGO_TARGET_DIR:-$repo/target}
test-data/fetch.sh >/dev/null
cargo build --release --quiet -p lucent-testdata -p lucent-cli -p lucent-bench
corpus=$target/hostile-corpus
# Regenerated every run (about 10 s): the corpus always matches the generator of this build.
rm -rf "$corpus"
"$target/release/lucent-testdata" malformed "$corpus" --from test-data/cache/pydicom-3.0.1/data --count 5000
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
LUCENT_DATA_DIR=$data "$target/release/lucent-bench" hostile "$corpus" --limit "$limit" \
    --report "$target/hostile.md" --json "$target/hostile.json"
