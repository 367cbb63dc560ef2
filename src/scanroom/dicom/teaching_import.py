"""Bring real teaching files into the library, de-identified on the way in.

Sources: files, folders (recursive) and .zip archives (``import_paths``), or a DICOMweb server such as
Orthanc with its DICOMweb plugin (``import_dicomweb``: QIDO-RS search, PS3.18 §10.6, then WADO-RS retrieve of
each instance as multipart/related; type="application/dicom", §10.4). Every dataset goes through one
``Deidentifier`` per batch (PS3.15 Annex E basic profile + modified dates, see ``deidentify``), is normalised and
stored with ``library.store_dataset``. A file that cannot be used is reported by name with a reason and the rest
still import; instances already in the library are left alone. The caller commits the session.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import posixpath
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from io import BytesIO
from pathlib import Path
from typing import Any

import pydicom
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.tag import BaseTag
from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian
from sqlalchemy import select
from sqlalchemy.orm import Session

from scanroom.dicom.deidentify import Deidentifier, site_uid_key
from scanroom.dicom.dicomweb import parse_multipart_related
from scanroom.dicom.library import instance_path, store_dataset
from scanroom.dicom.normalise import UnsupportedImage
from scanroom.store.models import ImageInstance

Progress = Callable[[int, int, str], None]

TEACHING = "teaching"
# Archive limits (zip bombs): per-file and total uncompressed size, entries, and compression ratio.
MAX_FILE_BYTES = 1 << 30
MAX_ARCHIVE_BYTES = 8 << 30
MAX_ARCHIVE_ENTRIES = 20_000
MAX_RATIO = 200
RATIO_CHECK_FROM = 1 << 20
MAX_RESPONSE_BYTES = 1 << 30
UNDEFINED_LENGTH = 0xFFFFFFFF


class DicomWebError(ValueError):
    """The DICOMweb server could not be reached or answered with an error."""


@dataclass
class ImportedSeries:
    """One series as stored (UIDs are the new, de-identified ones)."""

    study_uid: str
    series_uid: str
    modality: str
    description: str
    instance_count: int
    instances: list[ImageInstance] = field(default_factory=list)


@dataclass
class ImportReport:
    """What was stored, what was skipped and why (file name or source UID, reason)."""

    series: list[ImportedSeries] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    already_stored: int = 0
    date_shift_days: int = 0

    @property
    def instance_count(self) -> int:
        return sum(s.instance_count for s in self.series)

    @property
    def study_uids(self) -> list[str]:
        return sorted({s.study_uid for s in self.series})

    def summary(self) -> str:
        """One line for a CLI or a page, e.g. "8 images in 4 series of 2 studies imported; 3 skipped; …"."""
        parts = [f"{self.instance_count} image{'s' * (self.instance_count != 1)} in {len(self.series)} series of "
                 f"{len(self.study_uids)} stud{'ies' if len(self.study_uids) != 1 else 'y'} imported"]
        if self.already_stored:
            parts.append(f"{self.already_stored} already in the library")
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped")
        parts.append(f"dates shifted by {self.date_shift_days} days")
        return "; ".join(parts)


@dataclass
class _Source:
    name: str
    read: Callable[[], bytes]


class _Batch:
    """Shared state of one import: the de-identifier, the report, the stored rows."""

    def __init__(self, db: Session, data_dir: Path, *, owner_id: int | None, collection: str,
                 deidentifier: Deidentifier | None) -> None:
        self.db = db
        self.data_dir = data_dir
        self.owner_id = owner_id
        self.collection = collection
        self.deid = deidentifier or Deidentifier()
        if not self.deid.has_uid_key:
            self.deid.use_uid_key(site_uid_key(data_dir))
        self.report = ImportReport(date_shift_days=self.deid.date_shift_days)
        self._series: dict[tuple[str, str], ImportedSeries] = {}

    def skip(self, name: str, reason: str) -> None:
        self.report.skipped.append((name, reason))

    def add(self, name: str, data: bytes) -> None:
        """Read, de-identify, normalise and store one file; any problem becomes a skipped entry."""
        try:
            ds = _read_dicom(data)
        except UnsupportedImage as exc:
            self.skip(name, str(exc))
            return
        try:
            self.deid.apply(ds)
        except ValueError as exc:
            self.skip(name, f"cannot be de-identified: {exc}")
            return
        except Exception as exc:  # dicognito meets odd values in many ways; the file is the problem
            self.skip(name, f"cannot be de-identified ({type(exc).__name__}: {exc})")
            return
        sop_uid = str(ds.SOPInstanceUID)
        if self.db.scalar(select(ImageInstance.id).where(ImageInstance.sop_instance_uid == sop_uid)) is not None:
            self.report.already_stored += 1
            return
        path = instance_path(self.data_dir, str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID), sop_uid)
        description = _series_description(ds)
        try:
            with self.db.begin_nested():
                row = store_dataset(self.db, self.data_dir, ds, collection=self.collection,
                                    description=description, owner_id=self.owner_id)
        except UnsupportedImage as exc:
            self.skip(name, str(exc))
            return
        except Exception as exc:
            path.unlink(missing_ok=True)
            self.skip(name, f"could not be stored ({type(exc).__name__}: {exc})")
            return
        key = (row.study_uid, row.series_uid)
        series = self._series.get(key)
        if series is None:
            series = ImportedSeries(study_uid=row.study_uid, series_uid=row.series_uid, modality=row.modality,
                                    description=description, instance_count=0)
            self._series[key] = series
            self.report.series.append(series)
        series.instances.append(row)
        series.instance_count += 1


def _read_dicom(data: bytes) -> Dataset:
    """Parse a file, refusing what is not a storable DICOM image with a reason a person can act on."""
    if not data:
        raise UnsupportedImage("empty file")
    ds: Dataset
    try:
        ds = pydicom.dcmread(BytesIO(data), force=False)
    except InvalidDicomError:
        ds = _read_without_meta(data)
    except EOFError as exc:
        raise UnsupportedImage(f"truncated DICOM file ({exc})") from None
    except Exception as exc:
        raise UnsupportedImage(f"malformed DICOM ({type(exc).__name__}: {exc})") from None
    for tag in list(ds.keys()):  # pydicom reads short values without complaint: compare with declared lengths
        raw = ds.get_item(tag)
        if (isinstance(raw, RawDataElement) and raw.length != UNDEFINED_LENGTH and raw.value is not None
                and len(raw.value) < raw.length):
            raise UnsupportedImage(f"truncated DICOM file: element {BaseTag(tag)} declares {raw.length} bytes, "
                                   f"only {len(raw.value)} present")
    try:
        for elem in ds.iterall():  # convert every raw element now so damage is found here, not later
            _ = elem.value
    except Exception as exc:
        raise UnsupportedImage(f"malformed DICOM ({type(exc).__name__}: {exc})") from None
    if "PixelData" not in ds:
        kind = str(ds.get("Modality", "")) or "no modality"
        raise UnsupportedImage(f"no pixel data: not an image ({kind}), e.g. a report or a DICOMDIR")
    missing = [k for k in ("SOPInstanceUID", "SeriesInstanceUID", "StudyInstanceUID", "Rows", "Columns")
               if not ds.get(k)]
    if missing:
        raise UnsupportedImage(f"malformed DICOM: lacks {', '.join(missing)}")
    transfer_syntax = ds.file_meta.get("TransferSyntaxUID")
    if not transfer_syntax:
        raise UnsupportedImage("malformed DICOM: the file meta has no transfer syntax")
    expected = _expected_pixel_bytes(ds)
    if expected and not transfer_syntax.is_compressed and len(ds.PixelData) < expected:
        raise UnsupportedImage(f"truncated pixel data ({len(ds.PixelData)} of {expected} bytes)")
    return ds


def _read_without_meta(data: bytes) -> Dataset:
    """Old archives hold files without preamble and file meta (ACR-NEMA style, PS3.10 §7.1 absent): accept them
    when they start with a group 0008 element, and record the encoding pydicom found as the transfer syntax."""
    if data[:2] not in (b"\x08\x00", b"\x00\x08"):
        raise UnsupportedImage("not a DICOM file (no DICM header)")
    try:
        ds = pydicom.dcmread(BytesIO(data), force=True)
    except Exception as exc:
        raise UnsupportedImage(f"not a DICOM file (no DICM header; {type(exc).__name__}: {exc})") from None
    implicit, little = ds.original_encoding
    if implicit is None:
        raise UnsupportedImage("not a DICOM file (no DICM header)")
    ds.file_meta.TransferSyntaxUID = (ImplicitVRLittleEndian if implicit else
                                      ExplicitVRLittleEndian if little else ExplicitVRBigEndian)
    return ds


def _expected_pixel_bytes(ds: Dataset) -> int:
    try:
        return (int(ds.Rows) * int(ds.Columns) * int(ds.get("SamplesPerPixel", 1))
                * int(ds.get("NumberOfFrames", 1) or 1) * int(ds.BitsAllocated) // 8)
    except (AttributeError, TypeError, ValueError):
        return 0


def _series_description(ds: Dataset) -> str:
    """A description from attributes the profile keeps (SeriesDescription itself is removed, X)."""
    parts = [str(ds.get("Modality", "") or "OT")]
    body_part = str(ds.get("BodyPartExamined", "") or "")
    if body_part:
        parts.append(body_part.title())
    if ds.get("SeriesNumber") not in (None, ""):
        parts.append(f"series {ds.SeriesNumber}")
    return " · ".join(parts)


# ---------------------------------------------------------------- files, folders, archives


def _safe_member(name: str) -> bool:
    """Zip-slip: refuse absolute names, drive letters and any '..' step."""
    normal = name.replace("\\", "/")
    if normal.startswith("/") or (len(normal) > 1 and normal[1] == ":"):
        return False
    return ".." not in posixpath.normpath(normal).split("/") and ".." not in normal.split("/")


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """Read at most the declared size (+1 to catch a lying header)."""
    chunks: list[bytes] = []
    total = 0
    with archive.open(info) as handle:
        while True:
            chunk = handle.read(1 << 20)
            if not chunk:
                break
            total += len(chunk)
            if total > info.file_size or total > MAX_FILE_BYTES:
                raise UnsupportedImage("member larger than its header says (refused as a possible zip bomb)")
            chunks.append(chunk)
    return b"".join(chunks)


def _archive_sources(path: Path, batch: _Batch) -> list[_Source]:
    label = path.name
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        batch.skip(label, f"not a readable zip archive ({exc})")
        return []
    infos = [i for i in archive.infolist() if not i.is_dir()]
    if len(infos) > MAX_ARCHIVE_ENTRIES:
        batch.skip(label, f"archive has {len(infos)} entries (limit {MAX_ARCHIVE_ENTRIES}); refused")
        return []
    declared = sum(i.file_size for i in infos)
    if declared > MAX_ARCHIVE_BYTES:
        batch.skip(label, f"archive would unpack to {declared / 2**30:.1f} GiB "
                          f"(limit {MAX_ARCHIVE_BYTES / 2**30:.0f} GiB); refused as a possible zip bomb")
        return []
    sources = []
    for info in infos:
        name = f"{label}:{info.filename}"
        base = posixpath.basename(info.filename.replace("\\", "/"))
        if info.filename.startswith("__MACOSX/") or base.startswith("._") or base == ".DS_Store":
            continue  # macOS metadata, not content
        if not _safe_member(info.filename):
            batch.skip(name, "unsafe path in archive (absolute or '..'); refused")
            continue
        if info.flag_bits & 0x1:
            batch.skip(name, "encrypted archive entry")
            continue
        if info.file_size > MAX_FILE_BYTES:
            batch.skip(name, f"file of {info.file_size / 2**20:.0f} MiB is over the "
                             f"{MAX_FILE_BYTES / 2**20:.0f} MiB limit")
            continue
        if info.file_size > RATIO_CHECK_FROM and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            ratio = info.file_size / max(info.compress_size, 1)
            batch.skip(name, f"compression ratio {ratio:.0f}:1 (limit {MAX_RATIO}:1); refused as a possible "
                             "zip bomb")
            continue
        if base.lower().endswith(".zip"):
            batch.skip(name, "archive inside an archive is not opened; unpack it first")
            continue
        sources.append(_Source(name, partial(_read_member, archive, info)))
    return sources


def _file_source(path: Path, label: str) -> _Source:
    def read() -> bytes:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise UnsupportedImage(f"file of {size / 2**20:.0f} MiB is over the {MAX_FILE_BYTES / 2**20:.0f} MiB "
                                   "limit")
        return path.read_bytes()

    return _Source(label, read)


def _is_zip(path: Path) -> bool:
    return path.suffix.lower() == ".zip" or (path.suffix == "" and zipfile.is_zipfile(path))


def _sources(paths: Sequence[Path], batch: _Batch) -> list[_Source]:
    sources: list[_Source] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                label = str(child.relative_to(path.parent))
                if child.name in (".DS_Store",) or child.name.startswith("._"):
                    continue
                if child.suffix.lower() == ".zip":
                    sources.extend(_archive_sources(child, batch))
                else:
                    sources.append(_file_source(child, label))
        elif path.is_file():
            if _is_zip(path):
                sources.extend(_archive_sources(path, batch))
            else:
                sources.append(_file_source(path, path.name))
        else:
            batch.skip(str(path), "no such file or folder")
    return sources


def _run(batch: _Batch, sources: list[_Source], progress: Progress | None) -> ImportReport:
    for done, source in enumerate(sources, start=1):
        try:
            data = source.read()
        except UnsupportedImage as exc:
            batch.skip(source.name, str(exc))
        except (OSError, zipfile.BadZipFile, RuntimeError) as exc:
            batch.skip(source.name, f"could not be read ({exc})")
        else:
            batch.add(source.name, data)
        if progress:
            progress(done, len(sources), source.name)
    return batch.report


def import_paths(db: Session, data_dir: Path, paths: Sequence[Path], *, owner_id: int | None,
                 collection: str = TEACHING, progress: Progress | None = None,
                 deidentifier: Deidentifier | None = None) -> ImportReport:
    """Import files, folders (recursively) and zip archives as one de-identified batch."""
    batch = _Batch(db, Path(data_dir), owner_id=owner_id, collection=collection, deidentifier=deidentifier)
    return _run(batch, _sources(paths, batch), progress)


# ---------------------------------------------------------------- DICOMweb


class _DicomWebClient:
    """Just enough of a QIDO-RS / WADO-RS client (PS3.18) over the standard library."""

    def __init__(self, base_url: str, timeout: float, auth: tuple[str, str] | None = None) -> None:
        parsed = urllib.parse.urlsplit(base_url.strip())
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise DicomWebError("Not an http(s) DICOMweb address (e.g. http://127.0.0.1:8042/dicom-web).")
        if parsed.username is not None and auth is None:  # http://user:password@host/... as Orthanc users write it
            auth = (urllib.parse.unquote(parsed.username), urllib.parse.unquote(parsed.password or ""))
        host = f"[{parsed.hostname}]" if ":" in parsed.hostname else parsed.hostname
        netloc = host + (f":{parsed.port}" if parsed.port else "")
        # The address without credentials: this is what messages show.
        self.base = urllib.parse.urlunsplit((parsed.scheme, netloc, parsed.path, "", "")).rstrip("/")
        self.timeout = timeout
        self._authorization = ("Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
                               if auth else None)
        handlers: list[urllib.request.BaseHandler] = []
        if _is_loopback(parsed.hostname or ""):
            handlers.append(urllib.request.ProxyHandler({}))
        self._opener = urllib.request.build_opener(*handlers)

    def get(self, path: str, accept: str, params: dict[str, str] | None = None) -> tuple[bytes, str]:
        url = self.base + path
        if params:
            url += "?" + urllib.parse.urlencode(params)
        headers = {"Accept": accept}
        if self._authorization:
            headers["Authorization"] = self._authorization  # HTTP Basic (RFC 7617), as Orthanc's users use
        request = urllib.request.Request(url, headers=headers)
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                body = response.read(MAX_RESPONSE_BYTES + 1)
                content_type = response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            detail = exc.read(300).decode("utf-8", "replace").strip() if exc.fp else ""
            if exc.code == 401:
                detail = ("wrong user name or password" if self._authorization else
                          "it needs a user name and password (http://user:password@host/...)")
            raise DicomWebError(f"The DICOMweb server at {self.base} answered {exc.code} {exc.reason} "
                                f"for {path}" + (f": {detail}" if detail else "")) from None
        except urllib.error.URLError as exc:
            raise DicomWebError(f"Cannot reach the DICOMweb server at {self.base}: {exc.reason}") from None
        except (TimeoutError, OSError) as exc:
            raise DicomWebError(f"Cannot reach the DICOMweb server at {self.base}: {exc}") from None
        if len(body) > MAX_RESPONSE_BYTES:
            raise DicomWebError(f"The answer for {path} is over {MAX_RESPONSE_BYTES >> 20} MiB; refused.")
        return body, content_type

    def search(self, path: str, params: dict[str, str] | None = None) -> list[dict[str, Any]]:
        body, _ = self.get(path, "application/dicom+json", params)
        if not body.strip():
            return []  # 204 No Content: no matches
        try:
            result = json.loads(body)
        except ValueError:
            raise DicomWebError(f"The DICOMweb server at {self.base} did not answer {path} with DICOM JSON.") from None
        if not isinstance(result, list):
            raise DicomWebError(f"The DICOMweb server at {self.base} answered {path} with something other than "
                                "a list of DICOM JSON objects.")
        return result

    def retrieve(self, path: str) -> list[bytes]:
        body, content_type = self.get(path, 'multipart/related; type="application/dicom"; transfer-syntax=*')
        if not content_type.lower().startswith("multipart/related"):
            raise DicomWebError(f"The DICOMweb server at {self.base} answered {path} with {content_type!r}, "
                                "not multipart/related.")
        try:
            return parse_multipart_related(body, content_type)
        except ValueError as exc:
            raise DicomWebError(f"Unreadable multipart answer for {path}: {exc}") from None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _uid_of(obj: dict[str, Any], tag: str) -> str:
    values = obj.get(tag, {}).get("Value") or []
    return str(values[0]) if values else ""


def _dicomweb_sources(client: _DicomWebClient, batch: _Batch, study_uids: Sequence[str] | None,
                      query: dict[str, str] | None) -> list[_Source]:
    studies: list[str] = []
    if study_uids:
        for uid in study_uids:
            found = client.search("/studies", {"StudyInstanceUID": uid})
            if found:
                studies.append(uid)
            else:
                batch.skip(uid, "no such study on the DICOMweb server")
    if query:
        for match in client.search("/studies", dict(query)):
            uid = _uid_of(match, "0020000D")
            if uid and uid not in studies:
                studies.append(uid)
    sources: list[_Source] = []
    for study in studies:
        quoted_study = urllib.parse.quote(study, safe="")
        for found_series in client.search(f"/studies/{quoted_study}/series"):
            series = _uid_of(found_series, "0020000E")
            if not series:
                continue
            quoted_series = urllib.parse.quote(series, safe="")
            for instance in client.search(f"/studies/{quoted_study}/series/{quoted_series}/instances"):
                sop = _uid_of(instance, "00080018")
                if not sop:
                    continue
                path = f"/studies/{quoted_study}/series/{quoted_series}/instances/{urllib.parse.quote(sop, safe='')}"
                sources.append(_Source(f"{study}/{series}/{sop}", partial(_single_part, client, path)))
    return sources


def _single_part(client: _DicomWebClient, path: str) -> bytes:
    parts = client.retrieve(path)
    if len(parts) != 1:
        raise UnsupportedImage(f"expected one instance from WADO-RS, got {len(parts)}")
    return parts[0]


def import_dicomweb(db: Session, data_dir: Path, base_url: str, *, study_uids: Sequence[str] | None = None,
                    query: dict[str, str] | None = None, owner_id: int | None, collection: str = TEACHING,
                    progress: Progress | None = None, deidentifier: Deidentifier | None = None,
                    timeout: float = 30, auth: tuple[str, str] | None = None) -> ImportReport:
    """Find studies by UID and/or a QIDO-RS query (e.g. ``{"ModalitiesInStudy": "CT"}``) and import them.

    ``auth`` (user, password), or credentials in the address, are sent as HTTP Basic authentication and never
    shown in messages. Unreachable servers and error answers raise ``DicomWebError`` with the server's address
    (without credentials) and status; a
    study UID the server does not have, or an instance that cannot be used, is reported in ``skipped``.
    """
    if not study_uids and not query:
        raise DicomWebError("Say which studies to pull: give study UIDs or a query (e.g. ModalitiesInStudy=CT).")
    client = _DicomWebClient(base_url, timeout, auth)
    batch = _Batch(db, Path(data_dir), owner_id=owner_id, collection=collection, deidentifier=deidentifier)
    return _run(batch, _dicomweb_sources(client, batch, study_uids, query), progress)
