"""De-identify real DICOM images before they enter the teaching library.

Method: DICOM PS3.15 Annex E, the Basic Application Level Confidentiality Profile with the Retain
Longitudinal Temporal Information with Modified Dates Option (PS3.15 2026c, Table E.1-1, §E.3.6).

- dicognito (``Anonymizer``) walks every element, nested sequences and the file meta included, and puts in
  consistent dummies: person names, IDs, addresses; every non-class UID (through our handler below, so new UIDs
  are ``2.25.<n>`` name-based UUIDs, PS3.5 §B.2, keyed by a secret); every DA/DT shifted by one whole-day offset
  (our handler, see ``_DateShifter``).
- Then Table E.1-1 (``data/ps3_15_table_e1_1_basic_profile.tsv``) is applied recursively: X removed, Z emptied,
  D dummy, U already replaced, X/Z/U* reference sequences kept with their UIDs replaced; private attributes
  (odd groups), curves and overlays removed. Dates and times keep their shifted value (the option's "C"),
  except the patient's birth date and time, which the basic profile's Z/X empties.
- PatientIdentityRemoved, LongitudinalTemporalInformationModified, DeidentificationMethod and its code sequence
  (CID 7050: 113100 basic profile, 113107 modified dates) record what was done (PS3.15 §E.1.1).
- Pixel data is never altered, so a file that declares BurnedInAnnotation YES is refused unless the caller
  allows it (the basic profile needs burned-in identity removed from the pixels, which we cannot do).
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import pydicom
from dicognito.anonymizer import Anonymizer
from dicognito.element_anonymizer import ElementAnonymizer
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.tag import BaseTag
from pydicom.uid import PYDICOM_IMPLEMENTATION_UID, UID

PROFILE_TABLE = "ps3_15_table_e1_1_basic_profile.tsv"
PROFILE_EDITION = "PS3.15 2026c"
# DeidentificationMethod is LO (at most 64 characters a value), so one value per part.
METHOD = ("PS3.15 Annex E Basic Application Confidentiality Profile",
          "Retain Longitudinal Temporal Info Modified Dates Option", "Scanroom teaching import (dicognito)")
# PS3.16 CID 7050 De-identification Method.
METHOD_CODES = (("113100", "Basic Application Confidentiality Profile"),
                ("113107", "Retain Longitudinal Temporal Information Modified Dates Option"))
# Z allows "a non-zero length value that may be a dummy": Patient ID keeps dicognito's consistent dummy, so one
# patient's studies in a batch still belong together, and the patient's name becomes ANONYMOUS^<that ID> (plainly
# not a person, unlike dicognito's realistic names); every other Z attribute is emptied.
KEEP_DUMMY_FOR_Z = frozenset({"PatientID"})
# Retained-date option does not apply: the basic profile empties them (Z) or removes them (X).
NEVER_SHIFT = frozenset({0x00100030, 0x00100032})  # Patient's Birth Date, Patient's Birth Time
DATE_VRS = frozenset({"DA", "DT", "TM"})
STANDARD_UID_ROOT = "1.2.840.10008."
# What may stay in an item of a kept reference sequence (PS3.3 Image SOP Instance Reference Macro, Table 10-3).
SAFE_REFERENCE_KEYWORDS = frozenset({"ReferencedFrameNumber", "ReferencedSegmentNumber",
                                     "PurposeOfReferenceCodeSequence"})


class BurnedInAnnotation(ValueError):
    """The image says identifying text is burned into its pixels; the basic profile cannot clean that."""


@dataclass(frozen=True)
class ProfileRule:
    """One row of PS3.15 Table E.1-1 (basic profile column)."""

    tag: str  # "(GGGG,EEEE)", or with xx for repeating groups: "(60xx,3000)"
    action: str  # X, Z, D, U, Z/D, X/Z, X/D, X/Z/D, X/Z/U*
    vr: str
    keyword: str
    name: str

    def matches(self, tag: int) -> bool:
        group, element = f"{tag >> 16:04X}", f"{tag & 0xFFFF:04X}"
        want_group, want_element = self.tag[1:5], self.tag[6:10]
        return all(w in ("x", c) for w, c in zip(want_group + want_element, group + element, strict=True))


@lru_cache(maxsize=1)
def basic_profile() -> tuple[ProfileRule, ...]:
    """The rows of Table E.1-1 shipped with Scanroom (see the file's header for the edition and source)."""
    text = files("scanroom.dicom").joinpath("data", PROFILE_TABLE).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return tuple(ProfileRule(**row) for row in csv.DictReader(lines, delimiter="\t"))


@lru_cache(maxsize=1)
def _rules_by_tag() -> tuple[dict[int, ProfileRule], tuple[ProfileRule, ...]]:
    exact: dict[int, ProfileRule] = {}
    repeating: list[ProfileRule] = []
    for rule in basic_profile():
        if "x" in rule.tag:
            repeating.append(rule)
        else:
            exact[int(rule.tag[1:5] + rule.tag[6:10], 16)] = rule
    return exact, tuple(repeating)


def rule_for(tag: int) -> ProfileRule | None:
    exact, repeating = _rules_by_tag()
    if tag in exact:
        return exact[tag]
    return next((rule for rule in repeating if rule.matches(tag)), None)


def site_uid_key(data_dir: Path) -> str:
    """A secret kept under the data directory: the same source UID maps to the same new UID across imports.

    That is what lets a re-import be recognised (same new SOP Instance UID) without keeping any source UID.
    """
    path = data_dir / "deid" / "uid-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32), encoding="ascii")
        path.chmod(0o600)
    return path.read_text(encoding="ascii").strip()


class _UidReplacer(ElementAnonymizer):
    """Replace instance UIDs by ``2.25.`` UIDs derived from a keyed hash; class and standard UIDs stay."""

    def __init__(self, owner: Deidentifier) -> None:
        self._owner = owner

    def __call__(self, dataset: Dataset, data_element: DataElement) -> bool:
        if data_element.VR != "UI" or not data_element.value:
            return False
        rule = rule_for(int(data_element.tag))
        keyword = pydicom.datadict.keyword_for_tag(data_element.tag)
        if (rule is None or rule.action != "U") and (keyword.endswith("ClassUID") or keyword == "TransferSyntaxUID"):
            return False  # SOP classes and transfer syntaxes identify nobody (but U in the table wins)
        if isinstance(data_element.value, pydicom.multival.MultiValue):
            data_element.value = [self._owner.new_uid(v) for v in data_element.value]
        else:
            data_element.value = self._owner.new_uid(str(data_element.value))
        return True

    def describe_actions(self) -> Iterator[str]:
        yield "Replace instance UIDs with keyed 2.25 UIDs (consistent within the key)"


class _DateShifter(ElementAnonymizer):
    """Shift every DA and DT by whole days (times of day, so intervals, are kept); unreadable dates are emptied.

    Our own rather than dicognito's DateTimeAnonymizer, which leaves e.g. Selector DA Value (0072,0061) unshifted
    (it pairs a date with the "time" whose keyword replaces Date by Time, here the element itself).
    """

    def __init__(self, days: int) -> None:
        self._delta = datetime.timedelta(days=days)

    def __call__(self, dataset: Dataset, data_element: DataElement) -> bool:
        if data_element.VR not in ("DA", "DT"):
            return False
        if data_element.value in (None, ""):
            return True
        values = data_element.value if isinstance(data_element.value, pydicom.multival.MultiValue) else [
            data_element.value]
        try:
            shifted = [self._shift(str(v)) for v in values]
        except ValueError:
            data_element.value = None  # cannot be shifted, so it cannot stay
            return True
        data_element.value = shifted if len(shifted) > 1 else shifted[0]
        return True

    def _shift(self, value: str) -> str:
        value = value.strip()
        if not value:
            return value
        digits = value.replace(".", "") if len(value) == 10 and value[4] == "." else value  # ACR-NEMA YYYY.MM.DD
        date_part = digits[:8]
        if not date_part.isdigit() or len(date_part) not in (4, 6, 8):
            raise ValueError(value)
        full = (date_part + "0101"[len(date_part) - 4:]) if len(date_part) < 8 else date_part
        new = (datetime.datetime.strptime(full, "%Y%m%d") + self._delta).strftime("%Y%m%d")
        return new[:len(date_part)] + digits[8:]

    def describe_actions(self) -> Iterator[str]:
        yield "Shift all DA and DT values by one number of days"


class Deidentifier:
    """One per import batch: the same source UID gets the same new UID, and every date one shift in days."""

    def __init__(self, *, date_shift_days: int | None = None, seed: int | None = None,
                 uid_key: str | None = None, allow_burned_in: bool = False) -> None:
        if seed is not None:
            digest = hashlib.sha256(f"scanroom-deid-{seed}".encode()).digest()
            default_shift = -(62 + int.from_bytes(digest[:4], "big") % (730 - 62))
        else:
            default_shift = -(62 + secrets.randbelow(730 - 62))
        # Between about 2 months and 2 years back, as dicognito does, unless given.
        self.date_shift_days = default_shift if date_shift_days is None else int(date_shift_days)
        self.seed = seed
        self.allow_burned_in = allow_burned_in
        self._uid_key = uid_key if uid_key is not None else (
            f"seed-{seed}" if seed is not None else None)
        self._fallback_key = secrets.token_hex(16)
        self._uid_map: dict[str, str] = {}
        self._anonymizer = Anonymizer(seed=None if seed is None else str(seed))
        self._anonymizer.add_element_handler(_DateShifter(self.date_shift_days))
        self._anonymizer.add_element_handler(_UidReplacer(self))

    @property
    def has_uid_key(self) -> bool:
        return self._uid_key is not None

    def use_uid_key(self, key: str) -> None:
        """Key the UID mapping (e.g. with ``site_uid_key``) before the first dataset is de-identified."""
        if self._uid_map:
            raise RuntimeError("The UID key must be set before any dataset is de-identified.")
        self._uid_key = key

    def new_uid(self, old: str) -> str:
        """The replacement for a source UID; standard-defined UIDs (1.2.840.10008.*) are not identifying."""
        old = old.strip()
        if old.startswith(STANDARD_UID_ROOT) or UID(old).name != old:
            return old
        if old not in self._uid_map:
            key = self._uid_key if self._uid_key is not None else self._fallback_key
            # A name-based (SHA-1, version 5) UUID in a namespace made from the secret key, as a 2.25 UID
            # (PS3.5 §B.2, ISO/IEC 9834-8): repeatable with the key, not reversible without it.
            namespace = uuid.UUID(bytes=hashlib.sha256(f"scanroom-deid:{key}".encode()).digest()[:16])
            self._uid_map[old] = f"2.25.{uuid.uuid5(namespace, old).int}"
        return self._uid_map[old]

    def apply(self, ds: Dataset) -> Dataset:
        """De-identify ``ds`` in place and return it (pixel data untouched)."""
        if str(ds.get("BurnedInAnnotation", "")).upper() == "YES" and not self.allow_burned_in:
            raise BurnedInAnnotation("BurnedInAnnotation is YES: identifying text may be burned into the pixels, "
                                     "which de-identification cannot remove.")
        if not hasattr(ds, "file_meta"):
            ds.file_meta = FileMetaDataset()
        transfer_syntax = ds.file_meta.get("TransferSyntaxUID")
        ds.remove_private_tags()
        self._anonymizer.anonymize(ds)
        _apply_profile(ds)
        if "PatientName" in ds:
            ds.PatientName = f"ANONYMOUS^{ds.PatientID}" if ds.get("PatientID") else "ANONYMOUS"
        self._mark(ds)
        ds.file_meta = _fresh_meta(ds, transfer_syntax)
        return ds

    def _mark(self, ds: Dataset) -> None:
        ds.PatientIdentityRemoved = "YES"
        ds.LongitudinalTemporalInformationModified = "MODIFIED"
        ds.DeidentificationMethod = list(METHOD)
        codes = Sequence()
        for value, meaning in METHOD_CODES:
            item = Dataset()
            item.CodeValue = value
            item.CodingSchemeDesignator = "DCM"
            item.CodeMeaning = meaning
            codes.append(item)
        ds.DeidentificationMethodCodeSequence = codes


def _fresh_meta(ds: Dataset, transfer_syntax: str | None) -> FileMetaDataset:
    """File meta rebuilt from the de-identified dataset (no source AE titles or implementation names)."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.get("SOPClassUID", "")
    meta.MediaStorageSOPInstanceUID = ds.get("SOPInstanceUID", "")
    if transfer_syntax:
        meta.TransferSyntaxUID = UID(transfer_syntax)
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    return meta


def _apply_profile(ds: Dataset) -> None:
    """Apply Table E.1-1 to every element of ``ds`` and, recursively, of its sequence items."""
    for elem in list(ds):
        tag = BaseTag(elem.tag)
        if tag.is_private:
            del ds[tag]
            continue
        rule = rule_for(int(tag))
        if rule is not None:
            _apply_rule(ds, ds[tag], rule)
        if tag in ds and ds[tag].VR == "SQ":
            for item in ds[tag].value or []:
                _apply_profile(item)


def _apply_rule(ds: Dataset, elem: DataElement, rule: ProfileRule) -> None:
    action = rule.action
    if elem.VR in DATE_VRS and int(elem.tag) not in NEVER_SHIFT and action != "U":
        return  # modified dates option: already shifted by one offset
    if action == "U":
        return  # already replaced, consistently, by the UID handler
    if action == "X/Z/U*":
        # Kept for the references between images (e.g. a localiser), as the U* branch allows: only the
        # (replaced) UIDs and the reference's own coded/numeric parts stay in each item.
        for item in elem.value or []:
            for child in list(item):
                if child.VR != "UI" and child.keyword not in SAFE_REFERENCE_KEYWORDS:
                    del item[child.tag]
        return
    if action.startswith("X"):
        del ds[elem.tag]
    elif action in ("Z", "Z/D"):
        if elem.keyword in KEEP_DUMMY_FOR_Z and elem.value not in (None, ""):
            return  # dicognito's consistent dummy ("a non-zero length value that may be a dummy")
        _empty(elem)
    elif action == "D":
        _dummy(elem)


def _empty(elem: DataElement) -> None:
    elem.value = Sequence() if elem.VR == "SQ" else (b"" if elem.VR in ("OB", "OW", "UN") else None)


def _dummy(elem: DataElement) -> None:
    """Put a value consistent with the VR (D); sequences keep their structure with dummy leaves."""
    vr = elem.VR
    if vr == "SQ":
        for item in elem.value or []:
            for child in list(item):
                if child.VR == "UI" or child.VR in DATE_VRS:
                    continue  # already replaced / shifted
                _dummy(child)
        return
    if vr == "UI" or vr in DATE_VRS:
        return
    if vr == "PN":
        elem.value = "ANONYMOUS"
    elif vr == "CS":
        elem.value = "ANON"
    elif vr in ("AE", "LO", "SH", "LT", "ST", "UT", "UC"):
        elem.value = "ANONYMIZED"
    elif vr == "UR":
        elem.value = "http://anonymized.invalid"
    elif vr == "AS":
        elem.value = "000Y"
    elif vr in ("DS", "IS"):
        elem.value = "0"
    elif vr in ("US", "SS", "UL", "SL", "FL", "FD", "UV", "SV"):
        elem.value = 0
    else:  # OB, OW, UN and other binary
        elem.value = b"\x00\x00"
