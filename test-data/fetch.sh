#!/usr/bin/env bash
# Fetches public, permissively licensed DICOM test files into test-data/cache/ (git-ignored):
# the test files shipped in the pydicom 3.0.1 wheel (MIT; GDCM-derived files BSD-3-Clause),
# downloaded by name with pip from the Python package index, pinned by version and sha256.
# Idempotent: does nothing when the files are already there. Needs python3 with pip.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache="$here/cache"
version=3.0.1
sha256=db32f78b2641bd7972096b8289111ddab01fb221610de8d7afa835eb938adb41
dest="$cache/pydicom-$version"
wheel="$cache/pydicom-$version-py3-none-any.whl"

if [ -f "$dest/.complete" ]; then
  exit 0
fi
mkdir -p "$cache"
if [ ! -f "$wheel" ] || ! echo "$sha256  $wheel" | sha256sum --check --status; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    "pydicom==$version" -d "$tmp"
  mv "$tmp/pydicom-$version-py3-none-any.whl" "$wheel"
fi
if ! echo "$sha256  $wheel" | sha256sum --check --status; then
  echo "test-data/fetch.sh: checksum mismatch for $wheel; refusing to use it" >&2
  rm -f "$wheel"
  exit 1
fi
rm -rf "$dest"
python3 - "$wheel" "$dest" <<'PY'
import sys, zipfile, pathlib
wheel, dest = sys.argv[1], pathlib.Path(sys.argv[2])
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.startswith("pydicom/data/") or name.endswith("LICENSE"):
            target = dest / name.split("/", 1)[1] if name.startswith("pydicom/data/") else dest / "LICENSE"
            if name.endswith("/"):
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(z.read(name))
PY
touch "$dest/.complete"
echo "test-data/fetch.sh: pydicom $version test files in $dest"
