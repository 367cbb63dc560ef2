"""Head: brain from nilearn's bundled MNI ICBM152 2009 grey/white-matter maps, skull and scalp derived.

Why MNI152: real gyral anatomy, offline and bundled with nilearn (Fonov et al., NeuroImage 2011;54:313).
The template is skull-stripped, so CSF is derived as brain mask minus GM and WM, ventricles as the
CSF of the central region, and CSF rim, skull (inner table, diploe, outer table) and scalp as shells at
fixed distances outside the brain mask (adult skull ~6-7 mm, scalp ~5-6 mm). The template is scaled
isotropically so that GM + WM mass equals the target brain mass (ICRP 89, Table 2.8).
The 2 mm template is loaded once per process; resampling to any grid is separable linear interpolation
(one numba pass per voxel), and the resulting head label block is kept in a small in-process cache.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from functools import lru_cache

import numpy as np

from . import _kernels as _k
from .grid import Canvas, current_shift

# RAS mm extents of the 2 mm MNI grid are read from the image affine.


@lru_cache(maxsize=1)
def _mni() -> dict[str, np.ndarray]:
    """GM, WM, brain-mask probability and outside distance (mm) on the padded 2 mm MNI grid (cached)."""
    from nilearn import datasets  # bundled data: no download
    from scipy import ndimage

    gm_img = datasets.load_mni152_gm_template(resolution=2)
    wm = np.asarray(datasets.load_mni152_wm_template(resolution=2).get_fdata(dtype=np.float32))
    gm = np.asarray(gm_img.get_fdata(dtype=np.float32))
    bm = np.asarray(datasets.load_mni152_brain_mask(resolution=2).get_fdata(dtype=np.float32))
    aff = gm_img.affine
    step = float(aff[0, 0])
    pad = 12  # 24 mm: room for CSF rim, skull and scalp below and around the brain
    gm, wm, bm = (np.pad(a, pad) for a in (gm, wm, bm))
    inside = bm > 0.5
    dist = ndimage.distance_transform_edt(~inside, sampling=step).astype(np.float32)
    origin = aff[:3, 3] - pad * step  # RAS of voxel (0,0,0); axes of the nifti are (x, y, z) RAS
    vol_cm3 = float((np.clip(gm, 0, 1) + np.clip(wm, 0, 1))[inside].sum()) * step**3 / 1000.0
    return {
        "gm": gm,
        "wm": wm,
        "bm": bm,
        "dist": dist,
        "origin": origin,
        "step": np.float32(step),
        "brain_cm3": np.float64(vol_cm3),
    }


def brain_scale(brain_mass_g: float, density_g_cm3: float = 1.04) -> float:
    """Isotropic scale of the MNI brain so GM+WM mass matches ``brain_mass_g``."""
    return float((brain_mass_g / density_g_cm3 / float(_mni()["brain_cm3"])) ** (1.0 / 3.0))


def _axis_weights(coords: np.ndarray, origin: float, step: float, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    f = (coords - origin) / step
    i0 = np.clip(np.floor(f).astype(np.int64), 0, n - 2)
    w = np.clip(f - i0, 0.0, 1.0).astype(np.float32)
    out = (f < 0) | (f > n - 1)
    return i0, w, out


def paint_head(cv: Canvas, centre_lps: tuple[float, float, float], scale: float, shell_scale: float) -> None:
    """Paint brain (GM/WM/CSF/ventricles), skull, scalp of the MNI head placed at ``centre_lps``.

    ``centre_lps`` is where MNI (0,0,0) (anterior commissure) lands; ``scale`` scales the brain,
    ``shell_scale`` the CSF rim/skull/scalp thicknesses (children: thinner skull).
    """
    m = _mni()
    step = float(m["step"])
    org = m["origin"]
    reach = 110.0 * scale + 20.0
    cx, cy, cz = centre_lps
    sl = cv.index_range((cx - reach, cx + reach, cy - reach * 1.2, cy + reach * 1.2, cz - 100 * scale - 25, cz + reach))
    if sl is None:
        return
    Z, Y, X = cv.z[sl[0]], cv.y[sl[1]], cv.x[sl[2]]
    t = shell_scale
    layers = [
        (16.0 * t, "scalp"),
        (14.0 * t, "scalp-fat"),
        (10.0 * t, "skull-cortical"),
        (8.0 * t, "skull-cancellous"),
        (4.5 * t, "skull-cortical"),
        (2.5 * t, "csf"),
    ]
    tissue = ("csf", "grey-matter", "white-matter", "ventricles")
    key = (
        cv.z[sl[0]].tobytes(),
        cv.y[sl[1]].tobytes(),
        cv.x[sl[2]].tobytes(),
        (float(cx), float(cy), float(cz), float(scale), float(t)),
        tuple(cv.label(n) for _, n in layers) + tuple(cv.label(n) for n in tissue),
    )
    block = _HEAD_CACHE.get(key)
    if block is None:
        # LPS -> RAS (MNI): x_ras = -(x - cx)/s, y_ras = -(y - cy)/s, z_ras = (z - cz)/s
        nx, ny, nz = m["gm"].shape
        xr, yr, zr = -(X - cx) / scale, -(Y - cy) / scale, (Z - cz) / scale
        ix = _axis_weights(xr, float(org[0]), step, nx)
        iy = _axis_weights(yr, float(org[1]), step, ny)
        iz = _axis_weights(zr, float(org[2]), step, nz)
        block = _k.head_labels(
            m["dist"],
            m["bm"],
            m["gm"],
            m["wm"],
            *ix,
            *iy,
            *iz,
            np.float32(scale),
            np.array([d for d, _ in layers], dtype=np.float32),
            np.array([cv.label(n) for _, n in layers], dtype=np.uint8),
            xr.astype(np.float32),
            yr.astype(np.float32),
            zr.astype(np.float32),
            np.array([cv.label(n) for n in tissue], dtype=np.uint8),
        )
        block.setflags(write=False)
        if current_shift() == (0.0, 0.0, 0.0):  # sub-voxel shifted copies (partial volume) are one-offs
            _HEAD_CACHE.put(key, block)
    sub = cv.labels[sl]
    np.copyto(sub, block, where=block != 0)


class _BlockCache:
    """Small in-process LRU of head label blocks (by canvas grid, placement and scale), bounded in bytes."""

    def __init__(self, max_bytes: int = 256 * 2**20, max_items: int = 8) -> None:
        self.max_bytes, self.max_items = max_bytes, max_items
        self._d: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> np.ndarray | None:
        with self._lock:
            v = self._d.get(key)
            if v is not None:
                self._d.move_to_end(key)
            return v

    def put(self, key: tuple, value: np.ndarray) -> None:
        if value.nbytes > self.max_bytes:
            return
        with self._lock:
            self._d[key] = value
            self._d.move_to_end(key)
            while len(self._d) > self.max_items or sum(v.nbytes for v in self._d.values()) > self.max_bytes:
                self._d.popitem(last=False)


_HEAD_CACHE = _BlockCache()
