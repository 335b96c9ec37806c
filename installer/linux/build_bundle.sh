#!/usr/bin/env bash
# Build the Linux one-folder bundle with Python 3.12+ (PySide6 6.12 on 3.11 crashes; the
# bundle is always built on 3.12+), run --smoke on it, and pack a tarball.
#   bash installer/linux/build_bundle.sh          (prints build time and bundle size)
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS=0
# a Python >= 3.12 that really runs (pyenv shims exist without the version being active)
PY="${PYTHON312:-}"
if [ -z "$PY" ]; then
  for cand in python3.13 python3.12 ~/.pyenv/versions/3.1[2-9]*/bin/python3; do
    if "$cand" -c 'import sys; assert sys.version_info >= (3, 12)' 2>/dev/null; then PY="$cand"; break; fi
  done
fi
[ -n "$PY" ] || { echo "need python3.12+ to build the bundle"; exit 2; }
echo "building with $("$PY" --version)"
[ -x .venv-build/bin/python ] || "$PY" -m venv .venv-build
.venv-build/bin/python -m pip install -q --disable-pip-version-check ".[build,updates]"
.venv-build/bin/pyinstaller --noconfirm --clean --log-level WARN build.spec
echo "== build took ${SECONDS}s"
du -sh dist/JuPei
QT_QPA_PLATFORM=offscreen timeout 120 dist/JuPei/JuPei --smoke
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml | head -1)
tar -C dist -czf "dist/JuPei-$VERSION-linux-x86_64.tar.gz" JuPei
ls -lh "dist/JuPei-$VERSION-linux-x86_64.tar.gz"
# signed update feed (README "Updates"): with JUPEI_UPDATE_WORK (the tool's work dir, keys
# in it) the bundle is also archived, registered and signed as JuPei-$VERSION.tar.gz
if [ -n "${JUPEI_UPDATE_WORK:-}" ]; then
  .venv-build/bin/python installer/update_repo.py add --work "$JUPEI_UPDATE_WORK" \
    --bundle dist/JuPei --version "$VERSION"
fi
echo "== total ${SECONDS}s"
