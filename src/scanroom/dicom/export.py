"""Acquisition → DICOM: one writer per modality, all sharing the PS3.3 module builders.

Writers register themselves by modality; ``to_datasets`` picks the right one. Every object written must
pass ``dciodvfy`` (dicom3tools) without errors; tests check that.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pydicom.dataset import Dataset

from scanroom.dicom.modules import StudyContext
from scanroom.scanner.base import Acquisition

Writer = Callable[[Acquisition, StudyContext], list[Dataset]]
_WRITERS: dict[str, Writer] = {}


def register_writer(modality: str) -> Callable[[Writer], Writer]:
    def decorate(writer: Writer) -> Writer:
        _WRITERS[modality] = writer
        return writer

    return decorate


def _load_builtin() -> None:
    import importlib

    for name in ("xray", "ct", "mri", "ultrasound", "nm"):
        module_name = f"scanroom.dicom.writers.{name}"
        try:
            importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise


def to_datasets(acquisition: Acquisition, ctx: StudyContext) -> list[Dataset]:
    """The DICOM objects (images first, then any dose reports) for one acquisition."""
    _load_builtin()
    if acquisition.modality not in _WRITERS:
        raise ValueError(f"No DICOM writer for modality {acquisition.modality!r}.")
    return _WRITERS[acquisition.modality](acquisition, ctx)


def write_files(datasets: list[Dataset], out_dir: Path) -> list[Path]:
    """Write datasets as PS3.10 files named by modality and instance number."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, ds in enumerate(datasets, start=1):
        path = out_dir / f"{ds.Modality}-{index:04d}.dcm"
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths
