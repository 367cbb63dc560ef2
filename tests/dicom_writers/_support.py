"""Helpers shared by the DICOM writer tests: dciodvfy and SR content-tree look-ups."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydicom.dataset import Dataset

DCIODVFY = shutil.which("dciodvfy")


def dciodvfy(path: Path) -> tuple[list[str], list[str]]:
    """(errors, warnings) reported by dicom3tools' dciodvfy for one file; skips the test without it."""
    if DCIODVFY is None:
        pytest.skip("dciodvfy (dicom3tools) is not installed")
    result = subprocess.run([DCIODVFY, str(path)], capture_output=True, text=True, timeout=60)
    lines = (result.stdout + result.stderr).splitlines()
    errors = [line for line in lines if line.startswith("Error")]
    warnings = [line for line in lines if line.startswith("Warning")]
    return errors, warnings


def walk(item: Dataset) -> Iterator[Dataset]:
    """Every content item below ``item`` (depth first)."""
    for child in item.get("ContentSequence", []):
        yield child
        yield from walk(child)


def concept(item: Dataset) -> str:
    return item.ConceptNameCodeSequence[0].CodeValue


def find_all(root: Dataset, code: str) -> list[Dataset]:
    return [item for item in walk(root) if concept(item) == code]


def find(root: Dataset, code: str) -> Dataset:
    found = find_all(root, code)
    assert found, f"no content item with concept {code}"
    return found[0]


def children(item: Dataset) -> list[Dataset]:
    return list(item.get("ContentSequence", []))


def child(item: Dataset, code: str) -> Dataset:
    found = [c for c in children(item) if concept(c) == code]
    assert found, f"no child with concept {code}"
    return found[0]


def numeric(item: Dataset) -> tuple[float, str]:
    measured = item.MeasuredValueSequence[0]
    return float(measured.NumericValue), measured.MeasurementUnitsCodeSequence[0].CodeValue
