"""Water phantom (32 cm, 120 kV): CT numbers, uniformity, noise law, beam-hardening cupping."""

from __future__ import annotations

import numpy as np
import pytest

from scanroom.physics.ct import (
    Reconstruction,
    cupping_hu,
    image_from_paths,
    make_beam,
    roi_mask,
    roi_stats,
    trace_slice,
)
from scanroom.physics.materials import mu_linear_cm

RECON = Reconstruction(kernel="standard", matrix=160, fov_mm=400.0)
N = RECON.matrix


def _img(paths, mas_rot=300.0, seed=0, noise=True, recon=RECON, bowtie="body"):  # noqa: ANN001, ANN202
    return image_from_paths(paths, kvp=120.0, mas_per_view=mas_rot / paths.n_views, recon=recon, noise=noise,
                            seed=seed, bowtie=bowtie).hu


def test_water_and_air_ct_numbers(water32_paths) -> None:  # noqa: ANN001
    hu = _img(water32_paths)
    water, _ = roi_stats(hu, roi_mask(N, 400.0, (0, 0), 30.0))
    air, _ = roi_stats(hu, roi_mask(N, 400.0, (0, 0), 195.0, 180.0))
    assert water == pytest.approx(0.0, abs=5.0)
    assert air == pytest.approx(-1000.0, abs=10.0)


def test_uniformity_after_bh_correction(water32_paths) -> None:  # noqa: ANN001
    hu = _img(water32_paths, noise=False)
    assert abs(cupping_hu(hu, 400.0, 160.0)) < 5.0
    # IEC-style: four peripheral ROIs vs centre
    c, _ = roi_stats(hu, roi_mask(N, 400.0, (0, 0), 15.0))
    for x, y in ((0, -130), (130, 0), (0, 130), (-130, 0)):
        e, _ = roi_stats(hu, roi_mask(N, 400.0, (x, y), 15.0))
        assert abs(e - c) < 5.0


def test_noise_halves_when_mas_quadruples(water32_paths) -> None:  # noqa: ANN001
    roi = roi_mask(N, 400.0, (0, 0), 100.0)

    def sd(mas: float) -> float:
        # difference of two independent scans removes any structure; SD/√2 is the noise of one image
        d = _img(water32_paths, mas, seed=1) - _img(water32_paths, mas, seed=2)
        return float(d[roi].std() / np.sqrt(2.0))

    lo, hi = sd(100.0), sd(400.0)
    assert hi / lo == pytest.approx(0.5, rel=0.10)
    assert 3.0 < sd(300.0) < 30.0  # a plausible level for 32 cm water, 5 mm, standard kernel


def test_cupping_without_bh_correction(water32, geom, axial5) -> None:  # noqa: ANN001
    from dataclasses import replace

    paths = trace_slice(water32, geom, replace(axial5, bowtie="none"), 0.0)
    off = _img(paths, noise=False, recon=replace(RECON, bh_correction=False), bowtie="none")
    on = _img(paths, noise=False, recon=RECON, bowtie="none")
    assert cupping_hu(off, 400.0, 160.0) > 15.0  # centre darker than the edge
    assert abs(cupping_hu(on, 400.0, 160.0)) < 5.0


def test_bh_correction_linearises_water_to_mu_ref(geom) -> None:  # noqa: ANN001
    beam = make_beam(geom, 120.0, "body")
    # effective energy: where xraydb water μ equals the calibration μ
    assert float(mu_linear_cm("water", beam.effective_energy_kev)) == pytest.approx(beam.mu_ref_cm, rel=1e-3)
    assert 55.0 < beam.effective_energy_kev < 75.0
    e = beam.energies_kev
    mu_w = mu_linear_cm("water", e)
    for c in (0, geom.n_channels // 2, geom.n_channels - 1):
        for t in (5.0, 20.0, 40.0):
            p = -np.log(np.sum(beam.w1[c] * np.exp(-mu_w * t)) / beam.w1[c].sum())
            x = np.polynomial.polynomial.polyval(p, beam.bhc[c])
            assert x == pytest.approx(beam.mu_ref_cm * t, rel=2e-3)


def test_kvp_changes_contrast_not_water(water32_paths) -> None:  # noqa: ANN001
    for kvp in (80.0, 140.0):
        hu = image_from_paths(water32_paths, kvp=kvp, mas_per_view=0.6, recon=RECON, noise=False).hu
        assert roi_stats(hu, roi_mask(N, 400.0, (0, 0), 30.0))[0] == pytest.approx(0.0, abs=5.0)


def test_iterative_option_keeps_ct_numbers_and_lowers_noise(water32_paths) -> None:  # noqa: ANN001
    roi = roi_mask(128, 400.0, (0, 0), 100.0)
    out = {}
    for method in ("fbp", "os-sart"):
        rec = Reconstruction(kernel="standard", matrix=128, fov_mm=400.0, method=method, iterations=2, subsets=10)
        out[method] = roi_stats(image_from_paths(water32_paths, kvp=120.0, mas_per_view=0.1, recon=rec, seed=1).hu,
                                roi)
    assert out["os-sart"][0] == pytest.approx(0.0, abs=5.0)
    assert out["os-sart"][1] < 0.7 * out["fbp"][1]
