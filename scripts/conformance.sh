#!/usr/bin/env bash
# Regenerates docs/CONFORMANCE.md: every image of the generated sample study, of the display
# classes (lucent-testdata display-classes), of the fetched
# pydicom test files (test-data/fetch.sh) and, when present, of a reference folder
# (LUCENT_REFERENCE_DIR, default ../shared/dicom-reference) rendered by Lucent and compared with
# dcmtk / GDCM (pydicom deciding when both differ). Needs dcmtk, GDCM and pydicom: run the
# README's test command once first. Usage: scripts/conformance.sh [OUT.md]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
out=${1:-docs/CONFORMANCE.md}
target=${CARGO_TARGET_DIR:-$repo/target}
test-data/fetch.sh >/dev/null
cargo build --release --quiet -p lucent-bench -p lucent-testdata
sample=test-data/cache/conformance-sample
[ -f "$sample/.complete" ] || { rm -rf "$sample"; "$target/release/lucent-testdata" sample "$sample" >/dev/null; touch "$sample/.complete"; }
# One file per display class (docs/CONFORMANCE.md's display section), written afresh each run.
display=test-data/cache/display-classes
rm -rf "$display"
"$target/release/lucent-testdata" display-classes "$display" >/dev/null
inputs=("$sample" "$display" test-data/cache/pydicom-3.0.1)
reference=${LUCENT_REFERENCE_DIR:-../shared/dicom-reference}
[ -d "$reference" ] && inputs+=("$reference")
# The comparison renders through the pipeline only (no audited open), so no keychain is needed.
"$target/release/lucent-bench" conformance "${inputs[@]}" --markdown "$out" --json "$target/conformance.json"
echo "wrote $out"
