"""Every generated-item template against an independent calculation of its answer (must-show 2).

Independent = a different route to the number: closed forms written out here, or published tables
(NIST XCOM attenuation, AAPM Report 96 k-factors, decay-chart values), never the function the template
called. Each template is checked over many seeds.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from scanroom.learning import generated
from scanroom.learning.items import score

SEEDS = range(40)

# NIST XCOM total attenuation with coherent scattering, μ/ρ in cm²/g (Hubbell & Seltzer, NISTIR 5632)
NIST_MU_RHO = {
    "water": {30: 0.3756, 40: 0.2683, 50: 0.2269, 60: 0.2059, 80: 0.1837, 100: 0.1707},
    "aluminium": {30: 1.128, 40: 0.5685, 50: 0.3681, 60: 0.2778, 80: 0.2018, 100: 0.1704},
}
DENSITY = {"water": 1.0, "aluminium": 2.699}
# AAPM Report 96 (2008) Table 3, adult k-factors, mSv/(mGy·cm)
AAPM96_ADULT = {"head": 0.0021, "neck": 0.0059, "chest": 0.014, "abdomen and pelvis": 0.015}
# Decay charts (fraction remaining), T½ Tc-99m 6.01 h and F-18 109.8 min
TC99M_HOURS = {1: 0.891, 2: 0.794, 3: 0.707, 4: 0.630, 6: 0.500, 8: 0.397, 12: 0.250, 24: 0.063}
F18_MIN = {30: 0.827, 60: 0.685, 90: 0.566, 120: 0.469, 180: 0.321}


def _items(template: str) -> list:
    return [generated.generate(template, seed) for seed in SEEDS]


def _key(item) -> float:  # type: ignore[no-untyped-def]
    return float(item.key.value)


def test_inverse_square_closed_form() -> None:
    for item in _items("inverse-square"):
        p = item.extra["params"]
        ratio = (p["d1"] / p["d2"]) ** 2  # K ∝ 1/d²
        expected = p["k1"] * ratio if "k1" in p else p["mas1"] / ratio
        assert _key(item) == pytest.approx(expected, rel=1e-6), item.stem


def test_attenuation_against_nist_tables() -> None:
    seen = 0
    for item in _items("attenuation-hvl"):
        p = item.extra["params"]
        if p["material"] in NIST_MU_RHO:
            mu_nist = NIST_MU_RHO[p["material"]][int(p["energy"])] * DENSITY[p["material"]]
            assert p["mu"] == pytest.approx(mu_nist, rel=0.03), (p, mu_nist)  # Scanroom's μ vs the table
            seen += 1
        expected = math.log(2) / p["mu"] if "x" not in p else 100 * math.exp(-p["mu"] * p["x"])
        assert _key(item) == pytest.approx(expected, rel=1e-9)
        # and the transmitted fraction at one HVL is one half, whatever the material
        assert math.exp(-p["mu"] * math.log(2) / p["mu"]) == pytest.approx(0.5)
    assert seen >= 10


def test_fifteen_percent_rule_and_scanroom_spectra() -> None:
    for item in _items("kvp-15-percent"):
        p = item.extra["params"]
        assert _key(item) == pytest.approx(p["mas1"] / 2 ** p["steps"])
    # the rule approximates Scanroom's X-ray physics: kerma behind 20 cm of water roughly doubles per +15% kVp
    from dataclasses import replace

    from scanroom.physics.materials import mu_linear_cm
    from scanroom.physics.xray.spectrum import air_kerma_ugy_per_mas, tube_spectrum

    def behind_patient(kvp: float) -> float:
        s = tube_spectrum(kvp)
        fluence = s.fluence * np.exp(-mu_linear_cm("water", s.energies_kev) * 20)
        return air_kerma_ugy_per_mas(replace(s, fluence=fluence))

    for kvp in (60.0, 70.0, 80.0):
        ratio = behind_patient(kvp * 1.15) / behind_patient(kvp)
        assert 1.5 < ratio < 2.8, (kvp, ratio)


def test_ct_dose_against_aapm_96() -> None:
    for item in _items("ct-dose"):
        p = item.extra["params"]
        if "length" in p:
            expected = p["ctdi"] * p["length"]
        elif "region" in p:
            expected = AAPM96_ADULT[p["region"]] * p["dlp"]
        else:
            expected = p["ctdiw"] / p["pitch"]
        assert _key(item) == pytest.approx(expected, rel=1e-6), item.stem


def test_mri_snr_and_time_closed_form() -> None:
    """SNR ∝ Δx·Δy·Δz·√(Ny·NEX/BW); time ∝ TR·Ny·NEX (McRobbie 2017, ch. 6)."""
    base = {"fov": 240.0, "n": 256, "slice": 5.0, "bw": 200.0, "nex": 1}
    change = {"nex2": {"nex": 2}, "nex4": {"nex": 4}, "slice": {"slice": 2.5}, "slice10": {"slice": 10.0},
              "bw": {"bw": 100.0}, "matrix": {"n": 512}, "fov": {"fov": 180.0}}

    def snr(q: dict) -> float:
        return (q["fov"] / q["n"]) ** 2 * q["slice"] * math.sqrt(q["n"] * q["nex"] / q["bw"])

    def time(q: dict) -> float:
        return q["n"] * q["nex"]

    kinds = set()
    for item in _items("mri-snr-time"):
        p = item.extra["params"]
        after = {**base, **change[p["change"]]}
        law = time if p["what"] == "time" else snr
        assert _key(item) == pytest.approx(law(after) / law(base), rel=1e-3), item.stem
        kinds.add(p["what"])
    assert kinds == {"snr", "time"}


def test_ernst_angle_by_brute_force() -> None:
    """Maximise the spoiled-GRE closed form over flip angle numerically."""
    angles = np.linspace(0.01, 90, 90001)
    for item in _items("ernst-angle")[:15]:
        p = item.extra["params"]
        e1 = math.exp(-p["tr"] / p["t1"])
        a = np.deg2rad(angles)
        signal = np.sin(a) * (1 - e1) / (1 - np.cos(a) * e1)
        assert _key(item) == pytest.approx(angles[np.argmax(signal)], abs=0.01)


def test_chemical_shift_closed_form() -> None:
    for item in _items("chemical-shift"):
        p = item.extra["params"]
        assert _key(item) == pytest.approx(3.5e-6 * 42.58e6 * p["field"] / p["bw"], rel=1e-3)
    # the classic figure: 1.5 T, 3.5 ppm ≈ 224 Hz
    assert pytest.approx(223.5, abs=0.5) == 3.5e-6 * 42.577e6 * 1.5


def test_decay_against_decay_charts() -> None:
    for item in _items("radioactive-decay"):
        p = item.extra["params"]
        table = TC99M_HOURS[int(p["minutes"] // 60)] if p["nuclide"] == "Tc-99m" else F18_MIN[int(p["minutes"])]
        assert _key(item) == pytest.approx(p["a0"] * table, abs=p["a0"] * 6e-4), item.stem  # 3-decimal chart


def test_range_error_time_of_flight() -> None:
    for item in _items("us-range-error"):
        p = item.extra["params"]
        assert _key(item) == pytest.approx(p["depth"] * 1540.0 / p["speed"], rel=1e-9)
        if p["tissue"] == "fat":  # published speed in fat ≈ 1450 m/s (Bushberg 2020, Table 14-1)
            assert abs(p["speed"] - 1450) <= 15


def test_mri_contrast_image_matches_signal_equations() -> None:
    """The rendered image's CSF/white-matter contrast has the sign the spin-echo/IR equations predict."""
    from scanroom.physics.materials import get_material
    from scanroom.physics.mri.signal import inversion_recovery, spin_echo
    from scanroom.scanner.mri import preset_for

    csf, wm = get_material("csf"), get_material("white-matter")
    for sequence in ("t1-se", "t2-tse", "flair"):
        p = preset_for(sequence)
        if sequence == "flair":
            s_csf = abs(float(inversion_recovery(1.0, csf.t1_ms(1.5), csf.t2_ms(1.5), p.tr_ms, p.ti_ms, p.te_ms)))
            s_wm = abs(float(inversion_recovery(0.7, wm.t1_ms(1.5), wm.t2_ms(1.5), p.tr_ms, p.ti_ms, p.te_ms)))
        else:
            s_csf = float(spin_echo(csf.pd, csf.t1_ms(1.5), csf.t2_ms(1.5), p.tr_ms, p.te_ms))
            s_wm = float(spin_echo(wm.pd, wm.t1_ms(1.5), wm.t2_ms(1.5), p.tr_ms, p.te_ms))
        image, labels, materials = generated.mri_image(sequence)
        mean = {m: float(image[np.isin(labels, np.flatnonzero(materials == m))].mean())
                for m in ("csf", "white-matter")}
        assert (mean["csf"] > mean["white-matter"]) == (s_csf > s_wm), (sequence, mean, s_csf, s_wm)
    item = next(i for i in _items("mri-contrast") if i.extra["params"]["sequence"] == "t2-tse")
    assert item.options[item.key] == "T2 TSE"


@pytest.mark.parametrize("template", sorted(generated.TEMPLATES))
def test_template_key_scores_itself_and_is_reproducible(template: str) -> None:
    for seed in (1, 2, 3):
        item = generated.generate(template, seed)
        assert generated.item_for(item.item_id) == item
        answer = item.key if item.type == "single" else f"{item.key.value:.6g}"
        assert score(item, answer).correct
        if item.type == "numeric":
            assert not score(item, f"{item.key.value * 1.2:.6g}").correct
