"""Stylised whole-body anatomy (trunk, head, arms, legs) painted into a Canvas.

Organ shapes follow the spirit of the ORNL/MIRD stylised phantoms (Snyder et al., MIRD Pamphlet 5
rev., 1978; Cristy & Eckerman, ORNL/TM-8381, 1987): ellipsoids, elliptic cylinders and tori, here
with concave lung bases, chambered heart, tubular ribs/vessels/bowel and an MNI152 brain. Each organ is
sized so that its volume x density equals the ICRP 89 reference mass (Table 2.8) for the chosen
sex/age; shape proportions stay fixed. Coordinates: LPS mm, z = height above the soles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from ..materials import get_material
from . import extremities, face, head
from .grid import Canvas, rotation_matrix
from .skeleton import paint_skeleton

# ICRP Publication 89 (2002), Table 2.8 reference organ masses (g). Lungs include blood; heart is the
# wall (tissue only); skeleton is the total (bone, marrow, cartilage). Child = 5 y, mean of sexes.
ICRP89_MASS_G: dict[str, dict[str, float]] = {
    "adult-male": {
        "brain": 1450,
        "liver": 1800,
        "lungs": 1200,
        "kidneys": 310,
        "spleen": 150,
        "heart": 330,
        "pancreas": 140,
        "skeleton": 10500,
        "breasts": 25,
        "thyroid": 20,
        "stomach": 150,
        "bladder": 50,
        "height_cm": 176,
        "mass_kg": 73,
    },
    "adult-female": {
        "brain": 1300,
        "liver": 1400,
        "lungs": 950,
        "kidneys": 275,
        "spleen": 130,
        "heart": 250,
        "pancreas": 120,
        "skeleton": 7800,
        "breasts": 500,
        "thyroid": 17,
        "stomach": 140,
        "bladder": 40,
        "height_cm": 163,
        "mass_kg": 60,
    },
    "child-5y": {
        "brain": 1245,
        "liver": 570,
        "lungs": 300,
        "kidneys": 110,
        "spleen": 50,
        "heart": 85,
        "pancreas": 35,
        "skeleton": 2700,
        "breasts": 3,
        "thyroid": 3.4,
        "stomach": 50,
        "bladder": 16,
        "height_cm": 109,
        "mass_kg": 19,
    },
}

# Structures: name -> material. Labels are assigned in this order, so they are stable across patients.
STRUCTURES: list[tuple[str, str]] = [
    ("skin", "skin"),
    ("subcutaneous-fat", "adipose"),
    ("muscle", "muscle"),
    ("visceral-fat", "adipose"),
    ("mediastinum", "soft-tissue"),
    ("scalp", "skin"),
    ("scalp-fat", "adipose"),
    ("skull-cortical", "cortical-bone"),
    ("skull-cancellous", "cancellous-bone"),
    ("csf", "csf"),
    ("ventricles", "csf"),
    ("grey-matter", "grey-matter"),
    ("white-matter", "white-matter"),
    ("eye", "water"),
    ("eye-lens", "eye-lens"),
    ("orbit-fat", "adipose"),
    ("sinus", "air"),
    ("nasal-cavity", "air"),
    ("mandible", "cortical-bone"),
    ("spinal-cord", "white-matter"),
    ("thyroid", "thyroid"),
    ("trachea", "air"),
    ("oesophagus", "bowel-wall"),
    ("lung-right", "lung"),
    ("lung-left", "lung"),
    ("bronchi", "air"),
    ("heart", "heart"),
    ("heart-lv", "blood"),
    ("heart-rv", "blood"),
    ("heart-la", "blood"),
    ("heart-ra", "blood"),
    ("aorta", "blood"),
    ("vena-cava", "blood"),
    ("pulmonary-artery", "blood"),
    ("breast-left", "breast-glandular"),
    ("breast-right", "breast-glandular"),
    ("breast-fat", "adipose"),
    ("liver", "liver"),
    ("gallbladder", "bile"),
    ("spleen", "spleen"),
    ("stomach-wall", "bowel-wall"),
    ("stomach-contents", "stomach-contents"),
    ("stomach-gas", "bowel-gas"),
    ("pancreas", "pancreas"),
    ("kidney-right-cortex", "kidney-cortex"),
    ("kidney-right-medulla", "kidney-medulla"),
    ("kidney-left-cortex", "kidney-cortex"),
    ("kidney-left-medulla", "kidney-medulla"),
    ("small-bowel", "bowel-wall"),
    ("small-bowel-contents", "stomach-contents"),
    ("colon", "bowel-wall"),
    ("colon-contents", "stomach-contents"),
    ("bowel-gas", "bowel-gas"),
    ("bladder-wall", "muscle"),
    ("urine", "urine"),
    ("uterus", "muscle"),
    ("prostate", "soft-tissue"),
    ("psoas", "muscle"),
    ("vertebra-cortical", "cortical-bone"),
    ("vertebra-cancellous", "cancellous-bone"),
    ("intervertebral-disc", "cartilage"),
    ("rib-cortical", "cortical-bone"),
    ("rib-cancellous", "cancellous-bone"),
    ("costal-cartilage", "cartilage"),
    ("sternum-cortical", "cortical-bone"),
    ("sternum-cancellous", "cancellous-bone"),
    ("clavicle-cortical", "cortical-bone"),
    ("clavicle-cancellous", "cancellous-bone"),
    ("scapula-cortical", "cortical-bone"),
    ("scapula-cancellous", "cancellous-bone"),
    ("pelvis-cortical", "cortical-bone"),
    ("pelvis-cancellous", "cancellous-bone"),
    ("sacrum-cortical", "cortical-bone"),
    ("sacrum-cancellous", "cancellous-bone"),
    ("femur-cortical", "cortical-bone"),
    ("femur-cancellous", "cancellous-bone"),
    ("femur-marrow", "yellow-marrow"),
    ("humerus-cortical", "cortical-bone"),
    ("humerus-cancellous", "cancellous-bone"),
    ("humerus-marrow", "yellow-marrow"),
    ("radius-cortical", "cortical-bone"),
    ("radius-cancellous", "cancellous-bone"),
    ("ulna-cortical", "cortical-bone"),
    ("ulna-cancellous", "cancellous-bone"),
    ("carpals", "cancellous-bone"),
    ("metacarpals", "cortical-bone"),
    ("metacarpal-cancellous", "cancellous-bone"),
    ("phalanges", "cortical-bone"),
    ("phalanx-cancellous", "cancellous-bone"),
    ("tibia-cortical", "cortical-bone"),
    ("tibia-cancellous", "cancellous-bone"),
    ("tibia-marrow", "yellow-marrow"),
    ("fibula-cortical", "cortical-bone"),
    ("fibula-cancellous", "cancellous-bone"),
    ("patella-cortical", "cortical-bone"),
    ("patella-cancellous", "cancellous-bone"),
    ("foot-bones", "cancellous-bone"),
    ("articular-cartilage", "cartilage"),
    ("joint-fluid", "water"),
    # appended (labels above stay stable)
    ("scaphoid-cortical", "cortical-bone"),
    ("scaphoid", "cancellous-bone"),
    ("carpal-cortical", "cortical-bone"),
    ("maxilla", "cortical-bone"),
    ("zygoma", "cortical-bone"),
    ("teeth", "cortical-bone"),
    ("pharynx", "air"),
]

SKELETON_PREFIXES = (
    "skull",
    "mandible",
    "vertebra",
    "intervertebral",
    "rib",
    "costal",
    "sternum",
    "clavicle",
    "scapula",
    "pelvis",
    "sacrum",
    "femur",
    "humerus",
    "radius",
    "ulna",
    "carpal",
    "scaphoid",
    "maxilla",
    "zygoma",
    "metacarpal",
    "phalan",
    "tibia",
    "fibula",
    "patella",
    "foot-bones",
    "articular",
)

# Organ mass groups: structure names summed for comparison with ICRP 89.
ORGAN_GROUPS: dict[str, tuple[str, ...]] = {
    "brain": ("grey-matter", "white-matter"),
    "liver": ("liver",),
    "lungs": ("lung-right", "lung-left"),
    "kidneys": ("kidney-right-cortex", "kidney-right-medulla", "kidney-left-cortex", "kidney-left-medulla"),
    "spleen": ("spleen",),
    "heart": ("heart",),
    "pancreas": ("pancreas",),
}


@dataclass(frozen=True)
class BodyParams:
    """Body build: reference kind (ICRP 89 masses), scales and state."""

    kind: str  # adult-male | adult-female | child-5y
    kx: float  # lateral scale vs the adult male
    ky: float  # antero-posterior scale
    kz: float  # height scale
    fat_mm: float  # subcutaneous fat thickness (trunk)
    breath_mm: float = 0.0  # diaphragm descent (0 exhale ... ~15-20 mm deep inspiration)
    masses: dict[str, float] = field(default_factory=dict)

    @property
    def female(self) -> bool:
        return self.kind == "adult-female"

    @property
    def child(self) -> bool:
        return self.kind.startswith("child")


def body_params(kind: str, size_scale: float = 1.0, breathing_phase: float = 0.0) -> BodyParams:
    """Params for a reference body; ``size_scale`` widens (>1, more fat) or narrows (<1) the trunk."""
    base = {
        "adult-male": (1.0, 1.0, 1.0, 18.0),
        "adult-female": (0.93, 0.95, 163 / 176, 22.0),
        "child-5y": (0.6, 0.62, 109 / 176, 7.0),
    }[kind]
    kx, ky, kz, fat = base
    amp = {"adult-male": 16.0, "adult-female": 14.0, "child-5y": 9.0}[kind]
    breath = amp * 0.5 * (1.0 - np.cos(2.0 * np.pi * float(breathing_phase)))
    return BodyParams(
        kind=kind, kx=kx, ky=ky, kz=kz, fat_mm=fat, breath_mm=float(breath), masses=dict(ICRP89_MASS_G[kind])
    )


def _vol_cm3(mass_g: float, material: str) -> float:
    return mass_g / get_material(material).density_g_cm3


@lru_cache(maxsize=64)
def _unit_fraction(shape_key: str) -> float:
    """Fraction of the [-1,1]^3 cube filled by a named normalized shape (numerical, cached)."""
    n = 64
    g = (np.arange(n) + 0.5) / n * 2 - 1
    w, v, u = np.meshgrid(g, g, g, indexing="ij")
    return float(_SHAPES[shape_key](u, v, w).mean())


def _lung_shape(u: np.ndarray, v: np.ndarray, w: np.ndarray) -> np.ndarray:
    r2 = u**2 + v**2
    # upper (apex) half-ellipsoid above a domed (concave) base; base dome rises 35 % of the half-height
    return (r2 + np.maximum(w, 0) ** 2 <= 1.0) & (w >= -1.0 + 0.35 * (1.0 - r2)) & (r2 <= 1.0)


def _liver_shape(u: np.ndarray, v: np.ndarray, w: np.ndarray) -> np.ndarray:
    # ellipsoid with the left-inferior corner cut off (left lobe thinner), as MIRD's cutting plane
    return (u**2 + v**2 + w**2 <= 1.0) & (w - 1.1 * u >= -0.75)


def _ellipsoid_shape(u: np.ndarray, v: np.ndarray, w: np.ndarray) -> np.ndarray:
    return u**2 + v**2 + w**2 <= 1.0


_SHAPES = {"lung": _lung_shape, "liver": _liver_shape, "ellipsoid": _ellipsoid_shape}


def _fit_axes(shape: str, volume_cm3: float, proportions: tuple[float, float, float]) -> tuple[float, float, float]:
    """Semi-axes (mm) with the given proportions whose shape volume is ``volume_cm3``."""
    p = np.asarray(proportions, dtype=float)
    unit = _unit_fraction(shape) * 8.0 * float(np.prod(p))  # volume (mm^3) at scale 1
    s = (volume_cm3 * 1000.0 / unit) ** (1.0 / 3.0)
    a, b, c = (p * s).tolist()
    return a, b, c


def paint_shape(
    cv: Canvas, name: str, shape: str, c: tuple[float, float, float], ax: tuple[float, float, float], **kw: Any
) -> None:
    fn = _SHAPES[shape]
    cx, cy, cz = c
    a, b, cc = ax
    cv.paint(
        name,
        lambda Z, Y, X: fn((X - cx) / a, (Y - cy) / b, (Z - cz) / cc),
        (cx - a, cx + a, cy - b, cy + b, cz - cc, cz + cc),
        **kw,
    )  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------ landmarks
@dataclass(frozen=True)
class Landmarks:
    """Key heights (mm above soles) and trunk profile for a body."""

    height: float
    crotch: float
    hip: float  # femoral head centres
    iliac_crest: float
    l1: float  # renal hilum / L1
    diaphragm: float  # right dome (exhale)
    carina: float
    shoulder: float
    neck_top: float
    head_centre: float  # MNI origin (anterior commissure)
    knee: float
    ankle: float
    wrist: float
    elbow: float
    trunk_z: np.ndarray
    trunk_a: np.ndarray
    trunk_b: np.ndarray
    arm_x: float


def landmarks(p: BodyParams) -> Landmarks:
    kz, kx, ky = p.kz, p.kx, p.ky
    z = np.array([780, 830, 900, 1000, 1080, 1200, 1330, 1400, 1440, 1465], dtype=float) * kz
    a = np.array([150, 170, 178, 158, 158, 165, 170, 168, 150, 100], dtype=float) * kx
    b = np.array([95, 100, 105, 105, 105, 110, 110, 105, 95, 70], dtype=float) * ky
    head_c = 1760 * kz - (92 * head.brain_scale(p.masses["brain"]) + 14 * (0.7 if p.child else 1.0))
    return Landmarks(
        height=1760 * kz,
        crotch=820 * kz,
        hip=890 * kz,
        iliac_crest=1045 * kz,
        l1=1110 * kz,
        diaphragm=1200 * kz,
        carina=1330 * kz,
        shoulder=1440 * kz,
        neck_top=1560 * kz,
        head_centre=head_c,
        knee=480 * kz,
        ankle=80 * kz,
        wrist=850 * kz,
        elbow=1100 * kz,
        trunk_z=z,
        trunk_a=a,
        trunk_b=b,
        arm_x=215 * kx,
    )


# ------------------------------------------------------------------------------------------ painting
def paint_body(cv: Canvas, p: BodyParams, size_scale: float, rng: np.random.Generator) -> None:
    """Paint the whole body model into ``cv`` (only the part inside the canvas is evaluated)."""
    for name, mat in STRUCTURES:
        cv.define(name, mat)
    L = landmarks(p)
    cv.context["landmarks"] = L
    cv.context["params"] = p
    _envelope(cv, p, L, size_scale)
    _limbs(cv, p, L)
    _neck_and_head(cv, p, L)
    _thorax(cv, p, L)
    _abdomen(cv, p, L, rng)
    paint_skeleton(cv, p, L)


def _trunk_ab(L: Landmarks, Z: np.ndarray, grow: float, shrink: float) -> tuple[np.ndarray, np.ndarray]:
    a = np.interp(Z, L.trunk_z, L.trunk_a) * grow - shrink
    b = np.interp(Z, L.trunk_z, L.trunk_b) * grow - shrink
    return np.maximum(a, 1.0), np.maximum(b, 1.0)


def _envelope(cv: Canvas, p: BodyParams, L: Landmarks, size_scale: float) -> None:
    """Trunk skin / subcutaneous fat / muscle wall and the visceral cavities."""
    # larger patients: the outline grows and the difference goes into subcutaneous fat;
    # smaller patients: outline and muscle wall shrink together (organ masses stay at the reference)
    grow = size_scale
    inner = min(size_scale, 1.0)
    z0, z1 = float(L.trunk_z[0]), float(L.trunk_z[-1])
    amax = float(L.trunk_a.max()) * grow + 5
    bmax = float(L.trunk_b.max()) * grow + 5
    fat = p.fat_mm * inner
    # trunk z profile: the body is an elliptic cylinder per slice with semi-axes a(z), b(z)
    for name, shrink, g in (("skin", 0.0, grow), ("subcutaneous-fat", 2.0, grow), ("muscle", 0.0, inner)):
        s = shrink if name != "muscle" else 2.0 + fat

        def fn(Z, Y, s=s, g=g):  # noqa: ANN001
            # half-width of the ellipse per (z, y) row; the row is painted where |X| <= half
            a, b = _trunk_ab(L, Z, g, s)
            half = a * np.sqrt(np.clip(1.0 - ((Y - 5 * p.ky) / b) ** 2, 0.0, None))
            return np.where(np.abs(Y - 5 * p.ky) <= b, half, -1.0).astype(np.float32)

        cv.paint_rows(name, fn, (-amax, amax, -bmax + 5, bmax + 5, z0, z1))
    # shoulders: round the top of the trunk (dome) so it blends into the neck
    # visceral cavities
    zc0, zc1 = L.crotch + 40 * p.kz, L.diaphragm + 20 * p.kz
    wall = 2.0 + fat + 14.0 * p.kx

    def _rows(Z, Y, shrink, bfac):  # noqa: ANN001, ANN202
        a, b = _trunk_ab(L, Z, inner, shrink)
        b = b * bfac
        half = a * np.sqrt(np.clip(1.0 - ((Y - 5 * p.ky) / b) ** 2, 0.0, None))
        return np.where(np.abs(Y - 5 * p.ky) <= b, half, -1.0).astype(np.float32)

    def cavity(Z, Y):  # noqa: ANN001
        return _rows(Z, Y, wall, 0.9)

    cv.paint_rows("visceral-fat", cavity, (-amax, amax, -bmax, bmax, zc0, zc1))

    def thorax(Z, Y):  # noqa: ANN001
        return _rows(Z, Y, wall - 4, 0.92)

    cv.paint_rows("mediastinum", thorax, (-amax, amax, -bmax, bmax, L.diaphragm - 60 * p.kz, L.shoulder - 20 * p.kz))
    cv.context["inner_scale"] = inner


def _limb(cv: Canvas, pts: np.ndarray, r: np.ndarray, fat: float) -> None:
    keep = {"outside": ("muscle", "visceral-fat", "mediastinum")}
    if float(np.max(r)) > 8.0 * min(cv.voxel_mm):
        cv.layered_tube([("skin", 0.0, keep), ("subcutaneous-fat", 2.0, keep), ("muscle", 2.0 + fat, {})], pts, r)
        return
    cv.tube("skin", pts, r, **keep)
    cv.tube("subcutaneous-fat", pts, np.maximum(r - 2.0, 0.5), **keep)
    cv.tube("muscle", pts, np.maximum(r - 2.0 - fat, 0.5))


def _limbs(cv: Canvas, p: BodyParams, L: Landmarks, sides: tuple[int, ...] = (-1, 1), legs: bool = True) -> None:
    kz, kx = p.kz, p.kx
    fat_l = 0.5 * p.fat_mm
    for side in sides:
        # arm hanging at the side, slight abduction; forearm and hand in anatomical position (palm forward)
        sh = np.array([side * (L.arm_x - 20 * kx), 0.0, L.shoulder - 20 * kz])
        el = np.array([side * L.arm_x, 5.0 * p.ky, L.elbow])
        fr = extremities.hand_frame(p, L, side)
        wr = fr.origin
        cv.context[f"arm-{side}"] = (sh, el, wr)
        cv.context[f"hand-frame-{side}"] = fr
        _limb(cv, np.stack([sh, el]), np.array([48, 40]) * kx, fat_l)
        extremities.paint_hand_soft_tissue(cv, fr, fr.axes @ (el - wr) / fr.k, 0.25 * p.fat_mm)
        cv.context[f"hand-{side}"] = fr.world((0.0, 0.0, 60.0))
        if not legs:
            continue
        hip = np.array([side * 90 * kx, 0.0, L.crotch + 30 * kz])
        kn = np.array([side * 95 * kx, 0.0, L.knee])
        an = np.array([side * 95 * kx, 10.0, L.ankle + 20 * kz])
        _limb(cv, np.stack([hip, kn, an]), np.array([85, 58, 35]) * kx, fat_l)
        cv.context[f"knee-{side}"] = kn
        foot = np.stack([an + np.array([0, 20, -40 * kz]), an + np.array([0, -170 * p.ky, -55 * kz])])
        _limb(cv, foot, np.array([40, 30]) * kx, 2.0)


def paint_hand_only(cv: Canvas, p: BodyParams, side: int = -1) -> None:
    """Forearm and hand of one arm only (a hand/wrist radiograph: the rest of the body is out of the field)."""
    for name, mat in STRUCTURES:
        cv.define(name, mat)
    L = landmarks(p)
    cv.context["landmarks"] = L
    cv.context["params"] = p
    cv.context["inner_scale"] = 1.0
    _limbs(cv, p, L, sides=(side,), legs=False)
    from .skeleton import arm_bones

    arm_bones(cv, p, L, sides=(side,))


def _neck_and_head(cv: Canvas, p: BodyParams, L: Landmarks) -> None:
    kz, kx, ky = p.kz, p.kx, p.ky
    hs = 0.75 if p.child else 1.0
    r_neck = np.array([58, 55]) * (kx if not p.child else 0.75)
    pts = np.array([[0, 10 * ky, L.shoulder - 40 * kz], [0, 15 * ky, L.neck_top + 20 * kz]])
    _limb(cv, pts, r_neck, 4.0)
    # head: face soft tissue, the MNI brain/skull/scalp, then the facial skeleton
    bs = head.brain_scale(p.masses["brain"])
    hc = (0.0, 0.0, L.head_centre)
    fs = bs * (0.8 if p.child else 1.0)  # a child's face is small for its brain
    face.paint_face_soft_tissue(cv, np.array(hc), fs)
    head.paint_head(cv, hc, bs, hs)
    trachea_top = np.array([0, -20 * ky, L.neck_top - 20 * kz])
    cv.context["face"] = face.paint_face_bones(cv, np.array(hc), fs, trachea_top)
    # orbits, eyes, lenses; sinus and nasal air inside the facial bones (no frontal sinus before ~7 y)
    for side in (-1, 1):
        oc = (side * 32 * bs, -62 * bs, L.head_centre - 5 * bs)
        cv.ellipsoid("orbit-fat", oc, (19 * bs, 22 * bs, 17 * bs))
        ec = (oc[0], oc[1] - 6 * bs, oc[2])
        cv.ellipsoid("eye", ec, (12 * bs, 12 * bs, 12 * bs))
        cv.ellipsoid("eye-lens", (ec[0], ec[1] - 9.5 * bs, ec[2]), (4.5 * bs, 2.0 * bs, 4.5 * bs))
        cv.ellipsoid("sinus", (side * 28 * fs, -50 * fs, L.head_centre - 45 * fs), (14 * fs, 16 * fs, 16 * fs))
    if not p.child:
        cv.ellipsoid("sinus", (0.0, -78 * bs, L.head_centre + 25 * bs), (14 * bs, 6 * bs, 10 * bs))
    cv.ellipsoid("nasal-cavity", (0.0, -60 * fs, L.head_centre - 40 * fs), (8 * fs, 25 * fs, 22 * fs))
    # neck structures
    cv.tube("trachea", np.array([[0, -20 * ky, L.neck_top - 20 * kz], [0, -5 * ky, L.carina]]), 9 * kx)
    cv.tube(
        "oesophagus",
        np.array([[0, 8 * ky, L.neck_top - 25 * kz], [5, 15 * ky, L.carina], [20 * kx, 5, L.diaphragm - 20 * kz]]),
        7 * kx,
        outside=("trachea",),
    )
    m_th = p.masses["thyroid"] / 2
    r_th = _fit_axes("ellipsoid", _vol_cm3(m_th, "thyroid"), (1.0, 1.0, 2.2))
    for side in (-1, 1):
        cv.ellipsoid("thyroid", (side * 18 * kx, -22 * ky, L.shoulder + 25 * kz), r_th, outside=("trachea",))


def _thorax(cv: Canvas, p: BodyParams, L: Landmarks) -> None:
    kz, kx, ky = p.kz, p.kx, p.ky
    sc = cv.context["inner_scale"]
    m = p.masses
    br = p.breath_mm
    # heart: outer ellipsoid = myocardium + chamber blood (ICRP 89: heart wall 330 g, blood ~510 g adult male)
    blood_frac = 510.0 / 330.0
    v_wall = _vol_cm3(m["heart"], "heart")
    v_blood = v_wall * blood_frac * get_material("heart").density_g_cm3 / get_material("blood").density_g_cm3
    rot = rotation_matrix(0, 25, -40)  # long axis toward left, anterior, inferior
    r_out = _fit_axes("ellipsoid", v_wall + v_blood, (1.0, 0.8, 0.75))
    hc = (20 * kx * sc, -35 * ky * sc, L.diaphragm + 65 * kz - br * 0.5)
    cv.rotated_ellipsoid("heart", hc, r_out, rot.T)

    # chambers: four ellipsoids, volume shares LV 0.3 RV 0.3 LA 0.2 RA 0.2 (calibrated for overlap)
    def ch(name: str, share: float, off: tuple[float, float, float], prop: tuple[float, float, float]) -> None:
        r = _fit_axes("ellipsoid", v_blood * share * 1.08, prop)
        c = tuple(np.asarray(hc) + rot @ (np.asarray(off) * np.asarray(r_out)))
        cv.rotated_ellipsoid(name, c, r, rot.T, inside=("heart",))

    ch("heart-lv", 0.3, (0.25, 0.25, -0.2), (1.4, 0.9, 0.9))
    ch("heart-rv", 0.3, (0.2, -0.35, 0.15), (1.3, 0.7, 0.9))
    ch("heart-la", 0.2, (-0.5, 0.25, 0.2), (1.0, 1.0, 0.9))
    ch("heart-ra", 0.2, (-0.45, -0.2, -0.3), (1.0, 1.0, 0.9))
    cv.context["heart"] = (hc, r_out, rot)
    # great vessels
    root = np.asarray(hc) + rot @ (np.array([-0.4, 0.0, 0.3]) * np.asarray(r_out))
    arch_top = L.carina + 45 * kz
    aorta = np.array(
        [
            root,
            [0, -25 * ky, arch_top - 10 * kz],
            [10 * kx, 0, arch_top],
            [20 * kx, 30 * ky, arch_top - 20 * kz],
            [18 * kx, 35 * ky, L.diaphragm - 40 * kz],
            [8 * kx, 20 * ky, L.l1],
            [5 * kx, 15 * ky, L.iliac_crest - 10 * kz],
        ]
    )
    cv.tube("aorta", aorta, 12 * kx, outside=("heart-lv", "heart-rv", "heart-la", "heart-ra"))
    for s in (-1, 1):
        cv.tube(
            "aorta",
            np.array([aorta[-1], [s * 60 * kx, 10 * ky, L.hip + 20 * kz], [s * 95 * kx, -15 * ky, L.hip - 40 * kz]]),
            6.5 * kx,
        )
    ra = np.asarray(hc) + rot @ (np.array([-0.45, -0.2, -0.3]) * np.asarray(r_out))
    cv.tube(
        "vena-cava",
        np.array(
            [[-22 * kx, 0, L.iliac_crest - 10 * kz], [-25 * kx, 5 * ky, L.l1], [-25 * kx, 0, L.diaphragm - 20 * kz], ra]
        ),
        11 * kx,
        outside=("aorta", "heart-lv", "heart-rv", "heart-la", "heart-ra"),
    )
    cv.tube("vena-cava", np.array([ra, [-25 * kx, -20 * ky, arch_top + 20 * kz]]), 9 * kx, outside=("aorta",))
    rv = np.asarray(hc) + rot @ (np.array([0.2, -0.35, 0.15]) * np.asarray(r_out))
    cv.tube("pulmonary-artery", np.array([rv, [-5 * kx, -15 * ky, L.carina - 5 * kz]]), 12 * kx, outside=("aorta",))
    # bronchi
    for s in (-1, 1):
        cv.tube(
            "bronchi",
            np.array([[0, -5 * ky, L.carina], [s * 45 * kx, 5 * ky, L.carina - 30 * kz]]),
            6 * kx,
            outside=("aorta", "pulmonary-artery", "vena-cava"),
        )
    # lungs: domed bases follow the diaphragm (descends by breath_mm); masses from ICRP 89 (lungs incl. blood)
    v_lung = _vol_cm3(m["lungs"] / 2, "lung")
    apex = L.shoulder + 25 * kz
    protect = (
        "heart",
        "heart-lv",
        "heart-rv",
        "heart-la",
        "heart-ra",
        "aorta",
        "vena-cava",
        "pulmonary-artery",
        "trachea",
        "bronchi",
        "oesophagus",
    )
    for side, name in ((-1, "lung-right"), (1, "lung-left")):
        # exhale proportions; the axis in z is found so the volume matches, then inspiration extends the base
        a0, b0, c0 = _fit_axes("lung", v_lung * 1.12, (0.42, 0.62, 1.0))
        half_h = c0 + br / 2
        c = (side * (a0 + 18 * kx * sc), 15 * ky * sc, apex - half_h)
        paint_shape(cv, name, "lung", c, (a0, b0, half_h), outside=protect)
        cv.context[name] = (c, (a0, b0, half_h))
    # breasts
    mb = m["breasts"] / 2
    if mb > 5:
        for side, name in ((-1, "breast-right"), (1, "breast-left")):
            r = _fit_axes("ellipsoid", _vol_cm3(mb, "breast-glandular") * 2.0, (1.0, 0.75, 0.9))
            c = (
                side * 85 * kx,
                -float(np.interp(L.carina - 60 * kz, L.trunk_z, L.trunk_b)) + 5 * ky,
                L.carina - 60 * kz,
            )
            cv.ellipsoid("breast-fat", c, (r[0] + 6, r[1] + 6, r[2] + 6), outside=("muscle",))
            cv.ellipsoid(name, c, r, outside=("muscle", "skin"))
            cv.ellipsoid(
                "skin",
                c,
                (r[0] + 8, r[1] + 8, r[2] + 8),
                outside=(
                    name,
                    "breast-fat",
                    "muscle",
                    "subcutaneous-fat",
                    "mediastinum",
                    "visceral-fat",
                    "lung-left",
                    "lung-right",
                    "heart",
                    "skin",
                ),
            )


def _abdomen(cv: Canvas, p: BodyParams, L: Landmarks, rng: np.random.Generator) -> None:
    kz, kx, ky = p.kz, p.kx, p.ky
    sc = cv.context["inner_scale"]
    m = p.masses
    dz = -p.breath_mm  # abdominal organs move down with the diaphragm
    protect = ("aorta", "vena-cava")
    # liver (right upper quadrant, dome under the right hemidiaphragm)
    ax = _fit_axes("liver", _vol_cm3(m["liver"], "liver"), (1.0, 0.7, 0.62))
    lc = (-52 * kx * sc, -22 * ky * sc, L.diaphragm - ax[2] + 12 * kz + dz)
    paint_shape(cv, "liver", "liver", lc, ax, outside=protect)
    cv.context["liver"] = (lc, ax)
    gb = (-55 * kx * sc, -45 * ky * sc, lc[2] - 0.65 * ax[2])
    cv.ellipsoid("gallbladder", gb, (14 * kx, 14 * ky, 38 * kz))
    cv.context["gallbladder"] = gb
    # spleen (left upper quadrant, posterior)
    r_sp = _fit_axes("ellipsoid", _vol_cm3(m["spleen"], "spleen"), (0.55, 0.4, 1.0))
    spc = (105 * kx * sc, 45 * ky * sc, L.diaphragm - 55 * kz + dz)
    cv.ellipsoid("spleen", spc, r_sp)
    cv.context["spleen"] = (spc, r_sp)
    # stomach: wall, contents and a gas cap
    stc = (55 * kx * sc, -20 * ky * sc, L.diaphragm - 70 * kz + dz)
    r_st = np.array([48, 40, 70]) * np.array([kx, ky, kz])
    cv.ellipsoid("stomach-wall", stc, tuple(r_st), outside=("liver", "spleen"))
    cv.ellipsoid("stomach-contents", stc, tuple(r_st - 4), inside=("stomach-wall",))
    cv.ellipsoid(
        "stomach-gas",
        (stc[0], stc[1] - 10 * ky, stc[2] + 45 * kz),
        (30 * kx, 22 * ky, 22 * kz),
        inside=("stomach-contents",),
    )
    # kidneys: cortex shell + medulla, hilum at L1
    v_k = _vol_cm3(m["kidneys"] / 2, "kidney-cortex")
    r_k = _fit_axes("ellipsoid", v_k, (0.42, 0.3, 1.0))
    for side, nm in ((-1, "right"), (1, "left")):
        kc = (side * 72 * kx * sc, 58 * ky * sc, L.l1 + (-30 * kz if side < 0 else -5 * kz) + dz * 0.6)
        cv.ellipsoid(f"kidney-{nm}-cortex", kc, r_k, outside=("liver", "spleen"))
        cv.ellipsoid(f"kidney-{nm}-medulla", kc, tuple(0.72 * np.asarray(r_k)), inside=(f"kidney-{nm}-cortex",))
        cv.context[f"kidney-{nm}"] = (kc, r_k)
    # pancreas: elongated, head near duodenum (right), tail toward the spleen
    r_p = _fit_axes("ellipsoid", _vol_cm3(m["pancreas"], "pancreas"), (1.0, 0.18, 0.22))
    pc = (25 * kx * sc, -12 * ky * sc, L.l1 - 5 * kz + dz * 0.6)
    cv.rotated_ellipsoid("pancreas", pc, r_p, rotation_matrix(0, -12, 15).T, outside=("aorta", "vena-cava", "liver"))
    # psoas muscles
    for s in (-1, 1):
        cv.tube(
            "psoas",
            np.array(
                [
                    [s * 30 * kx, 35 * ky, L.l1 + 30 * kz],
                    [s * 55 * kx, 40 * ky, L.iliac_crest - 20 * kz],
                    [s * 80 * kx, 0, L.hip],
                ]
            ),
            np.array([10, 22, 18]) * kx,
            outside=protect + ("kidney-left-cortex", "kidney-right-cortex"),
        )
    # colon frame: caecum -> ascending -> transverse -> descending -> sigmoid -> rectum
    rc = 22 * kx
    top = L.l1 + 20 * kz + dz * 0.5
    colon = np.array(
        [
            [-75, -30, L.iliac_crest - 60 * kz],
            [-85, 0, L.iliac_crest],
            [-85, 0, top],
            [-40, -60, top - 20 * kz],
            [40, -60, top - 10 * kz],
            [90, 10, top + 20 * kz],
            [90, 20, L.iliac_crest],
            [70, 0, L.iliac_crest - 70 * kz],
            [10, 20, L.hip - 10 * kz],
            [0, 60, L.crotch + 60 * kz],
        ],
        dtype=float,
    )
    colon[:, 0] *= kx * sc
    colon[:, 1] *= ky * sc
    organs = (
        "liver",
        "spleen",
        "stomach-wall",
        "stomach-contents",
        "stomach-gas",
        "kidney-left-cortex",
        "kidney-right-cortex",
        "kidney-left-medulla",
        "kidney-right-medulla",
        "pancreas",
        "gallbladder",
        "psoas",
        "aorta",
        "vena-cava",
    )
    # haustra: the colon narrows every ~30 mm (semilunar folds); resampled every 4 mm
    seg = np.linalg.norm(np.diff(colon, axis=0), axis=1)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    sd = np.arange(0.0, cum[-1], 4.0)
    cpts = np.stack([np.interp(sd, cum, colon[:, k]) for k in range(3)], axis=1)
    r_col = rc * (0.9 + 0.1 * np.cos(2 * np.pi * sd / (30.0 * kz)))
    cv.tube("colon", cpts, r_col, outside=organs)
    cv.tube("colon-contents", cpts, r_col - 3, inside=("colon",))
    # gas pockets in the non-dependent (anterior) colon
    for k in rng.choice(len(colon), size=4, replace=False):
        g = colon[k] + np.array([0, -10 * ky, 0])
        cv.ellipsoid("bowel-gas", tuple(g), (14 * kx, 10 * ky, 14 * kz), inside=("colon-contents",))
    # small bowel (~3 m): serpentine loops in three layers front to back filling the central abdomen,
    # jejunum (upper left) to ileum (lower right); seeded jitter
    loop_pts: list[list[float]] = []
    zb0, zb1 = L.iliac_crest - 85 * kz, L.l1 - 10 * kz + dz * 0.5
    nrow = 7
    for layer, y0 in enumerate((-62.0, -36.0, -10.0)):
        rows = range(nrow) if layer % 2 == 0 else range(nrow - 1, -1, -1)
        for i in rows:
            z = zb1 - (zb1 - zb0) * i / (nrow - 1)
            xs = np.linspace(62, -62, 5) * kx * sc
            if (i + layer) % 2:
                xs = xs[::-1]
            for x in xs:
                loop_pts.append([x + rng.uniform(-7, 7), (y0 + rng.uniform(-6, 6)) * ky * sc, z + rng.uniform(-5, 5)])
    loops = np.asarray(loop_pts)
    cv.tube("small-bowel", loops, 12.5 * kx, outside=organs + ("colon", "colon-contents", "bowel-gas"))
    cv.tube("small-bowel-contents", loops, 9.5 * kx, inside=("small-bowel",))
    for k in rng.choice(np.nonzero(loops[:, 1] < -45 * ky * sc)[0], size=3, replace=False):  # a few gas bubbles
        g = loops[k] + np.array([0, -5 * ky, 0])
        cv.ellipsoid("bowel-gas", tuple(g), (8 * kx, 5 * ky, 7 * kz), inside=("small-bowel-contents",))
    # bladder and pelvic organs
    bc = (0.0, -40 * ky * sc, L.hip - 5 * kz)
    rb = np.array([45, 35, 35]) * np.array([kx, ky, kz])
    cv.ellipsoid("bladder-wall", bc, tuple(rb), outside=("colon", "colon-contents"))
    cv.ellipsoid("urine", bc, tuple(rb - 3), inside=("bladder-wall",))
    cv.context["bladder"] = (bc, tuple(rb))
    if p.female:
        cv.ellipsoid("uterus", (0, 10 * ky, L.hip + 25 * kz), (28, 22, 40), outside=("bladder-wall", "urine", "colon"))
    elif not p.child:
        cv.ellipsoid("prostate", (0, -30 * ky, L.hip - 50 * kz), (20, 15, 15), outside=("bladder-wall", "urine"))
