"""Digital patients: anatomical phantoms and QA phantoms as voxel label volumes, with insertable lesions.

>>> from scanroom.physics.patients import build_patient, LesionSpec
>>> ph = build_patient("adult-male", region="chest", voxel_mm=2.0,
...                    lesions=[LesionSpec.parse("lung-nodule:size_mm=8")], seed=1)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..materials import ct_number_hu
from ..phantom import LesionTruth, PartialVolume, Phantom
from . import body, extremities, head, qa
from .body import ICRP89_MASS_G, ORGAN_GROUPS, SKELETON_PREFIXES
from .grid import Canvas, make_canvas, rotation_matrix, subvoxel_shift
from .lesions import LesionSpec, LesionType, insert_lesion, list_lesion_types, replay_lesions

__all__ = [
    "PatientInfo",
    "LesionSpec",
    "LesionType",
    "REGIONS",
    "list_patients",
    "build_patient",
    "list_lesion_types",
    "organ_masses_g",
    "water_equivalent_diameter_cm",
    "ICRP89_MASS_G",
]

REGIONS = ("head", "neck", "chest", "abdomen", "pelvis", "hand", "knee", "whole-body")
ANATOMICAL = {
    "adult-male": "Adult male (ICRP 89 reference: 176 cm, 73 kg), head to pelvis with arms",
    "adult-female": "Adult female (ICRP 89 reference: 163 cm, 60 kg), head to pelvis with arms",
    "child-5y": "Child, 5 years (ICRP 89 reference: 109 cm, 19 kg), head to pelvis with arms",
}
VOXEL_RANGE_MM = (0.5, 4.0)


@dataclass(frozen=True)
class PatientInfo:
    """A listed patient or phantom."""

    patient_id: str
    kind: str  # "anatomical" | "qa"
    description: str
    regions: tuple[str, ...]


def list_patients() -> list[PatientInfo]:
    out = [PatientInfo(pid, "anatomical", desc, REGIONS) for pid, desc in ANATOMICAL.items()]
    out += [PatientInfo(pid, "qa", desc, ()) for pid, (desc, _) in qa.QA_BUILDERS.items()]
    return out


# Reference water-equivalent diameter (cm) of the abdomen at L1 for size_scale = 1 (computed once from the
# model at 4 mm; see `water_equivalent_diameter_cm`).
_REF_WED_CACHE: dict[str, float] = {}


def _region_bbox(kind: str, region: str | None, p: body.BodyParams, grow: float) -> tuple[float, ...]:
    L = body.landmarks(p)
    kz, kx, ky = p.kz, p.kx, p.ky
    bmax = float(L.trunk_b.max()) * grow
    x_arm = (L.arm_x + 60 * kx) * grow**0.5 + (grow - 1) * float(L.trunk_a.max())
    y0, y1 = -(bmax + (60 if p.female else 25) * ky) + 5, bmax + 30 * ky
    bs = head.brain_scale(p.masses["brain"])
    hx, hy0, hy1 = 95 * bs, -120 * bs, 110 * bs
    if region is None:
        return (-x_arm, x_arm, min(y0, hy0), y1, L.crotch - 40 * kz, L.height + 8)
    if region == "whole-body":
        return (-x_arm, x_arm, min(y0, hy0 - 120 * ky), y1, 0.0, L.height + 8)
    if region == "head":  # vertex to below the chin (a child's face is large relative to its body scale)
        chin = L.head_centre - 135 * bs * (0.8 if p.child else 1.0)
        return (-hx, hx, hy0, hy1, min(L.neck_top - 40 * kz, chin), L.height + 8)
    if region == "neck":
        return (
            -110 * kx * grow,
            110 * kx * grow,
            -100 * ky * grow,
            110 * ky * grow,
            L.shoulder - 60 * kz,
            L.neck_top + 30 * kz,
        )
    if region == "chest":
        return (-x_arm, x_arm, y0, y1, L.diaphragm - 110 * kz, L.shoulder + 45 * kz)
    if region == "abdomen":
        return (-x_arm, x_arm, y0, y1, L.iliac_crest - 40 * kz, L.diaphragm + 50 * kz)
    if region == "pelvis":
        return (-x_arm, x_arm, y0, y1, L.crotch - 40 * kz, L.iliac_crest + 30 * kz)
    if region == "hand":  # right hand, wrist and distal forearm (posed for a hand PA)
        return extremities.hand_bbox(extremities.hand_frame(p, L, -1))
    if region == "knee":  # right knee
        kxx = -95 * kx
        return (kxx - 85 * kx, kxx + 85 * kx, -85 * ky, 85 * ky, L.knee - 100 * kz, L.knee + 110 * kz)
    raise ValueError(f"unknown region {region!r}; choose one of {', '.join(REGIONS)}")


def _reference_wed_cm(kind: str) -> float:
    if kind not in _REF_WED_CACHE:
        ph = _build_anatomical(kind, "abdomen", 4.0, 1.0, (), 0, (0, 0, 0), 0.0)
        p = body.body_params(kind)
        _REF_WED_CACHE[kind] = water_equivalent_diameter_cm(ph, body.landmarks(p).l1)
    return _REF_WED_CACHE[kind]


def build_patient(
    patient_id: str,
    *,
    region: str | None = None,
    voxel_mm: float = 2.0,
    size_cm: float | None = None,
    lesions: Sequence[LesionSpec | str] = (),
    seed: int = 0,
    rotation_deg: tuple[float, float, float] = (0.0, 0.0, 0.0),
    breathing_phase: float = 0.0,
    partial_volume: bool | int = False,
) -> Phantom:
    """Build a digital patient or QA phantom as a label volume (deterministic for a given seed).

    Parameters
    ----------
    patient_id : id from :func:`list_patients`.
    region : crop of an anatomical patient (``head``, ``neck``, ``chest``, ``abdomen``, ``pelvis``, ``hand``,
        ``knee``, ``whole-body``); None = head to pelvis with arms. ``hand`` is the right hand, wrist and
        distal forearm alone, flat in the coronal plane with the palm anterior and the fingers to the feet
        (hand PA position); ``knee`` is the right knee, leg extended.
    voxel_mm : isotropic voxel size, 0.5-4 mm.
    size_cm : water-equivalent diameter of the abdomen at L1 (AAPM Report 220); None = reference size.
    lesions : lesion specs (``LesionSpec`` or text like ``"lung-nodule:size_mm=8"``).
    seed : random seed for bowel loops, lesion placement and shape jitter.
    rotation_deg : patient rotation about x (tilt), y and z (axial rotation), degrees, about the volume centre.
    breathing_phase : 0 = end-expiration, 0.5 = end-inspiration (diaphragm descends ~16 mm in the adult).
    partial_volume : also compute partial-volume fractions at edges (``Phantom.fractions`` and
        ``Phantom.second_labels``): every voxel with another label among its 26 neighbours is supersampled
        n x n x n (True = 3, or an int 2-4) by painting the same patient (and lesions) on sub-voxel shifted
        grids; costs about n^3 - 1 extra builds. ``labels`` is unchanged.
    """
    if not isinstance(voxel_mm, int | float) or not VOXEL_RANGE_MM[0] <= float(voxel_mm) <= VOXEL_RANGE_MM[1]:
        raise ValueError(f"voxel_mm={voxel_mm} outside the supported {VOXEL_RANGE_MM[0]}-{VOXEL_RANGE_MM[1]} mm")
    specs = [LesionSpec.parse(s) if isinstance(s, str) else s for s in lesions]
    for s in specs:
        s.validate()
        _ = s.type
    if len(rotation_deg) != 3:
        raise ValueError("rotation_deg must be three angles (x, y, z) in degrees")
    if not 0.0 <= float(breathing_phase) <= 1.0:
        raise ValueError("breathing_phase must be between 0 and 1")
    n_pv = 3 if partial_volume is True else int(partial_volume or 0)
    if n_pv and not 2 <= n_pv <= 4:
        raise ValueError("partial_volume must be True/False (0) or a supersampling factor of 2-4")
    if patient_id in qa.QA_BUILDERS:
        if region is not None:
            raise ValueError(f"QA phantom {patient_id!r} has no regions")
        if specs:
            raise ValueError(
                f"lesion {specs[0].lesion_id!r} does not fit QA phantom {patient_id!r}: "
                f"lesions go into anatomical patients ({', '.join(ANATOMICAL)})"
            )
        if size_cm is not None:
            raise ValueError(f"QA phantom {patient_id!r} has a fixed size")
        desc, builder = qa.QA_BUILDERS[patient_id]
        cv = builder(float(voxel_mm))
        ph = _to_phantom(cv, patient_id, desc, ())
        if n_pv:
            ph = _with_partial_volume(ph, lambda: builder(float(voxel_mm)).labels, n_pv)
        return _rotate(ph, rotation_deg)
    if patient_id not in ANATOMICAL:
        known = ", ".join([*ANATOMICAL, *qa.QA_BUILDERS])
        raise ValueError(f"unknown patient id {patient_id!r}; known ids: {known}")
    if region is not None and region not in REGIONS:
        raise ValueError(f"unknown region {region!r}; choose one of {', '.join(REGIONS)}")
    scale = 1.0
    if size_cm is not None:
        if not 12.0 <= float(size_cm) <= 45.0:
            raise ValueError(f"size_cm={size_cm} outside 12-45 cm (water-equivalent diameter)")
        scale = float(size_cm) / _reference_wed_cm(patient_id)
        if not 0.6 <= scale <= 1.8:
            raise ValueError(
                f"size_cm={size_cm} is too far from the reference {_reference_wed_cm(patient_id):.1f} cm "
                f"of {patient_id}"
            )
    ph = _build_anatomical(
        patient_id, region, float(voxel_mm), scale, specs, seed, rotation_deg, float(breathing_phase), n_pv
    )
    return ph


def _build_anatomical(
    kind: str,
    region: str | None,
    voxel: float,
    scale: float,
    specs: Sequence[LesionSpec],
    seed: int,
    rotation_deg: tuple[float, float, float],
    breathing_phase: float,
    n_pv: int = 0,
) -> Phantom:
    p = body.body_params(kind, scale, breathing_phase)
    grow = 1.0 + max(scale - 1.0, 0.0)
    bbox = _region_bbox(kind, region, p, grow)

    def paint() -> Canvas:
        cv = make_canvas(bbox, voxel)  # type: ignore[arg-type]
        if region == "hand":
            body.paint_hand_only(cv, p, side=-1)
        else:
            body.paint_body(cv, p, scale, np.random.default_rng(seed))
        return cv

    cv = paint()
    truths: list[LesionTruth] = []
    lesion_rng = np.random.default_rng([seed, 1])
    for i, spec in enumerate(specs, start=1):
        if region is not None and region != "whole-body" and region not in spec.type.regions:
            raise ValueError(
                f"lesion {spec.lesion_id!r} does not fit region {region!r} "
                f"(it belongs in region {' or '.join(spec.type.regions)})"
            )
        truths.append(insert_lesion(cv, spec, i, lesion_rng))
    desc = ANATOMICAL[kind] + (f"; region {region}" if region else "") + (f"; size scale {scale:.2f}")
    ph = _to_phantom(cv, kind, desc, tuple(truths))
    if n_pv:
        replays = list(cv.context.get("lesion_replays", []))  # type: ignore[call-overload]

        def repaint() -> np.ndarray:
            cv2 = paint()
            replay_lesions(cv2, replays)
            return cv2.labels

        ph = _with_partial_volume(ph, repaint, n_pv)
    return _rotate(ph, rotation_deg)


def _with_partial_volume(ph: Phantom, repaint: Callable[[], np.ndarray], n: int) -> Phantom:
    """Partial-volume fractions by n x n x n supersampling of the edge voxels.

    The sub-voxel samples come from painting the phantom again on grids shifted by (i + 1/2)/n - 1/2 of a
    voxel along each axis (``repaint`` inside :func:`subvoxel_shift`), i.e. at the centres of the n^3
    sub-voxels; for odd n the centre sample is ``ph.labels`` itself. Only voxels with another label among
    their 26 neighbours are counted; the others are pure.
    """
    from dataclasses import replace

    from . import _kernels

    labels = ph.labels
    edge = _kernels.edge_voxels(labels)
    flat = labels.reshape(-1)
    offs = [(i + 0.5) / n - 0.5 for i in range(n)]
    samples = np.empty((len(edge), n**3), dtype=np.uint8)
    dz, dy, dx = ph.voxel_mm
    col = 0
    for oz in offs:
        for oy in offs:
            for ox in offs:
                if ox == oy == oz == 0.0:
                    samples[:, col] = flat[edge]
                else:
                    with subvoxel_shift((ox * dx, oy * dy, oz * dz)):
                        sub = repaint()
                    if sub.shape != labels.shape:
                        raise RuntimeError("sub-voxel shifted grid changed shape")
                    samples[:, col] = sub.reshape(-1)[edge]
                col += 1
    labs, fracs = _kernels.pv_reduce(samples, min(n**3, 4))
    mixed = fracs[:, 0] < 1.0
    keep = max(int((fracs[mixed] > 0).sum(axis=1).max(initial=1)), 1)
    pv = PartialVolume(
        index=edge[mixed], labels=labs[mixed, :keep].copy(), fractions=fracs[mixed, :keep].copy(), samples=n**3
    )
    return replace(ph, partial_volume=pv)


def _to_phantom(cv: Canvas, pid: str, desc: str, truths: tuple[LesionTruth, ...]) -> Phantom:
    # every defined structure is listed (stable label table), whether or not it lies inside this crop
    names = {0: "background"}
    mats = {0: "air"}
    for lab in sorted(cv.names):
        names[lab] = cv.names[lab]
        mats[lab] = cv.materials[lab]
    return Phantom(
        phantom_id=pid,
        labels=cv.labels,
        voxel_mm=cv.voxel_mm,
        origin_mm=cv.origin_mm,
        label_materials=mats,
        label_names=names,
        lesions=truths,
        description=desc,
    )


def _rotate(ph: Phantom, rotation_deg: tuple[float, float, float]) -> Phantom:
    """Rotate contents about the volume centre (nearest neighbour; masks rotated alike)."""
    if not any(abs(float(a)) > 1e-9 for a in rotation_deg):
        return ph
    from dataclasses import replace

    from scipy import ndimage

    r = rotation_matrix(*[float(a) for a in rotation_deg])  # acts on (x, y, z)
    # output voxel (k, j, i) samples input at R^-1 (p - c) + c; in (z, y, x) index order
    perm = np.array([[0, 0, 1], [0, 1, 0], [1, 0, 0]])
    rinv_zyx = perm @ r.T @ perm
    vox = np.array(ph.voxel_mm)
    m = (rinv_zyx * vox[None, :]) / vox[:, None]
    c = (np.array(ph.labels.shape) - 1) / 2.0
    off = c - m @ c
    lab = ndimage.affine_transform(ph.labels, m, offset=off, order=0, mode="constant", cval=0)
    pv = ph.partial_volume
    if pv is not None:  # nearest neighbour like the labels: each output voxel takes its source voxel's row
        rows = np.full(int(np.prod(ph.labels.shape)), -1, dtype=np.int32)
        rows[pv.index] = np.arange(len(pv.index), dtype=np.int32)
        srcvol = ndimage.affine_transform(
            rows.reshape(ph.labels.shape), m, offset=off, order=0, mode="constant", cval=-1
        )
        src = srcvol.reshape(-1)
        out_idx = np.nonzero(src >= 0)[0]
        r = src[out_idx]
        pv = PartialVolume(index=out_idx, labels=pv.labels[r], fractions=pv.fractions[r], samples=pv.samples)
    truths = tuple(
        replace(t, mask=ndimage.affine_transform(t.mask.astype(np.uint8), m, offset=off, order=0) > 0)
        for t in ph.lesions
    )
    return replace(
        ph,
        labels=lab,
        lesions=truths,
        description=ph.description + f"; rotated {tuple(float(a) for a in rotation_deg)} deg",
        partial_volume=pv,
    )


# ------------------------------------------------------------------------------------------ measurements
def organ_masses_g(ph: Phantom) -> dict[str, float]:
    """Mass (g) of ICRP organ groups and the whole skeleton, from voxel counts x material density."""
    from ..materials import get_material

    vox_cm3 = float(np.prod(ph.voxel_mm)) / 1000.0
    counts = np.bincount(ph.labels.ravel(), minlength=256)
    by_name = {n: lab for lab, n in ph.label_names.items()}

    def mass(names: Sequence[str]) -> float:
        tot = 0.0
        for n in names:
            if n in by_name:
                lab = by_name[n]
                tot += counts[lab] * vox_cm3 * get_material(ph.label_materials[lab]).density_g_cm3
        return tot

    out = {k: mass(v) for k, v in ORGAN_GROUPS.items()}
    out["skeleton"] = mass([n for n in by_name if n.startswith(SKELETON_PREFIXES)])
    return out


def water_equivalent_diameter_cm(
    ph: Phantom, z_mm: float, energy_kev: float = 70.0, *, trunk_only: bool = True
) -> float:
    """AAPM Report 220 water-equivalent diameter of the axial slice nearest ``z_mm``.

    A_w = sum over voxels of (HU/1000 + 1) * voxel area; D_w = 2 sqrt(A_w / pi). With ``trunk_only`` the
    largest connected body outline is used (arms excluded, as when arms are raised for body CT).
    """
    from scipy import ndimage

    k = int(round((z_mm - ph.origin_mm[2]) / ph.voxel_mm[0]))
    if not 0 <= k < ph.shape[0]:
        raise ValueError(f"z={z_mm} mm is outside the phantom")
    sl = ph.labels[k]
    lut = np.zeros(256)
    for lab, mat in ph.label_materials.items():
        lut[lab] = ct_number_hu(mat, energy_kev) / 1000.0 + 1.0
    w = lut[sl]
    if trunk_only:
        body_m = ndimage.binary_fill_holes(sl > 0)
        cc, n = ndimage.label(body_m)
        if n > 1:
            largest = 1 + int(np.argmax(ndimage.sum_labels(body_m, cc, index=np.arange(1, n + 1))))
            w = np.where(cc == largest, w, 0.0)
    area = float(w.sum()) * ph.voxel_mm[1] * ph.voxel_mm[2] / 100.0  # cm^2
    return 2.0 * float(np.sqrt(area / np.pi))
