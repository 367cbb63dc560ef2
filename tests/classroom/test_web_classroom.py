"""Classroom pages over HTTP: lesson rendering and links, practice → review queue → progress per objective,
the exam builder's validation, and item statistics with IRT calibration from responses."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy.orm import Session

from scanroom.learning import exams, irt, stats
from scanroom.learning.content import load
from scanroom.store.models_learning import ClassroomAttempt, ClassroomItemParams, ClassroomResponse
from tests.conftest import World, csrf_of

FIXTURES = Path(__file__).parent / "fixtures" / "content"


@pytest.fixture()
def fixture_content(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SCANROOM_CONTENT_DIR", str(FIXTURES))
    return FIXTURES


def test_lesson_page_links_and_markdown(fixture_content: Path, client_for, world: World) -> None:
    client = client_for("trainee")
    page = client.get("/classroom/lessons/xray-inverse-square")
    assert page.status_code == 200
    assert "<h2>Why distance matters</h2>" in page.text
    assert 'href="/classroom/lessons/xray-kvp-mas"' in page.text  # lesson: link rewritten
    assert 'href="/scanroom/xray?exam=chest-pa&amp;sid_cm=180"' in page.text  # try it
    assert 'href="/reading?tags=chest"' in page.text  # read it
    assert "Bushberg JT" in page.text
    assert client.get("/classroom/lessons/nope").status_code == 404
    assert client.get("/classroom/lessons/xray-inverse-square/figures/..%2Fsecret").status_code == 404
    home = client.get("/classroom")
    assert "The inverse-square law" in home.text
    lessons = client.get("/api/v1/classroom/lessons").json()
    assert {lesson["id"] for lesson in lessons} == {"xray-inverse-square", "xray-kvp-mas"}


def test_practice_feedback_review_and_progress(fixture_content: Path, client_for, world: World) -> None:
    client = client_for("trainee")
    headers = {"X-CSRF-Token": csrf_of(client)}
    page = client.get("/classroom/practice?objective=xray-inverse-square/1")
    assert page.status_code == 200 and "Check answer" in page.text
    wrong = client.post("/classroom/practice", data={"item_id": "fx-single", "answer": "0"}, headers=headers)
    assert wrong.status_code == 200 and "Not quite." in wrong.text and "(1/2)^2 = 1/4." in wrong.text
    right = client.post("/classroom/practice", data={"item_id": "fx-numeric", "answer": "32,4 mAs"}, headers=headers)
    assert "Correct." in right.text
    bad = client.post("/classroom/practice", data={"item_id": "fx-numeric", "answer": "lots"}, headers=headers)
    assert bad.status_code == 422 and "Type a number" in bad.text
    order = client.post("/classroom/practice", headers=headers, data={
        "item_id": "fx-ordering", "position_1": "1", "position_3": "2", "position_0": "3", "position_2": "4"})
    assert "Correct." in order.text
    review_page = client.get("/classroom/review")
    assert "Doubling the SID" in review_page.text  # the missed item is due now
    card_id = review_page.text.split('action="/classroom/review/')[1].split('"')[0]
    reviewed = client.post(f"/classroom/review/{card_id}", data={"answer": "3", "rating": "good"}, headers=headers)
    assert "Rated <strong>good</strong>" in reviewed.text
    assert client_for("trainee2").post(f"/classroom/review/{card_id}", data={"answer": "3"},
                                       headers=headers).status_code in (403, 404)
    home = client.get("/classroom")
    assert "Your progress per objective" in home.text and "xray-inverse-square/1" in home.text


def test_exam_builder_shows_errors_beside_fields(client_for, world: World) -> None:
    client = client_for("instructor")
    headers = {"X-CSRF-Token": csrf_of(client)}
    response = client.post("/classroom/instructor/exams", headers=headers, data={
        "title": "", "cohort_id": str(world.cohort.id), "kind": "fixed", "blueprint_physics": "2",
        "time_limit_min": "20"})
    assert response.status_code == 400 and "Give the exam a title." in response.text
    response = client.post("/classroom/instructor/exams", headers=headers, data={
        "title": "Quiz", "cohort_id": str(world.cohort.id), "kind": "fixed", "blueprint_physics": "2",
        "time_limit_min": "0"})
    assert response.status_code == 400 and "Time limit (minutes) must be between 1 and 600." in response.text
    built = client.post("/classroom/instructor/exams", headers=headers, data={
        "title": "Quiz", "cohort_id": str(world.cohort.id), "kind": "fixed", "blueprint_physics": "2",
        "time_limit_min": "20"})
    assert built.status_code == 303
    other = client_for("other-instructor")
    assert other.get(built.headers["location"]).status_code == 404  # not their cohort
    refused = other.post("/classroom/instructor/exams", headers={"X-CSRF-Token": csrf_of(other)}, data={
        "title": "Sneaky", "cohort_id": str(world.cohort.id), "kind": "fixed", "blueprint_physics": "1",
        "time_limit_min": "5"})
    assert refused.status_code == 400 and "cohorts you teach" in refused.text


def test_item_statistics_by_hand(db: Session, world: World) -> None:
    """p, corrected point-biserial and the upper/lower distractor table on a tiny hand-made matrix."""
    content = load(FIXTURES, generated=False)
    exam = exams.create_exam(db, world.instructor, cohort_id=world.cohort.id, title="S", kind="fixed",
                             blueprint={"physics": 1}, time_limit_min=5, seed=1)
    scores = [[1, 1, 1], [1, 1, 0], [1, 0, 0], [0, 0, 0], [0, 1, 1]]  # persons × (fx-single, fx-numeric, fx-ordering)
    ids = ["fx-single", "fx-numeric", "fx-ordering"]
    for n, row in enumerate(scores):
        attempt = ClassroomAttempt(exam_id=exam.id, user_id=world.trainee.id, number=n + 1, status="submitted",
                                   deadline_at=exams.now_utc())
        db.add(attempt)
        db.flush()
        for item_id, correct in zip(ids, row, strict=True):
            response = (3 if correct else 1) if item_id == "fx-single" else None
            db.add(ClassroomResponse(user_id=world.trainee.id, item_id=item_id, context="exam", attempt_id=attempt.id,
                                     response=response, correct=bool(correct), score=float(correct)))
    db.commit()
    table = {s.item_id: s for s in stats.item_analysis(db, content.items)}
    first = table["fx-single"]
    x = np.array(scores, dtype=float)
    rest = x.sum(axis=1) - x[:, 0]
    assert first.n == 5 and first.p == pytest.approx(0.6)
    assert first.discrimination == pytest.approx(np.corrcoef(x[:, 0], rest)[0, 1])
    keyed = next(o for o in first.options if o["keyed"])
    assert keyed["text"] == "1/4" and keyed["chosen"] == 3
    assert next(o for o in first.options if o["text"] == "1/2")["chosen"] == 2


def test_calibration_from_exam_responses(db: Session, world: World) -> None:
    exam = exams.create_exam(db, world.instructor, cohort_id=world.cohort.id, title="C", kind="fixed",
                             blueprint={"physics": 1}, time_limit_min=5, seed=1)
    true = irt.ItemParams(np.array([1.0, 1.5, 2.0, 1.2]), np.array([-1.0, 0.0, 0.5, 1.0]), np.zeros(4))
    rng = np.random.default_rng(9)
    p = irt.probability(rng.standard_normal(300), true.a, true.b, true.c)
    x = rng.random(p.shape) < p
    attempts = [ClassroomAttempt(exam_id=exam.id, user_id=world.trainee.id, number=n + 1, status="submitted",
                                 deadline_at=exams.now_utc()) for n in range(len(x))]
    db.add_all(attempts)
    db.flush()
    db.add_all([ClassroomResponse(user_id=world.trainee.id, item_id=f"cal-{j}", context="exam", attempt_id=a.id,
                                  correct=bool(x[i, j]), score=float(x[i, j]))
                for i, a in enumerate(attempts) for j in range(4)])
    db.commit()
    assert stats.calibrate_bank(db, min_responses=301) == 0  # not enough responses yet
    assert stats.calibrate_bank(db, min_responses=200) == 4
    db.commit()
    fitted = {row.item_id: row for row in db.query(ClassroomItemParams)}
    b = np.array([fitted[f"cal-{j}"].b for j in range(4)])
    assert np.all(np.diff(b) > 0) and np.abs(b - true.b).max() < 0.45


def test_key_facts_reviewed_with_fsrs(fixture_content: Path, client_for, world: World) -> None:
    client = client_for("trainee")
    headers = {"X-CSRF-Token": csrf_of(client)}
    assert "Add them to my review" in client.get("/classroom/lessons/xray-inverse-square").text
    added = client.post("/classroom/lessons/xray-inverse-square/facts", headers=headers)
    assert added.status_code == 303
    page = client.get("/classroom/review")
    assert "Air kerma at twice the distance" in page.text and "A quarter" not in page.text  # back hidden
    card_id = page.text.split('action="/classroom/review/')[1].split('"')[0]
    revealed = client.post(f"/classroom/review/{card_id}", headers=headers)
    assert "A quarter: K ∝ 1/d²" in revealed.text
    rated = client.post(f"/classroom/review/{card_id}", data={"rating": "easy"}, headers=headers)
    assert rated.status_code == 303
    assert "mAs to keep receptor exposure" in client.get("/classroom/review").text  # the second fact is next
