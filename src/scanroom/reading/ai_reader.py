"""The AI second reader: a classical lung-nodule detector for chest radiographs (education only).

What it does, in the order of a classical chest CAD pipeline (van Ginneken, ter Haar Romeny & Viergever,
IEEE TMI 2001;20:1228-1241):

1. **Resample** the radiograph to ~1 mm pixels (block mean) and smooth lightly (σ = 1.5 mm).
2. **Search region**: a probabilistic lung-field atlas in normalised image coordinates (the mean projected
   lungs of the training cases), kept where the probability is ≥ ``atlas_min``. It is also a feature, so
   candidates at the edge of the usual lung field need more evidence.
3. **Aligned contralateral subtraction**: the image minus its left-right mirror about the best midline, the
   mirror warped block by block (±6 mm) to the image, so ribs, clavicles and breasts largely cancel while a
   nodule on one side stays (Li, Katsuragawa & Doi, Med Phys 2000;27:47-55).
4. **Candidates**: a matched filter — the projected profile of a sphere, √(1 − r²/R²), with a zero-mean
   surround — at R = 4, 5.6, 8 and 11 mm on the subtraction image, divided by the local RMS of that image
   (so a response is "how much it stands out"); local maxima inside the search region, 60 per image.
5. **Features** (13): matched-filter z and its peak over neighbouring radii, the plain image's matched
   response, local clutter, radius, disc-minus-ring contrast over the ring's spread (plain and subtracted),
   radial gradient index and weakest-sector gradient (Kupinski & Giger, Med Phys 1998;25:2176-2182; plain
   and subtracted), brightness, atlas probability.
6. **Classifier**: logistic regression (IRLS with an L2 penalty) on the standardised features, trained on
   candidates labelled by the lesion-localisation rule (inside a finding's acceptance radius = lesion). Its
   output is the candidate's confidence in [0, 1]. Squared terms, interactions and a small gradient-boosted
   tree model were tried on the same banks and did no better on held-out cases.
7. **Marks**: non-maximum suppression, then the ``max_candidates`` most confident.

The fitted parameters live in ``data/ai_reader.json`` with the recipe, seeds and held-out figures;
``scanroom.reading.ai_training.train`` reproduces them. :data:`MODEL_CARD` states what it is and is not.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage, signal

__all__ = ["Candidate", "detect", "MODALITIES", "MODEL_CARD", "MODEL_PATH", "load_model", "propose", "Proposal",
           "reads", "UnsupportedModality"]

MODALITIES = frozenset({"xray"})
"""What the reader was trained and measured on: Scanroom's chest PA radiographs, nothing else."""


class UnsupportedModality(NotImplementedError):
    """Asked to read a modality outside :data:`MODALITIES`: by design it gives no opinion there."""


def reads(modality: str) -> bool:
    """Whether the AI reader gives an opinion on images of ``modality``."""
    return modality in MODALITIES

MODEL_PATH = Path(__file__).with_name("data") / "ai_reader.json"
WORK_MM = 1.0  # working pixel size
RADII_MM = (4.0, 5.6, 8.0, 11.0)  # matched-filter radii (projected nodule radius)
FEATURES = ("match_z", "match_peak", "match_plain", "clutter", "log_radius", "contrast_ratio", "sub_contrast_ratio",
            "rgi", "weakest_sector", "rgi_sub", "weakest_sector_sub", "brightness", "atlas")
MAX_PROPOSALS = 120
OUTPUT_MAX = 4095.0


@dataclass(frozen=True)
class Candidate:
    """One mark of the AI reader: centre (column x, row y) and radius in pixels of the input image."""

    x: float
    y: float
    radius: float
    confidence: float  # in [0, 1]
    frame: int = 0


@dataclass(frozen=True)
class Proposal:
    """A candidate before classification: where, at which scale, and its feature vector."""

    x: float  # input-image column
    y: float  # input-image row
    radius: float  # input-image pixels
    features: np.ndarray


# ------------------------------------------------------------------------------------------------ model

@lru_cache(maxsize=4)
def _load(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        model: dict[str, Any] = json.load(handle)
    return model


def load_model(path: Path | str | None = None) -> dict[str, Any]:
    """The fitted model (weights, standardisation, atlas, operating point, recipe, measured performance)."""
    target = Path(path) if path else MODEL_PATH
    if not target.exists():
        raise FileNotFoundError(f"AI reader model {target} is missing; run scanroom.reading.ai_training.train.")
    return _load(str(target))


def _atlas(model: dict[str, Any]) -> np.ndarray:
    return np.asarray(model["atlas"]["grid"], dtype=np.float64) / float(model["atlas"].get("scale", 1.0))


# ------------------------------------------------------------------------------------------------ pipeline

def _resample(image: np.ndarray, pixel_spacing_mm: tuple[float, float]) -> tuple[np.ndarray, int, float]:
    """Block-mean to about WORK_MM pixels; returns the image, the block factor and the new pixel size."""
    spacing = float(min(pixel_spacing_mm))
    factor = max(1, int(round(WORK_MM / spacing)))
    img = np.asarray(image, dtype=np.float32)
    rows, cols = img.shape[0] // factor * factor, img.shape[1] // factor * factor
    if factor > 1:
        img = img[:rows, :cols].reshape(rows // factor, factor, cols // factor, factor).mean(axis=(1, 3))
    return img, factor, spacing * factor


def atlas_map(model: dict[str, Any], shape: tuple[int, int]) -> np.ndarray:
    """The lung-field atlas resampled onto an image of ``shape`` (normalised coordinates, bilinear)."""
    grid = _atlas(model)
    gr, gc = grid.shape
    rr = (np.arange(shape[0]) + 0.5) / shape[0] * gr - 0.5
    cc = (np.arange(shape[1]) + 0.5) / shape[1] * gc - 0.5
    coords = np.meshgrid(rr, cc, indexing="ij")
    return ndimage.map_coordinates(grid, coords, order=1, mode="nearest")


def contralateral(img: np.ndarray, *, max_shift: int = 40) -> tuple[np.ndarray, int]:
    """The image's left-right mirror about the best-matching midline, and that midline shift (pixels).

    The midline is the mirror shift with the smallest mean-squared difference over the middle three fifths
    of the rows, searched on a 4× coarser image then refined.
    """
    rows, cols = img.shape
    band = img[rows // 5: rows * 4 // 5]

    def cost(b: np.ndarray, shift: int, margin: int) -> float:
        m = np.roll(b[:, ::-1], shift, axis=1)
        c0, c1 = max(shift, 0) + margin, b.shape[1] + min(shift, 0) - margin
        return float(np.mean((b[:, c0:c1] - m[:, c0:c1]) ** 2)) if c1 > c0 else math.inf

    coarse = band[::4, : band.shape[1] // 4 * 4].reshape(-1, band.shape[1] // 4, 4).mean(axis=2)
    best = min(range(-max_shift // 4, max_shift // 4 + 1), key=lambda k: cost(coarse, k, 10)) * 4
    shift = min(range(best - 4, best + 5), key=lambda k: cost(band, k, 40))
    return np.roll(img[:, ::-1], shift, axis=1), shift


def aligned_subtraction(img: np.ndarray, mm: float) -> np.ndarray:
    """Contralateral subtraction with local alignment: the image minus its mirror, the mirror warped block by
    block (±6 mm, ~46 mm blocks, shift field smoothed) so ribs and breasts cancel while a nodule on one side
    stays (Li, Katsuragawa & Doi, Med Phys 2000;27:47-55). The shift search runs on 2 mm pixels."""
    mirror, _ = contralateral(img)
    step = max(1, int(round(2.0 / mm)))
    rows, cols = img.shape[0] // step * step, img.shape[1] // step * step
    a = img[:rows, :cols].reshape(rows // step, step, cols // step, step).mean(axis=(1, 3))
    b = mirror[:rows, :cols].reshape(rows // step, step, cols // step, step).mean(axis=(1, 3))
    reach = max(1, int(round(6.0 / (mm * step))))
    block = int(round(46.0 / (mm * step))) | 1
    best = np.full(a.shape, np.inf)
    shift_y = np.zeros(a.shape)
    shift_x = np.zeros(a.shape)
    for dy in range(-reach, reach + 1):
        for dx in range(-reach, reach + 1):
            moved = np.roll(np.roll(b, dy, axis=0), dx, axis=1)
            err = ndimage.uniform_filter((a - moved) ** 2, block) * (1.0 + 0.02 * (dy * dy + dx * dx))
            better = err < best
            best = np.where(better, err, best)
            shift_y = np.where(better, dy, shift_y)
            shift_x = np.where(better, dx, shift_x)
    shift_y = ndimage.zoom(ndimage.gaussian_filter(shift_y, block / 2), step, order=1) * step
    shift_x = ndimage.zoom(ndimage.gaussian_filter(shift_x, block / 2), step, order=1) * step
    pad_y = np.zeros(img.shape)
    pad_x = np.zeros(img.shape)
    pad_y[: shift_y.shape[0], : shift_y.shape[1]] = shift_y[: img.shape[0], : img.shape[1]]
    pad_x[: shift_x.shape[0], : shift_x.shape[1]] = shift_x[: img.shape[0], : img.shape[1]]
    rr, cc = np.mgrid[: img.shape[0], : img.shape[1]].astype(np.float64)
    warped = ndimage.map_coordinates(mirror, [rr - pad_y, cc - pad_x], order=1, mode="nearest")
    return img - warped


def _sphere_template(radius: float) -> np.ndarray:
    """Zero-mean, unit-norm matched filter: a projected sphere (√(1 − r²/R²)) inside R, a flat ring to 2R."""
    k = int(math.ceil(2 * radius))
    yy, xx = np.mgrid[-k:k + 1, -k:k + 1]
    d = np.hypot(yy, xx)
    t = np.where(d <= radius, np.sqrt(np.clip(1 - (d / radius) ** 2, 0, 1)), 0.0)
    ring = (d > radius) & (d <= 2 * radius)
    t[ring] = -t.sum() / max(int(ring.sum()), 1)
    return (t / math.sqrt(float((t * t).sum()))).astype(np.float32)


@dataclass
class _Maps:
    """Per-image maps the features read."""

    plain: np.ndarray  # lightly smoothed image
    sub: np.ndarray  # aligned contralateral subtraction, large-scale trend removed
    rms: np.ndarray  # local RMS of ``sub`` (its clutter)
    response: np.ndarray  # (radii, rows, cols) matched-filter response on ``sub`` / rms
    raw: np.ndarray  # (radii, rows, cols) matched-filter response on the plain image (trend removed)
    gradients: tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
    atlas: np.ndarray


def _maps(img: np.ndarray, mm: float, model: dict[str, Any]) -> _Maps:
    plain = ndimage.gaussian_filter(img, 1.5 / mm, mode="nearest")
    sub = aligned_subtraction(plain, mm)
    sub = sub - ndimage.gaussian_filter(sub, 15.0 / mm, mode="nearest")
    flat = plain - ndimage.gaussian_filter(plain, 15.0 / mm, mode="nearest")
    window = int(round(41.0 / mm)) | 1
    rms = np.sqrt(np.maximum(ndimage.uniform_filter(sub * sub, window), 1.0))
    radii = [r / mm for r in RADII_MM]
    # the templates are symmetric, so convolution (by FFT) is the correlation
    response = np.stack([signal.fftconvolve(sub, _sphere_template(r), mode="same") for r in radii]) / rms
    raw = np.stack([signal.fftconvolve(flat, _sphere_template(r), mode="same") for r in radii])
    grads = (tuple(np.gradient(plain)), tuple(np.gradient(sub)))
    return _Maps(plain, sub, rms, response, raw, grads, atlas_map(model, img.shape))  # type: ignore[arg-type]


def propose(image: np.ndarray, pixel_spacing_mm: tuple[float, float], model: dict[str, Any] | None = None,
            *, max_proposals: int = MAX_PROPOSALS) -> list[Proposal]:
    """Candidates with their features (steps 1-4 of the module docstring)."""
    model = model or load_model()
    img, factor, mm = _resample(image, pixel_spacing_mm)
    maps = _maps(img.astype(np.float64), mm, model)
    region = (maps.atlas >= float(model["atlas"]["min"])) & ndimage.binary_erosion(img < OUTPUT_MAX - 5,
                                                                                   iterations=3)
    if not region.any():
        return []
    radii = [r / mm for r in RADII_MM]
    best = np.where(region, maps.response.max(axis=0), -np.inf)
    scale_of = maps.response.argmax(axis=0)
    peaks = (best == ndimage.maximum_filter(best, size=int(round(radii[0])) * 2 + 1)) & np.isfinite(best)
    rr, cc = np.nonzero(peaks)
    order = np.argsort(best[rr, cc])[::-1]
    chosen: list[tuple[int, int, int]] = []
    for index in order:
        r, c = int(rr[index]), int(cc[index])
        k = int(scale_of[r, c])
        if any((r - r2) ** 2 + (c - c2) ** 2 < max(radii[k], radii[k2]) ** 2 for r2, c2, k2 in chosen):
            continue
        chosen.append((r, c, k))
        if len(chosen) >= max_proposals:
            break
    out: list[Proposal] = []
    for r, c, k in chosen:
        feats = _features(maps, radii, r, c, k)
        out.append(Proposal(x=(c + 0.5) * factor - 0.5, y=(r + 0.5) * factor - 0.5, radius=radii[k] * factor,
                            features=feats))
    return out


def _radial_gradient(gy: np.ndarray, gx: np.ndarray, r: int, c: int, radius: float) -> tuple[float, float]:
    """Radial gradient index around (r, c): Σ(inward gradient)/Σ|gradient| over 0.3-1.6 radii (Kupinski &
    Giger, Med Phys 1998;25:2176-2182), and the weakest of 8 sectors' mean inward gradient over the mean
    magnitude. A round bright blob scores high on both; a rib (a band) has inward gradient on two sides only."""
    outer = 1.6 * radius + 1
    pad = int(math.ceil(outer)) + 1
    r0, r1 = max(r - pad, 0), min(r + pad + 1, gy.shape[0])
    c0, c1 = max(c - pad, 0), min(c + pad + 1, gy.shape[1])
    yy, xx = np.mgrid[r0:r1, c0:c1]
    dy, dx = yy - r, xx - c
    d = np.hypot(dy, dx)
    ring = (d >= 0.3 * radius) & (d <= outer) & (d > 0)
    if ring.sum() < 8:
        return 0.0, 0.0
    py, px = gy[r0:r1, c0:c1][ring], gx[r0:r1, c0:c1][ring]
    inward = -(py * dy[ring] + px * dx[ring]) / d[ring]
    magnitude = np.hypot(py, px)
    total = float(magnitude.sum()) or 1.0
    sector = ((np.arctan2(dy[ring], dx[ring]) + math.pi) / (2 * math.pi) * 8).astype(int) % 8
    sums = np.bincount(sector, weights=inward, minlength=8)
    counts = np.maximum(np.bincount(sector, minlength=8), 1)
    return float(inward.sum()) / total, float(np.min(sums / counts)) / max(total / len(magnitude), 1e-6)


def _disc_ring(img: np.ndarray, r: int, c: int, radius: float) -> tuple[float, float]:
    """Mean inside the disc minus mean of the ring 1.8-3 radii, and the ring's standard deviation."""
    pad = int(math.ceil(3.0 * radius)) + 1
    r0, r1 = max(r - pad, 0), min(r + pad + 1, img.shape[0])
    c0, c1 = max(c - pad, 0), min(c + pad + 1, img.shape[1])
    yy, xx = np.mgrid[r0:r1, c0:c1]
    d = np.hypot(yy - r, xx - c)
    patch = img[r0:r1, c0:c1]
    disc = d <= radius
    ring = (d >= 1.8 * radius) & (d <= 3.0 * radius)
    inner = float(patch[disc].mean()) if disc.any() else 0.0
    outer = float(patch[ring].mean()) if ring.any() else inner
    spread = float(patch[ring].std()) if ring.sum() > 4 else 1.0
    return inner - outer, max(spread, 1.0)


def _features(maps: _Maps, radii: list[float], r: int, c: int, k: int) -> np.ndarray:
    radius = radii[k]
    resp = maps.response[:, r, c]
    neighbours = [resp[j] for j in (k - 1, k + 1) if 0 <= j < len(resp)]
    contrast, spread = _disc_ring(maps.plain, r, c, radius)
    sub_contrast, sub_spread = _disc_ring(maps.sub, r, c, radius)
    rgi, weakest = _radial_gradient(*maps.gradients[0], r, c, radius)
    rgi_sub, weakest_sub = _radial_gradient(*maps.gradients[1], r, c, radius)
    return np.array([
        float(resp[k]),
        float(resp[k] - max(neighbours)) if neighbours else 0.0,
        float(maps.raw[k, r, c]) / 1000.0,
        float(maps.rms[r, c]) / 100.0,
        math.log(radius),
        contrast / spread,
        sub_contrast / sub_spread,
        rgi,
        weakest,
        rgi_sub,
        weakest_sub,
        float(maps.plain[r, c]) / OUTPUT_MAX,
        float(maps.atlas[r, c]),
    ])


def design(features: np.ndarray, model: dict[str, Any] | None = None, *, mean: np.ndarray | None = None,
           std: np.ndarray | None = None) -> np.ndarray:
    """Standardised features with an intercept column (the classifier's inputs)."""
    if model is not None:
        mean = np.asarray(model["classifier"]["mean"])
        std = np.asarray(model["classifier"]["std"])
    assert mean is not None and std is not None
    z = (np.atleast_2d(features) - mean) / std
    z = np.clip(z, -6.0, 6.0)
    return np.hstack([np.ones((z.shape[0], 1)), z])


def score(proposals: list[Proposal], model: dict[str, Any]) -> np.ndarray:
    """Classifier confidence of each proposal (logistic regression)."""
    if not proposals:
        return np.zeros(0)
    x = design(np.stack([p.features for p in proposals]), model)
    w = np.asarray(model["classifier"]["weights"])
    return 1.0 / (1.0 + np.exp(-(x @ w)))


def detect(image: np.ndarray, pixel_spacing_mm: tuple[float, float], *, modality: str = "xray", frame: int = 0,
           max_candidates: int = 5, model: dict[str, Any] | None = None) -> list[Candidate]:
    """Mark up to ``max_candidates`` likely nodules on a chest radiograph (MONOCHROME2 stored values).

    Raises UnsupportedModality outside :data:`MODALITIES` and ValueError for an image that is not 2-D.
    Confidence is the classifier's probability that the mark is on a lesion; compare it with
    ``MODEL_CARD["operating_point"]`` for a yes/no call.
    """
    if not reads(modality):
        raise UnsupportedModality(f"The AI second reader reads chest radiographs only, not {modality!r}.")
    image = np.asarray(image)
    if image.ndim != 2:
        raise ValueError("The input image must be 2-D (one radiograph frame).")
    if min(image.shape) < 64:
        raise ValueError("The image is too small for the AI reader (at least 64 × 64 pixels).")
    model = model or load_model()
    proposals = propose(image, pixel_spacing_mm, model)
    conf = score(proposals, model)
    order = np.argsort(-conf, kind="stable")
    out: list[Candidate] = []
    for i in order:
        p = proposals[int(i)]
        if any(math.hypot(p.x - q.x, p.y - q.y) < max(p.radius, q.radius) for q in out):
            continue
        out.append(Candidate(x=round(p.x, 2), y=round(p.y, 2), radius=round(p.radius * 1.5, 2),
                             confidence=float(round(conf[int(i)], 4)), frame=frame))
        if len(out) >= max_candidates:
            break
    return out


def _model_card() -> dict[str, Any]:
    card: dict[str, Any] = {
        "name": "Scanroom AI second reader (chest radiograph nodules)",
        "intended_use": "Education only: a second opinion to compare with, on Scanroom's synthetic chest PA "
                        "radiographs. Not a medical device; never for patients.",
        "method": "Lung-field atlas + aligned contralateral subtraction + sphere matched filters (4-11 mm) + "
                  "13 hand-made features + logistic regression (numpy IRLS, L2). No deep learning.",
        "limits": [
            "Trained and tested only on simulated chest PA radiographs of two digital adults (Scanroom's "
            "simulator); its figures say nothing about real radiographs.",
            "Expects a standard-positioned chest PA filling the detector (the lung atlas is in normalised "
            "image coordinates) and MONOCHROME2 values where higher means more attenuating.",
            "Finds round opacities; ground-glass and small nodules behind ribs, heart or diaphragm are often "
            "missed, and rib crossings are its typical false positives.",
        ],
    }
    try:
        model = load_model()
    except (FileNotFoundError, ValueError):
        card["status"] = "model file missing"
        return card
    card["training"] = model.get("recipe", {})
    card["performance"] = model.get("performance", {})
    card["operating_point"] = model.get("operating_point")
    parts = []
    for bank, label in (("held_out", "test"), ("second_test", "second test")):
        perf = card["performance"].get(bank)
        if perf:
            by = perf.get("by_difficulty", {})
            parts.append(f"{label} ({perf['n_cases']} cases): ROC AUC {perf['roc_auc']} (easy "
                         f"{by.get('easy', {}).get('roc_auc')}, moderate {by.get('moderate', {}).get('roc_auc')}, "
                         f"hard {by.get('hard', {}).get('roc_auc')}), lesion sensitivity {perf['lesion_sensitivity']} "
                         f"at {perf['fp_per_image']} false marks per image")
    card["summary"] = "; ".join(parts) + (". Good on conspicuous nodules, near chance on subtle ones." if parts else "")
    return card


MODEL_CARD: dict[str, Any] = _model_card()
