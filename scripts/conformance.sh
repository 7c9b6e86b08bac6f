#!/usr/bin/env bash
# Regenerates docs/CONFORMANCE.md: every image of the generated sample study, of the display
# classes (lucent-testdata display-classes), of the fetched pydicom test files
# (test-data/fetch.sh) and, when present, of a reference folder (LUCENT_REFERENCE_DIR, default
# ../shared/dicom-reference) decoded and rendered by Lucent and compared with its one reference
# decoder (dcmtk, GDCM where dcmtk has none, or a committed exception:
# benches/reference-exceptions.toml). The report records each input's digest, the tools and the
# rules' digest; benches/tests/conformance_report.rs fails when the committed one is stale.
# Needs dcmtk and GDCM: run the README's test command once first. Usage: scripts/conformance.sh [OUT.md]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
out=${1:-docs/CONFORMANCE.md}
target=${CARGO_TARGET_DIR:-$repo/target}
test-data/fetch.sh >/dev/null
cargo build --release --quiet -p lucent-bench -p lucent-testdata
# The generated inputs are written afresh each run: the report pins them by digest, and the
# staleness test regenerates them with the current generator.
sample=test-data/cache/conformance-sample
rm -rf "$sample"
"$target/release/lucent-testdata" sample "$sample" >/dev/null
# One file per display class (docs/CONFORMANCE.md's display section).
display=test-data/cache/display-classes
rm -rf "$display"
"$target/release/lucent-testdata" display-classes "$display" >/dev/null
inputs=("$sample" "$display" test-data/cache/pydicom-3.0.1)
reference=${LUCENT_REFERENCE_DIR:-../shared/dicom-reference}
[ -d "$reference" ] && inputs+=("$reference")
# The comparison renders through the pipeline only (no audited open), so no keychain is needed.
"$target/release/lucent-bench" conformance "${inputs[@]}" --markdown "$out" --json "$target/conformance.json"
echo "wrote $out"
