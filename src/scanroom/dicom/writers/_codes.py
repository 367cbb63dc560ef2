"""Coded concepts shared by the writers (PS3.16 context groups, checked against pydicom's code dictionaries)."""

from __future__ import annotations

from typing import Any

Code = tuple[str, str, str]

# In CID 4009 "DX Anatomy Imaged", CID 4030 "CT, MR and PET Anatomy Imaged" and CID 4031 "Common Anatomic
# Regions" (PS3.16), by DICOM Body Part Examined.
ANATOMIC_REGIONS: dict[str, Code] = {
    "HEADNECK": ("774007", "SCT", "Head and Neck"),
    "NECK": ("45048000", "SCT", "Neck"),
    "CHESTABDOMEN": ("416550000", "SCT", "Chest and Abdomen"),
    "ABDOMENPELVIS": ("818982008", "SCT", "Abdomen and Pelvis"),
    "CHESTABDPELVIS": ("416775004", "SCT", "Chest, Abdomen and Pelvis"),
    "WHOLEBODY": ("38266002", "SCT", "Entire body"),
    "CHEST": ("816094009", "SCT", "Chest"),
    "ABDOMEN": ("818981001", "SCT", "Abdomen"),
    "PELVIS": ("816092008", "SCT", "Pelvis"),
    "HAND": ("85562004", "SCT", "Hand"),
    "WRIST": ("74670003", "SCT", "Wrist joint"),
    "KNEE": ("72696002", "SCT", "Knee"),
    "SKULL": ("89546000", "SCT", "Skull"),
    "HEAD": ("69536005", "SCT", "Head"),
    "CSPINE": ("122494005", "SCT", "Cervical spine"),
    "TSPINE": ("122495006", "SCT", "Thoracic spine"),
    "LSPINE": ("122496007", "SCT", "Lumbar spine"),
    "SPINE": ("421060004", "SCT", "Spine"),
    "SHOULDER": ("16982005", "SCT", "Shoulder"),
    "ELBOW": ("16953009", "SCT", "Elbow joint"),
    "FOREARM": ("14975008", "SCT", "Forearm"),
    "HIP": ("29836001", "SCT", "Hip"),
    "ANKLE": ("70258002", "SCT", "Ankle joint"),
    "FOOT": ("56459004", "SCT", "Foot"),
    "LEG": ("30021000", "SCT", "Lower leg"),
    "THIGH": ("68367000", "SCT", "Thigh"),
    "CLAVICLE": ("51299004", "SCT", "Clavicle"),
    "RIB": ("113197003", "SCT", "Rib"),
}
_BY_CODE = {code[0]: code for code in ANATOMIC_REGIONS.values()}
# retired or non-CID codes seen in the wild → the CID 4009 concept
_REPLACED_REGION_CODES = {"51185008": "816094009"}  # "Thoracic structure" → "Chest"


def anatomic_region(dicom: dict[str, Any]) -> Code:
    """The Anatomic Region code: ``dicom["anatomic_region"]`` normalised to CID 4009/4030, or from ``body_part``."""
    given = dicom.get("anatomic_region")
    if given:
        value, scheme, meaning = (str(p) for p in given)
        value = _REPLACED_REGION_CODES.get(value, value) if scheme in ("SCT", "SRT") else value
        if value in _BY_CODE:
            return _BY_CODE[value]
        return (value, scheme, meaning)
    body_part = str(dicom.get("body_part") or "").upper()
    return ANATOMIC_REGIONS.get(body_part, ("38266002", "SCT", "Entire body"))
