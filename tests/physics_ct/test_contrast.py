"""Contrast phases: iodine μ from xraydb, phase maps, enhancement reproduced by the scanner."""

from __future__ import annotations

import numpy as np
import pytest
import xraydb

from scanroom.physics.ct import (
    ENHANCEMENT_HU,
    Reconstruction,
    enhanced_material,
    hu_per_mg_ml,
    image_from_paths,
    make_beam,
    phase_label_materials,
    roi_mask,
    roi_stats,
    trace_slice,
    with_contrast,
    with_cylinders,
)
from scanroom.physics.ct.contrast import mu_linear_cm
from scanroom.physics.materials import mu_linear_cm as base_mu
from scanroom.physics.patients import build_patient


def test_iodine_mu_adds_to_the_base_material() -> None:
    e = np.array([40.0, 70.0, 100.0])
    key = enhanced_material("blood", 10.0)
    extra = mu_linear_cm(key, e) - base_mu("blood", e)
    assert np.allclose(extra, 0.010 * np.asarray(xraydb.mu_elam("I", e * 1e3)))
    # ~30 HU per mg I/mL at 70 keV; more at lower energy (K-edge 33 keV, photoelectric ∝ E^-3)
    assert 25.0 < hu_per_mg_ml(70.0) < 40.0
    assert hu_per_mg_ml(50.0) > 2 * hu_per_mg_ml(80.0)
    with pytest.raises(ValueError):
        enhanced_material("blood", -1.0)


def test_phase_maps() -> None:
    names = {1: "aorta", 2: "liver", 3: "muscle"}
    mats = {1: "blood", 2: "liver", 3: "muscle"}
    assert phase_label_materials(names, mats, "non-contrast") == mats
    art = phase_label_materials(names, mats, "arterial")
    pv = phase_label_materials(names, mats, "portal-venous")
    assert art[3] == "muscle" and art[1].startswith("blood+I") and pv[2].startswith("liver+I")

    def conc(key: str) -> float:
        return float(key.split("+I")[1])

    assert conc(art[1]) > conc(pv[1])  # aorta brightest in the arterial phase
    assert conc(pv[2]) > conc(art[2])  # liver peaks in the portal venous phase
    with pytest.raises(ValueError, match="phase"):
        phase_label_materials(names, mats, "delayed")


def test_scanner_reproduces_the_enhancement(geom, axial5) -> None:  # noqa: ANN001
    ph = with_cylinders(build_patient("water-20", voxel_mm=1.0), [(40.0, 0.0)], 12.0, "blood", name="aorta")
    beam = make_beam(geom, 120.0, "body")
    rec = Reconstruction(kernel="standard", matrix=128, fov_mm=240.0)
    roi = roi_mask(128, 240.0, (40.0, 0.0), 6.0)
    hu = {}
    for phase in ("non-contrast", "arterial"):
        enh = with_contrast(ph, phase, effective_energy_kev=beam.effective_energy_kev)
        paths = trace_slice(enh, geom, axial5, 0.0)
        hu[phase] = roi_stats(image_from_paths(paths, kvp=120.0, mas_per_view=1.0, recon=rec, noise=False).hu, roi)[0]
    assert hu["arterial"] - hu["non-contrast"] == pytest.approx(ENHANCEMENT_HU["aorta"][0], rel=0.15)
