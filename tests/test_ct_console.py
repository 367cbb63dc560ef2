"""The CT console through the web app: scout, scan, dose report, history; bad input saves nothing."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scanroom.store.models import ScanRecord
from tests.conftest import World, csrf_of

FORM = {"protocol": "qa-water", "patient": "water-32", "kvp": "120", "mas": "200", "pitch": "1", "images": "1",
        "collimation_rows": "32", "rotation_time_s": "0.5", "slice_mm": "5", "kernel": "standard", "fov_mm": "360",
        "recon_method": "fbp", "contrast_phase": "non-contrast", "bh_correction": "on"}


def test_scan_shows_series_and_dose_report(client_for, world: World, db: Session) -> None:  # type: ignore[no-untyped-def]
    trainee = client_for("trainee")
    page = trainee.get("/scanroom/ct?protocol=qa-water&patient=water-32")
    assert page.status_code == 200 and 'id="scout"' in page.text
    scout = trainee.get("/scanroom/ct/scout.png?protocol=qa-water&patient=water-32")
    assert scout.status_code == 200 and scout.headers["content-type"] == "image/png"
    response = trainee.post("/scanroom/ct/scan", data={**FORM, "csrf_token": csrf_of(trainee)})
    assert response.status_code == 303, response.text[:400]
    result = trainee.get(response.headers["location"])
    assert 'id="ctdivol"' in result.text and "mGy·cm" in result.text and 'id="scanroom-viewer"' in result.text
    record = db.scalar(select(ScanRecord).where(ScanRecord.user_id == world.trainee.id))
    assert record is not None and record.dose["ctdivol_mgy"] > 0
    meta = trainee.get(f"/dicomweb/studies/{record.study_uid}/series/{record.series_uid}/metadata").json()
    assert meta[0]["00080060"]["Value"] == ["CT"] and meta[0]["00281052"]["Value"] == [0]  # HU intercept
    assert client_for("trainee2").get(f"/scanroom/ct?record={record.id}").status_code == 404


def test_unreachable_parameters_are_refused_and_nothing_saved(client_for, world: World, db: Session) -> None:  # type: ignore[no-untyped-def]
    trainee = client_for("trainee")
    for field, value, fragment in (("pitch", "0", "pitch"), ("fov_mm", "700", "fov_mm"),
                                   ("start_mm", "9000", "range")):
        data = {**FORM, field: value, "csrf_token": csrf_of(trainee)}
        if field == "start_mm":
            data["end_mm"] = "9100"
        response = trainee.post("/scanroom/ct/scan", data=data)
        assert response.status_code == 422, field
        assert 'role="alert"' in response.text and fragment in response.text
    assert db.scalar(select(func.count()).select_from(ScanRecord)) == 0
