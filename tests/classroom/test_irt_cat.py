"""IRT calibration and the adaptive test (must-show 3): with a seed, 1,000 simulated examinees on a
calibrated bank reach SE ≤ 0.30 with at most half the items of a blueprinted fixed form of equal
reliability, and no item is seen by more than the exposure ceiling."""

from __future__ import annotations

import numpy as np
import pytest

from scanroom.learning import cat, irt


def _responses(params: irt.ItemParams, persons: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    p = irt.probability(rng.standard_normal(persons), params.a, params.b, params.c)
    return (rng.random(p.shape) < p).astype(float)


def test_em_agrees_with_girth_and_recovers_parameters() -> None:
    true = cat.generating_parameters(["entry"] * 8 + ["intermediate"] * 8 + ["advanced"] * 8, seed=3)
    x = _responses(true, 1200, seed=4)
    ours = irt.calibrate(x, tol=1e-3)
    theirs = irt.calibrate_girth(x)
    assert np.corrcoef(ours.b, theirs.b)[0, 1] > 0.99
    assert np.corrcoef(ours.a, theirs.a)[0, 1] > 0.95
    assert np.corrcoef(ours.b, true.b)[0, 1] > 0.97
    assert np.mean(np.abs(ours.a - true.a)) < 0.2


def test_em_handles_sparse_data_and_3pl() -> None:
    true = irt.ItemParams(np.full(10, 1.4), np.linspace(-1.5, 1.5, 10), np.full(10, 0.2))
    x = _responses(true, 1200, seed=5)
    x[np.random.default_rng(6).random(x.shape) < 0.3] = np.nan  # 30% not administered
    fitted = irt.calibrate(x, "3PL", tol=1e-3)
    assert np.corrcoef(fitted.b, true.b)[0, 1] > 0.97
    assert np.all((fitted.c > 0.05) & (fitted.c < 0.35))


def test_eap_information_and_stop_rule() -> None:
    params = irt.ItemParams(np.array([1.5, 1.5]), np.array([0.0, 0.0]), np.zeros(2))
    # 2PL information at θ = b is a²/4 (Lord 1980)
    assert irt.information(0.0, params.a, params.b, params.c) == pytest.approx(np.full(2, 1.5**2 / 4))
    theta_all_right, se = irt.eap(np.array([1.0, 1.0]), params)
    assert theta_all_right > 0.5 and 0 < se < 1  # finite for a perfect score
    assert irt.eap(np.array([0.0, 0.0]), params)[0] == pytest.approx(-theta_all_right)


def test_catsim_information_agrees() -> None:
    """catsim (the CAT library the issue names) computes the same item information."""
    catsim_irt = pytest.importorskip("catsim.irt")
    a, b, c = np.array([0.8, 1.6, 2.2]), np.array([-1.0, 0.3, 1.2]), np.array([0.0, 0.2, 0.1])
    ours = irt.information(0.4, a, b, c)
    bank = np.column_stack([a, b, c, np.ones(3)])
    theirs = catsim_irt.inf_hpc(0.4, bank)
    assert ours == pytest.approx(theirs, rel=1e-6)


def test_adaptive_simulation_halves_the_fixed_form() -> None:
    levels = ["entry"] * 60 + ["intermediate"] * 80 + ["advanced"] * 60
    true = cat.generating_parameters(levels, seed=7)
    used = cat.calibrated_bank(true, calibration_examinees=1000, seed=8, use_girth=False, max_iter=30)
    config = cat.CatConfig(target_se=0.30, exposure_max=0.25)
    report = cat.simulate(true, used, examinees=1000, seed=2026, config=config, strata=levels)
    print("\n".join(report.lines()))
    assert report.share_reaching_se >= 0.95
    assert report.fixed_reliability >= report.cat_reliability
    assert report.mean_length <= 0.5 * report.fixed_length
    assert report.max_exposure <= config.exposure_max
    assert report.rmse < 0.4
