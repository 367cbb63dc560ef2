#!/usr/bin/env bash
# Optional dependencies of `make bench` (never of `make test`): gVirtualXray for the X-ray comparison in
# benchmarks/test_bench_xray_scanner.py, and the Mesa/EGL libraries its CPU path (llvmpipe) needs;
# scikit-image, the filtered back-projection peer of benchmarks/test_bench_ct.py.
# Idempotent: installs only what is missing. Debian/Ubuntu packages need root or password-less sudo.
# Exits non-zero when something could not be installed; the benchmark then skips the comparison and
# says why.
#
#   scripts/install-bench-deps.sh            # uses .venv (override: VENV=path)
set -euo pipefail

cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PY="$VENV/bin/python"
GVXR_SPEC=${GVXR_SPEC:-gvxr==2.1.0}
APT_PACKAGES=(
  libegl1 libgl1 libegl-mesa0 libgl1-mesa-dri libglx-mesa0
  libxcb-res0 libxcb-ewmh2 libxcb-composite0 libxcb-xinerama0 libxcb-keysyms1 libxcb-icccm4
)
status=0

# --- system libraries (Debian/Ubuntu) -------------------------------------------------------------
if command -v dpkg-query >/dev/null 2>&1; then
  missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if ((${#missing[@]})); then
    if [ "$(id -u)" -eq 0 ]; then
      sudo=()
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo=(sudo -n)
    else
      sudo=(none)
    fi
    if [ "${sudo[0]:-}" = none ]; then
      echo "install-bench-deps: need root to install: ${missing[*]}" >&2
      echo "  run: sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
      status=1
    else
      echo "install-bench-deps: apt-get install ${missing[*]}"
      export DEBIAN_FRONTEND=noninteractive
      if ! { "${sudo[@]}" apt-get update -qq && "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
               "${missing[@]}" >/dev/null; }; then
        echo "install-bench-deps: apt-get failed for: ${missing[*]}" >&2
        status=1
      fi
    fi
  fi
else
  echo "install-bench-deps: not a Debian system; install EGL + Mesa (llvmpipe) and libxcb yourself" >&2
fi

# --- gVirtualXray into the project's virtual environment --------------------------------------------
if [ ! -x "$PY" ]; then
  echo "install-bench-deps: $PY not found (run 'make install' first)" >&2
  exit 1
fi
if ! "$PY" -m pip install --quiet --disable-pip-version-check "$GVXR_SPEC"; then
  echo "install-bench-deps: pip install $GVXR_SPEC failed (is there a gvxr wheel for this Python and platform?)" >&2
  status=1
fi
if ! "$PY" -m pip install --quiet --disable-pip-version-check "scikit-image>=0.22"; then
  echo "install-bench-deps: pip install scikit-image failed (the CT benchmark's peer is then skipped)" >&2
  status=1
fi
"$PY" -m pip check >/dev/null || { echo "install-bench-deps: pip check reports broken requirements" >&2; status=1; }

# --- smoke test: an OpenGL context on the CPU -------------------------------------------------------
if [ "$status" -eq 0 ]; then
  if renderer=$(LIBGL_ALWAYS_SOFTWARE=1 "$PY" - 2>/dev/null <<'EOF'
import os, tempfile
from gvxrPython3 import gvxr
gvxr.useLogFile(os.path.join(tempfile.gettempdir(), "gvxr-install-check.log"))
gvxr.createOpenGLContext()
print(gvxr.getOpenGlRenderer())
EOF
  ) && renderer=$(printf '%s\n' "$renderer" | tail -n 1) && [ -n "$renderer" ]; then
    echo "install-bench-deps: gVirtualXray ready (OpenGL renderer: $renderer)"
  else
    echo "install-bench-deps: gVirtualXray is installed but gets no OpenGL context (see the Mesa/EGL packages above)" >&2
    status=1
  fi
fi
exit "$status"
