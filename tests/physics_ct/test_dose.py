"""Dose indices: CTDI scaling laws, calibration anchor, SSDE (AAPM 204), effective dose (AAPM 96), DRLs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scanroom.physics.ct import (
    UK_NDRL_2022,
    Acquisition,
    Collimation,
    FanBeamGeometry,
    ctdi100,
    ctdi_vol,
    dlp_mgy_cm,
    effective_dose_msv,
    k_factor,
    scan_dose,
    ssde_factor,
)
from scanroom.physics.ct.dose import PHANTOM_DIAMETER_CM
from scanroom.physics.patients import build_patient

G = FanBeamGeometry()
COL = Collimation(32, 0.625)


def _acq(pitch: float = 1.0, bowtie: str = "body", **kw) -> Acquisition:  # noqa: ANN003
    return Acquisition(mode="helical", collimation=kw.pop("col", COL), pitch=pitch, bowtie=bowtie, start_mm=0.0,
                       end_mm=kw.pop("end_mm", 300.0), **kw)


def test_ctdi_vol_linear_in_mas_and_inverse_in_pitch() -> None:
    base = ctdi_vol(G, _acq(1.0), 120.0, 100.0).vol_mgy
    assert ctdi_vol(G, _acq(1.0), 120.0, 250.0).vol_mgy == pytest.approx(2.5 * base, rel=1e-9)
    for p in (0.5, 0.8, 1.5):
        assert ctdi_vol(G, _acq(p), 120.0, 100.0).vol_mgy == pytest.approx(base / p, rel=1e-9)
    # an axial scan counts as pitch 1
    ax = Acquisition(mode="axial", collimation=COL, bowtie="body")
    assert ctdi_vol(G, ax, 120.0, 100.0).vol_mgy == pytest.approx(base, rel=1e-9)


def test_ctdi_w_is_weighted_mean() -> None:
    c = ctdi100(G, 120.0, "body", "body", COL, 100.0)
    assert c.w_mgy == pytest.approx(c.centre_mgy / 3 + 2 * c.periphery_mgy / 3)
    assert c.vol_mgy == pytest.approx(c.w_mgy)


def test_calibration_anchor_and_phantom_ratios() -> None:
    head = ctdi100(G, 120.0, "head", "head", COL, 300.0)
    assert head.vol_mgy == pytest.approx(60.0, rel=0.01)  # 20 mGy/100 mAs anchor (see dose module)
    body = ctdi100(G, 120.0, "body", "body", COL, 100.0)
    assert body.centre_mgy / body.periphery_mgy == pytest.approx(0.48, abs=0.01)
    # emerging from the model, not fitted: head C/P near 1 and head/body CTDIw ≈ 2–2.5
    assert 0.85 < head.centre_mgy / head.periphery_mgy < 1.15
    assert 1.8 < (head.w_mgy / 3.0) / body.w_mgy < 2.6


def test_kvp_and_collimation_dependence() -> None:
    w = [ctdi100(G, kv, "body", "body", COL, 100.0).w_mgy for kv in (80.0, 100.0, 120.0, 140.0)]
    assert np.all(np.diff(w) > 0)
    n = math.log(w[3] / w[0]) / math.log(140.0 / 80.0)
    assert 2.0 < n < 3.2  # CTDI ∝ kVp^n, n ≈ 2.5–2.8 on clinical scanners
    narrow = ctdi100(G, 120.0, "body", "body", Collimation(2, 0.625), 100.0).w_mgy
    wide = ctdi100(G, 120.0, "body", "body", Collimation(64, 0.625), 100.0).w_mgy
    assert narrow / wide == pytest.approx((1.25 + 3.0) / 1.25 / ((40.0 + 3.0) / 40.0), rel=1e-6)  # over-beaming


def test_dose_model_phantoms_match_the_qa_phantoms() -> None:
    for pid, key in (("ctdi-head", "head"), ("ctdi-body", "body")):
        ph = build_patient(pid, voxel_mm=2.0)
        pmma = [lab for lab, m in ph.label_materials.items() if m == "pmma"]
        k = ph.shape[0] // 2
        cols = np.flatnonzero(np.isin(ph.labels[k], pmma).any(axis=0))
        width_cm = (cols[-1] - cols[0] + 1) * ph.voxel_mm[2] / 10.0
        assert width_cm == pytest.approx(PHANTOM_DIAMETER_CM[key], abs=0.3)


def test_ssde_factors_aapm_204() -> None:
    assert ssde_factor(30.0, "body") == pytest.approx(1.23, abs=0.005)
    assert ssde_factor(16.0, "head") == pytest.approx(1.0, abs=0.05)
    assert ssde_factor(20.0, "body") > ssde_factor(30.0, "body") > ssde_factor(40.0, "body")
    with pytest.raises(ValueError, match="8-45 cm"):
        ssde_factor(60.0)


def test_effective_dose_is_k_times_dlp() -> None:
    acq = _acq(1.0, end_mm=350.0)
    rep = scan_dose(G, acq, 120.0, 150.0, region="chest", wed_cm=28.0, drl_exam="chest-lung-cancer")
    assert rep.dlp_mgy_cm == pytest.approx(rep.ctdi_vol_mgy * acq.irradiated_length_mm / 10.0)
    assert rep.effective_dose_msv == pytest.approx(0.014 * rep.dlp_mgy_cm)
    assert rep.ssde_mgy == pytest.approx(ssde_factor(28.0) * rep.ctdi_vol_mgy)
    assert effective_dose_msv(100.0, "head", 1.0) == pytest.approx(0.67)
    assert k_factor("abdomen-pelvis", 7.0) == 0.020  # the 5-year column applies from 5 to 9 years
    assert dlp_mgy_cm(10.0, 40.0) == 400.0
    with pytest.raises(ValueError, match="region"):
        k_factor("knee")


def test_drl_comparison() -> None:
    assert UK_NDRL_2022["head-acute-stroke"] == (47.0, 790.0)
    low = scan_dose(G, _acq(1.0, "head", end_mm=150.0), 120.0, 150.0, drl_exam="head-acute-stroke")
    high = scan_dose(G, _acq(0.5, "head", end_mm=150.0), 120.0, 350.0, drl_exam="head-acute-stroke")
    assert low.ctdi.phantom == "head" and not low.above_drl
    assert high.above_drl
    with pytest.raises(ValueError, match="unknown DRL"):
        scan_dose(G, _acq(), 120.0, 100.0, drl_exam="foot")


def test_bad_dose_inputs() -> None:
    with pytest.raises(ValueError, match="positive"):
        ctdi100(G, 120.0, "body", "body", COL, 0.0)
    with pytest.raises(ValueError, match="phantom"):
        ctdi100(G, 120.0, "body", "chest", COL, 100.0)
