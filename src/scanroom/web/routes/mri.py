"""The MRI console: screening first (the scan stays blocked until it is decided), then sequence and
parameters with scan time/SNR/SAR updating as the trainee types, then the images and the k-space."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from scanroom.competency.tasks import link_scan
from scanroom.practice import scans
from scanroom.safety import mr_screening
from scanroom.scanner.base import PatientRequest, ProtocolError, apply_settings
from scanroom.scanner.mri import SEQUENCE_NAMES, MriProtocol, timing_and_sar
from scanroom.scanner.registry import get_scanner
from scanroom.store.models import MrScreeningDecision, ScanRecord, User
from scanroom.web.deps import DB, current_user
from scanroom.web.task_mode import TaskMode, no_task, task_mode
from scanroom.web.templating import render

router = APIRouter()

FORM_KEYS = ("region", "b0_t", "tr_ms", "te_ms", "ti_ms", "flip_deg", "etl", "fov_mm", "matrix", "slice_mm", "gap_mm",
             "slices", "nex", "bw_hz_px", "phase_dir", "orientation", "partial_fourier", "parallel_factor",
             "offset_mm")
CHECKBOXES = ("motion", "fat_sat")


def _case_or_404(case_id: str) -> mr_screening.ScreeningCase:
    try:
        return mr_screening.get_case(case_id)
    except KeyError as problem:
        raise HTTPException(404, str(problem).strip("'\"")) from None


def _latest_decision(db: Session, user: User, case_id: str) -> MrScreeningDecision | None:
    return db.scalar(select(MrScreeningDecision).where(MrScreeningDecision.user_id == user.id,
                                                      MrScreeningDecision.case_id == case_id)
                     .order_by(MrScreeningDecision.id.desc()).limit(1))


def protocol_from_form(form: dict[str, str]) -> MriProtocol:
    sequence = form.get("sequence") or "t1-se"
    base = get_scanner("mri").preset(sequence)
    settings: dict[str, Any] = {k: form[k] for k in FORM_KEYS if form.get(k, "") != ""}
    if settings.get("phase_dir") == "auto":
        settings.pop("phase_dir")
    for key in CHECKBOXES:
        settings[key] = form.get(key) in ("on", "true", "1")
    protocol = apply_settings(base, settings)
    assert isinstance(protocol, MriProtocol)
    return protocol


def _values(protocol: MriProtocol) -> dict[str, Any]:
    return protocol.model_dump()


def _task_case(mode: TaskMode | None, case: mr_screening.ScreeningCase) -> mr_screening.ScreeningCase:
    """In task mode the screening case is the scenario's."""
    return _case_or_404(str(mode.task.scenario["mr_case"])) if mode is not None else case


def _page(request: Request, db: Session, user: User, case: mr_screening.ScreeningCase, values: dict[str, Any], *,
          record: ScanRecord | None = None, error: str = "", verdict: str = "", status_code: int = 200,
          mode: TaskMode | None = None) -> Response:
    decision = _latest_decision(db, user, case.case_id)
    verdict_obj = mr_screening.judge(case, decision.decision) if decision else None
    estimate: dict[str, Any] | str
    try:
        estimate = timing_and_sar(MriProtocol.model_validate(values))
    except (ProtocolError, ValueError) as problem:
        estimate = str(problem)
    return render(request, "mri_console.html", {
        "questionnaire": mr_screening.questionnaire(), "case": case, "decision": decision, "verdict": verdict_obj,
        "values": values, "sequences": SEQUENCE_NAMES, "record": record, "error": error, "estimate": estimate,
        "history": scans.history(db, user, "mri", limit=30), **(mode.context(db) if mode else no_task()),
    }, status_code=status_code)


@router.get("/scanroom/mri", response_class=HTMLResponse, include_in_schema=False)
def mri_console(request: Request, case: str = "routine-brain", sequence: str = "t1-se", record: int | None = None,
                task: str = "", user: User = Depends(current_user), db: Session = DB) -> Response:
    mode = task_mode(db, user, task, "mri")
    screening_case = _task_case(mode, _case_or_404(case))
    chosen = None
    if record is not None:
        chosen = db.get(ScanRecord, record)
        if chosen is None or chosen.user_id != user.id or chosen.modality != "mri":
            raise HTTPException(404, "No such scan in your history.")
        values = MriProtocol.model_validate(chosen.protocol).model_dump()
    else:
        try:
            preset = get_scanner("mri").preset(sequence)
        except ProtocolError as problem:
            raise HTTPException(404, str(problem)) from None
        try:  # lessons open the console with settings in the query string (?sequence=t1-se&tr_ms=400)
            values = _values(apply_settings(preset, {k: v for k, v in request.query_params.items()  # type: ignore[arg-type]
                                                     if k in FORM_KEYS}))
        except ProtocolError as problem:
            raise HTTPException(422, str(problem)) from None
    return _page(request, db, user, screening_case, values, record=chosen, mode=mode)


@router.post("/scanroom/mri/screening", include_in_schema=False)
async def mri_screening(request: Request, user: User = Depends(current_user), db: Session = DB) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    mode = task_mode(db, user, form.get("task"), "mri")
    case = _task_case(mode, _case_or_404(form.get("case", "")))
    decision = form.get("decision", "")
    try:
        verdict = mr_screening.judge(case, decision)
    except ValueError as problem:
        return _page(request, db, user, case, _values(get_scanner("mri").preset("t1-se")),  # type: ignore[arg-type]
                     error=str(problem), status_code=422, mode=mode)
    db.add(MrScreeningDecision(user_id=user.id, case_id=case.case_id, decision=decision, correct=verdict.correct))
    task_query = f"&task={mode.attempt.id}" if mode is not None else ""
    return RedirectResponse(f"/scanroom/mri?case={case.case_id}{task_query}", status_code=303)


@router.get("/scanroom/mri/estimate", response_class=HTMLResponse, include_in_schema=False)
def mri_estimate(request: Request, user: User = Depends(current_user)) -> Response:
    """Scan time, SNR and SAR for the parameters as typed (an HTMX fragment)."""
    try:
        estimate: dict[str, Any] | str = timing_and_sar(protocol_from_form(dict(request.query_params)))
    except ProtocolError as problem:
        estimate = str(problem)
    return render(request, "_mri_estimate.html", {"estimate": estimate})


@router.get("/scanroom/mri/localiser.png", include_in_schema=False)
def mri_localiser(request: Request, user: User = Depends(current_user)) -> Response:
    """The sagittal localiser with the planned stack, for the parameters as typed."""
    from scanroom.scanner.mri import localiser_view

    form = dict(request.query_params)
    case = _case_or_404(form.get("case", "routine-brain"))
    try:
        rgb = localiser_view(PatientRequest(patient_id=case.patient_id), protocol_from_form(form))
    except ProtocolError as problem:
        raise HTTPException(422, str(problem)) from None
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG")
    return Response(buffer.getvalue(), media_type="image/png", headers={"Cache-Control": "no-store"})


@router.post("/scanroom/mri/scan", include_in_schema=False)
async def mri_scan(request: Request, user: User = Depends(current_user), db: Session = DB) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items() if k != "csrf_token"}
    mode = task_mode(db, user, form.get("task"), "mri")
    case = _task_case(mode, _case_or_404(form.get("case", "")))
    values: dict[str, Any] = {**form, **{k: form.get(k) == "on" for k in CHECKBOXES}}
    try:
        protocol = protocol_from_form(form)
        values = protocol.model_dump()
        decision = _latest_decision(db, user, case.case_id)
        if decision is None or not mr_screening.judge(case, decision.decision).may_scan:
            raise ProtocolError("Screening first: the scan stays blocked until the screening decision allows it.")
        figures = timing_and_sar(protocol)
        problems = mr_screening.protocol_violations(case, protocol.b0_t, figures["sar_mode"])
        if problems:
            raise ProtocolError(" ".join(problems))
        patient = PatientRequest(patient_id=case.patient_id)
        result = await run_in_threadpool(scans.run_scan, db, request.app.state.data_dir, user, "mri", patient,
                                         protocol, preset=protocol.sequence)
    except ProtocolError as problem:
        return _page(request, db, user, case, values, error=str(problem), status_code=422, mode=mode)
    _save_kspace(request.app.state.data_dir, result.record.id, result.acquisition.extras.get("kspace"))
    task_query = ""
    if mode is not None:  # task mode: the scan belongs to the attempt, with the reason if it is a repeat
        link_scan(db, mode.attempt, result.record, form.get("repeat_reason", ""))
        task_query = f"&task={mode.attempt.id}"
    return RedirectResponse(f"/scanroom/mri?case={case.case_id}&record={result.record.id}{task_query}",
                            status_code=303)


def _kspace_path(data_dir: Path, record_id: int) -> Path:
    return data_dir / "scans" / str(record_id) / "kspace.png"


def _save_kspace(data_dir: Path, record_id: int, kspace: np.ndarray | None) -> None:
    if kspace is None:
        return
    log = np.log1p(np.abs(kspace) / max(float(np.abs(kspace).max()), 1e-12) * 1e4)
    image = (255 * log / max(float(log.max()), 1e-9)).astype(np.uint8)
    path = _kspace_path(data_dir, record_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(path)


@router.get("/scanroom/mri/kspace/{record_id}.png", include_in_schema=False)
def mri_kspace(request: Request, record_id: int, user: User = Depends(current_user),
               db: Session = DB) -> Response:
    record = db.get(ScanRecord, record_id)
    path = _kspace_path(request.app.state.data_dir, record_id)
    if record is None or record.user_id != user.id or not path.exists():
        raise HTTPException(404, "No such k-space image.")
    buffer = io.BytesIO(path.read_bytes())
    return Response(buffer.getvalue(), media_type="image/png")
