#!/usr/bin/env bash
# Builds Lucent, writes the bundled sample study (generated phantoms, no patient data) to
# test-data/sample/ and opens it in the viewer. Without a display it prints the study instead.
source "$(dirname "$0")/setup-common.sh"
ensure_base
ensure_viewer_build_deps
ensure_apt dbus gnome-keyring
cd "$repo"
build_viewer
target=${CARGO_TARGET_DIR:-$repo/target}
# The completion marker lives beside the study, not in it (it is not a DICOM file).
if [ ! -f test-data/.sample-complete ]; then
  say "writing the sample study to test-data/sample/"
  rm -rf test-data/sample
  "$target/release/lucent-testdata" sample test-data/sample
  touch test-data/.sample-complete
fi
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  say "starting the viewer on the sample study"
  exec "$target/release/lucent-viewer" test-data/sample "$@"
else
  say "no display: printing the sample study instead (run this on a desktop to get the viewer)"
  exec "$target/release/lucent" info test-data/sample "$@"
fi
