"""The X-ray console through the web app: expose, see EI/DI and dose, history; errors save nothing."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scanroom.store.models import ImageInstance, ScanRecord
from tests.conftest import World, csrf_of

FORM = {"exam": "chest-pa", "patient": "adult-male", "kvp": "110", "mas": "1.5", "sid_cm": "180", "grid": "on",
        "field_w": "35", "field_h": "43", "offset_x": "0", "offset_z": "0", "rotation_deg": "0",
        "tube_angle_deg": "0", "side_marker": "L"}


def test_expose_shows_image_dose_feedback_and_history(client_for, world: World, db: Session) -> None:  # type: ignore[no-untyped-def]
    trainee = client_for("trainee")
    console = trainee.get("/scanroom/xray?exam=hand-pa&patient=adult-female")
    assert console.status_code == 200 and 'value="hand-pa"' in console.text
    response = trainee.post("/scanroom/xray/expose", data={**FORM, "mas": "3", "csrf_token": csrf_of(trainee)})
    assert response.status_code == 303
    page = trainee.get(response.headers["location"])
    assert page.status_code == 200
    assert re.search(r"DI <strong>[+-]\d\.\d</strong>", page.text)
    assert 'id="scanroom-viewer"' in page.text and "Gy·cm²" in page.text
    record = db.scalar(select(ScanRecord).where(ScanRecord.user_id == world.trainee.id))
    assert record is not None and record.preset == "chest-pa" and record.dose["di"] > 0.5  # twice the preset mAs
    assert f"/scanroom/xray?record={record.id}" in page.text  # listed in the history
    meta = trainee.get(f"/dicomweb/studies/{record.study_uid}/series/{record.series_uid}/metadata")
    assert meta.status_code == 200 and meta.json()[0]["00080060"]["Value"] == ["DX"]
    # nobody else sees it
    other = client_for("trainee2")
    assert other.get(f"/scanroom/xray?record={record.id}").status_code == 404
    assert other.get(f"/dicomweb/studies/{record.study_uid}/series/{record.series_uid}/metadata").status_code == 404


def test_bad_exposure_factors_are_refused_and_nothing_is_saved(client_for, world: World, db: Session) -> None:  # type: ignore[no-untyped-def]
    trainee = client_for("trainee")
    before = db.scalar(select(func.count()).select_from(ImageInstance))
    response = trainee.post("/scanroom/xray/expose", data={**FORM, "kvp": "400", "csrf_token": csrf_of(trainee)})
    assert response.status_code == 422
    assert 'role="alert"' in response.text and "kvp" in response.text
    response = trainee.post("/scanroom/xray/expose", data={**FORM, "field_w": "60", "csrf_token": csrf_of(trainee)})
    assert response.status_code == 422 and "field_cm" in response.text
    assert db.scalar(select(func.count()).select_from(ScanRecord)) == 0
    assert db.scalar(select(func.count()).select_from(ImageInstance)) == before


def test_positioning_view_follows_the_settings(client_for, world: World) -> None:  # type: ignore[no-untyped-def]
    trainee = client_for("trainee")
    centred = trainee.get("/scanroom/xray/positioning.png?exam=chest-pa&patient=adult-male")
    moved = trainee.get("/scanroom/xray/positioning.png?exam=chest-pa&patient=adult-male&offset_x=8&offset_z=5")
    assert centred.status_code == moved.status_code == 200
    assert centred.headers["content-type"] == "image/png" and centred.content != moved.content
    assert trainee.get("/scanroom/xray/positioning.png?exam=chest-pa&kvp=9999").status_code == 422


def test_scan_api_runs_and_lists_the_callers_scans(client_for, world: World) -> None:  # type: ignore[no-untyped-def]
    trainee = client_for("trainee")
    headers = {"X-CSRF-Token": csrf_of(trainee)}
    made = trainee.post("/api/v1/scans/xray", json={"patient_id": "adult-male", "preset": "hand-pa",
                                                     "settings": {"kvp": 60, "mas": 1.2}}, headers=headers)
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["preset"] == "hand-pa" and body["protocol"]["kvp"] == 60 and "di" in body["dose"]
    bad = trainee.post("/api/v1/scans/xray", json={"patient_id": "adult-male", "preset": "hand-pa",
                                                    "settings": {"kvp": 9}}, headers=headers)
    assert bad.status_code == 422 and "kvp" in bad.json()["detail"][0]["message"]
    unknown = trainee.post("/api/v1/scans/sonar", json={"patient_id": "adult-male", "preset": "x"},
                           headers=headers)
    assert unknown.status_code == 422
    assert [s["id"] for s in trainee.get("/api/v1/scans").json()] == [body["id"]]
    assert client_for("trainee2").get("/api/v1/scans").json() == []


def test_pathology_scenario_reaches_the_patient(client_for, world: World, db: Session) -> None:  # type: ignore[no-untyped-def]
    trainee = client_for("trainee")
    response = trainee.post("/scanroom/xray/expose", data={**FORM, "pathology": "pneumothorax",
                                                           "csrf_token": csrf_of(trainee)})
    assert response.status_code == 303
    record = db.scalar(select(ScanRecord).where(ScanRecord.user_id == world.trainee.id))
    assert record is not None and record.patient["lesions"] == ["pneumothorax"]
    page = trainee.get(response.headers["location"])
    assert '<option value="pneumothorax" selected>' in page.text
    bad = trainee.post("/scanroom/xray/expose", data={**FORM, "pathology": "dragon", "csrf_token": csrf_of(trainee)})
    assert bad.status_code == 422
