"""Rubric tests on the real simulator: a scripted ideal chest PA scores full marks; each scripted error loses
exactly the points its criteria carry in the task's rubric and names itself in the feedback."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from scanroom.competency import rubric, tasks
from scanroom.scanner.base import PatientRequest, apply_settings
from scanroom.scanner.registry import acquire, get_scanner

TASK = tasks.get_task("chest-pa-outpatient")
POINTS = {c["criterion"]: float(c["points"]) for c in TASK.rubric}
PER_REPEAT = float(next(c for c in TASK.rubric if c["criterion"] == "repeats")["per_repeat"])
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@dataclass
class Made:
    """What ``practice.scans.run_scan`` stores in a ScanRecord, from the same Acquisition summary."""

    preset: str
    protocol: dict[str, Any]
    dose: dict[str, Any]
    quality: dict[str, Any]
    feedback: list[dict[str, Any]]
    created_at: datetime


_CACHE: dict[str, Made] = {}


def expose(**settings: Any) -> Made:
    key = repr(sorted(settings.items()))
    if key not in _CACHE:
        protocol = apply_settings(get_scanner("xray").preset("chest-pa"), settings)
        summary = acquire("xray", PatientRequest(patient_id="adult-male"), protocol).summary()
        _CACHE[key] = Made(str(protocol.exam), protocol.model_dump(mode="json"), summary["dose"],  # type: ignore[attr-defined]
                           summary["quality"], summary["feedback"], START + timedelta(minutes=4))
    return _CACHE[key]


def test_ideal_chest_pa_scores_full_marks() -> None:
    ideal = expose()
    result = rubric.score(TASK, [(ideal, "")], started_at=START)
    assert result.score == result.max_score == 100.0, [i.message for i in result.items if i.lost]
    assert abs(ideal.dose["di"]) <= 1 and ideal.dose["dap_gycm2"] <= ideal.dose["drl_dap_gycm2"]
    assert ideal.quality["field_to_anatomy_area"] <= TASK.expected["collimation_max_ratio"]


ERRORS = {
    # scripted error: (settings of the exposure, criteria it must cost)
    "rotation": ({"rotation_deg": 8}, ("positioning",)),
    "wide-collimation": ({"field_cm": "43x43"}, ("collimation", "dose")),  # a wider field also raises the DAP
    "di-plus-3": ({"mas": 4.0}, ("exposure", "dose")),  # > 2.5x the target dose: DI > +3 and DAP over the DRL
    "no-marker": ({"side_marker": "none"}, ("marker",)),
}


@pytest.mark.parametrize("error", list(ERRORS))
def test_each_scripted_error_loses_exactly_its_points(error: str) -> None:
    settings, criteria = ERRORS[error]
    made = expose(**settings)
    result = rubric.score(TASK, [(made, "")], started_at=START)
    assert result.lost() == {c: POINTS[c] for c in criteria}, [i.message for i in result.items]
    assert result.score == 100.0 - sum(POINTS[c] for c in criteria)
    for item in result.items:
        if item.lost:
            assert item.message.startswith(rubric.TITLES[item.criterion]), item.message  # names itself
            assert item.advice, f"{item.criterion} says what to do differently"
    if error == "di-plus-3":
        assert made.dose["di"] > 3
    if error == "wide-collimation":
        assert "Collimation too wide" in next(i.message for i in result.items if i.criterion == "collimation")


def test_a_di_between_one_and_three_costs_half_the_exposure_points() -> None:
    over = expose(mas=3.0)  # twice the preset mAs: DI about +2.4, DAP about twice the DRL
    assert 1 < over.dose["di"] <= 3
    result = rubric.score(TASK, [(over, "")], started_at=START)
    assert result.lost() == {"exposure": POINTS["exposure"] / 2, "dose": POINTS["dose"]}


def test_a_repeat_costs_its_points_and_reports_the_reason() -> None:
    ideal = expose()
    result = rubric.score(TASK, [(expose(side_marker="none"), ""), (ideal, "marker")], started_at=START)
    assert result.lost() == {"repeats": PER_REPEAT}  # the final (reported) image is judged, the repeat is counted
    item = next(i for i in result.items if i.criterion == "repeats")
    assert item.message.startswith("Repeats") and "marker" in item.message


def test_wrong_exam_and_late_finish_are_scored() -> None:
    late = Made("chest-lat", {**expose().protocol, "exam": "chest-lat"}, expose().dose, expose().quality, [],
                START + timedelta(minutes=30))
    result = rubric.score(TASK, [(late, "")], started_at=START)
    assert result.lost()["exam"] == POINTS["exam"] and result.lost()["time"] == POINTS["time"]
    assert rubric.score(TASK, [], started_at=START).score == 0.0


# What a competent radiographer sets for each X-ray task: the exam's preset, except for the five-year-old's hand
# (collimate to the small hand, about 70% of the adult mAs).
IDEAL = {"hand-child": {"field_cm": "15x19", "mas": 0.7}}


@pytest.mark.parametrize("task_id", [t.id for t in tasks.all_tasks()
                                     if t.modality == "xray" and t.id != "chest-pa-outpatient"])
def test_every_xray_task_can_be_done_with_full_marks(task_id: str) -> None:
    task = tasks.get_task(task_id)
    preset = get_scanner("xray").preset(str(task.expected["exam"]))
    protocol = apply_settings(preset, IDEAL.get(task_id, {}))
    summary = acquire("xray", PatientRequest(patient_id=task.patient_id, lesions=task.lesions), protocol).summary()
    made = Made(str(task.expected["exam"]), protocol.model_dump(mode="json"), summary["dose"], summary["quality"],
                summary["feedback"], START + timedelta(minutes=3))
    answers = {c.id: c.answer for c in task.checks}
    assert rubric.score(task, [(made, "")], started_at=START, answers=answers).score == 100.0
    if task_id == "hand-child":  # the adult hand preset on a child: too wide a field and too much exposure
        adult = acquire("xray", PatientRequest(patient_id="child-5y"), preset).summary()
        as_adult = Made("hand-pa", preset.model_dump(mode="json"), adult["dose"], adult["quality"], adult["feedback"],
                        START + timedelta(minutes=3))
        lost = rubric.score(task, [(as_adult, "")], started_at=START, answers=answers).lost()
        assert set(lost) == {"collimation", "exposure"}
