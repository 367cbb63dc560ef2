"""The MRI console through the web app: screening gates the scan, conditions are enforced, images land."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scanroom.store.models import MrScreeningDecision, ScanRecord
from tests.conftest import World, csrf_of

SCAN = {"sequence": "t2-tse", "b0_t": "1.5", "region": "head", "tr_ms": "4000", "te_ms": "100", "flip_deg": "90",
        "etl": "16", "nex": "1", "fov_mm": "240", "matrix": "128", "slice_mm": "5", "gap_mm": "1", "slices": "3",
        "bw_hz_px": "220", "orientation": "axial", "phase_dir": "auto", "partial_fourier": "1", "parallel_factor": "1"}


def decide(client, case: str, decision: str):  # type: ignore[no-untyped-def]
    return client.post("/scanroom/mri/screening", data={"case": case, "decision": decision,
                                                         "csrf_token": csrf_of(client)})


def test_scan_is_blocked_until_screening_allows_it(client_for, world: World, db: Session) -> None:  # type: ignore[no-untyped-def]
    trainee = client_for("trainee")
    page = trainee.get("/scanroom/mri?case=routine-brain")
    assert page.status_code == 200 and 'id="scan-blocked"' in page.text
    refused = trainee.post("/scanroom/mri/scan", data={**SCAN, "case": "routine-brain", "csrf_token": csrf_of(trainee)})
    assert refused.status_code == 422 and "Screening first" in refused.text
    wrong = decide(trainee, "routine-brain", "do-not-scan")
    assert wrong.status_code == 303
    page = trainee.get("/scanroom/mri?case=routine-brain")
    assert "Not the safe decision" in page.text and 'id="scan-blocked"' in page.text
    assert decide(trainee, "routine-brain", "proceed").status_code == 303
    page = trainee.get("/scanroom/mri?case=routine-brain")
    assert "Correct." in page.text and 'id="scan-blocked"' not in page.text
    decisions = list(db.scalars(select(MrScreeningDecision.correct).where(
        MrScreeningDecision.user_id == world.trainee.id).order_by(MrScreeningDecision.id)))
    assert decisions == [False, True]

    done = trainee.post("/scanroom/mri/scan", data={**SCAN, "case": "routine-brain", "csrf_token": csrf_of(trainee)})
    assert done.status_code == 303, done.text[:500]
    result = trainee.get(done.headers["location"])
    assert 'id="scanroom-viewer"' in result.text and "k-space" in result.text
    record = db.scalar(select(ScanRecord).where(ScanRecord.user_id == world.trainee.id))
    assert record is not None and record.modality == "mri"
    kspace = trainee.get(f"/scanroom/mri/kspace/{record.id}.png")
    assert kspace.status_code == 200 and kspace.headers["content-type"] == "image/png"
    assert client_for("trainee2").get(f"/scanroom/mri/kspace/{record.id}.png").status_code == 404
    meta = trainee.get(f"/dicomweb/studies/{record.study_uid}/series/{record.series_uid}/metadata").json()
    assert len(meta) == 3 and meta[0]["00080060"]["Value"] == ["MR"]
    assert meta[0]["00180080"]["Value"] == [4000.0]  # RepetitionTime


def test_conditional_implant_limits_the_protocol(client_for, world: World, db: Session) -> None:  # type: ignore[no-untyped-def]
    trainee = client_for("trainee")
    decide(trainee, "conditional-pacemaker", "proceed-with-conditions")
    at_3t = trainee.post("/scanroom/mri/scan", data={**SCAN, "b0_t": "3.0", "case": "conditional-pacemaker",
                                                      "csrf_token": csrf_of(trainee)})
    assert at_3t.status_code == 422 and "1.5 T" in at_3t.text
    assert db.scalar(select(func.count()).select_from(ScanRecord)) == 0
    unsafe = client_for("trainee2")
    decide(unsafe, "orbital-foreign-body", "do-not-scan")
    page = unsafe.get("/scanroom/mri?case=orbital-foreign-body")
    assert "Correct." in page.text and 'id="scan-blocked"' in page.text


def test_estimate_updates_with_the_parameters(client_for, world: World) -> None:  # type: ignore[no-untyped-def]
    trainee = client_for("trainee")
    short = trainee.get("/scanroom/mri/estimate", params={**SCAN, "tr_ms": "2000"})
    long = trainee.get("/scanroom/mri/estimate", params={**SCAN, "tr_ms": "4000"})
    assert short.status_code == long.status_code == 200
    assert "0:16" in short.text and "0:32" in long.text  # TR × 128 lines / ETL 16
    bad = trainee.get("/scanroom/mri/estimate", params={**SCAN, "te_ms": "5000"})
    assert 'role="alert"' in bad.text and "te_ms" in bad.text


def test_localiser_shows_the_planned_stack(client_for, world: World) -> None:  # type: ignore[no-untyped-def]
    trainee = client_for("trainee")
    base = {"case": "routine-brain", "sequence": "t2-tse", "slices": "12", "slice_mm": "5", "gap_mm": "1"}
    centred = trainee.get("/scanroom/mri/localiser.png", params=base)
    moved = trainee.get("/scanroom/mri/localiser.png", params={**base, "offset_mm": "30"})
    assert centred.status_code == moved.status_code == 200
    assert centred.headers["content-type"] == "image/png" and centred.content != moved.content
    assert trainee.get("/scanroom/mri/localiser.png", params={**base, "slices": "500"}).status_code == 422
