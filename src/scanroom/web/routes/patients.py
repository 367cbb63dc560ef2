"""The Patients page: every digital patient and QA phantom in three views, lesions outlined."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from scanroom.scanner import patients
from scanroom.store.models import User
from scanroom.web.deps import current_user
from scanroom.web.templating import render

router = APIRouter()

LesionQuery = Annotated[list[str], Query(max_length=8)]


def _preview_or_422(patient_id: str, region: str | None, lesion: list[str], seed: int) -> patients.Preview:
    try:
        return patients.preview(patient_id, region or None, tuple(x for x in lesion if x), seed)
    except ValueError as problem:
        raise HTTPException(422, str(problem)) from None


@router.get("/patients", response_class=HTMLResponse, include_in_schema=False)
def patients_page(request: Request, user: User = Depends(current_user)) -> Response:
    return render(request, "patients.html", {"patients": patients.catalogue()})


@router.get("/patients/{patient_id}", response_class=HTMLResponse, include_in_schema=False)
def patient_page(request: Request, patient_id: str, region: str = "", lesion: LesionQuery = [],  # noqa: B006
                 seed: Annotated[int, Query(ge=0, le=2**31)] = 0, user: User = Depends(current_user)) -> Response:
    known = {p["id"]: p for p in patients.catalogue()}
    if patient_id not in known:
        raise HTTPException(404, "No such patient.")
    context = {"patient": known[patient_id], "region": region, "lesion": lesion, "seed": seed,
               "lesion_types": patients.lesion_catalogue(), "error": "", "preview": None}
    try:
        context["preview"] = patients.preview(patient_id, region or None, tuple(x for x in lesion if x), seed)
    except ValueError as problem:
        context["error"] = str(problem)
        return render(request, "patient.html", context, status_code=422)
    return render(request, "patient.html", context)


@router.get("/patients/{patient_id}/preview.png", include_in_schema=False)
def patient_preview(patient_id: str, region: str = "", lesion: LesionQuery = [],  # noqa: B006
                    seed: Annotated[int, Query(ge=0, le=2**31)] = 0, user: User = Depends(current_user)) -> Response:
    result = _preview_or_422(patient_id, region, lesion, seed)
    return Response(result.png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})
