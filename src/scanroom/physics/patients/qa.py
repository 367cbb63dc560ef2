"""QA phantoms: water cylinders, CTDI phantoms, CT/MR/US QA phantoms, NM flood source, step wedge.

Geometry follows the public specifications where one exists:
- CTDI head/body: PMMA cylinders 160 / 320 mm diameter, 150 mm long, a centre hole and four holes
  10 mm below the surface at 90 degree steps (IEC 60601-2-44; AAPM Report 96). Hole diameter 13.1 mm.
- ct-qa: after the Catphan 500/600 layout (HU-linearity module CTP404 with 8 inserts of 12.2 mm on a
  58.4 mm radius; bar-pattern module 1-10 lp/cm in aluminium; uniformity module). Not a replica.
- mr-qa: after the ACR large MRI phantom (190 mm inner diameter, 148 mm long; resolution hole arrays,
  crossed 1:10 slice-thickness ramps, uniform section, 10 mm grid). Not a replica.
- nema-iec-body: after the NEMA NU 2 / IEC 61675-1 body phantom: torso-shaped PMMA shell 180 mm long inside,
  six spheres of 10, 13, 17, 22, 28 and 37 mm inner diameter (1 mm walls) with centres on a 114.4 mm
  diameter circle in one transverse plane, and a 50 mm lung insert along the axis. The outline (a half-circle
  of 147 mm radius over a 77 mm deep base with 77 mm corner radii) is approximate **[verify against the
  standard's drawing]**; not a replica. Spheres are the partial-volume / recovery-coefficient test objects.
- us-qa: tissue-mimicking block (1540 m/s, 0.5 dB/cm/MHz; AIUM/IEC 61391-1 style) with anechoic cysts and
  nylon wire targets.
Scanner axis = patient z (head-foot); LPS as everywhere.
"""

from __future__ import annotations

import numpy as np

from .grid import Canvas, make_canvas


def _cyl_canvas(diam_mm: float, length_mm: float, voxel: float, margin: float = 10.0) -> Canvas:
    r = diam_mm / 2 + margin
    return make_canvas((-r, r, -r, r, -length_mm / 2 - margin, length_mm / 2 + margin), voxel)


def water_cylinder(diam_mm: float, voxel: float) -> Canvas:
    """Water cylinder in a 5 mm PMMA shell, 200 mm long."""
    cv = _cyl_canvas(diam_mm + 10, 200, voxel)
    cv.define("pmma-shell", "pmma")
    cv.define("water", "water")
    cv.elliptic_cylinder("pmma-shell", (0, 0), (diam_mm / 2 + 5, diam_mm / 2 + 5), -105, 105)
    cv.elliptic_cylinder("water", (0, 0), (diam_mm / 2, diam_mm / 2), -100, 100)
    return cv


def ctdi(diam_mm: float, voxel: float) -> Canvas:
    cv = _cyl_canvas(diam_mm, 150, voxel)
    cv.define("pmma", "pmma")
    cv.elliptic_cylinder("pmma", (0, 0), (diam_mm / 2, diam_mm / 2), -75, 75)
    r_hole = 13.1 / 2
    pos = {
        "hole-centre": (0.0, 0.0),
        "hole-12": (0.0, -(diam_mm / 2 - 10)),
        "hole-3": (diam_mm / 2 - 10, 0.0),
        "hole-6": (0.0, diam_mm / 2 - 10),
        "hole-9": (-(diam_mm / 2 - 10), 0.0),
    }
    # clock positions as seen from the foot of the table: 12 = anterior (-y), 3 = patient left (+x)
    for name, (x, y) in pos.items():
        cv.define(name, "air")
        cv.elliptic_cylinder(name, (x, y), (r_hole, r_hole), -75, 75)
    cv.context["holes_mm"] = pos
    return cv


CT_QA_INSERTS = ("air", "pmp", "ldpe", "polystyrene", "water", "pmma", "delrin", "teflon")


def ct_qa(voxel: float) -> Canvas:
    """Three 40 mm modules along z: HU linearity (z>20), bar patterns (-20..20), uniformity (z<-20)."""
    d = 200.0
    cv = _cyl_canvas(d, 120, voxel)
    cv.define("housing", "pmma")
    cv.define("background", "water")
    cv.elliptic_cylinder("housing", (0, 0), (d / 2, d / 2), -60, 60)
    cv.elliptic_cylinder("background", (0, 0), (d / 2 - 3, d / 2 - 3), -60, 60)
    # HU linearity module
    for k, mat in enumerate(CT_QA_INSERTS):
        ang = 2 * np.pi * k / len(CT_QA_INSERTS)
        name = f"insert-{mat}"
        cv.define(name, mat)
        cv.elliptic_cylinder(name, (58.4 * np.sin(ang), -58.4 * np.cos(ang)), (6.1, 6.1), 22, 58)
    # bar patterns: groups of 5 aluminium bars (width = gap = 10/(2 lp/cm) mm) around a circle
    cv.define("bars", "aluminium")
    bars: dict[str, float] = {}
    for k, lpcm in enumerate(range(1, 11)):
        w = 10.0 / (2 * lpcm)
        ang = 2 * np.pi * k / 10
        cx, cy = 55 * np.sin(ang), -55 * np.cos(ang)
        tx, ty = np.cos(ang), np.sin(ang)  # tangential direction: bars cross it
        for b in range(5):
            off = (b - 2) * 2 * w
            bx, by = cx + tx * off, cy + ty * off

            def fn(Z, Y, X, bx=bx, by=by, tx=tx, ty=ty, w=w):  # noqa: ANN001
                along = (X - bx) * tx + (Y - by) * ty
                across = -(X - bx) * ty + (Y - by) * tx
                return (np.abs(along) <= w / 2) & (np.abs(across) <= 8.0) & (np.abs(Z) <= 18)

            cv.paint("bars", fn, (bx - 10, bx + 10, by - 10, by + 10, -18, 18))
        bars[f"{lpcm}lp/cm"] = float(np.degrees(ang))
    cv.context["bar_groups_deg"] = bars
    cv.context["modules_z_mm"] = {"hu-linearity": (22, 58), "bar-patterns": (-18, 18), "uniformity": (-58, -22)}
    return cv


def mr_qa(voxel: float) -> Canvas:
    d, length = 190.0, 148.0
    cv = _cyl_canvas(d + 12, length + 12, voxel)
    cv.define("housing", "pmma")
    cv.define("fill", "mr-doped-water")
    cv.define("plastic", "pmma")
    cv.elliptic_cylinder("housing", (0, 0), (d / 2 + 6, d / 2 + 6), -length / 2 - 6, length / 2 + 6)
    cv.elliptic_cylinder("fill", (0, 0), (d / 2, d / 2), -length / 2, length / 2)
    z0 = length / 2
    # section 1 (top 20 mm): resolution block with hole arrays 1.1, 1.0, 0.9 mm
    cv.box("plastic", (-60, -10, z0 - 20), (60, 30, z0 - 2))
    for k, hole in enumerate((1.1, 1.0, 0.9)):
        x0 = -50 + 35 * k
        for i in range(4):
            for j in range(4):
                cx, cy = x0 + i * 2 * hole, j * 2 * hole
                cv.elliptic_cylinder("fill", (cx, cy), (hole / 2, hole / 2), z0 - 20, z0 - 2, inside=("plastic",))
    # section 2: crossed 1:10 slice-thickness ramps (signal ramps inside a plastic slab)
    zc = z0 - 40
    cv.box("plastic", (-60, -15, zc - 10), (60, 15, zc + 10))
    for sgn, y in ((1, -5.0), (-1, 5.0)):

        def ramp(Z, Y, X, sgn=sgn, y=y):  # noqa: ANN001
            return (np.abs(Y - y) <= 2.0) & (np.abs((Z - zc) - sgn * 0.1 * X) <= 0.5) & (np.abs(X) <= 55)

        cv.paint("fill", ramp, (-55, 55, y - 2, y + 2, zc - 7, zc + 7), inside=("plastic",))

    # section 3: uniform (z in [-20, 15]); section 4: 10 mm grid of 2 mm plastic walls (z < -30)
    def grid(Z, Y, X):  # noqa: ANN001
        return ((np.abs(((X + 5) % 10) - 5) <= 1.0) | (np.abs(((Y + 5) % 10) - 5) <= 1.0)) & (X**2 + Y**2 <= 70**2)

    cv.paint("plastic", grid, (-70, 70, -70, 70, -length / 2 + 5, -30))
    cv.context["sections_z_mm"] = {
        "resolution": (z0 - 20, z0 - 2),
        "slice-thickness": (zc - 10, zc + 10),
        "uniformity": (-20, 15),
        "geometry-grid": (-length / 2 + 5, -30),
    }
    return cv


NEMA_SPHERES_MM = (10.0, 13.0, 17.0, 22.0, 28.0, 37.0)


def nema_iec_body(voxel: float) -> Canvas:
    """Body phantom with six spheres (hot: tracer solution) in water and a lung insert; spheres at z = 0."""
    length, wall = 180.0, 3.0
    r_top, depth_base, r_corner = 147.0, 77.0, 77.0
    z0, z1 = -length / 2 - 20.0, length / 2 + 20.0  # spheres 70 mm below the lid (lid at z1 - 20)
    cv = make_canvas((-r_top - wall - 6, r_top + wall + 6, -r_top - wall - 6, depth_base + wall + 6, z0, z1), voxel)
    cv.define("shell", "pmma")
    cv.define("background", "water")
    cv.define("lung-insert", "lung")
    cv.define("sphere-wall", "pmma")
    zl0, zl1 = -90.0, 90.0  # interior, mm
    zc_lid = zl1

    def outline(r_add: float):  # noqa: ANN202
        # anterior (-y) half-circle of radius r_top; posterior (+y) base of depth depth_base, rounded corners
        def fn(zz, yy, xx):  # noqa: ANN001, ANN202
            top = (yy <= 0) & (xx**2 + yy**2 <= (r_top + r_add) ** 2)
            xin = r_top - r_corner
            base = (yy > 0) & (yy <= depth_base + r_add) & (np.abs(xx) <= r_top + r_add)
            corner = (np.abs(xx) > xin) & (yy > depth_base - r_corner)
            round_ = (np.abs(xx) - xin) ** 2 + (yy - (depth_base - r_corner)) ** 2 <= (r_corner + r_add) ** 2
            return (top | (base & (~corner | round_))) & (zz >= zl0 - r_add) & (zz <= zl1 + r_add)

        return fn

    bb = (-r_top - wall, r_top + wall, -r_top - wall, depth_base + wall, zl0 - wall, zl1 + wall)
    cv.paint("shell", outline(wall), bb)
    cv.paint("background", outline(0.0), bb)
    cv.elliptic_cylinder("lung-insert", (0.0, 0.0), (25.0, 25.0), zl0, zl1)
    zc = zc_lid - 70.0
    spheres = {}
    for k, d in enumerate(NEMA_SPHERES_MM):
        ang = np.radians(60.0 * k + 30.0)
        c = (57.2 * np.cos(ang), -57.2 * np.sin(ang), zc)
        name = f"sphere-{int(d)}mm"
        cv.define(name, "nm-flood-solution")
        cv.ellipsoid("sphere-wall", c, (d / 2 + 1.0,) * 3)
        cv.ellipsoid(name, c, (d / 2,) * 3)
        spheres[name] = (c, d)
    cv.context["spheres"] = spheres
    return cv


def us_qa(voxel: float) -> Canvas:
    """Block 120 (x) x 160 (depth, +y) x 60 (z) mm; probe on the anterior face (y = 0)."""
    cv = make_canvas((-65, 65, -5, 165, -35, 35), voxel)
    cv.define("gel", "us-tissue-mimic")
    cv.define("cyst", "simple-cyst")
    cv.define("wire", "nylon")
    cv.box("gel", (-60, 0, -30), (60, 160, 30))
    cysts = {}
    for k, (dia, x, depth) in enumerate(
        [(2, -40, 30), (4, -20, 30), (6, 0, 30), (8, 20, 30), (10, 40, 30), (6, -30, 90), (8, 30, 90)]
    ):
        cv.elliptic_cylinder("cyst", (x, depth), (dia / 2, dia / 2), -30, 30)
        cysts[f"cyst-{k}"] = (x, depth, dia)
    r_w = 0.75 * voxel  # 0.1 mm nylon wire: widened to about one voxel so it is rasterised
    wires = []
    for depth in range(10, 160, 10):  # vertical column: axial resolution / depth calibration
        wires.append((0.0, float(depth)))
    for x in range(-50, 51, 10):  # horizontal row at 60 mm: lateral resolution / distance
        wires.append((float(x), 60.0))
    for wx, wy in wires:
        cv.elliptic_cylinder("wire", (wx + 45 if wy != 60 else wx, wy), (r_w, r_w), -30, 30)
    cv.context["cysts"] = cysts
    cv.context["wires_xy_mm"] = wires
    return cv


def nm_flood(voxel: float) -> Canvas:
    """Sheet flood source 500 x 400 mm, 10 mm thick fluid in a 3 mm PMMA case, normal to y."""
    cv = make_canvas((-260, 260, -10, 10, -210, 210), voxel)
    cv.define("case", "pmma")
    cv.define("solution", "nm-flood-solution")
    cv.box("case", (-253, -8, -203), (253, 8, 203))
    cv.box("solution", (-250, -5, -200), (250, 5, 200))
    return cv


def step_wedge(voxel: float) -> Canvas:
    """Ten aluminium steps 1..10 mm thick (x: 10 mm per step, z: 40 mm), beam along y (AP)."""
    cv = make_canvas((-55, 55, -2, 14, -25, 25), voxel)
    cv.define("aluminium", "aluminium")
    for k in range(10):
        cv.box("aluminium", (-50 + 10 * k, 0, -20), (-50 + 10 * (k + 1), float(k + 1), 20))
    cv.context["steps_mm"] = list(range(1, 11))
    return cv


QA_BUILDERS = {
    "water-20": ("Water cylinder, 20 cm diameter (PMMA shell)", lambda v: water_cylinder(200, v)),
    "water-32": ("Water cylinder, 32 cm diameter (PMMA shell)", lambda v: water_cylinder(320, v)),
    "ctdi-head": ("CTDI head phantom: PMMA, 16 cm, centre + 4 peripheral holes", lambda v: ctdi(160, v)),
    "ctdi-body": ("CTDI body phantom: PMMA, 32 cm, centre + 4 peripheral holes", lambda v: ctdi(320, v)),
    "ct-qa": ("CT QA phantom: HU-linearity inserts, bar patterns 1-10 lp/cm, uniform section", ct_qa),
    "mr-qa": ("MR QA phantom: resolution arrays, slice-thickness ramps, uniformity, geometry grid", mr_qa),
    "nema-iec-body": (
        "NEMA IEC body phantom: six hot spheres 10-37 mm and a lung insert in a torso-shaped water phantom",
        nema_iec_body,
    ),
    "us-qa": ("Ultrasound QA phantom: anechoic cysts and nylon wire targets in tissue-mimicking gel", us_qa),
    "nm-flood": ("Gamma-camera flood source: uniform sheet of tracer solution", nm_flood),
    "step-wedge": ("Aluminium step wedge, 10 steps of 1 mm, for radiography", step_wedge),
}
