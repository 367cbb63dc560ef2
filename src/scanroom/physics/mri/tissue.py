"""Per-label MR tissue parameters looked up once from the material database.

A phantom's ``label_materials`` becomes look-up tables indexed by label value, so a whole label slice maps
to PD/T1/T2/T2*/chemical shift/ADC by one fancy-indexing step.  Labels absent from ``label_materials``
(or gas, metal and plastic, whose PD is 0) give no signal.

Sanitising, with the physics behind it: T2 = 0 (cortical bone, gas) becomes 0.01 ms (no signal at any
realistic TE); T2* is clamped to at most T2 because 1/T2* = 1/T2 + 1/T2' with T2' > 0 (Haacke et al.,
*MRI: Physical Principles and Sequence Design*, 2nd ed., §20.1).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from scanroom.physics.materials import get_material

__all__ = ["GAMMA_HZ_PER_T", "TissueTable", "tissue_table", "larmor_hz"]

GAMMA_HZ_PER_T = 42.577478e6  # proton gamma/2pi (CODATA 2018: 42.577 478 518 MHz/T)
MIN_T2_MS = 0.01


def larmor_hz(field_t: float) -> float:
    """Proton Larmor frequency f0 = (gamma/2pi) B0 in Hz."""
    return GAMMA_HZ_PER_T * field_t


@dataclass(frozen=True)
class TissueTable:
    """Look-up tables indexed by label value (length ``max_label + 1``); times in ms."""

    field_t: float
    material_ids: tuple[str, ...]  # material id per label value ("" where unmapped)
    pd: np.ndarray
    t1_ms: np.ndarray
    t2_ms: np.ndarray
    t2s_ms: np.ndarray
    chemical_shift_ppm: np.ndarray
    adc_mm2_s: np.ndarray
    susceptibility_ppm: np.ndarray  # volume susceptibility chi (SI, ppm)

    @property
    def n_labels(self) -> int:
        return int(self.pd.shape[0])


# Volume magnetic susceptibility (SI, ppm). Schenck, Med Phys 1996;23:815 (Table/Fig. 1: water -9.05,
# air +0.36, soft tissue -11 to -7, titanium +182, austenitic stainless steel ~ +3520 to +6700);
# cortical bone -11.3 (Hopkins & Wehrli, MRM 1997;37:494); fat -7.8 (Schenck 1996).
_CHI_BY_CATEGORY = {"gas": 0.36, "fluid": -9.05, "tissue": -9.05, "lesion": -9.05, "bone": -11.3,
                    "metal": 182.0, "phantom": -9.05}
_CHI_BY_ID = {"stainless-steel": 3520.0, "aluminium": 20.7, "titanium": 182.0, "adipose": -7.8,
              "yellow-marrow": -7.8, "cortical-bone": -11.3, "pmma": -9.1}


def tissue_table(label_materials: Mapping[int, str], field_t: float) -> TissueTable:
    """Build per-label MR parameter tables at field strength ``field_t`` (1.5–3 T interpolated by materials)."""
    if not 0.05 <= field_t <= 11.7:
        raise ValueError(f"field strength {field_t} T is outside 0.05–11.7 T")
    n = (max(label_materials) + 1) if label_materials else 1
    if min(label_materials, default=0) < 0:
        raise ValueError("label values must be non-negative")
    ids = [""] * n
    pd = np.zeros(n)
    t1 = np.full(n, 1000.0)
    t2 = np.full(n, MIN_T2_MS)
    t2s = np.full(n, MIN_T2_MS)
    cs = np.zeros(n)
    adc = np.zeros(n)
    chi = np.full(n, 0.36)  # unmapped = air
    for label, mid in label_materials.items():
        m = get_material(mid)
        ids[label] = mid
        pd[label] = m.pd
        t1[label] = max(m.t1_ms(field_t), 1.0)
        t2[label] = max(m.t2_ms(field_t), MIN_T2_MS)
        t2s[label] = min(max(m.t2s_ms(field_t), MIN_T2_MS), t2[label])
        cs[label] = m.chemical_shift_ppm
        adc[label] = m.adc_mm2_s
        chi[label] = _CHI_BY_ID.get(mid, _CHI_BY_CATEGORY.get(m.category, -9.05))
    for a in (pd, t1, t2, t2s, cs, adc, chi):
        a.setflags(write=False)
    return TissueTable(field_t, tuple(ids), pd, t1, t2, t2s, cs, adc, chi)
