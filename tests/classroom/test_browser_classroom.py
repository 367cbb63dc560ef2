"""Browser tests (must-show 5): a trainee takes a timed exam, reloads mid-way and resumes with the time
still counting; a hotspot item is answered by clicking the image; an instructor sees item statistics."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy.orm import Session

from scanroom.learning import exams, images
from scanroom.learning.items import ImageSpec, Item
from tests.browser_support import ARTIFACTS, sign_in
from tests.conftest import World

pytestmark = pytest.mark.browser


def _seconds(text: str) -> int:
    minutes, seconds = text.strip().split(":")
    return int(minutes) * 60 + int(seconds)


def test_timed_exam_reload_resumes_with_time_counting(page, live_server: str, db: Session,  # type: ignore[no-untyped-def]
                                                       world: World) -> None:
    exam = exams.create_exam(db, world.instructor, cohort_id=world.cohort.id, title="Browser timed exam",
                             kind="fixed", blueprint={"physics": 6}, time_limit_min=10, max_attempts=1, seed=11)
    db.commit()
    sign_in(page, live_server, "trainee")
    page.goto(f"{live_server}/classroom/exams/{exam.id}")
    page.get_by_role("button", name=re.compile("Start attempt")).click()
    page.wait_for_url(re.compile(r"/classroom/attempts/\d+"))
    first_left = _seconds(page.locator("#time-left").inner_text())
    assert 590 <= first_left <= 600
    # answer a single-choice question (every control change autosaves)
    radios = page.locator("fieldset[data-item] input[type=radio]")
    assert radios.count() > 0
    saved_item = radios.first.locator("xpath=ancestor::fieldset").get_attribute("data-item")
    radios.first.check()
    page.wait_for_function("document.getElementById('save-state').dataset.saved !== undefined")
    time.sleep(2.2)
    page.reload()
    resumed_left = _seconds(page.locator("#time-left").inner_text())
    assert resumed_left <= first_left - 2, (first_left, resumed_left)  # the clock kept running on the server
    assert resumed_left >= first_left - 30
    assert page.locator(f"fieldset[data-item='{saved_item}'] input[type=radio]:checked").count() == 1  # kept
    time.sleep(1.2)
    assert _seconds(page.locator("#time-left").inner_text()) < resumed_left  # still counting down
    page.screenshot(path=str(ARTIFACTS / "classroom-exam.png"))
    page.get_by_role("button", name="Submit exam").click()
    page.wait_for_selector("text=Questions with explanations")
    attempt = exams.attempts_of(db, world.trainee, exam)[0]
    db.refresh(attempt)
    assert attempt.status == "submitted" and saved_item in attempt.answers
    assert page.errors == []


def test_hotspot_answered_by_clicking_the_image(page, live_server: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    item = Item(item_id="browser-hotspot-liver", type="hotspot", stem="Click the liver.", key="liver",
                modality="general", topic="anatomy", level="entry", objective="x/1", source="test",
                explanation="The liver lies under the right hemidiaphragm.",
                image=ImageSpec(patient="adult-male", view="coronal", region="abdomen"))
    real = exams.item
    monkeypatch.setattr(exams, "item", lambda item_id, content=None: item if item_id == item.item_id
                        else real(item_id, content))
    from scanroom.learning import practice

    monkeypatch.setattr(practice, "next_item", lambda content, **kw: item)
    view = images.render("adult-male", "abdomen", "coronal", ("liver",))
    import numpy as np
    from scipy import ndimage

    mask = np.isin(view.labels, images.structure_names(view.label_names, "liver"))
    r, c = np.unravel_index(int(np.argmax(ndimage.distance_transform_edt(mask))), mask.shape)
    sign_in(page, live_server, "trainee")
    page.goto(f"{live_server}/classroom/practice")
    image = page.locator("img[data-hotspot]")
    image.wait_for()
    page.wait_for_function("document.querySelector('img[data-hotspot]').naturalWidth > 0")
    box = image.bounding_box()
    natural = page.evaluate("[document.querySelector('img[data-hotspot]').naturalWidth,"
                            " document.querySelector('img[data-hotspot]').naturalHeight]")
    x = (c + 0.5) * view.scale * box["width"] / natural[0]
    y = (r + 0.5) * view.scale * box["height"] / natural[1]
    image.click(position={"x": x, "y": y})
    assert page.locator(".hotspot-mark").is_visible()
    page.get_by_role("button", name="Check answer").click()
    page.wait_for_selector(".feedback")
    assert "Correct." in page.locator(".feedback").inner_text()
    page.screenshot(path=str(ARTIFACTS / "classroom-hotspot.png"))
    # a click far from the liver (top-left corner: air) is scored wrong
    page.goto(f"{live_server}/classroom/practice")
    page.wait_for_function("document.querySelector('img[data-hotspot]').naturalWidth > 0")
    page.locator("img[data-hotspot]").click(position={"x": 3, "y": 3})
    page.get_by_role("button", name="Check answer").click()
    page.wait_for_selector(".feedback")
    assert "Not quite." in page.locator(".feedback").inner_text()


def test_instructor_sees_item_statistics(page, live_server: str, db: Session, world: World) -> None:  # type: ignore[no-untyped-def]
    exam = exams.create_exam(db, world.instructor, cohort_id=world.cohort.id, title="Stats exam", kind="fixed",
                             blueprint={"physics": 2}, time_limit_min=10, max_attempts=1, seed=5)
    for trainee, right in ((world.trainee, True), (world.trainee2, False)):
        attempt = exams.start_attempt(db, trainee, exam)
        answers = {}
        for item_id in exam.item_ids:
            it = exams.item(item_id)
            if it.type == "numeric":
                answers[item_id] = f"{it.key.value * (1 if right else 3):.6g}"
            elif it.type == "single":
                answers[item_id] = it.key if right else (it.key + 1) % len(it.options)
        exams.submit(db, exam, attempt, answers)
    db.commit()
    sign_in(page, live_server, "instructor")
    page.goto(f"{live_server}/classroom/instructor")
    table = page.locator("table.item-stats")
    table.wait_for()
    from scanroom.learning.stats import stat_key

    key = stat_key(exam.item_ids[0])  # generated items are pooled per template
    pooled = sum(1 for i in exam.item_ids if stat_key(i) == key)
    row = table.locator(f"tr[data-item='{key}']")
    cells = row.locator("td").all_inner_texts()
    assert cells[1] == str(2 * pooled) and cells[2] == "0.50", cells  # n and difficulty p
    page.screenshot(path=str(ARTIFACTS / "classroom-item-analysis.png"))
