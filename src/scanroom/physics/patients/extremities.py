"""Hand, wrist and distal forearm; knee. Built for radiography: bones with cortex, joint spaces, soft tissue.

The hand is modelled in a local frame at the radiocarpal joint: ``u`` points radially (thumb side), ``v``
dorsally, ``w`` distally (towards the fingertips); mm for an adult male, scaled by the body's height scale.
It is posed flat in the coronal plane with the palm facing anterior and the fingers pointing to the feet
(anatomical position, which is also the hand PA position: a posterior-anterior beam meets the dorsum and the
palm lies on the detector), fingers extended and slightly spread, thumb abducted about 30 degrees.

Bone sizes: adult male means from the anthropometric and radiographic literature (metacarpal and phalangeal
lengths after Alexander & Kanellopoulos-type hand-bone tables; carpal dimensions and radial inclination
~22 degrees as in standard radiographic anatomy, e.g. Bontrager & Lampignano 2021). Shapes are lofted
elliptic sections along each bone's axis: wide base and head, narrow shaft, a cortical shell around
cancellous bone.

The knee is modelled in the leg's frame (z up, the joint line at ``L.knee``): distal femur (metaphysis,
medial and lateral condyles, trochlea, intercondylar notch), patella over the trochlea (leg extended),
tibial plateau with intercondylar eminence and tuberosity, fibular head and neck posterolateral.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .grid import rotation_matrix

if TYPE_CHECKING:
    from .body import BodyParams, Landmarks
    from .grid import Canvas

# ---------------------------------------------------------------------------------------------- frames


class Frame:
    """Local frame: world = origin + k * (lu * u + lv * v + lw * w)."""

    def __init__(self, origin: np.ndarray, axes: np.ndarray, k: float) -> None:
        self.origin = np.asarray(origin, dtype=np.float64)
        self.axes = np.asarray(axes, dtype=np.float64)  # rows u, v, w in world (x, y, z)
        self.k = float(k)

    def world(self, loc: np.ndarray | tuple[float, float, float]) -> np.ndarray:
        return self.origin + self.k * (np.asarray(loc, dtype=np.float64) @ self.axes)

    def sub(self, loc: tuple[float, float, float], rot: np.ndarray) -> Frame:
        """A frame at local point ``loc`` whose axes are ``rot`` (rows, in local u/v/w coordinates)."""
        return Frame(self.world(loc), np.asarray(rot, dtype=np.float64) @ self.axes, self.k)


def hand_frame(p: BodyParams, L: Landmarks, side: int) -> Frame:
    """Frame of the hand of ``side`` (-1 right, +1 left) in the standing patient: palm anterior, fingers down."""
    wrist = np.array([side * (L.arm_x + 5 * p.kx), 0.0, L.wrist])
    axes = np.array([[side, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, -1.0]])
    return Frame(wrist, axes, p.kz)


def _ray(angle_deg: float, palmar: float = 0.0) -> np.ndarray:
    """Local rotation (rows u, v, w) whose w points distally, turned ``angle_deg`` towards u (radially) and
    tipped by ``palmar`` (fraction, towards -v)."""
    a = np.radians(angle_deg)
    w = np.array([np.sin(a), -palmar, np.cos(a)])
    w /= np.linalg.norm(w)
    v = np.array([0.0, 1.0, 0.0])
    v = v - (v @ w) * w
    v /= np.linalg.norm(v)
    u = np.cross(v, w)
    if u[0] < 0:  # keep u radial
        u = -u
    return np.stack([u, v, w])


def _loft(cv: Canvas, name: str, fr: Frame, knots: Sequence[Sequence[float]], **kw: Any) -> None:
    """Loft in a frame; knots are (w, a, b[, cu, cv]) in local mm (scaled by the frame)."""
    arr = np.array([tuple(kn) + (0.0,) * (5 - len(kn)) for kn in knots], dtype=np.float64) * fr.k
    cv.loft(name, fr.origin, fr.axes, arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3], arr[:, 4], **kw)  # type: ignore[arg-type]


def _bone(
    cv: Canvas,
    cortical: str,
    cancellous: str,
    fr: Frame,
    knots: Sequence[Sequence[float]],
    cortex: float,
    marrow: str | None = None,
    marrow_knots: Sequence[Sequence[float]] | None = None,
) -> None:
    """A lofted bone: cortical shell ``cortex`` mm thick (at this scale) around cancellous bone."""
    _loft(cv, cortical, fr, knots)
    _loft(cv, cancellous, fr, knots, inset=cortex * fr.k, inside=(cortical,))
    if marrow and marrow_knots:
        _loft(cv, marrow, fr, marrow_knots, inside=(cancellous,))


# ------------------------------------------------------------------------------------------------ hand
# (ray angle deg towards the thumb, base u, base w, metacarpal length, phalanx lengths proximal/middle/distal,
#  finger soft-tissue radius)
_RAYS = {
    2: (8.0, 13.0, 41.5, 68.0, (40.0, 23.0, 17.0), 9.8),
    3: (0.0, 2.0, 42.5, 65.0, (45.0, 28.0, 19.0), 10.2),
    4: (-7.0, -8.5, 42.0, 58.0, (42.0, 27.0, 19.0), 9.6),
    5: (-14.0, -17.5, 40.0, 53.0, (33.0, 19.0, 17.0), 8.6),
}
_THUMB = (24.0, 0.3, (25.5, -7.0, 37.5), 46.0, (31.0, 23.0), 12.0)  # angle, palmar tip, base, MC1, P1/P2, radius
_GAP = 1.8  # joint space between neighbouring bones (mm)

# carpal bones: centre (u, v, w), semi-axes, rotation about v (deg, in-plane) and about u (deg, palmar tilt)
_CARPALS = {
    "scaphoid": ((12.5, -1.5, 11.5), (13.5, 7.5, 7.0), 48.0, 25.0),
    "lunate": ((0.0, 0.5, 9.5), (8.0, 9.5, 7.5), 0.0, 0.0),
    "triquetrum": ((-12.0, 1.5, 13.0), (7.0, 7.5, 7.0), -25.0, 0.0),
    "pisiform": ((-14.0, -9.0, 15.0), (4.5, 4.5, 5.5), 0.0, 0.0),
    "trapezium": ((20.5, -3.5, 28.5), (7.5, 8.0, 8.0), 35.0, 0.0),
    "trapezoid": ((10.5, 0.0, 31.0), (5.5, 7.5, 7.0), 10.0, 0.0),
    "capitate": ((0.0, 0.0, 28.5), (6.8, 9.5, 12.0), 0.0, 0.0),
    "hamate": ((-11.0, 0.5, 28.0), (7.0, 9.5, 10.5), -10.0, 0.0),
}


def _metacarpal_knots(length: float, head: float = 7.0) -> list[tuple[float, ...]]:
    L = length
    return [
        (0.0, 6.0, 5.5),
        (1.0, 6.8, 6.3),
        (7.0, 6.2, 5.8),
        (17.0, 4.3, 4.1),
        (L - 16.0, 4.0, 4.0),
        (L - 7.0, head * 0.95, head),
        (L - 2.5, head * 0.9, head * 0.95),
        (L, head * 0.45, head * 0.55),
    ]


def _phalanx_knots(length: float, base: float, shaft: float, head: float, distal: bool) -> list[tuple[float, ...]]:
    L = length
    if distal:  # base, narrow shaft, tuft
        return [
            (0.0, base * 0.75, base * 0.6),
            (1.5, base, base * 0.75),
            (4.0, base * 0.8, base * 0.65),
            (L * 0.55, shaft, shaft * 0.75),
            (L - 2.5, head, head * 0.6),
            (L, head * 0.55, head * 0.35),
        ]
    return [
        (0.0, base * 0.8, base * 0.65),
        (1.5, base, base * 0.8),
        (5.0, base * 0.8, base * 0.65),
        (L * 0.45, shaft, shaft * 0.8),
        (L - 5.0, head * 0.95, head * 0.8),
        (L - 1.5, head * 0.9, head * 0.75),
        (L, head * 0.5, head * 0.4),
    ]


def _carpal_rot(in_plane: float, tilt: float) -> np.ndarray:
    """Body axes (rows, in local u/v/w) of an ellipsoid whose first axis starts along u, turned ``in_plane``
    degrees towards w (distally) and tipped by ``tilt`` degrees towards -v (palmar)."""
    return (rotation_matrix(tilt, 0.0, 0.0) @ rotation_matrix(0.0, -in_plane, 0.0)).T


def paint_hand_soft_tissue(cv: Canvas, fr: Frame, elbow_local: np.ndarray | None, fat_mm: float) -> None:
    """Skin, subcutaneous fat and muscle of the forearm (to the elbow), palm, thenar/hypothenar and fingers.

    Layers are painted as unions (all skin, then all fat, then muscle) so the parts blend without seams.
    ``elbow_local`` is the elbow joint in the hand frame (the forearm is lofted towards it)."""
    keep = {"outside": ("muscle", "visceral-fat", "mediastinum")}
    fat = float(np.clip(fat_mm, 2.0, 6.0))
    # forearm: cross-section centre follows the line wrist -> elbow
    if elbow_local is None:
        elbow_local = np.array([0.0, 0.0, -250.0])
    ew = float(elbow_local[2])
    eu, ev = float(elbow_local[0]) - 2.0, float(elbow_local[1]) - 3.0
    arm = [
        (ew, 41.0, 36.0, eu, ev),
        (ew * 0.6, 37.0, 29.0, eu * 0.6, ev * 0.6),
        (-40.0, 32.5, 22.5, -2.0, -3.0),
        (0.0, 32.0, 21.0, -2.0, -3.0),
        (20.0, 35.0, 17.0, -2.5, -4.0),
        (60.0, 40.0, 14.5, -3.5, -4.0),
        (100.0, 42.0, 13.5, -4.0, -3.5),
        (112.0, 39.0, 12.0, -4.0, -3.0),
        (121.0, 28.0, 8.5, -4.0, -2.5),
    ]
    thumb_rot = _ray(_THUMB[0], _THUMB[1])
    tb = np.asarray(_THUMB[2])
    tlen = _THUMB[3] + _GAP + sum(_THUMB[4]) + _GAP + 4.0
    thenar = (tb + thumb_rot[2] * 20.0 + np.array([-6.0, -8.0, 0.0]), (13.0, 11.0, 24.0))
    hypothenar = (np.array([-24.0, -9.0, 62.0]), (10.0, 10.0, 30.0))
    fingers = []
    for ang, bu, bw, mc, ph, rad in _RAYS.values():
        rot = _ray(ang)
        base = np.array([bu, 0.0, bw])
        p0 = base + rot[2] * (mc - 12.0) + np.array([0.0, -2.0, 0.0])
        p1 = base + rot[2] * (mc + _GAP + ph[0] + _GAP + ph[1] + _GAP + ph[2] + 3.0) + np.array([0.0, -2.5, 0.0])
        fingers.append((p0, p1, rad, rad * 0.78))
    fingers.append((tb + thumb_rot[2] * 12.0, tb + thumb_rot[2] * tlen, _THUMB[5], _THUMB[5] * 0.75))

    # web space between thumb and index: a flat ellipsoid from the thumb metacarpal to the second
    web_c = tb + thumb_rot[2] * 30.0 + np.array([-8.0, -4.0, 8.0])
    web = (web_c, (16.0, 7.5, 26.0), _ray(_THUMB[0] * 0.5, 0.1))
    for layer, inset, kw in (("skin", 0.0, keep), ("subcutaneous-fat", 1.6, keep), ("muscle", 1.6 + fat, {})):
        if layer == "muscle":  # forearm, palm and thenar muscles; fingers have no muscle
            _loft(cv, layer, fr, arm[:-2], power=2.2, inset=inset * fr.k, **kw)
            c, r = thenar
            cv.rotated_ellipsoid(
                layer, tuple(fr.world(c)), tuple((x - inset) * fr.k for x in r), thumb_rot @ fr.axes, **kw
            )
            continue
        _loft(cv, layer, fr, arm, power=2.2, inset=inset * fr.k, **kw)
        for c, r, rot in ((*thenar, thumb_rot), (*hypothenar, np.eye(3)), web):
            cv.rotated_ellipsoid(layer, tuple(fr.world(c)), tuple((x - inset) * fr.k for x in r), rot @ fr.axes, **kw)
        for p0, p1, r0, r1 in fingers:
            cv.capsule(layer, fr.world(p0), fr.world(p1), (r0 - inset) * fr.k, (r1 - inset) * fr.k, **kw)


def paint_hand_bones(cv: Canvas, fr: Frame, elbow_world: dict[str, np.ndarray] | None = None) -> dict[str, object]:
    """Distal radius and ulna, carpals, metacarpals, phalanges (and the forearm shafts up to the elbow when
    ``elbow_world`` gives the proximal radius/ulna points). Returns key points for lesion placement."""
    ctx: dict[str, object] = {}
    # distal radius: shaft -> metaphyseal flare -> articular end (radial side), radial styloid
    rad = [
        (-130.0, 7.0, 6.0, 11.0, 0.0),
        (-60.0, 8.0, 6.5, 11.0, 0.0),
        (-32.0, 11.0, 8.5, 10.5, 0.5),
        (-14.0, 15.0, 10.5, 10.0, 0.5),
        (-4.0, 16.0, 11.0, 10.0, 0.5),
        (-0.5, 15.0, 10.0, 10.0, 0.5),
        (0.5, 12.0, 8.0, 10.0, 0.5),
    ]
    _bone(cv, "radius-cortical", "radius-cancellous", fr, rad, 1.6)
    cv.capsule(
        "radius-cortical",
        fr.world((19.0, 0.5, -14.0)),
        fr.world((24.0, 0.5, 5.0)),
        5.5 * fr.k,
        3.0 * fr.k,
        outside=("radius-cancellous",),
    )
    cv.capsule(
        "radius-cancellous",
        fr.world((19.0, 0.5, -14.0)),
        fr.world((23.0, 0.5, 3.5)),
        4.0 * fr.k,
        1.8 * fr.k,
        inside=("radius-cortical",),
    )
    # distal ulna: shaft -> head (ulnar side, neutral variance) and ulnar styloid
    uln = [
        (-130.0, 6.5, 6.5, -15.0, 2.0),
        (-45.0, 6.0, 6.0, -15.0, 2.0),
        (-16.0, 7.0, 7.0, -15.5, 2.0),
        (-9.0, 8.5, 8.0, -15.5, 2.0),
        (-4.0, 8.0, 7.5, -15.5, 2.0),
        (-1.5, 5.5, 5.0, -15.0, 2.0),
    ]
    _bone(cv, "ulna-cortical", "ulna-cancellous", fr, uln, 1.5)
    cv.capsule(
        "ulna-cortical",
        fr.world((-20.0, 4.0, -10.0)),
        fr.world((-21.5, 4.0, 2.0)),
        3.2 * fr.k,
        2.0 * fr.k,
        outside=("ulna-cancellous",),
    )
    if elbow_world is not None:  # shafts from the elbow to the lofted distal ends
        from .skeleton import bone_tube

        for bone, top, r_top in (("radius", (11.0, 0.0, -120.0), 7.0), ("ulna", (-15.0, 2.0, -120.0), 6.5)):
            p_el = elbow_world[bone]
            bone_tube(
                cv,
                bone,
                np.stack([p_el, fr.world(top)]),
                np.array([r_top, r_top]) * fr.k,
                2.0 * fr.k,
                outside=(f"{bone}-cancellous",),
            )
    ctx["radius"] = (fr.world((10.0, 0.5, -150.0)), fr.world((10.0, 0.5, 0.0)))
    # carpals: each a rotated ellipsoid with a thin cortex; the scaphoid has its own labels
    for name, (c, r, inpl, tilt) in _CARPALS.items():
        rot = _carpal_rot(inpl, tilt) @ fr.axes  # rows: body axes in world
        cw = tuple(fr.world(c))
        rr = tuple(x * fr.k for x in r)
        cort, canc = ("scaphoid-cortical", "scaphoid") if name == "scaphoid" else ("carpal-cortical", "carpals")
        cv.rotated_ellipsoid(cort, cw, rr, rot)
        inner = tuple(max(x - 0.9 * fr.k, 0.3) for x in rr)
        cv.rotated_ellipsoid(canc, cw, inner, rot, inside=(cort,))
        ctx[name] = np.asarray(cw)
        ctx[f"{name}-axis"] = rot[0].copy()
        ctx[f"{name}-radii"] = rr
    # hook of the hamate (palmar)
    cv.rotated_ellipsoid("carpal-cortical", tuple(fr.world((-13.0, -10.0, 30.0))), (3.0 * fr.k,) * 3, fr.axes)
    # metacarpals and phalanges of fingers 2-5
    for f, (ang, bu, bw, mc, ph, _) in _RAYS.items():
        ray = fr.sub((bu, 0.0, bw), _ray(ang))
        _bone(cv, "metacarpals", "metacarpal-cancellous", ray, _metacarpal_knots(mc), 1.6)
        w0 = mc + _GAP
        sizes = ((6.3, 4.4, 5.0), (5.2, 3.8, 4.3), (4.2, 2.6, 3.6))
        for n, (length, (wb, ws, wh)) in enumerate(zip(ph, sizes, strict=True)):
            seg = fr.sub(tuple(np.array([bu, 0.0, bw]) + _ray(ang)[2] * w0), _ray(ang))
            knots = _phalanx_knots(length, wb, ws, wh, distal=n == 2)
            _bone(cv, "phalanges", "phalanx-cancellous", seg, knots, 1.2)
            w0 += length + _GAP
        ctx[f"finger-{f}-tip"] = fr.world(np.array([bu, 0.0, bw]) + _ray(ang)[2] * w0)
    # thumb: metacarpal 1 from the trapezium, proximal and distal phalanges
    ang, palmar, base, mc1, (p1, p2), _ = _THUMB
    trot = _ray(ang, palmar)
    b = np.asarray(base)
    _bone(cv, "metacarpals", "metacarpal-cancellous", fr.sub(tuple(b), trot), _metacarpal_knots(mc1, 7.5), 1.6)
    w0 = mc1 + _GAP
    for n, (length, (bb, sh, hd)) in enumerate(zip((p1, p2), ((6.8, 4.3, 5.3), (5.3, 3.0, 4.2)), strict=True)):
        seg = fr.sub(tuple(b + trot[2] * w0), trot)
        _bone(cv, "phalanges", "phalanx-cancellous", seg, _phalanx_knots(length, bb, sh, hd, distal=n == 1), 1.2)
        w0 += length + _GAP
    # two sesamoids at the thumb MCP joint (palmar)
    for du in (-3.5, 3.5):
        c = b + trot[2] * (mc1 - 3.0) + trot[0] * du + trot[1] * -6.5
        cv.ellipsoid("carpal-cortical", tuple(fr.world(c)), (2.5 * fr.k,) * 3)
    return ctx


def hand_bbox(fr: Frame, forearm_mm: float = 90.0) -> tuple[float, float, float, float, float, float]:
    """World bbox of the hand region: distal ``forearm_mm`` of the forearm to the fingertips, thumb included."""
    loc = np.array(
        [[u, v, w] for u in (-50.0, 84.0) for v in (-34.0, 28.0) for w in (-forearm_mm, 222.0)], dtype=np.float64
    )
    pts = np.array([fr.world(p) for p in loc])
    lo, hi = pts.min(0), pts.max(0)
    return (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]), float(lo[2]), float(hi[2]))


# ------------------------------------------------------------------------------------------------ knee
def paint_knee_bones(cv: Canvas, p: BodyParams, L: Landmarks, side: int, troch: np.ndarray, ankle: np.ndarray) -> dict:
    """Femur (shaft from below the trochanter, distal femur), patella, tibia and fibula of one leg.

    All cortical shapes of a bone are painted before its cancellous cores, so overlapping parts (condyles,
    trochlea, metaphysis) form one bone with one outer cortex."""
    from .skeleton import bone_tube

    kx, ky, kz = p.kx, p.ky, p.kz
    s = side
    j = np.array([s * 95 * kx, 5 * ky, L.knee])  # joint centre on the joint line
    up = Frame(j, np.array([[s, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]), 1.0)  # u lateral, v post., w up

    def kn(rows: list[tuple[float, float, float, float, float]]) -> list[tuple[float, ...]]:
        # (w, a, b, cu, cv) in adult-male mm -> scaled by the body's axes
        return [(w * kz, a * kx, b * ky, cu * kx, cv * ky) for w, a, b, cu, cv in rows]

    def at(du: float, dv: float, dw: float) -> tuple[float, float, float]:
        return (float(j[0] + s * du * kx), float(j[1] + dv * ky), float(j[2] + dw * kz))

    def sc(r: tuple[float, float, float]) -> tuple[float, float, float]:
        return (r[0] * kx, r[1] * ky, r[2] * kz)

    # ---- femur: shaft with marrow cavity, metaphyseal flare (loft), condyles and trochlea (ellipsoids)
    top = np.asarray(troch, dtype=np.float64) + np.array([-s * 8 * kx, 0, -20 * kz])
    bone_tube(cv, "femur", np.stack([top, j + np.array([0.0, 0.0, 105 * kz])]), 16.0 * kx, 5.5 * kx, marrow=8.5 * kx)
    fem = kn([(36.0, 35.0, 24.0, 0.0, 2.0), (54.0, 35.5, 24.5, 0.0, 2.0), (78.0, 23.0, 19.0, 0.0, 1.0)])
    fem += kn([(118.0, 16.0, 15.0, 0.0, 0.0)])
    parts = [
        (at(22.0, 8.0, 22.0), sc((17.5, 27.0, 21.0))),  # lateral condyle
        (at(-21.0, 8.0, 22.0), sc((18.5, 27.0, 21.5))),  # medial condyle (a little larger)
        (at(0.0, -8.0, 38.0), sc((37.0, 18.0, 24.0))),  # trochlea / anterior condylar block
    ]
    interior = ("femur-cancellous", "femur-marrow")
    _loft(cv, "femur-cortical", up, fem, outside=interior)
    for c, r in parts:
        cv.ellipsoid("femur-cortical", c, r, outside=interior)
    _loft(cv, "femur-cancellous", up, fem, inset=1.6, inside=("femur-cortical",))
    for c, r in parts:
        cv.ellipsoid("femur-cancellous", c, tuple(x - 1.6 for x in r), inside=("femur-cortical",))
    # intercondylar notch: posterior-inferior groove between the condyles (soft tissue)
    cv.loft(
        "muscle",
        np.array(at(0.0, 0.0, 0.0)),
        np.array([[1.0, 0, 0], [0, 0, 1.0], [0, 1.0, 0]]),  # u = x, v = z, w = y (posterior)
        np.array([-6.0, 12.0, 40.0]) * ky,
        np.array([8.0, 10.0, 10.0]) * kx,
        np.array([12.0, 20.0, 20.0]) * kz,
        cv=np.array([2.0, 6.0, 6.0]) * kz,
        inside=("femur-cortical", "femur-cancellous"),
    )
    # ---- patella: over the trochlea, lower pole ~14 mm above the joint line (leg extended)
    pc = at(2.0, -39.0, 38.0)
    cv.ellipsoid("patella-cortical", pc, sc((22.0, 11.0, 24.0)))
    cv.ellipsoid("patella-cancellous", pc, sc((20.5, 9.5, 22.5)), inside=("patella-cortical",))
    # ---- tibia: plateau 3 mm below the condyles, metaphysis tapering to the shaft; eminence, tuberosity
    tib = kn(
        [
            (-95.0, 14.0, 13.0, 0.0, 6.0),
            (-60.0, 21.0, 17.0, 0.0, 5.0),
            (-32.0, 32.0, 22.0, 0.0, 5.0),
            (-13.0, 38.0, 24.0, 0.0, 6.0),
            (-4.0, 38.5, 24.0, 0.0, 6.0),
            (-3.0, 37.0, 23.0, 0.0, 6.0),
        ]
    )
    tparts = [
        (at(-5.0, 6.0, -3.0), sc((3.5, 9.0, 4.5))),  # medial tibial spine
        (at(5.0, 6.0, -3.0), sc((3.5, 9.0, 4.0))),  # lateral tibial spine
        (at(0.0, -13.0, -40.0), sc((12.0, 6.0, 16.0))),  # tuberosity
    ]
    interior = ("tibia-cancellous", "tibia-marrow")
    bone_tube(
        cv,
        "tibia",
        np.stack([j + np.array([0.0, 6 * ky, -80 * kz]), np.asarray(ankle, dtype=np.float64)]),
        np.array([15, 13]) * kx,
        4.5 * kx,
        marrow=6.0 * kx,
    )
    _loft(cv, "tibia-cortical", up, tib, outside=interior)
    for c, r in tparts:
        cv.ellipsoid("tibia-cortical", c, r, outside=interior)
    _loft(cv, "tibia-cancellous", up, tib, inset=1.6, inside=("tibia-cortical",))
    cv.ellipsoid("tibia-cancellous", tparts[2][0], tuple(x - 1.6 for x in tparts[2][1]), inside=("tibia-cortical",))
    # ---- fibula: head below the lateral plateau (posterolateral), neck and shaft to the lateral malleolus
    fh = at(38.0, 24.0, -27.0)
    tib_all = ("tibia-cortical", "tibia-cancellous", "tibia-marrow")
    cv.ellipsoid("fibula-cortical", fh, sc((10.0, 10.0, 12.0)), outside=tib_all)
    cv.ellipsoid("fibula-cancellous", fh, sc((8.5, 8.5, 10.5)), inside=("fibula-cortical",))
    bone_tube(
        cv,
        "fibula",
        np.array([np.array(fh) + [0, 0, -8 * kz], np.asarray(ankle) + [s * 28 * kx, 12 * ky, -10 * kz]]),
        np.array([7.0, 7.0]) * kx,
        2.5 * kx,
        outside=("fibula-cancellous", *tib_all),
    )
    # ---- articular cartilage: on the condyles, the plateau and behind the patella (the joint space)
    for c, r in parts[:2]:
        cv.ellipsoid("articular-cartilage", c, tuple(x + 2.2 for x in r), outside=_BONE)
    cv.loft(
        "articular-cartilage",
        up.origin,
        up.axes,
        np.array([-5.0, 1.0]) * kz,
        np.array([38.0, 38.0]) * kx,
        np.array([24.0, 24.0]) * ky,
        0.0,
        np.array([6.0, 6.0]) * ky,
        outside=_BONE,
    )
    cv.ellipsoid("articular-cartilage", at(2.0, -35.0, 38.0), sc((20.0, 9.5, 21.0)), outside=_BONE)
    return {"knee-joint": j, "patella": np.array(pc)}


_BONE = (
    "femur-cortical",
    "femur-cancellous",
    "femur-marrow",
    "tibia-cortical",
    "tibia-cancellous",
    "tibia-marrow",
    "patella-cortical",
    "patella-cancellous",
    "fibula-cortical",
    "fibula-cancellous",
)
