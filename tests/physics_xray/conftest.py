"""Shared helpers: attenuation from elemental composition straight from xraydb (independent of the
materials module), small phantoms and geometries."""

from __future__ import annotations

import numpy as np
import pytest
import xraydb

# ICRU Report 44 mass fractions (via NIST), densities g/cm³
WATER = ({"H": 0.111894, "O": 0.888106}, 1.0)
BONE = ({"H": 0.034, "C": 0.155, "N": 0.042, "O": 0.435, "Na": 0.001, "Mg": 0.002, "P": 0.103, "S": 0.003,
         "Ca": 0.225}, 1.92)
FAT = ({"H": 0.114, "C": 0.598, "N": 0.007, "O": 0.278, "Na": 0.001, "S": 0.001, "Cl": 0.001}, 0.95)
LUNG = ({"H": 0.103, "C": 0.105, "N": 0.031, "O": 0.749, "Na": 0.002, "P": 0.002, "S": 0.003, "Cl": 0.003,
         "K": 0.002}, 0.26)


def mu_composition(composition: tuple[dict[str, float], float], energies_kev: np.ndarray) -> np.ndarray:
    """μ (1/cm) = ρ Σ w_i (μ/ρ)_i from xraydb.mu_elam (total, incl. coherent)."""
    fractions, density = composition
    e_ev = np.asarray(energies_kev, dtype=np.float64) * 1e3
    return density * sum(w * np.asarray(xraydb.mu_elam(el, e_ev, kind="total")) for el, w in fractions.items())


def mu_table(compositions, energies_kev) -> np.ndarray:
    return np.stack([mu_composition(c, energies_kev) for c in compositions])


@pytest.fixture(scope="session")
def spekpy():
    return pytest.importorskip("spekpy")
