"""Exams: server-side deadline, resume, refusal after the deadline with the attempt kept (must-show 6),
adaptive tests, keys never in the page before submission, instructor results and CSV."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from scanroom.accounts.service import ValidationProblem
from scanroom.learning import exams
from scanroom.store.models_learning import ClassroomAttempt, ClassroomResponse
from tests.conftest import World, csrf_of

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _fixed(db: Session, world: World, minutes: int = 10, attempts: int = 1):  # type: ignore[no-untyped-def]
    exam = exams.create_exam(db, world.instructor, cohort_id=world.cohort.id, title="Timed form", kind="fixed",
                             blueprint={"physics": 3, "radiation-safety": 2}, time_limit_min=minutes,
                             max_attempts=attempts, cut_score=60, seed=4)
    db.commit()
    return exam


def _right(item_id: str):  # type: ignore[no-untyped-def]
    item = exams.item(item_id)
    if item.type == "numeric":
        return f"{item.key.value:.6g}"
    if item.type in ("multiple", "ordering"):
        return list(item.key)
    if item.type == "single":
        return item.key
    return None


def test_blueprint_and_validation(db: Session, world: World) -> None:
    exam = _fixed(db, world)
    topics = [exams.item(i).topic for i in exam.item_ids]
    assert sorted(topics) == ["physics"] * 3 + ["radiation-safety"] * 2
    with pytest.raises(ValidationProblem) as problem:
        exams.create_exam(db, world.instructor, cohort_id=world.cohort.id, title="x", kind="fixed",
                          blueprint={"physics": 100000}, time_limit_min=5)
    assert problem.value.field == "blueprint_physics"


def test_late_submission_is_refused_and_attempt_kept(db: Session, world: World) -> None:
    exam = _fixed(db, world, minutes=10)
    attempt = exams.start_attempt(db, world.trainee, exam, T0)
    assert attempt.deadline_at == T0 + timedelta(minutes=10)
    first = exam.item_ids[0]
    exams.save_answer(db, exam, attempt, first, _right(first), T0 + timedelta(minutes=3))
    # reload later: the same attempt, the deadline unchanged, time still counting
    again = exams.start_attempt(db, world.trainee, exam, T0 + timedelta(minutes=6))
    assert again.id == attempt.id and exams.remaining_s(again, T0 + timedelta(minutes=6)) == pytest.approx(240)
    db.commit()
    with pytest.raises(exams.DeadlinePassed) as late:
        exams.submit(db, exam, attempt, {exam.item_ids[1]: _right(exam.item_ids[1])}, T0 + timedelta(minutes=11))
    assert "Time is up" in str(late.value) and "kept" in str(late.value)
    db.commit()
    kept = db.get(ClassroomAttempt, attempt.id)
    assert kept is not None and kept.status == "expired"
    assert set(kept.answers) == {first}  # the late answer was not accepted
    assert kept.score == pytest.approx(100 / len(exam.item_ids))
    assert db.query(ClassroomResponse).filter_by(attempt_id=attempt.id).count() == len(exam.item_ids)
    with pytest.raises(ValidationProblem):
        exams.start_attempt(db, world.trainee, exam, T0 + timedelta(minutes=12))  # one attempt only


def test_adaptive_test_reports_theta_se_and_pass(db: Session, world: World) -> None:
    exam = exams.create_exam(db, world.instructor, cohort_id=world.cohort.id, title="CAT", kind="adaptive",
                             blueprint={"physics": 1, "acquisition": 1}, time_limit_min=30, cut_score=0.0,
                             target_se=0.6, max_items=8)
    attempt = exams.start_attempt(db, world.trainee, exam, T0)
    steps = 0
    while attempt.status == "open":
        current = exams.current_items(exam, attempt)
        assert len(current) == 1
        response = _right(current[0].item_id)
        if response is None:  # image items: answer something readable (it is scored wrong)
            response = {"x": 1, "y": 1} if current[0].type == "hotspot" else ["?"] * len(current[0].key)
        exams.save_answer(db, exam, attempt, current[0].item_id, response, T0 + timedelta(minutes=1))
        steps += 1
    assert 3 <= steps <= 8
    assert attempt.theta is not None and attempt.se is not None
    assert attempt.se <= 0.6 or steps == 8
    assert attempt.passed == (attempt.theta >= 0.0)
    assert len(set(attempt.administered)) == len(attempt.administered)


def _signed_in(client_for, username: str):  # type: ignore[no-untyped-def]
    client = client_for(username)
    return client, {"X-CSRF-Token": csrf_of(client)}


def test_exam_over_the_web_keys_hidden_resume_and_csv(db: Session, world: World, client_for) -> None:
    exam = _fixed(db, world, minutes=20, attempts=2)
    trainee, headers = _signed_in(client_for, "trainee")
    started = trainee.post(f"/classroom/exams/{exam.id}/start", headers=headers)
    assert started.status_code == 303
    page = trainee.get(started.headers["location"])
    assert page.status_code == 200 and 'id="time-left"' in page.text
    for item_id in exam.item_ids:  # nothing that gives the key away
        item = exams.item(item_id)
        assert item.explanation[:40] not in page.text if item.explanation else True
        if item.type == "numeric":
            assert f"{item.key.value:.6g}" not in page.text
    attempt_id = int(started.headers["location"].rsplit("/", 1)[1])
    first = exams.item(exam.item_ids[0])
    fields = {"answer": str(_right(first.item_id))} if first.type in ("single", "numeric") else {}
    if fields:
        saved = trainee.put(f"/api/v1/classroom/attempts/{attempt_id}/answers/{first.item_id}",
                            json={"fields": fields}, headers=headers)
        assert saved.status_code == 200, saved.text
    status = trainee.get(f"/api/v1/classroom/attempts/{attempt_id}").json()
    assert status["status"] == "open" and 0 < status["remaining_s"] <= 1200
    # another trainee cannot see or answer it
    other, other_headers = _signed_in(client_for, "trainee2")
    assert other.get(f"/classroom/attempts/{attempt_id}").status_code == 404
    assert other.put(f"/api/v1/classroom/attempts/{attempt_id}/answers/{first.item_id}", json={"fields": {}},
                     headers=other_headers).status_code == 404
    done = trainee.post(f"/classroom/attempts/{attempt_id}/submit", headers=headers)
    assert done.status_code == 303
    result = trainee.get(f"/classroom/attempts/{attempt_id}")
    assert "Questions with explanations" in result.text
    instructor, _h = _signed_in(client_for, "instructor")
    csv_text = instructor.get(f"/classroom/instructor/exams/{exam.id}/results.csv").text
    assert csv_text.splitlines()[0].startswith("exam,kind,username")
    assert ",trainee," in csv_text and "submitted" in csv_text
    assert instructor.get("/classroom/instructor").status_code == 200


def test_late_submission_over_the_web(db: Session, world: World, client_for) -> None:
    exam = _fixed(db, world, minutes=5)
    attempt = exams.start_attempt(db, world.trainee, exam, datetime.now(UTC) - timedelta(minutes=6))
    db.commit()
    trainee, headers = _signed_in(client_for, "trainee")
    late = trainee.post(f"/classroom/attempts/{attempt.id}/submit", headers=headers)
    assert late.status_code == 409
    assert "Time is up" in late.text and "was not accepted" in late.text
    db.expire_all()
    kept = db.get(ClassroomAttempt, attempt.id)
    assert kept is not None and kept.status == "expired"


def test_lesson_try_it_links_open_consoles_with_settings(client_for, world: World) -> None:
    import re

    client = client_for("trainee")
    xray = client.get("/scanroom/xray?exam=chest-pa&sid_cm=150")
    assert xray.status_code == 200 and re.search(r'name="sid_cm"[^>]*value="150(\.0)?"', xray.text)
    assert client.get("/scanroom/xray?exam=chest-pa&sid_cm=5000").status_code == 422
    ct = client.get("/scanroom/ct?protocol=head-routine&kvp=100")
    assert ct.status_code == 200 and '<option value="100" selected>' in ct.text
    mri = client.get("/scanroom/mri?sequence=t1-se&tr_ms=420")
    assert mri.status_code == 200 and re.search(r'name="tr_ms"[^>]*value="420(\.0)?"', mri.text)


def test_practice_refuses_items_of_an_open_exam(db: Session, world: World, client_for) -> None:
    """Practice shows keys; an item of an exam being sat must not be answerable there."""
    exam = _fixed(db, world, minutes=30)
    exams.start_attempt(db, world.trainee, exam)
    db.commit()
    trainee, headers = _signed_in(client_for, "trainee")
    item_id = exam.item_ids[0]
    refused = trainee.post("/classroom/practice", data={"item_id": item_id, "answer": "0"}, headers=headers)
    assert refused.status_code == 422 and "part of an exam you are sitting" in refused.text
    assert "Expected:" not in refused.text
    other, other_headers = _signed_in(client_for, "trainee2")  # not sitting it: practice works
    assert other.post("/classroom/practice", data={"item_id": item_id, "answer": "0"},
                      headers=other_headers).status_code == 200


def test_demo_seeds_a_fixed_form_and_an_adaptive_test(db: Session, world: World, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from scanroom.demo import seed_demo
    from scanroom.store.models_learning import ClassroomExam

    seed_demo(db, tmp_path, with_images=False)
    seed_demo(db, tmp_path, with_images=False)  # idempotent
    db.commit()
    kinds = sorted(e.kind for e in db.query(ClassroomExam).filter_by(cohort_id=world.cohort.id))
    assert kinds == ["adaptive", "fixed"]


def test_adaptive_test_over_the_web(db: Session, world: World, client_for) -> None:
    exam = exams.create_exam(db, world.instructor, cohort_id=world.cohort.id, title="Web CAT", kind="adaptive",
                             blueprint={"physics": 1}, time_limit_min=30, cut_score=0.0, target_se=0.6,
                             max_items=4)
    db.commit()
    trainee, headers = _signed_in(client_for, "trainee")
    location = trainee.post(f"/classroom/exams/{exam.id}/start", headers=headers).headers["location"]
    attempt_id = int(location.rsplit("/", 1)[1])
    for _step in range(5):
        page = trainee.get(location)
        if "Questions with explanations" in page.text:
            break
        item_id = page.text.split('name="item_id" value="')[1].split('"')[0]
        item = exams.item(item_id)
        data = {"item_id": item_id}
        if item.type == "single":
            data["q0_answer"] = str(item.key)
        elif item.type == "numeric":
            data["q0_answer"] = f"{item.key.value:.6g}"
        elif item.type == "multiple":
            data["q0_answer"] = [str(i) for i in item.key]  # type: ignore[assignment]
        elif item.type == "ordering":
            data.update({f"q0_position_{i}": str(pos + 1) for pos, i in enumerate(item.key)})
        else:
            data.update({"q0_answer_x": "1", "q0_answer_y": "1"} if item.type == "hotspot"
                        else {f"q0_marker_{m}": "x" for m in range(len(item.key))})
        answered = trainee.post(f"/classroom/attempts/{attempt_id}/answer", data=data, headers=headers)
        assert answered.status_code == 303, answered.text[:500]
    result = trainee.get(location)
    assert "Ability estimate θ" in result.text and "SE" in result.text
    db.expire_all()
    attempt = db.get(ClassroomAttempt, attempt_id)
    assert attempt is not None and attempt.status == "submitted" and attempt.theta is not None
