"""Which modalities the scan room has. Each scanner module registers itself here."""

from __future__ import annotations

from scanroom.scanner.base import Acquisition, PatientRequest, Progress, ProtocolError, Scanner, ScanProtocol

_SCANNERS: dict[str, Scanner] = {}


def register(scanner: Scanner) -> Scanner:
    _SCANNERS[scanner.modality] = scanner
    return scanner


def _load_builtin() -> None:
    """Import the built-in scanner modules (each calls ``register``); modules not yet present are skipped."""
    import importlib

    for name in ("xray", "ct", "mri", "ultrasound", "nm"):
        module_name = f"scanroom.scanner.{name}"
        try:
            importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise


def modalities() -> list[str]:
    _load_builtin()
    return sorted(_SCANNERS)


def get_scanner(modality: str) -> Scanner:
    _load_builtin()
    if modality not in _SCANNERS:
        raise ProtocolError(f"No {modality!r} scan room; available: {', '.join(sorted(_SCANNERS)) or 'none'}.")
    return _SCANNERS[modality]


def acquire(modality: str, patient: PatientRequest, protocol: ScanProtocol, *,
            progress: Progress | None = None) -> Acquisition:
    """The one verb: scan a patient on a modality with a validated protocol."""
    scanner = get_scanner(modality)
    if not isinstance(protocol, scanner.protocol_model):
        raise ProtocolError(f"A {type(protocol).__name__} is not a {modality} protocol.")
    return scanner.acquire(patient, protocol, progress=progress)
