"""Every route × every role gives the expected status; the table must cover every route the app has."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from scanroom.dicom.library import gallery
from scanroom.optional import import_optional
from tests.conftest import World, csrf_of

ROLES = ("anonymous", "trainee", "instructor", "admin")
PAGE_ANON = 303  # pages send anonymous visitors to the sign-in page
API_ANON = 401

# (method, path template) -> expected status for (anonymous, trainee, instructor, admin).
# Writes are sent with a valid CSRF token and an empty body, so a permitted caller gets a validation answer.
MATRIX: dict[tuple[str, str], tuple[int, int, int, int]] = {
    ("GET", "/healthz"): (200, 200, 200, 200),
    ("GET", "/"): (303, 303, 303, 303),
    ("GET", "/login"): (200, 303, 303, 303),
    ("POST", "/login"): (400, 400, 400, 400),
    ("POST", "/logout"): (303, 303, 303, 303),
    ("GET", "/trainee"): (PAGE_ANON, 200, 403, 403),
    ("GET", "/gallery"): (PAGE_ANON, 200, 200, 200),
    ("GET", "/viewer/{study_uid}/{series_uid}"): (PAGE_ANON, 200, 200, 200),
    ("GET", "/account/password"): (PAGE_ANON, 200, 200, 200),
    ("POST", "/account/password"): (PAGE_ANON, 400, 400, 400),
    ("GET", "/instructor"): (PAGE_ANON, 403, 200, 200),
    ("GET", "/instructor/cohorts/{cohort_id}"): (PAGE_ANON, 403, 200, 200),
    ("POST", "/instructor/cohorts/{cohort_id}/enrol"): (PAGE_ANON, 403, 400, 400),
    ("GET", "/instructor/trainees/{trainee_id}"): (PAGE_ANON, 403, 200, 200),
    ("GET", "/admin"): (PAGE_ANON, 403, 403, 200),
    ("POST", "/admin/users"): (PAGE_ANON, 403, 403, 400),
    ("POST", "/admin/programmes"): (PAGE_ANON, 403, 403, 400),
    ("POST", "/admin/cohorts"): (PAGE_ANON, 403, 403, 400),
    ("POST", "/admin/enrolments"): (PAGE_ANON, 403, 403, 400),
    ("GET", "/patients"): (PAGE_ANON, 200, 200, 200),
    ("GET", "/patients/{patient_id}"): (PAGE_ANON, 200, 200, 200),
    ("GET", "/patients/{patient_id}/preview.png"): (PAGE_ANON, 200, 200, 200),
    ("GET", "/scanroom/xray"): (PAGE_ANON, 200, 200, 200),
    ("GET", "/scanroom/xray/positioning.png"): (PAGE_ANON, 200, 200, 200),
    ("POST", "/scanroom/xray/expose"): (PAGE_ANON, 303, 303, 303),
    ("GET", "/scanroom/ct"): (PAGE_ANON, 200, 200, 200),
    ("GET", "/scanroom/ct/scout.png"): (PAGE_ANON, 200, 200, 200),
    ("POST", "/scanroom/ct/scan"): (PAGE_ANON, 404, 404, 404),
    ("GET", "/scanroom/mri"): (PAGE_ANON, 200, 200, 200),
    ("POST", "/scanroom/mri/screening"): (PAGE_ANON, 404, 404, 404),
    ("GET", "/scanroom/mri/estimate"): (PAGE_ANON, 200, 200, 200),
    ("GET", "/scanroom/mri/localiser.png"): (PAGE_ANON, 200, 200, 200),
    ("POST", "/scanroom/mri/scan"): (PAGE_ANON, 404, 404, 404),
    ("GET", "/scanroom/mri/kspace/{record_id}.png"): (PAGE_ANON, 404, 404, 404),
    ("GET", "/api/v1/me"): (API_ANON, 200, 200, 200),
    ("GET", "/api/v1/users"): (API_ANON, 403, 403, 200),
    ("POST", "/api/v1/users"): (API_ANON, 403, 403, 422),
    ("GET", "/api/v1/programmes"): (API_ANON, 200, 200, 200),
    ("POST", "/api/v1/programmes"): (API_ANON, 403, 403, 422),
    ("GET", "/api/v1/cohorts"): (API_ANON, 403, 200, 200),
    ("POST", "/api/v1/cohorts"): (API_ANON, 403, 403, 422),
    ("POST", "/api/v1/cohorts/{cohort_id}/enrolments"): (API_ANON, 403, 422, 422),
    ("GET", "/api/v1/trainees/{trainee_id}/progress"): (API_ANON, 200, 200, 200),
    ("GET", "/api/v1/images"): (API_ANON, 200, 200, 200),
    ("GET", "/api/v1/annotations/{study_uid}/{series_uid}"): (API_ANON, 200, 200, 200),
    ("PUT", "/api/v1/annotations/{study_uid}/{series_uid}"): (API_ANON, 200, 200, 200),
    ("POST", "/api/v1/scans/{modality}"): (API_ANON, 422, 422, 422),
    ("GET", "/api/v1/scans"): (API_ANON, 200, 200, 200),
    ("GET", "/dicomweb/studies"): (API_ANON, 200, 200, 200),
    ("GET", "/dicomweb/studies/{study_uid}/series"): (API_ANON, 200, 200, 200),
    ("GET", "/dicomweb/studies/{study_uid}/series/{series_uid}/instances"): (API_ANON, 200, 200, 200),
    ("GET", "/dicomweb/studies/{study_uid}/series/{series_uid}/metadata"): (API_ANON, 200, 200, 200),
    ("GET", "/dicomweb/studies/{study_uid}/series/{series_uid}/instances/{sop_uid}"): (API_ANON, 200, 200, 200),
    ("GET", "/dicomweb/studies/{study_uid}/series/{series_uid}/instances/{sop_uid}/frames/{frame_list}"):
        (API_ANON, 200, 200, 200),
    ("GET", "/api/v1/openapi.json"): (200, 200, 200, 200),
    ("GET", "/api/docs"): (200, 200, 200, 200),
}

# Each area (reading room, classroom, competency) keeps its rows in tests/authz_<area>.py: ``MATRIX`` in the
# format above and, optionally, ``path_values(db, world) -> dict[str, str]`` for its path parameters.
AREA_MODULES = ("reading", "classroom", "competency")


def _area_modules() -> list:  # type: ignore[type-arg]
    found = (import_optional(f"tests.authz_{area}") for area in AREA_MODULES)
    return [module for module in found if module is not None]


for _module in _area_modules():
    MATRIX.update(_module.MATRIX)


def flat_routes(app):  # type: ignore[no-untyped-def]
    """Every route, also those inside included routers (FastAPI >= 0.160 keeps them nested)."""
    for route in app.routes:
        if hasattr(route, "effective_route_contexts"):
            yield from route.effective_route_contexts()
        else:
            yield route


def app_routes(app) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    found = set()
    for route in flat_routes(app):
        methods = getattr(route, "methods", None)
        if not methods or route.path.startswith("/static"):
            continue
        for method in methods - {"HEAD", "OPTIONS"}:
            found.add((method, route.path))
    return found


def test_matrix_covers_every_route(app) -> None:  # type: ignore[no-untyped-def]
    routes = app_routes(app)
    assert routes - MATRIX.keys() == set(), "add new routes to the authorisation matrix"
    assert MATRIX.keys() - routes == set(), "the matrix names routes the app no longer has"
    assert len(routes) > 30


@pytest.mark.parametrize("role_index,role", list(enumerate(ROLES)))
def test_every_route_for_role(role_index: int, role: str, app, world: World, db: Session,  # type: ignore[no-untyped-def]
                              client_for) -> None:
    sample = gallery(db)[0]
    values = {"study_uid": sample.study_uid, "series_uid": sample.series_uid, "sop_uid": sample.sop_instance_uid,
              "frame_list": "1", "patient_id": "water-20", "modality": "xray", "record_id": "999999",
              "cohort_id": str(world.cohort.id), "trainee_id": str(world.trainee.id)}
    for module in _area_modules():
        if hasattr(module, "path_values"):
            values.update(module.path_values(db, world))
    username = {"anonymous": None, "trainee": "trainee", "instructor": "instructor", "admin": "admin"}[role]
    failures = []
    client = client_for(username)
    for (method, template), expected in sorted(MATRIX.items()):
        path = template.format(**values)
        kwargs: dict[str, object] = {"headers": {"X-CSRF-Token": csrf_of(client), "Accept": "text/html"
                                                 if not path.startswith(("/api", "/dicomweb")) else "*/*"}}
        if method in ("POST", "PUT") and path.startswith("/api"):
            kwargs["json"] = {}
        response = client.request(method, path, **kwargs)
        if response.status_code != expected[role_index]:
            failures.append(f"{method} {template}: {response.status_code} (expected {expected[role_index]})")
        if template == "/logout":
            client = client_for(username)  # signed out: continue with a fresh session
    assert not failures, f"{role}:\n" + "\n".join(failures)


def test_trainee_cannot_read_another_trainees_record(world: World, client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for("trainee2")
    assert client.get(f"/api/v1/trainees/{world.trainee2.id}/progress").status_code == 200
    assert client.get(f"/api/v1/trainees/{world.trainee.id}/progress").status_code in (403, 404)
    assert client.get(f"/instructor/trainees/{world.trainee.id}").status_code in (403, 404)


def test_instructor_sees_only_their_cohorts(world: World, client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for("instructor")
    assert client.get(f"/api/v1/trainees/{world.outsider.id}/progress").status_code == 404
    assert client.get(f"/instructor/trainees/{world.outsider.id}").status_code == 404
    other_cohort = [c["id"] for c in client_for("admin").get("/api/v1/cohorts").json() if c["name"] == "CT 2026"][0]
    assert client.get(f"/instructor/cohorts/{other_cohort}").status_code == 404
    response = client.post(f"/api/v1/cohorts/{other_cohort}/enrolments", json={"username": "trainee"},
                           headers={"X-CSRF-Token": csrf_of(client)})
    assert response.status_code == 404
    assert [c["name"] for c in client.get("/api/v1/cohorts").json()] == ["Radiography 2026"]
