"""Voxel grid and shape painters: analytic shapes rasterised only inside their bounding box.

Why: a 1 mm chest is ~40 M voxels; evaluating every organ over the whole grid would take seconds.
Each painter evaluates separable 1-D coordinate vectors broadcast over the shape's bounding box only,
and tubes (ribs, vessels, bowel, long bones) are rasterised from centreline samples with a ball stencil.
All coordinates are LPS millimetres (x left, y posterior, z superior); arrays are (z, y, x).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _kernels as _k

Mask = np.ndarray
BBox = tuple[float, float, float, float, float, float]  # xmin, xmax, ymin, ymax, zmin, zmax (mm)


@dataclass
class Canvas:
    """A label volume under construction plus the structure table (name -> label, material)."""

    shape: tuple[int, int, int]
    voxel_mm: tuple[float, float, float]  # (dz, dy, dx)
    origin_mm: tuple[float, float, float]  # LPS (x, y, z) of voxel (0, 0, 0)
    labels: np.ndarray = field(init=False)
    names: dict[int, str] = field(default_factory=dict)
    materials: dict[int, str] = field(default_factory=dict)
    _by_name: dict[str, int] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)  # geometry facts for lesion placement

    def __post_init__(self) -> None:
        self.labels = np.zeros(self.shape, dtype=np.uint8)
        nz, ny, nx = self.shape
        dz, dy, dx = self.voxel_mm
        ox, oy, oz = self.origin_mm
        self.x = (ox + dx * np.arange(nx)).astype(np.float32)
        self.y = (oy + dy * np.arange(ny)).astype(np.float32)
        self.z = (oz + dz * np.arange(nz)).astype(np.float32)

    # ----------------------------------------------------------------- structure table
    def define(self, name: str, material: str, label: int | None = None) -> int:
        """Register a structure (idempotent); returns its label value."""
        if name in self._by_name:
            return self._by_name[name]
        if label is None:
            label = max([0, *self.names]) + 1
        if label > 255 or label in self.names:
            raise ValueError(f"label {label} for {name!r} unavailable")
        self.names[label] = name
        self.materials[label] = material
        self._by_name[name] = label
        return label

    def label(self, name: str) -> int:
        return self._by_name[name]

    def has(self, name: str) -> bool:
        return name in self._by_name

    # ----------------------------------------------------------------- index helpers
    def index_range(self, bbox: BBox) -> tuple[slice, slice, slice] | None:
        """Voxel slices (z, y, x) covering bbox, or None if it misses the grid."""
        out = []
        for lo, hi, coord in ((bbox[4], bbox[5], self.z), (bbox[2], bbox[3], self.y), (bbox[0], bbox[1], self.x)):
            step = float(coord[1] - coord[0]) if len(coord) > 1 else 1.0
            i0 = int(np.floor((lo - coord[0]) / step))
            i1 = int(np.ceil((hi - coord[0]) / step)) + 1
            i0, i1 = max(i0, 0), min(i1, len(coord))
            if i1 <= i0:
                return None
            out.append(slice(i0, i1))
        return out[0], out[1], out[2]

    def coords(self, sl: tuple[slice, slice, slice]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Broadcastable (Z, Y, X) coordinate vectors for a sub-box."""
        return (self.z[sl[0]][:, None, None], self.y[sl[1]][None, :, None], self.x[sl[2]][None, None, :])

    # ----------------------------------------------------------------- painting
    def allowed(self, inside: Iterable[str] | None = None, outside: Iterable[str] | None = None) -> np.ndarray:
        """Lookup table (256 bools) of the labels a restricted paint may overwrite."""
        if inside is not None:
            lut = np.zeros(256, dtype=bool)
            lut[[self.label(n) for n in inside if self.has(n)]] = True
        else:
            lut = np.ones(256, dtype=bool)
        if outside is not None:
            ids = [self.label(n) for n in outside if self.has(n)]
            if ids:
                lut[ids] = False
        return lut

    def paint(
        self,
        name: str,
        fn: Callable[[np.ndarray, np.ndarray, np.ndarray], Mask],
        bbox: BBox,
        *,
        inside: Iterable[str] | None = None,
        outside: Iterable[str] | None = None,
    ) -> None:
        """Set voxels where ``fn(Z, Y, X)`` is true (within bbox) to the structure's label.

        ``inside``/``outside`` restrict painting to voxels currently holding (or not holding) given
        structures, e.g. lungs only inside the thoracic cavity.
        """
        sl = self.index_range(bbox)
        if sl is None:
            return
        Z, Y, X = self.coords(sl)
        shape = (sl[0].stop - sl[0].start, sl[1].stop - sl[1].start, sl[2].stop - sl[2].start)
        m = np.ascontiguousarray(np.broadcast_to(fn(Z, Y, X), shape), dtype=bool)
        _k.paint_mask(
            self.labels, sl[0].start, sl[1].start, sl[2].start, m, self.allowed(inside, outside), self.label(name)
        )

    def paint_rows(
        self,
        name: str,
        half_fn: Callable[[np.ndarray, np.ndarray], np.ndarray],
        bbox: BBox,
        *,
        inside: Iterable[str] | None = None,
        outside: Iterable[str] | None = None,
    ) -> None:
        """Paint a shape symmetric about x = 0 given per row: voxels with ``|X| <= half_fn(Z, Y)`` (float32
        half-widths of shape (nz, ny, 1); negative = empty row). Each row is one contiguous span."""
        sl = self.index_range(bbox)
        if sl is None:
            return
        Z, Y, _ = self.coords(sl)
        shape = (sl[0].stop - sl[0].start, sl[1].stop - sl[1].start)
        half = np.ascontiguousarray(np.broadcast_to(half_fn(Z, Y)[..., 0], shape), dtype=np.float32)
        _k.paint_rows(
            self.labels,
            sl[0].start,
            sl[1].start,
            sl[2].start,
            half,
            self.x[sl[2]],
            self.allowed(inside, outside),
            self.label(name),
            inside is None and outside is None,
        )

    def ellipsoid(self, name: str, c: Sequence[float], r: Sequence[float], **kw: Any) -> None:
        """Axis-aligned ellipsoid, centre c=(x,y,z), semi-axes r=(a,b,c) mm."""
        cx, cy, cz = c
        a, b, cc = r

        def fn(Z: np.ndarray, Y: np.ndarray, X: np.ndarray) -> Mask:
            return ((X - cx) / a) ** 2 + ((Y - cy) / b) ** 2 + ((Z - cz) / cc) ** 2 <= 1.0

        self.paint(name, fn, (cx - a, cx + a, cy - b, cy + b, cz - cc, cz + cc), **kw)  # type: ignore[arg-type]

    def rotated_ellipsoid(
        self,
        name: str,
        c: Sequence[float],
        r: Sequence[float],
        rot: np.ndarray,
        *,
        inside: Iterable[str] | None = None,
        outside: Iterable[str] | None = None,
    ) -> None:
        """Ellipsoid with body axes given by the rows of rotation matrix ``rot`` (x, y, z order)."""
        cx, cy, cz = c
        # exact axis-aligned half-extents of the rotated ellipsoid (+0.5 mm for rounding)
        ext = np.sqrt(((np.asarray(rot, dtype=np.float64) * np.asarray(r, dtype=np.float64)[:, None]) ** 2).sum(0))
        ex, ey, ez = (float(v) + 0.5 for v in ext)
        sl = self.index_range((cx - ex, cx + ex, cy - ey, cy + ey, cz - ez, cz + ez))
        if sl is None:
            return
        _k.paint_rotated_ellipsoid(
            self.labels,
            sl[0].start,
            sl[1].start,
            sl[2].start,
            self.z[sl[0]],
            self.y[sl[1]],
            self.x[sl[2]],
            np.array([cx, cy, cz], dtype=np.float32),
            np.ascontiguousarray(rot, dtype=np.float64),
            np.asarray(r, dtype=np.float64),
            self.allowed(inside, outside),
            self.label(name),
        )

    def elliptic_cylinder(
        self, name: str, c: tuple[float, float], r: tuple[float, float], z0: float, z1: float, **kw: Any
    ) -> None:
        """Elliptic cylinder along z between z0 and z1."""
        cx, cy = c
        a, b = r

        def fn(Z: np.ndarray, Y: np.ndarray, X: np.ndarray) -> Mask:
            return (((X - cx) / a) ** 2 + ((Y - cy) / b) ** 2 <= 1.0) & (z0 <= Z) & (z1 >= Z)

        self.paint(name, fn, (cx - a, cx + a, cy - b, cy + b, z0, z1), **kw)  # type: ignore[arg-type]

    def _capsules(
        self, p0: np.ndarray, p1: np.ndarray, r0: float, r1: float, layers: list[tuple[int, float, np.ndarray]]
    ) -> None:
        """Cone frustum p0 (radius r0) -> p1 (radius r1) with spherical caps; ``layers`` = (label, inset,
        allowed) outermost first, or a single layer with inset < 0 for the plain squared-distance test."""
        r = max(r0, r1)
        lo, hi = np.minimum(p0, p1) - r, np.maximum(p0, p1) + r
        sl = self.index_range((lo[0], hi[0], lo[1], hi[1], lo[2], hi[2]))
        if sl is None:
            return
        d = p1 - p0
        l2 = float(d @ d) or 1e-9
        _k.paint_capsules(
            self.labels,
            sl[0].start,
            sl[1].start,
            sl[2].start,
            self.z[sl[0]],
            self.y[sl[1]],
            self.x[sl[2]],
            p0.astype(np.float32),
            d.astype(np.float32),
            np.float32(l2),
            np.float32(r0),
            np.float32(r1 - r0),
            np.array([ins for _, ins, _ in layers], dtype=np.float32),
            np.stack([a for _, _, a in layers]),
            np.array([lab for lab, _, _ in layers], dtype=np.uint8),
        )

    def capsule(
        self,
        name: str,
        p0: np.ndarray,
        p1: np.ndarray,
        r0: float,
        r1: float,
        *,
        inside: Iterable[str] | None = None,
        outside: Iterable[str] | None = None,
    ) -> None:
        """Cone frustum with spherical caps from p0 (radius r0) to p1 (radius r1), points (x, y, z) mm."""
        p0, p1 = np.asarray(p0, dtype=np.float64), np.asarray(p1, dtype=np.float64)
        self._capsules(p0, p1, r0, r1, [(self.label(name), -1.0, self.allowed(inside, outside))])

    def layered_tube(self, layers: list[tuple[str, float, dict]], points: np.ndarray, radius: np.ndarray) -> None:
        """Concentric layers (name, inset mm, paint kwargs), outermost first, along a thick polyline.

        One distance evaluation per segment serves all layers (limbs: skin, fat, muscle).
        """
        pts = np.asarray(points, dtype=np.float64)
        rad = np.broadcast_to(np.asarray(radius, dtype=np.float64), (len(pts),))
        spec = [(self.label(n), float(ins), self.allowed(kw.get("inside"), kw.get("outside"))) for n, ins, kw in layers]
        for k in range(len(pts) - 1):
            self._capsules(pts[k], pts[k + 1], float(rad[k]), float(rad[k + 1]), spec)

    def loft(
        self,
        name: str,
        origin: np.ndarray,
        axes: np.ndarray,
        w: np.ndarray,
        a: np.ndarray,
        b: np.ndarray,
        cu: np.ndarray | float = 0.0,
        cv: np.ndarray | float = 0.0,
        *,
        power: float = 2.0,
        inset: float = 0.0,
        inside: Iterable[str] | None = None,
        outside: Iterable[str] | None = None,
    ) -> None:
        """Lofted elliptic (``power`` 2) or superelliptic section along a local axis: bones and limbs.

        ``axes`` rows are the local unit vectors (u, v, w) in (x, y, z); a point p has local coordinates
        ``axes @ (p - origin)``. Along the knots ``w`` (ascending, mm) the section centre (cu, cv) and
        semi-axes (a, b) vary linearly. ``inset`` shrinks the semi-axes and both ends by that many mm (the
        cancellous core of a cortical bone, the fat under the skin).
        """
        o = np.asarray(origin, dtype=np.float64)
        ax = np.ascontiguousarray(axes, dtype=np.float64)
        wk = np.asarray(w, dtype=np.float64)
        n = len(wk)
        ak = np.broadcast_to(np.asarray(a, dtype=np.float64), (n,)) - inset
        bk = np.broadcast_to(np.asarray(b, dtype=np.float64), (n,)) - inset
        cuk = np.ascontiguousarray(np.broadcast_to(np.asarray(cu, dtype=np.float64), (n,)))
        cvk = np.ascontiguousarray(np.broadcast_to(np.asarray(cv, dtype=np.float64), (n,)))
        w0, w1 = float(wk[0]) + inset, float(wk[-1]) - inset
        if w1 <= w0:
            return
        # conservative bbox: the section rectangles at the knots (sections are convex combinations of them)
        corners = []
        for su in (-1.0, 1.0):
            for sv in (-1.0, 1.0):
                loc = np.stack([cuk + su * np.maximum(ak, 0), cvk + sv * np.maximum(bk, 0), wk], axis=1)
                corners.append(o + loc @ ax)
        c = np.concatenate(corners)
        lo, hi = c.min(0), c.max(0)
        sl = self.index_range((lo[0], hi[0], lo[1], hi[1], lo[2], hi[2]))
        if sl is None:
            return
        _k.paint_loft(
            self.labels,
            sl[0].start,
            sl[1].start,
            sl[2].start,
            self.z[sl[0]],
            self.y[sl[1]],
            self.x[sl[2]],
            o,
            ax,
            np.ascontiguousarray(wk),
            cuk,
            cvk,
            np.ascontiguousarray(ak),
            np.ascontiguousarray(bk),
            float(power),
            w0,
            w1,
            self.allowed(inside, outside),
            self.label(name),
        )

    def box(self, name: str, lo: tuple[float, float, float], hi: tuple[float, float, float], **kw: Any) -> None:
        def fn(Z: np.ndarray, Y: np.ndarray, X: np.ndarray) -> Mask:
            # voxel centres in the half-open box [lo, hi)
            return (((lo[0] <= X) & (hi[0] > X)) & ((lo[1] <= Y) & (hi[1] > Y))) & ((lo[2] <= Z) & (hi[2] > Z))

        self.paint(name, fn, (lo[0], hi[0], lo[1], hi[1], lo[2], hi[2]), **kw)  # type: ignore[arg-type]

    def tube(
        self,
        name: str,
        points: np.ndarray,
        radius: float | np.ndarray,
        *,
        inside: Iterable[str] | None = None,
        outside: Iterable[str] | None = None,
    ) -> None:
        """Union of balls of ``radius`` along a polyline ``points`` (N, 3) in (x, y, z) mm.

        The polyline is resampled at <= half the smallest voxel; samples are grouped by radius quantised
        to 0.25 voxel and each group uses its largest radius. Thick tubes (radius > 8 voxels) are painted
        as exact cone frustums per segment instead (cheaper than balls).
        """
        pts = np.asarray(points, dtype=np.float64)
        rad = np.broadcast_to(np.asarray(radius, dtype=np.float64), (len(pts),))
        if len(pts) >= 2 and float(rad.max()) > 8.0 * min(self.voxel_mm):
            lay = [(self.label(name), -1.0, self.allowed(inside, outside))]
            for k in range(len(pts) - 1):
                self._capsules(pts[k], pts[k + 1], float(rad[k]), float(rad[k + 1]), lay)
            return
        pts, rad = _resample(pts, rad, max(0.5 * min(self.voxel_mm), 0.3 * float(rad.min())))
        lo = np.array([self.x[0], self.y[0], self.z[0]]) - rad.max()
        hi = np.array([self.x[-1], self.y[-1], self.z[-1]]) + rad.max()
        near = np.all((pts >= lo) & (pts <= hi), axis=1)
        pts, rad = pts[near], rad[near]
        if len(pts) == 0:
            return
        dz, dy, dx = self.voxel_mm
        ox, oy, oz = self.origin_mm
        # group samples by radius quantised to 0.25 voxel; each group is painted with its largest radius
        q = np.round(rad / (0.25 * min(self.voxel_mm))).astype(np.int64)
        uq, inv = np.unique(q, return_inverse=True)
        gmax = np.full(len(uq), -np.inf)
        np.maximum.at(gmax, inv, rad)
        r = gmax[inv]
        keep = r > 0
        if not keep.any():
            return
        pts, r = pts[keep], r[keep]
        ci = np.round((pts[:, 0] - ox) / dx).astype(np.int64)
        cj = np.round((pts[:, 1] - oy) / dy).astype(np.int64)
        ck = np.round((pts[:, 2] - oz) / dz).astype(np.int64)
        fx = ((pts[:, 0] - ox) / dx - ci).astype(np.float32)
        fy = ((pts[:, 1] - oy) / dy - cj).astype(np.float32)
        fz = ((pts[:, 2] - oz) / dz - ck).astype(np.float32)
        _k.paint_balls(
            self.labels,
            ci,
            cj,
            ck,
            fx,
            fy,
            fz,
            r * r,
            np.ceil(r / dx).astype(np.int64),
            np.ceil(r / dy).astype(np.int64),
            np.ceil(r / dz).astype(np.int64),
            float(dx),
            float(dy),
            float(dz),
            self.allowed(inside, outside),
            self.label(name),
        )


def _resample(pts: np.ndarray, rad: np.ndarray, step: float) -> tuple[np.ndarray, np.ndarray]:
    """Resample a polyline (and per-point radii) so consecutive samples are <= step apart."""
    if len(pts) < 2:
        return pts, rad
    seg = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    n = max(int(np.ceil(s[-1] / step)) + 1, 2)
    t = np.linspace(0.0, s[-1], n)
    out = np.stack([np.interp(t, s, pts[:, k]) for k in range(3)], axis=1)
    return out, np.interp(t, s, rad)


def rotation_matrix(rx_deg: float, ry_deg: float, rz_deg: float) -> np.ndarray:
    """Rotation about x, then y, then z (degrees), acting on (x, y, z) column vectors."""
    ax, ay, az = np.radians([rx_deg, ry_deg, rz_deg])
    rx = np.array([[1, 0, 0], [0, np.cos(ax), -np.sin(ax)], [0, np.sin(ax), np.cos(ax)]])
    ry = np.array([[np.cos(ay), 0, np.sin(ay)], [0, 1, 0], [-np.sin(ay), 0, np.cos(ay)]])
    rz = np.array([[np.cos(az), -np.sin(az), 0], [np.sin(az), np.cos(az), 0], [0, 0, 1]])
    return rz @ ry @ rx


_SHIFT: ContextVar[tuple[float, float, float]] = ContextVar("subvoxel_shift", default=(0.0, 0.0, 0.0))


@contextmanager
def subvoxel_shift(shift_mm: tuple[float, float, float]) -> Iterator[None]:
    """Within the block, :func:`make_canvas` moves every voxel centre by ``shift_mm`` (x, y, z), keeping the
    shape: painting the same model again samples it at sub-voxel offsets (partial-volume supersampling)."""
    token = _SHIFT.set((float(shift_mm[0]), float(shift_mm[1]), float(shift_mm[2])))
    try:
        yield
    finally:
        _SHIFT.reset(token)


def current_shift() -> tuple[float, float, float]:
    return _SHIFT.get()


def make_canvas(bbox: BBox, voxel_mm: float) -> Canvas:
    """A canvas of isotropic voxels covering bbox (x0, x1, y0, y1, z0, z1) mm."""
    x0, x1, y0, y1, z0, z1 = bbox
    n = [max(int(round((hi - lo) / voxel_mm)), 1) for lo, hi in ((z0, z1), (y0, y1), (x0, x1))]
    sx, sy, sz = _SHIFT.get()
    origin = (x0 + voxel_mm / 2, y0 + voxel_mm / 2, z0 + voxel_mm / 2)
    if sx or sy or sz:
        origin = (origin[0] + sx, origin[1] + sy, origin[2] + sz)
    return Canvas(shape=(n[0], n[1], n[2]), voxel_mm=(voxel_mm,) * 3, origin_mm=origin)
