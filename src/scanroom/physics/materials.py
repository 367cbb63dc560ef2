"""One tissue/material database for every modality.

Each record carries X-ray (density + elemental mass fractions), MRI (PD, T1/T2/T2* at 1.5 T and 3 T,
chemical shift, ADC), ultrasound (speed, density, attenuation law, echogenicity) and nuclear-medicine
(relative uptake per radiopharmaceutical) properties, and a source id per property. The numbers live in
``data/materials.json``; the source ids resolve to citations through :func:`source_citation`.

X-ray attenuation is not tabulated here: ``mu_mass_cm2_g`` applies the mixture rule
(mu/rho)_mix = sum_i w_i (mu/rho)_i to xraydb's element data (Elam, Ravel & Sieber 2002, from the
NIST-derived tables), total cross-section including coherent scattering.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from types import MappingProxyType
from typing import Any

import numpy as np

__all__ = [
    "Material",
    "UnknownMaterialError",
    "RADIOPHARMACEUTICALS",
    "get_material",
    "list_materials",
    "mu_linear_cm",
    "mu_mass_cm2_g",
    "ct_number_hu",
    "source_citation",
]

RADIOPHARMACEUTICALS = ("tc99m-mdp", "tc99m-maa", "tc99m-sestamibi", "f18-fdg")


class UnknownMaterialError(KeyError):
    """Raised for a material id that is not in the database."""

    def __str__(self) -> str:  # KeyError quotes its argument; give a readable message instead
        return str(self.args[0]) if self.args else "unknown material"


@dataclass(frozen=True)
class Material:
    """A material/tissue with its properties for every modality and the source of each number."""

    material_id: str
    name: str
    category: str  # gas, fluid, tissue, bone, lesion, metal, phantom
    density_g_cm3: float
    composition: dict[str, float]  # element symbol -> mass fraction (sums to 1)
    # MRI
    pd: float  # proton density relative to water
    t1_ms_1p5t: float
    t2_ms_1p5t: float
    t2s_ms_1p5t: float
    t1_ms_3t: float
    t2_ms_3t: float
    t2s_ms_3t: float
    chemical_shift_ppm: float  # relative to water (fat main peak -3.4)
    adc_mm2_s: float
    # ultrasound
    speed_m_s: float
    acoustic_density_kg_m3: float
    attenuation_db_cm_mhz: float  # alpha(f) = a * f**n, f in MHz
    attenuation_exponent: float
    scatterer_density_mm3: float
    scatterer_amplitude: float  # relative to liver = 1
    # nuclear medicine
    nm_uptake: dict[str, float] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # property -> source id
    note: str = ""

    def t1_ms(self, field_t: float) -> float:
        """T1 at 1.5 T or 3 T (linear interpolation in between, clamped outside)."""
        return _interp_field(field_t, self.t1_ms_1p5t, self.t1_ms_3t)

    def t2_ms(self, field_t: float) -> float:
        """T2 at 1.5 T or 3 T (linear interpolation in between, clamped outside)."""
        return _interp_field(field_t, self.t2_ms_1p5t, self.t2_ms_3t)

    def t2s_ms(self, field_t: float) -> float:
        """T2* at 1.5 T or 3 T (linear interpolation in between, clamped outside)."""
        return _interp_field(field_t, self.t2s_ms_1p5t, self.t2s_ms_3t)

    @property
    def impedance_mrayl(self) -> float:
        """Acoustic impedance Z = rho c in MRayl."""
        return self.speed_m_s * self.acoustic_density_kg_m3 / 1e6

    def attenuation_db_cm(self, freq_mhz: float) -> float:
        """Power-law attenuation alpha(f) = a f^n in dB/cm."""
        return self.attenuation_db_cm_mhz * freq_mhz**self.attenuation_exponent

    def uptake(self, radiopharmaceutical: str) -> float:
        """Relative activity concentration for a radiopharmaceutical (0 if not taken up)."""
        if radiopharmaceutical not in RADIOPHARMACEUTICALS:
            raise ValueError(
                f"unknown radiopharmaceutical {radiopharmaceutical!r}; known: {', '.join(RADIOPHARMACEUTICALS)}"
            )
        return self.nm_uptake.get(radiopharmaceutical, 0.0)


def _interp_field(b0: float, v15: float, v3: float) -> float:
    t = min(max((b0 - 1.5) / 1.5, 0.0), 1.0)
    return float(v15 + t * (v3 - v15))


@lru_cache(maxsize=1)
def _load() -> dict[str, Any]:
    text = resources.files("scanroom.physics").joinpath("data/materials.json").read_text(encoding="utf-8")
    return json.loads(text)


@lru_cache(maxsize=1)
def _materials() -> MappingProxyType[str, Material]:
    raw = _load()
    out: dict[str, Material] = {}
    for rec in raw["materials"]:
        rec = dict(rec)
        out[rec["material_id"]] = Material(**rec)
    return MappingProxyType(out)


def list_materials() -> list[Material]:
    """All materials in database order."""
    return list(_materials().values())


def get_material(material_id: str) -> Material:
    """The material record for ``material_id``; :class:`UnknownMaterialError` (a KeyError) if unknown."""
    try:
        return _materials()[material_id]
    except KeyError:
        known = ", ".join(sorted(_materials()))
        raise UnknownMaterialError(f"unknown material id {material_id!r}; known ids: {known}") from None


def source_citation(source_id: str) -> str:
    """Full citation text of a source id used in ``Material.sources``."""
    try:
        return str(_load()["sources"][source_id]["cite"])
    except KeyError:
        raise KeyError(f"unknown source id {source_id!r}") from None


# ----------------------------------------------------------------------------------- X-ray attenuation
@lru_cache(maxsize=4096)
def _element_mu_mass(symbol: str, energies_key: bytes) -> np.ndarray:
    import xraydb  # local import: only X-ray users pay for it

    e_kev = np.frombuffer(energies_key, dtype=np.float64)
    mu = np.asarray(xraydb.mu_elam(symbol, e_kev * 1000.0, kind="total"), dtype=np.float64)
    mu.setflags(write=False)
    return mu


@lru_cache(maxsize=4096)
def _mu_mass_cached(material_id: str, energies_key: bytes) -> np.ndarray:
    mat = get_material(material_id)
    n = len(energies_key) // 8
    total = np.zeros(n, dtype=np.float64)
    for symbol, w in mat.composition.items():
        total += w * _element_mu_mass(symbol, energies_key)
    total.setflags(write=False)
    return total


def _energies(energies_kev: np.ndarray | float) -> tuple[np.ndarray, bool]:
    e = np.asarray(energies_kev, dtype=np.float64)
    scalar = e.ndim == 0
    e = np.atleast_1d(e).ravel()
    if np.any(~np.isfinite(e)) or np.any(e < 1.0) or np.any(e > 1000.0):
        raise ValueError("photon energies must be between 1 and 1000 keV")
    return np.ascontiguousarray(e), scalar


def mu_mass_cm2_g(material_id: str, energies_kev: np.ndarray | float) -> np.ndarray:
    """Mass attenuation coefficient mu/rho (cm^2/g, total incl. coherent) by the mixture rule.

    Cached per (material, energy grid), so repeated calls with the same grid cost a dict lookup.
    """
    e, scalar = _energies(energies_kev)
    mu = _mu_mass_cached(material_id, e.tobytes())
    return mu[0].copy() if scalar else mu.copy()


def mu_linear_cm(material_id: str, energies_kev: np.ndarray | float) -> np.ndarray:
    """Linear attenuation coefficient mu (1/cm) = (mu/rho) * rho."""
    return mu_mass_cm2_g(material_id, energies_kev) * get_material(material_id).density_g_cm3


def ct_number_hu(material_id: str, energy_kev: float = 70.0) -> float:
    """CT number at a monoenergetic (effective) energy: HU = 1000 (mu - mu_w) / (mu_w - mu_air)."""
    mu = float(mu_linear_cm(material_id, energy_kev))
    mu_w = float(mu_linear_cm("water", energy_kev))
    mu_a = float(mu_linear_cm("air", energy_kev))
    return 1000.0 * (mu - mu_w) / (mu_w - mu_a)
