"""Stylised skeleton: spine, ribs, sternum, clavicles, scapulae, pelvis, limb bones, hand and foot bones.

Bones are cortical shells around cancellous bone (and yellow marrow in long-bone shafts), built from
tubes along centrelines and ellipsoids. Dimensions are adult-male reference values (mm) scaled by the
body's kx/ky/kz; thicknesses are chosen so the total skeleton mass (with the MNI-derived skull) is
close to ICRP 89's reference skeleton (Table 2.8: 10.5 kg male, 7.8 kg female).
Centrelines of ribs and the positions of carpals are stored in ``canvas.context`` for lesion placement.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from . import extremities

if TYPE_CHECKING:
    from .body import BodyParams, Landmarks
    from .grid import Canvas


def bone_tube(
    cv: Canvas,
    bone: str,
    pts: np.ndarray,
    r: float | np.ndarray,
    cortex: float,
    marrow: float | None = None,
    **kw: Any,
) -> None:
    """Cortical tube with cancellous core; optional yellow-marrow cavity of radius ``marrow`` (mid-shaft)."""
    r = np.asarray(r, dtype=float)
    cv.tube(f"{bone}-cortical", pts, r, **kw)
    cv.tube(f"{bone}-cancellous", pts, np.maximum(r - cortex, 0.3), inside=(f"{bone}-cortical",))
    if marrow is not None and len(pts) >= 2:
        a, b = np.asarray(pts[0], float), np.asarray(pts[-1], float)
        mid = np.stack([a + (b - a) * t for t in (0.2, 0.8)])
        cv.tube(f"{bone}-marrow", mid, marrow, inside=(f"{bone}-cancellous",))


def bone_ellipsoid(
    cv: Canvas, bone: str, c: tuple[float, float, float], r: tuple[float, float, float], cortex: float, **kw: Any
) -> None:
    cv.ellipsoid(f"{bone}-cortical", c, r, **kw)
    cv.ellipsoid(f"{bone}-cancellous", c, tuple(max(x - cortex, 0.3) for x in r), inside=(f"{bone}-cortical",))


def spine_y(p: BodyParams, L: Landmarks, z: np.ndarray | float) -> np.ndarray:
    """Antero-posterior position of vertebral-body centres (lordosis/kyphosis)."""
    zs = np.array([L.crotch + 60 * p.kz, L.iliac_crest, L.l1, L.carina, L.shoulder, L.neck_top])
    ys = np.array([70, 40, 35, 55, 45, 20]) * p.ky
    return np.asarray(np.interp(z, zs, ys))


def paint_skeleton(cv: Canvas, p: BodyParams, L: Landmarks) -> None:
    _spine(cv, p, L)
    _ribs(cv, p, L)
    _shoulder_girdle(cv, p, L)
    _pelvis_and_legs(cv, p, L)
    _arms_and_hands(cv, p, L)


def _spine(cv: Canvas, p: BodyParams, L: Landmarks) -> None:
    kx, kz = p.kx, p.kz
    z_top, z_l5 = L.neck_top - 5 * kz, L.iliac_crest - 50 * kz
    n = 24  # C1-C7, T1-T12, L1-L5
    # vertebra heights grow caudally: cervical 0.6, thoracic 1.0, lumbar 1.35 (relative)
    rel = np.array([0.6] * 7 + [1.0] * 12 + [1.35] * 5)
    edges = z_top - np.concatenate([[0], np.cumsum(rel)]) / rel.sum() * (z_top - z_l5)
    levels = {}
    for i in range(n):
        zt, zb = edges[i], edges[i + 1]
        h = zt - zb
        zc = 0.5 * (zt + zb)
        yc = float(spine_y(p, L, zc))
        a, b = (12, 10) if i < 7 else (18, 14.5) if i < 12 else (23.5, 18) if i < 19 else (28, 20.5)
        a, b = a * kx, b * p.ky
        body_z0, body_z1 = zb + 0.12 * h, zt - 0.12 * h
        cv.elliptic_cylinder("vertebra-cortical", (0, yc), (a, b), body_z0, body_z1)
        cv.elliptic_cylinder("vertebra-cancellous", (0, yc), (a - 1.8, b - 1.8), body_z0 + 1.5, body_z1 - 1.5)
        cv.elliptic_cylinder(
            "intervertebral-disc",
            (0, yc),
            (a * 0.95, b * 0.95),
            zb - 0.12 * h,
            zb + 0.12 * h,
            outside=("vertebra-cortical", "vertebra-cancellous"),
        )
        # posterior arch around the canal, spinous and transverse processes
        yb = yc + b
        canal = 7.0 * kx if i < 19 else 8.0 * kx
        ring = np.array(
            [
                [-a * 0.5, yb - 2, zc],
                [-canal - 3, yb + canal, zc],
                [0, yb + 2 * canal + 3, zc],
                [canal + 3, yb + canal, zc],
                [a * 0.5, yb - 2, zc],
            ]
        )
        rr = 3.2 * kx if i >= 7 else 2.5 * kx
        bone_tube(cv, "vertebra", ring, rr, 1.0)
        sp_len = (12 if i < 7 else 28 if i < 19 else 26) * p.ky
        bone_tube(
            cv,
            "vertebra",
            np.array([[0, yb + 2 * canal + 3, zc], [0, yb + 2 * canal + 3 + sp_len, zc - 0.3 * h]]),
            rr,
            1.0,
        )
        tp = (20 if i < 7 else 32 if i < 19 else 38) * kx
        for s in (-1, 1):
            bone_tube(
                cv, "vertebra", np.array([[s * (canal + 2), yb + canal, zc], [s * tp, yb + canal + 4, zc]]), rr, 1.0
            )
        cv.tube(
            "spinal-cord",
            np.array([[0, yb + canal, zb], [0, yb + canal, zt]]),
            canal * 0.6,
            outside=("vertebra-cortical", "vertebra-cancellous"),
        )
        name = f"C{i + 1}" if i < 7 else f"T{i - 6}" if i < 19 else f"L{i - 18}"
        levels[name] = (zc, yc)
    cv.context["vertebrae"] = levels


def _ribs(cv: Canvas, p: BodyParams, L: Landmarks) -> None:
    kx, ky, kz = p.kx, p.ky, p.kz
    levels = cv.context["vertebrae"]
    sc = float(cv.context.get("inner_scale", 1.0))  # type: ignore[arg-type]
    ribs = {}
    theta_max = [0.78, 0.82, 0.84, 0.85, 0.85, 0.85, 0.84, 0.78, 0.72, 0.66, 0.5, 0.38]
    for i in range(12):
        zc, yc = levels[f"T{i + 1}"]
        zc = float(zc)
        wall_a = float(np.interp(zc - 40 * kz, L.trunk_z, L.trunk_a)) * sc
        wall_b = float(np.interp(zc - 40 * kz, L.trunk_z, L.trunk_b)) * sc
        taper = min(1.0, 0.55 + 0.15 * i)  # upper ribs are short and tight (rib 1 hugs the apex)
        A = (wall_a - (2 + p.fat_mm * min(sc, 1.0) + 10 * kx)) * taper
        B = wall_b - (2 + p.fat_mm * min(sc, 1.0) + 8 * ky)
        drop = (70 + 4 * i) * kz
        r = (4.6 if i < 2 else 5.8) * kx
        th = np.linspace(0.08, theta_max[i] * np.pi, 40)
        for s in (-1, 1):
            x = s * A * np.sin(th)
            y = 5 * ky + B * np.cos(th) * (0.9 + 0.1 * taper)
            y = np.minimum(y, yc + 8)
            z = zc - drop * (1 - np.cos(th)) / 2
            pts = np.stack([x, y, z], axis=1)
            pts[0] = [s * 12 * kx, yc + 10, zc]
            bone_tube(cv, "rib", pts, r, 1.1)
            ribs[(i + 1, s)] = pts
            if i < 10:  # costal cartilage toward the sternum
                tip = pts[-1]
                st = np.array(
                    [
                        s * 14 * kx,
                        -float(np.interp(tip[2], L.trunk_z, L.trunk_b)) * sc + 28 * ky,
                        max(tip[2] + 15 * kz, L.diaphragm + 15 * kz) if i >= 7 else tip[2] + 10 * kz,
                    ]
                )
                cv.tube("costal-cartilage", np.stack([tip, st]), r * 0.9, outside=("rib-cortical", "rib-cancellous"))
    cv.context["ribs"] = ribs


def _shoulder_girdle(cv: Canvas, p: BodyParams, L: Landmarks) -> None:
    kx, ky, kz = p.kx, p.ky, p.kz
    sc = float(cv.context.get("inner_scale", 1.0))  # type: ignore[arg-type]
    z0, z1 = L.diaphragm + 5 * kz, L.shoulder - 15 * kz
    yb = -float(np.interp(L.carina, L.trunk_z, L.trunk_b)) * sc + 22 * ky
    cv.elliptic_cylinder("sternum-cortical", (0, yb), (17 * kx, 8 * ky), z0, z1)
    cv.elliptic_cylinder("sternum-cancellous", (0, yb), (15 * kx, 6 * ky), z0 + 2, z1 - 2)
    cv.context["sternum"] = (yb, z0, z1)
    for s in (-1, 1):
        clav = np.array(
            [
                [s * 22 * kx, yb - 2, z1 + 2],
                [s * 80 * kx, -45 * ky, z1 + 10 * kz],
                [s * (L.arm_x - 45 * kx), 10 * ky, L.shoulder - 5 * kz],
            ]
        )
        bone_tube(cv, "clavicle", clav, 7.5 * kx, 2.0)
        # scapula: thin triangular plate behind the ribs
        yp = float(np.interp(L.carina, L.trunk_z, L.trunk_b)) * sc - 22 * ky
        v = np.array(
            [
                [s * 70 * kx, L.shoulder - 40 * kz],
                [s * (L.arm_x - 50 * kx), L.shoulder - 30 * kz],
                [s * 95 * kx, L.carina - 120 * kz],
            ]
        )

        def tri(Z, Y, X, v=v, yp=yp):  # noqa: ANN001
            (x0, z0_), (x1, z1_), (x2, z2_) = v
            det = (z1_ - z2_) * (x0 - x2) + (x2 - x1) * (z0_ - z2_)
            l1 = ((z1_ - z2_) * (X - x2) + (x2 - x1) * (Z - z2_)) / det
            l2 = ((z2_ - z0_) * (X - x2) + (x0 - x2) * (Z - z2_)) / det
            return (l1 >= 0) & (l2 >= 0) & (l1 + l2 <= 1) & (np.abs(Y - yp) <= 4.0 * ky)

        xs = v[:, 0]
        cv.paint("scapula-cortical", tri, (xs.min(), xs.max(), yp - 5, yp + 5, v[:, 1].min(), v[:, 1].max()))
        bone_tube(
            cv,
            "scapula",
            np.array(
                [[s * 75 * kx, yp + 4, L.shoulder - 60 * kz], [s * (L.arm_x - 40 * kx), yp - 10, L.shoulder - 25 * kz]]
            ),
            6 * kx,
            1.5,
        )
        glen = (s * (L.arm_x - 45 * kx), 5.0, L.shoulder - 25 * kz)
        bone_ellipsoid(cv, "scapula", glen, (8 * kx, 16 * ky, 18 * kz), 1.5)


def _pelvis_and_legs(cv: Canvas, p: BodyParams, L: Landmarks) -> None:
    kx, ky, kz = p.kx, p.ky, p.kz
    # sacrum: tilted wedge between the iliac bones
    sc_c = (0.0, 75 * ky, L.hip + 70 * kz)
    bone_ellipsoid(cv, "sacrum", sc_c, (42 * kx, 18 * ky, 60 * kz), 1.5)
    for s in (-1, 1):
        hipj = np.array([s * 92 * kx, -5 * ky, L.hip])
        # ilium: curved plate (part of an ellipsoidal shell) from the sacroiliac joint to the crest
        ic = (s * 40 * kx, 20 * ky, L.hip + 45 * kz)
        ra = (110 * kx, 75 * ky, 110 * kz)

        def wing(Z, Y, X, ic=ic, ra=ra, s=s, t=10.0):  # noqa: ANN001
            q = ((X - ic[0]) / ra[0]) ** 2 + ((Y - ic[1]) / ra[1]) ** 2 + ((Z - ic[2]) / ra[2]) ** 2
            qi = ((X - ic[0]) / (ra[0] - t)) ** 2 + ((Y - ic[1]) / (ra[1] - t)) ** 2 + ((Z - ic[2]) / (ra[2] - t)) ** 2
            return (q <= 1) & (qi >= 1) & (s * X > 35 * kx) & (L.hip + 20 * kz < Z) & (-45 * ky < Y) & (85 * ky > Y)

        bb = (
            min(s * 35 * kx, ic[0] + s * ra[0]),
            max(s * 35 * kx, ic[0] + s * ra[0]),
            -45 * ky,
            85 * ky,
            L.hip + 20 * kz,
            ic[2] + ra[2],
        )
        cv.paint("pelvis-cortical", wing, bb)

        def core(Z, Y, X, ic=ic, ra=ra):  # noqa: ANN001, ANN202
            return wing_core(Z, Y, X, ic, ra)

        cv.paint("pelvis-cancellous", core, bb, inside=("pelvis-cortical",))
        # acetabulum cup + rami
        bone_ellipsoid(cv, "pelvis", (s * 100 * kx, 0.0, L.hip + 12 * kz), (32 * kx, 32 * ky, 30 * kz), 2.0)
        pub = np.array([hipj + [-s * 10 * kx, -10 * ky, 0], [s * 15 * kx, -60 * ky, L.hip - 25 * kz]])
        bone_tube(cv, "pelvis", pub, 10 * kx, 1.8)
        isch = np.array(
            [
                hipj + [0, 15 * ky, -20 * kz],
                [s * 60 * kx, 30 * ky, L.hip - 60 * kz],
                [s * 20 * kx, -40 * ky, L.hip - 45 * kz],
            ]
        )
        bone_tube(cv, "pelvis", isch, 11 * kx, 1.8)
        # femur: head, neck, greater trochanter; shaft, distal femur, knee, tibia and fibula (extremities)
        cv.context[f"hip-{s}"] = hipj
        bone_ellipsoid(cv, "femur", tuple(hipj), (24 * kx, 24 * kx, 24 * kx), 1.5)
        troch = np.array([s * 140 * kx, 5 * ky, L.hip - 10 * kz])
        bone_tube(cv, "femur", np.stack([hipj, troch]), 17 * kx, 2.0)
        bone_ellipsoid(cv, "femur", tuple(troch + [0, 0, 5 * kz]), (20 * kx, 22 * ky, 30 * kz), 1.5)
        ank = np.array([s * 95 * kx, 15 * ky, L.ankle + 30 * kz])
        knee_ctx = extremities.paint_knee_bones(cv, p, L, s, troch, ank)
        cv.context[f"knee-joint-{s}"] = knee_ctx["knee-joint"]
        # foot bones (talus, calcaneus, midfoot/metatarsal block)
        cv.ellipsoid("foot-bones", tuple(ank + [0, 0, -20 * kz]), (20 * kx, 25 * ky, 15 * kz))
        cv.ellipsoid("foot-bones", tuple(ank + [0, 30 * ky, -45 * kz]), (18 * kx, 38 * ky, 20 * kz))
        cv.ellipsoid("foot-bones", tuple(ank + [0, -80 * ky, -45 * kz]), (34 * kx, 75 * ky, 13 * kz))


def wing_core(Z, Y, X, ic, ra, t_out=1.8, t=10.0):  # noqa: ANN001, ANN201
    """Cancellous core of the iliac wing (shell between 1.8 mm and 6.2 mm depth)."""
    q = (
        ((X - ic[0]) / (ra[0] - t_out)) ** 2
        + ((Y - ic[1]) / (ra[1] - t_out)) ** 2
        + ((Z - ic[2]) / (ra[2] - t_out)) ** 2
    )
    ti = t - t_out
    qi = ((X - ic[0]) / (ra[0] - ti)) ** 2 + ((Y - ic[1]) / (ra[1] - ti)) ** 2 + ((Z - ic[2]) / (ra[2] - ti)) ** 2
    return (q <= 1) & (qi >= 1)


def _arms_and_hands(cv: Canvas, p: BodyParams, L: Landmarks) -> None:
    arm_bones(cv, p, L, sides=(-1, 1))


def arm_bones(cv: Canvas, p: BodyParams, L: Landmarks, sides: tuple[int, ...] = (-1, 1)) -> None:
    """Humerus, radius and ulna, carpals, metacarpals and phalanges of the given sides (-1 right, +1 left)."""
    kx, kz = p.kx, p.kz
    carpals: dict[str, np.ndarray] = dict(cv.context.get("carpals", {}))  # type: ignore[call-overload]
    for s in sides:
        sh, el, wr = (np.asarray(v, float) for v in cv.context[f"arm-{s}"])  # type: ignore[attr-defined]
        head_c = sh + np.array([-s * 5 * kx, 0, 0])
        bone_ellipsoid(cv, "humerus", tuple(head_c), (23 * kx, 23 * kx, 23 * kx), 1.5)
        bone_tube(cv, "humerus", np.stack([head_c, el + [0, 0, 25 * kz]]), 13.5 * kx, 4.0, marrow=7.0 * kx)
        bone_ellipsoid(cv, "humerus", tuple(el + [0, 0, 12 * kz]), (30 * kx, 14 * kx, 14 * kz), 1.5)
        # forearm (anatomical position, palm forward): radius lateral (thumb side), ulna medial
        lat = np.array([s * 13 * kx, 0, 0])
        fr = cv.context[f"hand-frame-{s}"]
        ctx = extremities.paint_hand_bones(
            cv,
            fr,  # type: ignore[arg-type]
            {"radius": el + lat + [0, -3, -10 * kz], "ulna": el - lat + [0, 8, 5 * kz]},
        )
        cv.context[f"radius-{s}"] = ctx["radius"]
        for name in extremities._CARPALS:
            carpals[f"{name}-{s}"] = ctx[name]  # type: ignore[assignment]
            carpals[f"{name}-axis-{s}"] = ctx[f"{name}-axis"]  # type: ignore[assignment]
    cv.context["carpals"] = carpals
