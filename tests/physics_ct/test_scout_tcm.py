"""Topogram sizes (AAPM 220 WED), range planning, tube-current modulation (Gies 1999 √A law)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scanroom.physics.ct import (
    Acquisition,
    Collimation,
    FanBeamGeometry,
    acquire_topogram,
    angular_factor,
    check_range,
    ctdi_vol,
    fixed_plan,
    longitudinal_mas,
    plan_tube_current,
    sizes,
)
from scanroom.physics.materials import ct_number_hu
from scanroom.physics.patients import build_patient, water_equivalent_diameter_cm

G = FanBeamGeometry(n_channels=512)


def test_topogram_wed_of_water_32(water32) -> None:  # noqa: ANN001
    topo = acquire_topogram(water32, G, view="ap", noise=False)
    s = sizes(topo)
    k = np.argmin(np.abs(s.z_mm))
    # reference: 32 cm water + 5 mm PMMA shell, areas weighted by (HU/1000 + 1) at 70 keV (AAPM 220)
    area = math.pi * 16.0**2 + math.pi * (16.5**2 - 16.0**2) * (ct_number_hu("pmma", 70.0) / 1000 + 1)
    d_ref = 2 * math.sqrt(area / math.pi)
    assert s.wed_cm[k] == pytest.approx(d_ref, rel=0.03)
    assert s.width_cm[k] == pytest.approx(33.0, rel=0.05)
    lat = sizes(acquire_topogram(water32, G, view="lateral", noise=False))
    assert lat.wed_cm[k] == pytest.approx(s.wed_cm[k], rel=1e-3)  # a cylinder looks the same from the side


def test_topogram_wed_matches_image_based_wed_in_a_patient() -> None:
    ph = build_patient("adult-male", region="abdomen", voxel_mm=4.0)
    s = sizes(acquire_topogram(ph, G, view="ap", noise=True, seed=2))
    k = ph.shape[0] // 2
    ref = water_equivalent_diameter_cm(ph, float(s.z_mm[k]), trunk_only=False)
    assert s.wed_cm[k] == pytest.approx(ref, rel=0.04)
    assert s.width_cm[k] > s.thickness_cm[k]  # wider than deep


def test_range_off_the_patient_is_refused(water32) -> None:  # noqa: ANN001
    topo = acquire_topogram(water32, G, view="ap", noise=False)
    check_range(topo, -50.0, 50.0)
    with pytest.raises(ValueError, match="off the patient"):
        check_range(topo, 50.0, 400.0)
    with pytest.raises(ValueError, match="off the patient"):
        check_range(topo, 102.0, 108.0)  # beyond the water (± 100 mm) but inside the topogram


def test_angular_modulation_follows_sqrt_attenuation() -> None:
    beta = 2 * np.pi * np.arange(360) / 360
    f = angular_factor(beta, lat_cm=36.0, ap_cm=24.0)
    assert f.mean() == pytest.approx(1.0)
    lat, ap = f[90], f[0]
    assert lat > ap  # more current through the wider lateral path
    # Gies et al. 1999: mA ∝ √A, A = exp(μ·t) → ratio = exp(μ (t_lat − t_ap) / 2)
    assert lat / ap == pytest.approx(math.exp(0.5 * 0.19 * 12.0), rel=1e-6)
    assert np.allclose(angular_factor(beta, 30.0, 30.0), 1.0)


def test_longitudinal_modulation_and_mean_mas() -> None:
    wed = np.array([24.0, 30.0, 36.0])
    m = longitudinal_mas(wed, 200.0, 30.0, 0.5)
    assert m[1] == pytest.approx(200.0) and m[0] < m[1] < m[2]
    assert np.allclose(longitudinal_mas(wed, 200.0, 30.0, 0.0), 200.0)
    plan = plan_tube_current(np.array([0.0, 100.0, 200.0]), wed, wed, wed * 0.7, reference_mas=200.0,
                             rotation_time_s=0.5)
    assert plan.mean_mas == pytest.approx(np.mean(m))
    beta = 2 * np.pi * np.arange(100) / 100
    assert plan.mas_per_view(100.0, beta).sum() == pytest.approx(m[1], rel=1e-6)
    # CTDIvol of a modulated scan uses the mean mAs
    acq = Acquisition(collimation=Collimation(32, 0.625), pitch=1.0, start_mm=0.0, end_mm=200.0)
    assert ctdi_vol(G, acq, 120.0, plan.mean_mas).vol_mgy == pytest.approx(
        ctdi_vol(G, acq, 120.0, 1.0).vol_mgy * plan.mean_mas)
    with pytest.raises(ValueError, match="mA"):
        fixed_plan(2000.0, 0.5)
