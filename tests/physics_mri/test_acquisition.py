"""Acquisition engine: SNR law from measured noise, exact scan time, artifacts against their physics."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from scanroom.physics.mri import artifacts as art
from scanroom.physics.mri.geometry import SliceGeometry
from scanroom.physics.mri.kspace import AcquisitionParams, acquire, scan_timing
from scanroom.physics.mri.sequences import default_params
from scanroom.physics.mri.signal import adc_map
from scanroom.physics.mri.testobjects import block_phantom, brain_phantom, fat_water_phantom
from scanroom.physics.mri.tissue import larmor_hz, tissue_table

SE = default_params("t1-se", 1.5)


@pytest.fixture(scope="module")
def block():
    return block_phantom("water", size_mm=(120.0, 120.0, 60.0), grid=(70, 180, 180))


@pytest.fixture(scope="module")
def brain():
    return brain_phantom(112, 2.0)


def _measured_snr(ph, seq, geom, acq, roi: int = 24) -> float:
    """NEMA MS 1 difference method: SNR = mean(ROI of the sum / 2) / (std(ROI of the difference) / √2)."""
    a = acquire(ph, seq, geom, replace(acq, seed=11)).image[0]
    b = acquire(ph, seq, geom, replace(acq, seed=12)).image[0]
    r, c = a.shape[0] // 2, a.shape[1] // 2
    sl = (slice(r - roi, r + roi), slice(c - roi, c + roi))
    return float(((a + b)[sl] / 2).mean() / ((a - b)[sl].std() / math.sqrt(2)))


def test_snr_scales_with_sqrt_nex(block) -> None:
    geom = SliceGeometry(matrix_read=128, matrix_phase=128, slice_thickness_mm=5.0)
    s1 = _measured_snr(block, SE, geom, AcquisitionParams(nex=1))
    s4 = _measured_snr(block, SE, geom, AcquisitionParams(nex=4))
    assert s4 / s1 == pytest.approx(2.0, rel=0.05)


def test_snr_scales_with_voxel_volume(block) -> None:
    acq = AcquisitionParams()
    g = SliceGeometry(matrix_read=128, matrix_phase=128, slice_thickness_mm=2.5)
    thin = _measured_snr(block, SE, g, acq)
    thick = _measured_snr(block, SE, replace(g, slice_thickness_mm=5.0), acq)
    assert thick / thin == pytest.approx(2.0, rel=0.05)
    # in-plane: FOV 160 → 240 mm at the same matrix is 2.25× the voxel, same lines and bandwidth
    small = _measured_snr(block, SE, replace(g, fov_read_mm=160.0, fov_phase_mm=160.0), acq)
    large = _measured_snr(block, SE, replace(g, fov_read_mm=240.0, fov_phase_mm=240.0), acq)
    assert large / small == pytest.approx(2.25, rel=0.05)


def test_snr_follows_bandwidth_and_field(block) -> None:
    g = SliceGeometry(matrix_read=128, matrix_phase=128)
    a = _measured_snr(block, replace(SE, bandwidth_hz_px=100.0, te_ms=20.0), g, AcquisitionParams())
    b = _measured_snr(block, replace(SE, bandwidth_hz_px=400.0, te_ms=20.0), g, AcquisitionParams())
    assert a / b == pytest.approx(2.0, rel=0.05)


def test_parallel_imaging_noise_follows_g_sqrt_r(block) -> None:
    g = SliceGeometry(matrix_read=128, matrix_phase=128)
    acq = AcquisitionParams(coil="head-8", noise=True)
    s1 = _measured_snr(block, SE, g, acq)
    r2 = acquire(block, SE, g, replace(acq, parallel_factor=2, seed=1))
    s2 = _measured_snr(block, SE, g, replace(acq, parallel_factor=2))
    # centre g of an 8-channel ring at R = 2 is close to 1: SNR drops by ≈ √2
    assert s1 / s2 == pytest.approx(math.sqrt(2), rel=0.12)
    assert 1.0 <= r2.g_factor_max < 2.0
    assert r2.scan_time_s == pytest.approx(acquire(block, SE, g, acq).scan_time_s / 2)


@pytest.mark.parametrize(
    ("seq_id", "ny", "nex", "R", "pf"),
    [("t1-se", 256, 1, 1, 1.0), ("t1-se", 192, 2, 1, 1.0), ("t2-tse", 256, 2, 2, 1.0), ("t2-tse", 320, 1, 1, 1.0),
     ("flair", 256, 1, 2, 1.0), ("t1-gre", 256, 3, 1, 1.0), ("t1-se", 256, 1, 1, 0.75)],
)
def test_scan_time_is_exact(seq_id: str, ny: int, nex: int, R: int, pf: float) -> None:
    seq = default_params(seq_id, 1.5)
    geom = SliceGeometry(matrix_phase=ny, n_slices=10)
    acq = AcquisitionParams(nex=nex, parallel_factor=R, coil="head-8", partial_fourier=pf)
    t = scan_timing(seq, geom, acq)
    assert t.packages == 1  # 10 slices fit in one TR for these protocols
    expected = seq.tr_ms * 1e-3 * ny * pf * nex / (seq.etl * R)
    assert t.scan_time_s == pytest.approx(expected, rel=1e-12)


def test_scan_time_counts_packages_and_dwi_images() -> None:
    seq = default_params("t1-se", 1.5)  # TR 500 ms, slot ≈ 17 ms → 29 slices per TR
    t = scan_timing(seq, SliceGeometry(n_slices=40), AcquisitionParams())
    assert (t.slices_per_tr, t.packages) == (29, 2)
    assert t.scan_time_s == pytest.approx(0.5 * 256 * 2)
    dwi = default_params("dwi", 1.5)
    t = scan_timing(dwi, SliceGeometry(matrix_read=128, matrix_phase=128, n_slices=20),
                    AcquisitionParams(nex=2, parallel_factor=2, coil="head-8"))
    assert t.images_per_slice == 4 and t.scan_time_s == pytest.approx(5.0 * 2 * 4)
    bssfp = default_params("bssfp", 1.5)
    t = scan_timing(bssfp, SliceGeometry(n_slices=3), AcquisitionParams())
    assert t.scan_time_s == pytest.approx(bssfp.tr_ms * 1e-3 * 256 * 3)


def test_chemical_shift_displacement_matches_bandwidth() -> None:
    ph = fat_water_phantom()
    seq = replace(SE, bandwidth_hz_px=100.0, te_ms=20.0)
    geom = SliceGeometry(fov_read_mm=160.0, fov_phase_mm=160.0, matrix_read=160, matrix_phase=160,
                         phase_dir="RL")  # read along A-P (image rows), fat and water side by side in x
    acq = AcquisitionParams(noise=False)
    on = acquire(ph, seq, geom, acq).image[0]
    off = acquire(ph, seq, geom, acq, art.ArtifactSpec(chemical_shift=False)).image[0]
    expected = -3.4e-6 * larmor_hz(1.5) / 100.0  # fat resonates lower → toward lower read index
    rows = np.arange(on.shape[0])[:, None]

    def centroid(img: np.ndarray, cols: slice) -> float:
        w = img[:, cols]
        return float((w * rows).sum() / w.sum())

    fat_cols, water_cols = slice(95, 135), slice(25, 65)  # x > 0 is patient left = image right
    assert centroid(on, fat_cols) - centroid(off, fat_cols) == pytest.approx(expected, abs=0.5)
    assert abs(centroid(on, fat_cols) - centroid(off, fat_cols) - expected) < 0.1
    assert centroid(on, water_cols) == pytest.approx(centroid(off, water_cols), abs=0.01)
    assert abs(expected) == pytest.approx(2.17, abs=0.01)


def test_gibbs_overshoot_is_nine_percent(block) -> None:
    geom = SliceGeometry(fov_read_mm=256.0, fov_phase_mm=256.0, matrix_read=64, matrix_phase=64)
    r = acquire(block, SE, geom, AcquisitionParams(noise=False, oversampling=4, zero_fill=4)).image[0]
    prof = r[r.shape[0] // 2]  # along the phase (RL) direction through the centre
    plateau = float(np.median(prof[prof.size // 2 - 20:prof.size // 2 + 20]))
    over = art.gibbs_overshoot(prof, plateau)
    assert over == pytest.approx(0.0895, abs=0.012)
    smooth = acquire(block, SE, geom, AcquisitionParams(noise=False, oversampling=4, zero_fill=4,
                                                        kspace_filter="hamming")).image[0]
    assert art.gibbs_overshoot(smooth[r.shape[0] // 2], plateau) < 0.01


@pytest.mark.parametrize("period_s", [2.0, 4.0, 5.0])
def test_motion_ghost_spacing_follows_period(period_s: float) -> None:
    ph = block_phantom("water", size_mm=(8.0, 8.0, 40.0), grid=(50, 120, 120))
    seq = replace(SE, tr_ms=500.0)
    n = 128
    geom = SliceGeometry(fov_read_mm=200.0, fov_phase_mm=200.0, matrix_read=n, matrix_phase=n, phase_dir="AP")
    spec = art.ArtifactSpec(motion=art.MotionSpec(amplitude_mm=0.5, period_s=period_s, axis="read"))
    acq = AcquisitionParams(noise=False, kspace_filter="hamming")  # no ringing tails around the object
    img = acquire(ph, seq, geom, acq, spec).image[0]
    prof = img[:, n // 2 - 2:n // 2 + 2].sum(axis=1)[: n // 2]  # along phase (A-P = rows), one side
    expected = n * seq.tr_ms * 1e-3 / period_s  # N·TR/T: 32, 16 and 12.8 pixels
    prof[n // 2 - 8:] = 0  # remove the object itself
    peak = int(np.argmax(prof))
    win = np.arange(peak - 4, peak + 5)
    centre = float((prof[win] * win).sum() / prof[win].sum())
    assert abs((n // 2 - centre) - expected) <= 1
    assert prof.max() > 0.01 * img[:, n // 2 - 2:n // 2 + 2].sum(axis=1).max()  # a visible ghost


def test_aliasing_wraps_along_phase_only(block) -> None:
    geom = SliceGeometry(fov_read_mm=200.0, fov_phase_mm=100.0, matrix_read=100, matrix_phase=50,
                         phase_dir="RL")  # object 120 mm wide > 100 mm phase FOV
    img = acquire(block, SE, geom, AcquisitionParams(noise=False)).image[0]
    mid = img[img.shape[0] // 2]  # one row: along phase (columns)
    centre = float(np.median(mid[20:30]))
    assert float(np.median(mid[:4])) == pytest.approx(2 * centre, rel=0.1)  # 10 mm overlap each side
    nowrap = acquire(block, SE, replace(geom, phase_oversampling=0.5), AcquisitionParams(noise=False)).image[0]
    assert float(np.median(nowrap[img.shape[0] // 2][:4])) == pytest.approx(centre, rel=0.1)
    # along read the anti-alias filter removes wrap: nothing outside the 120 mm block
    col = img[:, img.shape[1] // 2]  # block spans rows 20–80 of 100 (2 mm pixels)
    assert col[:15].max() < 0.05 * centre and col[-15:].max() < 0.05 * centre


def test_partial_volume_from_thick_slice(block) -> None:
    geom = SliceGeometry(matrix_read=64, matrix_phase=64, slice_thickness_mm=10.0, center_mm=(0.0, 0.0, 30.0))
    edge = acquire(block, SE, geom, AcquisitionParams(noise=False)).image[0]
    full = acquire(block, SE, replace(geom, center_mm=(0.0, 0.0, 0.0)), AcquisitionParams(noise=False)).image[0]
    assert edge[32, 32] / full[32, 32] == pytest.approx(0.5, abs=0.02)


def test_zipper_lands_at_leak_frequency(block) -> None:
    seq = replace(SE, bandwidth_hz_px=150.0)
    geom = SliceGeometry(matrix_read=128, matrix_phase=128, phase_dir="RL")  # read = rows (A-P)
    img = acquire(block, seq, geom, AcquisitionParams(noise=False),
                  art.ArtifactSpec(zipper_hz=-40 * 150.0, zipper_amplitude=0.3)).image[0]
    row = int(np.argmax(img[:, :].mean(axis=1)[:30]))  # outside the object, 40 px above the centre
    assert row == 64 - 40


def test_spike_makes_stripes_at_its_frequency(block) -> None:
    geom = SliceGeometry(matrix_read=128, matrix_phase=128)
    clean = acquire(block, SE, geom, AcquisitionParams(noise=False))
    spiky = acquire(block, SE, geom, AcquisitionParams(noise=False), art.ArtifactSpec(spike=(0.1, 0.2, 0.5)))
    diff = spiky.kspace[0] - clean.kspace[0]
    j, i = np.unravel_index(np.argmax(np.abs(diff)), diff.shape)
    assert (j, i) == (64 + 13, 64 + 26)
    bg = spiky.image[0][:10, :10]
    assert bg.max() > 0.01  # herringbone reaches the background


def test_surface_coil_shading_and_normalisation(block) -> None:
    geom = SliceGeometry(matrix_read=64, matrix_phase=64)
    img = acquire(block, SE, geom, AcquisitionParams(noise=False, coil="surface")).image[0]
    col = img[:, 32]  # rows A → P (3.75 mm), block from row 16 to 48; the surface coil is posterior
    assert col[44] > 3 * col[20]
    flat = acquire(block, SE, geom, AcquisitionParams(noise=False, coil="surface", normalize_intensity=True)).image[0]
    assert flat[44, 32] == pytest.approx(flat[20, 32], rel=0.1)


def test_susceptibility_field_matches_dipole() -> None:
    # air sphere (r = 12 mm) in water: Fourier-kernel field vs the analytic dipole
    # the water box itself perturbs the field, so compare the field change the sphere adds (superposition)
    n, vox = 96, 1.0
    ph0 = block_phantom("water", size_mm=(200.0, 200.0, 200.0), voxel_mm=vox, grid=(n, n, n))
    Z, Y, X = np.meshgrid(*(3 * [(np.arange(n) - (n - 1) / 2) * vox]), indexing="ij")
    lab = ph0.labels.copy()
    lab[X**2 + Y**2 + Z**2 <= 12**2] = 0
    ph = replace(ph0, labels=lab)
    table = tissue_table(ph.label_materials, 3.0)
    pts = np.array([[0.0, 0.0, 24.0], [0.0, 0.0, -30.0], [24.0, 0.0, 0.0], [0.0, 30.0, 0.0], [20.0, 0.0, 20.0]])
    got = art.susceptibility_field(ph, table).sample(pts) - art.susceptibility_field(ph0, table).sample(pts)
    ref = art.sphere_dipole_ppm(pts, np.zeros(3), 12.0, 0.36 + 9.05)
    np.testing.assert_allclose(got, ref, rtol=0.03)


def test_susceptibility_loses_gre_signal_more_than_se(brain) -> None:
    geom = SliceGeometry(matrix_read=96, matrix_phase=96, slice_thickness_mm=5.0, center_mm=(0, 0, -50.0))
    acq = AcquisitionParams(noise=False, field_t=3.0)
    loss = {}
    for sid in ("t1-se", "t2star-gre"):
        seq = default_params(sid, 3.0)
        a = acquire(brain, seq, geom, acq).image[0]
        b = acquire(brain, seq, geom, acq, art.ArtifactSpec(susceptibility=True)).image[0]
        inside = a > 0.3 * a.max()
        loss[sid] = float(np.abs(b - a)[inside].mean() / a[inside].mean())
    assert loss["t2star-gre"] > loss["t1-se"] > 0


def test_dwi_adc_map_recovers_tissue_adc(brain) -> None:
    seq = default_params("dwi", 1.5)
    geom = SliceGeometry(matrix_read=96, matrix_phase=96, fov_read_mm=240.0, fov_phase_mm=240.0)
    acq = AcquisitionParams(noise=False, parallel_factor=2, coil="head-8", normalize_intensity=True)
    b0 = acquire(brain, replace(seq, b_value_s_mm2=0.0), geom, acq)
    b1 = acquire(brain, seq, geom, acq)
    adc = adc_map(b0.image[0], b1.image[0], seq.b_value_s_mm2)
    wm = b0.labels[0] == 5
    core = wm & (np.roll(wm, 3, 0) & np.roll(wm, -3, 0) & np.roll(wm, 3, 1) & np.roll(wm, -3, 1))
    assert float(np.median(adc[core])) == pytest.approx(0.7e-3, rel=0.03)


@pytest.mark.parametrize(
    ("geom", "acq", "match"),
    [
        (SliceGeometry(fov_read_mm=50.0, fov_phase_mm=50.0, matrix_read=1024, matrix_phase=1024), AcquisitionParams(),
         "matrix too large"),
        (SliceGeometry(matrix_read=2048), AcquisitionParams(), "matrix_read"),
        (SliceGeometry(), AcquisitionParams(parallel_factor=2), "multi-channel"),
        (SliceGeometry(), AcquisitionParams(partial_fourier=0.3), "partial Fourier"),
        (SliceGeometry(), AcquisitionParams(nex=0), "NEX"),
        (SliceGeometry(phase_dir="SI"), AcquisitionParams(), "not in the axial plane"),
        (SliceGeometry(matrix_phase=250), AcquisitionParams(parallel_factor=4, coil="head-8"), "divisible"),
    ],
)
def test_bad_acquisition_raises(block, geom, acq, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        acquire(block, SE, geom, acq)


def test_bad_sequence_raises_through_acquire(block) -> None:
    with pytest.raises(ValueError, match="shorter than TR"):
        acquire(block, replace(SE, te_ms=600.0), SliceGeometry(), AcquisitionParams())


def test_orientations_and_truth_labels(brain) -> None:
    for orient, shape in (("axial", (64, 64)), ("sagittal", (64, 64)), ("coronal", (64, 64))):
        g = SliceGeometry(orientation=orient, matrix_read=64, matrix_phase=64)
        r = acquire(brain, SE, g, AcquisitionParams(noise=False))
        assert r.image.shape[1:] == shape and r.labels.shape == r.image.shape
        assert set(np.unique(r.labels[0])) >= {0, 4, 5}
    # oblique slices run through the general sampler and give the same centre value
    g = SliceGeometry(matrix_read=64, matrix_phase=64, tilt_deg=20.0)
    r = acquire(brain, SE, g, AcquisitionParams(noise=False))
    r0 = acquire(brain, SE, replace(g, tilt_deg=0.0), AcquisitionParams(noise=False))
    assert r.image[0, 32, 32] == pytest.approx(r0.image[0, 32, 32], rel=0.05)


def test_partial_fourier_homodyne_keeps_the_image(brain) -> None:
    geom = SliceGeometry(matrix_read=128, matrix_phase=128, phase_dir="AP")
    full = acquire(brain, SE, geom, AcquisitionParams(noise=False))
    pf = acquire(brain, SE, geom, AcquisitionParams(noise=False, partial_fourier=5 / 8))
    inside = full.labels[0] >= 3
    err = np.abs(pf.image[0] - full.image[0])[inside].mean() / full.image[0][inside].mean()
    assert err < 0.03
    assert pf.scan_time_s == pytest.approx(full.scan_time_s * 5 / 8)
    assert np.count_nonzero(np.abs(pf.kspace[0]).sum(axis=1)) == 80  # 5/8 of 128 lines acquired


def test_stir_real_reconstruction_is_signed(brain) -> None:
    # TI 400 ms: past the fat null (≈ 238 ms) but before the white-matter null (≈ 600 ms)
    seq = replace(default_params("stir", 1.5), ti_ms=400.0, ir_recon="real")
    r = acquire(brain, seq, SliceGeometry(matrix_read=96, matrix_phase=96), AcquisitionParams(noise=False))
    fat = r.labels[0] == 1
    wm = r.labels[0] == 5
    assert np.median(r.image[0][wm]) < 0 < np.median(r.image[0][fat])
    mag = acquire(brain, replace(seq, ir_recon="magnitude"), SliceGeometry(matrix_read=96, matrix_phase=96),
                  AcquisitionParams(noise=False))
    assert np.median(mag.image[0][wm]) > 0
