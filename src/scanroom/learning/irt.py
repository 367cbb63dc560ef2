"""Item response theory: 2PL/3PL probabilities and information, EAP ability, and item calibration.

Model (Birnbaum 1968; Lord 1980): P(θ) = c + (1 − c) / (1 + e^(−a(θ − b))). Information
I(θ) = a² (Q/P) ((P − c)/(1 − c))² (Lord 1980, eq. 4-43; 2PL: a² P Q).

Ability: expected a posteriori (EAP) with a standard-normal prior on a 61-point grid over [−4, 4]; the
posterior SD is the standard error (Bock & Mislevy 1982). It exists for every response pattern (all right
or all wrong included), which matters in the first items of an adaptive test.

Calibration: marginal maximum likelihood by EM over quadrature (Bock & Aitkin 1981), which handles the
sparse response matrices real exams produce (NaN = not administered). The 2PL M-step is Fisher scoring
for all items at once; 3PL uses L-BFGS-B. Priors keep estimates finite: log a ~ N(0, 0.5²), b ~ N(0, 3²)
(2PL: intercept d ~ N(0, 5²)), and for 3PL c ~ Beta(5, 17) (the BILOG-MG default; Zimowski et al. 2003).
The project's chosen library ``girth`` (0.8) is used for complete 2PL data (``calibrate_girth``) and
cross-checks this EM in the tests; its 3PL routine fails with SciPy ≥ 1.15 (``fminbound`` now returns an
array), hence the EM here for 3PL and sparse data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize

__all__ = ["ItemParams", "probability", "information", "eap", "eap_many", "calibrate", "calibrate_girth",
           "GRID", "PRIOR"]

Arr = NDArray[np.float64]
GRID = np.linspace(-4.0, 4.0, 61)
PRIOR = np.exp(-0.5 * GRID**2)
PRIOR /= PRIOR.sum()


@dataclass(frozen=True)
class ItemParams:
    """Parameters of a bank, aligned arrays (``c`` = 0 for 2PL)."""

    a: Arr
    b: Arr
    c: Arr

    def __len__(self) -> int:
        return int(self.a.size)

    def take(self, index: NDArray[np.intp] | list[int]) -> ItemParams:
        idx = np.asarray(index, dtype=np.intp)
        return ItemParams(self.a[idx], self.b[idx], self.c[idx])


def probability(theta: Arr | float, a: Arr, b: Arr, c: Arr) -> Arr:
    """P(correct) for every θ (rows) × item (columns)."""
    t = np.asarray(theta, dtype=float)[..., None]
    return c + (1.0 - c) / (1.0 + np.exp(-a * (t - b)))


def information(theta: Arr | float, a: Arr, b: Arr, c: Arr) -> Arr:
    """Fisher information of each item at θ (Lord 1980, eq. 4-43)."""
    p = np.clip(probability(theta, a, b, c), 1e-9, 1 - 1e-9)
    return a**2 * ((1.0 - p) / p) * ((p - c) / (1.0 - c)) ** 2


def eap(responses: Arr, params: ItemParams) -> tuple[float, float]:
    """EAP θ and posterior SD for one examinee's 0/1 responses to the items in ``params``."""
    if len(params) == 0:
        return 0.0, 1.0
    p = np.clip(probability(GRID, params.a, params.b, params.c), 1e-12, 1 - 1e-12)
    x = np.asarray(responses, dtype=float)
    log_l = np.log(p) @ x + np.log(1.0 - p) @ (1.0 - x)
    post = PRIOR * np.exp(log_l - log_l.max())
    post /= post.sum()
    mean = float(post @ GRID)
    return mean, float(np.sqrt(max(post @ (GRID - mean) ** 2, 0.0)))


def eap_many(x: Arr, params: ItemParams) -> tuple[Arr, Arr]:
    """EAP θ and SD for many examinees at once (``x``: persons × items, NaN = not administered)."""
    p = np.clip(probability(GRID, params.a, params.b, params.c), 1e-12, 1 - 1e-12)
    seen = ~np.isnan(x)
    x0 = np.where(seen, x, 0.0)
    log_l = x0 @ np.log(p).T + (seen.astype(float) - x0) @ np.log(1.0 - p).T
    post = PRIOR * np.exp(log_l - log_l.max(axis=1, keepdims=True))
    post /= post.sum(axis=1, keepdims=True)
    mean = post @ GRID
    sd = np.sqrt(np.maximum(post @ GRID**2 - mean**2, 0.0))
    return mean, sd


def _neg_expected_ll(flat: Arr, r: Arr, n: Arr, model: str) -> tuple[float, Arr]:
    """−(expected complete-data log-likelihood + log priors) and its gradient, all items at once."""
    m = r.shape[1]
    a, b = flat[:m], flat[m:2 * m]
    c = flat[2 * m:] if model == "3PL" else np.zeros(m)
    z = a * (GRID[:, None] - b)
    s = 1.0 / (1.0 + np.exp(-z))
    p = np.clip(c + (1 - c) * s, 1e-9, 1 - 1e-9)
    ll = np.sum(r * np.log(p) + (n - r) * np.log(1 - p))
    d_p = (r - n * p) / (p * (1 - p))
    d_z = d_p * (1 - c) * s * (1 - s)
    g_a = np.sum(d_z * (GRID[:, None] - b), axis=0)
    g_b = np.sum(d_z * -a, axis=0)
    ll += np.sum(-np.log(a) ** 2 / (2 * 0.25) - b**2 / (2 * 9.0))
    g_a += -np.log(a) / (0.25 * a)
    g_b += -b / 9.0
    grads = [g_a, g_b]
    if model == "3PL":
        ll += np.sum(4 * np.log(c + 1e-9) + 16 * np.log(1 - c))
        grads.append(np.sum(d_p * (1 - s), axis=0) + 4 / (c + 1e-9) - 16 / (1 - c))
    return -float(ll), -np.concatenate(grads)


def _mstep_2pl(r: Arr, n: Arr, a: Arr, b: Arr, steps: int = 3) -> tuple[Arr, Arr]:
    """2PL M-step by Fisher scoring in slope–intercept form z = aθ + d, all items at once (Baker & Kim 2004,
    ch. 6), with the log-normal prior on a and a weak N(0, 5²) prior on d."""
    d = -a * b
    q = GRID[:, None]
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(a * q + d)))
        resid, w = r - n * p, n * p * (1 - p)
        g_a = (resid * q).sum(axis=0) - np.log(a) / (0.25 * a)
        g_d = resid.sum(axis=0) - d / 25.0
        i_aa = (w * q * q).sum(axis=0) + 1.0 / (0.25 * a * a)
        i_ad = (w * q).sum(axis=0)
        i_dd = w.sum(axis=0) + 1.0 / 25.0
        det = i_aa * i_dd - i_ad**2
        a = np.clip(a + (i_dd * g_a - i_ad * g_d) / det, 0.2, 4.0)
        d = np.clip(d + (i_aa * g_d - i_ad * g_a) / det, -20.0, 20.0)
    return a, np.clip(-d / a, -5.0, 5.0)


def calibrate(x: Arr, model: str = "2PL", *, max_iter: int = 200, tol: float = 1e-4) -> ItemParams:
    """MML-EM calibration (Bock & Aitkin 1981). ``x``: persons × items of 0/1 with NaN for not administered."""
    if model not in ("2PL", "3PL"):
        raise ValueError("model must be 2PL or 3PL")
    x = np.asarray(x, dtype=float)
    seen = ~np.isnan(x)
    if seen.sum(axis=0).min(initial=1) < 1:
        raise ValueError("every item needs at least one response")
    x0 = np.where(seen, x, 0.0)
    m = x.shape[1]
    pbar = np.clip(x0.sum(axis=0) / np.maximum(seen.sum(axis=0), 1), 0.02, 0.98)
    a = np.ones(m)
    b = np.clip(-np.log(pbar / (1 - pbar)), -3, 3)
    c = np.full(m, 0.2) if model == "3PL" else np.zeros(m)
    bounds = [(0.2, 4.0)] * m + [(-5.0, 5.0)] * m + ([(1e-4, 0.5)] * m if model == "3PL" else [])
    for _ in range(max_iter):
        p = np.clip(probability(GRID, a, b, c), 1e-12, 1 - 1e-12)
        log_l = x0 @ np.log(p).T + (seen.astype(float) - x0) @ np.log(1 - p).T
        post = PRIOR * np.exp(log_l - log_l.max(axis=1, keepdims=True))
        post /= post.sum(axis=1, keepdims=True)
        n_q = post.T @ seen.astype(float)  # expected examinees at each node who saw each item
        r_q = post.T @ x0  # ... and answered it correctly
        if model == "2PL":
            a_new, b_new = _mstep_2pl(r_q, n_q, a, b)
            c_new = c
        else:
            result = minimize(_neg_expected_ll, np.concatenate([a, b, c]), args=(r_q, n_q, model), jac=True,
                              method="L-BFGS-B", bounds=bounds, options={"maxiter": 50})
            a_new, b_new, c_new = result.x[:m], result.x[m:2 * m], result.x[2 * m:]
        change = max(np.max(np.abs(a_new - a)), np.max(np.abs(b_new - b)), np.max(np.abs(c_new - c)))
        a, b, c = a_new, b_new, c_new
        if change < tol:
            break
    return ItemParams(a.copy(), b.copy(), c.copy())


def calibrate_girth(x: Arr) -> ItemParams:
    """2PL marginal ML with girth (complete 0/1 data: items × persons in girth's layout)."""
    from girth import twopl_mml

    result = twopl_mml(np.asarray(x, dtype=int).T)
    a = np.asarray(result["Discrimination"], dtype=float)
    return ItemParams(a, np.asarray(result["Difficulty"], dtype=float), np.zeros_like(a))
