"""Tube current: fixed mA, or automatic modulation from the topogram (angular and longitudinal).

Angular: within a rotation, ``mA(β) ∝ A(β)^½`` where ``A(β) = exp(μ_w·t(β))`` is the attenuation of the
water-equivalent ellipse (lateral width × AP thickness from the topogram) along the central ray at gantry
angle β. The square-root law minimises image noise for a given mAs (Gies M, Kalender WA, Wolf H,
Suess C. Dose reduction in CT by anatomically adapted tube current modulation. I. Simulation studies.
Med Phys 1999;26:2235–2247). The angular profile is normalised to a mean of 1 per rotation.

Longitudinal: the mean mAs per rotation follows the water-equivalent diameter D_w(z) (AAPM Report 220),
``mAs(z) = mAs_ref · [exp(μ_w·(D_w(z) − D_ref))]^α``, a CARE Dose-like "strength" α: 0 = fixed mAs,
1 = constant noise (mAs ∝ attenuation), ≈ 0.5 a typical compromise (teaching values; vendors' curves
differ and are not public in this form). Limits of the generator clip the result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "STRENGTHS",
    "MA_LIMITS",
    "TubeCurrentPlan",
    "angular_factor",
    "longitudinal_mas",
    "plan_tube_current",
    "fixed_plan",
]

STRENGTHS = {"off": 0.0, "weak": 0.33, "average": 0.5, "strong": 0.7, "constant-noise": 1.0}
MA_LIMITS = (10.0, 800.0)
MU_WATER_EFF_CM = 0.19  # effective water μ of a 120 kV CT beam after filtration (order of the BHC μ_ref)


def angular_factor(angles_rad: np.ndarray, lat_cm: float, ap_cm: float, exponent: float = 0.5) -> np.ndarray:
    """Relative mA per view (mean 1) for an ellipse ``lat_cm`` × ``ap_cm`` (water-equivalent).

    The central ray at gantry angle β runs along (−sin β, cos β): AP at β = 0, lateral at β = 90°.
    """
    if lat_cm <= 0 or ap_cm <= 0:
        raise ValueError("ellipse axes must be positive")
    a, b = lat_cm / 2.0, ap_cm / 2.0
    dx, dy = -np.sin(angles_rad), np.cos(angles_rad)
    t = 2.0 / np.sqrt((dx / a) ** 2 + (dy / b) ** 2)
    f = np.exp(exponent * MU_WATER_EFF_CM * (t - t.mean()))
    return f / f.mean()


def longitudinal_mas(wed_cm: np.ndarray, reference_mas: float, reference_wed_cm: float, strength: float) -> np.ndarray:
    """mAs per rotation along z from the water-equivalent diameter (see module docstring)."""
    if reference_mas <= 0:
        raise ValueError("reference mAs must be positive")
    if not 0.0 <= strength <= 1.0:
        raise ValueError("strength must be in [0, 1]")
    wed = np.asarray(wed_cm, dtype=np.float64)
    return reference_mas * np.exp(strength * MU_WATER_EFF_CM * (wed - reference_wed_cm))


@dataclass(frozen=True, eq=False)
class TubeCurrentPlan:
    """Tube current along the scan: mean mA per rotation at table positions, plus the angular shape."""

    z_mm: np.ndarray  # (n,) image positions
    ma_mean: np.ndarray  # (n,) mean mA of the rotation at each position
    lat_cm: np.ndarray  # (n,) water-equivalent ellipse for the angular modulation (0 = none)
    ap_cm: np.ndarray
    rotation_time_s: float
    angular: bool

    @property
    def mas_per_rotation(self) -> np.ndarray:
        return self.ma_mean * self.rotation_time_s

    @property
    def mean_mas(self) -> float:
        """Mean mAs per rotation over the scan (what CTDIvol uses)."""
        return float(np.mean(self.mas_per_rotation))

    def ma_per_view(self, z_mm: float, angles_rad: np.ndarray) -> np.ndarray:
        """mA of every view of the rotation reconstructed at ``z_mm``."""
        m = float(np.interp(z_mm, self.z_mm, self.ma_mean))
        if not self.angular:
            return np.full(np.shape(angles_rad), m)
        lat = float(np.interp(z_mm, self.z_mm, self.lat_cm))
        ap = float(np.interp(z_mm, self.z_mm, self.ap_cm))
        ma = m * angular_factor(np.asarray(angles_rad), lat, ap)
        return np.clip(ma, *MA_LIMITS)

    def mas_per_view(self, z_mm: float, angles_rad: np.ndarray) -> np.ndarray:
        """mAs of every view (mA × rotation time / views)."""
        a = np.asarray(angles_rad)
        return self.ma_per_view(z_mm, a) * self.rotation_time_s / a.size


def fixed_plan(ma: float, rotation_time_s: float, z_mm: np.ndarray | None = None) -> TubeCurrentPlan:
    """Constant tube current."""
    if not MA_LIMITS[0] <= ma <= MA_LIMITS[1]:
        raise ValueError(f"tube current must be {MA_LIMITS[0]:g}-{MA_LIMITS[1]:g} mA, got {ma}")
    z = np.array([0.0]) if z_mm is None else np.asarray(z_mm, dtype=np.float64)
    n = z.size
    return TubeCurrentPlan(z, np.full(n, float(ma)), np.zeros(n), np.zeros(n), float(rotation_time_s), False)


def plan_tube_current(
    z_mm: np.ndarray,
    wed_cm: np.ndarray,
    lat_cm: np.ndarray,
    ap_cm: np.ndarray,
    *,
    reference_mas: float,
    rotation_time_s: float,
    reference_wed_cm: float = 30.0,
    strength: float | str = "average",
    angular: bool = True,
) -> TubeCurrentPlan:
    """Automatic exposure control from topogram sizes (see :func:`scanroom.physics.ct.scout.sizes`).

    ``reference_mas`` is the quality-reference mAs for a patient of ``reference_wed_cm`` (e.g. 30 cm
    for an adult abdomen, 17 cm for an adult head).
    """
    s = STRENGTHS[strength] if isinstance(strength, str) else float(strength)
    if isinstance(strength, str) and strength not in STRENGTHS:
        raise ValueError(f"strength must be one of {list(STRENGTHS)} or a number")
    mas = longitudinal_mas(wed_cm, reference_mas, reference_wed_cm, s)
    ma = np.clip(mas / rotation_time_s, *MA_LIMITS)
    return TubeCurrentPlan(np.asarray(z_mm, float), ma, np.asarray(lat_cm, float), np.asarray(ap_cm, float),
                           float(rotation_time_s), bool(angular))
