"""Tissue contrast of the closed-form engine against textbook expectations and independent formulas."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from scanroom.physics.materials import get_material
from scanroom.physics.mri import sequences as sq
from scanroom.physics.mri import signal as sig
from scanroom.physics.mri.tissue import tissue_table

BRAIN = {1: "white-matter", 2: "grey-matter", 3: "csf", 4: "adipose"}
WM, GM, CSF, FAT = 1, 2, 3, 4


def _s(seq_id: str, field_t: float, **changes: object) -> np.ndarray:
    p = replace(sq.default_params(seq_id, field_t), **changes)
    sq.validate_sequence(p)
    return np.abs(sq.tissue_signal(p, tissue_table(BRAIN, field_t)))


@pytest.mark.parametrize("field_t", [1.5, 3.0])
@pytest.mark.parametrize("seq_id", ["t1-se", "t1-gre"])
def test_t1_weighting_orders_wm_gm_csf(seq_id: str, field_t: float) -> None:
    s = _s(seq_id, field_t)
    assert s[WM] > s[GM] > s[CSF]


@pytest.mark.parametrize("field_t", [1.5, 3.0])
def test_t2_weighting_orders_csf_gm_wm(field_t: float) -> None:
    s = _s("t2-tse", field_t)
    assert s[CSF] > s[GM] > s[WM]


@pytest.mark.parametrize("field_t", [1.5, 3.0])
def test_flair_ti_t1ln2_nulls_csf_at_long_tr(field_t: float) -> None:
    t1_csf = get_material("csf").t1_ms(field_t)
    ti = t1_csf * math.log(2.0)
    flair = _s("flair", field_t, tr_ms=16000.0, ti_ms=ti)
    t2w = _s("t2-tse", field_t)
    assert flair[CSF] < 0.05 * t2w[CSF]
    assert flair[GM] > flair[WM] > flair[CSF]  # grey matter brighter than white; fluid dark


@pytest.mark.parametrize("field_t", [1.5, 3.0])
def test_default_flair_and_stir_null_their_target(field_t: float) -> None:
    flair = _s("flair", field_t)
    assert flair[CSF] < 0.01 * _s("t2-tse", field_t)[CSF]
    stir = _s("stir", field_t)
    assert stir[FAT] < 0.01 * stir[WM]
    assert _s("t2-tse", field_t)[FAT] > 10 * stir[FAT]  # fat is bright without the inversion


def test_inversion_null_tends_to_t1_ln2() -> None:
    assert sig.inversion_null_ti(1000.0, 1e7) == pytest.approx(1000.0 * math.log(2), rel=1e-9)
    # brute-force null of the signed IR signal at a finite TR
    ti = np.linspace(100, 3000, 290001)
    s = sig.inversion_recovery(1.0, 1000.0, 100.0, 3000.0, ti, 10.0)
    assert ti[np.argmin(np.abs(s))] == pytest.approx(float(sig.inversion_null_ti(1000.0, 3000.0)), abs=0.02)


def test_ir_real_reconstruction_keeps_sign() -> None:
    s = sig.inversion_recovery([1.0, 1.0], [300.0, 3000.0], [80.0, 80.0], 4000.0, 500.0, 10.0)
    assert s[0] > 0 > s[1]


@pytest.mark.parametrize(("tr", "t1"), [(10.0, 900.0), (250.0, 900.0), (30.0, 3700.0), (5.0, 343.0)])
def test_ernst_angle_maximises_spoiled_gre(tr: float, t1: float) -> None:
    flips = np.linspace(0.01, 90, 90001)
    s = sig.spoiled_gre(1.0, t1, 50.0, tr, 2.0, flips)
    assert flips[np.argmax(s)] == pytest.approx(float(sig.ernst_angle(tr, t1)), abs=0.002)


def test_bssfp_on_resonance_matches_closed_form() -> None:
    t1, t2, tr = np.array([884.0, 1124.0, 3700.0, 343.0]), np.array([72.0, 95.0, 2000.0, 58.0]), 5.0
    for flip in (10.0, 40.0, 70.0):
        a = math.radians(flip)
        e1, e2 = np.exp(-tr / t1), np.exp(-tr / t2)
        ref = math.sin(a) * (1 - e1) * np.sqrt(e2) / (1 - (e1 - e2) * math.cos(a) - e1 * e2)
        np.testing.assert_allclose(np.abs(sig.bssfp(1.0, t1, t2, tr, flip)), ref, rtol=1e-10)


def test_bssfp_bands_at_half_inverse_tr() -> None:
    s = np.abs(sig.bssfp(1.0, 900.0, 80.0, 5.0, 50.0, off_resonance_hz=np.array([0.0, 100.0, 200.0])))
    assert s[1] < 0.1 * s[0] and s[2] == pytest.approx(s[0], rel=1e-9)


def test_dwi_and_adc_map_recover_adc() -> None:
    adc = np.array([0.7e-3, 0.85e-3, 3.0e-3])
    s0 = sig.diffusion_weighted(0.8, 1000.0, 80.0, adc, 5000.0, 90.0, 0.0)
    sb = sig.diffusion_weighted(0.8, 1000.0, 80.0, adc, 5000.0, 90.0, 1000.0)
    np.testing.assert_allclose(sig.adc_map(s0, sb, 1000.0), adc, rtol=1e-12)


def test_all_defaults_are_valid_and_distinct() -> None:
    for b in (1.5, 3.0):
        for sid in sq.SEQUENCE_IDS:
            p = sq.default_params(sid, b)
            sq.validate_sequence(p)
            assert p.sequence_id == sid and sid.split("-")[0] in sq.describe(p).lower() or p.family


@pytest.mark.parametrize(
    ("seq_id", "changes", "match"),
    [
        ("t1-se", {"te_ms": 600.0}, "shorter than TR"),
        ("t1-se", {"te_ms": 500.0}, "shorter than TR"),
        ("flair", {"ti_ms": 8990.0}, "TI .* out of range"),
        ("flair", {"ti_ms": 1.0}, "TI .* out of range"),
        ("flair", {"ti_ms": None}, "needs TI"),
        ("t1-se", {"ti_ms": 300.0}, "only defined for inversion"),
        ("t2-tse", {"te_ms": 95.0}, "whole number"),
        ("t2-tse", {"esp_ms": 4.0, "te_ms": 8.0}, "echo spacing"),
        ("t1-gre", {"te_ms": 1.0}, "below the minimum"),
        ("t1-gre", {"flip_deg": 0.0}, "flip angle"),
        ("t1-se", {"bandwidth_hz_px": 1.0}, "bandwidth"),
        ("bssfp", {"tr_ms": 2.6, "te_ms": 2.5}, "too short"),
        ("dwi", {"b_value_s_mm2": -5.0}, "b-value"),
    ],
)
def test_bad_sequence_parameters_raise(seq_id: str, changes: dict, match: str) -> None:
    p = replace(sq.default_params(seq_id, 1.5), **changes)
    with pytest.raises(ValueError, match=match):
        sq.validate_sequence(p)


def test_unknown_sequence_id() -> None:
    with pytest.raises(ValueError, match="unknown sequence id"):
        sq.default_params("t3-se")
