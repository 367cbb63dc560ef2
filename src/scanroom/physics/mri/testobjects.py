"""Small synthetic objects for validation, benchmarks and the gallery (not digital patients).

``brain_phantom`` is a stylised head of nested ellipsoids (scalp fat, skull, CSF, grey matter, white
matter, lateral ventricles); ``block_phantom`` a rectangular block of one material in air (SNR, Gibbs,
aliasing); ``fat_water_phantom`` two blocks side by side (chemical shift).
"""

from __future__ import annotations

import numpy as np

from scanroom.physics.phantom import Phantom

__all__ = ["brain_phantom", "block_phantom", "fat_water_phantom", "BRAIN_LABELS"]

BRAIN_LABELS = {0: "air", 1: "adipose", 2: "cortical-bone", 3: "csf", 4: "grey-matter", 5: "white-matter",
                6: "csf", 7: "muscle"}
_NAMES = {0: "air", 1: "scalp-fat", 2: "skull", 3: "csf-subarachnoid", 4: "grey-matter", 5: "white-matter",
          6: "ventricles", 7: "scalp-muscle"}


def _grid(shape: tuple[int, int, int], voxel_mm: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    nz, ny, nx = shape
    z = (np.arange(nz) - (nz - 1) / 2) * voxel_mm
    y = (np.arange(ny) - (ny - 1) / 2) * voxel_mm
    x = (np.arange(nx) - (nx - 1) / 2) * voxel_mm
    return np.meshgrid(z, y, x, indexing="ij")


def _origin(shape: tuple[int, int, int], voxel_mm: float) -> tuple[float, float, float]:
    nz, ny, nx = shape
    return (-(nx - 1) / 2 * voxel_mm, -(ny - 1) / 2 * voxel_mm, -(nz - 1) / 2 * voxel_mm)


def brain_phantom(n: int = 128, voxel_mm: float = 1.6, nz: int | None = None) -> Phantom:
    """Stylised head (≈ 150 × 190 × 150 mm skull) centred at the origin, ``n × n`` in plane."""
    nz = nz if nz is not None else n
    shape = (nz, n, n)
    Z, Y, X = _grid(shape, voxel_mm)
    lab = np.zeros(shape, np.int16)

    def ell(a: float, b: float, c: float, dx: float = 0.0, dy: float = 0.0, dz: float = 0.0) -> np.ndarray:
        return ((X - dx) / a) ** 2 + ((Y - dy) / b) ** 2 + ((Z - dz) / c) ** 2 <= 1.0

    lab[ell(78, 98, 80)] = 1
    lab[ell(75, 95, 77)] = 7
    lab[ell(72, 92, 74)] = 2
    lab[ell(66, 86, 68)] = 3
    lab[ell(63, 83, 65)] = 4
    lab[ell(54, 73, 56)] = 5
    for s in (-1, 1):
        lab[ell(7, 24, 12, dx=s * 11, dy=-4, dz=8)] = 6
    return Phantom("mri-brain-test", lab, (voxel_mm,) * 3, _origin(shape, voxel_mm), dict(BRAIN_LABELS),
                   dict(_NAMES), description="Stylised ellipsoid head for MRI validation")


def block_phantom(material: str = "water", size_mm: tuple[float, float, float] = (120.0, 120.0, 60.0),
                  voxel_mm: float = 1.0, grid: tuple[int, int, int] = (80, 200, 200)) -> Phantom:
    """Rectangular block ``size_mm`` (x, y, z) of ``material`` centred in air on a ``grid (z, y, x)``."""
    Z, Y, X = _grid(grid, voxel_mm)
    inside = (np.abs(X) < size_mm[0] / 2) & (np.abs(Y) < size_mm[1] / 2) & (np.abs(Z) < size_mm[2] / 2)
    lab = inside.astype(np.int16)
    return Phantom(f"block-{material}", lab, (voxel_mm,) * 3, _origin(grid, voxel_mm), {0: "air", 1: material},
                   {0: "air", 1: material})


def fat_water_phantom(voxel_mm: float = 1.0, grid: tuple[int, int, int] = (40, 160, 160)) -> Phantom:
    """Water block (left) and fat block (right), 50 mm each along x, 100 mm along y, 30 mm along z."""
    Z, Y, X = _grid(grid, voxel_mm)
    slab = (np.abs(Y) < 50) & (np.abs(Z) < 15)
    lab = np.zeros(grid, np.int16)
    lab[slab & (X > -60) & (X < -10)] = 1
    lab[slab & (X > 10) & (X < 60)] = 2
    return Phantom("fat-water", lab, (voxel_mm,) * 3, _origin(grid, voxel_mm), {0: "air", 1: "water", 2: "adipose"},
                   {0: "air", 1: "water", 2: "fat"})
