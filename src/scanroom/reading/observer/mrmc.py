"""Multi-reader multi-case (MRMC) analysis: Obuchowski–Rockette and Dorfman–Berbaum–Metz, with Hillis's ddf.

Both methods test whether treatments (modalities) differ in a reader-performance figure of merit (FOM: the
Wilcoxon ROC AUC or the wAFROC FOM), with readers and cases as sources of variance, in three settings:

* **RRRC** — random readers, random cases (conclusions for the population of readers and of cases);
* **FRRC** — fixed readers, random cases (these readers only);
* **RRFC** — random readers, fixed cases (these cases only).

**Obuchowski–Rockette (OR)** (Obuchowski & Rockette 1995, Commun Stat Simul Comput 24:285): a treatment ×
reader ANOVA of the FOMs θ_tr whose errors are correlated because every reader reads the same cases. The error
variance and the three covariances — Cov1 (same reader, different treatments), Cov2 (different readers,
same treatment), Cov3 (different readers and treatments) — are estimated from the leave-one-case-out
jackknife, Cov(θ_a, θ_b) = (c−1)/c · Σ_k (θ_a(k) − θ̄_a(·))(θ_b(k) − θ̄_b(·)). RRRC uses Hillis's
denominator MS(TR) + r·max(Cov2 − Cov3, 0) and ddf = [MS(TR) + r·max(Cov2 − Cov3, 0)]² /
[MS(TR)²/((t−1)(r−1))] (Hillis 2007, Stat Med 26:596; Hillis, Berbaum & Metz 2008, Acad Radiol 15:647).
FRRC is a χ² test with t − 1 df, (t−1)·MS(T) / [Var − Cov1 + (r−1)·max(Cov2 − Cov3, 0)]; RRFC is the
conventional F = MS(T)/MS(TR) with (t−1, (t−1)(r−1)) df.

**DBM** (Dorfman, Berbaum & Metz 1992, Invest Radiol 27:723): jackknife pseudovalues
Y_trk = c·θ_tr − (c−1)·θ_tr(k), normalised so their mean over cases is θ_tr (Hillis 2007), analysed as a
treatment × reader × case ANOVA. RRRC: F = MS(T) / [MS(TR) + max(MS(TC) − MS(TRC), 0)] with the Hillis
ddf; FRRC: MS(T)/MS(TC) with (t−1, (t−1)(c−1)) df; RRFC: MS(T)/MS(TR). With the Hillis ddf, DBM RRRC and OR
RRRC give the same F, ddf and p (Hillis 2008).

Numbers and layout follow the Iowa OR-DBM MRMC software (2.5) and Chakraborty's RJafroc
(``St(dataset, method = "OR" | "DBM")``); ``tests/reading/test_observer_mrmc.py`` reproduces the Van Dyke
results published with them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from itertools import combinations
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from scanroom.reading.observer.data import FrocData, ObserverDataError, RatingData
from scanroom.reading.observer.fom import jackknife_values, structural_components

__all__ = ["analyze", "fom_table", "MrmcResult", "Analysis", "Comparison", "TreatmentEstimate"]

Method = Literal["or", "dbm"]
Fom = Literal["auc", "wafroc"]
FOM_NAMES = {"auc": "ROC AUC (Wilcoxon)", "wafroc": "wAFROC"}


# ----- figures of merit ----------------------------------------------------------------------------------


def fom_table(data: RatingData | FrocData, fom: Fom = "auc") -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """FOM per treatment × reader ``θ[t, r]`` and leave-one-case-out values ``θ[t, r, k]`` (case order).

    ``auc`` on FROC data uses the inferred ROC rating (highest mark on the case); ``wafroc`` needs marks with
    lesion identities (:class:`FrocData`).
    """
    if fom not in FOM_NAMES:
        raise ObserverDataError(f"unknown figure of merit {fom!r}; choose auc or wafroc")
    if fom == "auc":
        roc = data.to_roc() if isinstance(data, FrocData) else data
        normal = np.nonzero(roc.truth == 0)[0]
        abnormal = np.nonzero(roc.truth == 1)[0]
        t_n, r_n, c_n = roc.ratings.shape
        foms = np.empty((t_n, r_n))
        jack = np.empty((t_n, r_n, c_n))
        order = np.concatenate((normal, abnormal))
        for t in range(t_n):
            for r in range(r_n):
                s = structural_components(roc.ratings[t, r, normal], roc.ratings[t, r, abnormal])
                foms[t, r] = s.theta
                jack[t, r, order] = jackknife_values(s)
        return foms, jack
    if not isinstance(data, FrocData):
        raise ObserverDataError("the wAFROC figure of merit needs marks with lesion identities (a JAFROC .xlsx "
                                "file or scored cases), not one rating per case")
    truth = data.truth
    normal = np.nonzero(truth == 0)[0]
    abnormal = np.nonzero(truth == 1)[0]
    position = np.full(len(data.cases), -1)
    position[abnormal] = np.arange(abnormal.size)
    y_case = position[data.lesion_case]
    nl_max = data.nl_max()
    t_n, r_n = len(data.treatments), len(data.readers)
    foms = np.empty((t_n, r_n))
    jack = np.empty((t_n, r_n, len(data.cases)))
    order = np.concatenate((normal, abnormal))
    for t in range(t_n):
        for r in range(r_n):
            s = structural_components(nl_max[t, r, normal], data.ll[t, r], weights=data.lesion_weight,
                                      y_case=y_case, n_abnormal=abnormal.size)
            foms[t, r] = s.theta
            jack[t, r, order] = jackknife_values(s)
    return foms, jack


# ----- results -------------------------------------------------------------------------------------------


def _num(x: float | None) -> float | None:
    """JSON-safe number: NaN and ±∞ become None (∞ degrees of freedom are written as null)."""
    if x is None or not math.isfinite(x):
        return None
    return float(x)


@dataclass
class Comparison:
    """A difference between two treatments (or, per reader, between two treatments for one reader)."""

    treatment_a: str
    treatment_b: str
    difference: float
    std_error: float
    statistic: float  # t, or z when df is infinite
    df: float
    p_value: float
    ci_low: float
    ci_high: float
    reader: str | None = None


@dataclass
class TreatmentEstimate:
    """Reader-averaged FOM of one treatment with its confidence interval."""

    treatment: str
    mean: float
    std_error: float
    df: float
    ci_low: float
    ci_high: float


@dataclass
class Analysis:
    """One setting (RRRC, FRRC or RRFC): the global test, pairwise differences and per-treatment CIs."""

    name: str
    description: str
    statistic_name: str  # "F" or "chi2"
    statistic: float | None
    ndf: float | None
    ddf: float | None
    p_value: float | None
    denominator_ms: float | None
    comparisons: list[Comparison]
    treatments: list[TreatmentEstimate]
    reader_comparisons: list[Comparison] = field(default_factory=list)


@dataclass
class MrmcResult:
    """Everything an MRMC analysis reports; :meth:`to_dict` for JSON, :meth:`report` for people."""

    method: str
    fom: str
    alpha: float
    readers: list[str]
    treatments: list[str]
    n_cases: int
    n_normal: int
    n_abnormal: int
    foms: list[list[float]]  # [treatment][reader]
    treatment_means: list[float]
    variance_components: dict[str, float]
    mean_squares: dict[str, float]
    degrees_of_freedom: dict[str, float]
    analyses: dict[str, Analysis]

    @property
    def rrrc(self) -> Analysis:
        return self.analyses["RRRC"]

    @property
    def frrc(self) -> Analysis:
        return self.analyses["FRRC"]

    @property
    def rrfc(self) -> Analysis:
        return self.analyses["RRFC"]

    def to_dict(self) -> dict[str, Any]:
        def clean(value: Any) -> Any:
            if isinstance(value, float):
                return _num(value)
            if isinstance(value, dict):
                return {k: clean(v) for k, v in value.items()}
            if isinstance(value, list):
                return [clean(v) for v in value]
            return value

        out = asdict(self)
        return clean(out)  # type: ignore[no-any-return]

    def report(self) -> str:
        return format_report(self)


# ----- shared helpers ------------------------------------------------------------------------------------


def _p_two_sided(stat: float, df: float) -> float:
    if math.isinf(df):
        return float(2 * stats.norm.sf(abs(stat)))
    return float(2 * stats.t.sf(abs(stat), df))


def _quantile(alpha: float, df: float) -> float:
    return float(stats.norm.ppf(1 - alpha / 2) if math.isinf(df) else stats.t.ppf(1 - alpha / 2, df))


def _comparisons(means: NDArray[np.float64], names: Sequence[str], se: float, df: float, alpha: float,
                 reader: str | None = None) -> list[Comparison]:
    out = []
    q = _quantile(alpha, df) if df > 0 else float("nan")
    for a, b in combinations(range(len(names)), 2):
        diff = float(means[a] - means[b])
        stat = diff / se if se > 0 else float("nan")
        p = _p_two_sided(stat, df) if se > 0 and df > 0 else float("nan")
        out.append(Comparison(treatment_a=names[a], treatment_b=names[b], difference=diff, std_error=se,
                              statistic=stat, df=df, p_value=p, ci_low=diff - q * se, ci_high=diff + q * se,
                              reader=reader))
    return out


def _estimate(name: str, mean: float, se: float, df: float, alpha: float) -> TreatmentEstimate:
    q = _quantile(alpha, df) if df > 0 else float("nan")
    return TreatmentEstimate(treatment=name, mean=mean, std_error=se, df=df, ci_low=mean - q * se,
                             ci_high=mean + q * se)


def _f_test(ms_t: float, ms_den: float, ndf: float, ddf: float) -> tuple[float, float]:
    if not (ms_den > 0 and ddf > 0 and ndf > 0):
        return float("nan"), float("nan")
    f = ms_t / ms_den
    return f, float(stats.f.sf(f, ndf, ddf))


def _ms_treatment_reader(foms: NDArray[np.float64]) -> tuple[float, float, float]:
    """MS(T), MS(R), MS(TR) of the treatment × reader table of FOMs (one observation per cell)."""
    t, r = foms.shape
    grand = foms.mean()
    mt, mr = foms.mean(axis=1), foms.mean(axis=0)
    ms_t = r * float(np.sum((mt - grand) ** 2)) / (t - 1) if t > 1 else float("nan")
    ms_r = t * float(np.sum((mr - grand) ** 2)) / (r - 1) if r > 1 else float("nan")
    resid = foms - mt[:, None] - mr[None, :] + grand
    ms_tr = float(np.sum(resid**2)) / ((t - 1) * (r - 1)) if t > 1 and r > 1 else float("nan")
    return ms_t, ms_r, ms_tr


# ----- Obuchowski–Rockette -------------------------------------------------------------------------------


def _jackknife_covariance(jack: NDArray[np.float64]) -> NDArray[np.float64]:
    """(t·r) × (t·r) jackknife covariance of the FOMs (index t·r_n + r)."""
    t, r, c = jack.shape
    z = jack.reshape(t * r, c)
    z = z - z.mean(axis=1, keepdims=True)
    return (c - 1) / c * (z @ z.T)  # type: ignore[no-any-return]


def _or_covariances(cov: NDArray[np.float64], t_n: int, r_n: int) -> dict[str, float]:
    """Var, Cov1, Cov2, Cov3: averages of the jackknife covariance matrix over the matching cell pairs."""
    ti = np.repeat(np.arange(t_n), r_n)
    ri = np.tile(np.arange(r_n), t_n)
    same_t = ti[:, None] == ti[None, :]
    same_r = ri[:, None] == ri[None, :]

    def mean(mask: NDArray[np.bool_]) -> float:
        return float(cov[mask].mean()) if mask.any() else 0.0

    return {"Var": mean(same_t & same_r), "Cov1": mean(~same_t & same_r), "Cov2": mean(same_t & ~same_r),
            "Cov3": mean(~same_t & ~same_r)}


def _analyze_or(foms: NDArray[np.float64], jack: NDArray[np.float64], treatments: list[str], readers: list[str],
                alpha: float) -> tuple[dict[str, float], dict[str, float], dict[str, float], dict[str, Analysis]]:
    t_n, r_n, c_n = jack.shape
    cov = _jackknife_covariance(jack)
    vc = _or_covariances(cov, t_n, r_n)
    var, cov1, cov2, cov3 = vc["Var"], vc["Cov1"], vc["Cov2"], vc["Cov3"]
    ms_t, ms_r, ms_tr = _ms_treatment_reader(foms)
    means = foms.mean(axis=1)
    ndf = t_n - 1
    # Variance components of the OR model (Hillis 2007, Table I; RJafroc UtilORVarComponentsFactorial).
    var_tr = ms_tr - var + cov1 + max(cov2 - cov3, 0.0) if t_n > 1 else float("nan")
    var_r = ((ms_r - var - (t_n - 1) * cov1 + cov2 + (t_n - 1) * cov3 - var_tr) / t_n if t_n > 1
             else ms_r - var + cov2)
    components = {"Var(R)": var_r, "Var(TR)": var_tr, "Cov1": cov1, "Cov2": cov2, "Cov3": cov3, "Var(Error)": var}
    mean_squares = {"T": ms_t, "R": ms_r, "TR": ms_tr}
    dfs = {"T": float(t_n - 1), "R": float(r_n - 1), "TR": float((t_n - 1) * (r_n - 1))}

    # Per-treatment variance and Cov2 (single-treatment analyses, Hillis 2007 §5.3).
    idx = np.arange(t_n * r_n).reshape(t_n, r_n)
    per_t = []
    for t in range(t_n):
        sub = cov[np.ix_(idx[t], idx[t])]
        off = ~np.eye(r_n, dtype=bool)
        ms_r_t = float(np.var(foms[t], ddof=1)) if r_n > 1 else float("nan")
        per_t.append((float(np.diag(sub).mean()), float(sub[off].mean()) if r_n > 1 else 0.0, ms_r_t))

    analyses: dict[str, Analysis] = {}
    # RRRC
    clamp = max(cov2 - cov3, 0.0)
    den = ms_tr + r_n * clamp
    ddf = den**2 / (ms_tr**2 / ((t_n - 1) * (r_n - 1))) if t_n > 1 and r_n > 1 and ms_tr > 0 else float("nan")
    f, p = _f_test(ms_t, den, ndf, ddf)
    se = math.sqrt(2 / r_n * den) if t_n > 1 and r_n > 1 else float("nan")
    estimates = []
    for t in range(t_n):
        var_t, cov2_t, ms_r_t = per_t[t]
        den_t = ms_r_t + r_n * max(cov2_t, 0.0)
        df_t = den_t**2 / (ms_r_t**2 / (r_n - 1)) if r_n > 1 and ms_r_t > 0 else float("nan")
        estimates.append(_estimate(treatments[t], float(means[t]), math.sqrt(den_t / r_n) if r_n > 1 else math.nan,
                                   df_t, alpha))
    analyses["RRRC"] = Analysis(
        name="RRRC", description="random readers, random cases", statistic_name="F",
        statistic=f if t_n > 1 else None, ndf=float(ndf) if t_n > 1 else None, ddf=ddf if t_n > 1 else None,
        p_value=p if t_n > 1 else None, denominator_ms=den if t_n > 1 else None,
        comparisons=_comparisons(means, treatments, se, ddf, alpha) if t_n > 1 else [], treatments=estimates)
    # FRRC: chi-square with t-1 df, z intervals.
    den_fr = var - cov1 + (r_n - 1) * clamp
    chi2 = ndf * ms_t / den_fr if t_n > 1 and den_fr > 0 else float("nan")
    p_fr = float(stats.chi2.sf(chi2, ndf)) if t_n > 1 and den_fr > 0 else float("nan")
    se_fr = math.sqrt(2 / r_n * den_fr) if den_fr > 0 else float("nan")
    estimates = [_estimate(treatments[t], float(means[t]),
                           math.sqrt((per_t[t][0] + (r_n - 1) * max(per_t[t][1], 0.0)) / r_n), math.inf, alpha)
                 for t in range(t_n)]
    reader_cmp: list[Comparison] = []
    for r in range(r_n):
        sub = cov[np.ix_(idx[:, r], idx[:, r])]
        var_r_ = float(np.diag(sub).mean())
        cov1_r = float(sub[~np.eye(t_n, dtype=bool)].mean()) if t_n > 1 else 0.0
        se_r = math.sqrt(max(2 * (var_r_ - cov1_r), 0.0))
        reader_cmp += _comparisons(foms[:, r], treatments, se_r, math.inf, alpha, reader=readers[r])
    analyses["FRRC"] = Analysis(
        name="FRRC", description="fixed readers, random cases", statistic_name="chi2",
        statistic=chi2 if t_n > 1 else None, ndf=float(ndf) if t_n > 1 else None, ddf=math.inf if t_n > 1 else None,
        p_value=p_fr if t_n > 1 else None, denominator_ms=den_fr if t_n > 1 else None,
        comparisons=_comparisons(means, treatments, se_fr, math.inf, alpha) if t_n > 1 else [],
        treatments=estimates, reader_comparisons=reader_cmp if t_n > 1 else [])
    # RRFC: conventional treatment x reader ANOVA of the FOMs.
    ddf_rf = float((t_n - 1) * (r_n - 1))
    f_rf, p_rf = _f_test(ms_t, ms_tr, ndf, ddf_rf)
    se_rf = math.sqrt(2 * ms_tr / r_n) if t_n > 1 and r_n > 1 else float("nan")
    estimates = [_estimate(treatments[t], float(means[t]), math.sqrt(per_t[t][2] / r_n), float(r_n - 1), alpha)
                 for t in range(t_n)]
    analyses["RRFC"] = Analysis(
        name="RRFC", description="random readers, fixed cases", statistic_name="F",
        statistic=f_rf if t_n > 1 else None, ndf=float(ndf) if t_n > 1 else None, ddf=ddf_rf if t_n > 1 else None,
        p_value=p_rf if t_n > 1 else None, denominator_ms=ms_tr if t_n > 1 else None,
        comparisons=_comparisons(means, treatments, se_rf, ddf_rf, alpha) if t_n > 1 else [],
        treatments=estimates)
    return components, mean_squares, dfs, analyses


# ----- Dorfman–Berbaum–Metz ------------------------------------------------------------------------------


def pseudovalues(foms: NDArray[np.float64], jack: NDArray[np.float64]) -> NDArray[np.float64]:
    """Normalised jackknife pseudovalues Y_trk = c·θ_tr − (c−1)·θ_tr(k), shifted so mean_k Y_trk = θ_tr."""
    c = jack.shape[2]
    y = c * foms[:, :, None] - (c - 1) * jack
    return y + (foms - y.mean(axis=2))[:, :, None]  # type: ignore[no-any-return]


def _anova_trc(y: NDArray[np.float64]) -> tuple[dict[str, float], dict[str, float]]:
    """Mean squares and df of the treatment × reader × case ANOVA (one observation per cell)."""
    t, r, c = y.shape
    g = y.mean()
    mt, mr, mc = y.mean(axis=(1, 2)), y.mean(axis=(0, 2)), y.mean(axis=(0, 1))
    mtr, mtc, mrc = y.mean(axis=2), y.mean(axis=1), y.mean(axis=0)
    ss = {
        "T": r * c * np.sum((mt - g) ** 2),
        "R": t * c * np.sum((mr - g) ** 2),
        "C": t * r * np.sum((mc - g) ** 2),
        "TR": c * np.sum((mtr - mt[:, None] - mr[None, :] + g) ** 2),
        "TC": r * np.sum((mtc - mt[:, None] - mc[None, :] + g) ** 2),
        "RC": t * np.sum((mrc - mr[:, None] - mc[None, :] + g) ** 2),
        "TRC": np.sum((y - mtr[:, :, None] - mtc[:, None, :] - mrc[None, :, :] + mt[:, None, None]
                       + mr[None, :, None] + mc[None, None, :] - g) ** 2),
    }
    df = {"T": t - 1, "R": r - 1, "C": c - 1, "TR": (t - 1) * (r - 1), "TC": (t - 1) * (c - 1),
          "RC": (r - 1) * (c - 1), "TRC": (t - 1) * (r - 1) * (c - 1)}
    ms = {k: float(ss[k] / df[k]) if df[k] > 0 else float("nan") for k in ss}
    return ms, {k: float(v) for k, v in df.items()}


def _anova_rc(y: NDArray[np.float64]) -> dict[str, float]:
    """MS(R), MS(C), MS(RC) of one treatment's reader × case pseudovalues."""
    r, c = y.shape
    g = y.mean()
    mr, mc = y.mean(axis=1), y.mean(axis=0)
    return {
        "R": float(c * np.sum((mr - g) ** 2) / (r - 1)) if r > 1 else float("nan"),
        "C": float(r * np.sum((mc - g) ** 2) / (c - 1)),
        "RC": float(np.sum((y - mr[:, None] - mc[None, :] + g) ** 2) / ((r - 1) * (c - 1))) if r > 1 else float("nan"),
    }


def _analyze_dbm(foms: NDArray[np.float64], jack: NDArray[np.float64], treatments: list[str], readers: list[str],
                 alpha: float) -> tuple[dict[str, float], dict[str, float], dict[str, float], dict[str, Analysis]]:
    t_n, r_n, c_n = jack.shape
    y = pseudovalues(foms, jack)
    ms, df = _anova_trc(y)
    means = foms.mean(axis=1)
    ndf = t_n - 1
    # DBM variance components (Dorfman, Berbaum & Metz 1992; RJafroc UtilDBMVarComp).
    components = {
        "Var(R)": (ms["R"] - ms["TR"] - ms["RC"] + ms["TRC"]) / (t_n * c_n) if t_n > 1 else
        (ms["R"] - ms["RC"]) / c_n,
        "Var(C)": (ms["C"] - ms["TC"] - ms["RC"] + ms["TRC"]) / (t_n * r_n) if t_n > 1 else
        (ms["C"] - ms["RC"]) / r_n,
        "Var(TR)": (ms["TR"] - ms["TRC"]) / c_n,
        "Var(TC)": (ms["TC"] - ms["TRC"]) / r_n,
        "Var(RC)": (ms["RC"] - ms["TRC"]) / t_n,
        "Var(Error)": ms["TRC"],
    }
    if t_n == 1:  # the T×C and T×R×C terms do not exist; R×C is the error
        components.update({"Var(TR)": float("nan"), "Var(TC)": float("nan"), "Var(RC)": float("nan"),
                           "Var(Error)": ms["RC"]})
    per_t = [_anova_rc(y[t]) for t in range(t_n)]
    analyses: dict[str, Analysis] = {}
    multi = t_n > 1
    # RRRC (Hillis 2008 ddf)
    den = ms["TR"] + max(ms["TC"] - ms["TRC"], 0.0) if multi else float("nan")
    ddf = den**2 / (ms["TR"] ** 2 / df["TR"]) if multi and r_n > 1 and ms["TR"] > 0 else float("nan")
    f, p = _f_test(ms["T"], den, ndf, ddf)
    se = math.sqrt(2 * den / (r_n * c_n)) if multi else float("nan")
    estimates = []
    for t in range(t_n):
        m = per_t[t]
        den_t = m["R"] + max(m["C"] - m["RC"], 0.0)
        df_t = den_t**2 / (m["R"] ** 2 / (r_n - 1)) if r_n > 1 and m["R"] > 0 else float("nan")
        estimates.append(_estimate(treatments[t], float(means[t]), math.sqrt(den_t / (r_n * c_n)), df_t, alpha))
    analyses["RRRC"] = Analysis(
        name="RRRC", description="random readers, random cases", statistic_name="F", statistic=f if multi else None,
        ndf=float(ndf) if multi else None, ddf=ddf if multi else None, p_value=p if multi else None,
        denominator_ms=den if multi else None,
        comparisons=_comparisons(means, treatments, se, ddf, alpha) if multi else [], treatments=estimates)
    # FRRC
    ddf_fr = df["TC"]
    f_fr, p_fr = _f_test(ms["T"], ms["TC"], ndf, ddf_fr)
    se_fr = math.sqrt(2 * ms["TC"] / (r_n * c_n)) if multi else float("nan")
    estimates = [_estimate(treatments[t], float(means[t]), math.sqrt(per_t[t]["C"] / (r_n * c_n)), float(c_n - 1),
                           alpha) for t in range(t_n)]
    reader_cmp: list[Comparison] = []
    if multi:
        for r in range(r_n):
            ms_r, df_r = _anova_tc(y[:, r, :])
            se_r = math.sqrt(2 * ms_r / c_n)
            reader_cmp += _comparisons(foms[:, r], treatments, se_r, df_r, alpha, reader=readers[r])
    analyses["FRRC"] = Analysis(
        name="FRRC", description="fixed readers, random cases", statistic_name="F",
        statistic=f_fr if multi else None, ndf=float(ndf) if multi else None, ddf=ddf_fr if multi else None,
        p_value=p_fr if multi else None, denominator_ms=ms["TC"] if multi else None,
        comparisons=_comparisons(means, treatments, se_fr, ddf_fr, alpha) if multi else [], treatments=estimates,
        reader_comparisons=reader_cmp)
    # RRFC
    ddf_rf = df["TR"]
    f_rf, p_rf = _f_test(ms["T"], ms["TR"], ndf, ddf_rf)
    se_rf = math.sqrt(2 * ms["TR"] / (r_n * c_n)) if multi else float("nan")
    estimates = [_estimate(treatments[t], float(means[t]), math.sqrt(per_t[t]["R"] / (r_n * c_n)), float(r_n - 1),
                           alpha) for t in range(t_n)]
    analyses["RRFC"] = Analysis(
        name="RRFC", description="random readers, fixed cases", statistic_name="F",
        statistic=f_rf if multi else None, ndf=float(ndf) if multi else None, ddf=ddf_rf if multi else None,
        p_value=p_rf if multi else None, denominator_ms=ms["TR"] if multi else None,
        comparisons=_comparisons(means, treatments, se_rf, ddf_rf, alpha) if multi else [], treatments=estimates)
    return components, ms, df, analyses


def _anova_tc(y: NDArray[np.float64]) -> tuple[float, float]:
    """MS(TC) and its df for one reader's treatment × case pseudovalues (per-reader FRRC comparisons)."""
    t, c = y.shape
    g = y.mean()
    mt, mc = y.mean(axis=1), y.mean(axis=0)
    df = (t - 1) * (c - 1)
    return float(np.sum((y - mt[:, None] - mc[None, :] + g) ** 2) / df), float(df)


# ----- entry point ---------------------------------------------------------------------------------------


def analyze(data: RatingData | FrocData, method: Method = "or", fom: Fom = "auc", alpha: float = 0.05
            ) -> MrmcResult:
    """Compare treatments in a reader study: Obuchowski–Rockette (``"or"``) or DBM (``"dbm"``) analysis of the
    Wilcoxon AUC (``"auc"``) or the wAFROC figure of merit (``"wafroc"``), for RRRC, FRRC and RRFC."""
    if method not in ("or", "dbm"):
        raise ObserverDataError(f"unknown method {method!r}; choose or or dbm")
    if not 0 < alpha < 1:
        raise ObserverDataError("alpha must lie between 0 and 1")
    foms, jack = fom_table(data, fom)
    runner = _analyze_or if method == "or" else _analyze_dbm
    components, ms, dfs, analyses = runner(foms, jack, list(data.treatments), list(data.readers), alpha)
    return MrmcResult(method=method, fom=fom, alpha=alpha, readers=list(data.readers),
                      treatments=list(data.treatments), n_cases=len(data.cases), n_normal=data.n_normal,
                      n_abnormal=data.n_abnormal, foms=foms.tolist(), treatment_means=foms.mean(axis=1).tolist(),
                      variance_components=components, mean_squares=ms, degrees_of_freedom=dfs, analyses=analyses)


# ----- text report ---------------------------------------------------------------------------------------


def _fmt(x: float | None, digits: int = 8) -> str:
    if x is None:
        return "-"
    if math.isnan(x):
        return "n/a"
    if math.isinf(x):
        return "inf"
    return f"{x:.{digits}f}"


def _p(p: float | None) -> str:
    if p is None or math.isnan(p):
        return "n/a"
    return "< 0.0001" if p < 1e-4 else f"{p:.6f}"


def format_report(res: MrmcResult) -> str:
    """A plain-text report laid out like the Iowa OR-DBM MRMC output (figures of merit, variance components,
    the three analyses with their tests, differences and per-treatment intervals)."""
    name = "Obuchowski-Rockette (jackknife covariances, Hillis ddf)" if res.method == "or" else \
        "Dorfman-Berbaum-Metz (pseudovalue ANOVA, Hillis ddf)"
    level = round(100 * (1 - res.alpha))
    lines = [f"MRMC analysis: {name}",
             f"Figure of merit: {FOM_NAMES[res.fom]}",
             f"{len(res.readers)} readers, {len(res.treatments)} treatments, {res.n_cases} cases "
             f"({res.n_normal} normal, {res.n_abnormal} abnormal)", "",
             "Figures of merit (reader x treatment)"]
    width = max(8, *(len(t) for t in res.treatments)) + 2
    lines.append("reader".ljust(10) + "".join(f"{t:>{width + 4}}" for t in res.treatments))
    for r, reader in enumerate(res.readers):
        lines.append(f"{reader:<10}" + "".join(f"{res.foms[t][r]:>{width + 4}.8f}" for t in range(len(res.treatments))))
    lines.append("mean".ljust(10) + "".join(f"{m:>{width + 4}.8f}" for m in res.treatment_means))
    lines += ["", "Variance components"]
    lines += [f"  {k:<11} {_fmt(v)}" for k, v in res.variance_components.items()]
    label = "Mean squares (FOM ANOVA)" if res.method == "or" else "Mean squares (pseudovalue ANOVA)"
    lines += ["", label]
    lines += [f"  MS({k}){'':<{6 - len(k)}} {_fmt(v, 7)}   df {res.degrees_of_freedom[k]:g}"
              for k, v in res.mean_squares.items()]
    for a in res.analyses.values():
        lines += ["", f"{a.name}: {a.description}"]
        if a.statistic is not None:
            if a.statistic_name == "chi2":
                lines.append(f"  chi-square = {_fmt(a.statistic, 6)}, df = {_fmt(a.ndf, 0)}, p = {_p(a.p_value)}")
            else:
                lines.append(f"  F = {_fmt(a.statistic, 6)}, df = ({_fmt(a.ndf, 0)}, {_fmt(a.ddf, 4)}), "
                             f"p = {_p(a.p_value)}")
            for c in a.comparisons:
                lines.append(f"  {c.treatment_a} - {c.treatment_b}: {c.difference:+.8f}  SE {c.std_error:.8f}  "
                             f"{level}% CI ({c.ci_low:+.8f}, {c.ci_high:+.8f})  p = {_p(c.p_value)}")
        for e in a.treatments:
            lines.append(f"  treatment {e.treatment}: {e.mean:.8f}  SE {e.std_error:.8f}  df {_fmt(e.df, 2)}  "
                         f"{level}% CI ({e.ci_low:.8f}, {e.ci_high:.8f})")
        for c in a.reader_comparisons:
            lines.append(f"  reader {c.reader}, {c.treatment_a} - {c.treatment_b}: {c.difference:+.8f}  "
                         f"SE {c.std_error:.8f}  {level}% CI ({c.ci_low:+.8f}, {c.ci_high:+.8f})  p = {_p(c.p_value)}")
    return "\n".join(lines)
