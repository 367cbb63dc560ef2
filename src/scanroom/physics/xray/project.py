"""Polyenergetic primary image from per-material path lengths (Beer–Lambert summed over energy bins).

The expensive ray cast (:mod:`raycast`) is done once per patient pose; this module re-renders it for any
kVp, filtration, mAs or detector in milliseconds to tens of milliseconds:

    N_inc(p) = mAs · A_pix · (1 m / r_p)² · cos γ_p · Σ_E Φ(E) · T_src(E, p) · exp(−Σ_m L_m(p) μ_m(E))

with Φ the spectrum per mAs at 1 m (:mod:`spectrum`), r_p the focus–pixel distance (inverse square), γ_p
the angle between the ray and the detector normal (obliquity: a tilted pixel intercepts cos γ of the
beam), and T_src the off-axis source terms — the heel effect (extra tungsten self-filtration, see
:mod:`spectrum`) and the longer oblique path through the tube filtration. The detector absorbs a fraction
η(E, γ) = 1 − exp(−μ_CsI(E)·ρ_eff·t / cos γ) of the photons (CsI:Tl scintillator, μ from xraydb); an
energy-integrating detector's signal is the absorbed energy Σ N_abs(E)·E (K-fluorescence escape ignored).
The kernel also returns Σ N_abs(E)·E², from which :mod:`detector` draws correctly scaled quantum noise.

Reference for the energy-integrating signal and its Swank-type noise factor: Swank RK. Absorption and noise
in x-ray phosphors. J Appl Phys 1973;44:4199.
"""

from __future__ import annotations

import os
import queue
import threading
from dataclasses import dataclass
from typing import Any

import numba as nb
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from scanroom.physics.xray.attenuation import DENSITY_G_CM3, mu_linear_cm
from scanroom.physics.xray.geometry import FlatPanelGeometry
from scanroom.physics.xray.spectrum import Spectrum, anode_escape_factor, heel_depth_cm

__all__ = [
    "Scintillator",
    "GeometryMaps",
    "PrimaryImage",
    "geometry_maps",
    "render_primary",
    "render_primary_numpy",
]

_COS_STEP = 0.00025  # detector-obliquity table spacing: |Δη/η| < 1e−4
_BEHIND_ANODE = 1e6  # escape-factor excess standing in for "behind the anode surface": opaque


@dataclass(frozen=True)
class Scintillator:
    """Indirect flat-panel converter: CsI:Tl needles, thickness and packing (fill) fraction.

    Typical radiography panels use 0.5–0.6 mm CsI at ~75–80 % packing.
    """

    thickness_mm: float = 0.6
    packing_fraction: float = 0.75
    material: str = "CsI"
    density_g_cm3: float = DENSITY_G_CM3["CsI"]

    def mu_thickness(self, energies_kev: np.ndarray) -> np.ndarray:
        """μ·t (dimensionless) at normal incidence."""
        mu = mu_linear_cm(self.material, energies_kev, self.density_g_cm3 * self.packing_fraction)
        return mu * self.thickness_mm * 0.1

    def absorption_efficiency(self, energies_kev: np.ndarray, cos_incidence: float = 1.0) -> np.ndarray:
        """Quantum absorption efficiency η(E) = 1 − exp(−μ t / cos γ)."""
        return -np.expm1(-self.mu_thickness(energies_kev) / cos_incidence)


@dataclass(frozen=True, eq=False)
class GeometryMaps:
    """Per-pixel factors that depend only on geometry (and anode angle): compute once, reuse."""

    gain: np.ndarray  # (H, W) float32: A_pix (mm²) · (1000 mm / r)² · cos γ
    cos_incidence: np.ndarray  # (H, W) float32: cos γ at the detector
    heel_escape_excess: np.ndarray  # (H, W) float32: anode escape factor − its central-ray value
    filter_oblique_excess: np.ndarray  # (H, W) float32: 1/cos(angle to tube axis) − 1
    anode_angle_deg: float


@dataclass(frozen=True, eq=False)
class PrimaryImage:
    """Noise-free primary (unscattered) image quantities per pixel (float32, shape (H, W))."""

    incident_photons: np.ndarray  # photons reaching the pixel area
    absorbed_quanta: np.ndarray  # photons absorbed in the scintillator
    absorbed_energy_kev: np.ndarray  # Σ N_abs·E: the energy-integrating detector signal
    absorbed_energy2_kev2: np.ndarray  # Σ N_abs·E²: variance of that signal under Poisson statistics

    @property
    def energy_per_quantum_kev(self) -> np.ndarray:
        """Var/mean of the signal (keV): the 'size' of one effective quantum (≥ mean absorbed energy)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.absorbed_energy_kev > 0,
                            self.absorbed_energy2_kev2 / self.absorbed_energy_kev, 0.0).astype(np.float32)


def geometry_maps(geometry: FlatPanelGeometry, anode_angle_deg: float = 12.0) -> GeometryMaps:
    """Inverse square, obliquity and off-axis source factors for every pixel of ``geometry``."""
    r = geometry.distance_mm()
    cos_g = geometry.cos_incidence()
    dv, du = geometry.pitch_mm
    gain = du * dv * (1000.0 / r) ** 2 * cos_g
    along, across = geometry.tube_angles()
    theta = np.deg2rad(anode_angle_deg)
    esc = anode_escape_factor(theta + along, across) - anode_escape_factor(theta, 0.0)
    esc = np.where(np.isfinite(esc), esc, np.inf)
    cos_axis = 1.0 / np.sqrt(1.0 + np.tan(along) ** 2 + np.tan(across) ** 2)
    return GeometryMaps(gain.astype(np.float32), cos_g.astype(np.float32), esc.astype(np.float32),
                        (1.0 / cos_axis - 1.0).astype(np.float32), float(anode_angle_deg))


_F32 = np.float32
_ZERO = _F32(0.0)
_LOG2E = 1.4426950408889634
_EXP2_CAP = 80.0 * _LOG2E  # exponent cap: e^(−80) ≈ 2e−35 is treated as opaque (as before)
# 2^t on |t| ≤ 1/2, degree-5 near-minimax polynomial: relative error 2.1e−7 in float32 (Horner with FMA)
_Q = (1.0000001192092896, 0.6931469440460205, 0.24022120237350464, 0.05550713464617729, 0.00967553723603487,
      0.001327644451521337)
_VEC = 16  # float32 lanes of the energy loop (one AVX-512 register, two AVX2 registers)
_EROW = 160  # row length of the weight block: energy bins per kernel pass (1 keV bins to 150 kVp: one)
_RBLOCK = 8  # detector rows claimed together (longer contiguous runs through each path-length plane)
_USE_AVX512 = True  # vscalefps where the target has it (tests switch it off to check the portable path)
_SLOTS = 12  # non-zero path lengths per pixel handled in registers; more are summed through a buffer first


def _fetch_add_typing(typingctx, arr, i, v):
    """Atomically add v to arr[i] (int64, sequentially consistent); returns the old value."""
    sig = types.int64(arr, types.intp, types.int64)

    def codegen(context, builder, signature, args):
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, signature.args[0], ary, [args[1]], wraparound=False)
        return builder.atomic_rmw("add", ptr, args[2], "seq_cst")

    return sig, codegen


_fetch_add: Any = intrinsic(_fetch_add_typing)


def _lowest_bit_typing(typingctx, x):
    """Index of the lowest set bit of an unsigned integer (count trailing zeros)."""
    sig = types.int64(x)

    def codegen(context, builder, signature, args):
        return builder.zext(builder.cttz(args[0], ir.Constant(ir.IntType(1), 0)), ir.IntType(64))

    return sig, codegen


_lowest_bit: Any = intrinsic(_lowest_bit_typing)


def _splat(builder, value, n):
    vt = ir.VectorType(value.type, n)
    v = builder.insert_element(ir.Constant(vt, ir.Undefined), value, ir.Constant(ir.IntType(32), 0))
    return builder.shuffle_vector(v, ir.Constant(vt, ir.Undefined),
                                  ir.Constant(ir.VectorType(ir.IntType(32), n), [0] * n))


def _call(builder, name, ret, args):
    fnty = ir.FunctionType(ret, [a.type for a in args])
    return builder.call(cgutils.get_or_insert_function(builder.module, fnty, name), args)


def _energy_sums_typing(typingctx, mu, rows, lengths, wk, nodes, n_e):
    """Four energy sums for each of P pixels that share their slot rows: a tuple of 4·P float32.

    For pixel p: (Σ_E wk[k_p,0,E]·T_p, …, Σ_E wk[k_p,3,E]·T_p) with T_p(E) = 2^z_p(E),
    z_p = max(Σ_j lengths[p, j]·mu[rows[j], E], −cap); ``nodes`` is the tuple of the P weight nodes k_p and
    ``lengths`` a (≥ P, ≥ len(rows)) float32 array, read inside the loop as broadcast memory operands (so that
    2·P·len(rows) broadcast registers need not be set up and spilled per call).

    Written in LLVM IR so that nothing is left to the auto-vectoriser: 16-lane chunks over the first n_e bins
    (the arrays are padded to whole chunks with zero weights; a last chunk of ≤ 8 bins runs 8 lanes wide); each
    μ row is loaded once for all P pixels; 2^z = 2^rint(z)·2^t with |t| ≤ 1/2 exact (Sterbenz) and 2^t a
    degree-5 polynomial (relative error 2.1e−7), 2^rint(z) by vscalefps on AVX-512 targets or written into the
    exponent bits elsewhere; 4·P vector accumulators, reduced together by one shuffle–add tree at the end.
    ``wk`` is (nodes, 4, _EROW): the four weight rows of a node lie at constant offsets from one pointer.
    """
    n_px = len(nodes)
    n_slots = len(rows)
    n_out = 4 * n_px
    sig = types.UniTuple(types.float32, n_out)(mu, rows, lengths, wk, nodes, n_e)

    def codegen(context, builder, signature, args):
        _, rows_v, _, _, nodes_v, ne_v = args
        f32, i64, i32 = ir.FloatType(), ir.IntType(64), ir.IntType(32)
        fp = f32.as_pointer()
        features = str(getattr(context.codegen(), "_tm_features", "")) if _USE_AVX512 else ""

        def row_ptr(i, row):  # first element of row `row` of array argument i (C-contiguous)
            a = context.make_array(signature.args[i])(context, builder, args[i])
            addr = builder.add(builder.ptrtoint(a.data, i64), builder.mul(row, builder.extract_value(a.strides, 0)))
            return builder.inttoptr(addr, fp)

        slot_ptrs = [row_ptr(0, builder.extract_value(rows_v, j)) for j in range(n_slots)]
        len_ptrs = [row_ptr(2, ir.Constant(i64, px)) for px in range(n_px)]
        w_ptrs = [row_ptr(3, builder.extract_value(nodes_v, px)) for px in range(n_px)]

        def vec(width):
            return ir.VectorType(f32, width)

        def zeros(width):
            return ir.Constant(vec(width), [0.0] * width)

        def fma(a, b, c):
            return _call(builder, f"llvm.fma.v{a.type.count}f32", a.type, [a, b, c])

        def chunk(width, off, accs, opaque_zero):
            """One chunk of `width` bins from element offset `off`: accumulators + the chunk's sums.

            The lengths are loaded at an offset the optimiser cannot see is zero, so that the loads stay in the
            loop and become broadcast operands of the FMAs instead of hoisted (and spilled) registers.
            """
            vt = vec(width)

            def length(px, j):
                at = builder.add(opaque_zero, ir.Constant(i64, j))
                return _splat(builder, builder.load(builder.gep(len_ptrs[px], [at]), align=4), width)

            def load(ptr, row=0):
                at = builder.add(off, ir.Constant(i64, row * _EROW)) if row else off
                return builder.load(builder.bitcast(builder.gep(ptr, [at]), vt.as_pointer()), align=4)

            def splat(x):
                return _splat(builder, x if isinstance(x, ir.Value) else ir.Constant(f32, float(_F32(x))), width)

            zs = [zeros(width)] * n_px
            for j, ptr in enumerate(slot_ptrs):
                mu_j = load(ptr)
                zs = [fma(length(px, j), mu_j, zs[px]) if j else builder.fmul(length(px, 0), mu_j)
                      for px in range(n_px)]
            out = []
            for px in range(n_px):
                z = _call(builder, f"llvm.maxnum.v{width}f32", vt, [zs[px], splat(-_EXP2_CAP)])
                kf = _call(builder, f"llvm.rint.v{width}f32", vt, [z])
                t = builder.fsub(z, kf)
                p = fma(splat(_Q[5]), t, splat(_Q[4]))
                for c in (3, 2, 1, 0):
                    p = fma(p, t, splat(_Q[c]))
                if "+avx512f" in features and (width == 16 or "+avx512vl" in features):
                    p = _call(builder, f"llvm.x86.avx512.mask.scalef.ps.{ {16: 512, 8: 256}[width] }", vt,
                              [p, kf, zeros(width), ir.Constant(ir.IntType(width), -1)]
                              + ([ir.Constant(i32, 4)] if width == 16 else []))
                else:
                    vi = ir.VectorType(i32, width)
                    biased = builder.add(builder.fptosi(kf, vi), _splat(builder, ir.Constant(i32, 127), width))
                    bits = builder.shl(biased, _splat(builder, ir.Constant(i32, 23), width))
                    p = builder.fmul(p, builder.bitcast(bits, vt))
                out += [fma(load(w_ptrs[px], o), p, accs[4 * px + o]) for o in range(4)]
            return out

        v = _VEC
        n_full = builder.sdiv(ne_v, ir.Constant(i64, v))
        rem = builder.sub(ne_v, builder.mul(n_full, ir.Constant(i64, v)))
        pre = builder.block
        loop = builder.append_basic_block("esum.loop")
        after = builder.append_basic_block("esum.after")
        pick = builder.append_basic_block("esum.pick")
        tail_short = builder.append_basic_block("esum.tail8")
        tail_long = builder.append_basic_block("esum.tail16")
        done = builder.append_basic_block("esum.done")
        builder.cbranch(builder.icmp_signed(">", n_full, ir.Constant(i64, 0)), loop, after)

        builder.position_at_end(loop)
        i = builder.phi(i64)
        accs = [builder.phi(vec(v)) for _ in range(n_out)]
        new_accs = chunk(v, builder.mul(i, ir.Constant(i64, v)), accs, builder.lshr(i, ir.Constant(i64, 62)))
        i_next = builder.add(i, ir.Constant(i64, 1))
        loop_end = builder.block
        builder.cbranch(builder.icmp_signed("<", i_next, n_full), loop, after)
        i.add_incoming(ir.Constant(i64, 0), pre)
        i.add_incoming(i_next, loop_end)
        for acc, new in zip(accs, new_accs, strict=True):
            acc.add_incoming(zeros(v), pre)
            acc.add_incoming(new, loop_end)

        builder.position_at_end(after)
        main = []
        for o in range(n_out):
            phi = builder.phi(vec(v))
            phi.add_incoming(zeros(v), pre)
            phi.add_incoming(new_accs[o], loop_end)
            main.append(phi)
        off = builder.mul(n_full, ir.Constant(i64, v))
        builder.cbranch(builder.icmp_signed("==", rem, ir.Constant(i64, 0)), done, pick)
        builder.position_at_end(pick)
        builder.cbranch(builder.icmp_signed("<=", rem, ir.Constant(i64, v // 2)), tail_short, tail_long)

        builder.position_at_end(tail_short)  # ≤ 8 bins left: half-width vectors, widened into the accumulators
        half = chunk(v // 2, off, [zeros(v // 2)] * n_out, ir.Constant(i64, 0))
        widen = ir.Constant(ir.VectorType(i32, v), list(range(v)))
        short_accs = [builder.fadd(main[o], builder.shuffle_vector(half[o], zeros(v // 2), widen))
                      for o in range(n_out)]
        builder.branch(done)

        builder.position_at_end(tail_long)
        long_accs = chunk(v, off, main, ir.Constant(i64, 0))
        builder.branch(done)

        builder.position_at_end(done)
        groups = []
        for o in range(n_out):
            phi = builder.phi(vec(v))
            phi.add_incoming(main[o], after)
            phi.add_incoming(short_accs[o], tail_short)
            phi.add_incoming(long_accs[o], tail_long)
            groups.append(phi)

        # shuffle–add tree: vectors hold `g` groups of `width` partial sums each; merge vector pairs (halving
        # the width) until one vector remains, then halve within it until one lane per sum
        def take(a, b, idx):
            return builder.shuffle_vector(a, b, ir.Constant(ir.VectorType(i32, len(idx)), idx))

        width, g = v, 1
        while len(groups) > 1:
            h = width // 2
            n_lanes = g * width
            lo = [q * width + x for q in range(g) for x in range(h)]
            hi = [q * width + h + x for q in range(g) for x in range(h)]
            lo2, hi2 = lo + [n_lanes + y for y in lo], hi + [n_lanes + y for y in hi]
            groups = [builder.fadd(take(a, b, lo2), take(a, b, hi2)) for a, b in zip(groups[0::2], groups[1::2],
                                                                                      strict=True)]
            width, g = h, 2 * g
        vec_ = groups[0]
        while width > 1:
            h = width // 2
            vec_ = builder.fadd(take(vec_, vec_, [q * width + x for q in range(g) for x in range(h)]),
                                take(vec_, vec_, [q * width + h + x for q in range(g) for x in range(h)]))
            width = h
        return context.make_tuple(builder, signature.return_type,
                                  [builder.extract_element(vec_, ir.Constant(i32, o)) for o in range(n_out)])

    return sig, codegen


_energy_sums: Any = intrinsic(_energy_sums_typing)


@nb.njit(nogil=True, fastmath=True, cache=True)
def _render_kernel(paths, heel_map, filter_map, heel, filter_obliquity, mu_all, wk, n_e, cos_nodes, cos_map, gain,
                   gain_scale, field, use_field, out, counter):
    """Rows (claimed _RBLOCK at a time through ``counter``) of the four primary-image sums.

    Pixels go in pairs (c, c + 1) that share the union of their non-zero path lengths (bit masks per row, then
    the set bits) and the heel and oblique-filter terms when non-zero, then one vectorised pass over energy
    (:func:`_energy_sums`). mu_all rows hold −μ·log2 e: the n_mat materials, the heel (W) and tube-filtration
    rows, and a zero row for unused slots.
    """
    n_mat, rows, cols = paths.shape
    n_words = max((n_mat + 31) // 32, 1)  # 32-bit masks of the materials with non-zero length
    heel_row = n_mat
    filter_row = n_mat + 1
    zero_row = n_mat + 2
    n_nodes = cos_nodes.size
    c0 = cos_nodes[0]
    inv_dc = (n_nodes - 1) / (cos_nodes[n_nodes - 1] - c0) if n_nodes > 1 else 0.0
    n_blocks = (rows + _RBLOCK - 1) // _RBLOCK
    masks = np.empty((_RBLOCK, n_words, cols), dtype=np.uint32)
    hv = np.zeros(cols, dtype=np.float32)
    fv = np.zeros(cols, dtype=np.float32)
    active = np.empty(cols, dtype=np.bool_)
    idx = np.empty(n_mat + 4, dtype=np.int64)
    lens = np.empty((2, n_mat + 4), dtype=np.float32)  # the pair's path lengths, slot by slot
    line = np.zeros((2, mu_all.shape[1]), dtype=np.float32)  # padding columns stay zero, like mu_all's
    unit = np.eye(2, dtype=np.float32)
    while True:
        blk = _fetch_add(counter, 0, 1)
        if blk >= n_blocks:
            break
        r0 = blk * _RBLOCK
        nr = min(_RBLOCK, rows - r0)
        masks[:] = 0
        for m in range(n_mat):
            bit = np.uint32(1) << np.uint32(m & 31)
            for rr in range(nr):
                row_mask = masks[rr, m >> 5]
                for c in range(cols):
                    row_mask[c] |= bit if paths[m, r0 + rr, c] != 0.0 else np.uint32(0)
        for rr in range(nr):
            r = r0 + rr
            if heel:
                for c in range(cols):
                    h = heel_map[r, c]
                    hv[c] = h if np.isfinite(h) else _F32(_BEHIND_ANODE)
            if filter_obliquity:
                for c in range(cols):
                    fv[c] = filter_map[r, c]
            for c in range(cols):
                active[c] = gain[r, c] != 0.0 and not (use_field and not field[r, c])
            for ca in range(0, cols, 2):
                cb = min(ca + 1, cols - 1)  # an odd last column pairs with itself
                if not (active[ca] or active[cb]):
                    for o in range(4):
                        out[o, r, ca] = 0.0
                        out[o, r, cb] = 0.0
                    continue
                n = 0
                for wd in range(n_words):
                    bits = masks[rr, wd, ca] | masks[rr, wd, cb]
                    while bits:
                        m = wd * 32 + _lowest_bit(bits)
                        bits &= bits - np.uint32(1)
                        idx[n] = m
                        lens[0, n] = paths[m, r, ca]
                        lens[1, n] = paths[m, r, cb]
                        n += 1
                # the source terms, appended when non-zero for either pixel (branch-free)
                idx[n] = heel_row
                lens[0, n] = hv[ca]
                lens[1, n] = hv[cb]
                n += (hv[ca] != 0.0) | (hv[cb] != 0.0)
                idx[n] = filter_row
                lens[0, n] = fv[ca]
                lens[1, n] = fv[cb]
                n += (fv[ca] != 0.0) | (fv[cb] != 0.0)
                for j in range(n, n + 2):  # slot counts come in even sizes (≥ 2): unused slots read zeros
                    idx[j] = zero_row
                    lens[0, j] = _ZERO
                    lens[1, j] = _ZERO
                # detector absorption at this obliquity: nearest of finely spaced cos nodes (Δcos = 0.00025)
                ka = min(max(int((cos_map[r, ca] - c0) * inv_dc + 0.5), 0), n_nodes - 1)
                kb = min(max(int((cos_map[r, cb] - c0) * inv_dc + 0.5), 0), n_nodes - 1)
                if n <= 2:
                    s = _energy_sums(mu_all, (idx[0], idx[1]), lens, wk, (ka, kb), n_e)
                elif n <= 4:
                    s = _energy_sums(mu_all, (idx[0], idx[1], idx[2], idx[3]), lens, wk, (ka, kb), n_e)
                elif n <= 6:
                    s = _energy_sums(mu_all, (idx[0], idx[1], idx[2], idx[3], idx[4], idx[5]), lens, wk, (ka, kb),
                                     n_e)
                elif n <= 8:
                    s = _energy_sums(mu_all, (idx[0], idx[1], idx[2], idx[3], idx[4], idx[5], idx[6], idx[7]), lens,
                                     wk, (ka, kb), n_e)
                elif n <= 10:
                    s = _energy_sums(mu_all, (idx[0], idx[1], idx[2], idx[3], idx[4], idx[5], idx[6], idx[7],
                                              idx[8], idx[9]), lens, wk, (ka, kb), n_e)
                elif n <= _SLOTS:
                    s = _energy_sums(mu_all, (idx[0], idx[1], idx[2], idx[3], idx[4], idx[5], idx[6], idx[7],
                                              idx[8], idx[9], idx[10], idx[11]), lens, wk, (ka, kb), n_e)
                else:  # rare: sum each pixel's exponent into a buffer row first
                    for e in range(n_e):
                        line[0, e] = _ZERO
                        line[1, e] = _ZERO
                    for j in range(n):
                        m = idx[j]
                        for px in range(2):
                            lj = lens[px, j]
                            for e in range(n_e):
                                line[px, e] += lj * mu_all[m, e]
                    s = _energy_sums(line, (0, 1), unit, wk, (ka, kb), n_e)
                # a pixel outside the field (computed along with its partner) gets exactly 0
                ga = _F32(gain[r, ca] * gain_scale) if active[ca] else _ZERO
                gb = _F32(gain[r, cb] * gain_scale) if active[cb] else _ZERO
                out[0, r, ca] = ga * s[0] if active[ca] else _ZERO
                out[1, r, ca] = ga * s[1] if active[ca] else _ZERO
                out[2, r, ca] = ga * s[2] if active[ca] else _ZERO
                out[3, r, ca] = ga * s[3] if active[ca] else _ZERO
                if cb != ca:
                    out[0, r, cb] = gb * s[4] if active[cb] else _ZERO
                    out[1, r, cb] = gb * s[5] if active[cb] else _ZERO
                    out[2, r, cb] = gb * s[6] if active[cb] else _ZERO
                    out[3, r, cb] = gb * s[7] if active[cb] else _ZERO
        _fetch_add(counter, 1, 1)  # blocks finished (after this block's stores)


class _Helpers:
    """Daemon threads that run block-claiming kernels next to the calling thread (started on first use).

    Blocks of rows are claimed one at a time through an atomic counter, so the caller never waits for a helper
    the OS has not scheduled yet: on a loaded machine a fixed split of the rows, or the closing barrier of a
    parallel region, can wait a whole time slice for the last thread; here the caller takes what is left and
    waits only for blocks a helper has already claimed.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: list[queue.SimpleQueue] = []

    @staticmethod
    def _loop(q: queue.SimpleQueue) -> None:
        while True:
            job = q.get()
            if job is None:  # pragma: no cover - not used: the threads are daemons
                return
            kernel, args, n_blocks, done, errors = job
            try:
                kernel(*args)
            except BaseException as exc:  # pragma: no cover - the kernel does not raise
                errors.append(exc)
                done.set()
            else:
                if _blocks_finished(args[-1]) >= n_blocks:  # this helper finished the last block
                    done.set()

    def submit(self, kernel, args: tuple, n_blocks: int, n_helpers: int) -> tuple[threading.Event, list]:
        done: threading.Event = threading.Event()
        errors: list = []
        with self._lock:
            while len(self._queues) < n_helpers:
                q: queue.SimpleQueue = queue.SimpleQueue()
                threading.Thread(target=self._loop, args=(q,), daemon=True, name="scanroom-xray-render").start()
                self._queues.append(q)
            for q in self._queues[:n_helpers]:
                q.put((kernel, args, n_blocks, done, errors))
        return done, errors

    def forget(self) -> None:
        """In a forked child: the threads did not survive the fork."""
        self._lock = threading.Lock()
        self._queues = []


_HELPERS = _Helpers()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_HELPERS.forget)


@nb.njit(nogil=True, cache=True)
def _blocks_finished(counter):
    return _fetch_add(counter, 1, 0)  # an atomic read: the finished blocks' stores are visible after it


def _run_blocks(kernel, n_blocks: int, args: tuple) -> None:
    """Run a block-claiming ``kernel(*args, counter)`` here and on (numba's thread count − 1) helper threads."""
    counter = np.zeros(2, dtype=np.int64)  # [next block to claim, blocks finished]
    args = (*args, counter)
    n_helpers = min(nb.get_num_threads(), n_blocks) - 1
    job = _HELPERS.submit(kernel, args, n_blocks, n_helpers) if n_helpers > 0 else None
    kernel(*args)
    if job is not None and _blocks_finished(counter) < n_blocks:  # a helper still holds a block
        done, errors = job
        done.wait()
        if errors:
            raise errors[0]


def _prepare(paths, mu_table, spectrum, mas, scintillator, maps, heel, min_weight, energy_bin_kev=1):
    if paths.ndim != 3:
        raise ValueError("paths must be (n_materials, rows, cols)")
    mu_table = np.asarray(mu_table)
    if mu_table.ndim != 2 or mu_table.shape != (paths.shape[0], spectrum.energies_kev.size):
        raise ValueError(f"mu_table must be (n_materials, n_energies) = "
                         f"({paths.shape[0]}, {spectrum.energies_kev.size}), got {mu_table.shape}")
    if maps.gain.shape != paths.shape[1:]:
        raise ValueError("geometry maps do not match the path-length image")
    if mas < 0:
        raise ValueError("mAs must be non-negative")
    e_all = spectrum.energies_kev
    w_all = spectrum.fluence * mas
    eta_ref = scintillator.absorption_efficiency(e_all)
    score = w_all * e_all * np.maximum(eta_ref, 1e-3)
    keep = score > min_weight * score.max() if score.max() > 0 else np.zeros_like(score, bool)
    e = e_all[keep]
    # source terms: heel (tungsten) and oblique tube filtration, as two extra "materials"
    extra_mu = np.zeros((2, e.size))
    if heel:
        extra_mu[0] = mu_linear_cm("W", e) * heel_depth_cm(spectrum.kvp * (1 - spectrum.ripple / 2))
    filt = mu_linear_cm("Al", e) * spectrum.total_al_mm * 0.1
    if spectrum.cu_mm:
        filt = filt + mu_linear_cm("Cu", e) * spectrum.cu_mm * 0.1
    extra_mu[1] = filt
    cos_lo = float(min(1.0, max(0.05, maps.cos_incidence.min())))
    n_nodes = int(np.ceil((1.0 - cos_lo) / _COS_STEP)) + 1
    cos_nodes = np.linspace(cos_lo, 1.0, n_nodes) if n_nodes > 1 else np.ones(1)
    mu = np.asarray(mu_table, dtype=np.float64)[:, keep]
    w = w_all[keep]
    if energy_bin_kev > 1:
        mu, extra_mu, w, e = _rebin(mu, extra_mu, w, e, int(energy_bin_kev))
    mut = scintillator.mu_thickness(e)
    eta = -np.expm1(-mut[None, :] / cos_nodes[:, None])
    return mu, extra_mu, w, e, eta, cos_nodes


def _rebin(mu, extra_mu, w, e, k):
    """Merge groups of ``k`` adjacent bins: weights summed, μ and E fluence-weighted (for previews)."""
    n = int(np.ceil(e.size / k)) * k
    pad = n - e.size
    wp = np.pad(w, (0, pad)).reshape(-1, k)
    tot = wp.sum(axis=1)
    safe = np.where(tot > 0, tot, 1.0)

    def avg(a):
        a2 = np.pad(a, [(0, 0)] * (a.ndim - 1) + [(0, pad)], mode="edge")
        return (a2.reshape(*a.shape[:-1], -1, k) * wp).sum(axis=-1) / safe

    ok = tot > 0
    return avg(mu)[:, ok], avg(extra_mu)[:, ok], tot[ok], avg(e)[ok]


def _extra_maps(maps: GeometryMaps, heel: bool, filter_obliquity: bool) -> np.ndarray:
    rows, cols = maps.gain.shape
    extra = np.zeros((2, rows, cols), dtype=np.float32)
    if heel:
        extra[0] = np.where(np.isfinite(maps.heel_escape_excess), maps.heel_escape_excess, _BEHIND_ANODE)
    if filter_obliquity:
        extra[1] = maps.filter_oblique_excess
    return extra


def render_primary(
    paths: np.ndarray,
    mu_table: np.ndarray,
    spectrum: Spectrum,
    geometry: FlatPanelGeometry | None,
    mas: float,
    *,
    scintillator: Scintillator | None = None,
    maps: GeometryMaps | None = None,
    heel: bool = True,
    filter_obliquity: bool = True,
    field_mask: np.ndarray | None = None,
    min_weight: float = 1e-7,
    energy_bin_kev: int = 1,
) -> PrimaryImage:
    """Primary image for one exposure from a path-length stack.

    Parameters
    ----------
    paths : (n_materials, rows, cols) path lengths in cm (:func:`raycast.path_lengths`).
    mu_table : (n_materials, n_energies) linear attenuation (1/cm) at ``spectrum.energies_kev``.
    spectrum : tube spectrum per mAs at 1 m.  geometry : the projection geometry (or pass ``maps``).
    mas : tube current–time product.
    scintillator : detector converter (default 0.6 mm CsI, 75 % packing).
    maps : precomputed :func:`geometry_maps` (reuse across re-renders).
    heel, filter_obliquity : include the off-axis source terms.
    field_mask : optional (rows, cols) bool collimated field; pixels outside get no primary.
    min_weight : energy bins whose Φ·E·η is below this fraction of the maximum are skipped.
    energy_bin_kev : merge this many 1 keV bins (fluence-weighted μ) for faster previews; 1 = exact.

    Notes
    -----
    Beer–Lambert per 1 keV bin with μ at the bin centre, in float32: per pixel only the non-zero path lengths
    (and the heel / oblique-filter terms) enter, pixels go in pairs, and the energy loop is 16 lanes wide with
    e^(−x) evaluated to 2e−7; detector rows are shared out in blocks among the calling thread and numba's
    thread count − 1 helper threads. Incident photons agree with :func:`render_primary_numpy` to ~4e−7, the
    absorbed sums to < 1e−4 (nearest of the finely spaced detector-obliquity nodes).
    """
    scint = scintillator or Scintillator()
    if maps is None:
        if geometry is None:
            raise ValueError("pass geometry or maps")
        maps = geometry_maps(geometry, spectrum.anode_angle_deg)
    elif heel and abs(maps.anode_angle_deg - spectrum.anode_angle_deg) > 1e-9:
        raise ValueError("geometry maps were made for another anode angle")
    mu, extra_mu, w, e, eta, cos_nodes = _prepare(paths, mu_table, spectrum, mas, scint, maps, heel, min_weight,
                                                  energy_bin_kev)
    rows, cols = paths.shape[1:]
    if field_mask is not None and np.shape(field_mask) != (rows, cols):
        raise ValueError("field_mask does not match the path-length image")
    # weights are scaled to O(1) for float32 sums; the scale goes back in the gain
    scale = float(w.max()) if w.size and w.max() > 0 else 1.0
    n_mat = paths.shape[0]
    field = np.ones((1, 1), dtype=np.bool_) if field_mask is None else np.asarray(field_mask, dtype=np.bool_)

    def f32(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(a, dtype=np.float32)

    head = (f32(paths), f32(maps.heel_escape_excess), f32(maps.filter_oblique_excess), bool(heel),
            bool(filter_obliquity))
    tail = (np.asarray(cos_nodes, dtype=np.float64), f32(maps.cos_incidence), f32(maps.gain), scale, field,
            field_mask is not None)
    w_eta = w[None, :] * eta / scale  # Φ·η per cos node
    out = np.empty((4, rows, cols), dtype=np.float32)
    for e0 in range(0, max(e.size, 1), _EROW):  # the sums are additive over energy: passes of ≤ _EROW bins
        sl = slice(e0, e0 + _EROW)
        m = e[sl].size
        # materials, heel, filtration and a zero row, padded to whole vectors
        mu_all = np.zeros((n_mat + 3, m + (-m) % _VEC), dtype=np.float32)
        mu_all[:n_mat, :m] = mu[:, sl] * -_LOG2E  # the kernel sums −μ·L·log2 e and takes 2^(that)
        mu_all[n_mat:n_mat + 2, :m] = extra_mu[:, sl] * -_LOG2E
        wk = np.zeros((cos_nodes.size, 4, _EROW), dtype=np.float32)  # Φ, Φ·η, Φ·η·E, Φ·η·E²
        wk[:, 0, :m] = w[sl] / scale
        wk[:, 1, :m] = w_eta[:, sl]
        wk[:, 2, :m] = w_eta[:, sl] * e[sl]
        wk[:, 3, :m] = w_eta[:, sl] * (e[sl] * e[sl])
        part = out if e0 == 0 else np.empty_like(out)
        _run_blocks(_render_kernel, -(-rows // _RBLOCK), (*head, mu_all, wk, m, *tail, part))
        if e0:
            out += part
    return PrimaryImage(out[0], out[1], out[2], out[3])


def render_primary_numpy(
    paths: np.ndarray,
    mu_table: np.ndarray,
    spectrum: Spectrum,
    maps: GeometryMaps,
    mas: float,
    *,
    scintillator: Scintillator | None = None,
    heel: bool = True,
    filter_obliquity: bool = True,
    min_weight: float = 1e-7,
) -> PrimaryImage:
    """Plain-numpy reference of :func:`render_primary` (same model, exact detector obliquity); slow."""
    scint = scintillator or Scintillator()
    mu, extra_mu, w, e, _, _ = _prepare(paths, mu_table, spectrum, mas, scint, maps, heel, min_weight)
    extra = _extra_maps(maps, heel, filter_obliquity).astype(np.float64)
    rows, cols = paths.shape[1:]
    acc = np.zeros((4, rows, cols))
    mut = scint.mu_thickness(e)
    p64 = paths.astype(np.float64)
    for k in range(e.size):
        line = np.tensordot(mu[:, k], p64, axes=1) + np.tensordot(extra_mu[:, k], extra, axes=1)
        a = w[k] * np.exp(-line)
        b = a * -np.expm1(-mut[k] / maps.cos_incidence)
        acc[0] += a
        acc[1] += b
        acc[2] += b * e[k]
        acc[3] += b * e[k] ** 2
    acc *= maps.gain[None]
    acc = acc.astype(np.float32)
    return PrimaryImage(acc[0], acc[1], acc[2], acc[3])
