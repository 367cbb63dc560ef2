"""The acquisition interface every modality follows.

A validated, unit-carrying protocol (pydantic) plus a digital patient gives an :class:`Acquisition`: the
image(s), truth masks in image space, dose figures, image-quality figures and feedback. The CLI
(`scanroom acquire`), the web consoles and the practical assessments all call :func:`acquire`; DICOM
export reads an Acquisition and never the simulator's internals.

A new modality adds one module with a ``Scanner`` subclass and registers it (see ``registry.py``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

Progress = Callable[[float, str], None]
"""Progress callback: fraction done in [0, 1] and a short message (the caller decides how to show it)."""


class ProtocolError(ValueError):
    """A protocol or patient request that cannot be scanned; the message is meant for the trainee."""


class ScanProtocol(BaseModel):
    """Base of every modality's protocol: bounded fields with units in their names (``kvp``, ``sid_cm``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_assignment=True)


class PatientRequest(BaseModel):
    """Which digital patient to scan and how it presents (size, lesions, seed)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    patient_id: str = Field(min_length=1, max_length=64)
    size_cm: float | None = Field(default=None, ge=12, le=45, description="Water-equivalent diameter.")
    lesions: tuple[str, ...] = Field(default=(), max_length=8)
    seed: int = Field(default=0, ge=0, le=2**31)


Severity = Literal["good", "info", "warning", "error"]


@dataclass(frozen=True)
class FeedbackItem:
    """One thing an educator would say about the acquisition, with a stable code for scoring."""

    code: str
    severity: Severity
    message: str


@dataclass
class Acquisition:
    """What a scan produced. Images are stored values (as they go into DICOM Pixel Data)."""

    modality: str
    patient: PatientRequest
    protocol: ScanProtocol
    images: np.ndarray  # (frames, rows, cols), uint16 or int16
    pixel_spacing_mm: tuple[float, float]  # (row spacing, column spacing) at the detector / in the image
    truth_masks: dict[str, np.ndarray] = field(default_factory=dict)  # name -> bool (frames, rows, cols)
    dose: dict[str, float] = field(default_factory=dict)
    quality: dict[str, float] = field(default_factory=dict)
    feedback: list[FeedbackItem] = field(default_factory=list)
    display: dict[str, Any] = field(default_factory=dict)  # window centre/width, photometric, rescale
    dicom: dict[str, Any] = field(default_factory=dict)  # modality attributes the DICOM writer needs
    extras: dict[str, np.ndarray] = field(default_factory=dict)  # e.g. a scout image, k-space

    def summary(self) -> dict[str, Any]:
        """The JSON-serialisable summary written as summary.json and shown by --json."""
        return {
            "modality": self.modality,
            "patient": self.patient.model_dump(),
            "protocol": self.protocol.model_dump(),
            "image_shape": list(self.images.shape),
            "pixel_spacing_mm": list(self.pixel_spacing_mm),
            "dose": {k: _plain(v) for k, v in self.dose.items()},
            "quality": {k: _plain(v) for k, v in self.quality.items()},
            "feedback": [{"code": f.code, "severity": f.severity, "message": f.message} for f in self.feedback],
            "truth": sorted(self.truth_masks),
        }


def _plain(value: float) -> float:
    return float(round(float(value), 6))


class Scanner(ABC):
    """A modality's scan room: its protocol model, named presets (exams/protocols) and acquisition."""

    modality: ClassVar[str]
    protocol_model: ClassVar[type[ScanProtocol]]

    @abstractmethod
    def presets(self) -> Mapping[str, ScanProtocol]:
        """Named starting protocols (exam ids such as ``chest-pa``), each valid as it stands."""

    @abstractmethod
    def acquire(self, patient: PatientRequest, protocol: ScanProtocol, *,
                progress: Progress | None = None) -> Acquisition:
        """Scan ``patient`` with ``protocol``. Raises ProtocolError for requests that cannot be scanned."""

    def preset(self, name: str) -> ScanProtocol:
        presets = self.presets()
        if name not in presets:
            raise ProtocolError(f"Unknown {self.modality} protocol {name!r}; choose one of {', '.join(presets)}.")
        return presets[name]


def apply_settings(protocol: ScanProtocol, settings: Sequence[str] | Mapping[str, Any]) -> ScanProtocol:
    """Return ``protocol`` with ``key=value`` overrides applied and validated.

    Unknown keys and out-of-range values raise ProtocolError naming the key, its limits and the value.
    """
    if isinstance(settings, Mapping):
        overrides = dict(settings)
    else:
        overrides = {}
        for item in settings:
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise ProtocolError(f"Setting {item!r} must look like key=value (for example kvp=80).")
            overrides[key.strip()] = value.strip()
    model = type(protocol)
    unknown = sorted(set(overrides) - set(model.model_fields))
    if unknown:
        raise ProtocolError(f"Unknown setting {', '.join(unknown)}; settable keys: {', '.join(model.model_fields)}.")
    try:
        return model.model_validate({**protocol.model_dump(), **overrides})
    except ValidationError as exc:
        raise ProtocolError(readable_validation_error(exc)) from None


def readable_validation_error(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        location = ".".join(str(p) for p in error.get("loc", ()))
        if location:  # a field's own limit: name it and show what was given
            parts.append(f"{location}: {message} (got {error.get('input')!r})")
        else:  # a rule across fields (TE < TR, field within the detector): the message says it all
            parts.append(message)
    return "; ".join(parts)
