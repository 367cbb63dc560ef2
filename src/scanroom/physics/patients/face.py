"""Face: soft-tissue profile, facial skeleton (maxilla around the sinuses, zygomas and arches, orbital rims,
nasal bones, hard palate), mandible (body, ramus, condyles), teeth and the pharyngeal airway.

Positions are millimetres relative to the head centre (the MNI origin, anterior commissure) in LPS, for an
adult; ``s`` scales them (brain scale, reduced for a child's smaller face). Proportions follow standard
cephalometric landmarks relative to the anterior commissure: nasion ~90 mm anterior, occlusal plane ~80 mm
and menton ~120 mm below, bizygomatic breadth ~135 mm, bigonial ~100 mm, mandibular body ~30 mm high.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .grid import Canvas

_BRAIN_AND_SKULL = (
    "grey-matter",
    "white-matter",
    "csf",
    "ventricles",
    "skull-cortical",
    "skull-cancellous",
)


def paint_face_soft_tissue(cv: Canvas, hc: np.ndarray, s: float) -> None:
    """Skin, subcutaneous fat and muscle of the face and nose (before the MNI head and the face bones)."""
    axes = np.eye(3)
    # z (down from the head centre), half-width x, half-depth y, centre y
    prof = np.array(
        [
            [-124.0, 16.0, 18.0, -58.0],
            [-114.0, 34.0, 42.0, -37.0],
            [-96.0, 50.0, 58.0, -25.0],
            [-70.0, 57.0, 68.0, -22.0],
            [-45.0, 64.0, 74.0, -20.0],
            [-20.0, 69.0, 74.0, -18.0],
            [10.0, 66.0, 70.0, -20.0],
        ]
    )
    w, a, b, cy = (prof[:, k] * s for k in range(4))
    nose = (hc + np.array([0.0, -86.0, -12.0]) * s, hc + np.array([0.0, -104.0, -44.0]) * s)
    for name, inset in (("skin", 0.0), ("subcutaneous-fat", 2.0), ("muscle", 5.0)):
        cv.loft(name, hc, axes, w, a, b, 0.0, cy, inset=inset * s)
        cv.capsule(name, nose[0], nose[1], max(7.0 - inset, 2.5) * s, max(10.0 - inset, 4.0) * s)


def paint_face_bones(cv: Canvas, hc: np.ndarray, s: float, trachea_top: np.ndarray) -> dict[str, object]:
    """Facial skeleton, mandible, teeth and pharynx. Call after the MNI head, before sinuses/orbits are
    hollowed (the sinus air is painted inside the maxillary shells afterwards)."""

    def at(x: float, y: float, z: float) -> np.ndarray:
        return hc + np.array([x, y, z]) * s

    keep = {"outside": _BRAIN_AND_SKULL + ("eye", "eye-lens", "orbit-fat")}
    # maxillae: bony shells around the maxillary sinuses, joined by the alveolar ridge and hard palate
    for side in (-1, 1):
        cv.ellipsoid("maxilla", tuple(at(side * 28, -50, -45)), tuple(np.array([16.5, 18.5, 18.5]) * s), **keep)
        # zygoma body and arch towards the temporal bone (lateral to the temporal fossa)
        cv.ellipsoid("zygoma", tuple(at(side * 50, -58, -28)), tuple(np.array([9.0, 11.0, 12.0]) * s), **keep)
        zyg = [at(side * 52, -55, -30), at(side * 64, -32, -32), at(side * 67, -5, -33), at(side * 62, 12, -33)]
        cv.tube("zygoma", np.stack(zyg), 4.0 * s, **keep)
        # orbital rim: a ring at the front of the orbit
        th = np.linspace(0.0, 2 * np.pi, 25)
        rim = np.stack([side * 32 + 21 * np.cos(th), np.full_like(th, -76.0), -5 + 19 * np.sin(th)], axis=1)
        cv.tube("zygoma", hc + rim * s, 3.2 * s, **keep)
    cv.tube("maxilla", np.stack([at(0, -82, -8), at(0, -92, -28)]), 3.0 * s, **keep)  # nasal bones
    cv.ellipsoid("maxilla", tuple(at(0, -45, -58)), tuple(np.array([30.0, 38.0, 3.5]) * s), **keep)  # hard palate
    # alveolar ridge of the maxillae, then the mandible: U-shaped body ~30 mm high swept along the arch
    _swept(cv, "maxilla", hc, s, _arch(29.0, 56.0, -22.0), 5.0, 6.0, 7.0, -64.0, keep)
    _swept(cv, "mandible", hc, s, _arch(48.0, 86.0, 4.0), 6.0, 6.0, 15.0, -102.0, {})
    for side in (-1, 1):
        # ramus: a plate from the angle up to the sigmoid notch, condylar neck and coronoid process
        ax = np.array([side * 0.0, 0.05, 1.0])
        ax /= np.linalg.norm(ax)
        rot = np.stack([ax, np.array([0.0, 1.0, -0.05]) / np.hypot(1.0, 0.05), np.array([1.0, 0.0, 0.0])])
        cv.rotated_ellipsoid("mandible", tuple(at(side * 48, 0, -76)), tuple(np.array([30.0, 16.0, 5.0]) * s), rot)
        cv.tube("mandible", np.stack([at(side * 49, 8, -60), at(side * 50, 12, -40)]), 5.0 * s)
        cv.tube("mandible", np.stack([at(side * 46, -12, -70), at(side * 44, -16, -50)]), 4.0 * s)
        cv.ellipsoid("mandible", tuple(at(side * 50, 12, -36)), tuple(np.array([10.0, 5.5, 6.0]) * s))
    # teeth: 16 per arch, widths of the permanent dentition (central incisor -> third molar, mm); the crowns
    # meet at the occlusal plane 80 mm below the head centre
    for widths, arch, zc in (
        ((8.5, 6.5, 7.5, 7.0, 6.5, 10.0, 9.0, 8.5), _arch(28.0, 54.0, -24.0), -70.0),
        ((5.5, 6.0, 7.0, 7.0, 7.0, 11.0, 10.5, 10.0), _arch(26.0, 52.0, -22.0), -90.0),
    ):
        for c, tan, half_w, k in _teeth_along(arch, widths):
            nrm = np.array([tan[1], -tan[0], 0.0])
            rot = np.stack([tan, nrm, np.array([0.0, 0.0, 1.0])])
            half_bl = 3.5 if k < 3 else 4.8  # bucco-lingual: incisors/canines thinner than molars
            cen = hc + (np.array([c[0], c[1], zc])) * s
            cv.rotated_ellipsoid("teeth", tuple(cen), tuple(np.array([half_w * 0.95, half_bl, 10.0]) * s), rot)
    # pharyngeal airway: nasal cavity -> nasopharynx -> oropharynx -> larynx -> trachea
    airway = np.stack([at(0, -38, -48), at(0, -2, -54), at(0, -5, -80), at(0, -9, -112), np.asarray(trachea_top)])
    cv.tube("pharynx", airway, 7.5 * s, outside=_BRAIN_AND_SKULL + ("vertebra-cortical", "vertebra-cancellous"))
    return {"menton": at(0, -80, -118), "nasion": at(0, -84, -8)}


def _arch(half_width: float, depth: float, y_back: float, n: int = 61) -> np.ndarray:
    """Points (x, y) of a U-shaped arch: the front at y_back - depth, the ends at (+-half_width, y_back)."""
    t = np.linspace(-np.pi / 2, np.pi / 2, n)
    return np.stack([half_width * np.sin(t), y_back - depth * np.cos(t)], axis=1)


def _swept(
    cv: Canvas,
    name: str,
    hc: np.ndarray,
    s: float,
    arch: np.ndarray,
    half_len: float,
    half_thick: float,
    half_height: float,
    z: float,
    kw: dict,
) -> None:
    """A plate swept along a U-shaped arch: overlapping ellipsoids oriented along the arch every ~4 mm."""
    seg = np.linalg.norm(np.diff(arch, axis=0), axis=1)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    for d in np.arange(0.0, cum[-1] + 1e-9, 4.0):
        k = min(int(np.searchsorted(cum, d)), len(arch) - 2)
        tan = np.append(arch[k + 1] - arch[k], 0.0)
        tan /= np.linalg.norm(tan)
        c = np.array([np.interp(d, cum, arch[:, 0]), np.interp(d, cum, arch[:, 1]), z])
        rot = np.stack([tan, np.array([tan[1], -tan[0], 0.0]), np.array([0.0, 0.0, 1.0])])
        radii = tuple(np.array([half_len, half_thick, half_height]) * s)
        cv.rotated_ellipsoid(name, tuple(hc + c * s), radii, rot, **kw)


def _teeth_along(arch: np.ndarray, widths: tuple[float, ...]) -> list[tuple[np.ndarray, np.ndarray, float, int]]:
    """Centres, tangents and half-widths of teeth placed outwards from the midline on both sides of the arch."""
    mid = len(arch) // 2
    out = []
    for side in (1, -1):
        half = arch[mid:] if side > 0 else arch[mid::-1]
        seg = np.linalg.norm(np.diff(half, axis=0), axis=1)
        cum = np.concatenate([[0.0], np.cumsum(seg)])
        scale = cum[-1] / sum(widths)  # fit the dentition to the arch length
        d = 0.0
        for k, w in enumerate(widths):
            dc = (d + w / 2) * scale
            i = min(int(np.searchsorted(cum, dc)), len(half) - 2)
            tan = np.append(half[i + 1] - half[i], 0.0)
            tan /= np.linalg.norm(tan)
            c = np.array([np.interp(dc, cum, half[:, 0]), np.interp(dc, cum, half[:, 1])])
            out.append((c, tan, w * scale / 2, k))
            d += w
    return out
