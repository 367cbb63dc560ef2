"""Classroom benchmarks: adaptive-test steps and ability scoring against catsim, measured in the same run.

Run:  pytest benchmarks/test_bench_classroom.py --benchmark-only -s

1. One adaptive test (20 items from a 500-item 2PL bank): ours = EAP on a 61-point grid + information of
   the whole bank in one numpy expression (``cat.select_next``, randomesque off). Peer: catsim 0.21's
   ``NumericalSearchEstimator`` (bounded ML/Dodd) + ``MaxInfoSelector`` doing the same loop. Both must
   pick the maximum-information item for a given θ (checked); the speed ratio is reported, not asserted.
2. Scoring a fixed form for 1,000 examinees (40 items): ours = ``irt.eap_many`` (all examinees in one
   matrix product). Peer: catsim's estimator called per examinee. Estimates must agree in rank
   (Spearman > 0.95; EAP shrinks toward 0, ML does not); ratio reported.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest

from scanroom.learning import cat, irt

RESULTS: dict[str, dict[str, float]] = {}
catsim_estimation = pytest.importorskip("catsim.estimation")
catsim_selection = pytest.importorskip("catsim.selection")
catsim_bank = pytest.importorskip("catsim.item_bank")


def _bank(n: int = 500, seed: int = 1) -> irt.ItemParams:
    return cat.generating_parameters(["entry", "intermediate", "advanced"] * (n // 3) + ["entry"] * (n % 3), seed)


def _catsim_items(params: irt.ItemParams) -> Any:
    return catsim_bank.ItemBank(np.column_stack([params.a, params.b, params.c, np.ones(len(params))]))


def ours_adaptive(params: irt.ItemParams, answers: np.ndarray, length: int = 20) -> float:
    state = cat.CatState()
    config = cat.CatConfig(randomesque=1, max_items=length)
    rng = np.random.default_rng(0)
    for _ in range(length):
        index = cat.select_next(params, state, rng, config)
        assert index is not None
        state.administered.append(index)
        state.responses.append(float(answers[index]))
    return state.estimate(params)[0]


def catsim_adaptive(bank: Any, answers: np.ndarray, length: int = 20) -> float:
    estimator = catsim_estimation.NumericalSearchEstimator()
    selector = catsim_selection.MaxInfoSelector()
    administered: list[int] = []
    responses: list[bool] = []
    theta = 0.0
    for _ in range(length):
        index = selector.select(item_bank=bank, administered_items=administered, est_theta=theta)
        administered.append(int(index))
        responses.append(bool(answers[index]))
        theta = float(estimator.estimate(item_bank=bank, administered_items=administered, response_vector=responses,
                                         est_theta=theta))
    return theta


def _median(fn: Any, *args: Any, rounds: int = 3) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


@pytest.fixture(scope="module", autouse=True)
def _summary(bench_summary):  # noqa: ANN001
    def render() -> list[str]:
        return [f"{name}: ours {r['ours_s'] * 1e3:.1f} ms, catsim {r['peer_s'] * 1e3:.1f} ms, ratio {r['ratio']:.1f}x"
                for name, r in RESULTS.items()]

    bench_summary.section("Classroom (IRT/CAT)", render)


def _record(name: str, benchmark: Any, ours: Any, peer: Any, ours_args: tuple, peer_args: tuple) -> None:
    t_ours = benchmark.stats.stats.median if benchmark.stats else _median(ours, *ours_args)
    t_peer = _median(peer, *peer_args)
    RESULTS[name] = {"ours_s": t_ours, "peer_s": t_peer, "ratio": t_peer / t_ours}
    benchmark.extra_info.update(RESULTS[name])
    print(f"\n{name}: ours {t_ours * 1e3:.1f} ms, catsim {t_peer * 1e3:.1f} ms, ratio {t_peer / t_ours:.1f}x")


def test_adaptive_test_vs_catsim(benchmark) -> None:  # noqa: ANN001
    params = _bank()
    bank = _catsim_items(params)
    rng = np.random.default_rng(2)
    p = irt.probability(0.7, params.a, params.b, params.c)
    answers = rng.random(len(params)) < p
    # the same maximum-information choice at the same θ
    for theta in (-1.5, 0.0, 0.8, 2.0):
        ours_pick = int(np.argmax(irt.information(theta, params.a, params.b, params.c)))
        theirs = catsim_selection.MaxInfoSelector().select(item_bank=bank, administered_items=[], est_theta=theta)
        assert ours_pick == int(theirs)
    theta = benchmark.pedantic(ours_adaptive, args=(params, answers), rounds=5, iterations=1, warmup_rounds=1)
    assert -1.0 < theta < 2.5
    _record("adaptive test, 20 items from 500", benchmark, ours_adaptive, catsim_adaptive, (params, answers),
            (bank, answers))


def _catsim_scores(bank: Any, x: np.ndarray) -> np.ndarray:
    estimator = catsim_estimation.NumericalSearchEstimator()
    items = list(range(x.shape[1]))
    return np.array([estimator.estimate(item_bank=bank, administered_items=items,
                                        response_vector=list(row.astype(bool)), est_theta=0.0) for row in x])


def test_fixed_form_scoring_vs_catsim(benchmark) -> None:  # noqa: ANN001
    params = _bank(40, seed=3)
    bank = _catsim_items(params)
    rng = np.random.default_rng(4)
    thetas = rng.standard_normal(1000)
    p = irt.probability(thetas, params.a, params.b, params.c)
    x = (rng.random(p.shape) < p).astype(float)
    theta_hat, _se = benchmark.pedantic(irt.eap_many, args=(x, params), rounds=5, iterations=1, warmup_rounds=1)
    theirs = _catsim_scores(bank, x)
    ranks = np.corrcoef(np.argsort(np.argsort(theta_hat)), np.argsort(np.argsort(theirs)))[0, 1]
    assert ranks > 0.95
    _record("score 1,000 examinees x 40 items", benchmark, irt.eap_many, _catsim_scores, (x, params), (bank, x))
