"""Synthetic chest cases: balanced plans, deterministic cases, truth that lies where the image shows it."""

from __future__ import annotations

import numpy as np
import pytest

from scanroom.reading import synthetic
from scanroom.reading.synthetic import DIFFICULTIES, build_case, plan_set
from tests.reading.synthetic_cases import normal, obvious, spec, subtle


def test_plan_is_balanced_spread_and_prefix_stable() -> None:
    specs = plan_set(48, seed=3)
    abnormal = [s for s in specs if s.lesions]
    assert len(abnormal) == 24
    assert len({s.case_key for s in specs}) == 48
    assert {s.target_difficulty for s in abnormal} == set(DIFFICULTIES)
    counts = [sum(s.target_difficulty == d for s in abnormal) for d in DIFFICULTIES]
    assert max(counts) - min(counts) <= 3
    assert any(len(s.lesions) == 2 for s in abnormal), "FROC needs multi-lesion cases"
    assert {s.patient_id for s in specs} == {"adult-male", "adult-female"}
    assert len({s.settings for s in specs}) > 40  # builds, kVp, rotation and centring vary
    assert plan_set(24, seed=3) == specs[:24]
    assert plan_set(48, seed=3) == specs
    assert plan_set(48, seed=4) != specs
    odd = plan_set(7, seed=1, abnormal_fraction=0.3)
    assert sum(bool(s.lesions) for s in odd) == 2
    assert all(not s.lesions for s in plan_set(5, abnormal_fraction=0.0))


def test_easy_targets_get_bigger_lesions_than_hard() -> None:
    specs = [s for s in plan_set(96, seed=8) if s.lesions]

    def sizes(level: str) -> float:
        return float(np.mean([float(les.split("size_mm=")[1].split(",")[0]) for s in specs
                              if s.target_difficulty == level for les in s.lesions if "ggo" not in les]))

    assert sizes("easy") > sizes("moderate") > sizes("hard")


@pytest.mark.parametrize("bad", [dict(modality="mri"), dict(exam="hand-pa"), dict(difficulty="trivial"),
                                 dict(abnormal_fraction=1.5)])
def test_plan_refuses_what_it_cannot_make(bad: dict) -> None:
    with pytest.raises(ValueError):
        plan_set(4, **bad)


def test_findings_come_from_the_truth_masks_inside_the_lung_field() -> None:
    case = obvious()
    acq = case.acquisition
    assert case.abnormal and len(case.findings) == 2
    assert acq.images.shape[0] == 1
    for f in case.findings:
        mask = acq.truth_masks[f.finding_id][0]
        assert mask[int(round(f.y)), int(round(f.x))], "centre (column x, row y) lies inside its truth mask"
        assert case.lung_field is not None and case.lung_field[int(round(f.y)), int(round(f.x))]
        assert f.radius >= 1.5 * f.equivalent_radius - 0.01
        assert f.radius >= 10.0 / acq.pixel_spacing_mm[0] - 0.01
        assert f.frame == 0 and f.frame_extent == 0
        assert f.organ in ("lung-left", "lung-right")
        assert f.signal > 0 and f.contrast > 0 and f.cnr > 0
    kinds = {f.lesion_type for f in case.findings}
    assert kinds == {"calcified-nodule", "lung-nodule"}
    # the patient's right lung is on the image left (frontal view, as if facing the patient)
    right = next(f for f in case.findings if f.organ == "lung-right")
    left = next(f for f in case.findings if f.organ == "lung-left")
    assert right.x < acq.images.shape[2] / 2 < left.x
    assert "right" in right.zone and "left" in left.zone


def test_difficulty_is_measured_easy_beats_hard() -> None:
    easy, hard = obvious(), subtle()
    assert easy.difficulty == "easy"
    assert hard.difficulty == "hard"
    assert max(f.contrast for f in easy.findings) > 2 * max(f.contrast for f in hard.findings)
    assert min(f.size_mm for f in easy.findings) > max(f.size_mm for f in hard.findings)
    assert synthetic.finding_difficulty(20, 1.0) == "easy"
    assert synthetic.finding_difficulty(20, 0.2) == "hard"
    assert synthetic.finding_difficulty(4, 2.0) == "hard"
    assert synthetic.finding_difficulty(12, 0.5) == "moderate"


def test_normal_case_has_no_findings_and_words_that_do_not_give_it_away() -> None:
    case = normal()
    assert not case.abnormal and case.findings == []
    assert "Normal" in case.diagnosis
    assert "normal" in case.tags and case.teaching_points
    assert case.question == obvious().question  # same question whatever the truth
    assert "nodule" not in case.history.lower()
    assert "granuloma" in obvious().diagnosis and "solid pulmonary nodule" in obvious().diagnosis
    assert any("Fleischner" in p for p in obvious().teaching_points)
    assert any("satisfaction of search" in p for p in obvious().teaching_points)


def test_a_spec_always_gives_the_same_case() -> None:
    again = build_case(spec("t-normal", "adult-female", 13, ()))
    first = normal()
    assert np.array_equal(again.acquisition.images, first.acquisition.images)
    assert again.history == first.history and again.diagnosis == first.diagnosis


def test_generate_set_reports_progress() -> None:
    specs = [spec("t-normal", "adult-female", 13, ())]
    seen: list[tuple[int, int, str]] = []
    cases = list(synthetic.generate_set(specs, progress=lambda i, n, key: seen.append((i, n, key))))
    assert seen == [(1, 1, "t-normal")]
    assert cases[0].spec == specs[0]


def test_generate_set_in_worker_processes_gives_the_serial_cases() -> None:
    specs = [spec("t-normal", "adult-female", 13, ()), spec("t-normal-2", "adult-male", 14, ())]
    cases = list(synthetic.generate_set(specs, workers=2))
    assert [c.spec.case_key for c in cases] == ["t-normal", "t-normal-2"]
    assert np.array_equal(cases[0].acquisition.images, normal().acquisition.images)


def test_ct_liver_plan_is_balanced() -> None:
    specs = plan_set(24, modality="ct", seed=2)
    assert sum(bool(s.lesions) for s in specs) == 12
    assert all(s.exam == "abdomen-pelvis-pv" and s.case_key.startswith("ct-liver-") for s in specs)
    assert all(les.split(":")[0] in ("liver-metastasis", "liver-cyst") for s in specs for les in s.lesions)


def test_ct_liver_case_truth_is_on_the_slice_where_the_lesion_is_largest() -> None:
    fast = (("mas", "120"), ("images", "6"), ("views_per_rotation", "300"), ("matrix", "256"))
    case = build_case(synthetic.SyntheticCaseSpec("t-ct", "ct", "abdomen-pelvis-pv", "adult-male", 21,
                                                  ("liver-metastasis:size_mm=35",), "easy", settings=fast))
    acq = case.acquisition
    assert acq.images.shape == (6, 256, 256) and case.abnormal
    (f,) = case.findings
    mask = acq.truth_masks[f.finding_id]
    assert int(np.argmax(mask.sum(axis=(1, 2)))) == f.frame
    assert mask[f.frame, int(round(f.y)), int(round(f.x))]
    shown = np.nonzero(mask.sum(axis=(1, 2)))[0]
    assert all(abs(int(k) - f.frame) <= f.frame_extent for k in shown)
    assert f.signal < -20, "a metastasis is darker than the enhanced liver in the portal venous phase"
    assert f.contrast > 1 and f.organ == "liver"
    assert "Hepatic metastasis" in case.diagnosis and case.tags[0] == "abdomen"
