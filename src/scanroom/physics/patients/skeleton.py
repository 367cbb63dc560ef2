"""Stylised skeleton: spine, ribs, sternum, clavicles, scapulae, pelvis, limb bones, hand and foot bones.

Bones are cortical shells around cancellous bone (and yellow marrow in long-bone shafts), built from
tubes along centrelines and ellipsoids. Dimensions are adult-male reference values (mm) scaled by the
body's kx/ky/kz; thicknesses are chosen so the total skeleton mass (with the MNI-derived skull) is
close to ICRP 89's reference skeleton (Table 2.8: 10.5 kg male, 7.8 kg female).
Centrelines of ribs and the positions of carpals are stored in ``canvas.context`` for lesion placement.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

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
    **kw: object,
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
    cv: Canvas, bone: str, c: tuple[float, float, float], r: tuple[float, float, float], cortex: float, **kw: object
) -> None:
    cv.ellipsoid(f"{bone}-cortical", c, r, **kw)
    cv.ellipsoid(f"{bone}-cancellous", c, tuple(max(x - cortex, 0.3) for x in r), inside=(f"{bone}-cortical",))


def spine_y(p: BodyParams, L: Landmarks, z: np.ndarray | float) -> np.ndarray:
    """Antero-posterior position of vertebral-body centres (lordosis/kyphosis)."""
    zs = np.array([L.crotch + 60 * p.kz, L.iliac_crest, L.l1, L.carina, L.shoulder, L.neck_top])
    ys = np.array([70, 40, 35, 55, 45, 20]) * p.ky
    return np.interp(z, zs, ys)


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
        cv.paint(
            "pelvis-cancellous",
            lambda Z, Y, X, ic=ic, ra=ra: wing_core(Z, Y, X, ic, ra),
            bb,
            inside=("pelvis-cortical",),
        )
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
        # femur: head, neck, shaft with marrow cavity, condyles
        cv.context[f"hip-{s}"] = hipj
        bone_ellipsoid(cv, "femur", tuple(hipj), (24 * kx, 24 * kx, 24 * kx), 1.5)
        troch = np.array([s * 140 * kx, 5 * ky, L.hip - 10 * kz])
        bone_tube(cv, "femur", np.stack([hipj, troch]), 17 * kx, 2.0)
        bone_ellipsoid(cv, "femur", tuple(troch + [0, 0, 5 * kz]), (20 * kx, 22 * ky, 30 * kz), 1.5)
        knee = np.array([s * 95 * kx, 5 * ky, L.knee])
        shaft = np.stack([troch + [-s * 8 * kx, 0, -20 * kz], knee + [0, 0, 60 * kz]])
        bone_tube(cv, "femur", shaft, 16.0 * kx, 5.5, marrow=8.5 * kx)
        for d in (-1, 1):
            bone_ellipsoid(cv, "femur", tuple(knee + [d * 22 * kx, 8 * ky, 20 * kz]), (20 * kx, 30 * ky, 26 * kz), 1.5)
        cv.context[f"knee-joint-{s}"] = knee
        bone_ellipsoid(cv, "patella", tuple(knee + [0, -40 * ky, 25 * kz]), (21 * kx, 10 * ky, 23 * kz), 1.5)
        cv.elliptic_cylinder(
            "articular-cartilage",
            (knee[0], knee[1] + 8 * ky),
            (44 * kx, 30 * ky),
            knee[2] - 8 * kz,
            knee[2] - 4 * kz,
            outside=("femur-cortical", "femur-cancellous"),
        )
        bone_ellipsoid(cv, "tibia", tuple(knee + [0, 8 * ky, -20 * kz]), (40 * kx, 30 * ky, 14 * kz), 1.5)
        ank = np.array([s * 95 * kx, 15 * ky, L.ankle + 30 * kz])
        bone_tube(
            cv, "tibia", np.stack([knee + [0, 5 * ky, -30 * kz], ank]), np.array([21, 14]) * kx, 4.5, marrow=6.0 * kx
        )
        bone_tube(
            cv,
            "fibula",
            np.array([knee + [s * 32 * kx, 22 * ky, -30 * kz], ank + [s * 28 * kx, 12 * ky, -10 * kz]]),
            7.0 * kx,
            2.5,
        )
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
    kx, kz = p.kx, p.kz
    carpals: dict[str, np.ndarray] = {}
    for s in (-1, 1):
        sh, el, wr = (np.asarray(v, float) for v in cv.context[f"arm-{s}"])  # type: ignore[misc]
        head_c = sh + np.array([-s * 5 * kx, 0, 0])
        bone_ellipsoid(cv, "humerus", tuple(head_c), (23 * kx, 23 * kx, 23 * kx), 1.5)
        bone_tube(cv, "humerus", np.stack([head_c, el + [0, 0, 25 * kz]]), 13.5 * kx, 4.0, marrow=7.0 * kx)
        bone_ellipsoid(cv, "humerus", tuple(el + [0, 0, 12 * kz]), (30 * kx, 14 * kx, 14 * kz), 1.5)
        # forearm (anatomical position, palm forward): radius lateral (thumb side), ulna medial
        lat = np.array([s * 13 * kx, 0, 0])
        rad = np.stack([el + lat + [0, -3, -10 * kz], wr + lat * 1.3 + [0, 0, 8 * kz]])
        uln = np.stack([el - lat + [0, 8, 5 * kz], wr - lat + [0, 0, 8 * kz]])
        bone_tube(cv, "radius", rad, np.array([8, 11]) * kx, 2.5)
        bone_tube(cv, "ulna", uln, np.array([10, 6.5]) * kx, 2.5)
        cv.context[f"radius-{s}"] = rad
        # carpals: proximal row (scaphoid lateral ... pisiform), distal row
        names_p = ["scaphoid", "lunate", "triquetrum", "pisiform"]
        names_d = ["trapezium", "trapezoid", "capitate", "hamate"]
        for names, dz in ((names_p, -6), (names_d, -22)):
            for k, nm in enumerate(names):
                off = (1.5 - k) * 11 * kx  # lateral -> medial
                c = wr + np.array([s * off, 2 + (6 if nm == "pisiform" else 0), dz * kz])
                r = (7.5, 6.0, 8.0) if nm in ("scaphoid", "capitate", "hamate") else (6.0, 5.5, 6.5)
                cv.ellipsoid("carpals", tuple(c), tuple(x * kx for x in r))
                carpals[f"{nm}-{s}"] = c
        # metacarpals and phalanges (fingers 2-5 follow the soft-tissue finger tubes, thumb separate)
        for f, dx in enumerate((23, 8, -7, -22)):  # index ... little in +x order flipped by side below
            dxs = dx if s > 0 else -dx
            base = wr + np.array([dxs * kx * 0.6, 0, -30 * kz])
            mcp = wr + np.array([dxs * kx * 0.8, 0, -95 * kz])
            tip = wr + np.array([dxs * kx, 0, -(178 - 8 * abs(f - 1.5)) * kz])
            cv.tube("metacarpals", np.stack([base, mcp]), 4.5 * kx)
            cv.tube("metacarpal-cancellous", np.stack([base, mcp]), 3.0 * kx, inside=("metacarpals",))
            joints = [mcp + (tip - mcp) * t for t in (0.04, 0.45, 0.75, 1.0)]
            for j0, j1 in zip(joints[:-1], joints[1:], strict=False):
                seg0 = j0 + (j1 - j0) * 0.06
                seg1 = j0 + (j1 - j0) * 0.94
                cv.tube("phalanges", np.stack([seg0, seg1]), 3.8 * kx)
                cv.tube("phalanx-cancellous", np.stack([seg0, seg1]), 2.4 * kx, inside=("phalanges",))
        th0 = wr + np.array([s * 28 * kx, -6, -20 * kz])
        th1 = wr + np.array([s * 46 * kx, -22, -100 * kz])
        cv.tube("metacarpals", np.stack([th0, th0 + (th1 - th0) * 0.45]), 4.8 * kx)
        for t0, t1 in ((0.5, 0.75), (0.78, 0.98)):
            cv.tube("phalanges", np.stack([th0 + (th1 - th0) * t0, th0 + (th1 - th0) * t1]), 4.0 * kx)
    cv.context["carpals"] = carpals
