"""Detector: noise statistics, MTF implementation, focal-spot blur."""

import numpy as np
import pytest

from scanroom.physics.xray.detector import (
    apply_mtf,
    detect,
    electronic_noise,
    focal_spot_blur,
    focal_spot_sigma_mm,
    presampled_mtf,
    quantum_noise,
)


def test_quantum_noise_mean_and_variance():
    rng = np.random.default_rng(0)
    s = np.full((256, 256), 50_000.0)  # keV absorbed
    eps = 55.0  # keV per effective quantum
    n = quantum_noise(s, eps, rng)
    assert n.mean() == pytest.approx(50_000.0, rel=0.002)
    assert n.var() == pytest.approx(50_000.0 * eps, rel=0.03)
    assert np.all(quantum_noise(np.zeros((4, 4)), 0.0, rng) == 0)


def test_electronic_noise_sigma():
    rng = np.random.default_rng(1)
    img = electronic_noise(np.zeros((200, 200), np.float32), 300.0, rng)
    assert img.std() == pytest.approx(300.0, rel=0.02)
    with pytest.raises(ValueError):
        electronic_noise(img, -1.0, rng)


def test_default_mtf_values():
    # 0.15 mm pixels, CsI: ≈ 0.62 at 1 cycle/mm and ≈ 0.27 at 2 cycles/mm (module docstring)
    m = presampled_mtf(np.array([0.0, 1.0, 2.0]), 0.15)
    assert m[0] == pytest.approx(1.0)
    assert m[1] == pytest.approx(0.62, abs=0.02)
    assert m[2] == pytest.approx(0.27, abs=0.02)
    g = presampled_mtf(np.array([1.0]), 0.15, kind="gaussian", sigma_mm=0.1)
    assert g[0] == pytest.approx(np.exp(-2 * np.pi**2 * 0.01) * np.sinc(0.15), rel=1e-9)


def test_apply_mtf_reproduces_model_on_an_impulse():
    img = np.zeros((256, 256))
    img[128, 128] = 1.0
    out = apply_mtf(img, 0.15, lambda f: presampled_mtf(f, 0.15, aperture=False))
    assert out.sum() == pytest.approx(1.0, rel=1e-6)
    lsf = out.sum(axis=0)  # line spread along x
    mtf = np.abs(np.fft.rfft(lsf))
    f = np.fft.rfftfreq(256, d=0.15)
    i1 = np.argmin(np.abs(f - 1.0))
    assert mtf[i1] == pytest.approx(presampled_mtf(f[i1], 0.15, aperture=False), rel=0.02)


def test_noise_power_follows_mtf_squared():
    rng = np.random.default_rng(2)
    s = np.full((256, 256), 1e5)
    img = detect(s, 50.0, 0.15, rng, electronic_sigma_kev=0.0)
    nps = np.abs(np.fft.fft2(img - img.mean())) ** 2
    f = np.fft.fftfreq(256, d=0.15)
    fr = np.hypot(f[:, None], f[None, :])
    band_lo = nps[(fr > 0.2) & (fr < 0.4)].mean()
    band_hi = nps[(fr > 1.9) & (fr < 2.1)].mean()
    m_lo = presampled_mtf(0.3, 0.15, aperture=False)
    m_hi = presampled_mtf(2.0, 0.15, aperture=False)
    # aperture is separable: it lowers the high band a little more; allow 25 %
    assert band_hi / band_lo == pytest.approx((m_hi / m_lo) ** 2, rel=0.25)


def test_focal_spot_blur_penumbra():
    # 1.2 mm focal spot, object at M = 1.5: penumbra FWHM 0.6 mm on the detector
    assert focal_spot_sigma_mm(1.2, 1.5) * 2.3548 == pytest.approx(0.6, rel=1e-3)
    assert focal_spot_sigma_mm(1.2, 1.0) == 0.0
    img = np.zeros((64, 256))
    img[:, 128:] = 1.0
    out = focal_spot_blur(img, 0.05, 1.2, 1.5)
    lsf = np.diff(out[32])
    half = lsf.max() / 2
    fwhm_px = np.sum(lsf >= half)
    assert fwhm_px * 0.05 == pytest.approx(0.6, abs=0.06)
    with pytest.raises(ValueError):
        focal_spot_sigma_mm(1.0, 0.9)
