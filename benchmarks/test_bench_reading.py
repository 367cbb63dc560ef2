"""Reading room: synthetic case generation and the AI second reader's speed.

Run:  ``pytest benchmarks/test_bench_reading.py --benchmark-only -s`` (``make bench``).

- Generation: ``plan_set(100)`` + ``generate_set`` (chest PA cases, half abnormal, each abnormal case also
  acquired without its lesions to measure conspicuity). Prints cases/s and the time per stage (acquisition,
  lesion-free twin, truth, words). Goal: about 1-2 minutes for 100 cases on one core.
  ``SCANROOM_BENCH_READING_CASES`` sets another count.
- Detector: ``ai_reader.detect`` on a chest PA (860 × 860 at 0.5 mm: resampling, aligned contralateral
  subtraction, FFT matched filters, features, classifier), against a naive peer: the same four sphere
  templates correlated directly in space (``scipy.ndimage.correlate``) on the same 1 mm grid, nothing else.
  Prints both times and the ratio.
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np
import pytest
from scipy import ndimage

from scanroom.reading import ai_reader, synthetic

SECTION = "Reading room: synthetic cases and the AI second reader"
_RESULTS: dict[str, Any] = {}


def _summary() -> list[str]:
    lines = []
    if "n" in _RESULTS:
        n, total, stages = _RESULTS["n"], _RESULTS["seconds"], _RESULTS["stages"]
        lines.append(f"generate {n} chest cases: {total:.1f} s ({n / total:.2f} cases/s; "
                     f"{100 * total / n / 60:.1f} min per 100)")
        lines.append("  per case: " + ", ".join(f"{k} {v / n:.3f} s" for k, v in stages.items()))
    if "detect" in _RESULTS:
        fast, naive = _RESULTS["detect"], _RESULTS.get("naive")
        line = f"AI reader detect(): {1000 * fast:.0f} ms per image"
        if naive:
            line += f"; naive direct-correlation matched filter {1000 * naive:.0f} ms ({naive / fast:.1f}× slower)"
        lines.append(line)
    return lines


@pytest.fixture(scope="module", autouse=True)
def _section(bench_summary) -> None:  # noqa: ANN001
    bench_summary.section(SECTION, _summary)


@pytest.fixture(scope="module")
def chest() -> synthetic.SyntheticCase:
    spec = synthetic.SyntheticCaseSpec("bench", "xray", "chest-pa", "adult-male", 21,
                                       ("lung-nodule:size_mm=18,side=right",), "easy")
    return synthetic.build_case(spec)


def test_generate_100_cases(benchmark) -> None:  # noqa: ANN001
    n = int(os.environ.get("SCANROOM_BENCH_READING_CASES", "100"))
    specs = synthetic.plan_set(n, seed=77)

    def run() -> list[synthetic.SyntheticCase]:
        return list(synthetic.generate_set(specs))

    t0 = time.perf_counter()
    cases = benchmark.pedantic(run, rounds=1, iterations=1)
    seconds = time.perf_counter() - t0
    stages: dict[str, float] = {}
    for case in cases:
        for key, value in case.timings.items():
            stages[key] = stages.get(key, 0.0) + value
    _RESULTS.update(n=n, seconds=seconds, stages=stages)
    print(f"\n{n} cases in {seconds:.1f} s ({n / seconds:.2f} cases/s); per case: "
          + ", ".join(f"{k} {v / n:.3f} s" for k, v in stages.items()))
    assert len(cases) == n and sum(c.abnormal for c in cases) == round(n / 2)


def test_detector_speed(benchmark, chest: synthetic.SyntheticCase) -> None:  # noqa: ANN001
    image = chest.acquisition.images[0]
    spacing = chest.acquisition.pixel_spacing_mm
    ai_reader.detect(image, spacing)  # model load
    marks = benchmark(lambda: ai_reader.detect(image, spacing))
    _RESULTS["detect"] = benchmark.stats.stats.mean
    assert marks and all(0.0 <= m.confidence <= 1.0 for m in marks)


def _naive_matched_filter(image: np.ndarray, spacing_mm: float) -> np.ndarray:
    """The same four projected-sphere templates correlated directly (no FFT, no subtraction, no classifier)
    with the image resampled to the detector's 1 mm working grid: a brute-force matched filter."""
    img, _, mm = ai_reader._resample(image, (spacing_mm, spacing_mm))
    best = np.full(img.shape, -np.inf, dtype=np.float32)
    for radius_mm in ai_reader.RADII_MM:
        template = ai_reader._sphere_template(radius_mm / mm)
        best = np.maximum(best, ndimage.correlate(img, template, mode="nearest"))
    return best


def test_detector_vs_naive_peer(benchmark, chest: synthetic.SyntheticCase) -> None:  # noqa: ANN001
    image = chest.acquisition.images[0]
    out = benchmark.pedantic(lambda: _naive_matched_filter(image, chest.acquisition.pixel_spacing_mm[0]),
                             rounds=1, iterations=1)
    _RESULTS["naive"] = benchmark.stats.stats.mean
    assert out.shape == ai_reader._resample(image, chest.acquisition.pixel_spacing_mm)[0].shape
    if "detect" in _RESULTS:
        print(f"\ndetect {1000 * _RESULTS['detect']:.0f} ms vs naive {1000 * _RESULTS['naive']:.0f} ms "
              f"({_RESULTS['naive'] / _RESULTS['detect']:.1f}×)")
