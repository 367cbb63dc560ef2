"""IOD modules of PS3.3, one function each, named as in the standard so a reviewer can tick the tables.

Each function sets the module's attributes on a dataset. Type 2 attributes are present (possibly empty);
type 3 are set when known. Scanroom's simulated patients are synthetic: names and ids say so. This is the one
place for module builders; the writers (``scanroom.dicom.writers``) compose them per IOD.

Sections: common (patient, study, series, equipment, image), DX (C.8.11), X-ray (C.8.7), CT (C.8.2),
MR (C.8.3), SR (C.17).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import PYDICOM_IMPLEMENTATION_UID, UID, ExplicitVRLittleEndian, generate_uid

from scanroom import __version__

MANUFACTURER = "Scanroom (simulated, for education only)"
DEVICE_SERIAL_NUMBER = "SCANROOM-SIM-0001"

Code = tuple[str, str, str]


def format_ds(value: float, digits: int = 8) -> str:
    """A Decimal String (DS) of at most 16 characters."""
    for d in range(digits, 0, -1):
        text = f"{float(value):.{d}g}"
        if len(text) <= 16:
            return text
    raise ValueError(f"cannot format {value!r} as DS")


def format_is(value: float) -> int:
    """An Integer String (IS) value: the nearest integer."""
    return int(round(float(value)))


@dataclass(frozen=True)
class StudyContext:
    """Who and when: the part of a DICOM header that is the same for every image of a study."""

    patient_name: str
    patient_id: str
    patient_sex: str = "O"  # M, F or O
    patient_birth_date: str = ""
    patient_age: str = ""  # e.g. "045Y"
    study_uid: str = ""
    study_description: str = ""
    accession_number: str = ""
    operator_name: str = ""
    when: datetime | None = None

    def moment(self) -> datetime:
        return self.when or datetime.now()


def new_dataset(sop_class_uid: str) -> Dataset:
    """An empty dataset with File Meta (PS3.10) for Explicit VR Little Endian."""
    ds = Dataset()
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(sop_class_uid)
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    meta.ImplementationVersionName = f"SCANROOM_{__version__}"[:16]
    ds.file_meta = meta
    return ds


def patient_module(ds: Dataset, ctx: StudyContext) -> None:
    """C.7.1.1 Patient Module."""
    ds.PatientName = ctx.patient_name
    ds.PatientID = ctx.patient_id
    ds.PatientBirthDate = ctx.patient_birth_date
    ds.PatientSex = ctx.patient_sex
    ds.PatientIdentityRemoved = "YES"  # synthetic patient: no real identity
    ds.DeidentificationMethod = "Synthetic digital patient (Scanroom simulator)"


def general_study_module(ds: Dataset, ctx: StudyContext) -> None:
    """C.7.2.1 General Study Module."""
    moment = ctx.moment()
    ds.StudyInstanceUID = ctx.study_uid or generate_uid()
    ds.StudyDate = moment.strftime("%Y%m%d")
    ds.StudyTime = moment.strftime("%H%M%S")
    ds.ReferringPhysicianName = ""
    ds.StudyID = "1"
    ds.AccessionNumber = ctx.accession_number
    if ctx.study_description:
        ds.StudyDescription = ctx.study_description[:64]


def patient_study_module(ds: Dataset, ctx: StudyContext) -> None:
    """C.7.2.2 Patient Study Module (type 3 attributes only)."""
    if ctx.patient_age:
        ds.PatientAge = ctx.patient_age


def general_series_module(ds: Dataset, ctx: StudyContext, *, modality: str, series_uid: str,
                          series_number: int, description: str = "", body_part: str = "",
                          laterality: str | None = None) -> None:
    """C.7.3.1 General Series Module."""
    moment = ctx.moment()
    ds.Modality = modality
    ds.SeriesInstanceUID = series_uid
    ds.SeriesNumber = series_number
    ds.SeriesDate = moment.strftime("%Y%m%d")
    ds.SeriesTime = moment.strftime("%H%M%S")
    if description:
        ds.SeriesDescription = description[:64]
    if body_part:
        ds.BodyPartExamined = body_part[:16]
    if laterality is not None:
        ds.Laterality = laterality
    if ctx.operator_name:
        ds.OperatorsName = ctx.operator_name


def general_equipment_module(ds: Dataset, *, device_serial_number: str | None = DEVICE_SERIAL_NUMBER) -> None:
    """C.7.5.1 General Equipment Module.

    Device Serial Number (type 3 here) is written by default so that images and the dose report's device
    observer (TID 1004) name the same device; pass None to leave it out.
    """
    ds.Manufacturer = MANUFACTURER
    ds.InstitutionName = "Scanroom training"
    ds.StationName = "SCANROOM"
    ds.ManufacturerModelName = "Scanroom simulator"
    if device_serial_number:
        ds.DeviceSerialNumber = device_serial_number
    ds.SoftwareVersions = __version__


def enhanced_general_equipment_module(ds: Dataset, *, device_uid: str | None = None) -> None:
    """C.7.5.2 Enhanced General Equipment Module (General Equipment plus a type 1 Device Serial Number)."""
    general_equipment_module(ds, device_serial_number=DEVICE_SERIAL_NUMBER)
    if device_uid:
        ds.DeviceUID = device_uid


def frame_of_reference_module(ds: Dataset, *, frame_of_reference_uid: str, indicator: str = "") -> None:
    """C.7.4.1 Frame of Reference Module."""
    ds.FrameOfReferenceUID = frame_of_reference_uid
    ds.PositionReferenceIndicator = indicator


def general_acquisition_module(ds: Dataset, ctx: StudyContext, *, acquisition_number: int = 1,
                               acquisition_uid: str | None = None) -> None:
    """C.7.10.1 General Acquisition Module."""
    moment = ctx.moment()
    if acquisition_uid:
        ds.AcquisitionUID = acquisition_uid
    ds.AcquisitionNumber = acquisition_number
    ds.AcquisitionDate = moment.strftime("%Y%m%d")
    ds.AcquisitionTime = moment.strftime("%H%M%S")


def general_image_module(ds: Dataset, ctx: StudyContext, *, instance_number: int,
                         image_type: Sequence[str] = ("ORIGINAL", "PRIMARY"),
                         patient_orientation: tuple[str, str] | None = None, image_plane: bool = False) -> None:
    """C.7.6.1 General Image Module (with the acquisition date/time).

    Patient Orientation is type 2C: required when the image has no Image Orientation/Position (Patient). Pass
    ``image_plane=True`` for IODs with the Image Plane Module (CT, MR) and it is left out.
    """
    if image_plane and patient_orientation:
        raise ValueError("Patient Orientation is not written for images with an Image Plane Module")
    moment = ctx.moment()
    ds.InstanceNumber = instance_number
    if not image_plane:
        ds.PatientOrientation = list(patient_orientation) if patient_orientation else ""
    elif "PatientOrientation" in ds:
        del ds.PatientOrientation
    ds.ContentDate = moment.strftime("%Y%m%d")
    ds.ContentTime = moment.strftime("%H%M%S")
    ds.AcquisitionDateTime = moment.strftime("%Y%m%d%H%M%S")
    ds.ImageType = list(image_type)
    ds.BurnedInAnnotation = "NO"
    ds.LossyImageCompression = "00"


def image_plane_module(ds: Dataset, *, pixel_spacing: tuple[float, float], position: Sequence[float],
                       orientation: Sequence[float] = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0), slice_thickness: float | None,
                       spacing_between_slices: float | None = None, slice_location: float | None = None) -> None:
    """C.7.6.2 Image Plane Module (LPS patient coordinates, mm)."""
    ds.PixelSpacing = [format_ds(pixel_spacing[0]), format_ds(pixel_spacing[1])]
    ds.ImageOrientationPatient = [format_ds(v, 8) for v in orientation]
    ds.ImagePositionPatient = [format_ds(v, 9) for v in position]
    ds.SliceThickness = format_ds(slice_thickness) if slice_thickness else ""
    if spacing_between_slices:
        ds.SpacingBetweenSlices = format_ds(abs(spacing_between_slices))
    if slice_location is not None:
        ds.SliceLocation = format_ds(slice_location, 9)


def contrast_bolus_module(ds: Dataset, *, agent: str, route: str = "IV") -> None:
    """C.7.6.4 Contrast/Bolus Module (present only when contrast was given)."""
    ds.ContrastBolusAgent = agent[:64]
    ds.ContrastBolusRoute = route


def acquisition_context_module(ds: Dataset, items: Sequence[Dataset] = ()) -> None:
    """C.7.6.14 Acquisition Context Module (type 2 sequence; empty when nothing is recorded)."""
    ds.AcquisitionContextSequence = list(items)


def image_pixel_module(ds: Dataset, pixels: np.ndarray, *, photometric: str = "MONOCHROME2",
                       bits_stored: int | None = None) -> None:
    """C.7.6.3 Image Pixel Module for one greyscale frame (uint16 unsigned or int16 signed)."""
    if pixels.ndim != 2:
        raise ValueError("image_pixel_module takes one 2-D frame")
    if pixels.dtype not in (np.uint16, np.int16):
        raise ValueError(f"pixels must be uint16 or int16, not {pixels.dtype}")
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.Rows, ds.Columns = (int(n) for n in pixels.shape)
    ds.BitsAllocated = 16
    ds.BitsStored = bits_stored or 16
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = 1 if pixels.dtype == np.int16 else 0
    ds.PixelData = np.ascontiguousarray(pixels.astype(pixels.dtype.newbyteorder("<"))).tobytes()
    ds["PixelData"].VR = "OW"


def voi_lut_module(ds: Dataset, *, centre: float, width: float, explanation: str = "") -> None:
    """C.11.2 VOI LUT Module (a linear window)."""
    ds.WindowCenter = f"{centre:.1f}"
    ds.WindowWidth = f"{max(width, 1.0):.1f}"
    if explanation:
        ds.WindowCenterWidthExplanation = explanation[:64]


def sop_common_module(ds: Dataset, *, sop_class_uid: str, sop_instance_uid: str, ctx: StudyContext) -> None:
    """C.12.1 SOP Common Module."""
    ds.SOPClassUID = sop_class_uid
    ds.SOPInstanceUID = sop_instance_uid
    ds.SpecificCharacterSet = "ISO_IR 192"
    moment = ctx.moment()
    ds.InstanceCreationDate = moment.strftime("%Y%m%d")
    ds.InstanceCreationTime = moment.strftime("%H%M%S")
    ds.file_meta.MediaStorageSOPClassUID = UID(sop_class_uid)
    ds.file_meta.MediaStorageSOPInstanceUID = UID(sop_instance_uid)


def code_item(value: str, scheme: str, meaning: str) -> Dataset:
    """A Code Sequence item (PS3.3 Table 8.8-1 basic code attributes)."""
    item = Dataset()
    item.CodeValue = value
    item.CodingSchemeDesignator = scheme
    item.CodeMeaning = meaning
    return item


# -- DX (C.8.11) -----------------------------------------------------------------------------------------

def dx_series_module(ds: Dataset, *, presentation_intent: str = "FOR PRESENTATION") -> None:
    """C.8.11.1 DX Series Module (Modality is set by the General Series Module)."""
    if ds.get("Modality") != "DX":
        raise ValueError("DX Series Module needs Modality DX")
    ds.PresentationIntentType = presentation_intent


def dx_anatomy_imaged_module(ds: Dataset, *, image_laterality: str, anatomic_region: Code) -> None:
    """C.8.11.2 DX Anatomy Imaged Module (with the General Anatomy Mandatory Macro, CID 4009)."""
    ds.ImageLaterality = image_laterality
    ds.AnatomicRegionSequence = [code_item(*anatomic_region)]


def dx_image_module(ds: Dataset, *, photometric: str, intensity_sign: int,
                    processing_description: str = "") -> None:
    """C.8.11.3 DX Image Module, for presentation: log intensity, identity rescale, presentation LUT shape.

    The Image Pixel attributes (rows, bits …) and Patient Orientation are set by the Image Pixel and General
    Image modules; this checks the DX constraints on them.
    """
    if photometric not in ("MONOCHROME1", "MONOCHROME2"):
        raise ValueError(f"DX photometric interpretation must be MONOCHROME1 or MONOCHROME2, not {photometric}")
    if ds.PixelRepresentation != 0:
        raise ValueError("DX pixel data must be unsigned")
    ds.PixelIntensityRelationship = "LOG"
    ds.PixelIntensityRelationshipSign = int(intensity_sign)
    ds.RescaleIntercept = "0"
    ds.RescaleSlope = "1"
    ds.RescaleType = "US"
    ds.PresentationLUTShape = "INVERSE" if photometric == "MONOCHROME1" else "IDENTITY"
    ds.LossyImageCompression = "00"
    ds.BurnedInAnnotation = "NO"
    if processing_description:
        ds.AcquisitionDeviceProcessingDescription = processing_description[:64]


def dx_detector_module(ds: Dataset, *, detector_type: str, imager_pixel_spacing: tuple[float, float],
                       element_mm: float | None, detector_shape: tuple[int, int] | None,
                       image_shape: tuple[int, int], description: str = "") -> None:
    """C.8.11.4 DX Detector Module."""
    rows, cols = image_shape
    ds.DetectorType = detector_type
    ds.DetectorConfiguration = "AREA"
    if description:
        ds.DetectorDescription = description[:10240]
    ds.ImagerPixelSpacing = [format_ds(imager_pixel_spacing[0]), format_ds(imager_pixel_spacing[1])]
    fov_mm = (rows * imager_pixel_spacing[0], cols * imager_pixel_spacing[1])
    ds.FieldOfViewShape = "RECTANGLE"
    ds.FieldOfViewDimensions = [format_is(fov_mm[0]), format_is(fov_mm[1])]
    origin = (0.0, 0.0)
    if element_mm and element_mm > 0:
        ds.DetectorElementPhysicalSize = [format_ds(element_mm), format_ds(element_mm)]
        ds.DetectorElementSpacing = [format_ds(element_mm), format_ds(element_mm)]
        binning = (imager_pixel_spacing[0] / element_mm, imager_pixel_spacing[1] / element_mm)
        ds.DetectorBinning = [format_ds(binning[0], 4), format_ds(binning[1], 4)]
        if detector_shape:
            det_rows, det_cols = detector_shape
            ds.DetectorActiveShape = "RECTANGLE"
            ds.DetectorActiveDimensions = [format_ds(det_rows * element_mm), format_ds(det_cols * element_mm)]
            # offset of the field of view's top left corner from the detector's, in detector elements
            origin = (max(0.0, (det_rows - rows * binning[0]) / 2.0), max(0.0, (det_cols - cols * binning[1]) / 2.0))
    ds.FieldOfViewOrigin = [format_ds(origin[0], 6), format_ds(origin[1], 6)]
    ds.FieldOfViewRotation = "0"
    ds.FieldOfViewHorizontalFlip = "NO"


def dx_positioning_module(ds: Dataset, *, view_position: str | None, view_code: Code | None,
                          patient_orientation_code: Code | None, patient_orientation_modifier: Code | None,
                          sid_mm: float | None, sod_mm: float | None,
                          body_part_thickness_mm: float | None = None, positioner_type: str = "COLUMN",
                          column_angulation_deg: float | None = None) -> None:
    """C.8.11.5 DX Positioning Module (a tube on a column or ceiling suspension: Positioner Type COLUMN)."""
    ds.PositionerType = positioner_type
    if column_angulation_deg is not None:
        ds.ColumnAngulation = format_ds(column_angulation_deg, 6)
    if view_position:
        ds.ViewPosition = view_position
    if view_code:
        view = code_item(*view_code)
        view.ViewModifierCodeSequence = []
        ds.ViewCodeSequence = [view]
    if patient_orientation_code:
        orientation = code_item(*patient_orientation_code)
        if patient_orientation_modifier:
            orientation.PatientOrientationModifierCodeSequence = [code_item(*patient_orientation_modifier)]
        ds.PatientOrientationCodeSequence = [orientation]
    if sid_mm:
        ds.DistanceSourceToDetector = format_ds(sid_mm)
    if sod_mm:
        ds.DistanceSourceToPatient = format_ds(sod_mm)
    if sid_mm and sod_mm:
        ds.EstimatedRadiographicMagnificationFactor = format_ds(sid_mm / sod_mm, 6)
    if body_part_thickness_mm:
        ds.BodyPartThickness = format_ds(body_part_thickness_mm, 6)


# -- X-ray (C.8.7) ---------------------------------------------------------------------------------------

def xray_collimator_module(ds: Dataset, *, left: int, right: int, upper: int, lower: int) -> None:
    """C.8.7.3 X-Ray Collimator Module: a rectangular field, edges in image pixel columns/rows."""
    ds.CollimatorShape = "RECTANGULAR"
    ds.CollimatorLeftVerticalEdge = int(left)
    ds.CollimatorRightVerticalEdge = int(right)
    ds.CollimatorUpperHorizontalEdge = int(upper)
    ds.CollimatorLowerHorizontalEdge = int(lower)


def _technique(ds: Dataset, *, kvp: float | None, tube_current_ma: float | None, exposure_time_ms: float | None,
               mas: float | None, micro: bool = True) -> None:
    if kvp:
        ds.KVP = format_ds(kvp, 6)
    if tube_current_ma is not None:
        ds.XRayTubeCurrent = format_is(tube_current_ma)
        if micro:
            ds.XRayTubeCurrentInuA = format_ds(tube_current_ma * 1000.0, 8)
    if exposure_time_ms is not None:
        ds.ExposureTime = format_is(exposure_time_ms)
        if micro:
            ds.ExposureTimeInuS = format_ds(exposure_time_ms * 1000.0, 8)
    if mas is not None:
        ds.Exposure = format_is(mas)
        ds.ExposureInuAs = format_is(mas * 1000.0)


def xray_acquisition_dose_module(ds: Dataset, *, kvp: float | None, tube_current_ma: float | None,
                                 exposure_time_ms: float | None, mas: float | None, sid_mm: float | None,
                                 sod_mm: float | None, dap_dgycm2: float | None, entrance_dose_mgy: float | None,
                                 exposure_index: float | None, target_exposure_index: float | None,
                                 deviation_index: float | None, relative_exposure: int | None = None,
                                 source_to_entrance_mm: float | None = None, exposed_area_mm: tuple | None = None,
                                 anode_target: str | None = None, filter_material: str | None = None,
                                 filter_thickness_mm: float | None = None, comments: str = "") -> None:
    """C.8.7.8 X-Ray Acquisition Dose Module (with the IEC 62494-1 exposure indices)."""
    _technique(ds, kvp=kvp, tube_current_ma=tube_current_ma, exposure_time_ms=exposure_time_ms, mas=mas)
    if sid_mm:
        ds.DistanceSourceToDetector = format_ds(sid_mm)
    if sod_mm:
        ds.DistanceSourceToPatient = format_ds(sod_mm)
    if dap_dgycm2 is not None:
        ds.ImageAndFluoroscopyAreaDoseProduct = format_ds(dap_dgycm2, 6)
    if relative_exposure is not None:
        ds.RelativeXRayExposure = int(relative_exposure)
    if entrance_dose_mgy is not None:
        ds.EntranceDoseInmGy = format_ds(entrance_dose_mgy, 6)
    if exposed_area_mm:
        ds.ExposedArea = [format_is(exposed_area_mm[0]), format_is(exposed_area_mm[1])]
    if source_to_entrance_mm:
        ds.DistanceSourceToEntrance = format_ds(source_to_entrance_mm)
    if comments:
        ds.CommentsOnRadiationDose = comments[:1024]
    if anode_target:
        ds.AnodeTargetMaterial = anode_target
    if filter_material:
        ds.FilterMaterial = filter_material
    if filter_thickness_mm is not None:
        ds.FilterThicknessMinimum = format_ds(filter_thickness_mm, 6)
        ds.FilterThicknessMaximum = format_ds(filter_thickness_mm, 6)
    if exposure_index is not None:
        ds.ExposureIndex = format_ds(exposure_index, 6)
    if target_exposure_index is not None:
        ds.TargetExposureIndex = format_ds(target_exposure_index, 6)
    if deviation_index is not None:
        ds.DeviationIndex = format_ds(deviation_index, 4)


def xray_generation_module(ds: Dataset, *, kvp: float | None, tube_current_ma: float | None,
                           exposure_time_ms: float | None, mas: float | None, focal_spot_mm: float | None,
                           anode_target: str | None, aec: bool | None = None) -> None:
    """C.8.7.7 X-Ray Generation Module."""
    _technique(ds, kvp=kvp, tube_current_ma=tube_current_ma, exposure_time_ms=exposure_time_ms, mas=mas)
    if aec is not None:
        ds.ExposureControlMode = "AUTOMATIC" if aec else "MANUAL"
    ds.ExposureStatus = "NORMAL"
    if focal_spot_mm:
        ds.FocalSpots = format_ds(focal_spot_mm, 4)
    if anode_target:
        ds.AnodeTargetMaterial = anode_target


def xray_filtration_module(ds: Dataset, *, filter_material: str | None, filter_thickness_mm: float | None) -> None:
    """C.8.7.10 X-Ray Filtration Module (a flat added filter, or none)."""
    if not filter_material or not filter_thickness_mm:
        ds.FilterType = "NONE"
        return
    ds.FilterType = "FLAT"
    ds.FilterMaterial = filter_material
    ds.FilterThicknessMinimum = format_ds(filter_thickness_mm, 6)
    ds.FilterThicknessMaximum = format_ds(filter_thickness_mm, 6)


def xray_grid_module(ds: Dataset, *, grid: bool, grid_ratio: float | None, grid_focus_mm: float | None,
                     reciprocating: bool = True) -> None:
    """C.8.7.11 X-Ray Grid Module. The grid ratio goes in Grid Aspect Ratio as ratio:1 (numerator\\denominator)."""
    if not grid:
        ds.Grid = "NONE"
        return
    ds.Grid = ["FOCUSED", "RECIPROCATING" if reciprocating else "FIXED"] if grid_focus_mm else \
        ["PARALLEL", "RECIPROCATING" if reciprocating else "FIXED"]
    if grid_ratio:
        ratio = Fraction(float(grid_ratio)).limit_denominator(10)
        ds.GridAspectRatio = [ratio.numerator, ratio.denominator]
    if grid_focus_mm:
        ds.GridFocalDistance = format_ds(grid_focus_mm, 6)


def ct_image_module(ds: Dataset, *, kvp: float | None, rescale_intercept: float, rescale_slope: float,
                    acquisition_number: int = 1, tube_current_ma: float | None = None,
                    exposure_time_ms: float | None = None, mas: float | None = None, kernel: str = "",
                    data_collection_diameter_mm: float | None = None,
                    reconstruction_diameter_mm: float | None = None, gantry_tilt_deg: float | None = 0.0,
                    revolution_time_s: float | None = None, single_collimation_mm: float | None = None,
                    total_collimation_mm: float | None = None, pitch: float | None = None,
                    ctdivol_mgy: float | None = None, phantom: Code | None = None,
                    water_equivalent_diameter_mm: float | None = None, wed_method: Code | None = None,
                    focal_spot_mm: float | None = None, distance_source_to_detector_mm: float | None = None,
                    distance_source_to_patient_mm: float | None = None, filter_type: str = "",
                    table_height_mm: float | None = None, rescale_type: str | None = None) -> None:
    """C.8.2.1 CT Image Module (single-energy). Image Type value 3 (AXIAL or LOCALIZER) is set by the General
    Image Module.

    A LOCALIZER (scout, topogram: stationary tube, moving table) gets no Scan Options or Rotation Direction, and
    its stored values are not Hounsfield units: Rescale Type defaults to US (unspecified) for it, HU otherwise.
    """
    if ds.SamplesPerPixel != 1 or ds.BitsAllocated != 16 or not 12 <= ds.BitsStored <= 16:
        raise ValueError("CT images are 16-bit allocated greyscale with 12 to 16 bits stored")
    if len(ds.ImageType) < 3 or ds.ImageType[2] not in ("AXIAL", "LOCALIZER"):
        raise ValueError("CT Image Type needs value 3 (AXIAL or LOCALIZER)")
    localizer = ds.ImageType[2] == "LOCALIZER"
    ds.RescaleIntercept = format_ds(rescale_intercept)
    ds.RescaleSlope = format_ds(rescale_slope)
    ds.RescaleType = rescale_type or ("US" if localizer else "HU")
    ds.KVP = format_ds(kvp, 6) if kvp else ""
    ds.AcquisitionNumber = acquisition_number
    helical = bool(pitch and pitch > 0) and not localizer
    if not localizer:
        ds.ScanOptions = "HELICAL" if helical else "AXIAL"
    if data_collection_diameter_mm:
        ds.DataCollectionDiameter = format_ds(data_collection_diameter_mm, 6)
    if reconstruction_diameter_mm:
        ds.ReconstructionDiameter = format_ds(reconstruction_diameter_mm, 6)
    if distance_source_to_detector_mm:
        ds.DistanceSourceToDetector = format_ds(distance_source_to_detector_mm, 6)
    if distance_source_to_patient_mm:
        ds.DistanceSourceToPatient = format_ds(distance_source_to_patient_mm, 6)
    if gantry_tilt_deg is not None:
        ds.GantryDetectorTilt = format_ds(gantry_tilt_deg, 6)
    if table_height_mm is not None:
        ds.TableHeight = format_ds(table_height_mm, 6)
    if not localizer:
        ds.RotationDirection = "CW"
    _technique(ds, kvp=None, tube_current_ma=tube_current_ma, exposure_time_ms=exposure_time_ms, mas=mas,
               micro=False)
    if filter_type:
        ds.FilterType = filter_type
    if focal_spot_mm:
        ds.FocalSpots = format_ds(focal_spot_mm, 4)
    if kernel:
        ds.ConvolutionKernel = kernel[:16]
    if revolution_time_s:
        ds.RevolutionTime = float(revolution_time_s)
    if single_collimation_mm:
        ds.SingleCollimationWidth = float(single_collimation_mm)
    if total_collimation_mm:
        ds.TotalCollimationWidth = float(total_collimation_mm)
    if helical and pitch:
        ds.SpiralPitchFactor = float(pitch)
        if total_collimation_mm:
            feed = float(pitch) * float(total_collimation_mm)
            ds.TableFeedPerRotation = feed
            if revolution_time_s:
                ds.TableSpeed = feed / float(revolution_time_s)
    if ctdivol_mgy is not None:
        ds.CTDIvol = float(ctdivol_mgy)
        if phantom:
            ds.CTDIPhantomTypeCodeSequence = [code_item(*phantom)]
    if water_equivalent_diameter_mm:
        ds.WaterEquivalentDiameter = float(water_equivalent_diameter_mm)
        ds.WaterEquivalentDiameterCalculationMethodCodeSequence = [
            code_item(*(wed_method or ("113981", "DCM", "Water Equivalent Diameter Representative Value")))]


# -- MR (C.8.3) -----------------------------------------------------------------------------------------

GYROMAGNETIC_MHZ_PER_T = 42.577478518  # 1H, γ/2π (CODATA 2018)


def mr_image_module(ds: Dataset, *, scanning_sequence: Sequence[str], sequence_variant: Sequence[str],
                    scan_options: Sequence[str] = (), acquisition_type: str = "2D", tr_ms: float | None,
                    te_ms: float | None, ti_ms: float | None = None, etl: float | None = None,
                    flip_deg: float | None = None, field_t: float | None = None, nex: float | None = None,
                    bandwidth_hz_px: float | None = None, matrix: Sequence[int] | None = None,
                    phase_direction: str | None = None, percent_sampling: float | None = None,
                    percent_phase_fov: float | None = None, sequence_name: str = "",
                    receive_coil: str | None = None, transmit_coil: str | None = None, sar_wkg: float | None = None,
                    dbdt_tps: float | None = None, spacing_between_slices: float | None = None,
                    anatomic_region: Code | None = None, imaged_nucleus: str = "1H") -> None:
    """C.8.3.1 MR Image Module (magnitude, proton imaging).

    ``matrix`` is the acquired (frequency, phase) matrix; with ``phase_direction`` (ROW: phase encoded along
    the rows, COL: along the columns) it becomes Acquisition Matrix frequency rows\\frequency columns\\phase
    rows\\phase columns. Image Type, Samples per Pixel, Photometric Interpretation and Bits Allocated are set
    by the General Image and Image Pixel modules; this checks the MR constraints on them.
    """
    if ds.SamplesPerPixel != 1 or ds.PhotometricInterpretation not in ("MONOCHROME1", "MONOCHROME2"):
        raise ValueError("MR images are greyscale (MONOCHROME1 or MONOCHROME2)")
    if ds.BitsAllocated != 16:
        raise ValueError("MR images have 16 bits allocated")
    if len(ds.ImageType) < 3:
        raise ValueError("MR Image Type needs value 3")
    sequences = [s.upper() for s in scanning_sequence]
    variants = [v.upper() for v in sequence_variant] or ["NONE"]
    if not sequences:
        raise ValueError("Scanning Sequence is type 1 (SE, IR, GR, EP or RM)")
    ds.ScanningSequence = sequences
    ds.SequenceVariant = variants
    ds.ScanOptions = list(scan_options) if scan_options else ""
    ds.MRAcquisitionType = acquisition_type
    # Repetition Time: type 2C, required unless an echo-planar single shot (EP without SK)
    if tr_ms is not None:
        ds.RepetitionTime = format_ds(tr_ms)
    elif not ("EP" in sequences and "SK" not in variants):
        ds.RepetitionTime = ""
    ds.EchoTime = format_ds(te_ms) if te_ms is not None else ""
    ds.EchoTrainLength = format_is(etl) if etl is not None else ""
    if "IR" in sequences:  # Inversion Time: type 2C, required for IR (and only then)
        ds.InversionTime = format_ds(ti_ms) if ti_ms is not None else ""
    if sequence_name:
        ds.SequenceName = sequence_name[:16]
    ds.AngioFlag = "N"
    if nex is not None:
        ds.NumberOfAverages = format_ds(nex)
    if field_t is not None:
        ds.ImagingFrequency = format_ds(GYROMAGNETIC_MHZ_PER_T * field_t, 10)
        ds.MagneticFieldStrength = format_ds(field_t)
    ds.ImagedNucleus = imaged_nucleus
    ds.EchoNumbers = 1
    if spacing_between_slices:
        ds.SpacingBetweenSlices = format_ds(abs(spacing_between_slices))
    direction = (phase_direction or "").upper()
    if matrix is not None and len(matrix) == 2:
        frequency, phase = (format_is(v) for v in matrix)
        if percent_sampling:
            ds.NumberOfPhaseEncodingSteps = format_is(phase * percent_sampling / 100.0)
        if direction == "ROW":
            ds.AcquisitionMatrix = [0, frequency, phase, 0]
        elif direction == "COL":
            ds.AcquisitionMatrix = [frequency, 0, 0, phase]
    if percent_sampling is not None:
        ds.PercentSampling = format_ds(percent_sampling)
    if percent_phase_fov is not None:
        ds.PercentPhaseFieldOfView = format_ds(percent_phase_fov)
    if bandwidth_hz_px is not None:
        ds.PixelBandwidth = format_ds(bandwidth_hz_px)
    if receive_coil:
        ds.ReceiveCoilName = str(receive_coil)[:16]
    if transmit_coil:
        ds.TransmitCoilName = str(transmit_coil)[:16]
    if direction in ("ROW", "COL"):
        ds.InPlanePhaseEncodingDirection = direction
    if flip_deg is not None:
        ds.FlipAngle = format_ds(flip_deg)
    if sar_wkg is not None:
        ds.SAR = format_ds(sar_wkg)
    if dbdt_tps is not None:
        ds.dBdt = format_ds(dbdt_tps)
    if anatomic_region:
        ds.AnatomicRegionSequence = [code_item(*anatomic_region)]


# -- SR (C.17) -------------------------------------------------------------------------------------------

def sr_document_series_module(ds: Dataset, ctx: StudyContext, *, series_uid: str, series_number: int,
                              description: str = "") -> None:
    """C.17.1 SR Document Series Module."""
    moment = ctx.moment()
    ds.Modality = "SR"
    ds.SeriesInstanceUID = series_uid
    ds.SeriesNumber = series_number
    ds.SeriesDate = moment.strftime("%Y%m%d")
    ds.SeriesTime = moment.strftime("%H%M%S")
    if description:
        ds.SeriesDescription = description[:64]
    ds.ReferencedPerformedProcedureStepSequence = []


def sr_document_general_module(ds: Dataset, ctx: StudyContext, *, instance_number: int,
                               evidence: Sequence[Dataset] = ()) -> None:
    """C.17.2 SR Document General Module: a complete, unverified, machine-generated document."""
    moment = ctx.moment()
    ds.InstanceNumber = instance_number
    ds.CompletionFlag = "COMPLETE"
    ds.VerificationFlag = "UNVERIFIED"
    ds.ContentDate = moment.strftime("%Y%m%d")
    ds.ContentTime = moment.strftime("%H%M%S")
    ds.PerformedProcedureCodeSequence = []
    if evidence:
        ds.CurrentRequestedProcedureEvidenceSequence = list(evidence)


def sr_document_content_module(ds: Dataset, root: Dataset) -> None:
    """C.17.3 SR Document Content Module: the root CONTAINER's attributes go on the dataset itself."""
    if root.ValueType != "CONTAINER" or "RelationshipType" in root:
        raise ValueError("the SR root must be a CONTAINER without a relationship")
    for element in root:
        ds.add(element)
