"""SAR scaling laws, B1rms against a hand calculation, IEC operating modes, refusal, PNS."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from scanroom.physics.mri import safety as sf
from scanroom.physics.mri.geometry import SliceGeometry
from scanroom.physics.mri.kspace import AcquisitionParams, scan_timing
from scanroom.physics.mri.sequences import default_params

RECT90 = [sf.RFPulseSpec(90.0, 1.0, 1.0)]


def test_b1rms_of_a_rectangular_pulse_train() -> None:
    # 90° rectangle of 1 ms: B1 = (π/2)/(γ τ) = 5.87 µT, on 1 % of the time → rms 0.587 µT
    b1 = (math.pi / 2) / (2 * math.pi * 42.577478e6 * 1e-3) * 1e6
    assert sf.b1_rms_ut(RECT90, 100.0) == pytest.approx(b1 * math.sqrt(0.01), rel=1e-12)


def test_sar_scales_with_b0_squared_flip_squared_and_duty() -> None:
    base = sf.sar_estimate(RECT90, 100.0, 1.5, 75.0).whole_body_w_kg
    assert sf.sar_estimate(RECT90, 100.0, 3.0, 75.0).whole_body_w_kg == pytest.approx(4 * base)
    assert sf.sar_estimate([sf.RFPulseSpec(180.0, 1.0, 1.0)], 100.0, 1.5, 75.0).whole_body_w_kg == \
        pytest.approx(4 * base)
    assert sf.sar_estimate(RECT90, 50.0, 1.5, 75.0).whole_body_w_kg == pytest.approx(2 * base)
    assert sf.sar_estimate(RECT90, 100.0, 1.5, 75.0, slices_per_tr=3).whole_body_w_kg == pytest.approx(3 * base)


def test_calibration_point() -> None:
    # 1 µT B1+rms at 64 MHz on a 75 kg patient: 0.15 W/kg (FDTD range 0.13–0.18, Makarov et al. 2017)
    tr = sf.b1_rms_ut(RECT90, 1.0) ** 2  # TR (ms) that gives B1rms = 1 µT
    r = sf.sar_estimate(RECT90, tr, 1.5, 75.0)
    assert r.b1_rms_ut == pytest.approx(1.0) and 0.13 <= r.whole_body_w_kg <= 0.18


def test_operating_modes_follow_iec_limits() -> None:
    b1_for = lambda sar: math.sqrt(sar / sf.SAR_WB_PER_UT2_1P5T)  # noqa: E731  µT at 1.5 T, 75 kg
    for sar, mode in ((1.9, "normal"), (2.1, "first-level"), (3.9, "first-level"), (4.1, "refused")):
        tr = (sf.b1_rms_ut(RECT90, 1.0) / b1_for(sar)) ** 2
        r = sf.sar_estimate(RECT90, tr, 1.5, 75.0)
        assert r.whole_body_w_kg == pytest.approx(sar) and r.mode == mode and r.refused == (mode == "refused")
    assert sf.LIMITS_W_KG["head"] == {"normal": 3.2, "first-level": 3.2}


def test_default_protocols_are_scannable_and_3t_tse_is_first_level() -> None:
    for b in (1.5, 3.0):
        for sid in ("t1-se", "t2-tse", "flair", "stir", "t1-gre", "bssfp", "dwi"):
            p = default_params(sid, b)
            n = 128 if sid == "dwi" else 256
            t = scan_timing(p, SliceGeometry(n_slices=20, matrix_read=n, matrix_phase=n),
                            AcquisitionParams(parallel_factor=2 if sid == "dwi" else 1, coil="head-8"))
            r = sf.check_sar(sf.pulses_for_sequence(p), p.tr_ms, b, 75.0, t.slices_per_tr, t.scan_time_s, "head")
            assert not r.refused
    p = default_params("t2-tse", 3.0)
    assert sf.sar_estimate(sf.pulses_for_sequence(p), p.tr_ms, 3.0, 75.0, 20).mode == "first-level"


def test_sar_over_the_limit_raises() -> None:
    p = replace(default_params("t2-tse", 3.0), tr_ms=2000.0, etl=32, refocus_deg=180.0)
    with pytest.raises(ValueError, match="exceeds the first-level limit"):
        sf.check_sar(sf.pulses_for_sequence(p), p.tr_ms, 3.0, 75.0, slices_per_tr=20)
    with pytest.raises(ValueError, match="weight"):
        sf.sar_estimate(RECT90, 100.0, 1.5, 5.0)


def test_pns_modes() -> None:
    # 200 T/m/s at 0.25 m = 50 T/s; limit for a 0.2 ms ramp: 20 (1 + 0.36/0.2) = 56 T/s
    r = sf.pns_check(200.0, 0.2)
    assert r.db_dt_t_s == pytest.approx(50.0) and r.limit_first_t_s == pytest.approx(56.0) and r.mode == "first-level"
    assert sf.pns_check(100.0, 0.2).mode == "normal"
    assert sf.pns_check(300.0, 0.2).refused
    assert sf.acoustic_noise_db(3.0, 25.0) - sf.acoustic_noise_db(1.5, 25.0) == pytest.approx(6.02, abs=0.01)
