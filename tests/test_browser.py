"""Browser test: Playwright drives Debian's headless chromium against a live server.

A trainee signs in, opens the CR chest radiograph in the viewer, drags to change window/level, and the
rendered canvas pixels change; the same trainee gets 403 on an instructor page. Screenshots are saved in
``test-artifacts/``.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from tests.browser_support import ARTIFACTS, sign_in_as_trainee

pytestmark = pytest.mark.browser


def _canvas_pixels(page) -> np.ndarray:  # type: ignore[no-untyped-def]
    canvas = page.locator("#scanroom-viewer canvas").first
    return np.asarray(Image.open(io.BytesIO(canvas.screenshot())).convert("L"), dtype=np.int16)


def test_trainee_windows_the_chest_radiograph(page, live_server: str, database_url: str) -> None:  # type: ignore[no-untyped-def]
    backend = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    sign_in_as_trainee(page, live_server)
    assert page.get_by_text("What to do next").is_visible()
    page.screenshot(path=str(ARTIFACTS / f"trainee-home-{backend}.png"), full_page=True)

    page.goto(f"{live_server}/gallery")
    page.get_by_role("link", name="Chest radiograph (CR, PA)").click()
    page.wait_for_function("() => window.scanroomViewer !== undefined")
    page.evaluate("() => window.scanroomViewer.ready")
    page.wait_for_timeout(300)
    before_voi = page.evaluate("() => window.scanroomViewer.getVOI()")
    before = _canvas_pixels(page)
    assert before.std() > 5, "the radiograph rendered as a flat image"
    page.screenshot(path=str(ARTIFACTS / f"viewer-cr-before-{backend}.png"))

    box = page.locator("#scanroom-viewer canvas").first.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(x + 12 * step, y + 8 * step)
    page.mouse.up()
    page.wait_for_timeout(300)
    after_voi = page.evaluate("() => window.scanroomViewer.getVOI()")
    after = _canvas_pixels(page)
    page.screenshot(path=str(ARTIFACTS / f"viewer-cr-after-drag-{backend}.png"))

    assert after_voi != before_voi
    assert before.shape == after.shape
    changed = np.mean(np.abs(after - before) > 3)
    assert changed > 0.2, f"only {changed:.1%} of canvas pixels changed after the window/level drag"
    assert not page.errors, page.errors  # type: ignore[attr-defined]

    response = page.goto(f"{live_server}/instructor")
    assert response is not None and response.status == 403
    assert page.get_by_text("Not allowed").is_visible()
    page.screenshot(path=str(ARTIFACTS / f"trainee-403-{backend}.png"))


def test_trainee_positions_and_exposes_a_chest_pa(page, live_server: str, database_url: str) -> None:  # type: ignore[no-untyped-def]
    backend = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    sign_in_as_trainee(page, live_server)

    page.goto(f"{live_server}/scanroom/xray?exam=chest-pa&patient=adult-male")
    positioning = page.locator("#positioning")
    positioning.wait_for()
    before_src = positioning.get_attribute("src")
    page.get_by_label("Centring: towards head (cm)").fill("1")
    page.get_by_label("Field width (cm)").fill("34")
    page.wait_for_function(f"() => document.getElementById('positioning').src !== {before_src!r}", timeout=5000)
    page.screenshot(path=str(ARTIFACTS / f"xray-console-{backend}.png"), full_page=True)

    with page.expect_navigation(timeout=60000):
        page.get_by_role("button", name="Expose").click()
    di = page.locator("#di-value")
    assert di.is_visible()
    assert "EI" in di.inner_text() and "DI" in di.inner_text()
    page.wait_for_function("() => window.scanroomViewer !== undefined")
    page.evaluate("() => window.scanroomViewer.ready")
    assert _canvas_pixels(page).std() > 5, "the radiograph is shown in the viewer"
    rows = page.locator("#history tbody tr")
    assert rows.count() == 1 and "chest-pa" in rows.first.inner_text()
    page.screenshot(path=str(ARTIFACTS / f"xray-exposed-{backend}.png"), full_page=True)
    assert not page.errors, page.errors  # type: ignore[attr-defined]


def test_trainee_runs_a_head_ct_changes_the_window_and_reads_the_dose(page, live_server: str,  # type: ignore[no-untyped-def]
                                                                      database_url: str) -> None:
    backend = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    sign_in_as_trainee(page, live_server)
    page.goto(f"{live_server}/scanroom/ct?protocol=head-routine&patient=adult-male")
    page.get_by_label("Images to reconstruct").fill("2")
    with page.expect_navigation(timeout=120000):
        page.get_by_role("button", name="Scan").click()
    ctdivol = page.locator("#ctdivol").inner_text()
    dlp = page.locator("#dlp").inner_text()
    assert "mGy" in ctdivol and "mGy·cm" in dlp
    page.wait_for_function("() => window.scanroomViewer !== undefined")
    page.evaluate("() => window.scanroomViewer.ready")
    before = page.evaluate("() => window.scanroomViewer.getVOI()")
    preset = page.get_by_label("Preset")
    bone = [o for o in preset.locator("option").all_inner_texts() if o.lower().startswith("bone")][0]
    preset.select_option(label=bone)  # the trainee picks the bone window from the toolbar
    page.wait_for_timeout(300)
    after = page.evaluate("() => window.scanroomViewer.getVOI()")
    assert after != before and after["windowWidth"] > 1000
    page.screenshot(path=str(ARTIFACTS / f"ct-head-{backend}.png"), full_page=True)
    assert not page.errors, page.errors  # type: ignore[attr-defined]


def test_trainee_screens_then_runs_t1_and_flair(page, live_server: str, database_url: str) -> None:  # type: ignore[no-untyped-def]
    backend = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    sign_in_as_trainee(page, live_server)

    page.goto(f"{live_server}/scanroom/mri?case=routine-brain&sequence=t1-se")
    assert page.locator("#scan-blocked").is_visible()
    page.get_by_label("Safe to scan with the planned protocol.").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Record decision").click()
    assert "Correct." in page.locator("#screening-verdict").inner_text()

    before = page.locator("#scan-time").inner_text()
    page.get_by_label("TR (ms)").fill("900")
    page.wait_for_function(f"() => document.getElementById('scan-time').innerText !== {before!r}", timeout=10000)
    after = page.locator("#scan-time").inner_text()
    assert after != before  # scan time follows TR as the trainee types
    page.get_by_label("Slices").fill("4")
    page.get_by_label("Matrix").fill("128")
    with page.expect_navigation(timeout=120000):
        page.get_by_role("button", name="Scan").click()
    page.wait_for_function("() => window.scanroomViewer !== undefined")
    page.evaluate("() => window.scanroomViewer.ready")

    page.get_by_label("Sequence", exact=True).select_option("flair")
    page.wait_for_url("**sequence=flair**")
    page.get_by_label("Slices").fill("4")
    page.get_by_label("Matrix").fill("128")
    with page.expect_navigation(timeout=120000):
        page.get_by_role("button", name="Scan").click()
    rows = page.locator("#history tbody tr")
    assert rows.count() == 2
    assert "flair" in rows.nth(0).inner_text() and "t1-se" in rows.nth(1).inner_text()
    page.screenshot(path=str(ARTIFACTS / f"mri-{backend}.png"), full_page=True)
    assert not page.errors, page.errors  # type: ignore[attr-defined]
