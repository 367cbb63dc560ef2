"""The voxel phantom every modality images: a label volume plus what each label is made of.

Coordinate convention (shared by every simulator, matches DICOM's patient coordinate system, LPS):
array axes are ``(z, y, x)``; +x points to the patient's Left, +y to Posterior, +z to Superior (head).
``origin_mm`` is the LPS position of the centre of voxel ``(0, 0, 0)``; voxel ``(k, j, i)`` sits at
``origin_mm + (i * dx, j * dy, k * dz)`` written in (x, y, z) order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class LesionTruth:
    """Ground truth of one inserted lesion: what, where, how big, and exactly which voxels."""

    lesion_id: str  # stable lesion type id, e.g. "lung-nodule"
    instance: int  # 1-based index among the lesions of this phantom
    organ: str  # organ/structure it lies in, e.g. "lung-right"
    material: str  # material id of the lesion tissue
    center_mm: tuple[float, float, float]  # LPS (x, y, z)
    size_mm: float  # largest diameter
    mask: np.ndarray  # bool, same shape as Phantom.labels
    params: dict[str, float | str] = field(default_factory=dict)


@dataclass(frozen=True)
class Phantom:
    """A digital patient or QA phantom on a regular voxel grid."""

    phantom_id: str
    labels: np.ndarray  # integer label volume, axes (z, y, x)
    voxel_mm: tuple[float, float, float]  # (dz, dy, dx)
    origin_mm: tuple[float, float, float]  # LPS (x, y, z) of voxel (0, 0, 0) centre
    label_materials: dict[int, str]  # label value -> material id (physics.materials)
    label_names: dict[int, str]  # label value -> structure name ("liver", "rib-7-left", ...)
    lesions: tuple[LesionTruth, ...] = ()
    description: str = ""

    @property
    def shape(self) -> tuple[int, int, int]:
        z, y, x = self.labels.shape
        return (z, y, x)

    def extent_mm(self) -> tuple[float, float, float]:
        """Physical size (x, y, z) in mm."""
        dz, dy, dx = self.voxel_mm
        z, y, x = self.labels.shape
        return (x * dx, y * dy, z * dz)
