"""Practical tasks in the CT and MRI rooms: the CT rubric on the figures the CT simulator reports, the CT console
in task mode, and an MRI task end to end (screening decision, two sequences, submit) with the real simulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from scanroom.competency import rubric, tasks
from scanroom.store.models_competency import TaskAttempt
from tests.competency.test_rubric import Made
from tests.conftest import World, csrf_of

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
# What the CT simulator reports for the head-routine preset on adult-male (scanner/ct.py, measured here)
HEAD = {"ctdivol_mgy": 43.6, "dlp_mgycm": 494.1, "scan_length_mm": 113.2, "drl_ctdivol_mgy": 47.0,
        "drl_dlp_mgycm": 790.0, "effective_dose_msv": 1.04}


def ct_scan(**changes: float) -> Made:
    dose = {**HEAD, **{k: v for k, v in changes.items() if k != "noise_hu"}}
    return Made("head-routine", {"protocol": "head-routine"}, dose, {"noise_hu": changes.get("noise_hu", 3.2)},
                [{"code": "dose"}], START + timedelta(minutes=6))


def test_ct_head_rubric() -> None:
    task = tasks.get_task("ct-head-trauma")
    points = {c["criterion"]: float(c["points"]) for c in task.rubric}
    right = {"contrast": "no"}
    assert rubric.score(task, [(ct_scan(), "")], started_at=START, answers=right).score == 100.0
    long_range = rubric.score(task, [(ct_scan(scan_length_mm=320.0, dlp_mgycm=1400.0), "")], started_at=START,
                              answers=right)
    assert long_range.lost() == {"range": points["range"], "ct-dose": points["ct-dose"]}
    noisy = rubric.score(task, [(ct_scan(noise_hu=14.0), "")], started_at=START, answers={"contrast": "yes"})
    assert noisy.lost() == {"noise": points["noise"], "checks": points["checks"]}
    assert next(i for i in noisy.items if i.criterion == "checks").advice.startswith("Does this request need")


def test_ct_console_in_task_mode(client_for, world: World, db: Session) -> None:  # type: ignore[no-untyped-def]
    trainee = client_for("trainee")
    started = trainee.post("/competency/tasks/ct-head-trauma/start",
                           data={"check-contrast": "no", "csrf_token": csrf_of(trainee)})
    assert started.status_code == 303 and started.headers["location"].startswith("/scanroom/ct?task=")
    attempt = db.scalar(select(TaskAttempt))
    assert attempt is not None
    console = trainee.get(f"/scanroom/ct?task={attempt.id}&protocol=chest-routine&patient=child-5y")
    assert console.status_code == 200 and 'id="task-banner"' in console.text
    assert 'name="patient" value="adult-male"' in console.text  # the scenario's patient, whatever the URL says
    assert f'name="task" value="{attempt.id}"' in console.text
    assert trainee.get(f"/scanroom/mri?task={attempt.id}").status_code == 404  # not this room's task
    assert client_for("trainee2").get(f"/scanroom/ct?task={attempt.id}").status_code == 404


def test_mri_task_end_to_end(client_for, world: World, db: Session) -> None:  # type: ignore[no-untyped-def]
    trainee = client_for("trainee")
    token = csrf_of(trainee)
    started = trainee.post("/competency/tasks/mri-brain-conditional-pacemaker/start", data={"csrf_token": token})
    assert started.status_code == 303 and "case=conditional-pacemaker" in started.headers["location"]
    attempt = db.scalar(select(TaskAttempt))
    assert attempt is not None
    decided = trainee.post("/scanroom/mri/screening", data={"case": "routine-brain", "decision":
                                                            "proceed-with-conditions", "task": str(attempt.id),
                                                            "csrf_token": token})
    assert decided.status_code == 303 and decided.headers["location"].endswith(f"&task={attempt.id}")
    for sequence in ("t2-tse", "flair"):
        page = trainee.get(f"/scanroom/mri?task={attempt.id}&sequence={sequence}")
        assert 'id="task-banner"' in page.text
        form = {"case": "conditional-pacemaker", "sequence": sequence, "b0_t": "1.5", "task": str(attempt.id),
                "csrf_token": token}
        made = trainee.post("/scanroom/mri/scan", data=form)
        assert made.status_code == 303, made.text[-2000:]
    assert trainee.post(f"/competency/attempts/{attempt.id}/submit", data={"csrf_token": token}).status_code == 303
    db.expire_all()
    done = db.get(TaskAttempt, attempt.id)
    assert done is not None and done.score == 100.0, done.breakdown
    assert done.screening_decision == "proceed-with-conditions"
    # a second attempt whose first decision is unsafe: screening lost, and the console stays blocked
    again = trainee.post("/competency/tasks/mri-brain-conditional-pacemaker/start", data={"csrf_token": token})
    second = int(again.headers["location"].split("task=")[1].split("&")[0])
    trainee.post("/scanroom/mri/screening", data={"case": "conditional-pacemaker", "decision": "proceed",
                                                  "task": str(second), "csrf_token": token})
    blocked = trainee.post("/scanroom/mri/scan", data={"case": "conditional-pacemaker", "sequence": "t2-tse",
                                                       "task": str(second), "csrf_token": token})
    assert blocked.status_code == 422
    trainee.post(f"/competency/attempts/{second}/submit", data={"csrf_token": token})
    page = trainee.get(f"/competency/attempts/{second}")
    assert "MR safety screening: your first decision was &#39;proceed&#39;" in page.text
