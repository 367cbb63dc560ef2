"""Siddon ray caster against analytic chord lengths and an independent numpy implementation."""

import numpy as np
import pytest

from scanroom.physics.xray.geometry import FlatPanelGeometry
from scanroom.physics.xray.raycast import (
    NO_MATERIAL,
    material_lut,
    material_volume,
    path_lengths,
    path_lengths_numpy,
)


def _centred(n, vox):
    c = (np.asarray(n) - 1) / 2.0
    return (-c[2] * vox[2], -c[1] * vox[1], -c[0] * vox[0])  # origin (x, y, z) for shape (z, y, x)


def _sphere_chords(geom, centre, radius_mm):
    s = np.asarray(geom.source_mm) - np.asarray(centre)
    d = geom.ray_vectors()
    d /= np.linalg.norm(d, axis=-1, keepdims=True)
    b = d @ s
    disc = b * b - (s @ s - radius_mm**2)
    return np.where(disc > 0, 2.0 * np.sqrt(np.maximum(disc, 0.0)), 0.0) * 0.1  # cm


def test_slab_is_exact_for_oblique_rays():
    # 5 mm thick slab (10 voxels of 0.5 mm in y, faces on voxel boundaries), cone beam with steep rays
    shape = (40, 20, 40)
    vox = (1.0, 0.5, 1.0)
    labels = np.zeros(shape, np.int16)
    labels[:, 5:15, :] = 1
    origin = (-19.5, -4.75, -19.5)
    mat = material_volume(labels, material_lut({1: "water"}, ["water"]))
    g = FlatPanelGeometry.facing((0.0, -60.0, 0.0), (0.0, 40.0, 0.0), (0, 0, 1), (9, 9), 4.0)
    p = path_lengths(mat, vox, origin, g, 1)[0]
    r = g.ray_vectors()
    cos = r[..., 1] / np.linalg.norm(r, axis=-1)
    # rays that stay inside the slab's lateral extent: length = thickness / cos
    inside = (np.abs(r[..., 0] / r[..., 1] * 65.0) < 19) & (np.abs(r[..., 2] / r[..., 1] * 65.0) < 19)
    assert inside.sum() > 20
    np.testing.assert_allclose(p[inside], 0.5 / cos[inside], rtol=1e-5)


@pytest.mark.parametrize("vox", [(1.0, 1.0, 1.0), (0.8, 1.0, 1.25)])
def test_sphere_chords_within_one_percent(vox):
    radius = 40.0
    shape = (int(100 / vox[0]), int(100 / vox[1]), int(100 / vox[2]))
    origin = _centred(shape, vox)
    zz, yy, xx = np.meshgrid(*[(np.arange(n) - (n - 1) / 2) * v for n, v in zip(shape, vox, strict=True)],
                             indexing="ij")
    labels = ((xx**2 + yy**2 + zz**2) <= radius**2).astype(np.uint8)
    mat = material_volume(labels, np.array([NO_MATERIAL, 0], np.uint8))
    g = FlatPanelGeometry.facing((0.0, -400.0, 0.0), (0.0, 300.0, 10.0), (0, 0, 1), (48, 48), 3.0)
    p = path_lengths(mat, vox, origin, g, 1)[0]
    ref = _sphere_chords(g, (0, 0, 0), radius)
    central = ref > 0.5 * ref.max()  # away from the grazing rim, where voxel stairs dominate
    rel = np.abs(p[central] - ref[central]) / ref[central]
    assert central.sum() > 300
    assert np.mean(rel) < 0.01 and np.median(rel) < 0.01
    # nothing outside the shadow of the voxelised sphere (voxel centres within R reach R + half a diagonal)
    outer = _sphere_chords(g, (0, 0, 0), radius + 0.5 * float(np.linalg.norm(vox)))
    assert np.all(p[outer == 0] == 0)


def test_cylinder_chords_and_area():
    # cylinder along z, radius 30 mm, 0.25 mm voxels in-plane; nearly parallel rays along x
    vox = (2.0, 0.25, 0.25)
    shape = (6, 260, 260)
    origin = _centred(shape, vox)
    _, yy, xx = np.meshgrid(*[(np.arange(n) - (n - 1) / 2) * v for n, v in zip(shape, vox, strict=True)],
                            indexing="ij")
    labels = ((xx**2 + yy**2) <= 30.0**2).astype(np.uint8)
    mat = material_volume(labels, np.array([NO_MATERIAL, 0], np.uint8))
    mag = 1e6 / (1e6 + 100.0)
    g = FlatPanelGeometry.facing((-1e6, 0.0, 0.0), (100.0, 0.0, 0.0), (0, 0, 1), (1, 701), 0.1 / mag)
    p = path_lengths(mat, vox, origin, g, 1)[0, 0]
    y = (np.arange(701) - 350) * 0.1  # lateral offset of each ray at the cylinder axis (mm)
    ref = 2 * np.sqrt(np.maximum(30.0**2 - y**2, 0)) * 0.1
    ok = ref > 0.5 * ref.max()
    rel = np.abs(p[ok] - ref[ok]) / ref[ok]
    assert np.mean(rel) < 0.005 and np.max(rel) < 0.015
    # Σ chord · ray spacing = disc area (voxelised disc vs π R²)
    assert np.sum(p) * 10 * 0.1 == pytest.approx(np.pi * 30.0**2, rel=0.002)


def test_matches_independent_numpy_siddon_multi_material():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 5, size=(17, 13, 19)).astype(np.int32)
    lut = material_lut({0: "air", 1: "water", 2: "bone", 3: "fat", 4: "water"}, ["water", "bone", "fat"])
    mat = material_volume(labels, lut)
    vox = (2.0, 1.5, 1.0)
    origin = (3.0, -7.0, 11.0)
    g = FlatPanelGeometry.facing((-20.0, -150.0, 40.0), (10.0, 200.0, 20.0), (0.1, 0, 1), (23, 29), 1.7)
    a = path_lengths(mat, vox, origin, g, 3)
    b = path_lengths_numpy(mat, vox, origin, g.source_mm, g.pixel_centres().reshape(-1, 3), 3)
    np.testing.assert_allclose(a.reshape(3, -1), b, atol=2e-5)
    assert a.sum() > 0 and a.dtype == np.float32


def test_source_inside_volume_and_missed_rays():
    labels = np.ones((10, 10, 10), np.uint8)
    mat = material_volume(labels, np.array([NO_MATERIAL, 0], np.uint8))
    # source at the centre of a 10 mm cube, detector beyond it: path = distance to the exit face (5 mm)
    g = FlatPanelGeometry.facing((0.0, 0.0, 0.0), (0.0, 100.0, 0.0), (0, 0, 1), (1, 1), 1.0)
    assert path_lengths(mat, (1, 1, 1), (-4.5, -4.5, -4.5), g, 1)[0, 0, 0] == pytest.approx(0.5, rel=1e-6)
    far = FlatPanelGeometry.facing((500.0, -100.0, 0.0), (500.0, 100.0, 0.0), (0, 0, 1), (3, 3), 1.0)
    assert np.all(path_lengths(mat, (1, 1, 1), (-4.5, -4.5, -4.5), far, 1) == 0)


def test_lut_and_validation():
    lut = material_lut({0: "air", 2: "bone", 5: "water"}, ["water", "bone"])
    assert list(lut) == [NO_MATERIAL, NO_MATERIAL, 1, NO_MATERIAL, NO_MATERIAL, 0]
    with pytest.raises(ValueError):
        material_volume(np.zeros((2, 2)), lut)
    with pytest.raises(ValueError):
        material_volume(np.full((2, 2, 2), 9), lut)
    g = FlatPanelGeometry.facing((0.0, -100.0, 0.0), (0.0, 100.0, 0.0), (0, 0, 1), (2, 2), 1.0)
    with pytest.raises(ValueError):
        path_lengths(np.zeros((2, 2, 2), np.int32), (1, 1, 1), (0, 0, 0), g, 1)


def test_geometry_orientation_pa_chest():
    # PA: source posterior (+y), detector anterior; columns run to the patient's left (+x), rows downwards
    g = FlatPanelGeometry.facing((0.0, 1500.0, 0.0), (0.0, -300.0, 0.0), (0, 0, 1), (3, 4), 2.0)
    p = g.pixel_centres()
    assert p[0, 1, 0] > p[0, 0, 0] and p[1, 0, 2] < p[0, 0, 2]
    assert g.sid_mm == pytest.approx(1800.0)
    np.testing.assert_allclose(p.mean(axis=(0, 1)), (0.0, -300.0, 0.0), atol=1e-9)
    assert g.magnification((0.0, 0.0, 0.0)) == pytest.approx(1.2)
