"""DICOMweb endpoints return what PS3.18 says, from the stored files, to those allowed to see them."""

from __future__ import annotations

import io

import numpy as np
import pydicom
from pydicom.data import get_testdata_file
from sqlalchemy.orm import Session

from scanroom.dicom.dicomweb import parse_multipart_related
from scanroom.dicom.library import gallery, store_dataset
from scanroom.store.models import ImageInstance
from tests.conftest import World


def _by_title(db: Session, fragment: str) -> ImageInstance:
    return next(i for i in gallery(db) if fragment in i.title)


def test_metadata_is_dicom_json_without_pixel_data(client_for, world: World, db: Session) -> None:  # type: ignore[no-untyped-def]
    ct = _by_title(db, "CT head")
    response = client_for("trainee").get(f"/dicomweb/studies/{ct.study_uid}/series/{ct.series_uid}/metadata")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/dicom+json")
    (item,) = response.json()
    assert item["00080018"]["Value"] == [ct.sop_instance_uid]
    assert item["00280010"]["Value"] == [512] and item["00280011"]["Value"] == [512]
    assert item["00281053"]["Value"][0] == 1 and "00281052" in item  # rescale for HU
    assert item["00020010"]["Value"] == ["1.2.840.10008.1.2.1"]
    assert "Value" not in item["7FE00010"] and item["7FE00010"]["BulkDataURI"].endswith("/frames/1")


def test_frame_is_the_original_pixel_data(client_for, world: World, db: Session) -> None:  # type: ignore[no-untyped-def]
    cr = _by_title(db, "Chest radiograph")
    client = client_for("trainee")
    url = f"/dicomweb/studies/{cr.study_uid}/series/{cr.series_uid}/instances/{cr.sop_instance_uid}/frames/1"
    response = client.get(url)
    assert response.status_code == 200
    content_type = response.headers["content-type"]
    assert content_type.startswith("multipart/related") and "transfer-syntax=1.2.840.10008.1.2.1" in content_type
    (part,) = parse_multipart_related(response.content, content_type)
    original = pydicom.dcmread(get_testdata_file("RG1_UNCR.dcm")).pixel_array
    served = np.frombuffer(part, dtype="<u2").reshape(original.shape)
    assert np.array_equal(served, original)
    assert client.get(url.replace("/frames/1", "/frames/2")).status_code == 404
    assert client.get(url.replace("/frames/1", "/frames/x")).status_code == 400


def test_palette_ultrasound_is_served_as_rgb(client_for, world: World, db: Session) -> None:  # type: ignore[no-untyped-def]
    us = _by_title(db, "Obstetric ultrasound")
    client = client_for("trainee")
    (meta,) = client.get(f"/dicomweb/studies/{us.study_uid}/series/{us.series_uid}/metadata").json()
    assert meta["00280004"]["Value"] == ["RGB"] and meta["00280002"]["Value"] == [3]
    response = client.get(f"/dicomweb/studies/{us.study_uid}/series/{us.series_uid}/instances/"
                          f"{us.sop_instance_uid}/frames/1")
    (part,) = parse_multipart_related(response.content, response.headers["content-type"])
    assert len(part) == 600 * 800 * 3


def test_retrieve_instance_returns_part10(client_for, world: World, db: Session) -> None:  # type: ignore[no-untyped-def]
    mr = _by_title(db, "multi-frame")
    response = client_for("trainee").get(
        f"/dicomweb/studies/{mr.study_uid}/series/{mr.series_uid}/instances/{mr.sop_instance_uid}")
    (part,) = parse_multipart_related(response.content, response.headers["content-type"])
    ds = pydicom.dcmread(io.BytesIO(part))
    assert ds.SOPInstanceUID == mr.sop_instance_uid and int(ds.NumberOfFrames) == 10


def test_owned_images_are_private(client_for, world: World, db: Session, settings) -> None:  # type: ignore[no-untyped-def]
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    ds.SOPInstanceUID = pydicom.uid.generate_uid()
    ds.SeriesInstanceUID = pydicom.uid.generate_uid()
    instance = store_dataset(db, settings.resolved_data_dir(), ds, collection="acquisition",
                             title="My scan", owner_id=world.trainee.id)
    db.commit()
    series = f"/dicomweb/studies/{instance.study_uid}/series/{instance.series_uid}"
    try:
        assert client_for("trainee").get(series + "/metadata").status_code == 200
        assert client_for("trainee2").get(series + "/metadata").status_code == 404
        assert client_for("trainee2").get(f"/viewer/{instance.study_uid}/{instance.series_uid}").status_code == 404
        studies = client_for("trainee2").get("/dicomweb/studies").json()
        assert instance.study_uid not in {s["0020000D"]["Value"][0] for s in studies}
    finally:
        db.delete(instance)
        db.commit()


def test_qido_lists_the_gallery(client_for, world: World, db: Session) -> None:  # type: ignore[no-untyped-def]
    client = client_for("instructor")
    studies = client.get("/dicomweb/studies").json()
    assert len(studies) == len({i.study_uid for i in gallery(db)})
    first = gallery(db)[0]
    series = client.get(f"/dicomweb/studies/{first.study_uid}/series").json()
    assert first.series_uid in {s["0020000E"]["Value"][0] for s in series}
    instances = client.get(f"/dicomweb/studies/{first.study_uid}/series/{first.series_uid}/instances").json()
    assert instances[0]["00080018"]["Value"] == [first.sop_instance_uid]
    assert client.get("/dicomweb/studies/9.9.9/series").status_code == 404
