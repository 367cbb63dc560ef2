"""Staff dose estimates: scatter from the patient, falling with the square of the distance, over the exposure time.

Radiography and fluoroscopy (scatter from the patient). NCRP Report 147 (2004) §4.1.7.2, after Simpkin &
Dixon (Health Phys 74:350–365, 1998), defines the scatter fraction a₁ as the air kerma 1 m from the centre of
the irradiated area per unit primary air kerma 1 m from the tube, proportional to the beam area F. With
K₁·F equal to the dose–area product (DAP is independent of distance) the scattered air kerma at distance d is

    K_scatter(d) = a′ · DAP / d²,

where a′ is the scatter fraction per cm² of beam area. The value used, a′ = 2.5 × 10⁻⁶ cm⁻², is the "0.1 %
rule" (scatter at 1 m and 90° is 0.1 % of the primary for a 400 cm² field), which Simpkin & Dixon (1998,
Table 2) show is a conservative (high) estimate for diagnostic field sizes; it ignores the angular and kVp
dependence and any shielding, so results are upper estimates. Air kerma (µGy) stands in for the personal dose
equivalent Hp(10) and for effective dose (a conservative simplification for teaching). A lead apron
multiplies by its transmission (parameter; e.g. about 0.05 for 0.35 mm Pb at 100 kV — take the apron's
labelled value).

Fluoroscopy hook: the same relation with a DAP rate and the screening time. Nuclear medicine hook: a patient
as a point source, K(d) = Γ · A · t / d², with the radionuclide's air-kerma-rate constant Γ from its data (e.g.
Smith & Stabin, Health Phys 102:271–291, 2012). No fluoroscopy or NM simulator exists yet: when one stores
``dap_gycm2`` and ``screening_time_s`` (fluoro) or ``activity_mbq`` and ``gamma_ugy_m2_per_mbq_h`` (NM) in
its scan record's dose, :func:`for_scan` uses them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

SCATTER_FRACTION_PER_CM2 = 2.5e-6
"""a′: scatter air kerma at 1 m (90°) per unit primary air kerma at 1 m, per cm² of beam area (NCRP 147 §4.1.7.2;
the 0.1 % rule for 400 cm², Simpkin & Dixon 1998)."""


def _check_distance(distance_m: float) -> float:
    if not distance_m > 0.05:
        raise ValueError(f"Distance must be positive (got {distance_m!r} m); the estimate is for people in the room.")
    return float(distance_m)


def scatter_air_kerma_ugy(dap_gycm2: float, distance_m: float, *, apron_transmission: float = 1.0,
                          scatter_fraction_per_cm2: float = SCATTER_FRACTION_PER_CM2) -> float:
    """Scattered air kerma (µGy) at ``distance_m`` from the patient for one exposure of ``dap_gycm2``."""
    if dap_gycm2 < 0:
        raise ValueError("DAP cannot be negative.")
    if not 0 < apron_transmission <= 1:
        raise ValueError("Apron transmission is a fraction in (0, 1].")
    d = _check_distance(distance_m)
    return float(scatter_fraction_per_cm2 * dap_gycm2 / d**2 * 1e6 * apron_transmission)


def fluoroscopy_staff_dose_ugy(dap_rate_gycm2_per_s: float, time_s: float, distance_m: float, *,
                               apron_transmission: float = 1.0) -> float:
    """Fluoroscopy hook: scatter for ``time_s`` of screening at a DAP rate, at ``distance_m``."""
    if time_s < 0:
        raise ValueError("Screening time cannot be negative.")
    return scatter_air_kerma_ugy(dap_rate_gycm2_per_s * time_s, distance_m, apron_transmission=apron_transmission)


def nm_staff_dose_ugy(activity_mbq: float, gamma_ugy_m2_per_mbq_h: float, distance_m: float, time_s: float, *,
                      shield_transmission: float = 1.0) -> float:
    """Nuclear-medicine hook: air kerma (µGy) near a patient holding ``activity_mbq`` (point source, inverse square)."""
    if activity_mbq < 0 or gamma_ugy_m2_per_mbq_h < 0 or time_s < 0:
        raise ValueError("Activity, air-kerma-rate constant and time cannot be negative.")
    d = _check_distance(distance_m)
    return float(gamma_ugy_m2_per_mbq_h * activity_mbq * (time_s / 3600.0) / d**2 * shield_transmission)


def _xray(dose: Mapping[str, Any], distance_m: float, apron: float) -> float | None:
    if "dap_gycm2" not in dose:
        return None
    return scatter_air_kerma_ugy(float(dose["dap_gycm2"]), distance_m, apron_transmission=apron)


def _fluoro(dose: Mapping[str, Any], distance_m: float, apron: float) -> float | None:
    if "dap_gycm2" not in dose:
        return None
    return scatter_air_kerma_ugy(float(dose["dap_gycm2"]), distance_m, apron_transmission=apron)


def _nm(dose: Mapping[str, Any], distance_m: float, apron: float) -> float | None:
    needed = ("activity_mbq", "gamma_ugy_m2_per_mbq_h", "staff_time_s")
    if not all(k in dose for k in needed):
        return None
    return nm_staff_dose_ugy(float(dose["activity_mbq"]), float(dose["gamma_ugy_m2_per_mbq_h"]), distance_m,
                             float(dose["staff_time_s"]), shield_transmission=apron)


MODELS: dict[str, Callable[[Mapping[str, Any], float, float], float | None]] = {
    "xray": _xray, "fluoro": _fluoro, "nm": _nm}
"""Staff-dose model per modality. CT and MRI staff are outside the room during the scan (no entry)."""


def for_scan(modality: str, dose: Mapping[str, Any], distance_m: float, *,
             apron_transmission: float = 1.0) -> float | None:
    """Staff air kerma (µGy) for one stored scan with a person at ``distance_m``; None when no model applies."""
    model = MODELS.get(modality)
    return model(dose, distance_m, apron_transmission) if model else None
