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
class PartialVolume:
    """Sub-voxel composition of the mixed voxels (a compact, exact table; pure voxels are not listed).

    Row r describes voxel ``index[r]`` (flat, C order, into ``Phantom.labels``): it is made of the structures
    ``labels[r, k]`` in volume fractions ``fractions[r, k]`` (largest first, each row sums to 1; unused
    columns have fraction 0). Fractions are multiples of 1/n^3 for n x n x n supersampling (``samples``).
    """

    index: np.ndarray  # int64 (n,)
    labels: np.ndarray  # uint8 (n, k)
    fractions: np.ndarray  # float32 (n, k)
    samples: int  # sub-voxel samples per mixed voxel (n^3)


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
    # Optional partial-volume description (``build_patient(..., partial_volume=True)``); None when not computed.
    partial_volume: PartialVolume | None = None

    @property
    def shape(self) -> tuple[int, int, int]:
        z, y, x = self.labels.shape
        return (z, y, x)

    def extent_mm(self) -> tuple[float, float, float]:
        """Physical size (x, y, z) in mm."""
        dz, dy, dx = self.voxel_mm
        z, y, x = self.labels.shape
        return (x * dx, y * dy, z * dz)

    def label_fraction(self, label: int) -> np.ndarray:
        """Volume fraction (float32, 0-1) of each voxel occupied by ``label`` (0/1 without partial volume)."""
        out = (self.labels == label).astype(np.float32)
        pv = self.partial_volume
        if pv is not None:
            out.reshape(-1)[pv.index] = (pv.fractions * (pv.labels == label)).sum(axis=1)
        return out

    def label_volume_mm3(self, label: int) -> float:
        """Volume of ``label`` in mm^3 (partial-volume weighted when fractions are present)."""
        dz, dy, dx = self.voxel_mm
        return float(self.label_fraction(label).sum(dtype=np.float64)) * dz * dy * dx

    def mix(self, lut: np.ndarray) -> np.ndarray:
        """Per-voxel property from a per-label table (256 values: attenuation, signal, activity ...), volume-
        weighted over the structures in mixed voxels: sum_k f_k lut[label_k]. Without partial volume this is
        ``lut[labels]``."""
        table = np.asarray(lut)
        out = table[self.labels].astype(np.result_type(table.dtype, np.float32), copy=False)
        pv = self.partial_volume
        if pv is not None:
            out.reshape(-1)[pv.index] = (pv.fractions * table[pv.labels]).sum(axis=1)
        return out
