"""`scanroom patient` CLI (via CliRunner on the sub-app) and the three-view preview."""

from __future__ import annotations

import json
from pathlib import Path

import nibabel as nib
import numpy as np
from typer.testing import CliRunner

from scanroom.commands.patient import app
from scanroom.physics.patients import build_patient
from scanroom.physics.preview import LESION_COLOURS, three_view

runner = CliRunner()


def test_cli_list() -> None:
    res = runner.invoke(app, ["list"])
    assert res.exit_code == 0
    for pid in ("adult-male", "adult-female", "child-5y", "ct-qa", "step-wedge"):
        assert pid in res.output
    res = runner.invoke(app, ["list", "--lesions"])
    assert res.exit_code == 0 and "ms-lesions" in res.output


def test_cli_build_writes_all_files(tmp_path: Path) -> None:
    out = tmp_path / "p"
    res = runner.invoke(
        app,
        [
            "build",
            "adult-male",
            "--region",
            "chest",
            "--voxel-mm",
            "4",
            "--seed",
            "3",
            "--lesion",
            "lung-nodule:size_mm=10",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    img = nib.load(out / "labels.nii.gz")
    ph = build_patient("adult-male", region="chest", voxel_mm=4.0, seed=3, lesions=["lung-nodule:size_mm=10"])
    assert img.shape == ph.shape[::-1]
    assert np.array_equal(np.asarray(img.dataobj).transpose(2, 1, 0), ph.labels)
    # affine maps voxel (0,0,0) to the LPS origin expressed in RAS
    assert np.allclose(img.affine[:3, 3], [-ph.origin_mm[0], -ph.origin_mm[1], ph.origin_mm[2]])
    truth = json.loads((out / "truth.json").read_text())
    assert truth["lesions"][0]["lesion_id"] == "lung-nodule"
    assert truth["lesions"][0]["organ"] in ("lung-left", "lung-right")
    mats = json.loads((out / "materials.json").read_text())
    assert {"label", "structure", "material", "density_g_cm3", "hu_70kev"} <= set(mats[0])
    assert (out / "materials.csv").exists() and (out / "preview.png").stat().st_size > 1000
    assert (out / "lesion-1-lung-nodule.nii.gz").exists()


def test_cli_errors_are_one_line_exit_2(tmp_path: Path) -> None:
    for args in (
        ["build", "nobody", "--out", str(tmp_path)],
        ["build", "adult-male", "--region", "head", "--lesion", "lung-nodule", "--out", str(tmp_path)],
        ["build", "adult-male", "--voxel-mm", "0.1", "--out", str(tmp_path)],
        ["build", "adult-male", "--lesion", "lung-nodule:size=8", "--out", str(tmp_path)],
    ):
        res = runner.invoke(app, args)
        assert res.exit_code == 2, args
        assert res.stderr.startswith("error: ") and res.stderr.count("\n") == 1
        assert "Traceback" not in res.output


def test_three_view_outlines_lesions() -> None:
    ph = build_patient("adult-male", region="abdomen", voxel_mm=4.0, seed=2, lesions=["liver-cyst:size_mm=30"])
    img = three_view(ph)
    assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3
    assert (img == LESION_COLOURS[0]).all(axis=2).sum() > 10
    plain = three_view(build_patient("water-20", voxel_mm=4.0))
    assert plain.shape[2] == 3 and not (plain == LESION_COLOURS[0]).all(axis=2).any()


def test_cli_build_partial_volume(tmp_path: Path) -> None:
    out = tmp_path / "pv"
    res = runner.invoke(app, ["build", "water-20", "--voxel-mm", "4", "--partial-volume", "2", "--out", str(out)])
    assert res.exit_code == 0, res.output
    pv = np.load(out / "partial_volume.npz")
    ph = build_patient("water-20", voxel_mm=4.0, partial_volume=2)
    assert np.array_equal(pv["index"], ph.partial_volume.index)
    np.testing.assert_allclose(pv["fractions"].sum(axis=1), 1.0, atol=1e-5)
    assert json.loads((out / "truth.json").read_text())["partial_volume"]["samples_per_voxel"] == 8
    res = runner.invoke(app, ["build", "water-20", "--partial-volume", "9", "--out", str(out)])
    assert res.exit_code == 2 and "partial_volume" in res.stderr
