"""Reconstruction against analytic references: exact line integrals of the modified Shepp–Logan ellipses
(parallel and fan beam, computed in closed form — no voxel projector involved)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from scanroom.physics.ct import (
    FanBeamGeometry,
    fbp_fan,
    fbp_parallel,
    image_grid,
    kernel_mtf50,
    kernel_window,
    os_sart_fan,
)
from tests.physics_ct.conftest import SHEPP_LOGAN, ellipse_image, ellipse_line_integrals


def _flat_mask(truth: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """Pixels at least 3 pixels away from any edge of the piecewise-constant truth."""
    edges = ndimage.maximum_filter(truth, 3) != ndimage.minimum_filter(truth, 3)
    return ~ndimage.binary_dilation(edges, iterations=3) & inside


def test_parallel_fbp_matches_analytic_shepp_logan() -> None:
    n, nv = 256, 360
    theta = np.pi * np.arange(nv) / nv
    s = np.arange(n) - (n - 1) / 2.0
    sino = ellipse_line_integrals(theta[:, None], s[None, :], SHEPP_LOGAN, scale=n / 2 * 0.95)
    img = fbp_parallel(sino, theta, output_size=n)
    c = np.arange(n) - (n - 1) / 2.0
    truth = ellipse_image(c, c, SHEPP_LOGAN, scale=n / 2 * 0.95)
    inside = c[None, :] ** 2 + c[:, None] ** 2 < (0.9 * n / 2) ** 2
    flat = _flat_mask(truth, inside)
    err = img - truth
    assert abs(err[flat].mean()) < 0.001  # no bias (scale or DC error of the filter)
    assert np.median(np.abs(err[flat])) < 0.003  # 3 % of the 0.1 small-feature contrast
    assert np.abs(err[flat]).mean() < 0.01
    assert np.sqrt(np.mean(err[inside] ** 2)) < 0.03
    brain = flat & (np.abs(truth - 0.2) < 1e-9)
    assert img[brain].mean() == pytest.approx(0.2, abs=0.002)
    # the small 0.1 "tumours" keep their contrast: mean over the 3 central ones
    for x0, y0 in ((0.0, 0.1), (0.0, -0.1)):
        r = (c[None, :] - x0 * n / 2 * 0.95) ** 2 + (c[:, None] - y0 * n / 2 * 0.95) ** 2 < 3.0**2
        assert img[r].mean() == pytest.approx(truth[r].mean(), abs=0.01)


@pytest.mark.parametrize("method", ["direct", "rebin"])
def test_fan_fbp_matches_analytic_shepp_logan(method: str) -> None:
    g = FanBeamGeometry(n_channels=512)
    nv = 600
    beta = 2 * np.pi * np.arange(nv) / nv
    gam = g.gammas()
    # fan ray (β, γ) is the parallel line θ = β − γ, s = R sin γ (cm)
    p = ellipse_line_integrals(beta[:, None] - gam[None, :], g.source_iso_mm / 10 * np.sin(gam)[None, :],
                               SHEPP_LOGAN, scale=12.0)
    img = fbp_fan(p, g, beta, kernel="ramp", matrix=192, fov_mm=300.0, method=method)
    x, y = image_grid(192, 300.0)
    truth = ellipse_image(x / 10, y / 10, SHEPP_LOGAN, scale=12.0)
    inside = x[None, :] ** 2 + y[:, None] ** 2 < 140.0**2
    flat = _flat_mask(truth, inside)
    assert np.abs((img - truth)[flat]).mean() < 0.005
    assert np.sqrt(np.mean((img - truth)[inside] ** 2)) < 0.035


def test_off_centre_fov_samples_the_same_object() -> None:
    g = FanBeamGeometry(n_channels=512)
    beta = 2 * np.pi * np.arange(400) / 400
    gam = g.gammas()
    disc = [(1.0, 3.0, 3.0, 6.0, -4.0, 0.0)]  # 3 cm disc at (6, −4) cm
    p = ellipse_line_integrals(beta[:, None] - gam[None, :], g.source_iso_mm / 10 * np.sin(gam)[None, :], disc)
    img = fbp_fan(p, g, beta, kernel="standard", matrix=64, fov_mm=80.0, centre_mm=(60.0, -40.0))
    assert img[24:40, 24:40].mean() == pytest.approx(1.0, abs=0.02)  # disc centre in the middle of the FOV
    assert abs(img[:4, :4].mean()) < 0.02


def test_kernels_order_and_mtf50() -> None:
    f = np.linspace(0, 10, 101)
    assert np.all(np.diff(kernel_window("soft", f)) <= 1e-12)
    m = [kernel_mtf50(k) for k in ("soft", "standard", "lung", "bone")]
    assert m == sorted(m)
    assert m[0] == pytest.approx(3.5, abs=0.05) and m[1] == pytest.approx(5.0, abs=0.05)
    with pytest.raises(ValueError, match="unknown kernel"):
        kernel_window("sharpest", f)


def test_os_sart_converges_towards_truth_and_reduces_noise() -> None:
    g = FanBeamGeometry(n_channels=384)
    beta = 2 * np.pi * np.arange(360) / 360
    gam = g.gammas()
    disc = [(0.2, 10.0, 10.0, 0.0, 0.0, 0.0), (0.1, 2.0, 2.0, 4.0, 0.0, 0.0)]
    p = ellipse_line_integrals(beta[:, None] - gam[None, :], g.source_iso_mm / 10 * np.sin(gam)[None, :], disc)
    rng = np.random.default_rng(3)
    pn = (p + rng.normal(0, 0.01, p.shape)).astype(np.float32)
    fbp = fbp_fan(pn, g, beta, kernel="standard", matrix=128, fov_mm=260.0)
    it = os_sart_fan(pn, g, beta, matrix=128, fov_mm=260.0, iterations=2, subsets=8, smoothing=0.3)
    x, y = image_grid(128, 260.0)
    bg = ((x[None, :] + 40) ** 2 + y[:, None] ** 2) < 30.0**2  # uniform 0.2 region
    assert it[bg].mean() == pytest.approx(0.2, abs=0.004)
    assert it[bg].std() < 0.8 * fbp[bg].std()
    ins = ((x[None, :] - 40) ** 2 + y[:, None] ** 2) < 10.0**2
    assert it[ins].mean() == pytest.approx(0.3, abs=0.015)
