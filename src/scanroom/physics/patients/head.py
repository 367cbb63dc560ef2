"""Head: brain from nilearn's bundled MNI ICBM152 2009 grey/white-matter maps, skull and scalp derived.

Why MNI152: real gyral anatomy, offline and bundled with nilearn (Fonov et al., NeuroImage 2011;54:313).
The template is skull-stripped, so CSF is derived as brain mask minus GM and WM, ventricles as the
CSF of the central region, and CSF rim, skull (inner table, diploe, outer table) and scalp as shells at
fixed distances outside the brain mask (adult skull ~6-7 mm, scalp ~5-6 mm). The template is scaled
isotropically so that GM + WM mass equals the target brain mass (ICRP 89, Table 2.8).
The 2 mm template is loaded once per process; resampling to any grid is separable linear interpolation.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .grid import Canvas

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


def _resample(arr: np.ndarray, ix: tuple, iy: tuple, iz: tuple, fill: float) -> np.ndarray:
    """Separable trilinear sampling of arr (x, y, z) at the index/weight triples -> (z, y, x) array."""
    a = arr[ix[0]] * (1 - ix[1])[:, None, None] + arr[ix[0] + 1] * ix[1][:, None, None]
    a = a[:, iy[0]] * (1 - iy[1])[None, :, None] + a[:, iy[0] + 1] * iy[1][None, :, None]
    a = a[:, :, iz[0]] * (1 - iz[1])[None, None, :] + a[:, :, iz[0] + 1] * iz[1][None, None, :]
    a[ix[2], :, :] = fill
    a[:, iy[2], :] = fill
    a[:, :, iz[2]] = fill
    return np.ascontiguousarray(a.transpose(2, 1, 0))


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
    # LPS -> RAS (MNI): x_ras = -(x - cx)/s, y_ras = -(y - cy)/s, z_ras = (z - cz)/s
    nx, ny, nz = m["gm"].shape
    ix = _axis_weights(-(X - cx) / scale, float(org[0]), step, nx)
    iy = _axis_weights(-(Y - cy) / scale, float(org[1]), step, ny)
    iz = _axis_weights((Z - cz) / scale, float(org[2]), step, nz)
    dist = _resample(m["dist"], ix, iy, iz, 1e3) * scale
    sub = cv.labels[sl]
    t = shell_scale
    layers = [
        (16.0 * t, "scalp"),
        (14.0 * t, "scalp-fat"),
        (10.0 * t, "skull-cortical"),
        (8.0 * t, "skull-cancellous"),
        (4.5 * t, "skull-cortical"),
        (2.5 * t, "csf"),
    ]
    for d, name in layers:
        sub[dist <= d] = cv.label(name)
    bm = _resample(m["bm"], ix, iy, iz, 0.0)
    brain = bm > 0.5
    gm = _resample(m["gm"], ix, iy, iz, 0.0)
    wm = _resample(m["wm"], ix, iy, iz, 0.0)
    lab = np.full(sub.shape, cv.label("csf"), dtype=np.uint8)
    lab[(gm >= 0.3) & (gm >= wm)] = cv.label("grey-matter")
    lab[(wm >= 0.3) & (wm > gm)] = cv.label("white-matter")
    # ventricles: CSF in the central region (MNI |x| < 30, -45 < y < 25, -5 < z < 35 mm)
    xr = (-(X - cx) / scale)[None, None, :]
    yr = (-(Y - cy) / scale)[None, :, None]
    zr = ((Z - cz) / scale)[:, None, None]
    central = (np.abs(xr) < 30) & (yr > -45) & (yr < 25) & (zr > -5) & (zr < 35)
    lab[(lab == cv.label("csf")) & central] = cv.label("ventricles")
    sub[brain] = lab[brain]
