"""Issue 7, item 3: a folder or zip of identifiable DICOM comes into the library de-identified (PS3.15 Annex E
basic profile + modified dates); bad files are reported one by one and skipped; re-importing adds nothing."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pydicom
import pytest
from pydicom.pixels import apply_color_lut
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scanroom.config import Settings
from scanroom.dicom import teaching_import
from scanroom.dicom.deidentify import Deidentifier
from scanroom.dicom.teaching_import import ImportReport, import_paths
from scanroom.store.models import ImageInstance
from tests.conftest import World
from tests.dicom_import._cases import (
    TeachingSet,
    add_bad_files,
    check_deidentified,
    check_uid_consistency,
    make_teaching_set,
)


def _stored(data_dir: Path, report: ImportReport) -> list[tuple[pydicom.Dataset, bytes]]:
    out: list[tuple[pydicom.Dataset, bytes]] = []
    for series in report.series:
        for row in series.instances:
            raw = (data_dir / row.relative_path).read_bytes()
            out.append((pydicom.dcmread(data_dir / row.relative_path), raw))
    return out


def _check_report(report: ImportReport, ts: TeachingSet, data_dir: Path, owner_id: int) -> None:
    assert report.instance_count == ts.images == 8
    assert len(report.series) == 4
    assert len(report.study_uids) == 2
    assert sorted(s.instance_count for s in report.series) == [1, 2, 2, 3]
    assert {s.modality for s in report.series} == {"CT", "MR", "OT"}
    stored = _stored(data_dir, report)
    check_deidentified(stored, ts.files, report.date_shift_days)
    check_uid_consistency([ds for ds, _ in stored], ts.files)
    (cine,) = [ds for ds, _ in stored if ds.Modality == "OT"]
    assert cine.NumberOfFrames == 4
    for series in report.series:
        assert series.description.startswith(series.modality)
        for row in series.instances:
            assert row.owner_id == owner_id and row.collection == "teaching"
            assert row.study_uid == series.study_uid and row.series_uid == series.series_uid


def test_folder_import_deidentifies_skips_bad_files_and_does_not_duplicate(
        import_db: Session, settings: Settings, world: World, tmp_path: Path) -> None:
    ts = make_teaching_set(tmp_path / "cases", seed=1)
    bad = add_bad_files(ts.folder, ts.files[0].path)
    data_dir = settings.resolved_data_dir()
    calls: list[tuple[int, int, str]] = []

    report = import_paths(import_db, data_dir, [ts.folder], owner_id=world.instructor.id,
                          progress=lambda done, total, name: calls.append((done, total, name)))
    import_db.commit()

    _check_report(report, ts, data_dir, world.instructor.id)
    skipped = dict(report.skipped)
    assert set(skipped) == {f"cases/{name}" for name in bad}
    for name, word in bad.items():
        assert word in skipped[f"cases/{name}"].lower(), skipped
    assert calls[-1][:2] == (12, 12) and [c[0] for c in calls] == list(range(1, 13))

    # Same files again (a new batch): recognised, nothing added or changed.
    rows_before = import_db.scalar(select(func.count(ImageInstance.id)))
    mtimes = {p: p.stat().st_mtime_ns for p in (data_dir / "dicom").rglob("*.dcm")}
    again = import_paths(import_db, data_dir, [ts.folder], owner_id=world.instructor.id)
    import_db.commit()
    assert again.series == [] and again.already_stored == 8 and len(again.skipped) == 4
    assert again.summary().startswith("0 images in 0 series of 0 studies imported; 8 already in the library; "
                                      "4 skipped; dates shifted by -")
    assert report.summary().startswith("8 images in 4 series of 2 studies imported; 4 skipped")
    assert import_db.scalar(select(func.count(ImageInstance.id))) == rows_before
    assert {p: p.stat().st_mtime_ns for p in (data_dir / "dicom").rglob("*.dcm")} == mtimes


def test_zip_import_same_result_and_refuses_zip_slip_and_bombs(
        import_db: Session, settings: Settings, world: World, tmp_path: Path) -> None:
    ts = make_teaching_set(tmp_path / "cases", seed=2)
    bad = add_bad_files(ts.folder, ts.files[0].path)
    archive = tmp_path / "teaching.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(ts.folder.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(ts.folder).as_posix())
        zf.writestr("../escape.dcm", ts.files[0].path.read_bytes())  # zip-slip
        zf.writestr("/abs/escape.dcm", ts.files[0].path.read_bytes())
        zf.writestr("bomb.dcm", b"\0" * (4 << 20))  # ~4 KiB compressed: ratio ~1000:1
    data_dir = settings.resolved_data_dir()

    report = import_paths(import_db, data_dir, [archive], owner_id=world.instructor.id,
                          deidentifier=Deidentifier(date_shift_days=-100))
    import_db.commit()

    assert report.date_shift_days == -100
    _check_report(report, ts, data_dir, world.instructor.id)
    skipped = dict(report.skipped)
    for name, word in bad.items():
        assert word in skipped[f"teaching.zip:{name}"].lower()
    assert "unsafe path" in skipped["teaching.zip:../escape.dcm"]
    assert "unsafe path" in skipped["teaching.zip:/abs/escape.dcm"]
    assert "zip bomb" in skipped["teaching.zip:bomb.dcm"]
    assert len(skipped) == 7
    assert not (tmp_path / "escape.dcm").exists()


def test_archive_too_large_refused_whole(import_db: Session, settings: Settings, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    ts = make_teaching_set(tmp_path / "cases", seed=3)
    archive = tmp_path / "big.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for src in ts.files:
            zf.write(src.path, src.path.name)
    monkeypatch.setattr(teaching_import, "MAX_ARCHIVE_BYTES", 4000)
    report = import_paths(import_db, settings.resolved_data_dir(), [archive, tmp_path / "missing"], owner_id=None)
    assert report.series == []
    assert [name for name, _ in report.skipped] == ["big.zip", str(tmp_path / "missing")]
    assert "zip bomb" in report.skipped[0][1] and "no such file" in report.skipped[1][1]


REAL_FILES = {  # pydicom's test files: real encodings met in teaching archives
    "JPEG-LL.dcm": "JPEG Lossless (process 14)",
    "JPEG2000.dcm": "JPEG 2000",
    "MR_small_RLE.dcm": "RLE Lossless",
    "ExplVR_BigEnd.dcm": "Explicit VR Big Endian (retired)",
    "emri_small_jpeg_2k_lossless.dcm": "multi-frame JPEG 2000 lossless",
    "OT-PAL-8-face.dcm": "no preamble or file meta (ACR-NEMA style), palette colour",
}


def test_real_encodings_import_with_pixels_unchanged(import_db: Session, settings: Settings,
                                                     tmp_path: Path) -> None:
    from pydicom.data import get_testdata_file

    folder = tmp_path / "real"
    folder.mkdir()
    decoded = {}
    for name in REAL_FILES:
        source = Path(str(get_testdata_file(name)))
        (folder / name).write_bytes(source.read_bytes())
        original = pydicom.dcmread(source, force=True)
        original.file_meta.setdefault("TransferSyntaxUID", pydicom.uid.ImplicitVRLittleEndian)  # the no-meta file
        decoded[name] = original.pixel_array
        if original.PhotometricInterpretation == "PALETTE COLOR":  # stored as RGB, 8 bits (normalise)
            rgb = apply_color_lut(original.pixel_array, original)
            decoded[name] = rgb if rgb.dtype == "uint8" else (rgb >> 8).astype("uint8")
    data_dir = settings.resolved_data_dir()
    report = import_paths(import_db, data_dir, [folder], owner_id=None, deidentifier=Deidentifier(seed=None))
    assert report.skipped == [] and report.instance_count == len(REAL_FILES)
    stored = _stored(data_dir, report)
    assert all(ds.file_meta.TransferSyntaxUID == pydicom.uid.ExplicitVRLittleEndian for ds, _ in stored)
    arrays = [ds.pixel_array for ds, _ in stored]
    for name, expected in decoded.items():
        assert any(a.shape == expected.shape and (a == expected).all() for a in arrays), REAL_FILES[name]
