"""`scanroom acquire` end to end: DICOM files that dciodvfy accepts, summary.json, clear errors."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.test_cli import run_cli

DCIODVFY = shutil.which("dciodvfy")


def dciodvfy_errors(path: Path) -> list[str]:
    result = subprocess.run([DCIODVFY, str(path)], capture_output=True, text=True, timeout=60)  # type: ignore[list-item]
    return [line for line in (result.stdout + result.stderr).splitlines() if line.startswith("Error")]


@pytest.mark.parametrize("args,modality,dose_keys", [
    (("xray", "--patient", "adult-female", "--exam", "hand-pa", "--set", "kvp=55"), "DX",
     ("ei", "di", "incident_air_kerma_mgy", "esak_mgy", "dap_gycm2", "effective_dose_msv")),
    (("mri", "--patient", "adult-male", "--sequence", "flair", "--set", "slices=3", "--set", "matrix=128"), "MR",
     ("scan_time_s", "snr", "sar_wkg")),
    (("mri", "--patient", "adult-male", "--sequence", "dwi", "--set", "slices=2"), "MR", ("scan_time_s",)),
    (("ct", "--patient", "adult-male", "--protocol", "head-routine", "--set", "images=2", "--set", "matrix=256"), "CT",
     ("ctdivol_mgy", "dlp_mgycm", "ssde_mgy", "water_equivalent_diameter_cm", "effective_dose_msv")),
])
def test_acquire_writes_valid_dicom_and_summary(tmp_path: Path, args: tuple[str, ...], modality: str,
                                                dose_keys: tuple[str, ...]) -> None:
    if DCIODVFY is None:
        pytest.skip("dciodvfy (Debian dicom3tools) is not installed; make test installs it")
    out = tmp_path / "out"
    result = run_cli("acquire", *args, "--out", str(out), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert set(dose_keys) <= set(summary["dose"])
    assert json.loads((out / "summary.json").read_text())["dose"] == summary["dose"]
    files = sorted(out.glob("*.dcm"))
    assert any(f.name.startswith(modality) for f in files)
    for path in files:
        assert dciodvfy_errors(path) == [], path.name


def test_acquire_rejects_bad_settings_in_one_line(tmp_path: Path) -> None:
    result = run_cli("acquire", "xray", "--patient", "adult-male", "--exam", "chest-pa", "--set", "mas=-1",
                     "--out", str(tmp_path / "o"), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("scanroom: error: mas")
    assert not (tmp_path / "o").exists()  # nothing half-written


def test_acquire_exports_lesion_truth_as_dicom_seg(tmp_path: Path) -> None:
    if DCIODVFY is None:
        pytest.skip("dciodvfy (Debian dicom3tools) is not installed; make test installs it")
    import pydicom

    out = tmp_path / "seg"
    result = run_cli("acquire", "xray", "--patient", "adult-male", "--exam", "chest-pa", "--lesion",
                     "lung-nodule:size_mm=20", "--seed", "2", "--out", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    seg = pydicom.dcmread(out / "SEG-truth.dcm")
    image = pydicom.dcmread(sorted(out.glob("DX-*.dcm"))[0])
    assert seg.Modality == "SEG" and seg.SegmentSequence[0].SegmentLabel.startswith("lung-nodule")
    referenced = seg.ReferencedSeriesSequence[0].ReferencedInstanceSequence[0].ReferencedSOPInstanceUID
    assert referenced == image.SOPInstanceUID
    assert [line for line in subprocess.run([DCIODVFY, str(out / "SEG-truth.dcm")], capture_output=True,  # type: ignore[list-item]
                                            text=True).stderr.splitlines() if line.startswith("Error")] == []


def test_bloch_engine_runs_a_pulseq_file(tmp_path: Path) -> None:
    from scanroom.physics.mri import pulseq_io

    seq_path = tmp_path / "flash.seq"
    pulseq_io.write_seq(pulseq_io.make_flash(32, 32, 0.22), seq_path)
    out = tmp_path / "bloch"
    result = run_cli("acquire", "mri", "--patient", "adult-male", "--engine", "bloch", "--seq", str(seq_path),
                     "--out", str(out), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["image_shape"] == [1, 32, 32]
    if DCIODVFY is not None:
        assert dciodvfy_errors(out / "MR-0001.dcm") == []
    missing = run_cli("acquire", "mri", "--patient", "adult-male", "--engine", "bloch", "--out", str(out), cwd=tmp_path)
    assert missing.returncode == 1 and "--seq" in missing.stderr
