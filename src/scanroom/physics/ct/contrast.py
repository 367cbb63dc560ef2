"""Iodinated contrast: enhanced tissue materials by phase, and μ(E) for CT material keys.

An enhanced material is written ``"<base material id>+I<mg/mL>"`` (e.g. ``"liver+I2.00"``): the base
tissue with iodine added at that concentration, μ = μ_base + c_I·(μ/ρ)_I (xraydb iodine; the displaced
tissue mass, < 1 %, is neglected). ``mu_linear_cm`` accepts these keys and plain material ids.

Phases (typical enhancement over the unenhanced tissue, HU, for a standard single-phase injection of
~1.5–2 mL/kg of 300–370 mgI/mL contrast; teaching values within the ranges reviewed by Bae KT.
Intravenous contrast medium administration and scan timing at CT: considerations and approaches.
Radiology 2010;256:32–61 **[verify exact figures against the review]**):

================  ========  ============  ==============
structure         arterial  portal venous  note
================  ========  ============  ==============
aorta, LV, LA      +300       +150         CTA target ≥ 250 HU
pulmonary artery   +250       +130
vena cava, RA, RV  +120       +140         (inflow mixing ignored)
portal/hepatic     —          +150         (no separate vessels in the model)
liver               +15        +55         PV-phase liver ≥ 50 HU enhancement is the usual goal
spleen              +70        +70         arterial heterogeneity not modelled
pancreas            +70        +45
kidney cortex      +130       +120
kidney medulla      +30       +120
bowel wall, heart   +40        +50
================  ========  ============  ==============

The iodine concentration that gives a target enhancement is ΔHU / (HU per mg I/mL) at the scanner's
effective energy (≈ 25–30 HU per mg/mL at 120 kV; computed, not assumed).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from functools import lru_cache

import numpy as np

from scanroom.physics import materials
from scanroom.physics.phantom import Phantom

__all__ = [
    "PHASES",
    "ENHANCEMENT_HU",
    "enhanced_material",
    "parse_material_key",
    "mu_linear_cm",
    "hu_per_mg_ml",
    "phase_label_materials",
    "with_contrast",
]

PHASES = ("non-contrast", "arterial", "portal-venous")

#: structure name -> (arterial, portal venous) enhancement in HU (see module table)
ENHANCEMENT_HU: dict[str, tuple[float, float]] = {
    "aorta": (300.0, 150.0),
    "heart-lv": (300.0, 150.0),
    "heart-la": (300.0, 150.0),
    "pulmonary-artery": (250.0, 130.0),
    "vena-cava": (120.0, 140.0),
    "heart-ra": (120.0, 140.0),
    "heart-rv": (120.0, 140.0),
    "liver": (15.0, 55.0),
    "spleen": (70.0, 70.0),
    "pancreas": (70.0, 45.0),
    "kidney-right-cortex": (130.0, 120.0),
    "kidney-left-cortex": (130.0, 120.0),
    "kidney-right-medulla": (30.0, 120.0),
    "kidney-left-medulla": (30.0, 120.0),
    "small-bowel": (40.0, 50.0),
    "colon": (40.0, 50.0),
    "stomach-wall": (40.0, 50.0),
    "heart": (40.0, 50.0),
    "thyroid": (60.0, 60.0),
}

_KEY = re.compile(r"^(?P<base>[a-z0-9-]+)\+I(?P<conc>[0-9.]+)$")


def enhanced_material(base: str, iodine_mg_ml: float) -> str:
    """Material key of ``base`` with ``iodine_mg_ml`` mg iodine per mL (plain id if 0)."""
    materials.get_material(base)  # raises for unknown ids
    if iodine_mg_ml < 0 or iodine_mg_ml > 400:
        raise ValueError("iodine concentration must be in [0, 400] mg/mL")
    return base if iodine_mg_ml == 0 else f"{base}+I{iodine_mg_ml:.3f}"


def parse_material_key(key: str) -> tuple[str, float]:
    """(base material id, iodine mg/mL) of a material key."""
    m = _KEY.match(key)
    if m is None:
        return key, 0.0
    return m.group("base"), float(m.group("conc"))


@lru_cache(maxsize=64)
def _iodine_mass_mu(energies_key: bytes) -> np.ndarray:
    import xraydb

    e = np.frombuffer(energies_key, dtype=np.float64)
    return np.asarray(xraydb.mu_elam("I", e * 1e3, kind="total"), dtype=np.float64)


def mu_linear_cm(key: str, energies_kev: np.ndarray | float) -> np.ndarray:
    """μ (1/cm) of a material id or enhanced key at the given energies (keV)."""
    base, conc = parse_material_key(key)
    e = np.ascontiguousarray(np.atleast_1d(np.asarray(energies_kev, dtype=np.float64)))
    mu = np.asarray(materials.mu_linear_cm(base, e), dtype=np.float64)
    if conc > 0:
        mu = mu + conc * 1e-3 * _iodine_mass_mu(e.tobytes())
    return mu


def hu_per_mg_ml(energy_kev: float) -> float:
    """CT-number increase per mg I/mL at an (effective) energy: 1000·(μ/ρ)_I·1e−3 / μ_water."""
    e = np.array([float(energy_kev)])
    mu_w = float(materials.mu_linear_cm("water", e)[0])
    return float(1000.0 * 1e-3 * _iodine_mass_mu(e.tobytes())[0] / mu_w)


def phase_label_materials(
    label_names: Mapping[int, str],
    label_materials: Mapping[int, str],
    phase: str,
    effective_energy_kev: float = 70.0,
    scale: float = 1.0,
) -> dict[int, str]:
    """Label → material key for a contrast phase (labels not in :data:`ENHANCEMENT_HU` unchanged).

    ``scale`` multiplies every enhancement (dose of contrast / cardiac output, 0–3).
    """
    if phase not in PHASES:
        raise ValueError(f"phase must be one of {PHASES}, got {phase!r}")
    if not 0 <= scale <= 3:
        raise ValueError("scale must be in [0, 3]")
    out = dict(label_materials)
    if phase == "non-contrast" or scale == 0:
        return out
    col = 0 if phase == "arterial" else 1
    per_mg = hu_per_mg_ml(effective_energy_kev)
    for lab, name in label_names.items():
        if name in ENHANCEMENT_HU and lab in out:
            base, _ = parse_material_key(out[lab])
            out[lab] = enhanced_material(base, round(scale * ENHANCEMENT_HU[name][col] / per_mg, 3))
    return out


def with_contrast(phantom: Phantom, phase: str, effective_energy_kev: float = 70.0, scale: float = 1.0) -> Phantom:
    """The phantom with enhanced materials for ``phase`` (labels and masks unchanged)."""
    mats = phase_label_materials(phantom.label_names, phantom.label_materials, phase, effective_energy_kev, scale)
    return replace(phantom, label_materials=mats, description=phantom.description + f"; contrast {phase}")
