"""Browser tests of the reading room (Playwright + Debian chromium against a live server).

1. A trainee reads a 5-case practice set: marks lesions with the viewer's Mark tool, sets a confidence,
   submits, gets per-case feedback with the missed lesion drawn on the image, and ends on their FROC curve.
2. Everything the browser received before the first submission (HTML, JSON, DICOM frames) is recorded and
   searched for the truth: no lesion label, diagnosis or teaching point, and no truth region in the page.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid
from sqlalchemy.orm import Session

from scanroom.config import Settings
from scanroom.dicom import library
from scanroom.reading import cases, sessions
from scanroom.store.models_reading import CaseStatus, ReadingMode
from tests.browser_support import ARTIFACTS, sign_in
from tests.conftest import World

pytestmark = pytest.mark.browser

SIZE = 256
TRUTH = ("Solid-nodule-truth-label", "Truth-diagnosis-adenocarcinoma", "Truth-teaching-point-fleischner")
# (lesions as (x, y) in pixels) for five cases: two lesions, one, none, one, none.
CASES = [[(70, 80), (180, 170)], [(128, 128)], [], [(60, 190)], []]


def _image(lesions: list[tuple[int, int]], seed: int) -> Dataset:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    pixels = 1000 + rng.normal(0, 60, (SIZE, SIZE))
    for x, y in lesions:
        pixels += 900 * np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * 7.0 ** 2))
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.Modality, ds.PatientName, ds.PatientID, ds.InstanceNumber = "OT", f"CASE^{seed}", f"C{seed}", 1
    ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.PhotometricInterpretation = SIZE, SIZE, 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.WindowCenter, ds.WindowWidth = 1400, 1600
    ds.PixelData = np.clip(pixels, 0, 4095).astype(np.uint16).tobytes()
    return ds


@pytest.fixture()
def five_case_set(db: Session, world: World, settings: Settings) -> int:
    ids = []
    for n, lesions in enumerate(CASES):
        ds = _image(lesions, n)
        library.store_dataset(db, settings.resolved_data_dir(), ds, collection="case")
        findings = [cases.FindingInput(series_uid=str(ds.SeriesInstanceUID), x=x, y=y, radius=18,
                                       label=f"{TRUTH[0]} {k + 1}") for k, (x, y) in enumerate(lesions)]
        case = cases.create_case(
            db, key=f"browser-{n}", title=f"Browser case {n}", modality="ot", findings=findings,
            series=[(str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID), "")],
            history="Smoker, 61, cough for six weeks.", question="Is there a pulmonary nodule? Mark each one.",
            diagnosis=TRUTH[1] if lesions else "Normal", diagnosis_choices=["No abnormality", "Pulmonary nodule"],
            teaching_points=[TRUTH[2]], status=CaseStatus.PUBLISHED)
        ids.append(case.id)
    reading_set = sessions.create_set(db, title="Nodule practice", case_ids=ids, mode=ReadingMode.PRACTICE)
    sessions.assign_set(db, reading_set=reading_set, cohort_id=world.cohort.id, mode=ReadingMode.PRACTICE,
                        actor=world.instructor)
    db.commit()
    return reading_set.id


def _click_image_point(page, x: float, y: float) -> None:  # type: ignore[no-untyped-def]
    """Click where image pixel (x, y) is displayed: Cornerstone fits the image to the viewport, centred."""
    box = page.locator("#scanroom-viewer .sr-viewport").bounding_box()
    scale = min(box["width"], box["height"]) / SIZE
    left = box["x"] + (box["width"] - SIZE * scale) / 2
    top = box["y"] + (box["height"] - SIZE * scale) / 2
    page.mouse.click(left + (x + 0.5) * scale, top + (y + 0.5) * scale)


def _wait_ready(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function("() => document.getElementById('scanroom-viewer')?.dataset.readingReady === 'true'",
                           timeout=30000)
    page.wait_for_timeout(200)


def _start(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/reading")
    page.get_by_role("button", name="Read Nodule practice (practice)").click()
    page.wait_for_url("**/cases/0")


def test_trainee_reads_a_practice_set_with_feedback_and_froc(page, live_server: str, five_case_set: int,
                                                             database_url: str) -> None:
    backend = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    sign_in(page, live_server, "trainee")
    _start(page, live_server)
    # Mark only the first of two lesions (confidence 4) plus one false mark (confidence 2) on case 1;
    # mark the lesion on cases 2 and 4; leave the normal cases unmarked.
    plan = [[(70, 80, "4"), (230, 30, "2")], [(128, 128, "5")], [], [(60, 190, "3")], []]
    for position, marks in enumerate(plan):
        _wait_ready(page)
        for n, (x, y, rating) in enumerate(marks, start=1):
            _click_image_point(page, x, y)
            page.get_by_label(f"Confidence for mark {n}").select_option(rating)
        assert page.locator("#mark-list li").count() == len(marks)
        choice = "Pulmonary nodule" if marks else "No abnormality"
        page.get_by_label(choice).check()
        if position == 0:
            page.screenshot(path=str(ARTIFACTS / f"reading-marks-{backend}.png"))
        page.get_by_role("button", name="Submit this case").click()
        page.wait_for_url(f"**/cases/{position}#feedback")
        _wait_ready(page)
        feedback = page.locator("#feedback")
        assert feedback.is_visible()
        if position == 0:
            assert feedback.get_by_text("Found: Solid-nodule-truth-label 1").is_visible()
            assert feedback.get_by_text("Missed: Solid-nodule-truth-label 2").is_visible()
            page.wait_for_function("() => window.scanroomViewer.getRegions().length === 3")
            assert page.locator("circle.sr-region-missed").count() == 1
            assert page.locator("circle.sr-region-hit").count() == 1
            assert page.locator("circle.sr-region-false-positive").count() == 1
            page.screenshot(path=str(ARTIFACTS / f"reading-feedback-{backend}.png"))
        if position == 2:
            assert feedback.get_by_text("This case is normal").is_visible()
        link = "See your results" if position == len(plan) - 1 else "Next case"
        page.get_by_role("link", name=link).click()
    page.wait_for_url("**/results")
    assert page.get_by_role("heading", name="Curves").is_visible()
    assert page.locator("svg.chart title", has_text="FROC curve").count() == 1
    stats = page.locator(".stats").inner_text()
    # Every abnormal case had a mark and neither normal case had one; 3 of the 4 lesions were localised.
    assert "Sensitivity\n100%" in stats and "Specificity\n100%" in stats and "Lesions found\n75%" in stats
    page.screenshot(path=str(ARTIFACTS / f"reading-results-{backend}.png"), full_page=True)
    assert not page.errors  # type: ignore[attr-defined]


def test_truth_never_reaches_the_browser_before_submission(page, live_server: str, five_case_set: int) -> None:
    received: list[tuple[str, bytes]] = []

    def keep(response) -> None:  # type: ignore[no-untyped-def]
        with contextlib.suppress(Exception):  # redirects and aborted requests have no body
            received.append((response.url, response.body()))

    sign_in(page, live_server, "trainee")
    page.on("response", keep)
    _start(page, live_server)
    _wait_ready(page)
    page.evaluate("() => window.scanroomViewer.setImageIndex(0)")
    page.wait_for_timeout(500)
    assert page.evaluate("() => window.scanroomViewer.getRegions().length") == 0
    html = page.content()
    page.remove_listener("response", keep)

    kinds = {url.split("?")[0].rsplit("/", 2)[-2] for url, _ in received}
    assert any("frames" in url for url, _ in received), f"no image frames were fetched: {kinds}"
    assert any(url.endswith("/metadata") for url, _ in received)
    for url, body in received + [("page", html.encode())]:
        for word in TRUTH:
            assert word.encode() not in body, f"{word!r} reached the browser in {url}"
        assert b"sr-region-missed" not in body or url.endswith(".js") or url.endswith(".css")
    assert page.get_attribute("#scanroom-viewer", "data-regions") == "[]"
    Path(ARTIFACTS / "reading-received-urls.txt").write_text("\n".join(url for url, _ in received))
