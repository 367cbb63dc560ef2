"""The de-identifier against every attribute of PS3.15 Table E.1-1 (basic profile column), at the top level and
inside a sequence item, plus private attributes, curves and overlays; and the options it claims."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import numpy as np
import pydicom
import pytest
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian

from scanroom.dicom.deidentify import PROFILE_TABLE, BurnedInAnnotation, Deidentifier, basic_profile

MARK = "QZX"  # in every identifying text value; must not survive anywhere
SHIFT = -123
CARRIER = 0x00082218  # Anatomic Region Sequence: not in the table, so kept and walked into


def _tag_of(text: str) -> int:
    return int(text[1:5] + text[6:10], 16)


def _value(tag: int, vr: str) -> object:
    text = f"{MARK}{tag:08X}"
    return {
        "AE": text, "AS": "062Y", "CS": text, "DA": "20200315", "DT": "20200315101010", "TM": "101010",
        "DS": "42.5", "IS": "42", "PN": f"{MARK}^{tag:08X}", "UI": f"1.2.826.0.1.3680043.10.543.{tag}",
        "UR": f"http://{MARK.lower()}.example/{tag}", "US": 42, "SS": 42, "UL": 42, "SL": 42, "FL": 42.5,
        "FD": 42.5, "OB": text.encode(), "OW": text.encode(), "UN": text.encode(),
    }.get(vr, text)


def _code_item(tag: int) -> Dataset:
    item = Dataset()
    item.CodeValue = f"{MARK}{tag:08X}"
    item.CodingSchemeDesignator = f"99{MARK}"
    item.CodeMeaning = f"{MARK} meaning"
    return item


def _element(tag: int, vr: str) -> DataElement:
    vr = (vr or "LO").split(" or ")[0]
    if vr == "SQ":
        return DataElement(tag, "SQ", Sequence([_code_item(tag)]))
    if vr in ("OF", "OD", "OL", "OV", "SV", "UV", "UC", "UT", "ST", "LT", "SH", "LO"):
        vr = vr if vr in ("UC", "UT", "ST", "LT", "SH", "LO") else "OB"
    return DataElement(tag, vr, _value(tag, vr))


def _everything() -> tuple[Dataset, list[tuple[int, str, str]]]:
    """An image carrying every attribute of the table (and private ones) at the top and in a nested item."""
    placed = []
    ds = Dataset()
    nested = Dataset()
    for rule in basic_profile():
        if "x" in rule.tag:
            continue
        tag = _tag_of(rule.tag)
        if tag >> 16 in (0x0000, 0x0002):
            continue  # command set and file meta, not dataset attributes
        ds.add(_element(tag, rule.vr))
        if tag not in (0xFFFAFFFA, 0xFFFCFFFC):
            nested.add(_element(tag, rule.vr))
        placed.append((tag, rule.action, rule.vr))
    for tag, vr in ((0x50003000, "OB"), (0x60003000, "OW"), (0x60004000, "LT"), (0x60024000, "LT")):
        ds.add(DataElement(tag, vr, _value(tag, vr)))
    ds.private_block(0x0009, f"{MARK} CREATOR", create=True).add_new(0x01, "LO", f"{MARK} private")
    nested.private_block(0x0019, f"{MARK} NESTED", create=True).add_new(0x02, "PN", f"{MARK}^PRIVATE")
    ds.add(DataElement(CARRIER, "SQ", Sequence([nested])))
    # What the image itself needs.
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = "1.2.826.0.1.3680043.10.543.1"
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.10.543.2"
    ds.SeriesInstanceUID = "1.2.826.0.1.3680043.10.543.3"
    ds.Modality = "OT"
    ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.PhotometricInterpretation = 4, 4, 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.PixelData = np.arange(16, dtype=np.uint16).tobytes()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    return ds, placed


def _shift(value: str, vr: str) -> str:
    if vr == "TM":
        return value
    shifted = (dt.datetime.strptime(value[:8], "%Y%m%d") + dt.timedelta(days=SHIFT)).strftime("%Y%m%d")
    return shifted + value[8:]


def test_table_is_ps3_15_table_e1_1() -> None:
    rules = {r.keyword: r.action for r in basic_profile() if r.keyword}
    assert len(basic_profile()) > 600
    # Spot facts of PS3.15 2026c Table E.1-1 (basic profile column).
    assert rules["PatientName"] == "Z" and rules["PatientID"] == "Z/D" and rules["PatientBirthDate"] == "Z"
    assert rules["StudyInstanceUID"] == "U" and rules["SOPInstanceUID"] == "U"
    assert rules["InstitutionName"] == "X/Z/D" and rules["SeriesDescription"] == "X"
    assert rules["ReferencedImageSequence"] == "X/Z/U*" and rules["AccessionNumber"] == "Z"
    assert PROFILE_TABLE.endswith(".tsv")


def test_every_basic_profile_attribute_top_level_and_nested() -> None:
    ds, placed = _everything()
    originals = {tag: _value(tag, (vr or "LO").split(" or ")[0]) for tag, _, vr in placed}
    deid = Deidentifier(date_shift_days=SHIFT, seed=7)
    out = pydicom.dcmread(BytesIO(_roundtrip(deid.apply(ds))))

    nested_items = out[CARRIER].value
    assert len(nested_items) == 1
    checked = {"X": 0, "Z": 0, "D": 0, "U": 0, "dates": 0}
    for where in (out, nested_items[0]):
        for tag, action, vr in placed:
            if where is nested_items[0] and tag in (0xFFFAFFFA, 0xFFFCFFFC):
                continue
            present = tag in where
            elem = where[tag] if present else None
            value = None if elem is None else elem.value
            empty = value in (None, "", b"") or (elem is not None and elem.VR == "SQ" and len(value) == 0)
            original = originals[tag]
            if vr in ("DA", "DT", "TM") and tag not in (0x00100030, 0x00100032):
                assert present and value == _shift(str(original), vr), f"{tag:08X} not shifted by one offset"
                checked["dates"] += 1
            elif action == "X":
                assert not present, f"X attribute {tag:08X} survived"
                checked["X"] += 1
            elif action == "U":
                assert present and value != original and pydicom.uid.UID(str(value)).is_valid, f"{tag:08X}"
                checked["U"] += 1
            elif action == "D":
                assert present and not empty, f"D attribute {tag:08X} must hold a dummy"
                assert MARK not in str(value if not isinstance(value, bytes) else value.decode("latin-1"))
                checked["D"] += 1
            elif action == "Z":
                assert empty or MARK not in str(value), f"Z attribute {tag:08X} kept its value"
                checked["Z"] += 1
            elif action == "X/Z/U*":
                assert not present or all(str(v.value) != str(originals.get(int(v.tag), ""))
                                          for item in (value or []) for v in item if v.VR == "UI")
            else:  # X/Z, X/D, X/Z/D, Z/D: gone, empty or a dummy
                assert not present or empty or MARK not in str(value), f"{action} attribute {tag:08X} kept"
    assert min(checked.values()) > 0, checked
    # Same source UID → same new UID, wherever it sits.
    overridden = {0x00080018, 0x0020000D, 0x0020000E}  # set again at the top level for the image itself
    for tag, action, _vr in placed:
        if action == "U" and tag in nested_items[0] and tag not in overridden:
            assert nested_items[0][tag].value == out[tag].value
    raw = _roundtrip(out)
    assert MARK.encode() not in raw and MARK.lower().encode() not in raw
    for elem in out.iterall():
        assert not elem.tag.is_private
        assert elem.tag >> 24 not in (0x50, 0x60) or elem.tag == 0x7FE00010
    assert bytes(out.PixelData) == np.arange(16, dtype=np.uint16).tobytes()
    assert out.PatientIdentityRemoved == "YES" and out.LongitudinalTemporalInformationModified == "MODIFIED"
    assert out.file_meta.MediaStorageSOPInstanceUID == out.SOPInstanceUID
    print(f"checked per action: {checked}")


def _roundtrip(ds: Dataset) -> bytes:
    buffer = BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def test_batch_consistency_and_burned_in_refusal() -> None:
    a, _ = _everything()
    b, _ = _everything()
    one = Deidentifier(seed=1)
    assert one.apply(a).StudyInstanceUID == one.apply(b).StudyInstanceUID  # one batch: one mapping
    c, _ = _everything()
    assert Deidentifier(seed=2).apply(c).StudyInstanceUID != a.StudyInstanceUID  # another key: other UIDs
    assert -730 <= one.date_shift_days <= -62
    burned, _ = _everything()
    burned.BurnedInAnnotation = "YES"
    with pytest.raises(BurnedInAnnotation, match="burned"):
        Deidentifier().apply(burned)
    assert Deidentifier(allow_burned_in=True).apply(burned).PatientIdentityRemoved == "YES"
