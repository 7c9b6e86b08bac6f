#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, dependency policy, fetched test data,
# unit/integration/CLI tests. Installs what it needs first (idempotent).
source "$(dirname "$0")/setup-common.sh"
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

say "fetching public test files (pinned, checksummed)"
test-data/fetch.sh

# The UI first: src-tauri embeds viewer-ui/dist, so clippy and the tests below need it too.
build_viewer
build_viewer_e2e
say "viewer UI unit tests (vitest)"
(cd viewer-ui && npx vitest run --reporter=dot) | tee "${TMPDIR:-/tmp}/lucent-vitest.log"

say "cargo fmt --check"
cargo fmt --all -- --check

say "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --quiet -- -D warnings

say "cargo deny check bans licenses sources"
cargo deny --log-level error check bans licenses sources

say "cargo test (inside a private D-Bus session with an unlocked gnome-keyring)"
scripts/with-keyring.sh cargo test --workspace --quiet 2>&1 | grep -v 'Failed to set fd limit' | tee "${TMPDIR:-/tmp}/lucent-test.log"
status=${PIPESTATUS[0]}

say "the shipped binaries carry no test-only code path (control: the test-built lucent)"
scripts/check-release-binaries.sh "${CARGO_TARGET_DIR:-$repo/target}/debug/lucent" || status=1

say "hostile input: 300 files of the malformed corpus through lucent info and lucent render (4 GiB, 15 s each)"
scripts/with-keyring.sh scripts/hostile.sh --limit 300 2>&1 | grep -v 'Failed to set fd limit' | tee "${TMPDIR:-/tmp}/lucent-hostile.log"
[ "${PIPESTATUS[0]}" -ne 0 ] && status=1

say "smoke fuzz: every cargo-fuzz target for 10 s (AddressSanitizer)"
scripts/fuzz.sh --seconds 10 --fresh 2>&1 | tee "${TMPDIR:-/tmp}/lucent-fuzz.log"
[ "${PIPESTATUS[0]}" -ne 0 ] && status=1

say "end-to-end tests in the real webview (tauri-driver, WebKitWebDriver, Xvfb; the test build lucent-viewer-e2e, and the shipped lucent-viewer refusing automation)"
target=${CARGO_TARGET_DIR:-$repo/target}
scripts/with-keyring.sh xvfb-run -a python3 src-tauri/e2e/e2e.py "$target" 2>&1 | grep -v 'Failed to set fd limit' | tee "${TMPDIR:-/tmp}/lucent-e2e.log"
e2e_status=${PIPESTATUS[0]}
[ "$e2e_status" -ne 0 ] && status=1
logs=("${TMPDIR:-/tmp}/lucent-test.log" "${TMPDIR:-/tmp}/lucent-e2e.log" "${TMPDIR:-/tmp}/lucent-vitest.log")
passed=$(cat "${logs[@]}" | grep -v 'Test Files' | grep -Eo '([0-9]+ passed|Tests +[0-9]+ passed)' | grep -Eo '[0-9]+' | awk '{s+=$1} END {print s+0}')
failed=$(cat "${logs[@]}" | grep -Eo '[0-9]+ failed' | awk '{s+=$1} END {print s+0}')
echo "lucent: $passed passed, $failed failed"
exit "$status"
