#!/usr/bin/env bash
# Make sure what the test suite needs is present: Debian's chromium (browser tests), dicom3tools
# (dciodvfy validates every DICOM object Scanroom writes), Orthanc with DICOMweb (teaching-file import
# tests) and a PostgreSQL server on 127.0.0.1:5432
# (the suite runs against SQLite and PostgreSQL).
set -euo pipefail

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v dciodvfy >/dev/null 2>&1 || missing+=(dicom3tools)
# Orthanc + its DICOMweb plugin: the teaching-file import tests start their own Orthanc on loopback.
{ command -v Orthanc >/dev/null 2>&1 || [ -x /usr/sbin/Orthanc ]; } || missing+=(orthanc)
ls /usr/share/orthanc/plugins/libOrthancDicomWeb.so* >/dev/null 2>&1 || missing+=(orthanc-dicomweb)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing Debian packages for the tests: ${missing[*]}"
  as_root apt-get update -qq
  # Packages such as orthanc start a system service on install; the tests never use it, so keep it stopped.
  own_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    own_policy=1
    printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null
    as_root chmod +x /usr/sbin/policy-rc.d
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ "$own_policy" -eq 0 ] || as_root rm -f /usr/sbin/policy-rc.d
fi

pg_up() { python3 - <<'PY'
import socket, sys
s = socket.socket(); s.settimeout(1)
try:
    s.connect(("127.0.0.1", 5432)); sys.exit(0)
except OSError:
    sys.exit(1)
PY
}

if ! pg_up; then
  echo "Starting PostgreSQL..."
  if ! ls /etc/postgresql >/dev/null 2>&1; then
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  version=$(ls /etc/postgresql | sort -V | tail -1)
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  pg_up || { echo "PostgreSQL did not start on 127.0.0.1:5432"; exit 1; }
fi
