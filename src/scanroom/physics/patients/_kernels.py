"""Numba kernels that rasterise shapes into the label volume in place (no full-volume temporaries).

Each kernel evaluates one analytic shape only inside its voxel bounding box and writes ``label`` where
the shape covers a voxel centre and ``allowed[current label]`` is true (the ``inside``/``outside``
restriction of :meth:`Canvas.paint`). The arithmetic mirrors the numpy expressions they replace
operation for operation and in the same precision (float32 or float64, no fused multiply-add), so the
label volumes are bit-identical to the vectorised versions.

Painting one label with a restriction is order-independent (a voxel ends up ``label`` iff it is covered
and its label before the call was allowed), so loops over samples may run in parallel: concurrent writes
store the same byte.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def paint_mask(labels, k0, j0, i0, m, allowed, label):  # noqa: ANN001, ANN201
    """labels[k0 + k, j0 + j, i0 + i] = label where m[k, j, i] and allowed[current]."""
    nz, ny, nx = m.shape
    for k in range(nz):
        for j in range(ny):
            for i in range(nx):
                if m[k, j, i]:
                    v = labels[k0 + k, j0 + j, i0 + i]
                    if allowed[v]:
                        labels[k0 + k, j0 + j, i0 + i] = label


@njit(cache=True, nogil=True)
def paint_balls(labels, ci, cj, ck, fx, fy, fz, r2, kx, ky, kz, dx, dy, dz, allowed, label):  # noqa: ANN001, ANN201
    """Union of balls: sample s covers voxel (ck+oz, cj+oy, ci+ox) if
    ((ox - fx)dx)^2 + ((oy - fy)dy)^2 + ((oz - fz)dz)^2 <= r2[s], |o| <= k (float64, fx.. float32)."""
    nz, ny, nx = labels.shape
    for s in range(ci.shape[0]):
        fxs, fys, fzs = np.float64(fx[s]), np.float64(fy[s]), np.float64(fz[s])
        rr = r2[s]
        for oz in range(-kz[s], kz[s] + 1):
            kk = ck[s] + oz
            if kk < 0 or kk >= nz:
                continue
            tz = (np.float64(oz) - fzs) * dz
            tz2 = tz * tz
            for oy in range(-ky[s], ky[s] + 1):
                jj = cj[s] + oy
                if jj < 0 or jj >= ny:
                    continue
                ty = (np.float64(oy) - fys) * dy
                ty2 = ty * ty
                if ty2 + tz2 > rr:  # every x term is >= 0
                    continue
                for ox in range(-kx[s], kx[s] + 1):
                    ii = ci[s] + ox
                    if ii < 0 or ii >= nx:
                        continue
                    tx = (np.float64(ox) - fxs) * dx
                    if tx * tx + ty2 + tz2 <= rr:
                        v = labels[kk, jj, ii]
                        if allowed[v]:
                            labels[kk, jj, ii] = label


@njit(cache=True, nogil=True)
def _trange(p, d, c, reach, lo, hi):  # noqa: ANN001, ANN202
    """Narrow [lo, hi] to the t where coordinate p + t d lies within ``reach`` of c (float64)."""
    if abs(d) < 1e-12:
        if abs(p - c) > reach:
            return 1.0, 0.0
        return lo, hi
    a = (c - reach - p) / d
    b = (c + reach - p) / d
    if a > b:
        a, b = b, a
    return max(lo, a), min(hi, b)


@njit(cache=True, nogil=True)
def _span(coord, lo, hi):  # noqa: ANN001, ANN202
    """Index range [i0, i1) of the sorted uniform ``coord`` values within [lo, hi] (conservative)."""
    n = coord.shape[0]
    if n == 1:
        return 0, 1
    step = np.float64(coord[1]) - np.float64(coord[0])
    i0 = int(np.floor((lo - np.float64(coord[0])) / step))
    i1 = int(np.ceil((hi - np.float64(coord[0])) / step)) + 1
    return max(i0, 0), min(i1, n)


@njit(cache=True, nogil=True)
def paint_capsules(labels, k0, j0, i0, z, y, x, p0, d, l2, r0, dr, insets, allowed, labs):  # noqa: ANN001, ANN201
    """Cone frustum with spherical caps (float32): distance from the voxel centre to segment p0 + t d
    against the radius r0 + t dr, for concentric layers ``insets`` (outermost first, each with its own
    allowed row and label). ``insets[0] < 0`` selects the squared-distance test of a plain capsule.

    Only voxels whose row can reach the segment are visited: for each (z, y) row the segment parameter
    range within ``reach`` (largest radius + 0.1 mm) of the row bounds the x span."""
    nz, ny = z.shape[0], y.shape[0]
    nl = insets.shape[0]
    plain = insets[0] < 0
    thr0 = np.float32(0.3)
    reach = max(np.float64(r0), np.float64(r0) + np.float64(dr)) + 0.1
    px, py, pz = np.float64(p0[0]), np.float64(p0[1]), np.float64(p0[2])
    qx, qy, qz = np.float64(d[0]), np.float64(d[1]), np.float64(d[2])
    for k in range(nz):
        tz0, tz1 = _trange(pz, qz, np.float64(z[k]), reach, 0.0, 1.0)
        if tz0 > tz1:
            continue
        ez = z[k] - p0[2]
        for j in range(ny):
            t0, t1 = _trange(py, qy, np.float64(y[j]), reach, tz0, tz1)
            if t0 > t1:
                continue
            xa, xb = px + t0 * qx, px + t1 * qx
            ia, ib = _span(x, min(xa, xb) - reach, max(xa, xb) + reach)
            ey = y[j] - p0[1]
            for i in range(ia, ib):
                ex = x[i] - p0[0]
                s = ex * d[0] + ey * d[1] + ez * d[2]
                t = s / l2
                if t < np.float32(0.0):
                    t = np.float32(0.0)
                elif t > np.float32(1.0):
                    t = np.float32(1.0)
                q = ex * ex + ey * ey + ez * ez
                dist2 = q - np.float32(2.0) * t * s + t * t * l2
                rr = r0 + t * dr
                if plain:
                    if dist2 <= rr * rr:
                        v = labels[k0 + k, j0 + j, i0 + i]
                        if allowed[0, v]:
                            labels[k0 + k, j0 + j, i0 + i] = labs[0]
                    continue
                if dist2 < np.float32(0.0):
                    dist2 = np.float32(0.0)
                dist = np.sqrt(dist2)
                for L in range(nl):
                    thr = rr - insets[L]
                    if thr < thr0:
                        thr = thr0
                    if dist <= thr:
                        v = labels[k0 + k, j0 + j, i0 + i]
                        if allowed[L, v]:
                            labels[k0 + k, j0 + j, i0 + i] = labs[L]


@njit(cache=True, nogil=True)
def paint_rotated_ellipsoid(labels, k0, j0, i0, z, y, x, c, rot, r, allowed, label):  # noqa: ANN001, ANN201
    """Ellipsoid with body axes the rows of ``rot``: sum_k ((rot_k . (p - c)) / r_k)^2 <= 1, with p - c in
    float32 and the projections in float64. Each row visits only the x span the quadratic allows
    (widened by 0.1 mm), then applies the exact test."""
    nz, ny = z.shape[0], y.shape[0]
    m = np.zeros((3, 3))
    for a in range(3):
        for b in range(3):
            for q in range(3):
                m[a, b] += rot[q, a] * rot[q, b] / (r[q] * r[q])
    for k in range(nz):
        ez = np.float64(z[k] - c[2])
        for j in range(ny):
            ey = np.float64(y[j] - c[1])
            # m00 ex^2 + 2 bq ex + cq <= 1
            bq = m[0, 1] * ey + m[0, 2] * ez
            cq = m[1, 1] * ey * ey + 2.0 * m[1, 2] * ey * ez + m[2, 2] * ez * ez
            disc = bq * bq - m[0, 0] * (cq - 1.0)
            if disc < -1e-6:
                continue
            sq = np.sqrt(max(disc, 0.0))
            xa = (-bq - sq) / m[0, 0] + np.float64(c[0])
            xb = (-bq + sq) / m[0, 0] + np.float64(c[0])
            ia, ib = _span(x, xa - 0.1, xb + 0.1)
            for i in range(ia, ib):
                ex = np.float64(x[i] - c[0])
                acc = 0.0
                for a in range(3):
                    u = rot[a, 0] * ex + rot[a, 1] * ey + rot[a, 2] * ez
                    t = u / r[a]
                    acc += t * t
                if acc <= 1.0:
                    v = labels[k0 + k, j0 + j, i0 + i]
                    if allowed[v]:
                        labels[k0 + k, j0 + j, i0 + i] = label


@njit(cache=True, nogil=True)
def paint_rows(labels, k0, j0, i0, half, x, allowed, label, free):  # noqa: ANN001, ANN201
    """Rows symmetric about x = 0: voxel (k, j, i) is covered if |x[i]| <= half[k, j] (float32).
    ``free`` (nothing restricted) writes each row span in one slice assignment."""
    nz, ny = half.shape
    for k in range(nz):
        for j in range(ny):
            h = half[k, j]
            if h < np.float32(0.0):
                continue
            ia, ib = _span(x, -np.float64(h) - 0.01, np.float64(h) + 0.01)
            while ia < ib and not abs(x[ia]) <= h:
                ia += 1
            while ib > ia and not abs(x[ib - 1]) <= h:
                ib -= 1
            if ia >= ib:
                continue
            if free:
                labels[k0 + k, j0 + j, i0 + ia : i0 + ib] = label
            else:
                for i in range(ia, ib):
                    v = labels[k0 + k, j0 + j, i0 + i]
                    if allowed[v]:
                        labels[k0 + k, j0 + j, i0 + i] = label


@njit(cache=True, nogil=True, inline="always")
def _lerp3(a, i0, wx, j0, wy, k0, wz):  # noqa: ANN001, ANN202
    """Separable trilinear sample of a (x, y, z) array: along x, then y, then z (float32, numpy's order)."""
    one = np.float32(1.0)
    ux, uy, uz = one - wx, one - wy, one - wz
    c00 = a[i0, j0, k0] * ux + a[i0 + 1, j0, k0] * wx
    c10 = a[i0, j0 + 1, k0] * ux + a[i0 + 1, j0 + 1, k0] * wx
    c01 = a[i0, j0, k0 + 1] * ux + a[i0 + 1, j0, k0 + 1] * wx
    c11 = a[i0, j0 + 1, k0 + 1] * ux + a[i0 + 1, j0 + 1, k0 + 1] * wx
    d0 = c00 * uy + c10 * wy
    d1 = c01 * uy + c11 * wy
    return d0 * uz + d1 * wz


@njit(cache=True, nogil=True)
def head_labels(dist, bm, gm, wm, ix, wx, ox, iy, wy, oy, iz, wz, oz, scale, thr, thr_labs, xr, yr, zr, labs):  # noqa: ANN001, ANN201
    """Label block (z, y, x) of the MNI head, 0 where the head leaves the canvas untouched.

    Per voxel: trilinear samples of the template maps (out-of-grid: dist 1e3, others 0); shells by
    distance outside the brain mask (last threshold met wins); inside the mask (bm > 0.5) grey matter,
    white matter or CSF by the larger tissue probability (>= 0.3), CSF in the central region = ventricles.
    ``labs`` = (csf, grey, white, ventricles)."""
    nz, ny, nx = iz.shape[0], iy.shape[0], ix.shape[0]
    out = np.zeros((nz, ny, nx), dtype=np.uint8)
    p3 = np.float32(0.3)
    half = np.float32(0.5)
    for k in range(nz):
        for j in range(ny):
            for i in range(nx):
                outside = ox[i] or oy[j] or oz[k]
                if outside:
                    d = np.float32(1e3) * scale
                else:
                    d = _lerp3(dist, ix[i], wx[i], iy[j], wy[j], iz[k], wz[k]) * scale
                lab = np.uint8(0)
                for t in range(thr.shape[0]):
                    if d <= thr[t]:
                        lab = thr_labs[t]
                if not outside:
                    b = _lerp3(bm, ix[i], wx[i], iy[j], wy[j], iz[k], wz[k])
                    if b > half:
                        g = _lerp3(gm, ix[i], wx[i], iy[j], wy[j], iz[k], wz[k])
                        w = _lerp3(wm, ix[i], wx[i], iy[j], wy[j], iz[k], wz[k])
                        lab = labs[0]
                        if g >= p3 and g >= w:
                            lab = labs[1]
                        if w >= p3 and w > g:
                            lab = labs[2]
                        central = abs(xr[i]) < 30 and yr[j] > -45 and yr[j] < 25 and zr[k] > -5 and zr[k] < 35
                        if lab == labs[0] and central:
                            lab = labs[3]
                out[k, j, i] = lab
    return out


@njit(cache=True, nogil=True)
def paint_loft(labels, k0, j0, i0, z, y, x, o, ax, wk, cuk, cvk, ak, bk, pw, w0, w1, allowed, label):  # noqa: ANN001, ANN201
    """Lofted (super)elliptic section along a local axis (float64).

    A voxel centre p maps to local (lu, lv, lw) = ax @ (p - o); between the knots ``wk`` the section centre
    (cu, cv) and semi-axes (a, b) are linear in lw; covered if w0 <= lw <= w1 and
    |lu - cu|/a ^ pw + |lv - cv|/b ^ pw <= 1."""
    nz, ny, nx = z.shape[0], y.shape[0], x.shape[0]
    n = wk.shape[0]
    for k in range(nz):
        pz = np.float64(z[k]) - o[2]
        for j in range(ny):
            py = np.float64(y[j]) - o[1]
            for i in range(nx):
                px = np.float64(x[i]) - o[0]
                lw = ax[2, 0] * px + ax[2, 1] * py + ax[2, 2] * pz
                if lw < w0 or lw > w1:
                    continue
                s = 0
                while s < n - 2 and lw > wk[s + 1]:
                    s += 1
                span = wk[s + 1] - wk[s]
                f = (lw - wk[s]) / span if span > 0 else 0.0
                a = ak[s] + f * (ak[s + 1] - ak[s])
                b = bk[s] + f * (bk[s + 1] - bk[s])
                if a <= 0.0 or b <= 0.0:
                    continue
                lu = ax[0, 0] * px + ax[0, 1] * py + ax[0, 2] * pz - (cuk[s] + f * (cuk[s + 1] - cuk[s]))
                lv = ax[1, 0] * px + ax[1, 1] * py + ax[1, 2] * pz - (cvk[s] + f * (cvk[s + 1] - cvk[s]))
                q = (lu / a) ** 2 + (lv / b) ** 2 if pw == 2.0 else abs(lu / a) ** pw + abs(lv / b) ** pw
                if q <= 1.0:
                    v = labels[k0 + k, j0 + j, i0 + i]
                    if allowed[v]:
                        labels[k0 + k, j0 + j, i0 + i] = label


@njit(cache=True, nogil=True)
def edge_voxels(labels):  # noqa: ANN001, ANN201
    """Flat indices of voxels with a different label among their 26 neighbours (inside the volume).

    Separable: a voxel is pure when its 3-run along x is uniform (pass 1), the three such runs along y have
    the same value (pass 2) and likewise along z (pass 3)."""
    nz, ny, nx = labels.shape
    ux = np.zeros((nz, ny, nx), dtype=np.bool_)  # uniform over x-1..x+1
    for k in range(nz):
        for j in range(ny):
            for i in range(nx):
                v = labels[k, j, i]
                ok = True
                if i > 0 and labels[k, j, i - 1] != v:
                    ok = False
                if i < nx - 1 and labels[k, j, i + 1] != v:
                    ok = False
                ux[k, j, i] = ok
    uy = np.zeros((nz, ny, nx), dtype=np.bool_)  # uniform over the 3x3 block in x, y
    for k in range(nz):
        for j in range(ny):
            for i in range(nx):
                if not ux[k, j, i]:
                    continue
                v = labels[k, j, i]
                ok = True
                for jj in (j - 1, j + 1):
                    if 0 <= jj < ny and (not ux[k, jj, i] or labels[k, jj, i] != v):
                        ok = False
                uy[k, j, i] = ok
    out = np.empty(labels.size, dtype=np.int64)
    n = 0
    for k in range(nz):
        for j in range(ny):
            for i in range(nx):
                ok = uy[k, j, i]
                if ok:
                    v = labels[k, j, i]
                    for kk in (k - 1, k + 1):
                        if 0 <= kk < nz and (not uy[kk, j, i] or labels[kk, j, i] != v):
                            ok = False
                if not ok:
                    out[n] = (k * ny + j) * nx + i
                    n += 1
    return out[:n].copy()


@njit(cache=True, nogil=True)
def pv_reduce(samples, kmax):  # noqa: ANN001, ANN201
    """Per row of sub-voxel sample labels: the distinct labels by decreasing count (ties: smaller label first)
    and their fractions, in ``kmax`` columns (the last column absorbs any further labels)."""
    n, m = samples.shape
    labs = np.zeros((n, kmax), dtype=np.uint8)
    frac = np.zeros((n, kmax), dtype=np.float32)
    counts = np.zeros(256, dtype=np.int64)
    for r in range(n):
        for c in range(m):
            counts[samples[r, c]] += 1
        k = 0
        placed = 0
        while placed < m:
            best, best_n = 0, 0
            for c in range(m):  # most frequent remaining label
                v = samples[r, c]
                cn = counts[v]
                if cn > best_n or (cn == best_n and cn > 0 and v < best):
                    best, best_n = v, cn
            if k < kmax:
                labs[r, k] = best
                frac[r, k] = best_n / m
                k += 1
            else:
                frac[r, kmax - 1] += best_n / m
            placed += best_n
            counts[best] = 0
        for c in range(k, kmax):
            labs[r, c] = labs[r, 0]
    return labs, frac
