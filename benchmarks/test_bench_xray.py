"""X-ray core benchmarks: ray cast of a torso-size label volume and the re-render for a new kVp.

Run:  pytest benchmarks/test_bench_xray.py --benchmark-enable -s
(``-s`` shows the numba/numpy ratios, which are also stored in each benchmark's ``extra_info``).

Volume: 200 × 180 × 250 labels (x, y, z) at 2 mm (40 × 36 × 50 cm), a stylised torso (soft tissue, fat
layer, lungs, spine, ribs). Detector: 1024 × 1024 at 0.42 mm (43 cm), PA chest, SID 1800 mm.
The numpy references implement the same algorithms (Siddon with sorted plane crossings; Beer–Lambert per
energy bin with tensordot) and are timed in the same run; the numpy ray cast runs on a 32-row strip of
the detector and is compared per ray.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import xraydb

from scanroom.physics.xray import (
    FlatPanelGeometry,
    geometry_maps,
    material_lut,
    material_volume,
    path_lengths,
    path_lengths_numpy,
    render_primary,
    render_primary_numpy,
    tube_spectrum,
)

MATERIALS = {  # ICRU 44 mass fractions, density
    "soft": ({"H": 0.102, "C": 0.143, "N": 0.034, "O": 0.708, "Na": 0.002, "P": 0.003, "S": 0.003, "Cl": 0.002,
              "K": 0.003}, 1.06),
    "fat": ({"H": 0.114, "C": 0.598, "N": 0.007, "O": 0.278, "Na": 0.001, "S": 0.001, "Cl": 0.001}, 0.95),
    "lung": ({"H": 0.103, "C": 0.105, "N": 0.031, "O": 0.749, "Na": 0.002, "P": 0.002, "S": 0.003, "Cl": 0.003,
              "K": 0.002}, 0.26),
    "bone": ({"H": 0.034, "C": 0.155, "N": 0.042, "O": 0.435, "Na": 0.001, "Mg": 0.002, "P": 0.103, "S": 0.003,
              "Ca": 0.225}, 1.92),
}
ORDER = list(MATERIALS)
VOX = (2.0, 2.0, 2.0)
SHAPE = (250, 180, 200)  # (z, y, x)
ORIGIN = (-199.0, -179.0, -249.0)  # centred on 0


def _torso() -> np.ndarray:
    nz, ny, nx = SHAPE
    z, y, x = np.meshgrid(*[(np.arange(n) - (n - 1) / 2) * 2.0 for n in SHAPE], indexing="ij", sparse=True)
    body = (x / 170.0) ** 2 + (y / 110.0) ** 2 <= 1.0
    inner = (x / 160.0) ** 2 + (y / 100.0) ** 2 <= 1.0
    lab = np.zeros(SHAPE, np.uint8)
    lab[np.broadcast_to(body, SHAPE)] = 2  # fat
    lab[np.broadcast_to(inner, SHAPE)] = 1  # soft tissue
    for side in (-1, 1):
        lung = ((x - side * 75) / 60.0) ** 2 + ((y + 5) / 70.0) ** 2 + ((z - 80) / 150.0) ** 2 <= 1.0
        lab[lung] = 3
    spine = (x / 18.0) ** 2 + ((y - 65) / 18.0) ** 2 <= 1.0
    lab[np.broadcast_to(spine, SHAPE)] = 4
    ribs = (np.abs((x / 150.0) ** 2 + (y / 92.0) ** 2 - 1.0) < 0.06) & (np.mod(z, 28.0) < 9.0) & (z > -60)
    lab[ribs & (lab != 0)] = 4
    return lab


def _mu_table(energies_kev: np.ndarray) -> np.ndarray:
    out = []
    for fractions, rho in MATERIALS.values():
        out.append(rho * sum(w * np.asarray(xraydb.mu_elam(el, energies_kev * 1e3)) for el, w in fractions.items()))
    return np.stack(out)


@pytest.fixture(scope="module")
def scene():
    labels = _torso()
    lut = material_lut({0: "air", 1: "soft", 2: "fat", 3: "lung", 4: "bone"}, ORDER)
    mat = material_volume(labels, lut)
    geom = FlatPanelGeometry.facing((0.0, 1650.0, 0.0), (0.0, -150.0, 0.0), (0, 0, 1), (1024, 1024), 0.42)
    # warm-up: compile (or load the numba cache) outside the timings
    small = FlatPanelGeometry.facing((0.0, 1650.0, 0.0), (0.0, -150.0, 0.0), (0, 0, 1), (4, 4), 100.0)
    path_lengths(mat, VOX, ORIGIN, small, len(ORDER))
    return mat, geom


@pytest.fixture(scope="module")
def paths(scene):
    mat, geom = scene
    return path_lengths(mat, VOX, ORIGIN, geom, len(ORDER))


def test_raycast_numba_1024(benchmark, scene):
    mat, geom = scene
    out = benchmark.pedantic(path_lengths, args=(mat, VOX, ORIGIN, geom, len(ORDER)), rounds=3, iterations=1)
    assert out.shape == (4, 1024, 1024) and out[0].max() > 20


def test_raycast_numpy_reference_ratio(benchmark, scene):
    mat, geom = scene
    strip = FlatPanelGeometry(geom.source_mm, geom.detector_centre_mm, geom.u, geom.v, geom.pitch_mm, (32, 1024))
    pts = strip.pixel_centres().reshape(-1, 3)
    ref = benchmark.pedantic(path_lengths_numpy, args=(mat, VOX, ORIGIN, geom.source_mm, pts, len(ORDER)),
                             rounds=1, iterations=1)
    t0 = time.perf_counter()
    fast = path_lengths(mat, VOX, ORIGIN, strip, len(ORDER))
    t_numba = time.perf_counter() - t0
    t_numpy = benchmark.stats.stats.mean
    np.testing.assert_allclose(fast.reshape(len(ORDER), -1), ref, atol=1e-4)
    ratio = t_numpy / t_numba
    benchmark.extra_info.update(rays=len(pts), numba_s=t_numba, numpy_s=t_numpy, numpy_over_numba=ratio)
    print(f"\nray cast, {len(pts)} rays: numpy {t_numpy * 1e3:.0f} ms, numba {t_numba * 1e3:.1f} ms, "
          f"ratio {ratio:.0f}x")


@pytest.fixture(scope="module")
def render_inputs(paths, scene):
    _, geom = scene
    e = tube_spectrum(80).energies_kev
    mu = _mu_table(e)
    maps = geometry_maps(geom, 12.0)
    render_primary(paths[:, :8, :8], mu, tube_spectrum(80), None, 1.0,
                   maps=geometry_maps(FlatPanelGeometry(geom.source_mm, geom.detector_centre_mm, geom.u, geom.v,
                                                        geom.pitch_mm, (8, 8)), 12.0))  # compile
    return mu, maps


@pytest.mark.parametrize("kvp", [70.0, 120.0])
def test_rerender_new_kvp_numba(benchmark, paths, render_inputs, kvp):
    mu, maps = render_inputs

    def rerender():
        spec = tube_spectrum(kvp, added_cu_mm=0.1)  # new technique: spectrum from the bundled table
        return render_primary(paths, mu, spec, None, 4.0, maps=maps)

    img = benchmark.pedantic(rerender, rounds=5, iterations=1, warmup_rounds=1)
    assert img.absorbed_energy_kev.max() > 0


def test_rerender_preview_2kev_bins(benchmark, paths, render_inputs):
    mu, maps = render_inputs
    spec = tube_spectrum(120.0, added_cu_mm=0.1)
    exact = render_primary(paths, mu, spec, None, 4.0, maps=maps)
    img = benchmark.pedantic(render_primary, args=(paths, mu, spec, None, 4.0), kwargs={"maps": maps,
                             "energy_bin_kev": 2}, rounds=5, iterations=1, warmup_rounds=1)
    body = exact.absorbed_energy_kev > 0
    err = np.max(np.abs(img.absorbed_energy_kev[body] / exact.absorbed_energy_kev[body] - 1))
    benchmark.extra_info.update(max_rel_error_vs_1kev=float(err))
    print(f"\n2 keV preview bins: max relative error vs 1 keV bins {err:.2e}")
    assert err < 0.01


def test_rerender_numpy_reference_ratio(benchmark, paths, render_inputs):
    mu, maps = render_inputs
    spec = tube_spectrum(120.0, added_cu_mm=0.1)
    ref = benchmark.pedantic(render_primary_numpy, args=(paths, mu, spec, maps, 4.0), rounds=1, iterations=1)
    t0 = time.perf_counter()
    fast = render_primary(paths, mu, spec, None, 4.0, maps=maps)
    t_numba = time.perf_counter() - t0
    t_numpy = benchmark.stats.stats.mean
    np.testing.assert_allclose(fast.absorbed_energy_kev, ref.absorbed_energy_kev, rtol=1e-3)
    ratio = t_numpy / t_numba
    benchmark.extra_info.update(numba_s=t_numba, numpy_s=t_numpy, numpy_over_numba=ratio)
    print(f"\nre-render 1024², 120 kV: numpy {t_numpy * 1e3:.0f} ms, numba {t_numba * 1e3:.1f} ms, "
          f"ratio {ratio:.0f}x")
