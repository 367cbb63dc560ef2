"""CT scan room against independent expectations: HU calibration, quantum noise, CTDI scaling, refusals."""

from __future__ import annotations

import pytest

from scanroom.scanner.base import PatientRequest, ProtocolError, apply_settings
from scanroom.scanner.registry import acquire, get_scanner

WATER = PatientRequest(patient_id="water-32")
FAST = ["images=1", "matrix=256"]


def scan(patient: PatientRequest, protocol: str, *settings: str):  # type: ignore[no-untyped-def]
    return acquire("ct", patient, apply_settings(get_scanner("ct").preset(protocol), [*FAST, *settings]))


def test_water_phantom_reads_zero_and_air_minus_1000() -> None:
    acq = scan(WATER, "qa-water")
    image = acq.images[0].astype(float)
    n = image.shape[0]
    centre = image[n // 2 - 10: n // 2 + 10, n // 2 - 10: n // 2 + 10]
    corner = image[:12, :12]
    assert abs(centre.mean()) < 5
    assert abs(corner.mean() + 1000) < 10


def test_noise_halves_when_mas_is_quadrupled() -> None:
    low = scan(WATER, "qa-water", "mas=50", "tcm=false")
    high = scan(WATER, "qa-water", "mas=200", "tcm=false")
    assert low.quality["centre_sd_hu"] / high.quality["centre_sd_hu"] == pytest.approx(2.0, rel=0.10)


def test_ctdivol_scales_with_mas_and_inverse_pitch() -> None:
    a = scan(WATER, "qa-water", "mas=100", "tcm=false", "pitch=1.0")
    b = scan(WATER, "qa-water", "mas=200", "tcm=false", "pitch=1.0")
    c = scan(WATER, "qa-water", "mas=100", "tcm=false", "pitch=0.5")
    assert b.dose["ctdivol_mgy"] / a.dose["ctdivol_mgy"] == pytest.approx(2.0, rel=1e-6)
    assert c.dose["ctdivol_mgy"] / a.dose["ctdivol_mgy"] == pytest.approx(2.0, rel=1e-6)
    for acq in (a, b, c):
        assert acq.dose["dlp_mgycm"] == pytest.approx(acq.dose["ctdivol_mgy"] * acq.dose["scan_length_mm"] / 10,
                                                      rel=1e-6)


def test_head_protocol_gives_a_dose_report_with_drl_and_effective_dose() -> None:
    acq = scan(PatientRequest(patient_id="adult-male"), "head-routine")
    dose = acq.dose
    for key in ("ctdivol_mgy", "dlp_mgycm", "ssde_mgy", "water_equivalent_diameter_cm", "effective_dose_msv"):
        assert dose[key] > 0
    assert dose["effective_dose_msv"] == pytest.approx(0.0021 * dose["dlp_mgycm"], rel=0.05)  # AAPM 96 adult head
    assert dose["ctdivol_mgy"] <= dose["drl_ctdivol_mgy"]  # the preset respects the UK DRL
    assert 12 < dose["water_equivalent_diameter_cm"] < 22


def test_unreachable_parameters_are_refused_clearly() -> None:
    preset = get_scanner("ct").preset("chest-routine")
    with pytest.raises(ProtocolError, match="pitch"):
        apply_settings(preset, ["pitch=0"])
    with pytest.raises(ProtocolError, match="kVp"):
        apply_settings(preset, ["kvp=115"])
    with pytest.raises(ProtocolError, match="fov_mm"):
        apply_settings(preset, ["fov_mm=700"])
    with pytest.raises(ProtocolError, match="range"):
        acquire("ct", PatientRequest(patient_id="adult-male"), apply_settings(preset, ["start_mm=5000",
                                                                                        "end_mm=5100", *FAST]))
