"""Three-view preview of a phantom: axial, coronal and sagittal slices side by side, lesions outlined.

Grey levels come from each label's CT number at 70 keV (a fixed piecewise window that shows lung,
fat, soft tissue and bone at once). Slices pass through the first lesion's centre when there is one,
else through the volume centre. Display conventions: axial seen from the feet (patient right on the
image left, anterior up); coronal seen from the front; sagittal with anterior on the left; head up.
"""

from __future__ import annotations

import numpy as np

from .materials import ct_number_hu
from .phantom import Phantom

__all__ = ["three_view", "LESION_COLOURS"]

LESION_COLOURS = np.array(
    [[255, 60, 60], [60, 200, 255], [255, 200, 0], [120, 255, 90], [255, 90, 255], [255, 140, 0]], dtype=np.uint8
)

# HU -> grey: piecewise linear so lung, fat, soft tissue and bone are all distinguishable
_HU_KNOTS = np.array([-1000.0, -700.0, -150.0, -50.0, 120.0, 400.0, 2000.0])
_GREY_KNOTS = np.array([0.0, 35.0, 70.0, 100.0, 175.0, 215.0, 255.0])


def _grey_lut(ph: Phantom) -> np.ndarray:
    lut = np.zeros(256, dtype=np.uint8)
    for lab, mat in ph.label_materials.items():
        hu = ct_number_hu(mat, 70.0)
        lut[lab] = np.uint8(round(float(np.interp(hu, _HU_KNOTS, _GREY_KNOTS))))
    return lut


def _outline(m: np.ndarray) -> np.ndarray:
    inner = m.copy()
    inner[1:, :] &= m[:-1, :]
    inner[:-1, :] &= m[1:, :]
    inner[:, 1:] &= m[:, :-1]
    inner[:, :-1] &= m[:, 1:]
    edge = m & ~inner
    return edge if edge.any() else m


def _resample_rows(img: np.ndarray, row_mm: float, col_mm: float) -> np.ndarray:
    """Nearest-neighbour stretch so pixels are square (anisotropic voxels)."""
    if abs(row_mm - col_mm) < 1e-6:
        return img
    n = max(int(round(img.shape[0] * row_mm / col_mm)), 1)
    idx = np.minimum((np.arange(n) * col_mm / row_mm).astype(int), img.shape[0] - 1)
    return img[idx]


def three_view(phantom: Phantom, *, gap_px: int = 4) -> np.ndarray:
    """RGB uint8 image (H, W, 3): axial | coronal | sagittal, lesion outlines in colour."""
    lab = phantom.labels
    nz, ny, nx = lab.shape
    dz, dy, dx = phantom.voxel_mm
    if phantom.lesions:
        cx, cy, cz = phantom.lesions[0].center_mm
        ox, oy, oz = phantom.origin_mm
        k = int(np.clip(round((cz - oz) / dz), 0, nz - 1))
        j = int(np.clip(round((cy - oy) / dy), 0, ny - 1))
        i = int(np.clip(round((cx - ox) / dx), 0, nx - 1))
    else:
        k, j, i = nz // 2, ny // 2, nx // 2
    lut = _grey_lut(phantom)
    views = [
        (lab[k], [m.mask[k] for m in phantom.lesions], dy, dx),  # rows y (anterior up), cols x
        (lab[::-1, j, :], [m.mask[::-1, j, :] for m in phantom.lesions], dz, dx),  # rows z (head up)
        (lab[::-1, :, i], [m.mask[::-1, :, i] for m in phantom.lesions], dz, dy),  # rows z, cols y (anterior left)
    ]
    tiles = []
    for sl, masks, rmm, cmm in views:
        rgb = np.repeat(lut[sl][..., None], 3, axis=2)
        for n, m in enumerate(masks):
            if m.any():
                rgb[_outline(m)] = LESION_COLOURS[n % len(LESION_COLOURS)]
        tiles.append(_resample_rows(rgb, rmm, cmm))
    h = max(t.shape[0] for t in tiles)
    w = sum(t.shape[1] for t in tiles) + gap_px * (len(tiles) - 1)
    out = np.zeros((h, w, 3), dtype=np.uint8)
    x0 = 0
    for t in tiles:
        y0 = (h - t.shape[0]) // 2
        out[y0 : y0 + t.shape[0], x0 : x0 + t.shape[1]] = t
        x0 += t.shape[1] + gap_px
    return out
