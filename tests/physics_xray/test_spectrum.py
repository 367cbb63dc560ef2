"""Spectra, HVL and air kerma: against SpekPy itself and against published beam qualities."""

import numpy as np
import pytest
from scipy.optimize import brentq

from scanroom.physics.xray.spectrum import (
    SpectrumCache,
    air_kerma_ugy_per_mas,
    filtered,
    fluence_per_air_kerma,
    hvl_mm_al,
    mean_energy_kev,
    tube_spectrum,
)


def _spekpy_hvl_kerma(spekpy, kvp, th=12.0, al=2.5, cu=0.0):
    s = spekpy.Spek(kvp=kvp, th=th)
    if al:
        s.filter("Al", al)
    if cu:
        s.filter("Cu", cu)
    return s.get_hvl1(), s.get_kerma(), s.get_flu() / 100.0


def test_default_table_is_spekpy(spekpy):
    spec = tube_spectrum(80)
    s = spekpy.Spek(kvp=80, th=12, dk=0.5)
    s.filter("Al", 2.5)
    k, f = s.get_spectrum()
    ref = np.add.reduceat(f * 0.5 / 100.0, np.arange(0, k.size, 2))  # 0.5 keV pairs -> 1 keV bins
    assert np.allclose(spec.fluence[: ref.size], ref, rtol=1e-5, atol=1e-3 * ref.max())


@pytest.mark.parametrize(
    ("kvp", "th", "al", "cu"),
    [(80, 12, 2.5, 0.0), (50, 12, 2.5, 0.0), (80, 12, 1.0, 0.0), (80, 12, 4.0, 0.1), (120, 12, 3.0, 0.2),
     (150, 12, 2.5, 0.3), (70, 12, 23.5, 0.0), (80, 10, 2.5, 0.0), (100, 16, 3.0, 0.0)],
)
def test_hvl_and_kerma_match_spekpy(spekpy, kvp, th, al, cu):
    spec = tube_spectrum(kvp, anode_angle_deg=th, inherent_al_mm=al, added_cu_mm=cu)
    hvl_ref, k_ref, flu_ref = _spekpy_hvl_kerma(spekpy, kvp, th, al, cu)
    assert hvl_mm_al(spec) == pytest.approx(hvl_ref, rel=0.025)
    assert air_kerma_ugy_per_mas(spec) == pytest.approx(k_ref, rel=0.025)
    assert spec.total_fluence == pytest.approx(flu_ref, rel=0.015)


def test_80kvp_published_hvl_and_output():
    spec = tube_spectrum(80)  # 12°, 2.5 mm Al total
    # physics notes: SpekPy 80 kV, 2.5 mm Al: HVL ≈ 2.73 mm Al, ≈ 82 µGy/mAs at 1 m; brief: HVL 2.5–3.2
    assert 2.5 <= hvl_mm_al(spec) <= 3.2
    assert air_kerma_ugy_per_mas(spec) == pytest.approx(82.0, rel=0.03)
    # Survey of ~40 radiographic units (imablog.net, 2015): 0.008373·kV^1.983 µGy/mAs at 40 in ≈ 51 µGy/mAs
    # at 1 m for 80 kV. Real tubes carry 3–4 mm Al and aged anodes: our ideal tube brackets it.
    survey = 0.008373 * 80**1.983 * (1016 / 1000) ** 2
    heavy = air_kerma_ugy_per_mas(tube_spectrum(80, inherent_al_mm=4.0))
    assert heavy < survey * 1.25 < air_kerma_ugy_per_mas(spec) * 1.25
    assert 40 <= survey <= 60


def test_output_scales_about_kv_squared():
    # the survey above fitted kV^1.98; textbooks quote ∝ kV² at fixed filtration
    k = [air_kerma_ugy_per_mas(tube_spectrum(v, inherent_al_mm=3.0)) for v in (60, 120)]
    exponent = np.log(k[1] / k[0]) / np.log(2.0)
    assert 1.7 <= exponent <= 2.4


def _al_for_hvl(kvp, target):
    return brentq(lambda al: hvl_mm_al(tube_spectrum(kvp, inherent_al_mm=al)) - target, 0.5, 15.0, xtol=1e-4)


def test_iec_61267_rqa5():
    # IEC 61267: RQR5 = 70 kV, HVL 2.58 mm Al; RQA5 = RQR5 + 21 mm Al, HVL 6.8 mm Al
    al = _al_for_hvl(70, 2.58)
    assert 2.0 < al < 4.0
    rqa5 = filtered(tube_spectrum(70, inherent_al_mm=al), al_mm=21.0)
    assert hvl_mm_al(rqa5) == pytest.approx(6.8, abs=0.25)
    # IEC 62220-1: RQA5 SNR²_in (photons per mm² per µGy) = 29 653
    assert fluence_per_air_kerma(rqa5) == pytest.approx(29653, rel=0.03)


@pytest.mark.parametrize(("kvp", "hvl"), [(50, 1.8), (80, 3.0), (100, 4.0), (150, 6.6)])
def test_iec_rqr_qualities_need_plausible_filtration(kvp, hvl):
    # RQR HVLs (IEC 61267, as listed by RRPPS/UHB) are reached with a few mm Al total filtration
    assert 1.5 < _al_for_hvl(kvp, hvl) < 6.0


def test_second_hvl_larger_than_first():
    spec = tube_spectrum(80)
    assert hvl_mm_al(spec, 2) > hvl_mm_al(spec, 1)


def test_filtration_hardens_and_anode_angle_and_ripple():
    base = tube_spectrum(80)
    cu = tube_spectrum(80, added_cu_mm=0.2)
    assert hvl_mm_al(cu) > hvl_mm_al(base) and air_kerma_ugy_per_mas(cu) < air_kerma_ugy_per_mas(base)
    assert mean_energy_kev(cu) > mean_energy_kev(base)
    steep = tube_spectrum(80, anode_angle_deg=8)
    assert air_kerma_ugy_per_mas(steep) < air_kerma_ugy_per_mas(base)
    rip = tube_spectrum(80, ripple=0.3)
    assert air_kerma_ugy_per_mas(rip) < air_kerma_ugy_per_mas(base)
    assert hvl_mm_al(rip) < hvl_mm_al(base)
    assert np.allclose(tube_spectrum(80, ripple=0.0).fluence, base.fluence)
    # fractional kVp sits between its neighbours
    k = [air_kerma_ugy_per_mas(tube_spectrum(v)) for v in (80, 80.5, 81)]
    assert k[0] < k[1] < k[2]


def test_invalid_inputs():
    with pytest.raises(ValueError):
        tube_spectrum(30)
    with pytest.raises(ValueError):
        tube_spectrum(80, inherent_al_mm=-1)
    with pytest.raises(ValueError):
        filtered(tube_spectrum(80), al_mm=-3.0)


def test_spectrum_cache_memory_and_disk(tmp_path, spekpy):
    cache = SpectrumCache(tmp_path, maxsize=1)
    a = cache.get(75, total_al_mm=3.0)
    b = cache.get(75, total_al_mm=3.0)
    assert a is b and cache.misses == 1 and cache.hits == 1
    assert len(list(tmp_path.glob("*.npz"))) == 1
    again = SpectrumCache(tmp_path).get(75, total_al_mm=3.0)  # new process: from disk
    assert np.array_equal(again.fluence, a.fluence) and again.source == "spekpy"
    # the bundled path agrees with exact SpekPy off the table filtration
    assert hvl_mm_al(tube_spectrum(75, inherent_al_mm=3.0)) == pytest.approx(hvl_mm_al(a), rel=0.01)
