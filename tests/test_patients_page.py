"""The Patients page shows each patient in three views, with lesions outlined and their truth listed."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from tests.conftest import World


def test_patients_page_lists_every_patient(client_for, world: World) -> None:  # type: ignore[no-untyped-def]
    page = client_for("trainee").get("/patients")
    assert page.status_code == 200
    for patient_id in ("adult-male", "adult-female", "child-5y", "water-20", "ctdi-body", "step-wedge"):
        assert f'/patients/{patient_id}/preview.png' in page.text


def test_preview_png_shows_a_lesion_outline(client_for, world: World) -> None:  # type: ignore[no-untyped-def]
    client = client_for("instructor")
    plain = client.get("/patients/adult-male/preview.png?region=chest&seed=3")
    marked = client.get("/patients/adult-male/preview.png?region=chest&lesion=lung-nodule:size_mm=20&seed=3")
    assert plain.status_code == marked.status_code == 200
    assert plain.headers["content-type"] == "image/png"
    a = np.asarray(Image.open(io.BytesIO(plain.content)).convert("RGB"), dtype=np.int16)
    b = np.asarray(Image.open(io.BytesIO(marked.content)).convert("RGB"), dtype=np.int16)
    assert a.shape == b.shape and a.shape[1] > a.shape[0]  # three views side by side
    coloured = (np.abs(b[..., 0] - b[..., 1]) > 40) | (np.abs(b[..., 1] - b[..., 2]) > 40)
    assert coloured.sum() > 10, "the lesion is outlined in colour"
    page = client.get("/patients/adult-male?region=chest&lesion=lung-nodule:size_mm=20&seed=3")
    assert page.status_code == 200 and "lung-nodule" in page.text and "lung-" in page.text


def test_lesion_that_does_not_fit_gives_a_clear_error(client_for, world: World) -> None:  # type: ignore[no-untyped-def]
    client = client_for("trainee")
    page = client.get("/patients/adult-male?region=head&lesion=renal-stone")
    assert page.status_code == 422 and 'role="alert"' in page.text and "renal-stone" in page.text
    image = client.get("/patients/adult-male/preview.png?region=head&lesion=renal-stone")
    assert image.status_code == 422 and "renal-stone" in image.json()["detail"]
    assert client.get("/patients/nobody").status_code == 404
