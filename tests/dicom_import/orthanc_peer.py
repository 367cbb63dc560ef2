"""A real Orthanc (Debian's orthanc + orthanc-dicomweb) started for the tests on free loopback ports.

Never the system service: our own process, a temporary JSON configuration and storage, the DICOMweb plugin,
remote access off (loopback only), no authentication. Installed by scripts/ensure-test-services.sh.
"""

from __future__ import annotations

import base64
import json
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PLUGIN_DIRS = (Path("/usr/share/orthanc/plugins"), Path("/usr/lib/orthanc"))


def orthanc_binary() -> str | None:
    return shutil.which("Orthanc") or next(
        (str(p) for p in (Path("/usr/sbin/Orthanc"), Path("/usr/bin/Orthanc")) if p.exists()), None)


def dicomweb_plugin() -> Path | None:
    for folder in PLUGIN_DIRS:
        found = sorted(folder.glob("libOrthancDicomWeb.so*")) if folder.is_dir() else []
        if found:
            return found[0]
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Orthanc:
    http_url: str
    dicomweb_url: str
    dicom_port: int
    auth_header: str | None = None

    def upload(self, path: Path) -> str:
        """POST /instances (Orthanc REST): store one DICOM file; returns Orthanc's instance id."""
        headers = {"Content-Type": "application/dicom"}
        if self.auth_header:
            headers["Authorization"] = self.auth_header
        request = urllib.request.Request(f"{self.http_url}/instances", data=path.read_bytes(), method="POST",
                                         headers=headers)
        with urllib.request.urlopen(request, timeout=10) as response:
            answer = json.loads(response.read())
        assert answer.get("Status") in ("Success", "AlreadyStored"), answer
        return str(answer["ID"])


@contextmanager
def running_orthanc(workdir: Path, users: dict[str, str] | None = None) -> Iterator[Orthanc]:
    """Start Orthanc; with ``users`` it asks for HTTP Basic authentication (RegisteredUsers), as sites run it."""
    binary, plugin = orthanc_binary(), dicomweb_plugin()
    if binary is None or plugin is None:
        raise FileNotFoundError("Orthanc or its DICOMweb plugin is not installed")
    http_port, dicom_port = free_port(), free_port()
    storage = workdir / "storage"
    storage.mkdir(parents=True)
    config = {
        "Name": "scanroom-test", "StorageDirectory": str(storage), "IndexDirectory": str(storage),
        "HttpPort": http_port, "DicomPort": dicom_port, "DicomAet": "SCANROOMTEST",
        "RemoteAccessAllowed": False, "AuthenticationEnabled": bool(users), "RegisteredUsers": users or {},
        "HttpDescribeErrors": True,
        "DicomAlwaysAllowStore": False, "DicomAlwaysAllowEcho": False, "DicomCheckCalledAet": True,
        "Plugins": [str(plugin)], "DicomWeb": {"Enable": True, "Root": "/dicom-web/"},
        "SaveJobs": False, "HttpThreadsCount": 4,
    }
    config_path = workdir / "orthanc.json"
    config_path.write_text(json.dumps(config), encoding="utf-8")
    log_path = workdir / "orthanc.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen([binary, str(config_path)], stdout=log, stderr=subprocess.STDOUT,
                                   cwd=workdir)
        http_url = f"http://127.0.0.1:{http_port}"
        auth_header = None
        if users:
            user, password = next(iter(users.items()))
            auth_header = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        headers = {"Authorization": auth_header} if auth_header else {}
        try:
            deadline = time.monotonic() + 15
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"Orthanc exited ({process.returncode}): {log_path.read_text()[-2000:]}")
                try:
                    with urllib.request.urlopen(urllib.request.Request(f"{http_url}/system", headers=headers),
                                                timeout=1) as response:
                        if response.status == 200:
                            break
                except (urllib.error.URLError, OSError):
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Orthanc did not answer /system: {log_path.read_text()[-2000:]}")
                time.sleep(0.05)
            yield Orthanc(http_url=http_url, dicomweb_url=f"{http_url}/dicom-web", dicom_port=dicom_port,
                          auth_header=auth_header)
        finally:
            process.terminate()
            try:
                process.wait(timeout=1)  # Orthanc takes ~3.5 s to stop cleanly; its storage is thrown away anyway
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
