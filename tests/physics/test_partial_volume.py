"""Partial-volume fractions: sub-voxel supersampling of edge voxels gives volumes close to the analytic ones."""

from __future__ import annotations

import numpy as np
import pytest

from scanroom.physics.patients import build_patient
from scanroom.physics.patients.qa import NEMA_SPHERES_MM


@pytest.fixture(scope="module")
def nema() -> tuple:
    return build_patient("nema-iec-body", voxel_mm=4.0), build_patient("nema-iec-body", voxel_mm=4.0, partial_volume=3)


def _lab(ph, name):  # noqa: ANN001, ANN202
    return {n: lab for lab, n in ph.label_names.items()}[name]


def test_sphere_volumes_with_fractions_within_1pct(nema: tuple) -> None:
    plain, pv = nema
    assert np.array_equal(plain.labels, pv.labels) and plain.partial_volume is None
    err_plain, err_pv = [], []
    for d in NEMA_SPHERES_MM:
        if d < 20:  # 10-17 mm spheres at 4 mm voxels: too few sub-samples across for 1 %
            continue
        lab = _lab(pv, f"sphere-{int(d)}mm")
        true = 4.0 / 3.0 * np.pi * (d / 2) ** 3
        err_plain.append(abs((pv.labels == lab).sum() * 64.0 / true - 1))
        err_pv.append(abs(pv.label_volume_mm3(lab) / true - 1))
    assert max(err_pv) < 0.01, err_pv
    assert max(err_plain) > 0.01 and sum(err_plain) > 3 * sum(err_pv), (err_plain, err_pv)


def test_lesion_volume_with_fractions() -> None:
    ph = build_patient(
        "adult-male", region="chest", voxel_mm=4.0, partial_volume=3, lesions=["lung-nodule:size_mm=28"], seed=1
    )
    t = ph.lesions[0]
    true = 4.0 / 3.0 * np.pi * t.params["radius_x_mm"] * t.params["radius_y_mm"] * t.params["radius_z_mm"]
    lab = _lab(ph, "lesion-1-lung-nodule")
    plain = (ph.labels == lab).sum() * 64.0
    assert ph.label_volume_mm3(lab) == pytest.approx(true, rel=0.01)
    assert abs(plain / true - 1) > abs(ph.label_volume_mm3(lab) / true - 1)


def test_partial_volume_table_is_consistent(nema: tuple) -> None:
    _, ph = nema
    pv = ph.partial_volume
    assert pv is not None and pv.samples == 27
    assert pv.index.dtype == np.int64 and np.all(np.diff(pv.index) > 0)
    assert pv.labels.shape == pv.fractions.shape and pv.labels.dtype == np.uint8
    np.testing.assert_allclose(pv.fractions.sum(axis=1), 1.0, atol=1e-5)
    assert np.all(pv.fractions[:, 0] < 1.0) and np.all(np.diff(pv.fractions, axis=1) <= 1e-7)  # mixed, sorted
    # the voxel's own (centre-sample) label is one of its components
    own = ph.labels.reshape(-1)[pv.index]
    assert np.all((pv.labels == own[:, None]).any(axis=1))
    # fractions of all labels add up to one everywhere; the mixed-voxel volume is conserved
    total = sum(ph.label_fraction(lab) for lab in ph.label_names)
    np.testing.assert_allclose(total, 1.0, atol=1e-5)
    dens = np.zeros(256)
    dens[_lab(ph, "shell")] = 1.19
    dens[_lab(ph, "background")] = 1.0
    mixed = ph.mix(dens)
    assert mixed.dtype == np.float64
    pure = np.ones(ph.labels.size, dtype=bool)
    pure[pv.index] = False
    assert np.array_equal(mixed.reshape(-1)[pure], dens[ph.labels.reshape(-1)[pure]])
    assert ((mixed > 0) & (mixed < 1.0)).any()  # edges of the water/air boundary are fractional


def test_partial_volume_follows_rotation_and_validates() -> None:
    ph = build_patient("water-20", voxel_mm=4.0, partial_volume=2, rotation_deg=(0, 0, 30))
    pv = ph.partial_volume
    assert pv is not None and pv.samples == 8 and len(pv.index) > 100
    assert pv.index.max() < ph.labels.size
    with pytest.raises(ValueError, match="partial_volume"):
        build_patient("water-20", voxel_mm=4.0, partial_volume=7)
