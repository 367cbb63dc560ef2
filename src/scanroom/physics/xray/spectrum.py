"""Tungsten-anode tube spectra, air kerma and half-value layer.

Default path (no SpekPy, no cache): a bundled table of SpekPy spectra (``data/spectra_w12.npz``,
40–150 kV in 1 kV steps, 12° anode, 1 keV bins, at 2.5 mm Al total — the default — and at 0.5 mm Al;
made by ``tools/make_spectrum_table.py``). Other settings are derived from it:

- other Al / Cu filtration: Beer–Lambert with xraydb μ for the filtration *added* to the heaviest
  tabulated base not above the requested Al (below 0.5 mm Al the difference is removed);
- other anode angles and the heel effect: tungsten self-filtration along the photon's escape path,
  ``exp(−μ_W(E)·d·(f(ψ) − 1/sin 12°))`` with ``f(ψ) = √(1/sin²ψ + tan²β)`` (the escape-path factor SpekPy
  uses), ψ the take-off angle from the anode surface, β the out-of-plane angle, and ``d`` an effective
  production depth fitted per kVp to SpekPy off-axis air kerma (bundled);
- voltage ripple: time average of constant-potential spectra over ``kV(t) = kVp·(1 − r·(1 − |sin πt|))``,
  with constant tube current (SpekPy itself has no ripple model);
- non-integer kVp: linear interpolation between neighbouring table rows.

Exact SpekPy spectra for any setting: :func:`spekpy_spectra` (pure, slow: ~0.3–0.9 s each) and
:class:`SpectrumCache`, which keeps them in memory (LRU) and in a directory the caller provides.

Units: fluence in photons / mm² / mAs at 1 m from the focus, per energy bin (1 keV bins, so also per keV),
in vacuo (no air). Air kerma in µGy / mAs at 1 m.

References
----------
Poludniowski G, Omar A, Bujila R, Andreo P. SpekPy v2.0 — a software toolkit for modeling x-ray tube
spectra. Med Phys 2021;48:3630–3637.
Hubbell JH, Seltzer SM. Tables of X-ray mass attenuation coefficients and mass energy-absorption
coefficients (NISTIR 5632), for the air-kerma weighting checked in the tests.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
from scipy.optimize import brentq

from scanroom.physics.xray.attenuation import mu_en_over_rho_air_cm2_g, mu_linear_cm

__all__ = [
    "Spectrum",
    "KVP_RANGE",
    "REFERENCE_ANODE_ANGLE_DEG",
    "REFERENCE_TOTAL_AL_MM",
    "tube_spectrum",
    "filtered",
    "air_kerma_ugy_per_mas",
    "hvl_mm_al",
    "mean_energy_kev",
    "fluence_per_air_kerma",
    "heel_depth_cm",
    "anode_escape_factor",
    "heel_tungsten_excess_cm",
    "spekpy_spectra",
    "spekpy_spectrum",
    "SpectrumCache",
]

KVP_RANGE = (40.0, 150.0)
REFERENCE_ANODE_ANGLE_DEG = 12.0
REFERENCE_TOTAL_AL_MM = 2.5
_KEV_TO_J = 1.602176634e-16


@dataclass(frozen=True, eq=False)
class Spectrum:
    """Photon fluence spectrum of an X-ray tube at 1 m from the focus, per mAs."""

    energies_kev: np.ndarray  # (n,) bin centres
    fluence: np.ndarray  # (n,) photons / mm² / mAs at 1 m in each bin
    bin_width_kev: float
    kvp: float
    anode_angle_deg: float
    total_al_mm: float
    cu_mm: float
    ripple: float = 0.0
    source: str = "table"  # "table" (bundled + models) or "spekpy" (exact SpekPy)

    @property
    def total_fluence(self) -> float:
        """Photons / mm² / mAs at 1 m, all energies."""
        return float(np.sum(self.fluence))


# --------------------------------------------------------------------------------------------- table


@dataclass(frozen=True, eq=False)
class _Table:
    energies_kev: np.ndarray
    kvp: np.ndarray
    fluence: np.ndarray  # float64 (n_kvp, n_e) at total_al_mm
    fluence_light: np.ndarray  # float64 (n_kvp, n_e) at light_al_mm
    heel_kvp: np.ndarray
    heel_depth_cm: np.ndarray
    anode_angle_deg: float
    total_al_mm: float
    light_al_mm: float


@lru_cache(maxsize=1)
def _table() -> _Table:
    ref = resources.files("scanroom.physics.xray").joinpath("data/spectra_w12.npz")
    with resources.as_file(ref) as path, np.load(path) as z:
        return _Table(
            energies_kev=np.asarray(z["energies_kev"], dtype=np.float64),
            kvp=np.asarray(z["kvp"], dtype=np.float64),
            fluence=np.asarray(z["fluence"], dtype=np.float64),
            fluence_light=np.asarray(z["fluence_al05"], dtype=np.float64),
            heel_kvp=np.asarray(z["heel_kvp"], dtype=np.float64),
            heel_depth_cm=np.asarray(z["heel_depth_um"], dtype=np.float64) * 1e-4,
            anode_angle_deg=float(z["anode_angle_deg"]),
            total_al_mm=float(z["total_al_mm"]),
            light_al_mm=float(z["light_al_mm"]),
        )


def _table_row(kvp: float, light: bool = False) -> np.ndarray:
    """Constant-potential spectrum at ``kvp`` (12°, one of the two bases), linear in kVp between rows."""
    t = _table()
    table = t.fluence_light if light else t.fluence
    lo_kv, hi_kv = t.kvp[0], t.kvp[-1]
    if kvp > hi_kv + 1e-9:
        raise ValueError(f"kVp {kvp} above the table ({hi_kv} kV)")
    if kvp < lo_kv:
        # crude extension below the table, used only by ripple troughs: output ∝ kV², end point at kV
        row = table[0] * (max(kvp, 0.0) / lo_kv) ** 2
        return np.where(t.energies_kev + 0.5 <= kvp, row, 0.0)
    x = (kvp - lo_kv) / (t.kvp[1] - t.kvp[0])
    i = min(int(np.floor(x)), t.kvp.size - 2)
    w = x - i
    row = (1.0 - w) * table[i] + w * table[i + 1]
    return np.where(t.energies_kev - 0.5 < kvp, row, 0.0)


def heel_depth_cm(kvp: float) -> float:
    """Effective photon-production depth ``d`` (cm of W) of the heel model, interpolated in kVp."""
    t = _table()
    return float(np.interp(kvp, t.heel_kvp, t.heel_depth_cm))


def anode_escape_factor(takeoff_rad: np.ndarray | float, out_of_plane_rad: np.ndarray | float = 0.0) -> np.ndarray:
    """Escape path / production depth in the anode: √(1/sin²ψ + tan²β) (as in SpekPy's SpekTools)."""
    psi = np.asarray(takeoff_rad, dtype=np.float64)
    beta = np.asarray(out_of_plane_rad, dtype=np.float64)
    s = np.sin(psi)
    with np.errstate(divide="ignore"):
        return np.where(s > 0, np.sqrt(1.0 / np.maximum(s, 1e-12) ** 2 + np.tan(beta) ** 2), np.inf)


def heel_tungsten_excess_cm(kvp: float, takeoff_rad: np.ndarray | float,
                            out_of_plane_rad: np.ndarray | float = 0.0) -> np.ndarray:
    """Extra tungsten path (cm) of a ray relative to the table's reference ray (12°, central axis).

    Negative values mean less self-filtration than the reference (rays towards the cathode or a
    steeper anode). Rays behind the anode surface (ψ ≤ 0) get ``inf`` (no emission).
    """
    ref = 1.0 / np.sin(np.deg2rad(_table().anode_angle_deg))
    return heel_depth_cm(kvp) * (anode_escape_factor(takeoff_rad, out_of_plane_rad) - ref)


# ---------------------------------------------------------------------------------------- spectra


def _ripple_average(kvp: float, ripple: float, light: bool, n: int = 64) -> np.ndarray:
    if ripple == 0.0:
        return _table_row(kvp, light)
    t = (np.arange(n) + 0.5) / n
    volts = kvp * (1.0 - ripple * (1.0 - np.abs(np.sin(np.pi * t))))
    return np.mean([_table_row(v, light) for v in volts], axis=0)


def tube_spectrum(
    kvp: float,
    *,
    anode_angle_deg: float = REFERENCE_ANODE_ANGLE_DEG,
    inherent_al_mm: float = REFERENCE_TOTAL_AL_MM,
    added_al_mm: float = 0.0,
    added_cu_mm: float = 0.0,
    ripple: float = 0.0,
) -> Spectrum:
    """Spectrum on the central ray, per mAs at 1 m, from the bundled table (no SpekPy needed).

    Parameters
    ----------
    kvp : tube voltage (peak), 40–150 kV.
    anode_angle_deg : target angle, 5–25°.
    inherent_al_mm, added_al_mm : inherent (tube + housing) and added aluminium; total Al is their sum.
    added_cu_mm : added copper.
    ripple : (Umax − Umin)/Umax of the voltage waveform, 0 (constant potential) to 1.

    Notes
    -----
    Filtration differences from the table's 2.5 mm Al use xraydb μ; the anode angle uses the heel model
    (module docstring). Both are checked against SpekPy in ``tests/physics_xray``.
    """
    lo, hi = KVP_RANGE
    if not lo <= kvp <= hi:
        raise ValueError(f"kVp must be in [{lo}, {hi}], got {kvp}")
    if not 5.0 <= anode_angle_deg <= 25.0:
        raise ValueError(f"anode angle must be in [5, 25] degrees, got {anode_angle_deg}")
    total_al = inherent_al_mm + added_al_mm
    if total_al < 0 or added_cu_mm < 0:
        raise ValueError("filtration thicknesses must be non-negative")
    if not 0.0 <= ripple <= 1.0:
        raise ValueError(f"ripple must be in [0, 1], got {ripple}")
    t = _table()
    e = t.energies_kev
    light = total_al < t.total_al_mm - 1e-9
    base_al = t.light_al_mm if light else t.total_al_mm
    fl = _ripple_average(float(kvp), float(ripple), light)
    if anode_angle_deg != t.anode_angle_deg:
        # heel depth at the mean kV of the waveform is adequate (d varies slowly with kV)
        excess = heel_tungsten_excess_cm(kvp * (1 - ripple / 2), np.deg2rad(anode_angle_deg))
        fl = fl * np.exp(-mu_linear_cm("W", e) * excess)
    spec = Spectrum(e.copy(), fl, 1.0, float(kvp), float(anode_angle_deg), base_al, 0.0, float(ripple))
    return filtered(spec, al_mm=total_al - base_al, cu_mm=added_cu_mm)


def filtered(spectrum: Spectrum, *, al_mm: float = 0.0, cu_mm: float = 0.0,
             others: dict[str, float] | None = None) -> Spectrum:
    """Spectrum after extra filtration (mm; negative Al removes filtration down to 0 mm total).

    ``others`` maps xraydb formulas in ``attenuation.DENSITY_G_CM3`` (e.g. "W", "Pb") to thickness in mm.
    """
    if spectrum.total_al_mm + al_mm < -1e-9 or spectrum.cu_mm + cu_mm < -1e-9:
        raise ValueError("total filtration would become negative")
    e = spectrum.energies_kev
    mut = np.zeros_like(e)
    if al_mm:
        mut += mu_linear_cm("Al", e) * al_mm * 0.1
    if cu_mm:
        mut += mu_linear_cm("Cu", e) * cu_mm * 0.1
    for material, thickness_mm in (others or {}).items():
        mut += mu_linear_cm(material, e) * thickness_mm * 0.1
    fl = spectrum.fluence * np.exp(-mut)
    return replace(spectrum, fluence=fl, total_al_mm=spectrum.total_al_mm + al_mm, cu_mm=spectrum.cu_mm + cu_mm)


def air_kerma_ugy_per_mas(spectrum: Spectrum, distance_mm: float = 1000.0) -> float:
    """Air kerma (µGy/mAs) at ``distance_mm`` from the focus: Σ Φ(E)·E·(μ_en/ρ)_air(E), inverse square."""
    e = spectrum.energies_kev
    per_cm2 = spectrum.fluence * 100.0
    gy = np.sum(per_cm2 * e * _KEV_TO_J * mu_en_over_rho_air_cm2_g(e) * 1000.0)
    return float(gy * 1e6 * (1000.0 / distance_mm) ** 2)


def fluence_per_air_kerma(spectrum: Spectrum) -> float:
    """Photons / mm² / µGy (the SNR²_in per air kerma of IEC 62220-1)."""
    return spectrum.total_fluence / air_kerma_ugy_per_mas(spectrum)


def mean_energy_kev(spectrum: Spectrum) -> float:
    """Fluence-weighted mean photon energy (keV)."""
    return float(np.sum(spectrum.fluence * spectrum.energies_kev) / np.sum(spectrum.fluence))


def hvl_mm_al(spectrum: Spectrum, which: int = 1) -> float:
    """First (``which=1``) or second (``which=2``) half-value layer in mm Al, air-kerma weighted.

    Narrow-beam: solves K(t) = K(0)/2 (or /4 for HVL1+HVL2) with K(t) = Σ Φ E μ_en e^(−μ_Al t).
    """
    if which not in (1, 2):
        raise ValueError("which must be 1 or 2")
    e = spectrum.energies_kev
    w = spectrum.fluence * e * mu_en_over_rho_air_cm2_g(e)
    mu_al = mu_linear_cm("Al", e) * 0.1  # per mm
    k0 = np.sum(w)
    if k0 <= 0:
        raise ValueError("empty spectrum")

    def frac(t: float) -> float:
        return float(np.sum(w * np.exp(-mu_al * t)) / k0)

    h1 = brentq(lambda t: frac(t) - 0.5, 0.0, 200.0, xtol=1e-6)
    if which == 1:
        return float(h1)
    return float(brentq(lambda t: frac(t) - 0.25, h1, 400.0, xtol=1e-6) - h1)


# ------------------------------------------------------------------------------------- SpekPy path


def spekpy_spectra(
    kvps: Sequence[float],
    filtrations: Sequence[tuple[float, float]],
    anode_angle_deg: float = REFERENCE_ANODE_ANGLE_DEG,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact SpekPy spectra on a (kVp × filtration) grid, rebinned to 1 keV bins (1–150 keV).

    Pure function (no I/O), slow (~0.3–0.9 s per spectrum). ``filtrations`` are (total Al mm, Cu mm).
    Returns ``(energies_kev (149,), fluence (n_kvp, n_filtration, 149))`` in photons/mm²/mAs at 1 m.
    Raises ImportError if SpekPy is not installed.
    """
    from scanroom.physics.xray.tools.make_spectrum_table import E_CENTRES, spekpy_fluence_1kev

    out = np.zeros((len(kvps), len(filtrations), E_CENTRES.size))
    for i, kvp in enumerate(kvps):
        for j, (al, cu) in enumerate(filtrations):
            out[i, j] = spekpy_fluence_1kev(float(kvp), anode_angle_deg, float(al), float(cu))
    return E_CENTRES.copy(), out


def spekpy_spectrum(kvp: float, *, anode_angle_deg: float = REFERENCE_ANODE_ANGLE_DEG,
                    total_al_mm: float = REFERENCE_TOTAL_AL_MM, cu_mm: float = 0.0) -> Spectrum:
    """One exact SpekPy spectrum as a :class:`Spectrum` (constant potential)."""
    e, fl = spekpy_spectra([kvp], [(total_al_mm, cu_mm)], anode_angle_deg)
    return Spectrum(e, fl[0, 0], 1.0, float(kvp), float(anode_angle_deg), float(total_al_mm), float(cu_mm),
                    0.0, "spekpy")


class SpectrumCache:
    """Exact SpekPy spectra, memoised in memory (LRU) and as ``.npz`` files under ``directory``.

    The caller owns the directory (the scanner layer passes ``SCANROOM_DATA_DIR/cache``); pass ``None``
    for memory only. Writes are atomic (temp file + rename), so concurrent processes are safe.
    """

    def __init__(self, directory: str | os.PathLike[str] | None, maxsize: int = 64) -> None:
        self.directory = Path(directory) if directory is not None else None
        self.maxsize = maxsize
        self._mem: OrderedDict[str, Spectrum] = OrderedDict()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def _key(kvp: float, anode_angle_deg: float, total_al_mm: float, cu_mm: float) -> str:
        raw = f"spekpy-casim|{kvp:.3f}|{anode_angle_deg:.3f}|{total_al_mm:.4f}|{cu_mm:.4f}"
        return hashlib.sha1(raw.encode()).hexdigest()[:16] + f"_kv{kvp:g}_al{total_al_mm:g}_cu{cu_mm:g}"

    def get(self, kvp: float, *, anode_angle_deg: float = REFERENCE_ANODE_ANGLE_DEG,
            total_al_mm: float = REFERENCE_TOTAL_AL_MM, cu_mm: float = 0.0) -> Spectrum:
        """The SpekPy spectrum for these settings, computing it only on a cache miss."""
        key = self._key(kvp, anode_angle_deg, total_al_mm, cu_mm)
        if key in self._mem:
            self._mem.move_to_end(key)
            self.hits += 1
            return self._mem[key]
        spec = self._load(key)
        if spec is None:
            self.misses += 1
            spec = spekpy_spectrum(kvp, anode_angle_deg=anode_angle_deg, total_al_mm=total_al_mm, cu_mm=cu_mm)
            self._store(key, spec)
        else:
            self.hits += 1
        self._mem[key] = spec
        while len(self._mem) > self.maxsize:
            self._mem.popitem(last=False)
        return spec

    def _path(self, key: str) -> Path | None:
        return None if self.directory is None else self.directory / f"spectrum_{key}.npz"

    def _load(self, key: str) -> Spectrum | None:
        path = self._path(key)
        if path is None or not path.exists():
            return None
        try:
            with np.load(path) as z:
                return Spectrum(np.array(z["energies_kev"]), np.array(z["fluence"]), 1.0, float(z["kvp"]),
                                float(z["anode_angle_deg"]), float(z["total_al_mm"]), float(z["cu_mm"]),
                                0.0, "spekpy")
        except (OSError, KeyError, ValueError):
            return None  # unreadable or partial file: recompute

    def _store(self, key: str, spec: Spectrum) -> None:
        path = self._path(key)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz.tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, energies_kev=spec.energies_kev, fluence=spec.fluence, kvp=spec.kvp,
                         anode_angle_deg=spec.anode_angle_deg, total_al_mm=spec.total_al_mm, cu_mm=spec.cu_mm)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
