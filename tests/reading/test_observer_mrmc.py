"""MRMC analyses reproduce the published Van Dyke results (Iowa OR-DBM MRMC 2.5 / RJafroc), run on Franken.

Published values: tests/data/observer/README.md (sources: RJafroc ``inst/Iowa/VanDyke.txt`` and
``inst/obumrm2/VanDyke-traparea-jackknife-obuch-anova.txt``). Numbers given to 8 decimals are checked to 1e-6
or better; numbers given to fewer digits are checked to the digits given. Franken: the published RJafroc output
(see ``test_franken_published_values``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from scanroom.reading.observer import FrocData, RatingData, analyze, load
from scanroom.reading.observer.fom import naive_jackknife, structural_components
from scanroom.reading.observer.mrmc import fom_table, pseudovalues

DATA = Path(__file__).resolve().parents[1] / "data" / "observer"

VANDYKE_AUC = [[0.91964573, 0.85877617, 0.90386473, 0.97310789, 0.82979066],
               [0.94782609, 0.90531401, 0.92173913, 0.99935588, 0.92995169]]


@pytest.fixture(scope="module")
def vandyke() -> RatingData:
    data = load(DATA / "vandyke_roc.csv")
    assert isinstance(data, RatingData)
    return data


@pytest.fixture(scope="module")
def vd_or(vandyke):
    return analyze(vandyke, method="or", fom="auc")


@pytest.fixture(scope="module")
def vd_dbm(vandyke):
    return analyze(vandyke, method="dbm", fom="auc")


def test_vandyke_shape(vandyke):
    assert vandyke.readers == ["0", "1", "2", "3", "4"] and vandyke.treatments == ["0", "1"]
    assert (len(vandyke.cases), vandyke.n_normal, vandyke.n_abnormal) == (114, 69, 45)


def test_vandyke_reader_aucs_and_means(vd_or, vd_dbm):
    for res in (vd_or, vd_dbm):
        np.testing.assert_allclose(res.foms, VANDYKE_AUC, atol=5e-9)
        np.testing.assert_allclose(res.treatment_means, [0.89703704, 0.94083736], atol=5e-9)
        diff = res.rrrc.comparisons[0]
        assert (diff.treatment_a, diff.treatment_b) == ("0", "1")
        assert diff.difference == pytest.approx(-0.04380032, abs=5e-9)


def test_vandyke_or_variance_components(vd_or):
    vc = vd_or.variance_components
    published = {"Var(R)": 0.00153500, "Var(TR)": 0.00020040, "Cov1": 0.00034661, "Cov2": 0.00034407,
                 "Cov3": 0.00023903, "Var(Error)": 0.00080229}
    for key, value in published.items():
        assert vc[key] == pytest.approx(value, abs=5e-9), key


def test_vandyke_or_rrrc(vd_or):
    a = vd_or.rrrc
    assert a.statistic == pytest.approx(4.456319, abs=5e-7)
    assert a.ndf == 1
    assert a.ddf == pytest.approx(15.25967, abs=5e-6)
    assert a.p_value == pytest.approx(0.05166569, abs=5e-9)
    ci = a.comparisons[0]
    assert ci.ci_low == pytest.approx(-0.08796, abs=5e-6)
    assert ci.ci_high == pytest.approx(0.00036, abs=5e-6)


def test_vandyke_frrc(vd_or, vd_dbm):
    a = vd_or.frrc
    assert a.statistic_name == "chi2" and a.ndf == 1 and math.isinf(a.ddf)
    assert a.statistic == pytest.approx(5.475953, abs=5e-7)
    assert a.p_value == pytest.approx(0.01928, abs=5e-6)
    b = vd_dbm.frrc
    assert b.statistic == pytest.approx(5.475953, abs=5e-7)
    assert b.ddf == 113
    assert b.p_value == pytest.approx(0.02103497, abs=5e-9)
    # Single-treatment FRRC intervals of the Iowa output (VanDyke.txt lines 228-243, quoted in RJafroc
    # R/StORSummaryFRRC.R): SE 0.02428971 / 0.01677632, CI (0.84943008, 0.94464399) / (0.90795637, 0.97371835).
    est = a.treatments
    assert [e.std_error for e in est] == pytest.approx([0.02428971, 0.01677632], abs=5e-9)
    assert (est[0].ci_low, est[0].ci_high) == pytest.approx((0.84943008, 0.94464399), abs=5e-9)
    assert (est[1].ci_low, est[1].ci_high) == pytest.approx((0.90795637, 0.97371835), abs=5e-9)


def test_vandyke_rrfc(vd_or, vd_dbm):
    for res in (vd_or, vd_dbm):
        a = res.rrfc
        assert (a.ndf, a.ddf) == (1, 4)
        assert a.statistic == pytest.approx(8.704, abs=5e-4)
        assert a.p_value == pytest.approx(0.04196, abs=5e-6)


def test_vandyke_dbm_mean_squares_and_rrrc(vd_dbm, vd_or):
    ms = vd_dbm.mean_squares
    published = {"T": 0.5467634, "TR": 0.0628175, "TC": 0.0998481, "TRC": 0.0399716}
    for key, value in published.items():
        assert ms[key] == pytest.approx(value, abs=5e-8), key
    # DBM with Hillis ddf gives the same RRRC test as OR (Hillis 2008).
    assert vd_dbm.rrrc.statistic == pytest.approx(4.456319, abs=5e-7)
    assert vd_dbm.rrrc.ddf == pytest.approx(15.25967, abs=5e-6)
    assert vd_dbm.rrrc.p_value == pytest.approx(vd_or.rrrc.p_value, rel=1e-10)
    # Normalised pseudovalues: the FOM ANOVA scaled by c (Hillis 2007).
    assert ms["T"] == pytest.approx(114 * vd_or.mean_squares["T"], rel=1e-10)
    assert ms["TR"] == pytest.approx(114 * vd_or.mean_squares["TR"], rel=1e-10)


def test_excel_format_gives_the_same_analysis(vd_or):
    froc = load(DATA / "vandyke_jafroc.xlsx")
    assert isinstance(froc, FrocData)
    assert (len(froc.cases), froc.n_normal, froc.n_abnormal) == (114, 69, 45)
    for fom in ("auc", "wafroc"):  # ROC data in JAFROC form: one lesion per abnormal case, so wAFROC = AUC
        res = analyze(froc, method="or", fom=fom)
        np.testing.assert_allclose(res.foms, VANDYKE_AUC, atol=5e-9)
        assert res.rrrc.statistic == pytest.approx(vd_or.rrrc.statistic, rel=1e-12)


def test_jackknife_matches_recomputing_without_each_case(vandyke):
    foms, jack = fom_table(vandyke, "auc")
    normal, abnormal = vandyke.truth == 0, vandyke.truth == 1
    x, y = vandyke.ratings[1, 4, normal], vandyke.ratings[1, 4, abnormal]
    expected = naive_jackknife(x, y)
    got = np.concatenate((jack[1, 4, normal], jack[1, 4, abnormal]))
    np.testing.assert_allclose(got, expected, atol=1e-14)
    assert foms[1, 4] == pytest.approx(structural_components(x, y).theta)
    y_ps = pseudovalues(foms, jack)
    np.testing.assert_allclose(y_ps.mean(axis=2), foms, atol=1e-12)


def test_franken_clamp_edge_case():
    """Franken: Cov2 < Cov3, so max(Cov2 − Cov3, 0) = 0 and the RRRC test becomes the RRFC test."""
    data = load(DATA / "franken_roc.csv")
    assert (len(data.readers), len(data.treatments), len(data.cases)) == (4, 2, 100)
    res = analyze(data, method="or")
    vc = res.variance_components
    assert vc["Cov2"] < vc["Cov3"]
    assert 0 < vc["Var(Error)"] < 0.01 and vc["Cov1"] < vc["Var(Error)"]
    assert np.all((np.asarray(res.foms) > 0.5) & (np.asarray(res.foms) < 1))
    rrrc, rrfc = res.rrrc, res.rrfc
    assert rrrc.ddf == pytest.approx(3.0)  # (t−1)(r−1): the clamp removes the case term
    assert rrrc.statistic == pytest.approx(rrfc.statistic)
    assert 0 < rrrc.p_value < 1 and 0 < res.frrc.p_value < 1
    for a in res.analyses.values():
        for c in a.comparisons:
            assert c.ci_low < c.difference < c.ci_high
        for e in a.treatments:
            assert e.ci_low < e.mean < e.ci_high and e.std_error > 0
    dbm = analyze(data, method="dbm")
    assert dbm.rrrc.statistic == pytest.approx(rrrc.statistic, rel=1e-10)
    assert dbm.rrrc.ddf == pytest.approx(3.0)
    np.testing.assert_allclose(dbm.foms, res.foms)


def test_three_treatments_and_json(vandyke):
    """A third treatment (reader-shifted copy): F test with 2 df, three pairwise differences, JSON-clean."""
    rows = vandyke.to_rows()
    rows += [(r, "2", c, t, v + (1.0 if r == "0" and t == 1 else 0.0)) for r, tm, c, t, v in rows if tm == "0"]
    data = RatingData.from_rows(rows)
    for method in ("or", "dbm"):
        res = analyze(data, method=method)
        assert res.rrrc.ndf == 2
        assert [(c.treatment_a, c.treatment_b) for c in res.rrrc.comparisons] == [("0", "1"), ("0", "2"), ("1", "2")]
        payload = json.loads(json.dumps(res.to_dict()))
        frrc_ddf = payload["analyses"]["FRRC"]["ddf"]
        assert frrc_ddf is None if method == "or" else frrc_ddf == 2 * 113  # OR: chi-square (infinite ddf)
        assert len(payload["foms"]) == 3 and "RRRC" in res.report()


def test_franken_published_values():
    """Franken (RJafroc ``dataset03``) as published by RJafroc, ``St(dataset03, FOM = "Wilcoxon", method = "OR" |
    "DBM")`` — Chakraborty's RJafrocQuickStart book, chapters "OR analysis text output" (07-or-analysis-text) and
    "DBM analysis text output" (06-dbm-analysis-text). Checked to the digits printed there."""
    data = load(DATA / "franken_roc.csv")
    res = analyze(data, method="or")
    np.testing.assert_allclose(res.foms, [[0.85345997, 0.86499322, 0.85730439, 0.81524197],
                                          [0.84961556, 0.84350972, 0.84011759, 0.81433740]], atol=5e-9)
    np.testing.assert_allclose(res.treatment_means, [0.84774989, 0.83689507], atol=5e-9)
    vc = res.variance_components
    published_or = {"Var(R)": 2.331994e-05, "Var(TR)": -6.838915e-04, "Cov1": 7.916821e-04, "Cov2": 4.836377e-04,
                    "Cov3": 5.125091e-04, "Var(Error)": 1.525776e-03}
    for key, value in published_or.items():
        assert vc[key] == pytest.approx(value, rel=5e-7), key
    assert res.mean_squares["T"] == pytest.approx(2.356541e-04, rel=5e-7)
    assert res.mean_squares["R"] == pytest.approx(6.840600e-04, rel=5e-7)
    assert res.mean_squares["TR"] == pytest.approx(5.020264e-05, rel=5e-7)
    rrrc = res.rrrc
    assert (rrrc.statistic, rrrc.ddf, rrrc.p_value) == pytest.approx((4.694058, 3, 0.1188379), abs=5e-7)
    diff = rrrc.comparisons[0]
    assert (diff.std_error, diff.statistic) == pytest.approx((0.005010122, 2.166577), abs=5e-7)
    assert (diff.ci_low, diff.ci_high) == pytest.approx((-0.005089627, 0.02679926), abs=5e-9)
    est = rrrc.treatments
    assert [e.std_error for e in est] == pytest.approx([0.02440215, 0.02356642], abs=5e-9)
    assert [e.df for e in est] == pytest.approx([70.12179, 253.64403], abs=5e-6)
    assert [(e.ci_low, e.ci_high) for e in est] == [pytest.approx((0.7990828, 0.8964170), abs=5e-8),
                                                    pytest.approx((0.7904843, 0.8833058), abs=5e-8)]

    dbm = analyze(data, method="dbm")
    published_ms = {"T": 0.0235654097, "R": 0.0684059998, "C": 0.5305898857, "TR": 0.0050202641,
                    "TC": 0.0647479678, "RC": 0.1321311576, "TRC": 0.0762965577}
    for key, value in published_ms.items():
        assert dbm.mean_squares[key] == pytest.approx(value, abs=5e-11), key
    published_vc = {"Var(R)": 3.7755679e-05, "Var(C)": 5.1250915e-02, "Var(TR)": -7.1276294e-04,
                    "Var(TC)": -2.8871475e-03, "Var(RC)": 2.7917300e-02, "Var(Error)": 7.6296558e-02}
    for key, value in published_vc.items():
        assert dbm.variance_components[key] == pytest.approx(value, rel=5e-8), key
    frrc = dbm.frrc
    assert (frrc.statistic, frrc.ddf, frrc.p_value) == pytest.approx((0.36395597, 99, 0.54769704), abs=5e-9)
    diff = frrc.comparisons[0]
    assert (diff.std_error, diff.ci_low, diff.ci_high) == pytest.approx((0.017992772, -0.024846746, 0.04655638),
                                                                        abs=5e-9)
    assert [e.std_error for e in frrc.treatments] == pytest.approx([0.027109386, 0.027448603], abs=5e-10)
    per_reader = frrc.reader_comparisons
    assert [c.std_error for c in per_reader] == pytest.approx([0.042792227, 0.040069753, 0.034993994, 0.034805365],
                                                              abs=5e-10)
    assert [c.p_value for c in per_reader] == pytest.approx([0.92859660, 0.59305592, 0.62441761, 0.97931817],
                                                            abs=5e-9)
    assert [e.std_error for e in dbm.rrfc.treatments] == pytest.approx([0.011098012, 0.007771730], abs=5e-10)
