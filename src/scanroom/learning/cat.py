"""Computerised adaptive testing: item selection, stopping, and the 1,000-examinee simulation.

Selection: maximum Fisher information at the current EAP estimate (Lord 1980), with two exposure controls:
randomesque (Kingsbury & Zara 1989: pick at random among the ``randomesque`` most informative items) and a
restricted ceiling (Revuelta & Ponsoda 1998: an item whose exposure rate would pass ``exposure_max`` is not
eligible), so no item is seen by more than that share of examinees. Stop when the posterior SD ≤
``target_se`` (or at ``max_items``). Classification: θ̂ ≥ cut → pass; the report carries θ̂ and its SE.

``simulate`` runs examinees with known θ through the CAT and compares it with the best fixed form of equal
reliability, as in the CAT literature's efficiency comparisons (Weiss 1982): the blueprinted form the exam
builder draws (random within strata, in proportion to the bank), lengthened until its empirical reliability
reaches the CAT's, and, as a stricter reference, the best possible fixed form (the items most informative
over the N(0, 1) population).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from scanroom.learning.irt import GRID, PRIOR, ItemParams, eap, eap_many, information, probability

__all__ = ["CatConfig", "CatState", "select_next", "should_stop", "simulate", "SimulationReport",
           "empirical_reliability", "fixed_form_length", "simulation_bank"]


@dataclass(frozen=True)
class CatConfig:
    target_se: float = 0.30
    min_items: int = 5
    max_items: int = 40
    randomesque: int = 4
    exposure_max: float = 0.25
    burn_in: int = 20  # examinees before the exposure ceiling applies (rates are meaningless before)
    cut_theta: float = 0.0


@dataclass
class CatState:
    """What one examinee has seen and answered so far (indices into the bank)."""

    administered: list[int] = field(default_factory=list)
    responses: list[float] = field(default_factory=list)

    def estimate(self, bank: ItemParams) -> tuple[float, float]:
        return eap(np.asarray(self.responses), bank.take(self.administered))


def select_next(bank: ItemParams, state: CatState, rng: np.random.Generator, config: CatConfig,
                exposure_counts: NDArray[np.float64] | None = None, examinees_so_far: int = 0) -> int | None:
    """Bank index of the next item, or None when the bank is exhausted."""
    theta, _se = state.estimate(bank)
    info = information(theta, bank.a, bank.b, bank.c)
    info[state.administered] = -np.inf
    eligible = np.isfinite(info)
    if exposure_counts is not None:
        population = max(examinees_so_far, config.burn_in)
        capped = eligible & ((exposure_counts + 1) <= config.exposure_max * population)
        if capped.sum() >= config.randomesque:
            eligible = capped
    if not eligible.any():
        return None
    candidates = np.flatnonzero(eligible)
    top = candidates[np.argsort(-info[candidates], kind="stable")[:config.randomesque]]
    return int(rng.choice(top))


def should_stop(state: CatState, se: float, config: CatConfig, bank_size: int) -> bool:
    n = len(state.administered)
    return n >= min(config.max_items, bank_size) or (n >= config.min_items and se <= config.target_se)


def empirical_reliability(theta_hat: NDArray[np.float64], se: NDArray[np.float64]) -> float:
    """EAP empirical reliability var(θ̂) / (var(θ̂) + mean(SE²)) (Brown & Croudace 2015; mirt's empirical_rxx)."""
    v = float(np.var(theta_hat))
    return v / (v + float(np.mean(se**2)))


@dataclass(frozen=True)
class SimulationReport:
    examinees: int
    bank_size: int
    mean_length: float
    max_length: int
    share_reaching_se: float
    cat_reliability: float
    fixed_length: int
    fixed_reliability: float
    optimal_fixed_length: int
    optimal_fixed_reliability: float
    max_exposure: float
    rmse: float
    bias: float
    classification_accuracy: float
    config: CatConfig

    @property
    def length_ratio(self) -> float:
        return self.mean_length / self.fixed_length

    def lines(self) -> list[str]:
        return [
            f"examinees {self.examinees}, bank {self.bank_size} items, target SE {self.config.target_se:.2f}, "
            f"exposure ceiling {self.config.exposure_max:.2f}",
            f"adaptive: mean {self.mean_length:.1f} items (max {self.max_length}), "
            f"{100 * self.share_reaching_se:.1f}% reached SE ≤ {self.config.target_se:.2f}, "
            f"reliability {self.cat_reliability:.3f}, RMSE {self.rmse:.3f}, bias {self.bias:+.3f}",
            f"blueprinted fixed form of equal reliability: {self.fixed_length} items (reliability "
            f"{self.fixed_reliability:.3f}); adaptive / fixed length: {self.length_ratio:.2f}",
            f"best possible fixed form (most informative items for the population) of equal reliability: "
            f"{self.optimal_fixed_length} items (reliability {self.optimal_fixed_reliability:.3f}); adaptive / best: "
            f"{self.mean_length / self.optimal_fixed_length:.2f}",
            f"highest item exposure: {self.max_exposure:.3f}",
            f"pass/fail at θ = {self.config.cut_theta:+.2f}: {100 * self.classification_accuracy:.1f}% agree with "
            "true θ",
        ]


def blueprint_order(strata: Sequence[str], rng: np.random.Generator) -> NDArray[np.intp]:
    """Item order of a blueprinted fixed form: random within each stratum, strata filled in proportion to the
    bank (largest remainder), so any prefix of length N is the form the exam builder would draw."""
    groups: dict[str, list[int]] = {}
    for index, stratum in enumerate(strata):
        groups.setdefault(stratum, []).append(index)
    shuffled = {k: list(rng.permutation(v)) for k, v in groups.items()}
    total, taken = len(strata), dict.fromkeys(groups, 0)
    order: list[int] = []
    for n in range(1, total + 1):
        key = max(groups, key=lambda k: (len(groups[k]) * n / total - taken[k], len(groups[k])))
        order.append(int(shuffled[key][taken[key]]))
        taken[key] += 1
    return np.asarray(order, dtype=np.intp)


def optimal_order(used: ItemParams) -> NDArray[np.intp]:
    """Items by information averaged over the N(0, 1) population: the most reliable fixed form of each length."""
    weight = (information(GRID, used.a, used.b, used.c) * PRIOR[:, None]).sum(axis=0)
    return np.argsort(-weight, kind="stable")


def fixed_form_length(true: ItemParams, used: ItemParams, thetas: NDArray[np.float64], target: float,
                      rng: np.random.Generator, order: NDArray[np.intp]) -> tuple[int, float]:
    """Shortest prefix of ``order`` whose empirical reliability (EAP, calibrated parameters) ≥ ``target``."""
    p_true = probability(thetas, true.a, true.b, true.c)
    x_all = (rng.random(p_true.shape) < p_true).astype(float)
    lo, hi = 1, len(order)

    def rel(n: int) -> float:
        form = order[:n]
        theta_hat, se = eap_many(x_all[:, form], used.take(form))
        return empirical_reliability(theta_hat, se)

    if rel(hi) < target:
        return hi, rel(hi)
    while lo < hi:  # reliability grows with length (up to sampling noise): bisect
        mid = (lo + hi) // 2
        if rel(mid) >= target:
            hi = mid
        else:
            lo = mid + 1
    return lo, rel(lo)


def simulate(true: ItemParams, used: ItemParams | None = None, *, examinees: int = 1000, seed: int = 0,
             config: CatConfig | None = None, strata: Sequence[str] | None = None,
             progress: Callable[[int, int], None] | None = None) -> SimulationReport:
    """Run ``examinees`` (θ ~ N(0, 1)) through the CAT; responses follow ``true``, the CAT uses ``used``
    (the calibrated estimates of ``true``)."""
    config = config or CatConfig()
    used = used or true
    rng = np.random.default_rng(seed)
    thetas = rng.standard_normal(examinees)
    counts = np.zeros(len(used))
    lengths, estimates, ses = [], [], []
    for k, theta in enumerate(thetas):
        state = CatState()
        se = 1.0
        while True:
            index = select_next(used, state, rng, config, counts, k + 1)
            if index is None:
                break
            p = float(probability(theta, true.a[index:index + 1], true.b[index:index + 1],
                                  true.c[index:index + 1])[0])
            state.administered.append(index)
            state.responses.append(float(rng.random() < p))
            _theta_hat, se = state.estimate(used)
            if should_stop(state, se, config, len(used)):
                break
        counts[state.administered] += 1
        theta_hat, se = state.estimate(used)
        lengths.append(len(state.administered))
        estimates.append(theta_hat)
        ses.append(se)
        if progress and (k + 1) % 50 == 0:
            progress(k + 1, examinees)
    est, err = np.asarray(estimates), np.asarray(ses)
    reliability = empirical_reliability(est, err)
    fixed_n, fixed_rel = fixed_form_length(true, used, thetas, reliability, rng,
                                           blueprint_order(strata or ["all"] * len(used), rng))
    best_n, best_rel = fixed_form_length(true, used, thetas, reliability, rng, optimal_order(used))
    return SimulationReport(
        examinees=examinees, bank_size=len(used), mean_length=float(np.mean(lengths)), max_length=int(max(lengths)),
        share_reaching_se=float(np.mean(err <= config.target_se + 1e-9)), cat_reliability=reliability,
        fixed_length=fixed_n, fixed_reliability=fixed_rel, optimal_fixed_length=best_n,
        optimal_fixed_reliability=best_rel, max_exposure=float(counts.max() / examinees),
        rmse=float(np.sqrt(np.mean((est - thetas) ** 2))), bias=float(np.mean(est - thetas)),
        classification_accuracy=float(np.mean((est >= config.cut_theta) == (thetas >= config.cut_theta))),
        config=config)


def generating_parameters(levels: Sequence[str], seed: int) -> ItemParams:
    """Assigned (generating) 2PL parameters: a ~ lognormal(0.45, 0.25) in [0.7, 3.0] (median 1.57, a
    well-discriminating bank in the logistic metric); b by level (entry N(−1.0, 1.0), intermediate
    N(0.1, 1.0), advanced N(1.1, 1.0)). Stated, not measured: the bank has no real responses yet;
    ``calibrated_bank`` re-estimates them from simulated responses."""
    rng = np.random.default_rng(seed)
    centre = {"entry": -1.0, "intermediate": 0.1, "advanced": 1.1}
    a = np.clip(rng.lognormal(0.45, 0.25, len(levels)), 0.7, 3.0)
    b = np.array([rng.normal(centre.get(lv, 0.0), 1.0) for lv in levels])
    return ItemParams(a, b, np.zeros(len(levels)))


def calibrated_bank(true: ItemParams, *, calibration_examinees: int = 2000, seed: int = 1,
                    use_girth: bool = True, max_iter: int = 200) -> ItemParams:
    """Calibrate ``true`` back from simulated responses (girth 2PL MML; the EM of ``irt`` otherwise)."""
    from scanroom.learning.irt import calibrate, calibrate_girth

    rng = np.random.default_rng(seed)
    thetas = rng.standard_normal(calibration_examinees)
    p = probability(thetas, true.a, true.b, true.c)
    x = (rng.random(p.shape) < p).astype(float)
    if use_girth:
        fitted = calibrate_girth(x)
        if np.all(np.isfinite(fitted.a)) and np.all(np.isfinite(fitted.b)):
            return fitted
        # girth left an item undefined (NaN): use the EM, which always returns finite estimates
    return calibrate(x, max_iter=max_iter, tol=1e-3)


def simulation_bank(item_ids: Sequence[str], levels: Sequence[str], *, seed: int = 7,
                    use_girth: bool = True) -> tuple[list[str], ItemParams, ItemParams]:
    """(ids, generating parameters, calibrated parameters) for a bank of items."""
    true = generating_parameters(levels, seed)
    return list(item_ids), true, calibrated_bank(true, seed=seed + 1, use_girth=use_girth)
