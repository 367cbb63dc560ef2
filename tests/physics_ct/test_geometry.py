"""Geometry, acquisition bookkeeping and input validation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scanroom.physics.ct import (
    Acquisition,
    Collimation,
    FanBeamGeometry,
    Reconstruction,
    bowtie_al_mm,
    fbp_fan,
    make_beam,
    reconstruct,
    trace_slice,
)
from scanroom.physics.ct.geometry import row_samples


def test_channels_span_the_scan_fov() -> None:
    g = FanBeamGeometry()
    gam = g.gammas()
    # outermost ray edges reach the scan-FOV circle: R·sin(n·Δγ/2) = FOV/2
    assert g.source_iso_mm * math.sin(g.n_channels * g.delta_gamma_rad / 2) == pytest.approx(250.0)
    assert gam.size == 896 and np.all(np.diff(gam) > 0)
    assert np.mean(gam) == pytest.approx(0.25 * g.delta_gamma_rad)  # quarter-detector offset
    assert 0.5 < g.channel_pitch_iso_mm < 0.65


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"pitch": 0.0}, "pitch"),
        ({"pitch": -1.0}, "pitch"),
        ({"pitch": float("nan")}, "pitch"),
        ({"rotation_time_s": 0.05}, "rotation time"),
        ({"slice_thickness_mm": 0.3}, "thinner than a row"),
        ({"bowtie": "paediatric"}, "bowtie"),
        ({"mode": "spiral"}, "mode"),
        ({"start_mm": 10.0, "end_mm": 0.0}, "end_mm"),
    ],
)
def test_bad_acquisition_raises(kwargs, match) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match=match):
        Acquisition(**kwargs)


def test_bad_geometry_and_fov_raise() -> None:
    with pytest.raises(ValueError, match="larger than the bore"):
        FanBeamGeometry(scan_fov_mm=800.0)
    g = FanBeamGeometry(n_channels=256)
    beta = 2 * np.pi * np.arange(32) / 32
    p = np.zeros((32, 256), np.float32)
    with pytest.raises(ValueError, match="larger than the bore"):
        fbp_fan(p, g, beta, fov_mm=750.0)
    with pytest.raises(ValueError, match="exceeds the scan FOV"):
        fbp_fan(p, g, beta, fov_mm=600.0)
    beam = make_beam(g, 120.0)
    with pytest.raises(ValueError, match="larger than the bore"):
        reconstruct(p, beam, g, beta, Reconstruction(fov_mm=720.0, matrix=64))
    with pytest.raises(ValueError, match="70-140 kV"):
        make_beam(g, 150.0)
    with pytest.raises(ValueError, match="detector rows"):
        Collimation(128, 0.625).check(g)
    with pytest.raises(ValueError, match="multiple of the detector row"):
        Collimation(8, 0.7).check(g)


def test_range_off_the_patient_raises(water32, geom, axial5) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match="off the patient"):
        trace_slice(water32, geom, axial5, 500.0)


def test_axial_rows_tile_the_slice() -> None:
    acq = Acquisition(mode="axial", collimation=Collimation(16, 0.625), slice_thickness_mm=5.0)
    rs = row_samples(acq, 0.0, np.zeros(4), voxel_z0_mm=-100.0, voxel_dz_mm=1.0, n_voxel_slices=201)
    assert rs.rows_per_image == pytest.approx(8.0)
    assert np.allclose(rs.row_weight.sum(axis=1), 1.0)
    # each row's intensity weights cover its width exactly once
    assert np.allclose(rs.voxel_weight.sum(axis=2)[rs.row_weight > 0], 1.0)


@pytest.mark.parametrize("pitch", [0.5, 1.0, 1.5])
def test_helical_row_samples_scale_with_pitch(pitch: float) -> None:
    acq = Acquisition(mode="helical", collimation=Collimation(16, 0.625), pitch=pitch, slice_thickness_mm=5.0,
                      start_mm=-50, end_mm=50)
    angles = 2 * np.pi * np.arange(360) / 360
    rs = row_samples(acq, 3.3, angles, voxel_z0_mm=-100.0, voxel_dz_mm=1.0, n_voxel_slices=201)
    # row measurements per view inside a 5 mm window ≈ thickness / (pitch × row width)
    assert rs.rows_per_image == pytest.approx(5.0 / (pitch * 0.625), rel=0.05)
    assert acq.table_feed_mm == pytest.approx(10.0 * pitch)


def test_bowtie_shapes() -> None:
    g = FanBeamGeometry()
    body, head = bowtie_al_mm("body", g), bowtie_al_mm("head", g)
    c = np.argmin(np.abs(g.gammas()))
    assert body[c] == pytest.approx(0.0, abs=0.05) and head[c] == pytest.approx(0.0, abs=0.05)
    assert head[0] == pytest.approx(30.0) and np.all(head >= body - 1e-9)
    assert np.all(bowtie_al_mm("none", g) == 0)


def test_acquisition_bookkeeping() -> None:
    acq = Acquisition(mode="helical", collimation=Collimation(64, 0.625), pitch=1.0, start_mm=0, end_mm=400,
                      slice_thickness_mm=5.0, rotation_time_s=0.5)
    assert acq.table_feed_mm == pytest.approx(40.0)
    assert acq.n_rotations == pytest.approx(11.0)
    assert acq.exposure_time_s == pytest.approx(5.5)
    assert acq.slice_positions().size == 81
