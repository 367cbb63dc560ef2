"""The practical task through the web app with the real simulator: start, console in task mode, expose (with a
repeat reason), submit, rubric; the evidence reaches the record; nobody else can use or see the attempt."""

from __future__ import annotations

import io

from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from scanroom.store.models_competency import AttemptScan, Evidence, TaskAttempt
from tests.conftest import World, csrf_of

EXPOSE = {"exam": "chest-pa", "kvp": "110", "mas": "1.5", "sid_cm": "180", "grid": "on", "field_w": "35",
          "field_h": "43", "offset_x": "0", "offset_z": "0", "rotation_deg": "0", "tube_angle_deg": "0",
          "side_marker": "L", "patient": "child-5y", "pathology": "pneumothorax"}


def test_chest_pa_task_end_to_end(client_for, world: World, db: Session) -> None:  # type: ignore[no-untyped-def]
    trainee = client_for("trainee")
    token = csrf_of(trainee)
    task_page = trainee.get("/competency/tasks/chest-pa-outpatient")
    assert task_page.status_code == 200 and "Chest PA (erect)" in task_page.text
    started = trainee.post("/competency/tasks/chest-pa-outpatient/start", data={"csrf_token": token})
    assert started.status_code == 303 and started.headers["location"].startswith("/scanroom/xray?task=")
    attempt = db.scalar(select(TaskAttempt))
    assert attempt is not None and attempt.status == "open"
    console = trainee.get(started.headers["location"])
    assert console.status_code == 200 and 'id="task-banner"' in console.text and "Submit task" in console.text
    # the scenario fixes the patient: what the form says about patient and pathology is ignored
    first = trainee.post("/scanroom/xray/expose", data={**EXPOSE, "side_marker": "none", "task": str(attempt.id),
                                                        "csrf_token": token})
    assert first.status_code == 303 and first.headers["location"].endswith(f"&task={attempt.id}")
    after_first = trainee.get(first.headers["location"])
    assert 'id="f-repeat_reason"' in after_first.text  # the next exposure asks why it repeats
    second = trainee.post("/scanroom/xray/expose", data={**EXPOSE, "task": str(attempt.id), "repeat_reason": "marker",
                                                         "csrf_token": token})
    assert second.status_code == 303
    links = list(db.scalars(select(AttemptScan).order_by(AttemptScan.id)))
    assert [link.repeat_reason for link in links] == ["", "marker"]
    submitted = trainee.post(f"/competency/attempts/{attempt.id}/submit", data={"csrf_token": token})
    assert submitted.status_code == 303
    result = trainee.get(f"/competency/attempts/{attempt.id}")
    assert 'id="task-score">95<' in result.text, result.text[-3000:]  # one repeat: −5
    assert "Repeats: 1 repeat (marker)" in result.text
    db.expire_all()
    evidence = db.scalar(select(Evidence).where(Evidence.trainee_id == world.trainee.id))
    assert evidence is not None and (evidence.requirement_id, evidence.kind, evidence.score, evidence.passed) == \
        ("chest-routine", "practical", 95.0, True)
    assert trainee.post(f"/competency/attempts/{attempt.id}/submit", data={"csrf_token": token}).status_code == 409
    assert trainee.get(f"/scanroom/xray?task={attempt.id}").status_code == 404  # submitted: no more task mode
    other = client_for("trainee2")
    assert other.get(f"/competency/attempts/{attempt.id}").status_code == 404
    assert other.post("/scanroom/xray/expose", data={**EXPOSE, "task": str(attempt.id),
                                                     "csrf_token": csrf_of(other)}).status_code == 404
    instructor = client_for("instructor")
    assert instructor.get(f"/competency/attempts/{attempt.id}").status_code == 200
    record = instructor.get(f"/competency/trainees/{world.trainee.id}")
    assert "practical · task:chest-pa-outpatient" in record.text
    pdf = trainee.get(f"/competency/trainees/{world.trainee.id}/record.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Competency record: Trainee" in text and "Chest routine" in text and "practical 95%" in text
    csv_text = trainee.get(f"/competency/trainees/{world.trainee.id}/record.csv").text
    assert "chest-routine,Chest routine,mandatory,in-progress" in csv_text
    dashboard = instructor.get(f"/competency/cohorts/{world.cohort.id}")
    assert 'id="task-score-chart"' in dashboard.text and "<polyline" in dashboard.text
    assert "trainee: 1 submitted, last 95%" in dashboard.text
    ledger = instructor.get("/safety/ledger")
    assert ledger.status_code == 200 and 'data-trainee="trainee"' in ledger.text


def test_task_start_needs_the_checks_answered(client_for, world: World, db: Session) -> None:  # type: ignore[no-untyped-def]
    trainee = client_for("trainee")
    refused = trainee.post("/competency/tasks/abdomen-pregnancy-question/start",
                           data={"check-pregnancy": "yes", "csrf_token": csrf_of(trainee)})
    assert refused.status_code == 422 and 'role="alert"' in refused.text and "Proceed?" in refused.text
    assert db.scalar(select(TaskAttempt)) is None
    page = trainee.get("/competency/tasks/abdomen-pregnancy-question")
    assert "defer to the radiologist" in page.text and "10-day" not in page.text  # the why stays on the server
    assert trainee.get("/competency/tasks/nope").status_code == 404
