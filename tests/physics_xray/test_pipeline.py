"""End to end on a small Phantom: orientation, kVp contrast, mAs noise scaling, scatter and grid."""

import numpy as np
import pytest

from scanroom.physics.phantom import Phantom
from scanroom.physics.xray import (
    AntiScatterGrid,
    FlatPanelGeometry,
    detect,
    geometry_maps,
    grid_primary_transmission,
    material_lut,
    material_volume,
    path_lengths,
    render_primary,
    scatter_signal,
    tube_spectrum,
    water_equivalent_thickness_cm,
)

from .conftest import BONE, WATER, mu_table


@pytest.fixture(scope="module")
def chest():
    # 20 cm water slab (AP), 30 × 30 cm, 4 mm voxels, with a 4 cm bone cube on the patient's left (+x)
    shape = (75, 50, 75)  # z, y, x
    labels = np.ones(shape, np.int16)
    labels[32:42, 20:30, 50:60] = 2  # x ≈ +40…+76 mm
    ph = Phantom("slab", labels, (4.0, 4.0, 4.0), (-148.0, -98.0, -148.0), {1: "water", 2: "bone"},
                 {1: "body", 2: "bone"})
    order = ["water", "bone"]
    mat = material_volume(ph.labels, material_lut(ph.label_materials, order))
    # PA: source posterior (+y), detector anterior, 2 mm pixels, 400 × 400 mm
    geom = FlatPanelGeometry.facing((0.0, 1300.0, 0.0), (0.0, -200.0, 0.0), (0, 0, 1), (200, 200), 2.0)
    paths = path_lengths(mat, ph.voxel_mm, ph.origin_mm, geom, len(order))
    return geom, paths


def _render(chest, kvp, mas):
    geom, paths = chest
    spec = tube_spectrum(kvp)
    mu = mu_table([WATER, BONE], spec.energies_kev)
    return spec, mu, render_primary(paths, mu, spec, None, mas, maps=geometry_maps(geom, 12.0))


def test_orientation_patient_left_is_image_right(chest):
    geom, paths = chest
    bone = paths[1]
    cols = np.nonzero(bone.sum(axis=0))[0]
    rows = np.nonzero(bone.sum(axis=1))[0]
    assert cols.min() > 100  # right half of the image = +x = patient's left in this PA view
    assert abs(rows.mean() - 100) < 15
    assert paths[0][100, 40] == pytest.approx(20.0, rel=0.02)


def test_bone_contrast_falls_with_kvp(chest):
    def contrast(kvp):
        _, _, img = _render(chest, kvp, 1.0)
        s = img.absorbed_energy_kev
        bone = chest[1][1] > 3.5
        return 1 - s[bone].mean() / s[95:105, 40:60].mean()

    assert contrast(60) > contrast(90) > contrast(120) > 0.1


def test_mas_linearity_and_noise_scaling(chest):
    _, _, a = _render(chest, 80, 2.0)
    _, _, b = _render(chest, 80, 8.0)
    np.testing.assert_allclose(b.absorbed_energy_kev, 4 * a.absorbed_energy_kev, rtol=1e-5)
    rng = np.random.default_rng(5)
    roi = (slice(80, 120), slice(20, 60))

    def rel_noise(img):
        # difference of two realisations removes the (heel) gradient; /√2 for the two noises
        d1, d2 = (detect(img.absorbed_energy_kev, img.energy_per_quantum_kev, 2.0, rng, electronic_sigma_kev=0.0)
                  for _ in range(2))
        return (d1 - d2)[roi].std() / np.sqrt(2) / d1[roi].mean()

    assert rel_noise(a) / rel_noise(b) == pytest.approx(2.0, rel=0.1)  # σ/S ∝ 1/√mAs


def test_scatter_and_grid_on_the_slab(chest):
    geom, paths = chest
    spec, mu, img = _render(chest, 80, 1.0)
    t = water_equivalent_thickness_cm(paths, mu, mu[0], spec.fluence * spec.energies_kev)
    assert t[100, 40] == pytest.approx(20.0, rel=0.03)
    s = scatter_signal(img.absorbed_energy_kev, t, 2.0, 80.0, air_gap_mm=20.0)
    spr = s[100, 100] / img.absorbed_energy_kev[100, 100]
    assert 2.0 < spr < 6.0
    grid = AntiScatterGrid(ratio=12.0, focus_distance_mm=1500.0)
    tp = grid_primary_transmission(geom, grid)
    spr_grid = grid.ts * s[100, 100] / (tp[100, 100] * img.absorbed_energy_kev[100, 100])
    assert spr_grid == pytest.approx(spr * grid.ts / grid.tp, rel=1e-3) and spr_grid < 0.7
