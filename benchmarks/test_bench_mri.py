"""MRI benchmarks: interactive slice, 20-slice stack, Bloch FLASH 64² (numba vs numpy, MRzeroCore if installed).

Targets: 256² slice ≤ 50 ms, 20 slices ≤ 1 s, Bloch 64² FLASH ≤ 0.5 s on one core.
Run: ``pytest benchmarks/test_bench_mri.py --benchmark-only -s``.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from scanroom.physics.mri import (
    AcquisitionParams,
    SliceGeometry,
    acquire,
    default_params,
    flash_blocks,
    flatten,
    simulate,
    simulate_numpy,
    spins_from_labels,
    tissue_table,
)
from scanroom.physics.mri.geometry import labels_on_grid, slice_planes
from scanroom.physics.mri.testobjects import brain_phantom

N_FLASH, FOV_M = 64, 0.22


@pytest.fixture(scope="module")
def head():
    return brain_phantom(192, 1.25)


@pytest.fixture(scope="module")
def flash_setup():
    ph = brain_phantom(128, 1.6)
    c = (np.arange(N_FLASH) - N_FLASH // 2) * FOV_M * 1e3 / N_FLASH
    lab = labels_on_grid(ph, slice_planes(SliceGeometry(phase_dir="AP"), ph)[0], c, c)
    table = tissue_table(ph.label_materials, 1.5)
    spins = spins_from_labels(lab, table, (FOV_M, FOV_M))
    blocks = flash_blocks(N_FLASH, N_FLASH, FOV_M, tr_s=10e-3, te_s=4e-3, flip_deg=15.0, dummies=64)
    simulate(flatten(blocks[:12]), spins)  # compile outside the timing
    return lab, table, spins, blocks


def test_bench_interactive_slice_256(benchmark, head) -> None:
    seq = default_params("t2-tse", 1.5)
    geom = SliceGeometry(matrix_read=256, matrix_phase=256)
    acq = AcquisitionParams(seed=1)
    acquire(head, seq, geom, acq)
    r = benchmark(acquire, head, seq, geom, acq)
    assert r.image.shape == (1, 256, 256)
    print(f"\n256² T2-TSE slice: median {benchmark.stats.stats.median * 1e3:.1f} ms (target ≤ 50 ms)")


def test_bench_interactive_slice_256_head_coil_sense(benchmark, head) -> None:
    seq = default_params("flair", 3.0)
    geom = SliceGeometry(matrix_read=256, matrix_phase=256)
    acq = AcquisitionParams(field_t=3.0, coil="head-8", parallel_factor=2, seed=1)
    acquire(head, seq, geom, acq)
    benchmark(acquire, head, seq, geom, acq)
    print(f"\n256² FLAIR, 8-ch SENSE R=2: median {benchmark.stats.stats.median * 1e3:.1f} ms")


def test_bench_stack_20_slices(benchmark, head) -> None:
    seq = default_params("t1-se", 1.5)
    geom = SliceGeometry(matrix_read=256, matrix_phase=256, n_slices=20, slice_thickness_mm=4.0, slice_gap_mm=1.0)
    acq = AcquisitionParams(seed=2)
    r = benchmark.pedantic(acquire, args=(head, seq, geom, acq), rounds=5, iterations=1, warmup_rounds=1)
    assert r.image.shape == (20, 256, 256)
    print(f"\n20 × 256² T1-SE stack: median {benchmark.stats.stats.median:.3f} s (target ≤ 1 s)")


def test_bench_bloch_flash_64(benchmark, flash_setup) -> None:
    _, _, spins, blocks = flash_setup
    r = benchmark.pedantic(simulate, args=(blocks, spins), rounds=5, iterations=1, warmup_rounds=1)
    t_numba = benchmark.stats.stats.median
    seg = flatten(blocks)
    t0 = time.perf_counter()
    for _ in range(3):
        ref = simulate_numpy(seg, spins)
    t_numpy = (time.perf_counter() - t0) / 3
    t0 = time.perf_counter()
    for _ in range(5):
        simulate(seg, spins)
    t_kernel = (time.perf_counter() - t0) / 5
    np.testing.assert_allclose(r.signal, ref.signal, rtol=1e-9, atol=1e-12 * np.abs(ref.signal).max())
    benchmark.extra_info.update(spins=spins.n, numpy_s=t_numpy, numba_sim_only_s=t_kernel)
    print(f"\nBloch 64² FLASH, {spins.n} isochromats, {len(blocks)} blocks: numba {t_numba * 1e3:.0f} ms "
          f"(simulation only {t_kernel * 1e3:.0f} ms; target ≤ 500 ms), plain numpy {t_numpy * 1e3:.0f} ms, "
          f"ratio numpy/numba {t_numpy / t_kernel:.1f}×")


def test_bench_bloch_vs_mrzero(benchmark, flash_setup, tmp_path) -> None:
    """Same pypulseq FLASH file and maps through this engine and MRzeroCore (PDG), if installed.

    Both without chemical shift and T2' (one isochromat per voxel here); this engine idealises spoiling.
    """
    mr0 = pytest.importorskip("MRzeroCore")
    torch = pytest.importorskip("torch")
    from scanroom.physics.mri import pulseq_io

    lab, table, _, _ = flash_setup
    spins = spins_from_labels(lab, table, (FOV_M, FOV_M), chemical_shift=False)  # same physics as the mr0 phantom
    path = tmp_path / "flash.seq"
    pulseq_io.write_seq(pulseq_io.make_flash(N_FLASH, N_FLASH, FOV_M, tr_s=12e-3, te_s=5e-3, flip_deg=15.0,
                                                    dummies=100), path)
    blocks = pulseq_io.read_seq(path, ideal_spoil=True)
    simulate(blocks[:10], spins)
    t0 = time.perf_counter()
    ours = simulate(blocks, spins)
    t_ours = time.perf_counter() - t0

    def t(a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(np.ascontiguousarray(a.T[:, :, None]), dtype=torch.float32)

    lab_c = np.minimum(lab, table.n_labels - 1)
    pd = table.pd[lab_c]
    affine = torch.eye(3, 4)
    for i in range(2):
        affine[i, i] = FOV_M * 1e3 / N_FLASH
    affine[:2, 3] = -FOV_M * 1e3 / 2
    ph = mr0.VoxelGridPhantom(t(pd), t(table.t1_ms[lab_c] * 1e-3 + (pd == 0)), t(table.t2_ms[lab_c] * 1e-3 + (pd == 0)),
                              t(1e3 + 0 * pd), t(0 * pd), t(0 * pd), t(1 + 0 * pd)[None],
                              t(1 + 0 * pd)[None], affine)
    data = ph.build()
    seq = mr0.Sequence.import_file(str(path))
    def run_mr0():
        graph = mr0.compute_graph(seq, data, 200, 1e-3)
        return mr0.execute_graph(graph, seq, data, print_progress=False)

    sig = benchmark.pedantic(run_mr0, rounds=2, iterations=1)
    t_mr0 = benchmark.stats.stats.median
    img_mr0 = np.abs(np.fft.fftshift(np.fft.ifft2(np.fft.ifftshift(sig.numpy().reshape(N_FLASH, N_FLASH)))))
    img_ours = np.abs(np.fft.fftshift(np.fft.ifft2(np.fft.ifftshift(ours.signal.reshape(N_FLASH, N_FLASH)))))
    corr = float(np.corrcoef(img_mr0.ravel(), img_ours.ravel())[0, 1])
    print(f"\npypulseq FLASH 64² (same .seq): this engine {t_ours:.3f} s ({spins.n} isochromats, ideal spoiling), "
          f"MRzeroCore 1.2 PDG {t_mr0:.3f} s (ratio {t_mr0 / t_ours:.0f}×), image correlation {corr:.4f}")
    assert corr > 0.99
