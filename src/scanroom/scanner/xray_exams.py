"""Radiographic examinations: projection, centring, field, default exposure, and what must be in the field.

Beam directions are unit vectors in patient coordinates (LPS: +x patient left, +y posterior, +z head),
pointing from the tube to the detector. Centring is on the centroid of the exam's anatomy (a digital
stand-in for the textbook centring point: e.g. T7 / inferior angles of the scapulae for a chest PA, the
iliac crests for an abdomen AP, the head of the third metacarpal for a hand PA), per Bontrager &
Lampignano, *Textbook of Radiographic Positioning and Related Anatomy*, 10th ed. (2021).

Target exposure indices are site-set (IEC 62494-1; AAPM TG-116, 2009); the values here are typical DR
targets of ~2.5 µGy (trunk) to ~5 µGy (extremities) at the detector, stated as EI = 100·K(µGy).
Effective dose per DAP (mSv per Gy·cm²) is approximate for adults, derived from typical UK effective
doses and DAPs (Wall et al., HPA-CRCE-028, 2011) — an estimate for teaching, not a patient dose.
National DRLs (DAP, Gy·cm²) are UK NDRLs (UKHSA, 2022) where one exists [verify against the UKHSA table].
Preset mAs values are set so the reference adult lands near DI 0 in this simulator.
"""

from __future__ import annotations

from dataclasses import dataclass

AP = (0.0, 1.0, 0.0)  # anterior → posterior
PA = (0.0, -1.0, 0.0)  # posterior → anterior
LAT_LEFT = (1.0, 0.0, 0.0)  # right → left: left side against the detector


@dataclass(frozen=True)
class Exam:
    exam_id: str
    name: str
    region: str  # digital-patient region to build
    view_position: str  # DICOM ViewPosition: PA, AP, LL, RL, OBL …
    direction: tuple[float, float, float]  # tube → detector, before tube angulation
    anatomy: tuple[str, ...]  # label names that must be in the field (and define the centring point)
    kvp: float
    mas: float
    sid_cm: float
    grid: bool
    field_cm: tuple[float, float]  # (width, height) at the detector
    detector_cm: tuple[float, float]  # (width, height) of the panel used
    pixel_mm: float
    voxel_mm: float
    body_part: str  # DICOM Body Part Examined
    anatomic_region: tuple[str, str, str]  # (code, scheme, meaning), SNOMED CT
    ei_target: float
    e_per_dap_msv_per_gycm2: float
    drl_dap_gycm2: float | None
    patient_position: str  # ERECT or SUPINE or SEATED
    base_rotation_deg: float = 0.0  # e.g. 45° for an oblique hand
    image_up: str = "head"  # which way is up on the image: "head" or "feet" (fingers up for hands)


_LUNGS = ("lung-left", "lung-right")
_HAND = ("metacarpals", "phalanges", "carpals")
_WRIST = ("carpals", "radius-cortical", "ulna-cortical")
_KNEE = ("patella-cortical", "femur-cortical", "tibia-cortical")

EXAMS: dict[str, Exam] = {e.exam_id: e for e in (
    Exam("chest-pa", "Chest PA", "chest", "PA", PA, _LUNGS, 110, 1.5, 180, True, (35, 43), (43, 43), 0.5, 2.0,
         "CHEST", ("816094009", "SCT", "Chest"), 250, 0.15, 0.10, "ERECT"),
    Exam("chest-lat", "Chest lateral", "chest", "LL", LAT_LEFT, _LUNGS, 120, 16.0, 180, True, (35, 43), (43, 43),
         0.5, 2.0, "CHEST", ("816094009", "SCT", "Chest"), 250, 0.10, 0.50, "ERECT"),
    Exam("abdomen-ap", "Abdomen AP supine", "abdomen", "AP", AP,
         ("liver", "kidney-left-cortex", "kidney-right-cortex", "small-bowel", "colon"), 80, 8.0, 110, True,
         (35, 43), (43, 43), 0.5, 2.0, "ABDOMEN", ("818981001", "SCT", "Abdomen"), 300, 0.18, 2.5, "SUPINE"),
    Exam("pelvis-ap", "Pelvis AP", "pelvis", "AP", AP, ("pelvis-cortical", "sacrum-cortical"), 80, 10.0, 110,
         True, (43, 35), (43, 43), 0.5, 2.0, "PELVIS", ("816092008", "SCT", "Pelvis"), 300, 0.15, 2.2, "SUPINE"),
    Exam("hand-pa", "Hand PA", "hand", "PA", PA, _HAND, 55, 1.0, 100, False, (20, 26), (24, 30), 0.25, 1.0,
         "HAND", ("85562004", "SCT", "Hand"), 500, 0.001, None, "SEATED", image_up="feet"),
    Exam("hand-oblique", "Hand PA oblique", "hand", "PA", PA, _HAND, 55, 1.0, 100, False, (18, 30), (24, 30),
         0.25, 1.0, "HAND", ("85562004", "SCT", "Hand"), 500, 0.001, None, "SEATED", base_rotation_deg=45.0,
         image_up="feet"),
    Exam("wrist-pa", "Wrist PA", "hand", "PA", PA, _WRIST, 55, 1.5, 100, False, (14, 18), (24, 30), 0.25, 1.0,
         "WRIST", ("74670003", "SCT", "Wrist"), 500, 0.001, None, "SEATED", image_up="feet"),
    Exam("wrist-lat", "Wrist lateral", "hand", "LL", LAT_LEFT, _WRIST, 60, 2.0, 100, False, (11, 17), (24, 30),
         0.25, 1.0, "WRIST", ("74670003", "SCT", "Wrist"), 500, 0.001, None, "SEATED", image_up="feet"),
    Exam("knee-ap", "Knee AP", "knee", "AP", AP, _KNEE, 65, 2.5, 110, False, (18, 24), (24, 30), 0.3, 1.0,
         "KNEE", ("72696002", "SCT", "Knee"), 400, 0.003, None, "SUPINE"),
    Exam("knee-lat", "Knee lateral", "knee", "LL", LAT_LEFT, _KNEE, 65, 2.5, 110, False, (18, 24), (24, 30),
         0.3, 1.0, "KNEE", ("72696002", "SCT", "Knee"), 400, 0.003, None, "SUPINE"),
    Exam("skull-pa", "Skull PA", "head", "PA", PA, ("skull-cortical",), 75, 10.0, 100, True, (24, 30), (35, 43),
         0.4, 1.5, "SKULL", ("89546000", "SCT", "Skull"), 300, 0.03, 1.0, "ERECT"),
    Exam("lumbar-ap", "Lumbar spine AP", "abdomen", "AP", AP, ("vertebra-cortical", "intervertebral-disc"), 80,
         12.5, 110, True, (18, 40), (43, 43), 0.5, 2.0, "LSPINE", ("122496007", "SCT", "Lumbar spine"), 300,
         0.20, 1.5, "SUPINE"),
)}
