"""Generate ``xray/data/spectra_w12.npz``: bundled tungsten-anode spectra and heel-model depths.

Run once (needs SpekPy, ~3 min)::

    python -m scanroom.physics.xray.tools.make_spectrum_table [output.npz]

Contents
--------
- ``energies_kev`` (149,): bin centres 1.5 … 149.5 keV, 1 keV bins.
- ``kvp`` (111,): 40 … 150 kV in 1 kV steps.
- ``fluence`` (111, 149) float32: photons / mm² / mAs at 1 m per 1 keV bin, constant potential,
  W anode at 12°, 2.5 mm Al total filtration, no air, SpekPy 2.x default physics ('casim').
  Each 1 keV bin is the sum of two SpekPy 0.5 keV bins.
- ``fluence_al05`` (111, 149) float32: the same with 0.5 mm Al total, the base for lighter filtration
  (adding filtration with xraydb μ agrees with SpekPy far better than removing it).
- ``heel_kvp`` (23,), ``heel_depth_um`` (23,): effective photon-production depth ``d`` in tungsten of
  the heel model (see ``spectrum.heel_tungsten_excess_cm``), fitted per kVp to SpekPy's air kerma at
  off-axis positions x = −15 … +30 cm at 1 m (inverse square and filter obliquity removed).

References: Poludniowski G, Omar A, Bujila R, Andreo P. SpekPy v2.0 — a software toolkit for modeling
x-ray tube spectra. Med Phys 2021;48:3630–3637.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ANODE_ANGLE_DEG = 12.0
TOTAL_AL_MM = 2.5
LIGHT_AL_MM = 0.5
KVPS = np.arange(40, 151, 1)
HEEL_KVPS = np.arange(40, 151, 5)
HEEL_X_CM = np.array([-15.0, -10.0, -5.0, -2.0, 2.0, 5.0, 10.0, 20.0, 30.0])
E_EDGES = np.arange(1.0, 151.0, 1.0)  # 1 … 150 keV
E_CENTRES = 0.5 * (E_EDGES[:-1] + E_EDGES[1:])


def spekpy_fluence_1kev(kvp: float, anode_angle_deg: float, al_mm: float, cu_mm: float = 0.0,
                        x_cm: float = 0.0, z_cm: float = 100.0, obli: bool = True) -> np.ndarray:
    """One SpekPy spectrum rebinned to the 1 keV grid: photons / mm² / mAs per bin at (x, z)."""
    import spekpy

    s = spekpy.Spek(kvp=float(kvp), th=float(anode_angle_deg), dk=0.5, x=float(x_cm), z=float(z_cm),
                    obli=obli)
    if al_mm > 0:
        s.filter("Al", float(al_mm))
    if cu_mm > 0:
        s.filter("Cu", float(cu_mm))
    k, f = s.get_spectrum(diff=True)  # photons / cm² / keV / mAs, 0.5 keV bins
    out = np.zeros(E_CENTRES.size)
    idx = np.floor(k - 1.0).astype(int)  # 1.25, 1.75 -> bin 0 [1, 2)
    ok = (idx >= 0) & (idx < out.size)
    np.add.at(out, idx[ok], f[ok] * 0.5)
    return out / 100.0  # per cm² -> per mm²


def fit_heel_depth_cm(kvp: float) -> float:
    """Least-squares effective depth d (cm) so that exp(−μ_W d (1/sin ψ − 1/sin θ)) matches SpekPy."""
    from scipy.optimize import minimize_scalar

    from scanroom.physics.xray.attenuation import mu_en_over_rho_air_cm2_g, mu_linear_cm

    z = 100.0
    f0 = spekpy_fluence_1kev(kvp, ANODE_ANGLE_DEG, TOTAL_AL_MM, obli=False)
    w = E_CENTRES * mu_en_over_rho_air_cm2_g(E_CENTRES)
    k0 = np.sum(f0 * w)
    mu_w = mu_linear_cm("W", E_CENTRES)
    ratios, psis = [], []
    for x in HEEL_X_CM:
        f = spekpy_fluence_1kev(kvp, ANODE_ANGLE_DEG, TOTAL_AL_MM, x_cm=x, z_cm=z, obli=False)
        ratios.append(np.sum(f * w) * (x * x + z * z) / (z * z) / k0)
        psis.append(np.deg2rad(ANODE_ANGLE_DEG) + np.arctan(x / z))
    ratios_a = np.array(ratios)
    psis_a = np.array(psis)
    inv0 = 1.0 / np.sin(np.deg2rad(ANODE_ANGLE_DEG))

    def loss(d: float) -> float:
        model = np.array([np.sum(f0 * w * np.exp(-mu_w * d * (1 / np.sin(p) - inv0))) / k0 for p in psis_a])
        return float(np.sum((np.log(model) - np.log(ratios_a)) ** 2))

    return float(minimize_scalar(loss, bounds=(0.0, 20e-4), method="bounded").x)


def main(out_path: str | None = None) -> Path:
    import spekpy

    out = Path(out_path) if out_path else Path(__file__).resolve().parents[1] / "data" / "spectra_w12.npz"
    fluence = np.zeros((KVPS.size, E_CENTRES.size), dtype=np.float32)
    fluence_light = np.zeros_like(fluence)
    for i, kvp in enumerate(KVPS):
        fluence[i] = spekpy_fluence_1kev(float(kvp), ANODE_ANGLE_DEG, TOTAL_AL_MM)
        fluence_light[i] = spekpy_fluence_1kev(float(kvp), ANODE_ANGLE_DEG, LIGHT_AL_MM)
        print(f"kVp {kvp}: {fluence[i].sum():.4g} photons/mm²/mAs", flush=True)
    depths = np.array([fit_heel_depth_cm(float(k)) for k in HEEL_KVPS])
    print("heel depths (um):", np.round(depths * 1e4, 3), flush=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        out,
        energies_kev=E_CENTRES,
        kvp=KVPS.astype(np.float64),
        fluence=fluence,
        fluence_al05=fluence_light,
        light_al_mm=np.float64(LIGHT_AL_MM),
        heel_kvp=HEEL_KVPS.astype(np.float64),
        heel_depth_um=(depths * 1e4).astype(np.float64),
        anode_angle_deg=np.float64(ANODE_ANGLE_DEG),
        total_al_mm=np.float64(TOTAL_AL_MM),
        spekpy_version=np.str_(getattr(spekpy, "__version__", "unknown")),
        physics=np.str_("casim"),
    )
    return out


if __name__ == "__main__":
    print(main(sys.argv[1] if len(sys.argv) > 1 else None))
