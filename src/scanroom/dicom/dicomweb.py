"""DICOMweb payloads (PS3.18): the DICOM JSON model (Annex F) and multipart/related bodies (§8.7)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from pydicom.dataset import Dataset
from pydicom.uid import ExplicitVRLittleEndian

BULK_TAGS = {"7FE00010", "7FE00008", "7FE00009"}  # PixelData and float variants
DICOM_JSON = "application/dicom+json"


def to_dicom_json(ds: Dataset, bulk_data_uri: str | None = None) -> dict[str, Any]:
    """A dataset as a DICOM JSON object, pixel data replaced by a BulkDataURI (or left out).

    The file meta TransferSyntaxUID is included (as 00020010), as DICOMweb servers such as
    dcm4chee do, so a client knows how frames will arrive.
    """

    def bulk_handler(element: Any) -> str:
        return bulk_data_uri or ""

    result: dict[str, Any] = ds.to_json_dict(bulk_data_threshold=1 << 20, bulk_data_element_handler=bulk_handler)
    for tag in BULK_TAGS & result.keys():
        if bulk_data_uri:
            result[tag] = {"vr": result[tag].get("vr", "OW"), "BulkDataURI": bulk_data_uri}
        else:
            del result[tag]
    # Large palette/overlay data would bloat metadata; pydicom already emitted them inline if small.
    result["00020010"] = {"vr": "UI", "Value": [str(ExplicitVRLittleEndian)]}
    return result


def multipart_related(parts: Iterable[bytes], content_type: str, *,
                      extra_params: str = "") -> tuple[bytes, str]:
    """Encode parts as multipart/related; return (body, Content-Type header value)."""
    boundary = "scanroom-" + secrets.token_hex(12)
    chunks: list[bytes] = []
    for part in parts:
        chunks.append(f"--{boundary}\r\nContent-Type: {content_type}\r\n\r\n".encode())
        chunks.append(part)
        chunks.append(b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    header = f'multipart/related; type="{content_type}"; boundary={boundary}'
    if extra_params:
        header += f"; {extra_params}"
    return b"".join(chunks), header


def parse_multipart_related(body: bytes, content_type_header: str) -> list[bytes]:
    """Split a multipart/related body into its part payloads (used by tests and import clients)."""
    boundary = None
    for param in content_type_header.split(";"):
        key, _, value = param.strip().partition("=")
        if key.lower() == "boundary":
            boundary = value.strip('"')
    if not boundary:
        raise ValueError("Content-Type has no boundary parameter.")
    delimiter = f"--{boundary}".encode()
    payloads = []
    for section in body.split(delimiter)[1:]:
        if section.startswith(b"--"):
            break
        _headers, _, payload = section.partition(b"\r\n\r\n")
        payloads.append(payload[:-2] if payload.endswith(b"\r\n") else payload)
    return payloads
