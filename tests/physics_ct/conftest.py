"""Shared CT test fixtures: a reduced scanner (fewer channels and views, same physics), small phantoms,
and analytic line integrals of ellipses (independent of the voxel projector)."""

from __future__ import annotations

import numpy as np
import pytest

from scanroom.physics.ct import Acquisition, Collimation, FanBeamGeometry, trace_slice
from scanroom.physics.patients import build_patient

# modified Shepp–Logan (Toft 1996): (value, a, b, x0, y0, phi_deg), unit circle
SHEPP_LOGAN = [
    (1.0, 0.69, 0.92, 0.0, 0.0, 0.0),
    (-0.8, 0.6624, 0.874, 0.0, -0.0184, 0.0),
    (-0.2, 0.11, 0.31, 0.22, 0.0, -18.0),
    (-0.2, 0.16, 0.41, -0.22, 0.0, 18.0),
    (0.1, 0.21, 0.25, 0.0, 0.35, 0.0),
    (0.1, 0.046, 0.046, 0.0, 0.1, 0.0),
    (0.1, 0.046, 0.046, 0.0, -0.1, 0.0),
    (0.1, 0.046, 0.023, -0.08, -0.605, 0.0),
    (0.1, 0.023, 0.023, 0.0, -0.606, 0.0),
    (0.1, 0.023, 0.046, 0.06, -0.605, 0.0),
]


def ellipse_line_integrals(theta: np.ndarray, s: np.ndarray, ellipses, scale: float = 1.0) -> np.ndarray:
    """Exact ∫ f along lines x cos θ + y sin θ = s (arrays broadcast), ellipses scaled by ``scale``."""
    out = np.zeros(np.broadcast(theta, s).shape)
    for rho, a, b, x0, y0, phi in ellipses:
        a, b, x0, y0 = a * scale, b * scale, x0 * scale, y0 * scale
        ph = np.deg2rad(phi)
        sp = s - (x0 * np.cos(theta) + y0 * np.sin(theta))
        t = theta - ph
        a2 = (a * np.cos(t)) ** 2 + (b * np.sin(t)) ** 2
        d = a2 - sp**2
        out += np.where(d > 0, 2 * rho * a * b * np.sqrt(np.clip(d, 0, None)) / a2, 0.0)
    return out


def ellipse_image(x: np.ndarray, y: np.ndarray, ellipses, scale: float = 1.0, supersample: int = 4) -> np.ndarray:
    """Pixel-averaged image of the ellipses on the grid x (columns), y (rows), equal spacing."""
    dx = x[1] - x[0]
    off = (np.arange(supersample) + 0.5) / supersample - 0.5
    img = np.zeros((y.size, x.size))
    for oy in off:
        for ox in off:
            xx = x[None, :] + ox * dx
            yy = y[:, None] + oy * dx
            for rho, a, b, x0, y0, phi in ellipses:
                a, b, x0, y0 = a * scale, b * scale, x0 * scale, y0 * scale
                ph = np.deg2rad(phi)
                u = (xx - x0) * np.cos(ph) + (yy - y0) * np.sin(ph)
                v = -(xx - x0) * np.sin(ph) + (yy - y0) * np.cos(ph)
                img += rho * ((u / a) ** 2 + (v / b) ** 2 <= 1)
    return img / supersample**2


@pytest.fixture(scope="session")
def geom() -> FanBeamGeometry:
    """The default scanner with 512 channels (1 mm at the isocentre) to keep tests quick."""
    return FanBeamGeometry(n_channels=512)


@pytest.fixture(scope="session")
def axial5() -> Acquisition:
    return Acquisition(mode="axial", collimation=Collimation(8, 0.625), slice_thickness_mm=5.0,
                       views_per_rotation=1000, rotation_time_s=1.0, bowtie="body")


@pytest.fixture(scope="session")
def water32():
    return build_patient("water-32", voxel_mm=2.0)


@pytest.fixture(scope="session")
def water32_paths(water32, geom, axial5):
    return trace_slice(water32, geom, axial5, 0.0)
