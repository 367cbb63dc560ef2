"""Structured Reporting building blocks (PS3.3 C.17.3 content items) for the radiation dose SRs.

highdicom has no radiation dose templates, so the content trees are built directly with pydicom. Each helper
returns one content item (a Dataset for a Content Sequence). Codes are ``(value, scheme, meaning)`` tuples;
every code used is in PS3.16 (checked against pydicom's copy of the DICOM code dictionaries).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from pydicom.dataset import Dataset

from scanroom.dicom.modules import code_item
from scanroom.dicom.modules import format_ds as ds_str

Code = tuple[str, str, str]

# Relationship types (PS3.3 Table C.17.3-8)
CONTAINS = "CONTAINS"
HAS_CONCEPT_MOD = "HAS CONCEPT MOD"
HAS_OBS_CONTEXT = "HAS OBS CONTEXT"
HAS_PROPERTIES = "HAS PROPERTIES"
INFERRED_FROM = "INFERRED FROM"

# Frequently used codes
YES: Code = ("373066001", "SCT", "Yes")
NO: Code = ("373067005", "SCT", "No")
LATERALITY: Code = ("272741003", "SCT", "Laterality")
LEFT: Code = ("7771000", "SCT", "Left")
RIGHT: Code = ("24028007", "SCT", "Right")
BILATERAL: Code = ("51440002", "SCT", "Bilateral")
HAS_INTENT: Code = ("363703001", "SCT", "Has Intent")
DIAGNOSTIC_INTENT: Code = ("261004008", "SCT", "Diagnostic Intent")
NO_UNITS: Code = ("1", "UCUM", "no units")


def unit(ucum: str, meaning: str | None = None) -> Code:
    return (ucum, "UCUM", meaning or ucum)


def _code_seq(code: Code) -> list[Dataset]:
    return [code_item(*code)]


def _item(relationship: str | None, value_type: str, concept: Code) -> Dataset:
    item = Dataset()
    if relationship:
        item.RelationshipType = relationship
    item.ValueType = value_type
    item.ConceptNameCodeSequence = _code_seq(concept)
    return item


def _with_children(item: Dataset, children: Iterable[Dataset | None] | None) -> Dataset:
    kids = [c for c in (children or ()) if c is not None]
    if kids:
        item.ContentSequence = kids
    return item


def container(concept: Code, children: Sequence[Dataset | None], *, relationship: str | None = CONTAINS,
              template: str | None = None) -> Dataset:
    item = _item(relationship, "CONTAINER", concept)
    item.ContinuityOfContent = "SEPARATE"
    if template:
        tpl = Dataset()
        tpl.MappingResource = "DCMR"
        tpl.TemplateIdentifier = template
        item.ContentTemplateSequence = [tpl]
    return _with_children(item, children)


def code(relationship: str, concept: Code, value: Code, children: Sequence[Dataset | None] = ()) -> Dataset:
    item = _item(relationship, "CODE", concept)
    item.ConceptCodeSequence = _code_seq(value)
    return _with_children(item, children)


def num(relationship: str, concept: Code, value: float, units: Code,
        children: Sequence[Dataset | None] = ()) -> Dataset:
    item = _item(relationship, "NUM", concept)
    measured = Dataset()
    measured.MeasurementUnitsCodeSequence = _code_seq(units)
    measured.NumericValue = ds_str(value)
    measured.FloatingPointValue = float(value)
    item.MeasuredValueSequence = [measured]
    return _with_children(item, children)


def num_if(relationship: str, concept: Code, value: float | None, units: Code) -> Dataset | None:
    """A NUM item, or None (left out of the tree) when the value is unknown."""
    return None if value is None else num(relationship, concept, value, units)


def text(relationship: str, concept: Code, value: str) -> Dataset:
    item = _item(relationship, "TEXT", concept)
    item.TextValue = value
    return item


def uidref(relationship: str, concept: Code, uid: str) -> Dataset:
    item = _item(relationship, "UIDREF", concept)
    item.UID = uid
    return item


def datetime_item(relationship: str, concept: Code, when: datetime) -> Dataset:
    item = _item(relationship, "DATETIME", concept)
    item.DateTime = when.strftime("%Y%m%d%H%M%S.%f")
    return item


def laterality_code(image_laterality: str) -> Code | None:
    return {"L": LEFT, "R": RIGHT, "B": BILATERAL}.get((image_laterality or "").upper())


# -- templates shared by projection X-ray and CT ---------------------------------------------------------

def device_observer_context(*, device_uid: str, name: str, manufacturer: str, model: str,
                            serial: str) -> list[Dataset]:
    """TID 1002 Observer Context with TID 1004 Device Observer Identifying Attributes (device observer)."""
    return [
        code(HAS_OBS_CONTEXT, ("121005", "DCM", "Observer Type"), ("121007", "DCM", "Device")),
        uidref(HAS_OBS_CONTEXT, ("121012", "DCM", "Device Observer UID"), device_uid),
        text(HAS_OBS_CONTEXT, ("121013", "DCM", "Device Observer Name"), name[:64]),
        text(HAS_OBS_CONTEXT, ("121014", "DCM", "Device Observer Manufacturer"), manufacturer[:64]),
        text(HAS_OBS_CONTEXT, ("121015", "DCM", "Device Observer Model Name"), model[:64]),
        text(HAS_OBS_CONTEXT, ("121016", "DCM", "Device Observer Serial Number"), serial[:64]),
    ]


def scope_of_accumulation_study(study_uid: str) -> Dataset:
    """Scope of Accumulation = Study, with its Study Instance UID (TID 10001 / TID 10011)."""
    return code(HAS_OBS_CONTEXT, ("113705", "DCM", "Scope of Accumulation"), ("113014", "DCM", "Study"),
                [uidref(HAS_PROPERTIES, ("110180", "DCM", "Study Instance UID"), study_uid)])


def evidence_sequence(study_uid: str, series: Sequence[tuple[str, Sequence[tuple[str, str]]]]) -> list[Dataset]:
    """Hierarchical SOP Instance Reference Macro items: [(series_uid, [(sop_class, sop_instance), …]), …]."""
    study = Dataset()
    study.StudyInstanceUID = study_uid
    study.ReferencedSeriesSequence = []
    for series_uid, instances in series:
        s = Dataset()
        s.SeriesInstanceUID = series_uid
        s.ReferencedSOPSequence = []
        for sop_class, sop_uid in instances:
            ref = Dataset()
            ref.ReferencedSOPClassUID = sop_class
            ref.ReferencedSOPInstanceUID = sop_uid
            s.ReferencedSOPSequence.append(ref)
        study.ReferencedSeriesSequence.append(s)
    return [study]
