"""Insertable pathology with voxel ground truth.

Each lesion type names the organ(s) it belongs in and the material it is made of; placement is random
(seeded) but anatomical: a candidate centre is drawn from the organ's voxels and accepted only if the
whole lesion fits inside the organ, so the truth mask always lies within the right organ.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..phantom import LesionTruth
from .grid import Canvas

_LUNGS = ("lung-right", "lung-left")
_BRAIN = ("grey-matter", "white-matter")
_KIDNEY = ("kidney-right-cortex", "kidney-right-medulla", "kidney-left-cortex", "kidney-left-medulla")


@dataclass(frozen=True)
class LesionType:
    """A lesion type: where it may go, what it is made of, its default and allowed size (mm)."""

    lesion_id: str
    description: str
    material: str
    organs: tuple[str, ...]
    size_mm: float
    size_range: tuple[float, float]
    regions: tuple[str, ...]


LESION_TYPES: dict[str, LesionType] = {
    t.lesion_id: t
    for t in [
        LesionType("lung-nodule", "Solid pulmonary nodule", "solid-tumour", _LUNGS, 8, (3, 30), ("chest",)),
        LesionType("ggo-nodule", "Ground-glass nodule", "lung-ggo", _LUNGS, 12, (5, 30), ("chest",)),
        LesionType("calcified-nodule", "Calcified granuloma", "calcification", _LUNGS, 6, (2, 15), ("chest",)),
        LesionType(
            "pneumothorax",
            "Pneumothorax: rim of pleural air, lung collapsed away from the wall",
            "air",
            _LUNGS,
            20,
            (5, 60),
            ("chest",),
        ),
        LesionType(
            "pleural-effusion",
            "Pleural effusion: dependent fluid in the pleural space (fluid height)",
            "simple-cyst",
            _LUNGS,
            40,
            (10, 120),
            ("chest", "abdomen"),
        ),
        LesionType(
            "rib-fracture",
            "Rib fracture (gap width; displaced or not)",
            "haemorrhage-acute",
            ("rib-cortical", "rib-cancellous"),
            2,
            (1, 10),
            ("chest", "abdomen"),
        ),
        LesionType(
            "radius-fracture",
            "Distal radius fracture (Colles-type; displaced or not)",
            "haemorrhage-acute",
            ("radius-cortical", "radius-cancellous"),
            2,
            (1, 8),
            ("hand",),
        ),
        LesionType(
            "scaphoid-fracture",
            "Scaphoid waist fracture",
            "haemorrhage-acute",
            ("scaphoid", "scaphoid-cortical"),
            1,
            (0.5, 4),
            ("hand",),
        ),
        LesionType("liver-cyst", "Simple hepatic cyst", "simple-cyst", ("liver",), 20, (5, 60), ("abdomen",)),
        LesionType("liver-metastasis", "Hepatic metastasis", "solid-tumour", ("liver",), 15, (5, 50), ("abdomen",)),
        LesionType(
            "haemangioma", "Hepatic cavernous haemangioma", "haemangioma", ("liver",), 25, (5, 60), ("abdomen",)
        ),
        LesionType("renal-stone", "Renal (calcium oxalate) stone", "urinary-stone", _KIDNEY, 6, (2, 20), ("abdomen",)),
        LesionType("gallstone", "Gallstone", "biliary-stone", ("gallbladder",), 10, (3, 20), ("abdomen",)),
        LesionType(
            "brain-haemorrhage",
            "Intraparenchymal haemorrhage (stage=acute|subacute)",
            "haemorrhage-acute",
            _BRAIN,
            25,
            (5, 60),
            ("head",),
        ),
        LesionType(
            "infarct", "Acute ischaemic infarct (cortical/subcortical)", "infarct-acute", _BRAIN, 30, (8, 70), ("head",)
        ),
        LesionType(
            "brain-tumour",
            "Brain tumour with surrounding vasogenic oedema",
            "solid-tumour",
            _BRAIN,
            25,
            (8, 50),
            ("head",),
        ),
        LesionType(
            "ms-lesions",
            "Multiple periventricular white-matter (MS-like) lesions (count=N)",
            "ms-plaque",
            ("white-matter",),
            6,
            (2, 12),
            ("head",),
        ),
    ]
}


@dataclass(frozen=True)
class LesionSpec:
    """A requested lesion: type id plus parameters (size_mm, side, rib, displaced_mm, count, stage, ...)."""

    lesion_id: str
    params: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> LesionSpec:
        """Parse ``TYPE[:key=value[,key=value...]]`` (pairs may also be separated by ':')."""
        text = text.strip()
        if not text:
            raise ValueError("empty lesion spec")
        head, _, rest = text.partition(":")
        params: dict[str, str] = {}
        for part in rest.replace(":", ",").split(","):
            part = part.strip()
            if not part:
                continue
            k, eq, v = part.partition("=")
            if not eq or not k.strip():
                raise ValueError(f"bad lesion parameter {part!r} in {text!r}: expected key=value")
            params[k.strip()] = v.strip()
        spec = cls(head.strip(), params)
        spec.validate()
        return spec

    @property
    def type(self) -> LesionType:
        try:
            return LESION_TYPES[self.lesion_id]
        except KeyError:
            raise ValueError(f"unknown lesion type {self.lesion_id!r}; known: {', '.join(LESION_TYPES)}") from None

    def size(self) -> float:
        t = self.type
        try:
            s = float(self.params.get("size_mm", t.size_mm))
        except ValueError:
            raise ValueError(f"{self.lesion_id}: size_mm must be a number") from None
        lo, hi = t.size_range
        if not lo <= s <= hi:
            raise ValueError(f"{self.lesion_id}: size_mm={s:g} outside {lo:g}-{hi:g} mm")
        return s

    def validate(self) -> None:
        self.size()
        allowed = {"size_mm", "side", "rib", "displaced_mm", "count", "stage", "location"}
        bad = set(self.params) - allowed
        if bad:
            raise ValueError(
                f"{self.lesion_id}: unknown parameter(s) {', '.join(sorted(bad))}; "
                f"allowed: {', '.join(sorted(allowed))}"
            )
        side = self.params.get("side")
        if side is not None and side not in ("left", "right"):
            raise ValueError(f"{self.lesion_id}: side must be left or right")
        if "stage" in self.params and self.params["stage"] not in ("acute", "subacute"):
            raise ValueError(f"{self.lesion_id}: stage must be acute or subacute")


def list_lesion_types() -> list[LesionType]:
    return list(LESION_TYPES.values())


# -------------------------------------------------------------------------------------------- insertion
def _organ_mask(cv: Canvas, names: tuple[str, ...]) -> np.ndarray:
    ids = [cv.label(n) for n in names if cv.has(n)]
    if not ids:
        return np.zeros(cv.shape, dtype=bool)
    return np.isin(cv.labels, ids)


def _ball_offsets(cv: Canvas, radii: tuple[float, float, float]) -> np.ndarray:
    dz, dy, dx = cv.voxel_mm
    rx, ry, rz = radii
    kz, ky, kx = (int(np.ceil(rz / dz)), int(np.ceil(ry / dy)), int(np.ceil(rx / dx)))
    g = np.mgrid[-kz : kz + 1, -ky : ky + 1, -kx : kx + 1].reshape(3, -1).T
    d = (g[:, 0] * dz / rz) ** 2 + (g[:, 1] * dy / ry) ** 2 + (g[:, 2] * dx / rx) ** 2
    off = g[d <= 1.0]
    return off if len(off) else np.zeros((1, 3), dtype=np.int64)


def _place(
    cv: Canvas,
    organ: np.ndarray,
    radii: tuple[float, float, float],
    rng: np.random.Generator,
    what: str,
    prefer: np.ndarray | None = None,
    tries: int = 400,
) -> np.ndarray:
    """Voxel index (z, y, x) of a centre where the ellipsoid ``radii`` lies entirely inside ``organ``."""
    cand = np.argwhere(organ if prefer is None else organ & prefer)
    if len(cand) == 0:
        raise ValueError(f"{what}: the organ is not in this region")
    off = _ball_offsets(cv, radii)
    pick = cand[rng.choice(len(cand), size=min(tries, len(cand)), replace=False)]
    shape = np.array(cv.shape)
    for c in pick:
        pts = c + off
        if np.any(pts < 0) or np.any(pts >= shape):
            continue
        if organ[pts[:, 0], pts[:, 1], pts[:, 2]].all():
            return c
    raise ValueError(
        f"{what}: a lesion of this size does not fit inside the organ in this region "
        f"(try a smaller size_mm or a region that contains the whole organ)"
    )


def _centre_mm(cv: Canvas, idx: np.ndarray) -> tuple[float, float, float]:
    return (float(cv.x[idx[2]]), float(cv.y[idx[1]]), float(cv.z[idx[0]]))


def _ellipsoid_mask(cv: Canvas, c: np.ndarray, radii: tuple[float, float, float]) -> np.ndarray:
    m = np.zeros(cv.shape, dtype=bool)
    pts = c + _ball_offsets(cv, radii)
    ok = np.all((pts >= 0) & (pts < np.array(cv.shape)), axis=1)
    pts = pts[ok]
    m[pts[:, 0], pts[:, 1], pts[:, 2]] = True
    return m


def _ellipsoid_mask_mm(
    cv: Canvas, c_mm: tuple[float, float, float], radii: tuple[float, float, float], organs: tuple[str, ...]
) -> np.ndarray:
    """Voxels of ``organs`` whose centre lies in the axis-aligned ellipsoid (centre in mm; any grid, e.g. one
    shifted by a fraction of a voxel). Evaluated inside the ellipsoid's bounding box only."""
    m = np.zeros(cv.shape, dtype=bool)
    cx, cy, cz = c_mm
    rx, ry, rz = radii
    sl = cv.index_range((cx - rx, cx + rx, cy - ry, cy + ry, cz - rz, cz + rz))
    if sl is None:
        return m
    dz, dy, dx = cv.voxel_mm
    ox, oy, oz = cv.origin_mm
    X = ox + dx * np.arange(sl[2].start, sl[2].stop)[None, None, :]
    Y = oy + dy * np.arange(sl[1].start, sl[1].stop)[None, :, None]
    Z = oz + dz * np.arange(sl[0].start, sl[0].stop)[:, None, None]
    lut = np.zeros(256, dtype=bool)
    lut[[cv.label(n) for n in organs if cv.has(n)]] = True
    m[sl] = (((X - cx) / rx) ** 2 + ((Y - cy) / ry) ** 2 + ((Z - cz) / rz) ** 2 <= 1.0) & lut[cv.labels[sl]]
    return m


def _organ_of(cv: Canvas, mask: np.ndarray, names: tuple[str, ...]) -> str:
    ids = [cv.label(n) for n in names if cv.has(n)]
    vals, counts = np.unique(cv.labels[mask], return_counts=True)
    best = [(c, v) for v, c in zip(vals, counts, strict=False) if v in ids]
    return cv.names[max(best)[1]] if best else names[0]


def _side_filter(cv: Canvas, names: tuple[str, ...], side: str | None) -> tuple[str, ...]:
    if side is None:
        return names
    keep = tuple(n for n in names if side in n)
    return keep or names


def insert_lesion(cv: Canvas, spec: LesionSpec, instance: int, rng: np.random.Generator) -> LesionTruth:
    """Insert one lesion into the canvas (labels changed in place) and return its ground truth."""
    t = spec.type
    size = spec.size()
    side = spec.params.get("side")
    what = f"lesion {t.lesion_id!r}"
    organs = _side_filter(cv, t.organs, side)
    present = [n for n in organs if cv.has(n) and bool((cv.labels == cv.label(n)).any())]
    if not present:
        raise ValueError(
            f"{what} belongs in {'/'.join(t.organs)}, which is not in this patient/region "
            f"(use region {' or '.join(t.regions)})"
        )
    material = t.material
    params: dict[str, float | str] = {k: v for k, v in spec.params.items()}
    extra: list[tuple[np.ndarray, str]] = []  # additional (mask, material) e.g. oedema
    handler = _HANDLERS.get(t.lesion_id, _solid)
    mask, organ, centre, material, extra, replay = handler(cv, spec, tuple(present), size, rng, what)
    if displaced := spec.params.get("displaced_mm"):
        params["displaced_mm"] = float(displaced)
    if (radii := getattr(replay, "radii_mm", None)) is not None:  # ellipsoidal lesions: exact semi-axes
        for axis, r in zip("xyz", radii, strict=True):
            params[f"radius_{axis}_mm"] = round(float(r), 4)
    if not mask.any():
        raise ValueError(f"{what}: lesion of {size:g} mm is below the voxel size; use a finer voxel_mm")
    name = f"lesion-{instance}-{t.lesion_id}"
    _label_lesion(cv, name, material, mask, extra)
    cv.context.setdefault("lesion_replays", []).append((name, material, replay))  # type: ignore[attr-defined]
    full = mask.copy()
    for m2, _ in extra:
        full |= m2
    params["size_mm"] = size
    return LesionTruth(
        lesion_id=t.lesion_id,
        instance=instance,
        organ=organ,
        material=material,
        center_mm=centre,
        size_mm=size,
        mask=full,
        params=params,
    )


def _label_lesion(cv: Canvas, name: str, material: str, mask: np.ndarray, extra: list) -> None:
    lab = cv.define(name, material)
    for m2, mat2 in extra:
        l2 = cv.define(f"{name}-{mat2}", mat2)
        cv.labels[m2] = l2
    cv.labels[mask] = lab


def replay_lesions(cv: Canvas, records: list) -> None:
    """Insert recorded lesions again, same geometry and labels, into another canvas of the same patient (e.g.
    one shifted by a fraction of a voxel for partial-volume sampling); no random draws."""
    for name, material, replay in records:
        mask, extra = replay(cv)
        _label_lesion(cv, name, material, mask, extra)


def _solid(
    cv: Canvas, spec: LesionSpec, organs: tuple[str, ...], size: float, rng: np.random.Generator, what: str
) -> tuple:
    t = spec.type
    organ_mask = _organ_mask(cv, organs)
    r = size / 2
    radii = (r * rng.uniform(0.85, 1.0), r * rng.uniform(0.85, 1.0), r)
    prefer = None
    if t.lesion_id == "ms-lesions":
        return _ms(cv, spec, organs, size, rng, what)
    if t.lesion_id == "renal-stone":
        organ_mask = _organ_mask(cv, tuple(n for n in organs if "medulla" in n)) | organ_mask
    if t.lesion_id == "gallstone":
        # stones lie in the dependent (posterior) part of the gallbladder
        ys = np.argwhere(organ_mask)[:, 1]
        prefer = np.zeros_like(organ_mask)
        prefer[:, int(np.median(ys)) :, :] = True
    c = _place(cv, organ_mask, radii, rng, what, prefer=prefer)
    mask = _ellipsoid_mask(cv, c, radii) & organ_mask
    material = t.material
    extra = []
    if t.lesion_id == "brain-haemorrhage" and spec.params.get("stage") == "subacute":
        material = "haemorrhage-subacute"
    big = tuple(x * 1.9 for x in radii)
    if t.lesion_id == "brain-tumour":
        brain = _organ_mask(cv, _BRAIN)
        oed = _ellipsoid_mask(cv, c, big) & brain & ~mask & _organ_mask(cv, ("white-matter",))  # type: ignore[arg-type]
        extra.append((oed, "oedema"))
    c_mm = _centre_mm(cv, c)
    tumour = t.lesion_id == "brain-tumour"

    def replay(cv2: Canvas) -> tuple[np.ndarray, list]:
        m = _ellipsoid_mask_mm(cv2, c_mm, radii, organs)
        if not tumour:
            return m, []
        oed = _ellipsoid_mask_mm(cv2, c_mm, big, ("white-matter",)) & ~m  # type: ignore[arg-type]
        return m, [(oed, "oedema")]

    replay.radii_mm = radii  # type: ignore[attr-defined]
    return mask, _organ_of(cv, mask, organs), c_mm, material, extra, replay


def _ms(
    cv: Canvas, spec: LesionSpec, organs: tuple[str, ...], size: float, rng: np.random.Generator, what: str
) -> tuple:
    wm = _organ_mask(cv, ("white-matter",))
    vent = _organ_mask(cv, ("ventricles",))
    count = int(spec.params.get("count", 6))
    if not 1 <= count <= 30:
        raise ValueError(f"{what}: count must be 1-30")
    # periventricular preference: within 15 mm of a ventricle
    from scipy import ndimage

    near = ndimage.binary_dilation(vent, iterations=max(1, int(round(15 / cv.voxel_mm[0])))) if vent.any() else None
    mask = np.zeros(cv.shape, dtype=bool)
    centres = []
    for _ in range(count):
        s = size * rng.uniform(0.5, 1.0)
        radii = (s / 2 * 0.7, s / 2 * 0.7, s / 2)  # ovoid, long axis perpendicular to ventricles (Dawson)
        c = _place(cv, wm, radii, rng, what, prefer=near)
        mask |= _ellipsoid_mask(cv, c, radii) & wm
        centres.append((_centre_mm(cv, c), radii))

    def replay(cv2: Canvas) -> tuple[np.ndarray, list]:
        m = np.zeros(cv2.shape, dtype=bool)
        for c_mm, rr in centres:
            m |= _ellipsoid_mask_mm(cv2, c_mm, rr, ("white-matter",))
        return m, []

    return mask, "white-matter", centres[0][0], "ms-plaque", [], replay


def _pneumothorax(
    cv: Canvas, spec: LesionSpec, organs: tuple[str, ...], size: float, rng: np.random.Generator, what: str
) -> tuple:
    name = organs[0] if spec.params.get("side") else organs[int(rng.integers(len(organs)))]
    (cx, cy, cz), (a, b, c) = cv.context[name]  # type: ignore[misc]
    lung = _organ_mask(cv, (name,))
    Z, Y, X = cv.z[:, None, None], cv.y[None, :, None], cv.x[None, None, :]
    # the collapsed lung keeps its shape shrunk towards the hilum by `size` mm; the rim becomes air
    k = 1.0 - size / min(a, b)
    if k <= 0.2:
        raise ValueError(f"{what}: size_mm={size:g} collapses more than the whole lung")
    from .body import _lung_shape

    inner = _lung_shape((X - cx) / (a * k), (Y - cy) / (b * k), (Z - cz) / (c * k))
    mask = lung & ~inner
    idx = np.argwhere(mask)
    centre = _centre_mm(cv, idx[len(idx) // 2]) if len(idx) else (cx, cy, cz)

    def replay(cv2: Canvas) -> tuple[np.ndarray, list]:
        Z, Y, X = cv2.z[:, None, None], cv2.y[None, :, None], cv2.x[None, None, :]
        inner = _lung_shape((X - cx) / (a * k), (Y - cy) / (b * k), (Z - cz) / (c * k))
        return _organ_mask(cv2, (name,)) & ~inner, []

    return mask, name, centre, "air", [], replay


def _effusion(
    cv: Canvas, spec: LesionSpec, organs: tuple[str, ...], size: float, rng: np.random.Generator, what: str
) -> tuple:
    name = organs[0] if spec.params.get("side") else organs[int(rng.integers(len(organs)))]
    lung = _organ_mask(cv, (name,))
    zz = np.argwhere(lung.any(axis=(1, 2)))[:, 0]
    if len(zz) == 0:
        raise ValueError(f"{what}: lung not in region")
    zbase = cv.z[zz.min()]
    # dependent fluid in a supine patient: posterior and inferior; meniscus rises posteriorly
    Z, Y = cv.z[:, None, None], cv.y[None, :, None]
    ymid = float(np.median(cv.y[np.argwhere(lung)[:, 1]]))
    level = zbase + size + 0.3 * np.clip(Y - ymid, -40, 40)
    mask = lung & (level >= Z) & (ymid - 20 <= Y)
    idx = np.argwhere(mask)
    centre = _centre_mm(cv, idx[len(idx) // 2]) if len(idx) else (0.0, 0.0, float(zbase))

    def replay(cv2: Canvas) -> tuple[np.ndarray, list]:
        Z, Y = cv2.z[:, None, None], cv2.y[None, :, None]
        level = zbase + size + 0.3 * np.clip(Y - ymid, -40, 40)
        return _organ_mask(cv2, (name,)) & (level >= Z) & (ymid - 20 <= Y), []

    return mask, name, centre, "simple-cyst", [], replay


def _bone_break(
    cv: Canvas,
    centre: np.ndarray,
    axis: np.ndarray,
    gap: float,
    radius: float,
    bone: tuple[str, ...],
    displaced_mm: float,
    disp_dir: np.ndarray,
    frag_len: float,
) -> np.ndarray:
    """Fracture: a slab of width ``gap`` across the bone becomes haematoma; optionally the distal fragment
    (``frag_len`` mm beyond the gap along +axis) is translated by ``displaced_mm`` along ``disp_dir``."""
    axis = axis / np.linalg.norm(axis)
    bone_m = _organ_mask(cv, bone)
    r = radius + 3.0
    sl = cv.index_range(
        (
            centre[0] - r - frag_len,
            centre[0] + r + frag_len,
            centre[1] - r - frag_len,
            centre[1] + r + frag_len,
            centre[2] - r - frag_len,
            centre[2] + r + frag_len,
        )
    )
    if sl is None:
        return np.zeros(cv.shape, dtype=bool)
    Z, Y, X = cv.coords(sl)
    along = (X - centre[0]) * axis[0] + (Y - centre[1]) * axis[1] + (Z - centre[2]) * axis[2]
    d2 = (X - centre[0]) ** 2 + (Y - centre[1]) ** 2 + (Z - centre[2]) ** 2 - along**2
    near = d2 <= r * r
    gap_m = np.zeros(cv.shape, dtype=bool)
    gap_m[sl] = near & (np.abs(along) <= max(gap, min(cv.voxel_mm)) / 2) & bone_m[sl]
    if displaced_mm > 0:
        frag = np.zeros(cv.shape, dtype=bool)
        frag[sl] = near & (along > gap / 2) & (along <= frag_len) & bone_m[sl]
        shift = np.round(displaced_mm * disp_dir / np.array([cv.voxel_mm[2], cv.voxel_mm[1], cv.voxel_mm[0]]))
        sx, sy, sz = (int(v) for v in shift)
        idx = np.argwhere(frag)
        vals = cv.labels[frag]
        cv.labels[frag] = cv.label("muscle") if cv.has("muscle") else 0
        new = idx + np.array([sz, sy, sx])
        ok = np.all((new >= 0) & (new < np.array(cv.shape)), axis=1)
        cv.labels[new[ok, 0], new[ok, 1], new[ok, 2]] = vals[ok]
        # the moved fragment keeps its bone label; the truth mask is the fracture gap
    return gap_m


def _fracture(
    cv: Canvas, spec: LesionSpec, organs: tuple[str, ...], size: float, rng: np.random.Generator, what: str
) -> tuple:
    t = spec.type
    displaced = float(spec.params.get("displaced_mm", 0.0))
    side_txt = spec.params.get("side")
    if t.lesion_id == "rib-fracture":
        ribs: dict = cv.context.get("ribs", {})  # type: ignore[assignment]
        sides = [-1 if side_txt == "right" else 1] if side_txt else [-1, 1]
        nums = [int(spec.params["rib"])] if "rib" in spec.params else list(range(3, 11))
        if any(not 1 <= n <= 12 for n in nums):
            raise ValueError(f"{what}: rib must be 1-12")
        loc = float(spec.params.get("location", rng.uniform(0.35, 0.75)))
        bone = ("rib-cortical", "rib-cancellous")
        bone_m = _organ_mask(cv, bone)
        order = [(n, s) for n in nums for s in sides]
        rng.shuffle(order)
        for n, s in order:
            pts = ribs.get((n, s))
            if pts is None:
                continue
            k = int(np.clip(loc, 0.05, 0.95) * (len(pts) - 1))
            c = pts[k]
            idx = cv.index_range((c[0], c[0], c[1], c[1], c[2], c[2]))
            if idx is None or not bone_m[idx].any():
                continue
            axis = pts[min(k + 1, len(pts) - 1)] - pts[max(k - 1, 0)]
            outward = np.array([c[0], c[1] - 5.0, 0.0])
            outward /= max(np.linalg.norm(outward), 1e-6)
            gap = _bone_break(cv, c, axis, size, 6.0, bone, displaced, outward, 25.0)
            if gap.any():
                side_name = "left" if s > 0 else "right"
                params_organ = f"rib-{n}-{side_name}"
                args = (c, axis, size, 6.0, bone, displaced, outward, 25.0)
                return gap, params_organ, (float(c[0]), float(c[1]), float(c[2])), t.material, [], _break_replay(args)
        raise ValueError(f"{what}: no rib of the requested kind lies in this region")
    if t.lesion_id == "radius-fracture":
        s = 1 if side_txt == "left" else -1
        rad = cv.context.get(f"radius-{s}")
        if rad is None:
            raise ValueError(f"{what}: radius not in this region")
        p0, p1 = (np.asarray(v, float) for v in rad)  # type: ignore[misc]
        c = p1 + (p0 - p1) * (22.0 / np.linalg.norm(p0 - p1))  # ~2 cm proximal to the articular surface
        args = (
            c,
            p1 - p0,
            size,
            22.0,  # the whole distal radius (styloid included) lies within 25 mm of its axis
            ("radius-cortical", "radius-cancellous"),
            displaced,
            np.array([0.0, 1.0, 0.0]),  # dorsal displacement (Colles)
            25.0,
        )
        gap = _bone_break(cv, *args)
        organ = f"radius-{'left' if s > 0 else 'right'}"
        return gap, organ, tuple(float(v) for v in c), t.material, [], _break_replay(args)
    # scaphoid
    s = 1 if side_txt == "left" else -1
    carp: dict = cv.context.get("carpals", {})  # type: ignore[assignment]
    c = carp.get(f"scaphoid-{s}")
    if c is None:
        raise ValueError(f"{what}: scaphoid not in this region")
    c = np.asarray(c, float)
    axis = np.asarray(carp.get(f"scaphoid-axis-{s}", (0.3, 0.0, 1.0)), float)  # long axis: waist across it
    side_dir = np.cross(axis, [0.0, 1.0, 0.0])
    args = (
        c,
        axis,
        size,
        8.0,
        ("scaphoid", "scaphoid-cortical"),
        displaced,
        side_dir / max(float(np.linalg.norm(side_dir)), 1e-9),
        14.0,
    )
    gap = _bone_break(cv, *args)
    organ = f"scaphoid-{'left' if s > 0 else 'right'}"
    return gap, organ, tuple(float(v) for v in c), t.material, [], _break_replay(args)


def _break_replay(args: tuple) -> object:
    def replay(cv2: Canvas) -> tuple[np.ndarray, list]:
        return _bone_break(cv2, *args), []

    return replay


_HANDLERS = {
    "pneumothorax": _pneumothorax,
    "pleural-effusion": _effusion,
    "rib-fracture": _fracture,
    "radius-fracture": _fracture,
    "scaphoid-fracture": _fracture,
}
