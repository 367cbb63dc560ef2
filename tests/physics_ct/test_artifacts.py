"""Each artefact arises from its physical cause and is measured against a control without that cause."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from scanroom.physics.ct import (
    Acquisition,
    Collimation,
    FanBeamGeometry,
    Reconstruction,
    breathing_schedule,
    channel_gains,
    make_beam,
    reconstruct,
    render_with_quanta,
    ring_amplitude_hu,
    roi_mask,
    roi_stats,
    starved_fraction,
    trace_slice,
    truncated_fraction,
    with_cylinders,
)
from scanroom.physics.patients import build_patient
from scanroom.physics.phantom import Phantom

REC = Reconstruction(kernel="standard", matrix=160, fov_mm=400.0)


def _scan(ph, geom, acq, *, mas=300.0, noise=True, seed=0, gains=None, rec=REC, view_phase=None, z=0.0):  # noqa: ANN001, ANN202
    paths = ph if not isinstance(ph, list | Phantom) else trace_slice(ph, geom, acq, z, view_phase=view_phase)
    beam = make_beam(geom, 120.0, acq.bowtie)
    p, q = render_with_quanta(paths, beam, mas / paths.n_views, noise=noise, seed=seed, channel_gain=gains)
    return reconstruct(p, beam, geom, paths.angles_rad, rec).hu, p, q


def test_beam_hardening_dark_band_between_dense_rods(water32, water32_paths, geom, axial5) -> None:  # noqa: ANN001
    rods = with_cylinders(water32, [(-60.0, 0.0), (60.0, 0.0)], 20.0, "cortical-bone")
    hu, _, _ = _scan(rods, geom, axial5, noise=False)
    between = roi_stats(hu, roi_mask(160, 400.0, (0, 0), 12.0))[0]
    beside = roi_stats(hu, roi_mask(160, 400.0, (0, 60.0), 12.0))[0]
    control, _, _ = _scan(water32_paths, geom, axial5, noise=False)
    assert between < -12.0  # water corrected for water only: bone hardens the beam along the rod–rod line
    assert abs(beside) < 6.0
    assert abs(roi_stats(control, roi_mask(160, 400.0, (0, 0), 12.0))[0]) < 3.0


def test_metal_streaks_and_photon_starvation(water32, water32_paths, geom, axial5) -> None:  # noqa: ANN001
    hips = with_cylinders(water32, [(-70.0, 0.0), (70.0, 0.0)], 15.0, "stainless-steel")
    ring = roi_mask(160, 400.0, (0, 0), 130.0, 100.0)
    hu_m, _, q_m = _scan(hips, geom, axial5, mas=200.0, seed=3)
    hu_0, _, q_0 = _scan(water32_paths, geom, axial5, mas=200.0, seed=3)
    assert roi_stats(hu_m, ring)[1] > 10 * roi_stats(hu_0, ring)[1]
    assert starved_fraction(q_m) > 0.02 and starved_fraction(q_0) == 0.0


def test_photon_starvation_through_shoulders_at_low_ma(water32, water32_paths, geom, axial5) -> None:  # noqa: ANN001
    """Noise grows faster than 1/√mAs when the lateral readings starve (electronic noise, clipping)."""
    shoulders = with_cylinders(water32, [(-120.0, 0.0), (120.0, 0.0)], 30.0, "cortical-bone")
    centre = roi_mask(160, 400.0, (0, 0), 60.0)

    def excess(paths) -> tuple[float, float]:  # noqa: ANN001
        sd, starved = {}, {}
        for mas in (10.0, 400.0):
            a, _, q = _scan(paths, geom, axial5, mas=mas, seed=1)
            b, _, _ = _scan(paths, geom, axial5, mas=mas, seed=2)
            sd[mas] = (a - b)[centre].std()
            starved[mas] = starved_fraction(q)
        return sd[10.0] / sd[400.0] / np.sqrt(40.0), starved[10.0]

    x_sh, starved_sh = excess(trace_slice(shoulders, geom, axial5, 0.0))
    x_w, starved_w = excess(water32_paths)
    assert x_w == pytest.approx(1.0, abs=0.1)  # quantum-limited water follows the 1/√mAs law
    assert x_sh > x_w + 0.15
    assert starved_sh > 0.0 and starved_w == 0.0


def test_ring_from_one_bad_channel(water32_paths, geom, axial5) -> None:  # noqa: ANN001
    bad = geom.n_channels // 2 + 40
    radius = geom.source_iso_mm * abs(np.sin(geom.gammas()[bad]))
    gains = channel_gains(geom.n_channels, [bad], 0.01)
    hu_r, _, _ = _scan(water32_paths, geom, axial5, noise=False, gains=gains)
    hu_0, _, _ = _scan(water32_paths, geom, axial5, noise=False)
    assert ring_amplitude_hu(hu_r, 400.0, radius) < -4.0  # a 1 % gain excess reads as less attenuation
    assert abs(ring_amplitude_hu(hu_0, 400.0, radius)) < 1.5


def test_truncation_outside_the_scan_fov(water32, axial5) -> None:  # noqa: ANN001
    rec = Reconstruction(kernel="standard", matrix=128, fov_mm=250.0)
    small = FanBeamGeometry(n_channels=320, scan_fov_mm=250.0)
    full = FanBeamGeometry(n_channels=640)
    hu_t, p_t, _ = _scan(water32, small, axial5, noise=False, rec=rec)
    hu_f, p_f, _ = _scan(water32, full, axial5, noise=False, rec=rec)
    rim = roi_mask(128, 250.0, (0, 0), 118.0, 105.0)
    assert truncated_fraction(p_t) == 1.0 and truncated_fraction(p_f) == 0.0
    assert roi_stats(hu_t, rim)[0] - roi_stats(hu_f, rim)[0] > 200.0  # bright rim at the FOV edge
    assert abs(roi_stats(hu_f, rim)[0]) < 5.0


def test_motion_streaks_from_breathing() -> None:
    """Half the views at end-expiration, half at end-inspiration: inconsistent data streak."""
    geom = FanBeamGeometry(n_channels=320)
    acq = Acquisition(mode="axial", collimation=Collimation(8, 0.625), slice_thickness_mm=5.0,
                      views_per_rotation=480, rotation_time_s=1.0)
    exp_ = build_patient("adult-male", region="chest", voxel_mm=4.0, breathing_phase=0.0)
    insp = build_patient("adult-male", region="chest", voxel_mm=4.0, breathing_phase=0.5)
    names = {n: k for k, n in exp_.label_names.items()}
    z = exp_.origin_mm[2] + exp_.voxel_mm[0] * np.arange(exp_.shape[0])
    liver_top = z[(exp_.labels == names["liver"]).any(axis=(1, 2))].max()
    zc = float(liver_top - 8.0)  # the dome moves through this slice
    rec = Reconstruction(kernel="standard", matrix=128, fov_mm=500.0)
    sched = breathing_schedule(480, 2)
    moving, _, _ = _scan([exp_, insp], geom, acq, noise=False, rec=rec, view_phase=sched, z=zc)
    still_a, _, _ = _scan(exp_, geom, acq, noise=False, rec=rec, z=zc)
    still_b, _, _ = _scan(insp, geom, acq, noise=False, rec=rec, z=zc)
    control, _, _ = _scan([exp_, exp_], geom, acq, noise=False, rec=rec, view_phase=sched, z=zc)
    body = roi_mask(128, 500.0, (0, 0), 150.0)
    # FBP is linear: consistent data would give the average of the two phases; motion leaves streaks
    streaks = (moving - 0.5 * (still_a + still_b))[body]
    assert np.sqrt(np.mean(streaks**2)) > 8.0
    assert np.max(np.abs(still_a - still_b)[body]) > 300.0  # the phases really differ here
    assert np.max(np.abs(control - still_a)) < 1e-3


def test_helical_pitch_raises_noise_as_sqrt(water32, geom) -> None:  # noqa: ANN001
    roi = roi_mask(160, 400.0, (0, 0), 100.0)
    sd = {}
    for pitch in (0.5, 1.0):
        acq = Acquisition(mode="helical", collimation=Collimation(16, 0.625), pitch=pitch, slice_thickness_mm=5.0,
                          views_per_rotation=600, rotation_time_s=1.0, start_mm=-40, end_mm=40)
        paths = trace_slice(water32, geom, acq, 0.0)
        a, _, _ = _scan(paths, geom, acq, mas=200.0, seed=1)
        b, _, _ = _scan(paths, geom, acq, mas=200.0, seed=2)
        sd[pitch] = (a - b)[roi].std()
    assert sd[1.0] / sd[0.5] == pytest.approx(np.sqrt(2.0), rel=0.1)


def test_thin_rows_partial_volume_is_linear_wide_rows_are_not(geom) -> None:  # noqa: ANN001
    """Half of a bone rod in a 10 mm slice: thin rows average line integrals (linear), one 10 mm row averages
    intensities before the log (non-linear partial volume: lower value and streaks)."""
    ph = build_patient("water-20", voxel_mm=1.0)
    rod = with_cylinders(ph, [(50.0, 0.0)], 8.0, "cortical-bone", z_range_mm=(0.0, 60.0))
    thin = Acquisition(mode="axial", collimation=Collimation(16, 0.625), slice_thickness_mm=10.0,
                       views_per_rotation=600, rotation_time_s=1.0, bowtie="head")
    wide = replace(thin, collimation=Collimation(1, 10.0))
    g = replace(geom, min_row_width_mm=0.625, detector_rows=64)
    rec = Reconstruction(kernel="standard", matrix=128, fov_mm=240.0)
    roi = roi_mask(128, 240.0, (50.0, 0.0), 4.0)
    full = _scan(rod, g, thin, noise=False, rec=rec, z=30.0)[0]
    half_thin = _scan(rod, g, thin, noise=False, rec=rec, z=0.0)[0]
    half_wide = _scan(rod, g, wide, noise=False, rec=rec, z=0.0)[0]
    f, t, w = (roi_stats(h, roi)[0] for h in (full, half_thin, half_wide))
    assert t / f == pytest.approx(0.5, abs=0.06)
    assert w < t - 20.0
