"""Issue 9: written exams and interpretation exercises join the competency record.

A reading set and a classroom exam may name requirements they count toward. A finished test-mode reading
session files interpretation evidence (score = wAFROC FOM × 100, passed at the set's pass mark); practice
sessions file nothing; a scored exam attempt files exam evidence. Reading cases are tiny hand-made DICOM
images with hand-placed truth, so each wAFROC figure of merit is known exactly (1.0 and 0.0 below).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid
from sqlalchemy import select
from sqlalchemy.orm import Session

from scanroom.accounts.service import ValidationProblem
from scanroom.competency import evidence, records
from scanroom.competency.demo import DEMO_LOCAL, seed_evidence_links
from scanroom.config import Settings
from scanroom.dicom import library
from scanroom.learning import exams
from scanroom.reading import cases, sessions
from scanroom.store.models import User
from scanroom.store.models_competency import Evidence
from scanroom.store.models_reading import CaseStatus, ReadingMode, ReadingSet
from tests.conftest import World, csrf_of

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
READ = "local-chest-interpretation"
EXAM = "local-physics-exam"


def _case(db: Session, data_dir: Path, key: str, lesions: list[tuple[float, float, float]], seed: int) -> int:
    """A 64×64 secondary-capture image with hand-placed lesions (as in tests/reading/test_reading_room.py)."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.Modality, ds.PatientName, ds.PatientID, ds.InstanceNumber = "OT", "CASE^EVIDENCE", f"E{seed}", 1
    ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.PhotometricInterpretation = 64, 64, 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.PixelData = np.random.default_rng(seed).integers(0, 4000, (64, 64), dtype=np.uint16).tobytes()
    library.store_dataset(db, data_dir, ds, collection="case", title=key)
    findings = [cases.FindingInput(series_uid=str(ds.SeriesInstanceUID), x=x, y=y, radius=r)
                for x, y, r in lesions]
    return cases.create_case(db, key=key, title=f"Case {key}", modality="ot",
                             series=[(str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID), "")], findings=findings,
                             diagnosis="Nodule" if lesions else "Normal", status=CaseStatus.PUBLISHED).id


@pytest.fixture()
def local_requirements(db: Session, world: World) -> None:
    """The world's radiography programme (ARRT 2022 by default) adds two local requirements, as the demo does."""
    records.add_local_requirement(db, world.programme, requirement_id=READ, title="Chest radiograph interpretation",
                                  evidence=["interpretation"], actor=world.instructor)
    records.add_local_requirement(db, world.programme, requirement_id=EXAM, title="Radiographic physics (exam)",
                                  evidence=["exam"], actor=world.instructor)
    db.commit()


@pytest.fixture()
def case_ids(db: Session, settings: Settings) -> list[int]:
    data_dir = settings.resolved_data_dir()
    return [_case(db, data_dir, "ev-lesion-a", [(20, 20, 6)], 1), _case(db, data_dir, "ev-lesion-b", [(44, 40, 6)], 2),
            _case(db, data_dir, "ev-normal", [], 3)]


@pytest.fixture()
def counted_set(db: Session, world: World, local_requirements: None, case_ids: list[int]) -> ReadingSet:
    reading_set = sessions.create_set(db, title="Chest test", case_ids=case_ids, mode=ReadingMode.TEST,
                                      requirement_ids=[READ], pass_fom="0.70", created_by=world.instructor)
    for mode in (ReadingMode.TEST, ReadingMode.PRACTICE):
        sessions.assign_set(db, reading_set=reading_set, cohort_id=world.cohort.id, mode=mode, actor=world.instructor)
    db.commit()
    return reading_set


def _read(db: Session, user: User, reading_set: ReadingSet, mode: ReadingMode, good: bool) -> int:
    """Read the three cases: ``good`` marks both lesions (rating 5) and leaves the normal case clean (wAFROC 1.0);
    otherwise misses both lesions and calls the normal case abnormal (wAFROC 0.0)."""
    session = sessions.start_session(db, user, reading_set.id, mode)
    if good:
        marks = [[sessions.MarkInput(20, 21, 5)], [sessions.MarkInput(45, 40, 5)], []]
    else:
        marks = [[], [], [sessions.MarkInput(30, 30, 5)]]
    for position, case_marks in enumerate(marks):
        sessions.submit_case(db, user, session, position, case_marks)
        db.commit()
        db.expire(session)  # one request per case, as over the web: the session's readings reload
    assert session.finished_at is not None
    return session.id


def _evidence(db: Session, user: User) -> list[Evidence]:
    return list(db.scalars(select(Evidence).where(Evidence.trainee_id == user.id).order_by(Evidence.id)))


def _status(db: Session, user: User, requirement_id: str) -> str:
    record = records.competency_record(db, user)
    return next(i.status for i in record.items if i.requirement.id == requirement_id)


def test_test_mode_reading_files_interpretation_evidence_practice_does_not(
        db: Session, world: World, counted_set: ReadingSet, client_for) -> None:  # type: ignore[no-untyped-def]
    # Practice first: formative, nothing filed.
    _read(db, world.trainee, counted_set, ReadingMode.PRACTICE, good=True)
    assert _evidence(db, world.trainee) == [] and _status(db, world.trainee, READ) == "not-started"

    passed_id = _read(db, world.trainee, counted_set, ReadingMode.TEST, good=True)
    failed_id = _read(db, world.trainee2, counted_set, ReadingMode.TEST, good=False)

    [good] = _evidence(db, world.trainee)
    assert (good.requirement_id, good.kind, good.ref) == (READ, "interpretation", f"reading-session:{passed_id}")
    assert good.score == pytest.approx(100.0) and good.passed
    assert _status(db, world.trainee, READ) == "met"

    [bad] = _evidence(db, world.trainee2)
    assert bad.ref == f"reading-session:{failed_id}" and bad.score == pytest.approx(0.0) and not bad.passed
    assert _status(db, world.trainee2, READ) == "in-progress"

    # Finishing again files nothing twice.
    session = sessions.get_session(db, world.trainee, passed_id)
    sessions.finish_session(db, session)
    db.commit()
    assert len(_evidence(db, world.trainee)) == 1

    # The record page, CSV and PDF show the row.
    instructor = client_for("instructor")
    page = instructor.get(f"/competency/trainees/{world.trainee.id}")
    assert page.status_code == 200 and "Chest radiograph" in page.text
    assert f'<a href="/reading/sessions/{passed_id}/results">reading-session:{passed_id}</a>' in page.text
    assert instructor.get(f"/reading/sessions/{passed_id}/results").status_code == 200  # the link opens for them
    csv_text = instructor.get(f"/competency/trainees/{world.trainee.id}/record.csv").text
    assert f"interpretation reading-session:{passed_id} 100% pass" in csv_text
    assert instructor.get(f"/competency/trainees/{world.trainee.id}/record.pdf").status_code == 200


def test_pass_mark_is_per_set(db: Session, world: World, counted_set: ReadingSet) -> None:
    """A perfect reading meets even a pass mark of 1.0 (the criterion is FOM ≥ mark)."""
    sessions.set_evidence(db, counted_set, [READ], 1.0)
    db.commit()
    _read(db, world.trainee, counted_set, ReadingMode.TEST, good=True)
    assert [e.passed for e in _evidence(db, world.trainee)] == [True]


def test_bad_requirement_ids_and_pass_marks_are_refused(db: Session, world: World, local_requirements: None,
                                                         case_ids: list[int]) -> None:
    def make(ids: list[str], pass_fom: str = "", members: list[int] = case_ids) -> str:
        with pytest.raises(ValidationProblem) as problem:
            sessions.create_set(db, title="X", case_ids=members, mode="test", requirement_ids=ids, pass_fom=pass_fom)
        return f"{problem.value.field}: {problem.value.message}"

    assert make(["no-such-thing"]) == "requirement_ids: No requirement 'no-such-thing' in any framework or programme."
    assert "does not accept interpretation evidence (it accepts practical, signoff)" in make(["chest-routine"])
    assert "does not accept interpretation" in make([EXAM])
    assert make([READ], "1.5").startswith("pass_fom:") and make([READ], "abc").startswith("pass_fom:")
    assert "one normal and one abnormal case" in make([READ], members=case_ids[:2])
    # ACGME's interpretation requirement exists, and a set (not tied to a programme) may name it.
    assert sessions.create_set(db, title="R", case_ids=case_ids, requirement_ids="pc3-interpretation, " + READ
                               ).requirement_ids == ["pc3-interpretation", READ]

    def build(ids: list[str]) -> str:
        with pytest.raises(ValidationProblem) as problem:
            exams.create_exam(db, world.instructor, cohort_id=world.cohort.id, title="E", kind="fixed",
                              blueprint={"physics": 2}, time_limit_min=10, requirement_ids=ids)
        return problem.value.message

    # An exam is checked against its cohort's framework: ACGME's exam requirement is not ARRT radiography's.
    assert build(["mk1-protocol"]).startswith("No requirement 'mk1-protocol' in the ARRT")
    assert "does not accept exam evidence" in build([READ])


def _right(item_id: str):  # type: ignore[no-untyped-def]
    item = exams.item(item_id)
    if item.type == "numeric":
        return f"{item.key.value:.6g}"
    if item.type in ("multiple", "ordering"):
        return list(item.key)
    if item.type == "single":
        return item.key
    return {"x": 1, "y": 1} if item.type == "hotspot" else ["?"] * len(item.key)


def test_exam_attempts_file_exam_evidence(db: Session, world: World, local_requirements: None) -> None:
    fixed = exams.create_exam(db, world.instructor, cohort_id=world.cohort.id, title="Physics form", kind="fixed",
                              blueprint={"physics": 3}, time_limit_min=10, cut_score=60, seed=3,
                              requirement_ids=[EXAM])
    attempt = exams.start_attempt(db, world.trainee, fixed, T0)
    exams.submit(db, fixed, attempt, {i: _right(i) for i in fixed.item_ids}, T0 + timedelta(minutes=2))
    db.commit()
    [row] = _evidence(db, world.trainee)
    assert (row.requirement_id, row.kind) == (EXAM, "exam") and row.ref.startswith(f"exam-attempt:{attempt.id} ")
    assert row.score == pytest.approx(attempt.score) and row.passed == attempt.passed
    assert attempt.passed and _status(db, world.trainee, EXAM) == "met"

    # Trainee 2 hands in a blank form: failed exam evidence, requirement in progress.
    blank = exams.start_attempt(db, world.trainee2, fixed, T0)
    exams.submit(db, fixed, blank, {}, T0 + timedelta(minutes=1))
    db.commit()
    [row2] = _evidence(db, world.trainee2)
    assert row2.score == 0.0 and not row2.passed and _status(db, world.trainee2, EXAM) == "in-progress"

    adaptive = exams.create_exam(db, world.instructor, cohort_id=world.cohort.id, title="CAT", kind="adaptive",
                                 blueprint={"physics": 1}, time_limit_min=30, cut_score=0.0, target_se=0.6,
                                 max_items=4, requirement_ids=[EXAM])
    cat_attempt = exams.start_attempt(db, world.trainee2, adaptive, T0)
    while cat_attempt.status == "open":
        current = exams.current_items(adaptive, cat_attempt)[0]
        exams.save_answer(db, adaptive, cat_attempt, current.item_id, _right(current.item_id), T0)
    db.commit()
    cat_row = _evidence(db, world.trainee2)[-1]
    assert cat_row.score is None and cat_row.passed == (cat_attempt.theta >= 0.0)
    assert f"theta={cat_attempt.theta:.2f}" in cat_row.ref and "cut=0.00" in cat_row.ref


def test_forms_carry_requirement_ids(db: Session, world: World, local_requirements: None, case_ids: list[int],
                                     client_for) -> None:  # type: ignore[no-untyped-def]
    db.commit()
    instructor = client_for("instructor")
    token = csrf_of(instructor)
    sets_page = instructor.get("/reading/sets")
    assert f'<option value="{READ}"' in sets_page.text and 'value="pc3-interpretation"' in sets_page.text
    assert f'<option value="{EXAM}"' not in sets_page.text  # exam-only requirements are not offered for reading
    form = {"title": "Web set", "mode": "test", "case_ids": [str(i) for i in case_ids], "csrf_token": token}
    bad = instructor.post("/reading/sets", data={**form, "requirement_ids": ["gpc-cpr"]})
    assert bad.status_code == 400 and "does not accept interpretation evidence" in bad.text
    good = instructor.post("/reading/sets", data={**form, "requirement_ids": [READ], "pass_fom": "0.8"})
    assert good.status_code == 200 and "wAFROC ≥ 0.80" in good.text
    made = db.scalar(select(ReadingSet).where(ReadingSet.title == "Web set"))
    assert made is not None and made.requirement_ids == [READ] and made.pass_fom == pytest.approx(0.8)

    # Changing what an existing set counts toward: its author (or an admin) only, with the same checks.
    change = f"/reading/sets/{made.id}/evidence"
    refused_fom = instructor.post(change, data={"requirement_ids": [READ], "pass_fom": "2", "csrf_token": token})
    assert refused_fom.status_code == 400 and "between 0 and 1" in refused_fom.text
    cleared = instructor.post(change, data={"pass_fom": "0.75", "csrf_token": token})
    assert cleared.status_code == 200 and "counts toward no requirement" in cleared.text
    db.refresh(made)
    assert made.requirement_ids == [] and made.pass_fom == pytest.approx(0.75)
    other = client_for("other-instructor")
    not_author = other.post(change, data={"requirement_ids": [READ], "csrf_token": csrf_of(other)})
    assert not_author.status_code == 400 and "Only the set&#39;s author" in not_author.text

    builder = instructor.get("/classroom/instructor")
    assert f'<option value="{EXAM}"' in builder.text  # the cohort's framework (ARRT 2022) and its local ones only
    assert 'value="mk1-protocol"' not in builder.text and "Radiography — entry: ARRT" in builder.text
    exam_form = {"title": "Web exam", "cohort_id": str(world.cohort.id), "kind": "fixed", "blueprint_physics": "2",
                 "time_limit_min": "10", "max_attempts": "1", "cut_score": "60", "csrf_token": token}
    refused = instructor.post("/classroom/instructor/exams", data={**exam_form, "requirement_ids": [READ]})
    assert refused.status_code == 400 and "does not accept exam evidence" in refused.text
    built = instructor.post("/classroom/instructor/exams", data={**exam_form, "requirement_ids": [EXAM]})
    assert built.status_code == 303


def test_demo_links_a_reading_set_and_an_exam(db: Session, world: World, case_ids: list[int]) -> None:
    reading_set = sessions.create_set(db, title=DEMO_LOCAL[0][3], case_ids=case_ids)
    exams.seed_demo_exams(db, world.cohort, world.instructor)
    for _ in range(2):  # idempotent
        seed_evidence_links(db, world.cohort, world.admin)
    db.commit()
    framework = records.framework_for(db, world.trainee)
    assert framework.id == "arrt-radiography-2022"
    assert framework.requirement(DEMO_LOCAL[0][0]).evidence == ("interpretation",)
    assert framework.requirement(DEMO_LOCAL[1][0]).evidence == ("exam",)
    assert reading_set.requirement_ids == [DEMO_LOCAL[0][0]]
    assert DEMO_LOCAL[1][0] in {c.id for c in evidence.choices(db, "exam")}
    from scanroom.store.models_learning import ClassroomExam

    exam = db.scalar(select(ClassroomExam).where(ClassroomExam.title == DEMO_LOCAL[1][3]))
    assert exam is not None and exam.requirement_ids == [DEMO_LOCAL[1][0]]
