"""DICOMweb (PS3.18) read endpoints: QIDO-RS search and WADO-RS metadata, instances and frames.

Only what the user may see is listed or served; anything else is 404, so existence does not leak.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from scanroom.dicom import library
from scanroom.dicom.dicomweb import DICOM_JSON, multipart_related, to_dicom_json
from scanroom.dicom.normalise import frame_bytes
from scanroom.store.models import ImageInstance, User
from scanroom.web.deps import DB, current_user

router = APIRouter(prefix="/dicomweb", tags=["dicomweb"])

UNCOMPRESSED = "1.2.840.10008.1.2.1"


def _json(payload: Any) -> JSONResponse:
    return JSONResponse(payload, media_type=DICOM_JSON)


def _attr(tag: str, vr: str, value: Any) -> dict[str, Any]:
    return {tag: {"vr": vr, "Value": [value]}} if value not in (None, "") else {tag: {"vr": vr}}


def _series_or_404(db: Session, user: User, study_uid: str, series_uid: str) -> list[ImageInstance]:
    instances = library.visible_series(db, user, study_uid, series_uid)
    if not instances:
        raise HTTPException(404, "No such series.")
    return instances


def _instance_or_404(db: Session, user: User, study_uid: str, series_uid: str, sop_uid: str) -> ImageInstance:
    for instance in _series_or_404(db, user, study_uid, series_uid):
        if instance.sop_instance_uid == sop_uid:
            return instance
    raise HTTPException(404, "No such instance.")


@router.get("/studies")
def search_studies(user: User = Depends(current_user), db: Session = DB) -> JSONResponse:
    studies: dict[str, dict[str, Any]] = {}
    for row in library.visible_studies(db, user):
        entry = studies.setdefault(row.study_uid, {
            **_attr("0020000D", "UI", row.study_uid), "modalities": set(), "series": set(), "count": 0})
        entry["modalities"].add(row.modality)
        entry["series"].add(row.series_uid)
        entry["count"] += 1
    result = []
    for entry in studies.values():
        item = {k: v for k, v in entry.items() if k[0].isdigit()}
        item.update({"00080061": {"vr": "CS", "Value": sorted(entry["modalities"])},
                     "00201206": {"vr": "IS", "Value": [len(entry["series"])]},
                     "00201208": {"vr": "IS", "Value": [entry["count"]]}})
        result.append(item)
    return _json(result)


@router.get("/studies/{study_uid}/series")
def search_series(study_uid: str, user: User = Depends(current_user), db: Session = DB) -> JSONResponse:
    series: dict[str, dict[str, Any]] = {}
    for row in library.visible_studies(db, user):
        if row.study_uid != study_uid:
            continue
        entry = series.setdefault(row.series_uid, {**_attr("0020000E", "UI", row.series_uid),
                                                   **_attr("00080060", "CS", row.modality),
                                                   **_attr("0008103E", "LO", row.title), "count": 0})
        entry["count"] += 1
    if not series:
        raise HTTPException(404, "No such study.")
    return _json([{**{k: v for k, v in e.items() if k != "count"},
                   "00201209": {"vr": "IS", "Value": [e["count"]]}} for e in series.values()])


@router.get("/studies/{study_uid}/series/{series_uid}/instances")
def search_instances(study_uid: str, series_uid: str, user: User = Depends(current_user),
                     db: Session = DB) -> JSONResponse:
    return _json([{**_attr("00080018", "UI", i.sop_instance_uid), **_attr("00080016", "UI", i.sop_class_uid),
                   **_attr("00200013", "IS", i.instance_number), **_attr("00280010", "US", i.rows),
                   **_attr("00280011", "US", i.columns), **_attr("00280008", "IS", i.number_of_frames)}
                  for i in _series_or_404(db, user, study_uid, series_uid)])


@router.get("/studies/{study_uid}/series/{series_uid}/metadata")
def series_metadata(request: Request, study_uid: str, series_uid: str, user: User = Depends(current_user),
                    db: Session = DB) -> JSONResponse:
    data_dir = request.app.state.data_dir
    payload = []
    for instance in _series_or_404(db, user, study_uid, series_uid):
        ds = library.load(data_dir, instance)
        uri = f"/dicomweb/studies/{study_uid}/series/{series_uid}/instances/{instance.sop_instance_uid}/frames/1"
        payload.append(to_dicom_json(ds, bulk_data_uri=uri))
    return _json(payload)


@router.get("/studies/{study_uid}/series/{series_uid}/instances/{sop_uid}")
def retrieve_instance(request: Request, study_uid: str, series_uid: str, sop_uid: str,
                      user: User = Depends(current_user), db: Session = DB) -> Response:
    instance = _instance_or_404(db, user, study_uid, series_uid, sop_uid)
    path = request.app.state.data_dir / instance.relative_path
    body, content_type = multipart_related([path.read_bytes()], "application/dicom")
    return Response(body, media_type=content_type)


@router.get("/studies/{study_uid}/series/{series_uid}/instances/{sop_uid}/frames/{frame_list}")
def retrieve_frames(request: Request, study_uid: str, series_uid: str, sop_uid: str, frame_list: str,
                    user: User = Depends(current_user), db: Session = DB) -> Response:
    instance = _instance_or_404(db, user, study_uid, series_uid, sop_uid)
    try:
        numbers = [int(part) for part in frame_list.split(",")]
    except ValueError:
        raise HTTPException(400, "Frame list must be comma-separated integers, e.g. 1 or 1,2,3.") from None
    ds = library.load(request.app.state.data_dir, instance)
    try:
        parts = [frame_bytes(ds, n) for n in numbers]
    except IndexError as exc:
        raise HTTPException(404, str(exc)) from None
    body, content_type = multipart_related(parts, "application/octet-stream",
                                           extra_params=f"transfer-syntax={UNCOMPRESSED}")
    return Response(body, media_type=content_type)
