"""One verb per step: trace once, then render + reconstruct for any technique (the scanner layer's API).

>>> geom = FanBeamGeometry()
>>> acq = Acquisition(mode="axial", collimation=Collimation(8, 0.625), slice_thickness_mm=5.0)
>>> paths = trace_slice(phantom, geom, acq, z_mm=0.0)                       # seconds, once
>>> img = image_from_paths(paths, kvp=120, mas_per_view=0.3, recon=Reconstruction(kernel="soft"))
>>> img.hu                                                                  # tens to hundreds of ms
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scanroom.physics.ct.geometry import Acquisition, FanBeamGeometry
from scanroom.physics.ct.projector import Beam, SlicePaths, bh_correct, make_beam, render, trace_slice
from scanroom.physics.ct.recon import KERNELS, fbp_fan, os_sart_fan, to_hu
from scanroom.physics.phantom import Phantom

__all__ = ["Reconstruction", "CTImage", "reconstruct", "image_from_paths", "scan_slice"]


@dataclass(frozen=True)
class Reconstruction:
    """Reconstruction settings. ``method``: "fbp" or "os-sart" (iterative, FBP start)."""

    kernel: str = "standard"
    matrix: int = 512
    fov_mm: float = 350.0
    centre_mm: tuple[float, float] = (0.0, 0.0)
    method: str = "fbp"
    fan_method: str = "rebin"
    bh_correction: bool = True
    iterations: int = 3
    subsets: int = 10
    smoothing: float = 0.1

    def __post_init__(self) -> None:
        if self.kernel not in KERNELS:
            raise ValueError(f"unknown kernel {self.kernel!r}; choose one of {', '.join(KERNELS)}")
        if self.method not in ("fbp", "os-sart"):
            raise ValueError("method must be 'fbp' or 'os-sart'")
        if not 64 <= self.matrix <= 1024:
            raise ValueError("matrix must be 64-1024")
        if self.fov_mm <= 0:
            raise ValueError("reconstruction FOV must be positive")


@dataclass(frozen=True, eq=False)
class CTImage:
    """A reconstructed axial image in HU, rows ↔ +y (posterior), columns ↔ +x (patient left)."""

    hu: np.ndarray
    pixel_mm: float
    fov_mm: float
    centre_mm: tuple[float, float]
    z_mm: float
    kernel: str
    kvp: float
    mas_per_rotation: float
    mu_water_cm: float
    effective_energy_kev: float


def reconstruct(p: np.ndarray, beam: Beam, geometry: FanBeamGeometry, angles_rad: np.ndarray, recon: Reconstruction,
                z_mm: float = 0.0, mas_per_rotation: float = float("nan")) -> CTImage:
    """Beam-hardening correction, reconstruction and HU calibration of raw log projections."""
    if recon.fov_mm > geometry.bore_mm:
        raise ValueError(f"reconstruction FOV {recon.fov_mm} mm is larger than the bore ({geometry.bore_mm} mm)")
    pc = bh_correct(p, beam, enabled=recon.bh_correction)
    if recon.method == "fbp":
        mu = fbp_fan(pc, geometry, angles_rad, kernel=recon.kernel, matrix=recon.matrix, fov_mm=recon.fov_mm,
                     centre_mm=recon.centre_mm, method=recon.fan_method)
    else:
        if recon.centre_mm != (0.0, 0.0):
            raise ValueError("the iterative option reconstructs centred FOVs only")
        mu = os_sart_fan(pc, geometry, angles_rad, matrix=recon.matrix, fov_mm=recon.fov_mm,
                         iterations=recon.iterations, subsets=recon.subsets, smoothing=recon.smoothing,
                         kernel=recon.kernel)
    return CTImage(to_hu(mu, beam.mu_ref_cm), recon.fov_mm / recon.matrix, recon.fov_mm, recon.centre_mm,
                   float(z_mm), recon.kernel, beam.kvp, float(mas_per_rotation), beam.mu_ref_cm,
                   beam.effective_energy_kev)


def image_from_paths(
    paths: SlicePaths,
    *,
    kvp: float,
    mas_per_view: np.ndarray | float,
    recon: Reconstruction = Reconstruction(),
    bowtie: str | None = None,
    noise: bool = True,
    seed: int = 0,
    channel_gain: np.ndarray | None = None,
) -> CTImage:
    """Render and reconstruct traced paths for a technique (the fast path for protocol changes).

    ``bowtie`` defaults to the acquisition's (stored in the paths).
    """
    beam = make_beam(paths.geometry, float(kvp), paths.bowtie if bowtie is None else bowtie)
    p = render(paths, beam, mas_per_view, noise=noise, seed=seed, channel_gain=channel_gain)
    mas_rot = float(np.sum(np.broadcast_to(mas_per_view, (paths.n_views,))))
    return reconstruct(p, beam, paths.geometry, paths.angles_rad, recon, paths.z_mm, mas_rot)


def scan_slice(
    phantom: Phantom,
    geometry: FanBeamGeometry,
    acquisition: Acquisition,
    z_mm: float,
    *,
    kvp: float = 120.0,
    ma: float = 200.0,
    recon: Reconstruction = Reconstruction(),
    noise: bool = True,
    seed: int = 0,
    n_views: int | None = None,
) -> CTImage:
    """Trace, render and reconstruct one image at fixed mA (convenience for scripts and tests)."""
    paths = trace_slice(phantom, geometry, acquisition, z_mm, n_views=n_views)
    mas_view = ma * acquisition.rotation_time_s / paths.n_views
    return image_from_paths(paths, kvp=kvp, mas_per_view=mas_view, recon=recon, noise=noise, seed=seed)
