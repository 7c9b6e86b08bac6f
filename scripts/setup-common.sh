# Shared by scripts/start-sample.sh and scripts/test.sh (sourced, not run).
# Installs what Lucent needs on Debian 12, idempotently: nothing is installed twice.

set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# apt packages, installed only when missing (as root, or with sudo when available).
ensure_apt() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -ne 0 ] && sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

ensure_rust() {
  if ! command -v cargo >/dev/null 2>&1; then
    echo "Rust is not installed: install rustup, then run this again." >&2
    exit 1
  fi
}

# `cargo install NAME --locked` unless the binary already exists.
ensure_cargo_tool() {
  local bin=$1 crate=$2
  command -v "$bin" >/dev/null 2>&1 && return 0
  say "installing $crate (cargo install --locked)"
  cargo install "$crate" --locked
}

ensure_python_pip() {
  python3 -m pip --version >/dev/null 2>&1 || ensure_apt python3-pip
}

# pydicom with the pylibjpeg decoders, pinned, for the QA harness's in-process comparison.
ensure_pydicom() {
  ensure_python_pip
  if ! python3 -c 'import pydicom, numpy, pylibjpeg, openjpeg, libjpeg' >/dev/null 2>&1; then
    say "installing pydicom and pylibjpeg (pip)"
    local flags=()
    # Debian's own python3 is "externally managed" (PEP 668): pip needs to be told.
    if python3 -c 'import os, sys, sysconfig; sys.exit(0 if os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")) else 1)'; then
      flags=(--break-system-packages)
    fi
    python3 -m pip install --quiet --disable-pip-version-check "${flags[@]}" \
      pydicom==3.0.1 pylibjpeg==2.1.0 pylibjpeg-libjpeg==2.5.0 pylibjpeg-openjpeg==2.6.0 numpy==2.4.6
  fi
}

# Node.js and npm for the viewer UI (Debian's nodejs 18 is enough: Vite 5).
ensure_node() {
  command -v npm >/dev/null 2>&1 || ensure_apt nodejs npm
}

# What the Tauri shell needs to build (WebKitGTK 4.1 and friends).
ensure_viewer_build_deps() {
  ensure_apt libwebkit2gtk-4.1-dev libxdo-dev libssl-dev libayatana-appindicator3-dev librsvg2-dev file
  ensure_node
}

# Builds the viewer UI (npm ci from the lock file) into viewer-ui/dist, which src-tauri embeds
# (its default feature custom-protocol): anything that compiles src-tauri needs it first.
build_ui() {
  say "building the viewer UI (npm ci, npm run build)"
  (cd "$repo/viewer-ui" && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent)
}

# Builds the UI and the self-contained viewer (embedded UI, no WebDriver automation), the CLI
# and the test-data generator.
build_viewer() {
  build_ui
  say "building lucent-viewer (release, embedded UI)"
  (cd "$repo" && cargo build --release --quiet -p lucent-viewer -p lucent-testdata -p lucent-cli)
}

# The E2E suite's test build: lucent-viewer with feature e2e-automation, copied to
# $target/release/lucent-viewer-e2e; $target/release/lucent-viewer is then the shipped build again
# (cargo keeps both feature sets, so switching back only re-links). The same packages as in
# build_viewer, so no dependency is rebuilt with other features. Run after build_viewer.
build_viewer_e2e() {
  local target=${CARGO_TARGET_DIR:-$repo/target}
  say "building lucent-viewer-e2e (the E2E test build: feature e2e-automation)"
  (cd "$repo" && cargo build --release --quiet -p lucent-viewer -p lucent-testdata -p lucent-cli --features lucent-viewer/e2e-automation)
  cp -f "$target/release/lucent-viewer" "$target/release/lucent-viewer-e2e"
  (cd "$repo" && cargo build --release --quiet -p lucent-viewer -p lucent-testdata -p lucent-cli)
  if cmp -s "$target/release/lucent-viewer" "$target/release/lucent-viewer-e2e"; then
    echo "error: $target/release/lucent-viewer is still the test build" >&2
    return 1
  fi
}

ensure_base() {
  # cmake and a C++ compiler build CharLS (JPEG-LS); OpenJPEG builds with cc.
  ensure_apt ca-certificates build-essential cmake pkg-config python3
  ensure_rust
}
