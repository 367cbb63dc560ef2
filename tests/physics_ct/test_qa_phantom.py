"""CT QA phantom: HU linearity against xraydb at the effective energy, resolution vs kernel, noise vs kernel,
partial volume at a module boundary."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import xraydb

from scanroom.physics.ct import (
    Acquisition,
    Collimation,
    FanBeamGeometry,
    Reconstruction,
    image_from_paths,
    image_grid,
    make_beam,
    roi_mask,
    roi_stats,
    trace_slice,
)
from scanroom.physics.materials import get_material
from scanroom.physics.patients import build_patient
from scanroom.physics.patients.qa import CT_QA_INSERTS

AXIAL = Acquisition(mode="axial", collimation=Collimation(8, 0.625), slice_thickness_mm=5.0,
                    views_per_rotation=600, rotation_time_s=1.0, bowtie="head")


def _xraydb_hu(material_id: str, energy_kev: float) -> float:
    """HU from the material's composition and density with xraydb's elemental μ/ρ (vacuum = −1000)."""

    def mu(mid: str) -> float:
        m = get_material(mid)
        return m.density_g_cm3 * sum(w * float(xraydb.mu_elam(el, energy_kev * 1e3)) for el, w in m.composition.items())

    return -1000.0 if material_id == "air" else 1000.0 * (mu(material_id) - mu("water")) / mu("water")


@pytest.fixture(scope="module")
def ctqa_1mm():
    return build_patient("ct-qa", voxel_mm=1.0)


def test_hu_linearity_inserts(ctqa_1mm) -> None:  # noqa: ANN001
    g = FanBeamGeometry(n_channels=512)
    paths = trace_slice(ctqa_1mm, g, AXIAL, 40.0)
    rec = Reconstruction(kernel="standard", matrix=256, fov_mm=220.0)
    img = image_from_paths(paths, kvp=120.0, mas_per_view=250.0 / paths.n_views, recon=rec, bowtie="head", seed=4)
    e_eff = make_beam(g, 120.0, "head").effective_energy_kev
    measured, expected = [], []
    for k, mat in enumerate(CT_QA_INSERTS):
        a = 2 * np.pi * k / len(CT_QA_INSERTS)
        m, _ = roi_stats(img.hu, roi_mask(256, 220.0, (58.4 * np.sin(a), -58.4 * np.cos(a)), 3.5))
        measured.append(m)
        expected.append(_xraydb_hu(mat, e_eff))
    measured, expected = np.array(measured), np.array(expected)
    slope, icpt = np.polyfit(expected, measured, 1)
    r2 = 1 - np.sum((measured - (slope * expected + icpt)) ** 2) / np.sum((measured - measured.mean()) ** 2)
    assert r2 >= 0.99
    assert 0.9 < slope < 1.1 and abs(icpt) < 30
    assert measured[CT_QA_INSERTS.index("water")] == pytest.approx(0.0, abs=10.0)
    assert measured[CT_QA_INSERTS.index("air")] == pytest.approx(-1000.0, abs=20.0)


def _bar_modulation(hu: np.ndarray, fov: float, centre: tuple[float, float], ang_deg: float, lpcm: int,
                    matrix: int) -> float:
    """Peak-to-valley modulation of the profile across a bar group (bars along the radial direction)."""
    w = 10.0 / (2 * lpcm)
    a = np.deg2rad(ang_deg)
    cx, cy = 55 * np.sin(a), -55 * np.cos(a)
    tx, ty = np.cos(a), np.sin(a)
    x, y = image_grid(matrix, fov, centre)
    u = np.linspace(-4.5 * w, 4.5 * w, 400)
    from scipy.ndimage import map_coordinates

    px = fov / matrix
    cols = (cx + u * tx - x[0]) / px
    rows = (cy + u * ty - y[0]) / px
    prof = np.mean([map_coordinates(hu, [rows + d * tx / px, cols - d * ty / px], order=1)
                    for d in np.linspace(-4, 4, 9)], axis=0)
    peaks = [prof[np.abs(u - b * 2 * w) < w / 2].max() for b in (-1, 0, 1)]
    valleys = [prof[np.abs(u - (b + 0.5) * 2 * w) < w / 2].min() for b in (-1, 0)]
    return float((np.mean(peaks) - np.mean(valleys)) / (np.mean(peaks) + np.mean(valleys) + 2000.0) * 2)


@pytest.fixture(scope="module")
def bar_paths():
    ph = build_patient("ct-qa", voxel_mm=0.5)
    g = FanBeamGeometry()  # full 896 channels: 0.58 mm at the isocentre
    return trace_slice(ph, g, replace(AXIAL, views_per_rotation=720), 0.0)


def test_sharper_kernel_resolves_finer_bars_and_is_noisier(bar_paths) -> None:  # noqa: ANN001
    lpcm = 5
    ang = 36.0 * (lpcm - 1)
    a = np.deg2rad(ang)
    centre = (55 * np.sin(a), -55 * np.cos(a))
    mods, sds = {}, {}
    for kernel in ("soft", "standard", "bone"):
        rec = Reconstruction(kernel=kernel, matrix=128, fov_mm=40.0, centre_mm=centre)
        img = image_from_paths(bar_paths, kvp=120.0, mas_per_view=200.0 / 720, recon=rec, bowtie="head", seed=1)
        mods[kernel] = _bar_modulation(img.hu, 40.0, centre, ang, lpcm, 128)
        noise_rec = Reconstruction(kernel=kernel, matrix=128, fov_mm=40.0)  # water at the phantom centre
        n_img = image_from_paths(bar_paths, kvp=120.0, mas_per_view=200.0 / 720, recon=noise_rec, bowtie="head",
                                 seed=2)
        sds[kernel] = roi_stats(n_img.hu, roi_mask(128, 40.0, (0, 0), 15.0))[1]
    assert mods["soft"] < mods["standard"] < mods["bone"]
    assert mods["bone"] > 2 * mods["soft"]
    assert sds["soft"] < sds["standard"] < sds["bone"]


def test_partial_volume_at_module_boundary(ctqa_1mm) -> None:  # noqa: ANN001
    """A 10 mm slice centred on the end of the 22–58 mm insert module sees half of each insert."""
    g = FanBeamGeometry(n_channels=512)
    acq = Acquisition(mode="axial", collimation=Collimation(16, 0.625), slice_thickness_mm=10.0,
                      views_per_rotation=400, rotation_time_s=1.0, bowtie="head")
    rec = Reconstruction(kernel="standard", matrix=192, fov_mm=220.0)
    k = CT_QA_INSERTS.index("teflon")
    a = 2 * np.pi * k / len(CT_QA_INSERTS)
    roi = roi_mask(192, 220.0, (58.4 * np.sin(a), -58.4 * np.cos(a)), 3.5)
    full = image_from_paths(trace_slice(ctqa_1mm, g, acq, 40.0), kvp=120.0, mas_per_view=1.0, recon=rec,
                            bowtie="head", noise=False).hu
    edge = image_from_paths(trace_slice(ctqa_1mm, g, acq, 22.0), kvp=120.0, mas_per_view=1.0, recon=rec,
                            bowtie="head", noise=False).hu
    t_full, t_edge = roi_stats(full, roi)[0], roi_stats(edge, roi)[0]
    assert t_full > 800
    assert t_edge / t_full == pytest.approx(0.5, abs=0.1)
