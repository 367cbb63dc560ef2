"""The reading room end to end through the web app: sets, assignments, reading with marks, scoring, feedback,
results, who may see what, and truth kept from the browser until submission.

Cases here are small hand-made DICOM images with hand-placed truth, so the expected scores are known exactly.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import numpy as np
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid
from sqlalchemy.orm import Session

from scanroom.config import Settings
from scanroom.dicom import library
from scanroom.reading import cases, sessions
from scanroom.store.models_reading import CaseReading, CaseStatus, ReadingMode, ReadingSet
from tests.conftest import World, csrf_of

TRUTH_WORDS = ("Hidden nodule label", "secret-diagnosis-text", "Teaching point only after submission")


def _image(seed: int, rows: int = 128, cols: int = 128) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.Modality, ds.PatientName, ds.PatientID, ds.InstanceNumber = "OT", "CASE^TEST", f"T{seed}", 1
    ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.PhotometricInterpretation = rows, cols, 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.PixelData = np.random.default_rng(seed).integers(0, 4000, (rows, cols), dtype=np.uint16).tobytes()
    return ds


def _make_case(db: Session, data_dir: Path, key: str, lesions: list[tuple[float, float, float]],
               seed: int) -> int:
    ds = _image(seed)
    library.store_dataset(db, data_dir, ds, collection="case", title=key)
    findings = [cases.FindingInput(series_uid=str(ds.SeriesInstanceUID), x=x, y=y, radius=r,
                                   label=f"{TRUTH_WORDS[0]} {n}") for n, (x, y, r) in enumerate(lesions)]
    case = cases.create_case(
        db, key=key, title=f"Case {key}", modality="ot",
        series=[(str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID), "")], findings=findings,
        history="A 60-year-old smoker.", question="Is there a nodule?",
        diagnosis=TRUTH_WORDS[1] if lesions else "Normal", diagnosis_choices=["No abnormality", "Nodule"],
        teaching_points=[TRUTH_WORDS[2]], status=CaseStatus.PUBLISHED)
    return case.id


@pytest.fixture()
def practice_set(db: Session, world: World, settings: Settings) -> int:
    """Three cases (two lesions; one lesion; normal) in a set assigned to the trainees' cohort."""
    data_dir = settings.resolved_data_dir()
    ids = [_make_case(db, data_dir, "two-lesions", [(30, 30, 8), (90, 90, 8)], 1),
           _make_case(db, data_dir, "one-lesion", [(64, 64, 10)], 2),
           _make_case(db, data_dir, "normal", [], 3)]
    reading_set = sessions.create_set(db, title="Nodules 1", case_ids=ids, mode=ReadingMode.PRACTICE)
    sessions.assign_set(db, reading_set=reading_set, cohort_id=world.cohort.id, mode=ReadingMode.PRACTICE,
                        actor=world.instructor)
    sessions.assign_set(db, reading_set=reading_set, cohort_id=world.cohort.id, mode=ReadingMode.TEST,
                        actor=world.instructor)
    db.commit()
    return reading_set.id


def _start(client, set_id: int, mode: str) -> str:  # type: ignore[no-untyped-def]
    response = client.post(f"/reading/sets/{set_id}/start", data={"mode": mode, "csrf_token": csrf_of(client)})
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def _submit(client, url: str, marks: list[dict], choice: str = "Nodule"):  # type: ignore[no-untyped-def,type-arg]
    return client.post(url, data={"marks": json.dumps(marks), "diagnosis_choice": choice,
                                  "csrf_token": csrf_of(client)})


def test_practice_reading_scores_marks_and_shows_feedback(client_for, practice_set: int, world: World,
                                                         db: Session) -> None:
    trainee = client_for("trainee")
    home = trainee.get("/reading")
    assert home.status_code == 200 and "Nodules 1" in home.text
    first = _start(trainee, practice_set, "practice")
    assert first.endswith("/cases/0")

    page = trainee.get(first)
    assert page.status_code == 200
    for word in TRUTH_WORDS:
        assert word not in page.text, f"truth {word!r} reached the browser before submission"
    assert "data-regions='[]'" in page.text

    # Case 1 (two lesions): one hit with confidence 4, one false positive with confidence 2; one lesion missed.
    response = _submit(trainee, first, [{"x": 32, "y": 28, "rating": 4}, {"x": 10, "y": 110, "rating": 2}])
    assert response.status_code == 303 and response.headers["location"].endswith("/cases/0#feedback")
    feedback = trainee.get(first)
    assert "Found: " in feedback.text and "Missed: " in feedback.text
    assert TRUTH_WORDS[2] in feedback.text  # teaching points after submission
    attribute = re.search(r"data-regions='([^']*)'", feedback.text).group(1)  # type: ignore[union-attr]
    regions = json.loads(html.unescape(attribute))
    assert sorted(r["kind"] for r in regions) == ["false-positive", "hit", "missed"]
    missed = next(r for r in regions if r["kind"] == "missed")
    assert (missed["x"], missed["y"]) == (90, 90)

    # A submitted case cannot be changed.
    again = _submit(trainee, first, [])
    assert again.status_code == 400 and "already submitted" in again.text

    base = first.rsplit("/", 1)[0]
    assert _submit(trainee, f"{base}/1", [{"x": 60, "y": 66, "rating": 5}]).status_code == 303
    assert _submit(trainee, f"{base}/2", [], choice="No abnormality").status_code == 303

    session_id = int(first.split("/")[3])
    results = trainee.get(f"/reading/sessions/{session_id}/results")
    assert results.status_code == 200
    assert "FROC curve" in results.text and "<svg" in results.text
    summary = sessions.get_session(db, world.trainee, session_id).summary
    db.expire_all()
    summary = sessions.get_session(db, world.trainee, session_id).summary
    assert summary["n_cases"] == 3 and summary["n_lesions"] == 3
    assert summary["sensitivity"] == pytest.approx(1.0)  # both abnormal cases had a mark
    assert summary["specificity"] == pytest.approx(1.0)  # the normal case had none
    assert summary["lesion_localisation_fraction"] == pytest.approx(2 / 3)
    home = trainee.get("/reading")
    assert "Your FROC curves" in home.text and "Your learning curve" in home.text


def test_test_mode_withholds_feedback_until_the_set_is_done(client_for, practice_set: int) -> None:
    trainee = client_for("trainee")
    first = _start(trainee, practice_set, "test")
    base = first.rsplit("/", 1)[0]
    response = _submit(trainee, first, [{"x": 30, "y": 30, "rating": 3}])
    assert response.headers["location"].endswith("/cases/1")
    revisit = trainee.get(first)  # no feedback yet: sent on to the next unread case
    assert revisit.status_code == 303 and revisit.headers["location"].endswith("/cases/1")
    for position in (1, 2):
        page = trainee.get(f"{base}/{position}")
        assert all(word not in page.text for word in TRUTH_WORDS)
        _submit(trainee, f"{base}/{position}", [])
    done = trainee.get(first)
    assert done.status_code == 200 and TRUTH_WORDS[2] in done.text


def test_readers_see_only_their_own_sessions(client_for, practice_set: int, world: World) -> None:
    trainee = client_for("trainee")
    first = _start(trainee, practice_set, "practice")
    session_id = first.split("/")[3]
    other = client_for("trainee2")
    assert other.get(f"/reading/sessions/{session_id}/cases/0").status_code == 404
    assert other.get(f"/reading/sessions/{session_id}/results").status_code == 404
    assert _submit(other, first, []).status_code == 404
    outsider = client_for("outsider")  # not in the cohort the set was assigned to
    assert outsider.post(f"/reading/sets/{practice_set}/start",
                         data={"mode": "practice", "csrf_token": csrf_of(outsider)}).status_code == 404
    # The instructor of the cohort may look at submitted work but not at unread cases; another may not at all.
    _submit(trainee, first, [])
    assert client_for("instructor").get(first).status_code == 200
    assert client_for("other-instructor").get(first).status_code == 404


def test_case_images_open_only_to_readers_of_the_case(client_for, practice_set: int, db: Session) -> None:
    case = cases.find_cases(db)[0]
    series = case.series[0]
    url = f"/dicomweb/studies/{series.study_uid}/series/{series.series_uid}/metadata"
    trainee = client_for("trainee")
    assert trainee.get(url).status_code == 404  # before any session includes the case
    _start(trainee, practice_set, "practice")
    assert trainee.get(url).status_code == 200
    assert client_for("trainee2").get(url).status_code == 404
    assert client_for("instructor").get(url).status_code == 200


def test_bad_marks_are_refused_with_a_message_and_nothing_is_saved(client_for, practice_set: int,
                                                                   db: Session) -> None:
    trainee = client_for("trainee")
    first = _start(trainee, practice_set, "practice")
    bad = trainee.post(first, data={"marks": "not json", "csrf_token": csrf_of(trainee)})
    assert bad.status_code == 400 and "could not be read" in bad.text
    bad = _submit(trainee, first, [{"x": 10, "y": 10, "rating": 9}])
    assert bad.status_code == 400 and "confidence from 1" in bad.text
    db.expire_all()
    assert all(r.submitted_at is None for r in db.query(CaseReading).all())


def test_instructor_builds_a_set_marks_truth_and_sees_cohort_results(client_for, world: World, db: Session,
                                                                    settings: Settings) -> None:
    data_dir = settings.resolved_data_dir()
    ds = _image(7)
    library.store_dataset(db, data_dir, ds, collection="case")
    draft = cases.create_case(db, key="draft-1", title="Imported", modality="ot",
                              series=[(str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID), "")])
    db.commit()
    instructor = client_for("instructor")
    token = csrf_of(instructor)
    refused = instructor.post(f"/reading/cases/{draft.id}/publish", data={"csrf_token": token})
    assert refused.status_code == 400 and "question" in refused.text
    saved = instructor.post(f"/reading/cases/{draft.id}", data={
        "csrf_token": token, "title": "Lucent lesion", "question": "Is there a lesion?", "history": "Pain.",
        "diagnosis": "Bone cyst", "diagnosis_choices": "No abnormality\nBone cyst", "difficulty": "easy",
        "level": "entry", "tags": "bone"})
    assert saved.status_code == 200
    outside = instructor.post(f"/reading/cases/{draft.id}/truth",
                              data={"csrf_token": token, "findings": json.dumps([{"x": 500, "y": 5, "radius": 9}])})
    assert outside.status_code == 400 and "outside" in outside.text
    truth = instructor.post(f"/reading/cases/{draft.id}/truth",
                            data={"csrf_token": token, "findings": json.dumps([{"x": 50, "y": 40, "radius": 12}])})
    assert truth.status_code == 200 and "1 finding" in truth.text
    assert instructor.post(f"/reading/cases/{draft.id}/publish", data={"csrf_token": token}).status_code == 200
    created = instructor.post("/reading/sets", data={"csrf_token": token, "title": "Bone 1", "mode": "practice",
                                                     "case_ids": [str(draft.id)]})
    assert created.status_code == 200 and "Bone 1" in created.text
    db.expire_all()
    assert cases.get_case(db, draft.id).abnormal  # type: ignore[union-attr]
    set_id = re.search(r'/reading/sets/(\d+)/assign', created.text).group(1)  # type: ignore[union-attr]
    assigned = instructor.post(f"/reading/sets/{set_id}/assign",
                               data={"csrf_token": token, "cohort_id": str(world.cohort.id), "mode": "practice"})
    assert assigned.status_code == 200
    other_cohort = client_for("other-instructor")
    assert other_cohort.post(f"/reading/sets/{set_id}/assign", data={
        "csrf_token": csrf_of(other_cohort), "cohort_id": str(world.cohort.id), "mode": "test"}).status_code == 404
    trainee = client_for("trainee")
    first = _start(trainee, int(set_id), "practice")
    _submit(trainee, first, [{"x": 52, "y": 41, "rating": 5}], choice="Bone cyst")
    report = instructor.get(f"/reading/cohorts/{world.cohort.id}")
    assert report.status_code == 200 and "trainee" in report.text and "100%" in report.text
    assert "cohort (pooled)" in report.text and "Cohort pooled over each trainee" in report.text


def test_cohort_reader_study_compares_unaided_and_ai_assisted_reading(client_for, world: World, db: Session,
                                                                      settings: Settings) -> None:
    """Two trainees read the same four cases unaided (test) and AI-assisted: the cohort page runs the
    Obuchowski–Rockette MRMC comparison of their ROC AUCs (case rating = highest mark rating)."""
    data_dir = settings.resolved_data_dir()
    ids = [_make_case(db, data_dir, f"mrmc-{n}", lesions, 10 + n)
           for n, lesions in enumerate([[(30, 30, 10)], [(90, 40, 10)], [(60, 100, 10)], [], [], []])]
    reading_set = sessions.create_set(db, title="Reader study", case_ids=ids)
    for mode in (ReadingMode.TEST, ReadingMode.AI_ASSISTED):
        sessions.assign_set(db, reading_set=reading_set, cohort_id=world.cohort.id, mode=mode, actor=world.instructor)
    db.commit()
    centres = [(30, 30), (90, 40), (60, 100), (20, 100), (100, 20), (64, 64)]
    # ratings per reader and mode, case by case (0 = no mark): aided reading is better for both readers.
    plans = {("trainee", "test"): [3, 0, 4, 2, 0, 3], ("trainee", "ai"): [5, 4, 4, 1, 0, 0],
             ("trainee2", "test"): [2, 3, 0, 3, 1, 0], ("trainee2", "ai"): [4, 5, 3, 0, 2, 0]}
    for (username, mode), ratings in plans.items():
        client = client_for(username)
        url = _start(client, reading_set.id, mode)
        base = url.rsplit("/", 1)[0]
        for position, rating in enumerate(ratings):
            x, y = centres[position]
            marks = [{"x": x, "y": y, "rating": rating}] if rating else []
            assert _submit(client, f"{base}/{position}", marks).status_code == 303
    report = client_for("instructor").get(f"/reading/cohorts/{world.cohort.id}")
    assert report.status_code == 200
    assert "Reader study (2 readers)" in report.text
    assert "Obuchowski-Rockette" in report.text and "RRRC: random readers, random cases" in report.text
    from scanroom.reading.analysis import reader_studies

    db.expire_all()
    finished = [s for user in (world.trainee, world.trainee2) for s in sessions.sessions_of(db, user)]
    result = reader_studies(db, finished)[0]["result"]
    # Wilcoxon AUCs by hand: unaided trainee 6/9 (ties count ½), trainee2 5/9; aided both 9/9.
    means = dict(zip(result["treatments"], result["treatment_means"], strict=True))
    assert means["unaided"] == pytest.approx((6 / 9 + 5 / 9) / 2)
    assert means["ai-assisted"] == pytest.approx(1.0)


def test_ai_assisted_mode_shows_the_ai_marks_and_other_modes_do_not(client_for, practice_set: int, world: World,
                                                                     db: Session) -> None:
    reading_set = db.get(ReadingSet, practice_set)
    assert reading_set is not None
    sessions.assign_set(db, reading_set=reading_set, cohort_id=world.cohort.id, mode=ReadingMode.AI_ASSISTED,
                        actor=world.instructor)
    first_case = reading_set.items[0].case
    first_case.ai_marks = [{"x": 31.0, "y": 29.0, "radius": 9.0, "frame": 0, "confidence": 0.91},
                           {"x": 100.0, "y": 20.0, "radius": 7.0, "frame": 0, "confidence": 0.35},
                           {"x": 60.0, "y": 60.0, "radius": 7.0, "frame": 0, "confidence": 0.001}]  # below its cut
    db.commit()
    trainee = client_for("trainee")
    aided = trainee.get(_start(trainee, practice_set, "ai"))
    assert "The AI second reader marked 2 candidates" in aided.text
    regions = json.loads(html.unescape(re.search(r"data-regions='([^']*)'", aided.text).group(1)))  # type: ignore[union-attr]
    assert [r["kind"] for r in regions] == ["ai", "ai"] and regions[0]["label"] == "AI 91%"
    assert all(word not in aided.text for word in TRUTH_WORDS)  # the AI's marks are not the truth
    assert "Its measured performance" in aided.text  # readers see how far to trust it
    feedback = trainee.get(_submit(trainee, aided.url.path, []).headers["location"].split("#")[0])
    kinds = [r["kind"] for r in json.loads(html.unescape(re.search(  # type: ignore[union-attr]
        r"data-regions='([^']*)'", feedback.text).group(1)))]
    assert kinds.count("ai") == 2 and kinds.count("missed") == 2  # the AI's flags stay beside the truth
    unaided = trainee.get(_start(trainee, practice_set, "practice"))
    assert "AI second reader" not in unaided.text and "data-regions='[]'" in unaided.text


def test_instructor_analyses_an_uploaded_reader_study(client_for, world: World) -> None:
    """The web page runs the same MRMC analysis as `scanroom observer analyze` (Van Dyke: published RRRC F)."""
    instructor = client_for("instructor")
    token = csrf_of(instructor)
    data = (Path(__file__).resolve().parent.parent / "data" / "observer" / "vandyke_roc.csv").read_bytes()
    response = instructor.post("/reading/observer", data={"csrf_token": token, "method": "or", "fom": "auc"},
                               files={"study": ("vandyke_roc.csv", data, "text/csv")})
    assert response.status_code == 200
    assert "F = 4.456319" in response.text and "0.89703704" in response.text
    bad = instructor.post("/reading/observer", data={"csrf_token": token, "method": "or", "fom": "auc"},
                          files={"study": ("bad.csv", b"reader,case\n1,2\n", "text/csv")})
    assert bad.status_code == 400 and "bad.csv" in bad.text and "Traceback" not in bad.text
    assert client_for("trainee").get("/reading/observer").status_code == 403
