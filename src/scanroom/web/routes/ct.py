"""The CT console: protocol, scout with a draggable range, parameters, scan, series, dose report."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from PIL import Image
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from scanroom.competency.tasks import link_scan
from scanroom.physics import ct as ct_physics
from scanroom.practice import scans
from scanroom.scanner.base import PatientRequest, ProtocolError, apply_settings
from scanroom.scanner.ct import _GEOMETRY, PROTOCOLS, CtProtocol, _phantom, default_range, z_extent
from scanroom.scanner.registry import get_scanner
from scanroom.store.models import ScanRecord, User
from scanroom.web.deps import DB, current_user
from scanroom.web.task_mode import TaskMode, no_task, task_mode
from scanroom.web.templating import render

router = APIRouter()

FORM_KEYS = ("kvp", "mas", "pitch", "rotation_time_s", "collimation_rows", "slice_mm", "kernel", "fov_mm", "matrix",
             "start_mm", "end_mm", "images", "recon_method", "mode", "contrast_phase")
CHECKBOXES = ("tcm", "bh_correction", "bad_channel", "breathing")
CT_PATIENTS = ("adult-male", "adult-female", "child-5y", "water-20", "water-32", "ctdi-head", "ctdi-body", "ct-qa")


def protocol_from_form(form: dict[str, str]) -> CtProtocol:
    base = get_scanner("ct").preset(form.get("protocol") or "head-routine")
    settings: dict[str, Any] = {k: form[k] for k in FORM_KEYS if form.get(k, "") != ""}
    for key in CHECKBOXES:
        settings[key] = form.get(key) in ("on", "true", "1")
    protocol = apply_settings(base, settings)
    assert isinstance(protocol, CtProtocol)
    return protocol


def _patient(form: dict[str, str]) -> PatientRequest:
    patient_id = form.get("patient") or PROTOCOLS[form.get("protocol") or "head-routine"]["patient"]
    if patient_id not in CT_PATIENTS:
        raise ProtocolError(f"Choose a patient from the list ({', '.join(CT_PATIENTS)}).")
    return PatientRequest(patient_id=patient_id)


def _extent(patient: PatientRequest, protocol_id: str) -> tuple[float, float]:
    return z_extent(_phantom(patient, PROTOCOLS[protocol_id]["region"]))


def _page(request: Request, db: Session, user: User, values: dict[str, Any], patient_id: str, *,
          record: ScanRecord | None = None, error: str = "", status_code: int = 200,
          mode: TaskMode | None = None) -> Response:
    if mode is not None:  # task mode: the scenario's patient
        patient_id = mode.task.patient_id
    patient = PatientRequest(patient_id=patient_id)
    lo, hi = _extent(patient, values["protocol"])
    auto_start, auto_end = default_range(values["protocol"], lo, hi)
    if values.get("start_mm") is None:
        values["start_mm"] = round(auto_start, 1)
    if values.get("end_mm") is None:
        values["end_mm"] = round(auto_end, 1)
    return render(request, "ct_console.html", {
        "protocols": PROTOCOLS, "patients": CT_PATIENTS, "values": values, "patient_id": patient_id,
        "z_lo": lo, "z_hi": hi, "record": record, "error": error,
        "history": scans.history(db, user, "ct", limit=30), **(mode.context(db) if mode else no_task()),
    }, status_code=status_code)


@router.get("/scanroom/ct", response_class=HTMLResponse, include_in_schema=False)
def ct_console(request: Request, protocol: str = "head-routine", patient: str = "", record: int | None = None,
               task: str = "", user: User = Depends(current_user), db: Session = DB) -> Response:
    mode = task_mode(db, user, task, "ct")
    if record is not None:
        chosen = db.get(ScanRecord, record)
        if chosen is None or chosen.user_id != user.id or chosen.modality != "ct":
            raise HTTPException(404, "No such scan in your history.")
        values = CtProtocol.model_validate(chosen.protocol).model_dump()
        return _page(request, db, user, values, chosen.patient["patient_id"], record=chosen, mode=mode)
    if protocol not in PROTOCOLS:
        raise HTTPException(404, f"No CT protocol {protocol!r}.")
    try:  # lessons open the console with settings in the query string (?protocol=head-routine&kvp=100)
        values = apply_settings(get_scanner("ct").preset(protocol),
                                {k: v for k, v in request.query_params.items() if k in FORM_KEYS}).model_dump()
    except ProtocolError as problem:
        raise HTTPException(422, str(problem)) from None
    chosen_patient = patient if patient in CT_PATIENTS else PROTOCOLS[protocol]["patient"]
    return _page(request, db, user, values, chosen_patient, mode=mode)


@router.get("/scanroom/ct/scout.png", include_in_schema=False)
def ct_scout(protocol: str = "head-routine", patient: str = "adult-male",
             user: User = Depends(current_user)) -> Response:
    """The AP topogram, head at the top, rows spanning the patient's z extent (for planning the range)."""
    if protocol not in PROTOCOLS or patient not in CT_PATIENTS:
        raise HTTPException(404, "No such protocol or patient.")
    try:
        phantom = _phantom(PatientRequest(patient_id=patient), PROTOCOLS[protocol]["region"])
        scout = ct_physics.acquire_topogram(phantom, _GEOMETRY, view="ap", noise=False)
    except ProtocolError as problem:
        raise HTTPException(422, str(problem)) from None
    image = scout.image[::-1]
    columns = np.nonzero(image.max(axis=0) > 0.05 * image.max())[0]
    if columns.size:
        image = image[:, max(columns[0] - 10, 0): columns[-1] + 10]
    grey = (255 * np.clip(image / max(float(np.percentile(image, 99.5)), 1e-6), 0, 1)).astype(np.uint8)
    rows = grey.shape[0]
    dz = float(abs(scout.z_mm[1] - scout.z_mm[0])) if len(scout.z_mm) > 1 else 1.0
    lateral = float(abs(scout.lateral_mm[1] - scout.lateral_mm[0]))
    picture = Image.fromarray(grey).resize((max(1, int(grey.shape[1] * lateral / dz)), rows))
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return Response(buffer.getvalue(), media_type="image/png", headers={"Cache-Control": "private, max-age=600"})


@router.post("/scanroom/ct/scan", include_in_schema=False)
async def ct_scan(request: Request, user: User = Depends(current_user), db: Session = DB) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items() if k != "csrf_token"}
    if form.get("protocol") not in PROTOCOLS:
        raise HTTPException(404, "No such CT protocol.")
    values: dict[str, Any] = {**form, **{k: form.get(k) == "on" for k in CHECKBOXES}}
    mode = task_mode(db, user, form.get("task"), "ct")
    if mode is not None:
        form["patient"] = mode.task.patient_id
    patient_id = form.get("patient", "")
    try:
        protocol = protocol_from_form(form)
        values = protocol.model_dump()
        patient = _patient(form)
        result = await run_in_threadpool(scans.run_scan, db, request.app.state.data_dir, user, "ct", patient,
                                         protocol, preset=protocol.protocol)
    except ProtocolError as problem:
        values.setdefault("protocol", form["protocol"])
        return _page(request, db, user, values, patient_id if patient_id in CT_PATIENTS else
                     PROTOCOLS[form["protocol"]]["patient"], error=str(problem), status_code=422, mode=mode)
    if mode is not None:  # task mode: the scan belongs to the attempt, with the reason if it is a repeat
        link_scan(db, mode.attempt, result.record, form.get("repeat_reason", ""))
        return RedirectResponse(f"/scanroom/ct?record={result.record.id}&task={mode.attempt.id}", status_code=303)
    return RedirectResponse(f"/scanroom/ct?record={result.record.id}", status_code=303)
