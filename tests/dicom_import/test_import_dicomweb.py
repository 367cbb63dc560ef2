"""Issue 7, item 4: cases pulled from a real Orthanc (DICOMweb plugin) started on loopback by the tests,
de-identified on the way in; an unreachable server or an error answer is a clear error."""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest
from sqlalchemy.orm import Session

from scanroom.config import Settings
from scanroom.dicom.teaching_import import DicomWebError, ImportReport, import_dicomweb
from tests.conftest import World
from tests.dicom_import._cases import check_deidentified, check_uid_consistency, make_teaching_set
from tests.dicom_import.orthanc_peer import Orthanc, dicomweb_plugin, free_port, orthanc_binary, running_orthanc


def _stored(data_dir: Path, report: ImportReport) -> list[tuple[pydicom.Dataset, bytes]]:
    rows = [row for series in report.series for row in series.instances]
    return [(pydicom.dcmread(data_dir / r.relative_path), (data_dir / r.relative_path).read_bytes()) for r in rows]


def test_pull_studies_by_uid_and_by_query(import_db: Session, settings: Settings, world: World, orthanc: Orthanc,
                                          tmp_path: Path) -> None:
    ts = make_teaching_set(tmp_path / "pacs", seed=4)
    for source in ts.files:
        orthanc.upload(source.path)
    data_dir = settings.resolved_data_dir()
    calls: list[tuple[int, int, str]] = []

    by_uid = import_dicomweb(import_db, data_dir, orthanc.dicomweb_url,
                             study_uids=[ts.study_uids[0], "1.2.3.4.5.6.7.404"], owner_id=world.instructor.id,
                             progress=lambda done, total, name: calls.append((done, total, name)))
    import_db.commit()
    assert by_uid.instance_count == 5 and len(by_uid.series) == 2 and len(by_uid.study_uids) == 1
    assert by_uid.skipped == [("1.2.3.4.5.6.7.404", "no such study on the DICOMweb server")]
    assert calls[-1][:2] == (5, 5)
    study_a = [s for s in ts.files if s.study_uid == ts.study_uids[0]]
    stored_a = _stored(data_dir, by_uid)
    check_deidentified(stored_a, study_a, by_uid.date_shift_days)
    check_uid_consistency([ds for ds, _ in stored_a], study_a)

    by_query = import_dicomweb(import_db, data_dir, orthanc.dicomweb_url, query={"PatientID": ts.patient_ids[1]},
                               owner_id=world.instructor.id)
    import_db.commit()
    assert by_query.instance_count == 3 and {s.modality for s in by_query.series} == {"MR", "OT"}
    study_b = [s for s in ts.files if s.study_uid == ts.study_uids[1]]
    stored_b = _stored(data_dir, by_query)
    check_deidentified(stored_b, study_b, by_query.date_shift_days)
    check_uid_consistency([ds for ds, _ in stored_b], study_b)

    again = import_dicomweb(import_db, data_dir, orthanc.dicomweb_url, study_uids=[ts.study_uids[0]],
                            owner_id=world.instructor.id)
    assert again.series == [] and again.already_stored == 5


def test_unreachable_server_and_error_answers_are_clear(import_db: Session, settings: Settings,
                                                        orthanc: Orthanc) -> None:
    data_dir = settings.resolved_data_dir()
    closed = f"http://127.0.0.1:{free_port()}/dicom-web"
    with pytest.raises(DicomWebError, match=r"Cannot reach the DICOMweb server at http://127\.0\.0\.1:\d+/dicom-web"):
        import_dicomweb(import_db, data_dir, closed, study_uids=["1.2.3"], owner_id=None, timeout=2)
    with pytest.raises(DicomWebError, match=r"answered 404"):
        import_dicomweb(import_db, data_dir, f"{orthanc.http_url}/no-such-root", query={"PatientID": "X"},
                        owner_id=None)
    with pytest.raises(DicomWebError, match="Not an http"):
        import_dicomweb(import_db, data_dir, "file:///etc/passwd", study_uids=["1.2.3"], owner_id=None)
    with pytest.raises(DicomWebError, match="study UIDs or a query"):
        import_dicomweb(import_db, data_dir, orthanc.dicomweb_url, owner_id=None)


def test_orthanc_with_a_password(import_db: Session, settings: Settings, tmp_path: Path) -> None:
    """Sites run Orthanc with RegisteredUsers: credentials in the address (or auth=) are sent, never shown."""
    if orthanc_binary() is None or dicomweb_plugin() is None:
        pytest.skip("Orthanc with the DICOMweb plugin is not installed")
    ts = make_teaching_set(tmp_path / "pacs", seed=5)
    with running_orthanc(tmp_path / "orthanc-auth", users={"teacher": "s3cret-pw"}) as server:
        for source in ts.files[:3]:
            server.upload(source.path)
        data_dir = settings.resolved_data_dir()
        with pytest.raises(DicomWebError, match="401.*needs a user name and password") as refused:
            import_dicomweb(import_db, data_dir, server.dicomweb_url, study_uids=[ts.study_uids[0]], owner_id=None)
        with pytest.raises(DicomWebError, match="401.*wrong user name or password") as wrong:
            import_dicomweb(import_db, data_dir, server.dicomweb_url.replace("//", "//teacher:nope@"),
                            study_uids=[ts.study_uids[0]], owner_id=None)
        assert "nope" not in str(wrong.value) and "teacher" not in str(refused.value)
        report = import_dicomweb(import_db, data_dir, server.dicomweb_url.replace("//", "//teacher:s3cret-pw@"),
                                 study_uids=[ts.study_uids[0]], owner_id=None)
        assert report.instance_count == 3 and report.skipped == []
