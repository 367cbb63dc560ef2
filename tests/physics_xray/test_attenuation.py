import numpy as np
import pytest

from scanroom.physics.xray.attenuation import (
    klein_nishina_energy_transfer_fraction,
    mu_en_over_rho_air_cm2_g,
    mu_linear_cm,
)

from .conftest import WATER, mu_composition

# NIST X-ray mass energy-absorption coefficients, "Air, Dry (near sea level)" (Hubbell & Seltzer, NISTIR 5632)
NIST_AIR_MUEN = {10: 4.742, 15: 1.334, 20: 0.5389, 30: 0.1537, 40: 0.06833, 50: 0.04098, 60: 0.03041,
                 80: 0.02407, 100: 0.02325, 150: 0.02496}


def test_air_mu_en_matches_nist_within_2_percent():
    e = np.array(sorted(NIST_AIR_MUEN), dtype=float)
    ref = np.array([NIST_AIR_MUEN[k] for k in sorted(NIST_AIR_MUEN)])
    rel = mu_en_over_rho_air_cm2_g(e) / ref - 1
    assert np.max(np.abs(rel)) < 0.02, rel


def test_klein_nishina_transfer_fraction_attix():
    # Attix (1986) table: mean fraction of energy transferred in Compton scattering
    f = klein_nishina_energy_transfer_fraction(np.array([10.0, 100.0, 1000.0]))
    assert f[0] == pytest.approx(0.0187, rel=0.05)
    assert f[1] == pytest.approx(0.138, rel=0.03)
    assert f[2] == pytest.approx(0.440, rel=0.02)


def test_water_mu_at_60_kev_nist():
    # NIST XCOM: water μ/ρ(60 keV) = 0.2059 cm²/g
    assert mu_composition(WATER, np.array([60.0]))[0] == pytest.approx(0.2059, rel=0.005)


def test_filters_are_positive_and_decreasing_without_edges():
    e = np.linspace(20, 80, 13)
    mu = mu_linear_cm("Al", e)
    assert np.all(mu > 0) and np.all(np.diff(mu) < 0)
    with pytest.raises(ValueError):
        mu_linear_cm("Al", np.array([0.0]))
