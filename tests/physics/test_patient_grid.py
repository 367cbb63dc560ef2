"""Shape painters: the numba kernels agree voxel for voxel with the plain numpy definitions of each shape."""

from __future__ import annotations

import numpy as np
import pytest

from scanroom.physics.patients import build_patient, head
from scanroom.physics.patients.grid import make_canvas, rotation_matrix


def _canvas(voxel: float = 1.0):  # noqa: ANN202
    cv = make_canvas((-30.0, 30.0, -25.0, 25.0, -20.0, 20.0), voxel)
    for n in ("a", "b", "c", "d"):
        cv.define(n, "water")
    return cv


def _grid(cv):  # noqa: ANN001, ANN202
    return cv.z[:, None, None], cv.y[None, :, None], cv.x[None, None, :]


def test_rotated_ellipsoid_matches_numpy() -> None:
    cv = _canvas(0.7)
    rot = rotation_matrix(10, 25, -40).T
    c, r = (2.3, -1.1, 0.4), (18.0, 9.0, 6.0)
    cv.rotated_ellipsoid("a", c, r, rot)
    Z, Y, X = _grid(cv)
    dx, dy, dz = X - c[0], Y - c[1], Z - c[2]
    acc = sum(((rot[k, 0] * dx + rot[k, 1] * dy + rot[k, 2] * dz) / r[k]) ** 2 for k in range(3))
    want = acc <= 1.0
    assert want.sum() > 1000
    assert np.array_equal(cv.labels == cv.label("a"), want)


def test_capsule_and_layers_match_numpy() -> None:
    cv = _canvas(0.8)
    p0, p1 = np.array([-20.0, -5.0, -12.0]), np.array([15.0, 6.0, 10.0])
    cv.capsule("a", p0, p1, 9.0, 5.0)
    Z, Y, X = _grid(cv)
    d = p1 - p0
    l2 = np.float32(d @ d)
    ex, ey, ez = X - np.float32(p0[0]), Y - np.float32(p0[1]), Z - np.float32(p0[2])
    s = ex * np.float32(d[0]) + ey * np.float32(d[1]) + ez * np.float32(d[2])
    t = np.clip(s / l2, 0.0, 1.0)
    dist2 = ex * ex + ey * ey + ez * ez - 2 * t * s + t * t * l2
    rr = np.float32(9.0) + t * np.float32(-4.0)
    want = dist2 <= rr * rr
    assert np.array_equal(cv.labels == cv.label("a"), want)
    # layered: outer "b", inner "c" 3 mm in, painted only outside "a" / anywhere
    cv2 = _canvas(0.8)
    cv2.box("d", (-30, -25, -20), (0, 25, 20))
    cv2.layered_tube([("b", 0.0, {"outside": ("d",)}), ("c", 3.0, {})], np.stack([p0, p1]), np.array([9.0, 5.0]))
    dist = np.sqrt(np.maximum(dist2, 0.0))
    outer = dist <= np.maximum(rr, 0.3)
    inner = dist <= np.maximum(rr - np.float32(3.0), 0.3)
    left = (X < 0) & np.ones_like(Z, dtype=bool) & np.ones_like(Y, dtype=bool)
    assert np.array_equal(cv2.labels == cv2.label("c"), inner)
    assert np.array_equal(cv2.labels == cv2.label("b"), outer & ~inner & ~left)


def test_tube_is_a_union_of_balls() -> None:
    cv = _canvas(0.5)
    pts = np.array([[-20.0, 0.0, -10.0], [0.0, 8.0, 0.0], [20.0, -5.0, 12.0]])
    cv.box("d", (-30, -25, -20), (30, 0, 20))
    cv.tube("a", pts, 2.6, inside=("d",))
    got = cv.labels == cv.label("a")
    # reference: distance to the polyline <= radius (the balls sit at <= 0.25 mm spacing, so the union
    # differs from the exact tube only in a thin rim)
    Z, Y, X = _grid(cv)
    best = np.full(cv.shape, np.inf, dtype=np.float32)
    for a, b in zip(pts[:-1], pts[1:], strict=True):
        d = b - a
        t = np.clip(((X - a[0]) * d[0] + (Y - a[1]) * d[1] + (Z - a[2]) * d[2]) / (d @ d), 0, 1)
        dd = (X - a[0] - t * d[0]) ** 2 + (Y - a[1] - t * d[1]) ** 2 + (Z - a[2] - t * d[2]) ** 2
        best = np.minimum(best, dd)
    want_core = (best <= 2.3**2) & (Y < 0)
    want_hull = (best <= 2.7**2) & (Y < 0)
    assert got[want_core].all() and not got[~want_hull].any()


def test_envelope_rows_and_head_cache_reproduce() -> None:
    a = build_patient("adult-male", region="head", voxel_mm=3.0)
    n_cached = len(head._HEAD_CACHE._d)
    b = build_patient("adult-male", region="head", voxel_mm=3.0)
    assert len(head._HEAD_CACHE._d) == n_cached  # second build reused the block
    assert np.array_equal(a.labels, b.labels)
    a.labels[:] = 0  # phantoms own their labels: the cached block is not aliased
    c = build_patient("adult-male", region="head", voxel_mm=3.0)
    assert np.array_equal(b.labels, c.labels)
    head._HEAD_CACHE._d.clear()
    d = build_patient("adult-male", region="head", voxel_mm=3.0)
    assert np.array_equal(c.labels, d.labels)


@pytest.mark.parametrize("voxel", [1.3, 2.0])
def test_paint_rows_matches_mask(voxel: float) -> None:
    cv = _canvas(voxel)
    Z, Y, X = _grid(cv)

    def half(Z, Y):  # noqa: ANN001, ANN202
        h = 20.0 - 0.5 * np.abs(Z) - 0.3 * Y
        return np.where(np.abs(Y) < 20, h, -1.0).astype(np.float32) * np.ones_like(Y)

    cv.box("d", (-30, -25, -20), (30, 25, 0))
    cv.paint_rows("a", half, (-30, 30, -25, 25, -20, 20), outside=("d",))
    want = (np.abs(X) <= half(Z, Y)) & (Z >= 0)
    assert np.array_equal(cv.labels == cv.label("a"), want)
