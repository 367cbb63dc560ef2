"""Figures of merit as sums of a two-sample kernel, with their structural components and jackknife.

Both figures of merit used here are averages, over (normal case, abnormal case) pairs, of the kernel

    ψ(x, y) = 1 if y > x,  ½ if y = x,  0 if y < x,

so they share one fast implementation:

* **ROC AUC (Wilcoxon / Mann–Whitney)**: x = rating of a normal case, y = rating of an abnormal case,
  θ = Σ_i Σ_j ψ(x_i, y_j) / (n0·n1) (Hanley & McNeil 1982, Radiology 143:29; ties count ½).
* **wAFROC** (Chakraborty, *Observer Performance Methods for Diagnostic Imaging*, CRC 2017;
  RJafroc ``UtilFigureOfMerit(FOM = "wAFROC")``): x = highest non-lesion-localisation (NL) rating on a
  normal case, y = rating of each lesion on an abnormal case, weighted by the lesion weight W (weights sum to
  1 within a case): θ = Σ_i Σ_j Σ_l W_jl ψ(x_i, y_jl) / (n0·n1). Unmarked lesions and unmarked normal
  cases carry the rating −∞ (so two −∞ tie and score ½, as in RJafroc).

The *structural components* (DeLong, DeLong & Clarke-Pearson 1988, Biometrics 44:837) are
V10_j = Σ_i Σ_l W_jl ψ(x_i, y_jl) / n0 per abnormal case and V01_i = Σ_j Σ_l W_jl ψ(x_i, y_jl) / n1 per
normal case; θ is the mean of either. They are computed by sorting and binary search
(O((n0 + L) log(n0 + L)), as in Sun & Xu 2014, IEEE Signal Process Lett 21:1389) rather than by the
O(n0·n1) pair table. From them:

* DeLong variance: Var(θ) = s²(V10)/n1 + s²(V01)/n0 (sample variances, divisor n − 1);
* leave-one-case-out (jackknife) values, exactly: without normal case i, θ₍₋ᵢ₎ = (n0·θ − V01_i)/(n0 − 1);
  without abnormal case j, θ₍₋ⱼ₎ = (n1·θ − V10_j)/(n1 − 1).

The pair-table versions (:func:`pair_matrix_fom`, :func:`naive_jackknife`) are kept as the readable
reference that tests and the benchmark compare against.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "Structural",
    "structural_components",
    "auc",
    "delong_variance",
    "jackknife_values",
    "pair_matrix_fom",
    "naive_jackknife",
]


@dataclass(frozen=True)
class Structural:
    """θ with its DeLong structural components (V10 per abnormal case, V01 per normal case)."""

    theta: float
    v10: NDArray[np.float64]
    v01: NDArray[np.float64]

    @property
    def variance(self) -> float:
        """DeLong et al. 1988 variance of θ (needs at least two normal and two abnormal cases)."""
        n1, n0 = self.v10.size, self.v01.size
        if n0 < 2 or n1 < 2:
            return float("nan")
        return float(np.var(self.v10, ddof=1) / n1 + np.var(self.v01, ddof=1) / n0)


def structural_components(x: ArrayLike, y: ArrayLike, weights: ArrayLike | None = None,
                          y_case: ArrayLike | None = None, n_abnormal: int | None = None) -> Structural:
    """θ, V10 and V01 for normal-case values ``x`` against signal values ``y``.

    Parameters
    ----------
    x : normal-case ratings (n0,), −∞ allowed (an unmarked normal case).
    y : signal ratings (L,): one per abnormal case for the AUC, one per lesion for wAFROC; −∞ allowed.
    weights : weight of each ``y`` (default 1); for wAFROC the lesion weights, summing to 1 within a case.
    y_case : index (0 … n_abnormal − 1) of the abnormal case each ``y`` belongs to (default: ``y`` i is case i).
    n_abnormal : number of abnormal cases (default: ``max(y_case) + 1``).
    """
    xs = np.sort(np.asarray(x, dtype=np.float64))
    yv = np.asarray(y, dtype=np.float64)
    w = np.ones_like(yv) if weights is None else np.asarray(weights, dtype=np.float64)
    cases = np.arange(yv.size) if y_case is None else np.asarray(y_case, dtype=np.intp)
    n1 = int(n_abnormal if n_abnormal is not None else (cases.max() + 1 if cases.size else 0))
    n0 = xs.size
    if n0 == 0 or n1 == 0:
        raise ValueError("a figure of merit needs at least one normal and one abnormal case")
    # Per signal value: (#x < y + ½ #x == y) / n0.
    below = np.searchsorted(xs, yv, side="left")
    not_above = np.searchsorted(xs, yv, side="right")
    per_y = 0.5 * (below + not_above) / n0
    v10 = np.bincount(cases, weights=w * per_y, minlength=n1).astype(np.float64)
    # Per normal value: (Σ w[y > x] + ½ Σ w[y == x]) / n1, from cumulative weights of the sorted y.
    order = np.argsort(yv, kind="stable")
    ys, ws = yv[order], w[order]
    cum = np.concatenate(([0.0], np.cumsum(ws)))
    total = cum[-1]
    xv = np.asarray(x, dtype=np.float64)
    lo = np.searchsorted(ys, xv, side="left")
    hi = np.searchsorted(ys, xv, side="right")
    v01 = ((total - cum[hi]) + 0.5 * (cum[hi] - cum[lo])) / n1
    return Structural(theta=float(v10.mean()), v10=v10, v01=v01)


def auc(normal: ArrayLike, abnormal: ArrayLike) -> float:
    """Empirical (Wilcoxon) ROC area: P(abnormal rating > normal rating) + ½ P(tie)."""
    return structural_components(normal, abnormal).theta


def delong_variance(normal: ArrayLike, abnormal: ArrayLike) -> float:
    """DeLong, DeLong & Clarke-Pearson (1988) variance of the Wilcoxon AUC."""
    return structural_components(normal, abnormal).variance


def jackknife_values(s: Structural) -> NDArray[np.float64]:
    """Leave-one-case-out θ: the n0 normal cases first, then the n1 abnormal cases (exact, O(n))."""
    n0, n1 = s.v01.size, s.v10.size
    if n0 < 2 or n1 < 2:
        raise ValueError("the jackknife needs at least two normal and two abnormal cases")
    without_normal = (n0 * s.theta - s.v01) / (n0 - 1)
    without_abnormal = (n1 * s.theta - s.v10) / (n1 - 1)
    return np.concatenate((without_normal, without_abnormal))


# ----- readable references (pair table), for tests and the benchmark ------------------------------------


def _psi(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    return (y[None, :] > x[:, None]) + 0.5 * (y[None, :] == x[:, None])


def pair_matrix_fom(x: ArrayLike, y: ArrayLike, weights: ArrayLike | None = None,
                    y_case: ArrayLike | None = None, n_abnormal: int | None = None) -> float:
    """θ from the full n0 × L kernel table (O(n0·L) memory and time)."""
    xv = np.asarray(x, dtype=np.float64)
    yv = np.asarray(y, dtype=np.float64)
    w = np.ones_like(yv) if weights is None else np.asarray(weights, dtype=np.float64)
    cases = np.arange(yv.size) if y_case is None else np.asarray(y_case)
    n1 = int(n_abnormal if n_abnormal is not None else cases.max() + 1)
    return float((_psi(xv, yv) * w[None, :]).sum() / (xv.size * n1))


def naive_jackknife(x: ArrayLike, y: ArrayLike) -> NDArray[np.float64]:
    """Leave-one-case-out AUCs by recomputing the pair table without each case (O((n0+n1)·n0·n1))."""
    xv = np.asarray(x, dtype=np.float64)
    yv = np.asarray(y, dtype=np.float64)
    out = [pair_matrix_fom(np.delete(xv, i), yv) for i in range(xv.size)]
    out += [pair_matrix_fom(xv, np.delete(yv, j)) for j in range(yv.size)]
    return np.asarray(out)
