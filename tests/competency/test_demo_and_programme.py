"""The demo seeding (framework choice, two set tasks, one sign-off) and programme settings by instructors."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scanroom.accounts.service import NotAllowed, ValidationProblem
from scanroom.competency import records
from scanroom.competency.demo import DEMO_TASKS, seed_competency_demo
from scanroom.store.models import Modality, Programme, User
from scanroom.store.models_competency import SignOff
from tests.conftest import World, csrf_of
from tests.test_cli import run_cli


def test_demo_seeding_is_idempotent(db: Session, world: World, client_for, database_url: str,  # type: ignore[no-untyped-def]
                                    tmp_path: Path) -> None:
    trainee = db.get(User, world.trainee.id)
    assert trainee is not None
    trainee.username = "trainee"  # the demo's names (the world already uses them)
    for _ in range(2):
        seed_competency_demo(db, world.cohort)
        db.commit()
    assert records.chosen_framework_id(db, world.programme) == "arrt-radiography-2022"
    assert records.programme_task_ids(db, world.programme) == list(DEMO_TASKS)
    assert db.scalar(select(func.count()).select_from(SignOff)) == 1
    home = client_for("trainee").get("/competency")
    assert 'id="set-tasks"' in home.text and "AP pelvis in resus" in home.text
    assert "gpc-cpr" in records.competency_record(db, world.trainee).met_ids
    if database_url.startswith("sqlite"):  # the CLI export reads the same database
        env = {"SCANROOM_DATABASE_URL": database_url, "SCANROOM_VAR_DIR": str(tmp_path)}
        out = tmp_path / "record.pdf"
        done = run_cli("competency", "record", "export", "trainee", "--out", str(out), env_extra=env, cwd=tmp_path)
        assert done.returncode == 0 and "1 of 82 requirements met" in done.stdout, done.stderr  # 80 + 2 local
        text = "\n".join(page.extract_text() for page in PdfReader(out).pages)
        assert "Competency record: Trainee" in text and "CPR/BLS certified" in text
        bad = run_cli("competency", "record", "export", "trainee", "--out", str(tmp_path / "x.txt"), env_extra=env)
        assert bad.returncode == 1 and bad.stderr.startswith("scanroom: error:")


def test_programme_framework_tasks_and_local_requirements(db: Session, world: World, client_for) -> None:  # type: ignore[no-untyped-def]
    instructor = client_for("instructor")
    token = csrf_of(instructor)
    bad = instructor.post(f"/competency/programmes/{world.programme.id}/framework",
                          data={"framework_id": "nope", "csrf_token": token})
    assert bad.status_code == 422 and 'role="alert"' in bad.text and "No framework &#39;nope&#39;" in bad.text
    assert instructor.post(f"/competency/programmes/{world.programme.id}/framework",
                           data={"framework_id": "acgme-diagnostic-radiology", "csrf_token": token}).status_code == 303
    local = instructor.post(f"/competency/programmes/{world.programme.id}/requirements",
                            data={"requirement_id": "injector", "title": "Power injector, loading and safety checks",
                                  "evidence": ["practical", "signoff"], "csrf_token": token})
    assert local.status_code == 303
    framework = records.framework_for(db, world.trainee)
    assert framework.id == "acgme-diagnostic-radiology" and framework.has("local-injector")
    # milestones need a level; the local requirement is signed off like any other
    page = instructor.post(f"/competency/trainees/{world.trainee.id}/signoff",
                           data={"requirement_id": "pc1-reporting", "csrf_token": token})
    assert page.status_code == 422 and "milestone level" in page.text
    for level in (3, 4):
        assert instructor.post(f"/competency/trainees/{world.trainee.id}/signoff",
                               data={"requirement_id": "pc1-reporting", "level": str(level),
                                     "csrf_token": token}).status_code == 303
    assert instructor.post(f"/competency/trainees/{world.trainee.id}/signoff",
                           data={"requirement_id": "local-injector", "csrf_token": token}).status_code == 303
    record = records.competency_record(db, world.trainee)
    item = next(i for i in record.items if i.requirement.id == "pc1-reporting")
    assert item.level == 4 and item.status == "met"  # level 4 is the ACGME graduation target
    assert "local-injector" in record.met_ids and not record.complete
    other = Programme(name="Elsewhere", modality=Modality.CT, level="x")
    db.add(other)
    db.commit()
    assert instructor.post(f"/competency/programmes/{other.id}/tasks", data={"task_id": "ct-head-trauma",
                                                                            "csrf_token": token}).status_code == 404
    with pytest.raises(NotAllowed):
        records.set_programme_tasks(db, other, ["ct-head-trauma"], world.instructor)
    with pytest.raises(ValidationProblem):
        records.set_programme_tasks(db, world.programme, ["no-such-task"], world.instructor)
    with pytest.raises(ValidationProblem):
        records.record_evidence(db, world.trainee, "no-such-requirement", "exam", "exam:1", 50, False)
    with pytest.raises(ValidationProblem):
        records.record_evidence(db, world.trainee, "pc1-reporting", "gossip", "x", 50, False)
    evidence = records.record_evidence(db, world.trainee.id, "pc1-reporting", "exam", "exam:7", 88.0, True)
    assert evidence.kind == "exam" and evidence.score == 88.0
