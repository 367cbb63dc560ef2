"""Real teaching files become reading-room cases: imported from a folder or pulled from Orthanc over DICOMweb
(de-identified on the way in) as draft cases; the starter library from pydicom-data, truth marked, published."""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest
from sqlalchemy.orm import Session

from scanroom.config import Settings
from scanroom.dicom import library
from scanroom.reading import teaching
from scanroom.store.models_reading import CaseSource, CaseStatus
from tests.dicom_import._cases import make_teaching_set
from tests.dicom_import.conftest import orthanc  # noqa: F401  (the Orthanc peer fixture)
from tests.dicom_import.orthanc_peer import Orthanc
from tests.test_cli import run_cli


def _headers(db: Session, data_dir: Path, case) -> list[pydicom.Dataset]:  # type: ignore[no-untyped-def]
    series = case.series[0]
    return [library.load(data_dir, i) for i in library.visible_series_for_system(db, series.study_uid,
                                                                                 series.series_uid)]


def test_imported_folder_becomes_deidentified_draft_cases(db: Session, world, settings: Settings,  # type: ignore[no-untyped-def]
                                                          tmp_path: Path) -> None:
    teaching_set = make_teaching_set(tmp_path / "in", seed=3)
    report = teaching.import_as_draft_cases(db, settings.resolved_data_dir(), [tmp_path / "in"],
                                            created_by=world.instructor)
    db.commit()
    assert report.cases and not report.skipped
    assert {c.status for c in report.cases} == {CaseStatus.DRAFT}
    assert {c.source for c in report.cases} == {CaseSource.TEACHING}
    source_ids = set(teaching_set.patient_ids)
    for case in report.cases:
        for ds in _headers(db, settings.resolved_data_dir(), case):
            assert str(ds.get("PatientID", "")) not in source_ids
            assert str(ds.StudyInstanceUID) not in teaching_set.study_uids
    again = teaching.import_as_draft_cases(db, settings.resolved_data_dir(), [tmp_path / "in"])
    assert again.cases == [] and again.already_stored == teaching_set.images  # re-importing adds nothing


def test_cases_pulled_from_orthanc_over_dicomweb(db: Session, world, settings: Settings, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                 orthanc: Orthanc) -> None:  # noqa: F811
    teaching_set = make_teaching_set(tmp_path / "pacs", seed=5)
    for source in teaching_set.files:
        orthanc.upload(source.path)
    study_uids = set(teaching_set.study_uids)
    wanted = [teaching_set.study_uids[0]]
    report = teaching.pull_as_draft_cases(db, settings.resolved_data_dir(), orthanc.dicomweb_url,
                                          study_uids=wanted, created_by=world.instructor)
    db.commit()
    assert report.cases
    for case in report.cases:
        for ds in _headers(db, settings.resolved_data_dir(), case):
            assert str(ds.StudyInstanceUID) not in study_uids  # UIDs replaced on the way in
            assert "PatientBirthDate" not in ds or not str(ds.PatientBirthDate)


def test_starter_library_is_deidentified_marked_and_published(db: Session, settings: Settings) -> None:
    data_dir = settings.resolved_data_dir()
    cases = teaching.seed_starter_library(db, data_dir)
    db.commit()
    by_key = {c.key: c for c in cases}
    nof = by_key["starter-tibia-nof"]
    assert nof.status == CaseStatus.PUBLISHED and nof.abnormal and len(nof.findings) == 1
    assert not by_key["starter-chest-normal"].abnormal
    (ds,) = _headers(db, data_dir, nof)
    # pydicom-data's original names the diagnosis in Study Description: de-identification removed it.
    assert b"fibroma" not in Path(data_dir / library.visible_series_for_system(
        db, nof.series[0].study_uid, nof.series[0].series_uid)[0].relative_path).read_bytes().lower()
    finding = nof.findings[0]
    assert 0 < finding.x < ds.Columns and 0 < finding.y < ds.Rows
    assert teaching.seed_starter_library(db, data_dir)[0].id == nof.id  # idempotent


def test_cli_import_reports_bad_input_in_one_line(tmp_path: Path) -> None:
    env = {"SCANROOM_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db", "SCANROOM_DATA_DIR": str(tmp_path / "data")}
    result = run_cli("cases", "import", str(tmp_path / "missing"), env_extra=env, cwd=tmp_path)
    assert result.returncode == 1 and result.stderr.strip().startswith("scanroom: error:")
    assert "Traceback" not in result.stderr
    result = run_cli("cases", "import", "--dicomweb", "http://127.0.0.1:9/dicom-web", "--study", "1.2.3",
                     env_extra=env, cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    pytest.importorskip("pydicom.data")
    result = run_cli("cases", "starter", env_extra=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    listed = run_cli("cases", "list", env_extra=env, cwd=tmp_path)
    assert "starter-tibia-nof" in listed.stdout
