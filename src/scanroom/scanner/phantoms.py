"""Digital patients as the scan rooms use them: built once per request and kept in a small cache.

Building a patient costs 0.1–1 s; a trainee changing kVp or TR must not pay it again, so every modality
asks here instead of calling ``build_patient`` itself.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from scanroom.physics.patients import build_patient, list_patients
from scanroom.physics.phantom import Phantom
from scanroom.scanner.base import PatientRequest, ProtocolError

T = TypeVar("T")


class LRU(OrderedDict[str, Any]):
    """A small least-recently-used cache keyed by strings."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def get_or(self, key: str, make: Callable[[], T]) -> T:
        if key in self:
            self.move_to_end(key)
            value: T = self[key]
            return value
        value = make()
        self[key] = value
        while len(self) > self.size:
            self.popitem(last=False)
        return value


def cache_key(*parts: Any) -> str:
    """A stable key for JSON-able parts (protocols, patient requests, numbers)."""
    return hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def is_qa(patient_id: str) -> bool:
    return any(p.patient_id == patient_id and p.kind == "qa" for p in list_patients())


_PHANTOMS = LRU(6)


def phantom_for(patient: PatientRequest, region: str | None, voxel_mm: float, *, rotation_deg: float = 0.0,
                what: str = "scan") -> Phantom:
    """The patient built for ``region`` (ignored for QA phantoms), rotated about the long axis, cached."""
    qa = is_qa(patient.patient_id)
    crop = None if qa else region

    def make() -> Phantom:
        try:
            return build_patient(patient.patient_id, region=crop, voxel_mm=voxel_mm, size_cm=patient.size_cm,
                                 lesions=list(patient.lesions), seed=patient.seed,
                                 rotation_deg=(0.0, 0.0, rotation_deg))
        except ValueError as exc:
            raise ProtocolError(f"Cannot {what} {patient.patient_id}: {exc}") from None

    return _PHANTOMS.get_or(cache_key(patient.model_dump(), crop, voxel_mm, rotation_deg), make)
