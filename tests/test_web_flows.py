"""End-to-end flows through the web app: admin, instructor and trainee work, forms and API errors."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from scanroom.store.models import Cohort, Enrolment, Programme, User
from tests.conftest import World, csrf_of, login


def test_admin_creates_user_programme_cohort_and_assigns_instructor(client_for, world: World,  # type: ignore[no-untyped-def]
                                                                     db: Session) -> None:
    admin = client_for("admin")
    token = csrf_of(admin)
    r = admin.post("/admin/users", data={"username": "Jo.Smith", "full_name": "Jo Smith", "role": "instructor",
                                         "password": "instructor-pass-1", "csrf_token": token})
    assert r.status_code == 200 and "Created user jo.smith" in r.text
    r = admin.post("/admin/programmes", data={"name": "CT — advanced practitioner", "modality": "ct",
                                              "level": "advanced", "csrf_token": token})
    assert r.status_code == 200
    programme_id = db.scalar(select(Programme.id).where(Programme.name == "CT — advanced practitioner"))
    r = admin.post("/admin/cohorts", data={"name": "CT 2027", "programme_id": str(programme_id),
                                           "start_year": "2027", "csrf_token": token})
    assert r.status_code == 200 and "Created cohort CT 2027" in r.text
    cohort_id = db.scalar(select(Cohort.id).where(Cohort.name == "CT 2027"))
    r = admin.post("/admin/enrolments", data={"cohort_id": str(cohort_id), "username": "jo.smith",
                                              "role": "instructor", "csrf_token": token})
    assert r.status_code == 200, r.text
    jo = client_for(None)
    login(jo, "jo.smith", "instructor-pass-1")
    assert "CT 2027" in jo.get("/instructor").text


def test_invalid_admin_form_rerenders_with_error_beside_field(client_for, world: World, db: Session) -> None:  # type: ignore[no-untyped-def]
    admin = client_for("admin")
    r = admin.post("/admin/users", data={"username": "bad name!", "role": "trainee", "password": "short",
                                         "csrf_token": csrf_of(admin)})
    assert r.status_code == 400
    assert 'id="e-username"' in r.text and 'aria-invalid="true"' in r.text
    assert 'value="bad name!"' in r.text  # what was typed is kept
    r = admin.post("/admin/users", data={"username": "fine.name", "role": "trainee", "password": "short",
                                         "csrf_token": csrf_of(admin)})
    assert r.status_code == 400 and 'id="e-password"' in r.text and "at least 10" in r.text
    r = admin.post("/admin/cohorts", data={"name": "X", "programme_id": str(world.programme.id),
                                           "start_year": "soon", "csrf_token": csrf_of(admin)})
    assert r.status_code == 400 and 'id="e-start_year"' in r.text
    assert db.scalar(select(User).where(User.username == "fine.name")) is None


def test_api_answers_422_with_readable_detail(client_for, world: World) -> None:  # type: ignore[no-untyped-def]
    admin = client_for("admin")
    r = admin.post("/api/v1/users", json={"username": "x", "password": "123"},
                   headers={"X-CSRF-Token": csrf_of(admin)})
    assert r.status_code == 422
    body = r.json()
    fields = {item["field"] for item in body["detail"]}
    assert {"username", "password"} <= fields
    assert "password" in body["message"] and "at least 10" in body["message"]
    r = admin.post("/api/v1/users", json={"username": "trainee", "password": "long-enough-pw"},
                   headers={"X-CSRF-Token": csrf_of(admin)})
    assert r.status_code == 422 and "already exists" in r.json()["detail"][0]["message"]


def test_instructor_enrols_trainee_and_sees_progress(client_for, world: World, db: Session) -> None:  # type: ignore[no-untyped-def]
    newbie = User(username="newbie", role=world.trainee.role, password_hash=world.trainee.password_hash)
    db.add(newbie)
    db.commit()
    instructor = client_for("instructor")
    r = instructor.post(f"/instructor/cohorts/{world.cohort.id}/enrol",
                        data={"username": "newbie", "csrf_token": csrf_of(instructor)})
    assert r.status_code == 200 and "Enrolled newbie" in r.text
    assert db.scalar(select(Enrolment).where(Enrolment.user_id == newbie.id)) is not None
    r = instructor.post(f"/instructor/cohorts/{world.cohort.id}/enrol",
                        data={"username": "newbie", "csrf_token": csrf_of(instructor)})
    assert r.status_code == 400 and "already enrolled" in r.text
    r = instructor.post(f"/instructor/cohorts/{world.cohort.id}/enrol",
                        data={"username": "admin", "csrf_token": csrf_of(instructor)})
    assert r.status_code == 400 and "not a trainee" in r.text

    trainee = client_for("trainee")
    sample = trainee.get("/api/v1/images").json()[0]
    assert trainee.get(f"/viewer/{sample['study_uid']}/{sample['series_uid']}").status_code == 200
    progress = instructor.get(f"/api/v1/trainees/{world.trainee.id}/progress").json()
    assert progress["gallery_opened"] == 1 and progress["gallery_total"] == 8
    page = instructor.get(f"/instructor/trainees/{world.trainee.id}")
    assert "1 of 8" in page.text


def test_trainee_home_shows_next_steps_and_progress(client_for, world: World) -> None:  # type: ignore[no-untyped-def]
    trainee = client_for("trainee")
    page = trainee.get("/trainee")
    assert page.status_code == 200
    assert "What to do next" in page.text and "Chest radiograph" in page.text
    assert "0 of 8" in page.text and "Radiography 2026" in page.text
    assert "not for clinical use" in page.text


def test_annotations_round_trip_and_stay_private(client_for, world: World) -> None:  # type: ignore[no-untyped-def]
    trainee, other = client_for("trainee"), client_for("trainee2")
    sample = trainee.get("/api/v1/images").json()[0]
    url = f"/api/v1/annotations/{sample['study_uid']}/{sample['series_uid']}"
    marks = {"annotations": [
        {"tool": "ArrowAnnotate", "sopInstanceUID": sample["sop_instance_uid"], "imageIndex": 0,
         "points_image": [[100.0, 120.5], [140.0, 160.0]], "label": "nodule?"},
        {"tool": "EllipticalROI", "sopInstanceUID": sample["sop_instance_uid"], "imageIndex": 0,
         "points_image": [[10, 10], [30, 10], [20, 5], [20, 15]], "stats": {"mean": 12.5}}]}
    r = trainee.put(url, json=marks, headers={"X-CSRF-Token": csrf_of(trainee)})
    assert r.status_code == 200
    back = trainee.get(url).json()["annotations"]
    assert [a["tool"] for a in back] == ["ArrowAnnotate", "EllipticalROI"]
    assert back[0]["label"] == "nodule?" and back[1]["stats"] == {"mean": 12.5}
    assert other.get(url).json()["annotations"] == []
    bad = trainee.put(url, json={"annotations": [{"tool": ""}]}, headers={"X-CSRF-Token": csrf_of(trainee)})
    assert bad.status_code == 422
    assert len(trainee.get(url).json()["annotations"]) == 2  # nothing saved was lost
    missing = trainee.put("/api/v1/annotations/1.2.3/4.5.6", json=marks, headers={"X-CSRF-Token": csrf_of(trainee)})
    assert missing.status_code == 404


def test_openapi_schema_lists_the_api(client_for, world: World) -> None:  # type: ignore[no-untyped-def]
    schema = client_for(None).get("/api/v1/openapi.json").json()
    assert "/api/v1/me" in schema["paths"] and "/dicomweb/studies" in schema["paths"]
