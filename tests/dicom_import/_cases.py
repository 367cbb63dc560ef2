"""Identifiable teaching files made with pydicom, and the checks that they came out de-identified.

Every identifying text value carries the marker SECRET, so a stored file can be searched for it byte by byte;
UIDs are fresh per call, so tests never meet each other's images.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
MR_IMAGE = "1.2.840.10008.5.1.4.1.1.4"
MULTIFRAME_SC = "1.2.840.10008.5.1.4.1.1.7.3"  # Multi-frame Grayscale Word Secondary Capture
MARKER = "SECRET"

# Identifying attributes put in every file, with the Table E.1-1 action they must get.
IDENTIFYING = {
    "PatientName": "Z", "PatientID": "Z", "PatientBirthDate": "Z", "PatientSex": "Z", "PatientAge": "X",
    "OtherPatientIDs": "X", "PatientAddress": "X", "AccessionNumber": "Z", "ReferringPhysicianName": "Z",
    "InstitutionName": "X/Z/D", "InstitutionAddress": "X", "StationName": "X/Z/D", "OperatorsName": "X/Z/D",
    "PerformingPhysicianName": "X", "StudyDescription": "X", "SeriesDescription": "X", "StudyID": "Z",
    "ImageComments": "X", "DeviceSerialNumber": "X/Z/D",
}


@dataclass
class SourceFile:
    """One generated file and what is known about it before import."""

    path: Path
    study_uid: str
    series_uid: str
    sop_uid: str
    frame_of_reference_uid: str
    dates: dict[str, str]
    pixels: bytes
    references: list[str] = field(default_factory=list)  # SOP Instance UIDs referenced in sequences
    private: bool = False


@dataclass
class TeachingSet:
    """Two studies (study A with two series and a reference between them; study B with a multi-frame image)."""

    folder: Path
    files: list[SourceFile]
    patient_ids: tuple[str, str]
    study_uids: tuple[str, str]

    @property
    def images(self) -> int:
        return len(self.files)


def _image(sop_class: str, modality: str, *, patient: int, patient_id: str, study_uid: str, series_uid: str,
           series_number: int, instance: int, study_date: str, frame_uid: str, frames: int = 1,
           rng: np.random.Generator) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = pydicom.uid.UID(sop_class)
    ds.file_meta.MediaStorageSOPInstanceUID = sop_uid = generate_uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.SourceApplicationEntityTitle = f"{MARKER}_AE"
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_uid
    ds.StudyInstanceUID = study_uid
    ds.SeriesInstanceUID = series_uid
    ds.FrameOfReferenceUID = frame_uid
    ds.Modality = modality
    ds.PatientName = f"{MARKER}^PATIENT{patient}"
    ds.PatientID = patient_id
    ds.PatientBirthDate = "19610704" if patient == 1 else "19850212"
    ds.PatientSex = "F" if patient == 1 else "M"
    ds.PatientAge = "062Y"
    ds.OtherPatientIDs = f"{MARKER}-OTHER-{patient}"
    ds.PatientAddress = f"1 {MARKER} Street, Springfield"
    ds.AccessionNumber = f"{MARKER[:3]}ACC{patient}{series_number}"
    ds.ReferringPhysicianName = f"{MARKER}^REFERRER"
    ds.InstitutionName = f"{MARKER} General Hospital"
    ds.InstitutionAddress = f"2 {MARKER} Road"
    ds.StationName = f"{MARKER}CT01"
    ds.OperatorsName = f"{MARKER}^RADIOGRAPHER"
    ds.PerformingPhysicianName = f"{MARKER}^PERFORMER"
    ds.StudyDescription = f"{MARKER} study for patient {patient}"
    ds.SeriesDescription = f"{MARKER} series {series_number}"
    ds.StudyID = f"{MARKER[:3]}{patient}"
    ds.ImageComments = f"Seen by Dr {MARKER}"
    ds.DeviceSerialNumber = f"{MARKER}-SN-1"
    ds.StudyDate = study_date
    ds.SeriesDate = study_date
    ds.AcquisitionDate = study_date
    ds.ContentDate = study_date
    ds.StudyTime = "101500"
    ds.SeriesTime = "102000"
    ds.ContentTime = "102030"
    ds.SeriesNumber = series_number
    ds.InstanceNumber = instance
    ds.BodyPartExamined = "HEAD"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = 8
    ds.Columns = 10
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    if frames > 1:
        ds.NumberOfFrames = frames
        ds.FrameIncrementPointer = 0x00181063
        ds.FrameTime = 100
        ds.BurnedInAnnotation = "NO"
        shape: tuple[int, ...] = (frames, 8, 10)
    else:
        shape = (8, 10)
        ds.ImagePositionPatient = [0, 0, float(instance)]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.PixelSpacing = [0.5, 0.5]
        ds.RescaleIntercept = -1024
        ds.RescaleSlope = 1
    ds.PixelData = rng.integers(0, 4096, size=shape, dtype=np.uint16).tobytes()
    return ds


def _shifted(date: str, days: int) -> str:
    return (dt.datetime.strptime(date, "%Y%m%d") + dt.timedelta(days=days)).strftime("%Y%m%d")


def make_teaching_set(folder: Path, *, seed: int = 0) -> TeachingSet:
    """Study A: CT series 1 (3 images) and series 2 (2 images, referencing series 1); study B: MR (2 images,
    one with private tags) and a 4-frame secondary capture. Patient 2's study is 400 days after patient 1's."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    suffix = generate_uid()[-8:].replace(".", "")
    ids = (f"{MARKER}-P1-{suffix}", f"{MARKER}-P2-{suffix}")
    study_a, study_b = generate_uid(), generate_uid()
    frame_a, frame_b = generate_uid(), generate_uid()
    dates = {"A": "20190304", "B": _shifted("20190304", 400)}
    files: list[SourceFile] = []
    datasets: list[tuple[str, Dataset, SourceFile]] = []

    def add(sub: str, ds: Dataset, date: str) -> SourceFile:
        path = folder / sub / f"IM{len(datasets):04d}.dcm"
        src = SourceFile(path=path, study_uid=ds.StudyInstanceUID, series_uid=ds.SeriesInstanceUID,
                         sop_uid=ds.SOPInstanceUID, frame_of_reference_uid=ds.FrameOfReferenceUID,
                         dates={"StudyDate": date, "ContentDate": date}, pixels=bytes(ds.PixelData))
        datasets.append((sub, ds, src))
        return src

    series_1, series_2 = generate_uid(), generate_uid()
    first_ct: Dataset | None = None
    for i in range(3):
        ds = _image(CT_IMAGE, "CT", patient=1, patient_id=ids[0], study_uid=study_a, series_uid=series_1,
                    series_number=1, instance=i + 1, study_date=dates["A"], frame_uid=frame_a, rng=rng)
        first_ct = first_ct or ds
        add("patient1/series1", ds, dates["A"])
    assert first_ct is not None
    for i in range(2):
        ds = _image(CT_IMAGE, "CT", patient=1, patient_id=ids[0], study_uid=study_a, series_uid=series_2,
                    series_number=2, instance=i + 1, study_date=dates["A"], frame_uid=frame_a, rng=rng)
        ref = Dataset()
        ref.ReferencedSOPClassUID = CT_IMAGE
        ref.ReferencedSOPInstanceUID = first_ct.SOPInstanceUID
        ds.ReferencedImageSequence = Sequence([ref])
        study_ref = Dataset()
        study_ref.ReferencedSOPClassUID = "1.2.840.10008.3.1.2.3.1"
        study_ref.ReferencedSOPInstanceUID = generate_uid()
        ds.ReferencedStudySequence = Sequence([study_ref])
        source = Dataset()
        source.ReferencedSOPClassUID = CT_IMAGE
        source.ReferencedSOPInstanceUID = first_ct.SOPInstanceUID
        source.PatientName = f"{MARKER}^NESTED"  # a name hidden in a sequence item
        ds.SourceImageSequence = Sequence([source])
        src = add("patient1/series2", ds, dates["A"])
        src.references = [first_ct.SOPInstanceUID]
    series_3 = generate_uid()
    for i in range(2):
        ds = _image(MR_IMAGE, "MR", patient=2, patient_id=ids[1], study_uid=study_b, series_uid=series_3,
                    series_number=1, instance=i + 1, study_date=dates["B"], frame_uid=frame_b, rng=rng)
        if i == 0:
            block = ds.private_block(0x0029, f"{MARKER} VENDOR 1.0", create=True)
            block.add_new(0x10, "LO", f"{MARKER}^PRIVATE^NAME")
            block.add_new(0x11, "LO", ids[1])
            item = Dataset()
            item_block = item.private_block(0x0011, f"{MARKER} NESTED", create=True)
            item_block.add_new(0x01, "LO", f"{MARKER} nested private")
            ds.ReferencedImageSequence = Sequence([item])
            item.ReferencedSOPClassUID = MR_IMAGE
            item.ReferencedSOPInstanceUID = generate_uid()
        src = add("patient2/mr", ds, dates["B"])
        src.private = i == 0
    ds = _image(MULTIFRAME_SC, "OT", patient=2, patient_id=ids[1], study_uid=study_b, series_uid=generate_uid(),
                series_number=2, instance=1, study_date=dates["B"], frame_uid=frame_b, frames=4, rng=rng)
    add("patient2/cine", ds, dates["B"])

    for _sub, ds, src in datasets:
        src.path.parent.mkdir(parents=True, exist_ok=True)
        ds.save_as(src.path, enforce_file_format=True)
        files.append(src)
    return TeachingSet(folder=folder, files=files, patient_ids=ids, study_uids=(study_a, study_b))


def add_bad_files(folder: Path, good: Path) -> dict[str, str]:
    """A malformed DICOM, a text file, a truncated file and an image flagged with burned-in annotation;
    returns their names → a word the skip reason must have."""
    data = good.read_bytes()
    malformed = bytearray(data)
    # Keep the preamble and meta header; give the first dataset element a VR that does not exist.
    start = 132 + 12 + int.from_bytes(data[140:144], "little")
    malformed[start + 4:start + 6] = b"ZZ"
    (folder / "malformed.dcm").write_bytes(bytes(malformed))
    (folder / "notes.txt").write_text("Teaching notes: chest, PA view.\n", encoding="utf-8")
    (folder / "truncated.dcm").write_bytes(data[: len(data) * 2 // 3])
    burned = pydicom.dcmread(good)
    burned.SOPInstanceUID = burned.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    burned.BurnedInAnnotation = "YES"  # e.g. a screen capture with the patient's name in the pixels
    burned.save_as(folder / "burned-in.dcm", enforce_file_format=True)
    return {"malformed.dcm": "malformed", "notes.txt": "not a dicom", "truncated.dcm": "truncated",
            "burned-in.dcm": "burned"}


def read(path: Path) -> Dataset:
    return pydicom.dcmread(path)


def walk(ds: Dataset, path: str = "") -> list[tuple[str, Dataset, pydicom.DataElement]]:
    """Every element with where it sits, nested sequence items included."""
    found = []
    for elem in ds:
        where = f"{path}{elem.tag}"
        found.append((where, ds, elem))
        if elem.VR == "SQ":
            for index, item in enumerate(elem.value):
                found.extend(walk(item, f"{where}[{index}]."))
    return found


def check_deidentified(stored: list[tuple[Dataset, bytes]], sources: list[SourceFile], shift_days: int) -> None:
    """What every import must guarantee, checked on the stored files (dataset and raw bytes)."""
    from scanroom.dicom.deidentify import rule_for

    original_uids = {u for s in sources for u in (s.study_uid, s.series_uid, s.sop_uid, s.frame_of_reference_uid,
                                                   *s.references)}
    for ds, raw in stored:
        assert MARKER.encode() not in raw, "an identifying value survived"
        for uid in original_uids:
            assert uid.encode() not in raw, f"source UID {uid} survived"
        for where, _parent, elem in walk(ds):
            assert not elem.tag.is_private, f"private {where} survived"
            rule = rule_for(int(elem.tag))
            if rule is None:
                continue
            if elem.VR in ("DA", "DT", "TM") and int(elem.tag) not in (0x00100030, 0x00100032):
                continue  # modified-dates option, checked below
            if rule.action == "X":
                raise AssertionError(f"{where} ({rule.name}) is X in the basic profile but is present")
            if rule.action == "U":
                assert str(elem.value) not in original_uids and pydicom.uid.UID(str(elem.value)).is_valid
            if rule.action in ("Z", "X/Z", "Z/D", "X/Z/D", "X/D") and elem.value not in (None, "", b""):
                assert MARKER not in str(elem.value), where
        for keyword, action in IDENTIFYING.items():
            if action == "X":
                assert keyword not in ds, keyword
            elif keyword in ds and keyword not in ("PatientID", "PatientName"):
                assert ds[keyword].value in (None, "", b""), keyword
        assert not ds.get("PatientBirthDate")
        assert ds.PatientName == f"ANONYMOUS^{ds.PatientID}" and ds.PatientID  # consistent dummy, no person
        assert ds.PatientIdentityRemoved == "YES"
        assert {item.CodeValue for item in ds.DeidentificationMethodCodeSequence} == {"113100", "113107"}
        assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID

    by_pixels = {s.pixels: s for s in sources}
    assert sorted(bytes(ds.PixelData) for ds, _ in stored) == sorted(by_pixels), "pixel data changed"
    for ds, _ in stored:
        source = by_pixels[bytes(ds.PixelData)]
        for keyword, value in source.dates.items():
            assert ds[keyword].value == _shifted(value, shift_days), keyword
        assert ds.StudyTime == "101500"  # whole-day shift: times (and so intervals) kept


def check_uid_consistency(stored: list[Dataset], sources: list[SourceFile]) -> None:
    """Same source UID → same new UID: both series of a study stay one study, references still resolve."""
    by_pixels = {s.pixels: s for s in sources}
    new_of: dict[str, set[str]] = {}
    for ds in stored:
        source = by_pixels[bytes(ds.PixelData)]
        for old, new in ((source.study_uid, ds.StudyInstanceUID), (source.series_uid, ds.SeriesInstanceUID),
                         (source.sop_uid, ds.SOPInstanceUID),
                         (source.frame_of_reference_uid, ds.FrameOfReferenceUID)):
            new_of.setdefault(old, set()).add(str(new))
    for old, news in new_of.items():
        assert len(news) == 1, f"{old} became {news}"
        assert old not in news
    assert len(set().union(*new_of.values())) == len(new_of), "two source UIDs merged"
    patient_of_study: dict[str, set[str]] = {}
    for ds in stored:
        patient_of_study.setdefault(str(ds.StudyInstanceUID), set()).add(str(ds.PatientID))
    assert all(len(ids) == 1 for ids in patient_of_study.values()), patient_of_study  # a patient stays a patient
    for ds in stored:
        source = by_pixels[bytes(ds.PixelData)]
        for old_ref in source.references:
            (new_ref,) = new_of[old_ref]
            assert ds.SourceImageSequence[0].ReferencedSOPInstanceUID == new_ref
            assert ds.ReferencedImageSequence[0].ReferencedSOPInstanceUID == new_ref
            assert MARKER not in str(ds.SourceImageSequence[0].get("PatientName", ""))  # Z (dummy), nested
            assert "ReferencedStudySequence" not in ds  # X/Z
