"""Browser tests (headless chromium): a trainee completes the chest PA task and sees the rubric; an instructor
signs off a requirement and the trainee's record and the cohort dashboard update; the PDF export parses and
carries the trainee's name and requirements. Screenshots land in test-artifacts/."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from tests.browser_support import ARTIFACTS, sign_in
from tests.conftest import World

pytestmark = pytest.mark.browser


def _backend(database_url: str) -> str:
    return "postgresql" if database_url.startswith("postgresql") else "sqlite"


def test_trainee_completes_the_chest_pa_task(page, live_server: str, database_url: str) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server, "trainee")
    page.goto(f"{live_server}/competency")
    page.get_by_role("link", name="Open task Chest PA for an outpatient with a cough").click()
    assert page.locator("#task-request").inner_text().startswith("Chest PA (erect)")
    page.get_by_role("button", name="Start task").click()
    page.wait_for_url("**/scanroom/xray?task=*")
    assert page.locator("#task-banner").is_visible()
    page.get_by_role("button", name="Expose").click()
    page.wait_for_url("**record=*&task=*", timeout=120_000)
    assert page.locator("#task-scan-count").inner_text() == "1"
    page.screenshot(path=str(ARTIFACTS / f"task-console-{_backend(database_url)}.png"), full_page=True)
    page.get_by_role("button", name="Submit task").click()
    page.wait_for_url("**/competency/attempts/*")
    assert page.locator("#task-score").inner_text() == "100"
    rows = page.locator("table.rubric tbody tr")
    assert rows.count() == 9 and page.locator("table.rubric tr.lost").count() == 0
    assert page.locator(".rubric-chart").is_visible()
    page.screenshot(path=str(ARTIFACTS / f"task-rubric-{_backend(database_url)}.png"), full_page=True)
    assert not page.errors, page.errors  # type: ignore[attr-defined]


def test_instructor_signs_off_and_record_dashboard_and_pdf_follow(page, live_server: str, database_url: str,  # type: ignore[no-untyped-def]
                                                                  world: World) -> None:
    sign_in(page, live_server, "instructor")
    page.goto(f"{live_server}/competency/cohorts/{world.cohort.id}")
    assert page.locator('#cohort-table tr[data-trainee="trainee"] td.met').inner_text() == "0"
    page.goto(f"{live_server}/competency/trainees/{world.trainee.id}")
    for text in ("Performed the procedure independently", "Performed it consistently", "Performed it effectively"):
        page.get_by_label(f"{text}: Chest routine").check()
    page.get_by_label("Comment for Chest routine").fill("Observed: independent, consistent, effective")
    page.get_by_role("button", name="Sign off Chest routine").click()
    page.wait_for_url(f"**/competency/trainees/{world.trainee.id}*")
    assert page.locator("#req-chest-routine").get_attribute("data-status") == "met"
    assert page.locator("#met-count").inner_text() == "1"
    page.screenshot(path=str(ARTIFACTS / f"signoff-{_backend(database_url)}.png"), full_page=False)
    page.goto(f"{live_server}/competency/cohorts/{world.cohort.id}")
    assert page.locator('#cohort-table tr[data-trainee="trainee"] td.met').inner_text() == "1"
    assert page.locator('#cohort-table tr[data-trainee="trainee2"] td.met').inner_text() == "0"
    assert page.locator(".cohort-chart").is_visible()
    page.screenshot(path=str(ARTIFACTS / f"cohort-dashboard-{_backend(database_url)}.png"), full_page=True)
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, live_server, "trainee")
    page.goto(f"{live_server}/competency/record")
    assert page.locator("#req-chest-routine").get_attribute("data-status") == "met"
    assert "Observed: independent" in page.locator("#req-chest-routine").inner_text()
    assert page.locator("form.signoff").count() == 0  # a trainee has nothing to sign
    href = page.locator("#export-pdf").get_attribute("href")
    response = page.request.get(f"{live_server}{href}")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)
    assert "Competency record: Trainee" in text and "Chest routine" in text and "signed off by Instructor" in text
    assert "All 36 mandatory imaging procedures" in text
    other = page.request.get(f"{live_server}/competency/trainees/{world.trainee2.id}/record.pdf")
    assert other.status == 404
    assert not page.errors, page.errors  # type: ignore[attr-defined]
