"""Observer-performance benchmarks: full OR + DBM analysis of Van Dyke and of a 10-reader × 200-case study.

Run:  pytest benchmarks/test_bench_observer.py --benchmark-only -s

Peer, measured in the same run: the same analysis with the figure of merit and its leave-one-case-out values
computed the textbook way — the n0 × n1 pair table, rebuilt without each case in turn (O(c·n0·n1) per
reader × treatment) — instead of the structural components (sorting + binary search, exact O(n) jackknife;
``scanroom.reading.observer.fom``). Results must agree to 1e-12; the speed ratio is reported, not asserted.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from scanroom.reading.observer import RatingData, analyze, load
from scanroom.reading.observer.fom import naive_jackknife, pair_matrix_fom
from scanroom.reading.observer.mrmc import _analyze_dbm, _analyze_or

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "observer"
RESULTS: dict[str, dict[str, float]] = {}


def synthetic_study(readers: int = 10, cases: int = 200, seed: int = 1) -> RatingData:
    """Binormal ratings with case, reader and reader × case effects, two treatments (separation 1.2 vs 1.5),
    rounded to a 1–100 scale (so ties occur)."""
    rng = np.random.default_rng(seed)
    truth = np.arange(cases) >= cases // 2
    case_effect = rng.normal(0, 0.7, cases)
    rows = []
    for t, shift in enumerate((1.2, 1.5)):
        for r in range(readers):
            reader_effect = rng.normal(0, 0.2)
            z = truth * (shift + reader_effect) + case_effect + rng.normal(0, 0.7, cases)
            rating = np.clip(np.round(50 + 15 * z), 1, 100)
            rows += [(f"R{r}", f"T{t}", f"C{c}", int(truth[c]), float(rating[c])) for c in range(cases)]
    return RatingData.from_rows(rows)


def naive_fom_table(data: RatingData) -> tuple[np.ndarray, np.ndarray]:
    normal, abnormal = data.truth == 0, data.truth == 1
    t_n, r_n, c_n = data.ratings.shape
    foms = np.empty((t_n, r_n))
    jack = np.empty((t_n, r_n, c_n))
    order = np.concatenate((np.nonzero(normal)[0], np.nonzero(abnormal)[0]))
    for t in range(t_n):
        for r in range(r_n):
            x, y = data.ratings[t, r, normal], data.ratings[t, r, abnormal]
            foms[t, r] = pair_matrix_fom(x, y)
            jack[t, r, order] = naive_jackknife(x, y)
    return foms, jack


def ours(data: RatingData):
    return analyze(data, method="or"), analyze(data, method="dbm")


def peer(data: RatingData):
    foms, jack = naive_fom_table(data)
    args = (foms, jack, list(data.treatments), list(data.readers), 0.05)
    return _analyze_or(*args), _analyze_dbm(*args)


def _median_time(fn, data: RatingData, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn(data)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


@pytest.fixture(scope="module", autouse=True)
def _summary(bench_summary):  # noqa: ANN001
    def render() -> list[str]:
        return [f"{name}: ours {r['ours_s'] * 1e3:.1f} ms, pair-table peer {r['peer_s'] * 1e3:.1f} ms, "
                f"ratio {r['ratio']:.1f}x (OR + DBM, RRRC/FRRC/RRFC)" for name, r in RESULTS.items()]

    bench_summary.section("Observer performance (MRMC)", render)


@pytest.mark.parametrize("name", ["Van Dyke (5 readers x 2 treatments x 114 cases)",
                                  "synthetic (10 readers x 2 treatments x 200 cases)"])
def test_full_mrmc_analysis_vs_pair_table_peer(benchmark, name):  # noqa: ANN001
    data = load(DATA / "vandyke_roc.csv") if name.startswith("Van Dyke") else synthetic_study()
    assert isinstance(data, RatingData)
    or_res, dbm_res = benchmark.pedantic(ours, args=(data,), rounds=7, iterations=1, warmup_rounds=1)
    # With --benchmark-disable the fixture runs once and keeps no statistics: time it here instead.
    t_ours = benchmark.stats.stats.median if benchmark.stats else _median_time(ours, data, rounds=3)
    (_, _, _, peer_or), (_, peer_ms, _, peer_dbm) = peer(data)
    t_peer = _median_time(peer, data, rounds=3)
    # Same answers: the F statistics and the DBM mean squares.
    assert or_res.rrrc.statistic == pytest.approx(peer_or["RRRC"].statistic, rel=1e-12)
    assert dbm_res.frrc.statistic == pytest.approx(peer_dbm["FRRC"].statistic, rel=1e-12)
    for key, value in peer_ms.items():
        assert dbm_res.mean_squares[key] == pytest.approx(value, rel=1e-10)
    ratio = t_peer / t_ours
    RESULTS[name] = {"ours_s": t_ours, "peer_s": t_peer, "ratio": ratio}
    benchmark.extra_info.update(ours_s=t_ours, peer_s=t_peer, ratio=ratio)
    print(f"\n{name}: ours {t_ours * 1e3:.1f} ms, pair-table peer {t_peer * 1e3:.1f} ms, ratio {ratio:.1f}x")
