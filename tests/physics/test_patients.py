"""Digital patients: QA phantom geometry, ICRP 89 organ masses, lesions inside their organs, errors."""

from __future__ import annotations

import numpy as np
import pytest

from scanroom.physics.materials import ct_number_hu
from scanroom.physics.patients import (
    ICRP89_MASS_G,
    LesionSpec,
    build_patient,
    list_lesion_types,
    list_patients,
    organ_masses_g,
    water_equivalent_diameter_cm,
)
from scanroom.physics.patients.body import body_params, landmarks

ANATOMICAL = ("adult-male", "adult-female", "child-5y")
QA = (
    "water-20",
    "water-32",
    "ctdi-head",
    "ctdi-body",
    "ct-qa",
    "mr-qa",
    "nema-iec-body",
    "us-qa",
    "nm-flood",
    "step-wedge",
)


def _mask(ph, *names):  # noqa: ANN001, ANN202
    inv = {n: lab for lab, n in ph.label_names.items()}
    return np.isin(ph.labels, [inv[n] for n in names if n in inv])


def test_list_patients_has_all_ids() -> None:
    ids = {p.patient_id: p for p in list_patients()}
    assert set(ANATOMICAL) | set(QA) == set(ids)
    assert ids["adult-male"].kind == "anatomical" and ids["ct-qa"].kind == "qa"
    assert {"head", "neck", "chest", "abdomen", "pelvis", "hand", "knee"} <= set(ids["adult-female"].regions)


# ------------------------------------------------------------------------------------------------ QA
@pytest.mark.parametrize("pid", QA)
def test_qa_phantoms_build_and_use_known_materials(pid: str) -> None:
    ph = build_patient(pid, voxel_mm=2.0)
    assert ph.labels.dtype == np.uint8 and ph.labels.any()
    for mat in ph.label_materials.values():
        ct_number_hu(mat)  # every material exists in the database


def test_water_cylinder_diameter() -> None:
    ph = build_patient("water-20", voxel_mm=1.0)
    sl = _mask(ph, "water")[ph.shape[0] // 2]
    area_mm2 = sl.sum() * 1.0
    assert area_mm2 == pytest.approx(np.pi * 100**2, rel=0.02)
    assert water_equivalent_diameter_cm(ph, 0.0) == pytest.approx(21.0, abs=0.5)  # water + 5 mm PMMA shell


@pytest.mark.parametrize(("pid", "diam"), [("ctdi-head", 160), ("ctdi-body", 320)])
def test_ctdi_holes_10mm_below_surface(pid: str, diam: float) -> None:
    ph = build_patient(pid, voxel_mm=1.0)
    k = ph.shape[0] // 2
    for name, (x, y) in {"hole-centre": (0, 0), "hole-3": (diam / 2 - 10, 0), "hole-6": (0, diam / 2 - 10)}.items():
        m = _mask(ph, name)[k]
        jj, ii = np.nonzero(m)
        cx = ph.origin_mm[0] + ii.mean() * ph.voxel_mm[2]
        cy = ph.origin_mm[1] + jj.mean() * ph.voxel_mm[1]
        assert (cx, cy) == pytest.approx((x, y), abs=0.6)
        assert m.sum() == pytest.approx(np.pi * (13.1 / 2) ** 2, rel=0.15)
    pmma = _mask(ph, "pmma")[k] | _mask(ph, "hole-centre", "hole-3", "hole-6", "hole-9", "hole-12")[k]
    assert 2 * np.sqrt(pmma.sum() / np.pi) == pytest.approx(diam, rel=0.01)


def test_ct_qa_inserts_span_hu_scale() -> None:
    ph = build_patient("ct-qa", voxel_mm=1.0)
    hus = sorted(ct_number_hu(m) for n, m in ph.label_materials.items() if ph.label_names[n].startswith("insert-"))
    assert len(hus) == 8 and hus[0] < -990 and 900 < hus[-1] < 1100
    z = int((40 - ph.origin_mm[2]) / ph.voxel_mm[0])
    for lab, name in ph.label_names.items():
        if name.startswith("insert-"):
            assert (ph.labels[z] == lab).sum() == pytest.approx(np.pi * 6.1**2, rel=0.15)
    assert _mask(ph, "bars").any()


def test_step_wedge_thicknesses() -> None:
    ph = build_patient("step-wedge", voxel_mm=0.5)
    al = _mask(ph, "aluminium")
    k = ph.shape[0] // 2
    for step in range(10):
        x = -45 + 10 * step
        i = int(round((x - ph.origin_mm[0]) / ph.voxel_mm[2]))
        assert al[k, :, i].sum() * ph.voxel_mm[1] == pytest.approx(step + 1, abs=0.5)


def test_us_qa_has_cysts_and_wires_and_nm_flood_uniform() -> None:
    ph = build_patient("us-qa", voxel_mm=0.5)
    assert _mask(ph, "cyst").any() and _mask(ph, "wire").any()
    fl = build_patient("nm-flood", voxel_mm=2.0)
    assert set(fl.label_materials.values()) >= {"nm-flood-solution"}
    mr = build_patient("mr-qa", voxel_mm=1.0)
    assert "mr-doped-water" in mr.label_materials.values()


# ------------------------------------------------------------------------------------------------ anatomy
@pytest.fixture(scope="module")
def whole_bodies() -> dict:
    return {k: build_patient(k, region="whole-body", voxel_mm=4.0) for k in ("adult-male", "adult-female")}


@pytest.mark.parametrize("kind", ["adult-male", "adult-female"])
@pytest.mark.parametrize("organ", ["brain", "liver", "lungs", "kidneys", "spleen", "heart", "skeleton"])
def test_organ_masses_within_15pct_of_icrp89(whole_bodies: dict, kind: str, organ: str) -> None:
    """ICRP Publication 89 (2002), Table 2.8 reference adult masses."""
    got = organ_masses_g(whole_bodies[kind])[organ]
    ref = ICRP89_MASS_G[kind][organ]
    assert got == pytest.approx(ref, rel=0.15), f"{kind} {organ}: {got:.0f} g vs ICRP 89 {ref} g"


def test_brain_from_mni_has_gm_wm_csf_and_ventricles() -> None:
    ph = build_patient("adult-male", region="head", voxel_mm=2.0)
    gm, wm = _mask(ph, "grey-matter").sum(), _mask(ph, "white-matter").sum()
    assert gm > wm > 0
    assert _mask(ph, "ventricles").any() and _mask(ph, "csf").any()
    assert _mask(ph, "skull-cortical").sum() > 0.1 * gm
    assert _mask(ph, "eye-lens").any() and _mask(ph, "sinus").any()


@pytest.mark.parametrize("kind", ANATOMICAL)
def test_regions_contain_their_organs(kind: str) -> None:
    want = {
        "chest": (
            "lung-right",
            "lung-left",
            "heart",
            "aorta",
            "trachea",
            "rib-cortical",
            "vertebra-cortical",
            "sternum-cortical",
            "clavicle-cortical",
            "scapula-cortical",
        ),
        "abdomen": ("liver", "spleen", "kidney-left-cortex", "pancreas", "stomach-wall", "small-bowel", "bowel-gas"),
        "pelvis": ("bladder-wall", "urine", "pelvis-cortical", "femur-cortical"),
        "hand": ("radius-cortical", "ulna-cortical", "carpals", "metacarpals", "phalanges"),
        "knee": ("femur-cortical", "tibia-cortical", "fibula-cortical", "patella-cortical"),
        "neck": ("thyroid", "trachea", "vertebra-cortical"),
    }
    for region, names in want.items():
        ph = build_patient(kind, region=region, voxel_mm=1.5 if region == "hand" else 3.0)
        for n in names:
            assert _mask(ph, n).any(), f"{kind}/{region}: {n} missing"


def test_size_sets_water_equivalent_diameter() -> None:
    z = landmarks(body_params("adult-male")).l1
    for target in (20.0, 34.0):
        ph = build_patient("adult-male", region="abdomen", voxel_mm=4.0, size_cm=target)
        assert water_equivalent_diameter_cm(ph, z) == pytest.approx(target, rel=0.07)


def test_breathing_moves_liver_down() -> None:
    def liver_z(phase: float) -> float:
        ph = build_patient("adult-male", region="abdomen", voxel_mm=3.0, breathing_phase=phase)
        kk = np.nonzero(_mask(ph, "liver"))[0]
        return ph.origin_mm[2] + kk.mean() * ph.voxel_mm[0]

    shift = liver_z(0.0) - liver_z(0.5)
    assert 10 < shift < 22


def test_rotation_keeps_content() -> None:
    a = build_patient("adult-male", region="chest", voxel_mm=4.0)
    b = build_patient("adult-male", region="chest", voxel_mm=4.0, rotation_deg=(0, 0, 10))
    assert not np.array_equal(a.labels, b.labels)
    lungs_a, lungs_b = _mask(a, "lung-right", "lung-left").sum(), _mask(b, "lung-right", "lung-left").sum()
    assert lungs_b == pytest.approx(lungs_a, rel=0.05)


# ------------------------------------------------------------------------------------------------ lesions
LESIONS_BY_REGION = {
    "chest": [
        "lung-nodule",
        "ggo-nodule",
        "calcified-nodule",
        "pneumothorax:side=right",
        "pleural-effusion:side=left",
        "rib-fracture:displaced_mm=3",
    ],
    "abdomen": ["liver-cyst", "liver-metastasis", "haemangioma", "renal-stone", "gallstone"],
    "head": ["brain-haemorrhage", "infarct", "brain-tumour", "ms-lesions:count=5"],
    "hand": ["radius-fracture", "scaphoid-fracture"],
}


def test_every_lesion_type_is_covered() -> None:
    covered = {s.split(":")[0] for v in LESIONS_BY_REGION.values() for s in v}
    assert covered == {t.lesion_id for t in list_lesion_types()}


@pytest.mark.parametrize("kind", ANATOMICAL)
@pytest.mark.parametrize("region", list(LESIONS_BY_REGION))
def test_lesions_insert_inside_their_organ_and_reproduce(kind: str, region: str) -> None:
    vox = 1.0 if region == "hand" else 3.0
    specs = [LesionSpec.parse(s) for s in LESIONS_BY_REGION[region]]
    base = build_patient(kind, region=region, voxel_mm=vox, seed=7)
    ph = build_patient(kind, region=region, voxel_mm=vox, seed=7, lesions=specs)
    again = build_patient(kind, region=region, voxel_mm=vox, seed=7, lesions=specs)
    assert np.array_equal(ph.labels, again.labels)  # bit for bit
    assert len(ph.lesions) == len(specs)
    for t, spec in zip(ph.lesions, specs, strict=True):
        assert t.lesion_id == spec.lesion_id and t.mask.shape == ph.shape and t.mask.any()
        organ_names = spec.type.organs
        allowed = _mask(base, *organ_names)
        assert (t.mask & ~allowed).sum() == 0 or (
            spec.lesion_id == "brain-tumour" and (t.mask & ~_mask(base, "grey-matter", "white-matter")).sum() == 0
        ), f"{kind}: {spec.lesion_id} truth leaves {organ_names}"
        assert t.size_mm > 0 and len(t.center_mm) == 3
    other = build_patient(kind, region=region, voxel_mm=vox, seed=8, lesions=specs)
    assert not np.array_equal(other.labels, ph.labels) or region == "hand"


def test_lesion_spec_parse() -> None:
    s = LesionSpec.parse("lung-nodule:size_mm=8")
    assert s.lesion_id == "lung-nodule" and s.size() == 8.0
    s = LesionSpec.parse("rib-fracture:rib=6:side=left,displaced_mm=2")
    assert s.params == {"rib": "6", "side": "left", "displaced_mm": "2"}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"patient_id": "nobody"}, "unknown patient id 'nobody'"),
        ({"patient_id": "adult-male", "voxel_mm": 0.4}, "outside the supported 0.5-4.0 mm"),
        ({"patient_id": "adult-male", "voxel_mm": 4.5}, "outside the supported"),
        ({"patient_id": "adult-male", "region": "foot"}, "unknown region 'foot'"),
        ({"patient_id": "adult-male", "region": "head", "lesions": ["lung-nodule"]}, "does not fit region 'head'"),
        ({"patient_id": "adult-male", "region": "chest", "lesions": ["lung-nodule:size_mm=80"]}, "outside 3-30 mm"),
        ({"patient_id": "adult-male", "region": "chest", "lesions": ["tumour-x"]}, "unknown lesion type"),
        ({"patient_id": "adult-male", "region": "chest", "lesions": ["lung-nodule:colour=red"]}, "unknown parameter"),
        ({"patient_id": "water-20", "lesions": ["lung-nodule"]}, "does not fit QA phantom"),
        ({"patient_id": "adult-male", "size_cm": 80}, "outside 12-45 cm"),
        (
            {"patient_id": "child-5y", "region": "abdomen", "voxel_mm": 4.0, "lesions": ["liver-cyst:size_mm=60"]},
            "does not fit inside the organ",
        ),
    ],
)
def test_bad_input_gives_clear_value_error(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        build_patient(**kwargs)


# ------------------------------------------------------------------------------------------------ extremities
HAND_BONES = (
    "radius-cortical",
    "radius-cancellous",
    "ulna-cortical",
    "ulna-cancellous",
    "carpals",
    "carpal-cortical",
    "scaphoid",
    "scaphoid-cortical",
    "metacarpals",
    "metacarpal-cancellous",
    "phalanges",
    "phalanx-cancellous",
)


@pytest.fixture(scope="module")
def hand() -> object:
    return build_patient("adult-male", region="hand", voxel_mm=1.0)


def _z_of(ph, m):  # noqa: ANN001, ANN202
    return ph.origin_mm[2] + np.nonzero(m)[0] * ph.voxel_mm[0]


def test_hand_region_is_hand_wrist_and_distal_forearm_only(hand) -> None:  # noqa: ANN001
    present = {hand.label_names[v] for v in np.unique(hand.labels) if v}
    assert present <= {"skin", "subcutaneous-fat", "muscle", *HAND_BONES}, present  # no thigh, no trunk
    for n in HAND_BONES:
        assert _mask(hand, n).any(), n
    # distal forearm only: the crop ends < 10 cm above the radiocarpal joint (distal end of the radius)
    z_radius_end = _z_of(hand, _mask(hand, "radius-cortical", "radius-cancellous")).min()
    top = hand.origin_mm[2] + (hand.shape[0] - 1) * hand.voxel_mm[0]
    assert 60 < top - z_radius_end < 100
    # fingers point to the feet: radius above carpals above metacarpals above phalanges
    zc = {n: _z_of(hand, _mask(hand, n)).mean() for n in ("radius-cortical", "carpals", "metacarpals", "phalanges")}
    assert zc["radius-cortical"] > zc["carpals"] > zc["metacarpals"] > zc["phalanges"]


def test_hand_is_flat_in_the_coronal_plane_with_spread_fingers(hand) -> None:  # noqa: ANN001
    bones = _mask(hand, "metacarpals", "phalanges")
    kk, jj, ii = np.nonzero(bones)
    ext = np.ptp(ii) * hand.voxel_mm[2], np.ptp(jj) * hand.voxel_mm[1], np.ptp(kk) * hand.voxel_mm[0]
    assert ext[0] > 70 and ext[2] > 150 and ext[1] < 0.4 * ext[0]  # wide (x) and long (z), thin (y)
    # palm anterior: the soft tissue in front of the metacarpals (palm) is thicker than behind (dorsum)
    from scipy import ndimage

    mc = _mask(hand, "metacarpals")
    k = int(np.median(np.nonzero(mc)[0]))
    body = hand.labels[k] > 0
    mcj = np.nonzero(mc[k])[0]
    body_j = np.nonzero(body.any(axis=1))[0]
    assert mcj.min() - body_j.min() > body_j.max() - mcj.max()  # more tissue at small y (anterior)
    # separate fingers (slight spread): thumb + 4 at the proximal phalanges, 4 at the middle phalanges
    zs = _z_of(hand, _mask(hand, "phalanges", "phalanx-cancellous"))
    counts = []
    for q in (45, 12):
        k = int(round((np.percentile(zs, q) - hand.origin_mm[2]) / hand.voxel_mm[0]))
        counts.append(ndimage.label(hand.labels[k] > 0)[1])
    assert counts == [5, 4]


def test_knee_region_bones_in_place() -> None:
    ph = build_patient("adult-male", region="knee", voxel_mm=1.0)
    L = landmarks(body_params("adult-male"))
    present = {ph.label_names[v] for v in np.unique(ph.labels) if v}
    assert {"femur-cortical", "patella-cortical", "tibia-cortical", "fibula-cortical", "articular-cartilage"} <= present
    assert not present & {"pelvis-cortical", "foot-bones", "bladder-wall"}

    def centre(*names):  # noqa: ANN002, ANN202
        k, j, i = np.nonzero(_mask(ph, *names))
        o, v = ph.origin_mm, ph.voxel_mm
        return np.array([o[0] + i.mean() * v[2], o[1] + j.mean() * v[1], o[2] + k.mean() * v[0]])

    pat, fib, tib = centre("patella-cortical"), centre("fibula-cortical"), centre("tibia-cortical")
    assert pat[1] < centre("femur-cortical")[1] - 25  # patella anterior
    assert pat[2] > L.knee  # above the joint line with the leg extended
    assert fib[0] < tib[0] - 20 and fib[1] > tib[1]  # right leg: fibula lateral (-x) and posterior
    # joint space: along the knee's central column, bone stops 2.5-8 mm between femur and tibia
    j = int(round((tib[1] - ph.origin_mm[1]) / ph.voxel_mm[1]))
    for dx in (-22, 22):  # through each condyle
        i = int(round((tib[0] + dx - ph.origin_mm[0]) / ph.voxel_mm[2]))
        col = _mask(ph, "femur-cortical", "femur-cancellous")[:, j - 3 : j + 4, i].any(axis=1)
        tcol = _mask(ph, "tibia-cortical", "tibia-cancellous")[:, j - 3 : j + 4, i].any(axis=1)
        gap = (np.nonzero(col)[0].min() - np.nonzero(tcol)[0].max() - 1) * ph.voxel_mm[0]
        assert 2.5 <= gap <= 8.0, gap


def test_wrist_fractures_cross_their_bone() -> None:
    ph = build_patient("adult-male", region="hand", voxel_mm=0.5, lesions=["scaphoid-fracture:size_mm=1"])
    t = ph.lesions[0]
    assert t.organ == "scaphoid-right"
    gap = t.mask
    assert _mask(ph, "scaphoid", "scaphoid-cortical")[gap].sum() == 0  # the gap replaced bone
    # the fracture crosses the whole waist: bone remains on both sides, none of it bridges the gap plane
    from scipy import ndimage

    _, n = ndimage.label(_mask(ph, "scaphoid", "scaphoid-cortical"))
    assert n >= 2
    rf = build_patient("adult-male", region="hand", voxel_mm=0.5, lesions=["radius-fracture:displaced_mm=3"])
    _, n = ndimage.label(_mask(rf, "radius-cortical", "radius-cancellous"))
    assert n >= 2  # the distal fragment is separate (displaced dorsally)


def test_face_skeleton_teeth_and_airway() -> None:
    from scipy import ndimage

    ph = build_patient("adult-male", region="head", voxel_mm=1.0)
    z = {n: _z_of(ph, _mask(ph, n)).mean() for n in ("maxilla", "teeth", "mandible", "eye")}
    assert z["eye"] > z["maxilla"] > z["teeth"] > z["mandible"]  # orbits, upper jaw, teeth, lower jaw
    assert _mask(ph, "zygoma").any()
    # the airway runs unbroken from the nasal cavity through the pharynx (to the trachea below the crop)
    air = _mask(ph, "nasal-cavity", "pharynx", "trachea")
    assert ndimage.label(air)[1] == 1
    # the mandible is one U-shaped bone wider than the dental arch
    mand = _mask(ph, "mandible")
    assert ndimage.label(mand)[1] == 1
    xs = lambda m: np.ptp(np.nonzero(m)[2]) * ph.voxel_mm[2]  # noqa: E731
    assert xs(mand) > xs(_mask(ph, "teeth")) + 20
    # sinus air sits inside bone-walled maxillae
    sinus_low = _mask(ph, "sinus") & (_z_of_grid(ph) < z["eye"] - 20)
    grown = ndimage.binary_dilation(sinus_low, iterations=2)
    assert (_mask(ph, "maxilla") & grown).sum() > 0.3 * (grown & ~sinus_low).sum()


def _z_of_grid(ph):  # noqa: ANN001, ANN202
    return (ph.origin_mm[2] + np.arange(ph.shape[0]) * ph.voxel_mm[0])[:, None, None]
