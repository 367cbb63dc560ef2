"""Lesion-marking scoring on hand-made cases, FROC/AFROC/wAFROC by hand, AUC and DeLong against brute force."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from scanroom.reading.observer import FrocData, analyze
from scanroom.reading.observer.fom import auc, delong_variance, naive_jackknife, structural_components
from scanroom.reading.scoring import (
    Lesion,
    Mark,
    afroc_fom,
    localise,
    mark_from_outline,
    summarise,
    wafroc_fom,
)


def ids(marks):
    return [m.mark_id for m in marks]


def test_hit_and_false_positive():
    lesion = Lesion("a", x=50, y=50, radius=10)
    out = localise("c1", [lesion], [Mark(52, 50, 4, mark_id="m1"), Mark(100, 100, 2, mark_id="m2")])
    assert out.abnormal and out.case_rating == 4
    assert [(m.mark_id, les.lesion_id) for m, les in out.hits] == [("m1", "a")]
    assert ids(out.false_positives) == ["m2"] and out.missed == []


def test_mark_on_the_boundary_counts_and_just_outside_does_not():
    lesion = Lesion("a", x=0, y=0, radius=5)
    assert localise("c", [lesion], [Mark(3, 4, 1)]).hits  # distance exactly 5
    assert not localise("c", [lesion], [Mark(3, 4.01, 1)]).hits


def test_mark_inside_two_regions_goes_to_the_nearer_lesion():
    a, b = Lesion("a", 50, 50, 10), Lesion("b", 60, 50, 10)
    out = localise("c", [a, b], [Mark(57, 50, 3, mark_id="m")])  # 7 px from a, 3 px from b
    assert [(m.mark_id, les.lesion_id) for m, les in out.hits] == [("m", "b")]
    assert [les.lesion_id for les in out.missed] == ["a"] and out.false_positives == []


def test_lesion_marked_twice_credits_the_higher_rating_and_the_other_is_a_false_positive():
    a = Lesion("a", 50, 50, 10)
    out = localise("c", [a], [Mark(50, 50, 3, mark_id="low"), Mark(51, 50, 5, mark_id="high")])
    assert [m.mark_id for m, _ in out.hits] == ["high"]
    assert ids(out.false_positives) == ["low"]
    assert out.case_rating == 5


def test_frame_extent():
    a = Lesion("a", 20, 20, 5, frame=5, frame_extent=1)
    out = localise("c", [a], [Mark(20, 20, 2, frame=6, mark_id="near"), Mark(20, 20, 4, frame=7, mark_id="far")])
    assert [m.mark_id for m, _ in out.hits] == ["near"]  # frame 6 is within 5 ± 1, frame 7 is not
    assert ids(out.false_positives) == ["far"]
    flat = Lesion("b", 20, 20, 5, frame=5)  # extent 0: only frame 5
    assert not localise("c", [flat], [Mark(20, 20, 2, frame=4)]).hits


def test_unmarked_normal_case():
    out = localise("n", [], [])
    assert not out.abnormal and out.hits == [] and out.false_positives == [] and out.missed == []
    assert out.case_rating == 0 and out.roc_rating == -math.inf
    marked_normal = localise("n2", [], [Mark(1, 1, 2)])
    assert ids(marked_normal.false_positives) == [None] and marked_normal.case_rating == 2


def test_marks_from_outlines():
    square = mark_from_outline([(0, 0), (10, 0), (10, 10), (0, 10)], rating=3, frame=2)
    assert (square.x, square.y, square.rating, square.frame) == (5, 5, 3, 2)
    # Right triangle: centroid at the mean of the vertices, (10/3, 10/3), not biased by vertex spacing.
    tri = mark_from_outline([(0, 0), (5, 0), (10, 0), (0, 10)], rating=1)  # extra collinear vertex
    assert (tri.x, tri.y) == pytest.approx((10 / 3, 10 / 3))
    line = mark_from_outline([(0, 0), (4, 4)], rating=1)
    assert (line.x, line.y) == (2, 2)
    lesion = Lesion("a", 5, 5, 2)
    assert localise("c", [lesion], [square]).hits == []  # frame 2 ≠ lesion frame 0
    assert localise("c", [Lesion("a", 5, 5, 2, frame=2)], [square]).hits
    with pytest.raises(ValueError):
        mark_from_outline([], rating=1)


def test_bad_truth_and_marks_are_refused():
    with pytest.raises(ValueError, match="radius"):
        Lesion("a", 0, 0, 0)
    with pytest.raises(ValueError, match="finite"):
        Mark(0, 0, float("nan"))
    with pytest.raises(ValueError, match="unique"):
        localise("c", [Lesion("a", 0, 0, 1), Lesion("a", 5, 5, 1)], [])


def worked_example():
    """Four cases for the by-hand FROC and wAFROC arithmetic.

    N1 normal, NL marks rated 2 and 1; N2 normal, unmarked;
    A1 abnormal, lesions L1 (weight 3) and L2 (weight 1) → normalised weights 0.75 and 0.25; L1 marked 3, L2 missed;
    A2 abnormal, lesion L3 (no weight → 1) marked 2, and an NL mark rated 4 elsewhere.
    """
    l1 = Lesion("L1", 10, 10, 5, weight=3)
    l2 = Lesion("L2", 80, 80, 5, weight=1)
    l3 = Lesion("L3", 40, 40, 5)
    return [
        localise("N1", [], [Mark(5, 5, 2), Mark(60, 60, 1)]),
        localise("N2", [], []),
        localise("A1", [l1, l2], [Mark(11, 10, 3)]),
        localise("A2", [l3], [Mark(40, 42, 2), Mark(90, 10, 4)]),
    ]


def test_wafroc_and_afroc_by_hand():
    """ψ(x, y) = 1 if y > x, ½ if y = x, else 0; x = highest NL on a normal case (−∞ if none), y = LL (−∞ missed).

    wAFROC = Σ_normal Σ_lesions W·ψ / (K1·K2), K1 = K2 = 2:
      N1 (x = 2):  L1 3>2 → 0.75·1 = 0.75;  L2 −∞<2 → 0;           L3 2=2 → 1·½ = 0.5   → 1.25
      N2 (x = −∞): L1 → 0.75·1 = 0.75;      L2 −∞=−∞ → 0.25·½ = 0.125;  L3 → 1·1 = 1    → 1.875
      θ = (1.25 + 1.875) / 4 = 3.125 / 4 = 0.78125.
    (The NL rated 4 on A2 does not enter: wAFROC uses NLs on normal cases only.)
    AFROC = Σ_normal Σ_lesions ψ / (K1·L), L = 3 lesions:
      N1: 1 + 0 + ½ = 1.5;  N2: 1 + ½ + 1 = 2.5;  θ = 4 / 6 = 0.666…
    """
    outcomes = worked_example()
    assert wafroc_fom(outcomes) == pytest.approx(0.78125, abs=1e-15)
    assert afroc_fom(outcomes) == pytest.approx(4 / 6, abs=1e-15)
    summary = summarise(outcomes)
    assert summary.wafroc_fom == pytest.approx(0.78125) and summary.afroc_fom == pytest.approx(4 / 6)
    # The same cases through the MRMC FROC data type (one reader, one treatment) give the same FOM.
    froc = FrocData.from_outcomes({("r1", "t1"): outcomes})
    np.testing.assert_allclose(froc.lesion_weight, [0.75, 0.25, 1.0])
    from scanroom.reading.observer.mrmc import fom_table

    foms, _ = fom_table(froc, "wafroc")
    assert foms[0, 0] == pytest.approx(0.78125, abs=1e-15)


def test_froc_points_sensitivity_specificity_by_hand():
    """NL ratings: 2, 1 (N1), 4 (A2); LL ratings: 3 (L1), 2 (L3); 4 cases, 3 lesions.

    threshold 4: NL≥4 = 1 → NLF 1/4; LL≥4 = 0 → LLF 0
    threshold 3: NLF 1/4; LL≥3 = 1 → LLF 1/3
    threshold 2: NL≥2 = 2 → NLF 2/4; LL≥2 = 2 → LLF 2/3
    threshold 1: NL≥1 = 3 → NLF 3/4; LLF 2/3
    Any mark positive: A1, A2 marked → sensitivity 1; N1 marked, N2 not → specificity ½.
    Threshold 3: case ratings N1 2, N2 none, A1 3, A2 4 → sensitivity 1, specificity 1; LLF 1/3, NLF 1/4.
    """
    outcomes = worked_example()
    s = summarise(outcomes)
    assert (s.n_cases, s.n_normal, s.n_abnormal, s.n_lesions) == (4, 2, 2, 3)
    assert s.froc_thresholds == [4, 3, 2, 1]
    np.testing.assert_allclose(s.froc_points, [(0.25, 0), (0.25, 1 / 3), (0.5, 2 / 3), (0.75, 2 / 3)])
    assert (s.sensitivity, s.specificity) == (1.0, 0.5)
    assert s.lesion_localisation_fraction == pytest.approx(2 / 3) and s.nl_per_case == pytest.approx(0.75)
    t = summarise(outcomes, threshold=3)
    assert (t.sensitivity, t.specificity) == (1.0, 1.0)
    assert t.lesion_localisation_fraction == pytest.approx(1 / 3) and t.nl_per_case == pytest.approx(0.25)
    # ROC from inferred ratings: normals {2, −∞} all below abnormals {3, 4} → AUC 1.
    assert s.roc_auc == 1.0
    assert s.roc_points[0] == (0.0, 0.0) and s.roc_points[-1] == (1.0, 1.0)
    d = s.to_dict()
    assert d["roc_auc_ci"][1] <= 1.0 and isinstance(d["froc_points"][0], list)


def test_reading_time_and_json_safe_summary():
    outcomes = worked_example()
    for o, sec in zip(outcomes, (30.0, 50.0, None, 40.0), strict=True):
        o.reading_seconds = sec
    s = summarise(outcomes)
    assert s.mean_reading_seconds == pytest.approx(40.0)
    only_normals = summarise(outcomes[:2]).to_dict()
    assert only_normals["roc_auc"] is None and only_normals["sensitivity"] is None
    assert only_normals["wafroc_fom"] is None and only_normals["specificity"] == 0.5


def brute_force_auc(x, y):
    total = 0.0
    for xi, yj in itertools.product(x, y):
        total += 1.0 if yj > xi else 0.5 if yj == xi else 0.0
    return total / (len(x) * len(y))


def test_auc_matches_a_brute_force_pair_count_with_ties():
    rng = np.random.default_rng(7)
    for _ in range(20):
        x = rng.integers(1, 6, size=rng.integers(2, 30)).astype(float)
        y = rng.integers(2, 7, size=rng.integers(2, 30)).astype(float)
        if rng.random() < 0.3:
            x[0] = -math.inf  # unmarked case
        assert auc(x, y) == pytest.approx(brute_force_auc(x, y), abs=1e-14)


def test_auc_on_the_hanley_mcneil_example():
    """Hanley & McNeil 1982 (Radiology 143:29, Table 1): 58 normal, 51 abnormal CT images on a 5-point scale;
    counts per category 33/6/6/11/2 and 3/2/2/11/33; published area (Wilcoxon) 0.893."""
    x = np.repeat([1, 2, 3, 4, 5], [33, 6, 6, 11, 2])
    y = np.repeat([1, 2, 3, 4, 5], [3, 2, 2, 11, 33])
    assert round(auc(x, y), 3) == 0.893


def test_delong_variance_equals_the_two_sample_jackknife_and_its_definition():
    """DeLong's variance S10/n1 + S01/n0 is the sum of the jackknife variances over normal and over abnormal cases
    ((n−1)/n Σ (θ₍₋ₖ₎ − θ̄)² within each group); and it matches the definition computed with explicit loops."""
    rng = np.random.default_rng(3)
    x = rng.integers(1, 6, size=23).astype(float)
    y = rng.integers(2, 7, size=17).astype(float)
    jack = naive_jackknife(x, y)
    jn, ja = jack[: x.size], jack[x.size:]
    jack_var = ((x.size - 1) / x.size * np.sum((jn - jn.mean()) ** 2)
                + (y.size - 1) / y.size * np.sum((ja - ja.mean()) ** 2))
    assert delong_variance(x, y) == pytest.approx(jack_var, rel=1e-12)
    v10 = [np.mean([1.0 if yj > xi else 0.5 if yj == xi else 0.0 for xi in x]) for yj in y]
    v01 = [np.mean([1.0 if yj > xi else 0.5 if yj == xi else 0.0 for yj in y]) for xi in x]
    by_definition = np.var(v10, ddof=1) / y.size + np.var(v01, ddof=1) / x.size
    assert delong_variance(x, y) == pytest.approx(by_definition, rel=1e-12)
    s = structural_components(x, y)
    assert s.theta == pytest.approx(brute_force_auc(x, y))


def test_mrmc_on_scored_cases_from_the_reading_room():
    """Two readers × two treatments of scored cases → FROC data → wAFROC and AUC analyses run end to end."""
    rng = np.random.default_rng(11)
    lesions = {f"A{i}": [Lesion(f"A{i}-1", 30, 30, 6), Lesion(f"A{i}-2", 70, 70, 6)] for i in range(8)}
    normals = [f"N{i}" for i in range(8)]
    outcomes = {}
    for reader, treatment in itertools.product(("r1", "r2"), ("t1", "t2")):
        skill = 1.0 if treatment == "t2" else 0.0
        outs = []
        for case in normals:
            marks = [Mark(float(rng.uniform(0, 100)), float(rng.uniform(0, 100)), float(rng.integers(1, 4)))
                     for _ in range(rng.integers(0, 2))]
            outs.append(localise(case, [], marks))
        for case, les in lesions.items():
            marks = [Mark(le.x + 1, le.y, float(rng.integers(2, 6) + skill)) for le in les if rng.random() < 0.7]
            outs.append(localise(case, les, marks))
        outcomes[(reader, treatment)] = outs
    froc = FrocData.from_outcomes(outcomes)
    assert (froc.n_normal, froc.n_abnormal, len(froc.lesion_ids)) == (8, 8, 16)
    for method, fom in itertools.product(("or", "dbm"), ("auc", "wafroc")):
        res = analyze(froc, method=method, fom=fom)
        assert np.all((np.asarray(res.foms) >= 0) & (np.asarray(res.foms) <= 1))
        assert res.rrrc.p_value is not None and 0 <= res.rrrc.p_value <= 1
    direct = wafroc_fom(outcomes[("r2", "t1")])
    assert analyze(froc, fom="wafroc").foms[0][1] == pytest.approx(direct)
