"""The X-ray console: choose exam and patient, position, set exposure factors, expose, critique."""

from __future__ import annotations

import io
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from PIL import Image
from sqlalchemy.orm import Session

from scanroom.competency.tasks import link_scan
from scanroom.physics.patients import list_patients
from scanroom.practice import scans
from scanroom.scanner.base import PatientRequest, ProtocolError, ScanProtocol, apply_settings
from scanroom.scanner.registry import get_scanner
from scanroom.scanner.xray_exams import EXAMS
from scanroom.store.models import ScanRecord, User
from scanroom.web.deps import DB, current_user
from scanroom.web.task_mode import TaskMode, no_task, task_mode
from scanroom.web.templating import render

router = APIRouter()

FORM_KEYS = ("kvp", "mas", "sid_cm", "grid_ratio", "rotation_deg", "tube_angle_deg", "added_al_mm", "added_cu_mm",
             "side_marker", "edge_enhancement", "photometric", "aec_chambers")
# What the patient may present with in the X-ray room (the pathology shows in the image when present)
XRAY_PATHOLOGY = ("lung-nodule", "calcified-nodule", "pneumothorax", "pleural-effusion", "rib-fracture",
                  "radius-fracture", "scaphoid-fracture", "renal-stone", "gallstone")
CHECKBOXES = ("grid", "aec")
XRAY_PATIENTS = ("adult-male", "adult-female", "child-5y", "step-wedge")


def _patients() -> list[str]:
    known = {p.patient_id for p in list_patients()}
    return [p for p in XRAY_PATIENTS if p in known]


def settings_from_form(form: dict[str, str]) -> dict[str, Any]:
    """Console form fields → protocol settings (field and centring are entered as two numbers each)."""
    settings: dict[str, Any] = {k: form[k] for k in FORM_KEYS if form.get(k, "") != ""}
    for key in CHECKBOXES:
        settings[key] = form.get(key) in ("on", "true", "1")
    if form.get("field_w") or form.get("field_h"):
        settings["field_cm"] = f"{form.get('field_w') or 0}x{form.get('field_h') or 0}"
    if form.get("offset_x") or form.get("offset_z"):
        settings["centre_offset_cm"] = f"{form.get('offset_x') or 0},{form.get('offset_z') or 0}"
    return settings


def _protocol_and_patient(form: dict[str, str]) -> tuple[str, PatientRequest, ScanProtocol]:
    scanner = get_scanner("xray")
    exam = form.get("exam") or "chest-pa"
    patient_id = form.get("patient") or "adult-male"
    if patient_id not in _patients():
        raise ProtocolError(f"Choose a patient from the list ({', '.join(_patients())}).")
    protocol = apply_settings(scanner.preset(exam), settings_from_form(form))
    pathology = form.get("pathology", "")
    if pathology and pathology not in XRAY_PATHOLOGY:
        raise ProtocolError(f"Unknown pathology {pathology!r}.")
    return exam, PatientRequest(patient_id=patient_id, lesions=(pathology,) if pathology else ()), protocol


def _form_values(protocol: ScanProtocol, patient: str, pathology: str = "") -> dict[str, Any]:
    values = protocol.model_dump()
    values["patient"] = patient
    values["pathology"] = pathology
    values["field_w"], values["field_h"] = values["field_cm"]
    values["offset_x"], values["offset_z"] = values["centre_offset_cm"]
    return values


def _task_values(values: dict[str, Any], mode: TaskMode | None) -> dict[str, Any]:
    """In task mode the patient and what they present with come from the scenario, not the trainee."""
    if mode is not None:
        values = {**values, "patient": mode.task.patient_id,
                  "pathology": mode.task.lesions[0] if mode.task.lesions else ""}
    return values


def _console(request: Request, db: Session, user: User, values: dict[str, Any], *, record: ScanRecord | None = None,
             error: str = "", status_code: int = 200, mode: TaskMode | None = None) -> Response:
    history = scans.history(db, user, "xray", limit=50)
    return render(request, "xray_console.html", {
        "exams": list(EXAMS.values()), "patients": _patients(), "values": _task_values(values, mode), "record": record,
        "pathologies": XRAY_PATHOLOGY, **(mode.context(db) if mode else no_task()),
        "error": error, "history": history,
        "cumulative_dap": sum(float(h.dose.get("dap_gycm2", 0.0)) for h in history),
        "cumulative_e": sum(float(h.dose.get("effective_dose_msv", 0.0)) for h in history),
    }, status_code=status_code)


@router.get("/scanroom/xray", response_class=HTMLResponse, include_in_schema=False)
def xray_console(request: Request, exam: str = "chest-pa", patient: str = "adult-male", record: int | None = None,
                 task: str = "", user: User = Depends(current_user), db: Session = DB) -> Response:
    mode = task_mode(db, user, task, "xray")
    chosen: ScanRecord | None = None
    if record is not None:
        chosen = db.get(ScanRecord, record)
        if chosen is None or chosen.user_id != user.id or chosen.modality != "xray":
            raise HTTPException(404, "No such exposure in your history.")
        protocol = get_scanner("xray").protocol_model.model_validate(chosen.protocol)
        lesions = chosen.patient.get("lesions") or [""]
        return _console(request, db, user, _form_values(protocol, chosen.patient["patient_id"], lesions[0]),
                        record=chosen, mode=mode)
    try:
        protocol = get_scanner("xray").preset(exam)
    except ProtocolError as problem:
        raise HTTPException(404, str(problem)) from None
    try:  # lessons open the console with settings in the query string (?exam=chest-pa&sid_cm=180)
        protocol = apply_settings(protocol, {k: v for k, v in request.query_params.items() if k in FORM_KEYS})
    except ProtocolError as problem:
        raise HTTPException(422, str(problem)) from None
    return _console(request, db, user, _form_values(protocol, patient if patient in _patients() else "adult-male"),
                    mode=mode)


@router.get("/scanroom/xray/positioning.png", include_in_schema=False)
def xray_positioning(request: Request, user: User = Depends(current_user)) -> Response:
    from scanroom.scanner.xray_positioning import positioning_view

    form = dict(request.query_params)
    try:
        _exam, patient, protocol = _protocol_and_patient(form)
        rgb = positioning_view(patient, protocol)  # type: ignore[arg-type]
    except ProtocolError as problem:
        raise HTTPException(422, str(problem)) from None
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG")
    return Response(buffer.getvalue(), media_type="image/png", headers={"Cache-Control": "no-store"})


@router.post("/scanroom/xray/expose", include_in_schema=False)
async def xray_expose(request: Request, user: User = Depends(current_user), db: Session = DB) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items() if k != "csrf_token"}
    mode = task_mode(db, user, form.get("task"), "xray")
    form = _task_values(form, mode)
    try:
        exam, patient, protocol = _protocol_and_patient(form)
    except ProtocolError as problem:
        values = {**form, "grid": form.get("grid") == "on", "aec": form.get("aec") == "on"}
        return _console(request, db, user, values, error=str(problem), status_code=422, mode=mode)
    from starlette.concurrency import run_in_threadpool

    try:
        result = await run_in_threadpool(scans.run_scan, db, request.app.state.data_dir, user, "xray", patient,
                                         protocol, preset=exam)
    except ProtocolError as problem:
        return _console(request, db, user, _form_values(protocol, patient.patient_id, form.get("pathology", "")),
                        error=str(problem), status_code=422, mode=mode)
    if mode is not None:  # task mode: the scan belongs to the attempt, with the reason if it is a repeat
        link_scan(db, mode.attempt, result.record, form.get("repeat_reason", ""))
        return RedirectResponse(f"/scanroom/xray?record={result.record.id}&task={mode.attempt.id}", status_code=303)
    return RedirectResponse(f"/scanroom/xray?record={result.record.id}", status_code=303)
