"""Benchmark: build adult-male chest at 1 mm (target: well under 2 s on 2 cores).

Run with ``pytest benchmarks/test_bench_patients.py --benchmark-enable`` (``make bench``).
"""

from __future__ import annotations

from scanroom.physics.patients import build_patient


def test_bench_adult_male_chest_1mm(benchmark) -> None:  # noqa: ANN001
    build_patient("adult-male", region="chest", voxel_mm=1.0)  # warm-up: imports, caches
    ph = benchmark.pedantic(
        build_patient, args=("adult-male",), kwargs={"region": "chest", "voxel_mm": 1.0}, rounds=5, iterations=1
    )
    assert ph.shape[0] > 300
    assert benchmark.stats.stats.median < 2.0
