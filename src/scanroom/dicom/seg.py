"""Simulator ground truth → DICOM Segmentation (PS3.3 A.51, Segmentation IOD), built with highdicom.

Every :class:`~scanroom.scanner.base.Acquisition` of a patient with lesions carries ``truth_masks``: one
boolean array ``(frames, rows, cols)`` per inserted lesion, in image space, named ``"<lesion_id>-<instance>"``
(``"lung-nodule-1"``). :func:`truth_segmentation` writes them as one BINARY Segmentation instance that
references the image instances the writers produced (one DX image, or each slice of a CT or MR series):

* one segment per truth mask, in the masks' order: Segment Label and Tracking ID are the mask name, the Segment
  Description is the lesion type's description (``LESION_TYPES``); Segmented Property Category is
  SNOMED CT 49755003 "Morphologically Abnormal Structure" (CID 7150) and the Segmented Property Type is the
  SNOMED CT morphology of the lesion type (CID 7151/7159 where the standard lists one: Nodule, Cyst,
  Hemorrhage, Neoplasm, Neoplasm Secondary; otherwise the SNOMED CT concept: Fracture, Calculus, Infarct,
  Demyelination, Hemangioma, Pneumothorax, Pleural effusion), with the organ as Anatomic Region;
* Segment Algorithm Type AUTOMATIC, algorithm "Scanroom digital patient truth" (version: Scanroom's), family
  a local code (``99SCANROOM``, declared in the Coding Scheme Identification Sequence): the masks are the
  digital patient's own lesion voxels carried through the simulator's geometry, not a segmentation
  algorithm's output, and CID 7162 (extensible) has no such family;
* frames holding no segment pixels are left out (``omit_empty_frames``); a segment whose lesion lies wholly
  outside the image keeps its description but has no frames (when no mask has a pixel in the image at all,
  highdicom writes the empty frames instead: a Segmentation needs at least one);
* its own series (number 700, "Ground truth (simulator)") in the images' study and Frame of Reference.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pydicom.dataset import Dataset
from pydicom.sr.coding import Code
from pydicom.uid import generate_uid

from scanroom import __version__
from scanroom.dicom.modules import DEVICE_SERIAL_NUMBER, MANUFACTURER
from scanroom.scanner.base import Acquisition

SEGMENTATION_STORAGE = "1.2.840.10008.5.1.4.1.1.66.4"
SERIES_NUMBER = 700
SERIES_DESCRIPTION = "Ground truth (simulator)"
ALGORITHM_NAME = "Scanroom digital patient truth"
CONTENT_LABEL = "TRUTH"

LOCAL_SCHEME = "99SCANROOM"
ALGORITHM_FAMILY = Code("SIMTRUTH", LOCAL_SCHEME, "Simulator ground truth")

MORPHOLOGICALLY_ABNORMAL_STRUCTURE = Code("49755003", "SCT", "Morphologically Abnormal Structure")

# Segmented Property Types (SNOMED CT morphologic abnormalities; meanings as PS3.16 writes them)
NODULE = Code("27925004", "SCT", "Nodule")
FRACTURE = Code("72704001", "SCT", "Fracture")
CYST = Code("367643001", "SCT", "Cyst")  # CID 7159; 441457006 is the disorder "Cyst"
CALCULUS = Code("56381008", "SCT", "Calculus")
HEMORRHAGE = Code("50960005", "SCT", "Hemorrhage")
NEOPLASM = Code("108369006", "SCT", "Neoplasm")
NEOPLASM_SECONDARY = Code("14799000", "SCT", "Neoplasm, Secondary")
HEMANGIOMA = Code("2099007", "SCT", "Hemangioma")
INFARCT = Code("55641003", "SCT", "Infarct")
PNEUMOTHORAX = Code("36118008", "SCT", "Pneumothorax")
PLEURAL_EFFUSION = Code("60046008", "SCT", "Pleural effusion")
DEMYELINATION = Code("32693004", "SCT", "Demyelination")
LESION = Code("52988006", "SCT", "Lesion")

# Anatomic regions (CID 4 / 4030)
LUNG = Code("39607008", "SCT", "Lung")
PLEURA = Code("3120008", "SCT", "Pleura")
RIB = Code("113197003", "SCT", "Rib")
RADIUS = Code("62413002", "SCT", "Radius")
SCAPHOID = Code("30518006", "SCT", "Scaphoid")
LIVER = Code("10200004", "SCT", "Liver")
KIDNEY = Code("64033007", "SCT", "Kidney")
GALLBLADDER = Code("28231008", "SCT", "Gallbladder")
BRAIN = Code("12738006", "SCT", "Brain")


@dataclass(frozen=True)
class LesionCoding:
    """How one lesion type is coded in a segment."""

    property_type: Code
    anatomic_region: Code | None = None


LESION_CODES: dict[str, LesionCoding] = {
    "lung-nodule": LesionCoding(NODULE, LUNG),
    "ggo-nodule": LesionCoding(NODULE, LUNG),
    "calcified-nodule": LesionCoding(NODULE, LUNG),
    "pneumothorax": LesionCoding(PNEUMOTHORAX, PLEURA),
    "pleural-effusion": LesionCoding(PLEURAL_EFFUSION, PLEURA),
    "rib-fracture": LesionCoding(FRACTURE, RIB),
    "radius-fracture": LesionCoding(FRACTURE, RADIUS),
    "scaphoid-fracture": LesionCoding(FRACTURE, SCAPHOID),
    "liver-cyst": LesionCoding(CYST, LIVER),
    "liver-metastasis": LesionCoding(NEOPLASM_SECONDARY, LIVER),
    "haemangioma": LesionCoding(HEMANGIOMA, LIVER),
    "renal-stone": LesionCoding(CALCULUS, KIDNEY),
    "gallstone": LesionCoding(CALCULUS, GALLBLADDER),
    "brain-haemorrhage": LesionCoding(HEMORRHAGE, BRAIN),
    "infarct": LesionCoding(INFARCT, BRAIN),
    "brain-tumour": LesionCoding(NEOPLASM, BRAIN),
    "ms-lesions": LesionCoding(DEMYELINATION, BRAIN),
}
UNKNOWN_LESION = LesionCoding(LESION)

# display colours (CIELab is what DICOM stores): the preview's lesion outline colours, in the same order
_COLOURS = ((255, 60, 60), (60, 200, 255), (255, 200, 0), (120, 255, 90), (255, 90, 255), (255, 140, 0))


def lesion_type_of(mask_name: str) -> str:
    """The lesion type id of a truth mask name: ``"lung-nodule-2"`` → ``"lung-nodule"``."""
    return re.sub(r"-\d+$", "", mask_name)


def lesion_coding(mask_name: str) -> LesionCoding:
    return LESION_CODES.get(lesion_type_of(mask_name), UNKNOWN_LESION)


def truth_segmentation(acquisition: Acquisition, image_datasets: Sequence[Dataset], *,
                       series_number: int = SERIES_NUMBER) -> Dataset | None:
    """A BINARY DICOM Segmentation of ``acquisition.truth_masks`` on the images in ``image_datasets``.

    ``image_datasets`` is what :func:`scanroom.dicom.export.to_datasets` returned for the acquisition (or the
    image instances read back from disk): dose reports and a CT scout (another series) are passed over; the
    remaining images, ordered by Instance Number, must be one per frame of ``acquisition.images``. Returns
    None when the acquisition has no truth masks. Raises ValueError when images and masks do not match.
    """
    masks = acquisition.truth_masks
    if not masks:
        return None
    import highdicom as hd

    sources = source_images(acquisition, image_datasets)
    frames, rows, cols = (len(sources), int(sources[0].Rows), int(sources[0].Columns))
    stacked = np.zeros((frames, rows, cols, len(masks)), dtype=bool)
    for index, (name, mask) in enumerate(masks.items()):
        mask = np.asarray(mask, dtype=bool)
        if mask.ndim == 2:
            mask = mask[None]
        if mask.shape != (frames, rows, cols):
            raise ValueError(f"truth mask {name!r} has shape {mask.shape}; the images are {(frames, rows, cols)}")
        stacked[..., index] = mask

    algorithm = hd.AlgorithmIdentificationSequence(name=ALGORITHM_NAME, family=ALGORITHM_FAMILY,
                                                   version=__version__, source="Scanroom")
    descriptions = []
    for number, name in enumerate(masks, start=1):
        coding = lesion_coding(name)
        description = hd.seg.SegmentDescription(
            segment_number=number, segment_label=name[:64],
            segmented_property_category=MORPHOLOGICALLY_ABNORMAL_STRUCTURE,
            segmented_property_type=coding.property_type,
            algorithm_type=hd.seg.SegmentAlgorithmTypeValues.AUTOMATIC, algorithm_identification=algorithm,
            tracking_uid=generate_uid(), tracking_id=name[:64],
            anatomic_regions=[coding.anatomic_region] if coding.anatomic_region else None,
            display_color=hd.color.CIELabColor.from_rgb(*_COLOURS[(number - 1) % len(_COLOURS)]),
        )
        text = _lesion_description(name)
        if text:
            description.SegmentDescription = text
        descriptions.append(description)

    seg = hd.seg.Segmentation(
        source_images=sources, pixel_array=stacked, segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=descriptions, series_instance_uid=generate_uid(), series_number=series_number,
        sop_instance_uid=generate_uid(), instance_number=1, manufacturer=MANUFACTURER,
        manufacturer_model_name="Scanroom simulator", software_versions=__version__,
        device_serial_number=DEVICE_SERIAL_NUMBER, content_label=CONTENT_LABEL,
        content_description="Lesion ground truth from the Scanroom digital patient", omit_empty_frames=True,
    )
    seg.SeriesDescription = SERIES_DESCRIPTION
    _declare_local_scheme(seg)
    first = sources[0]
    for keyword in ("PatientIdentityRemoved", "DeidentificationMethod", "PatientAge"):
        if keyword in first and keyword not in seg:
            setattr(seg, keyword, first.get(keyword))
    if "FrameOfReferenceUID" not in seg and "PatientOrientation" not in seg:
        # General Image Module, type 2C: required without a patient coordinate system (DX)
        seg.PatientOrientation = first.get("PatientOrientation", "")
    return seg


def source_images(acquisition: Acquisition, image_datasets: Sequence[Dataset]) -> list[Dataset]:
    """The image instances the truth masks are drawn on: the first image series, one instance per frame."""
    images = [ds for ds in image_datasets if ds.get("Modality") != "SR" and "PixelData" in ds]
    if not images:
        raise ValueError("no image datasets to reference")
    series = images[0].SeriesInstanceUID
    images = sorted((ds for ds in images if ds.SeriesInstanceUID == series), key=lambda ds: int(ds.InstanceNumber))
    frames = int(np.asarray(acquisition.images).shape[0])
    if len(images) != frames:
        raise ValueError(f"{len(images)} image instance(s) in series {series} for {frames} frame(s) of truth")
    return images


def _lesion_description(mask_name: str) -> str:
    try:
        from scanroom.physics.patients.lesions import LESION_TYPES
    except ImportError:  # pragma: no cover - the physics package is part of scanroom
        return ""
    lesion = LESION_TYPES.get(lesion_type_of(mask_name))
    return lesion.description if lesion else ""


def _declare_local_scheme(ds: Dataset) -> None:
    """Coding Scheme Identification Sequence (SOP Common, type 1C) for the local algorithm family code."""
    item = Dataset()
    item.CodingSchemeDesignator = LOCAL_SCHEME
    item.CodingSchemeName = "Scanroom local codes"
    item.CodingSchemeResponsibleOrganization = "Scanroom"
    existing = [i for i in ds.get("CodingSchemeIdentificationSequence", [])
                if i.get("CodingSchemeDesignator") != LOCAL_SCHEME]
    ds.CodingSchemeIdentificationSequence = [*existing, item]
