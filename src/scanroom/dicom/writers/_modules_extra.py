"""PS3.3 modules the writers need that ``scanroom.dicom.modules`` does not (yet) have.

Same conventions as modules.py: one function per module, named as in the standard, setting the module's
attributes on a dataset; type 2 attributes present (possibly empty), type 3 set when known. Candidates for
merging into modules.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from pydicom.dataset import Dataset

from scanroom.dicom.modules import MANUFACTURER, StudyContext, code_item, general_equipment_module

Code = tuple[str, str, str]

DEVICE_SERIAL_NUMBER = "SCANROOM-SIM-0001"


def ds(value: float, digits: int = 8) -> str:
    """A DS string of at most 16 characters."""
    for d in range(digits, 0, -1):
        text = f"{float(value):.{d}g}"
        if len(text) <= 16:
            return text
    raise ValueError(f"cannot format {value!r} as DS")


def _is(value: float) -> int:
    return int(round(float(value)))


# -- equipment -------------------------------------------------------------------------------------------

def enhanced_general_equipment_module(ds_: Dataset, *, device_uid: str | None = None) -> None:
    """C.7.5.2 Enhanced General Equipment Module (General Equipment plus a type 1 Device Serial Number)."""
    general_equipment_module(ds_)
    ds_.DeviceSerialNumber = DEVICE_SERIAL_NUMBER
    if device_uid:
        ds_.DeviceUID = device_uid


# -- DX (C.8.11) -----------------------------------------------------------------------------------------

def dx_series_module(ds_: Dataset, *, presentation_intent: str = "FOR PRESENTATION") -> None:
    """C.8.11.1 DX Series Module (Modality is set by the General Series Module)."""
    if ds_.get("Modality") != "DX":
        raise ValueError("DX Series Module needs Modality DX")
    ds_.PresentationIntentType = presentation_intent


def dx_anatomy_imaged_module(ds_: Dataset, *, image_laterality: str, anatomic_region: Code) -> None:
    """C.8.11.2 DX Anatomy Imaged Module (with the General Anatomy Mandatory Macro, CID 4009)."""
    ds_.ImageLaterality = image_laterality
    ds_.AnatomicRegionSequence = [code_item(*anatomic_region)]


def dx_image_module(ds_: Dataset, *, photometric: str, intensity_sign: int,
                    processing_description: str = "") -> None:
    """C.8.11.3 DX Image Module, for presentation: log intensity, identity rescale, presentation LUT shape.

    The Image Pixel attributes (rows, bits …) and Patient Orientation are set by the Image Pixel and General
    Image modules; this checks the DX constraints on them.
    """
    if photometric not in ("MONOCHROME1", "MONOCHROME2"):
        raise ValueError(f"DX photometric interpretation must be MONOCHROME1 or MONOCHROME2, not {photometric}")
    if ds_.PixelRepresentation != 0:
        raise ValueError("DX pixel data must be unsigned")
    ds_.PixelIntensityRelationship = "LOG"
    ds_.PixelIntensityRelationshipSign = int(intensity_sign)
    ds_.RescaleIntercept = "0"
    ds_.RescaleSlope = "1"
    ds_.RescaleType = "US"
    ds_.PresentationLUTShape = "INVERSE" if photometric == "MONOCHROME1" else "IDENTITY"
    ds_.LossyImageCompression = "00"
    ds_.BurnedInAnnotation = "NO"
    if processing_description:
        ds_.AcquisitionDeviceProcessingDescription = processing_description[:64]


def dx_detector_module(ds_: Dataset, *, detector_type: str, imager_pixel_spacing: tuple[float, float],
                       element_mm: float | None, detector_shape: tuple[int, int] | None,
                       image_shape: tuple[int, int], description: str = "") -> None:
    """C.8.11.4 DX Detector Module."""
    rows, cols = image_shape
    ds_.DetectorType = detector_type
    ds_.DetectorConfiguration = "AREA"
    if description:
        ds_.DetectorDescription = description[:10240]
    ds_.ImagerPixelSpacing = [ds(imager_pixel_spacing[0]), ds(imager_pixel_spacing[1])]
    fov_mm = (rows * imager_pixel_spacing[0], cols * imager_pixel_spacing[1])
    ds_.FieldOfViewShape = "RECTANGLE"
    ds_.FieldOfViewDimensions = [_is(fov_mm[0]), _is(fov_mm[1])]
    origin = (0.0, 0.0)
    if element_mm and element_mm > 0:
        ds_.DetectorElementPhysicalSize = [ds(element_mm), ds(element_mm)]
        ds_.DetectorElementSpacing = [ds(element_mm), ds(element_mm)]
        binning = (imager_pixel_spacing[0] / element_mm, imager_pixel_spacing[1] / element_mm)
        ds_.DetectorBinning = [ds(binning[0], 4), ds(binning[1], 4)]
        if detector_shape:
            det_rows, det_cols = detector_shape
            ds_.DetectorActiveShape = "RECTANGLE"
            ds_.DetectorActiveDimensions = [ds(det_rows * element_mm), ds(det_cols * element_mm)]
            # offset of the field of view's top left corner from the detector's, in detector elements
            origin = (max(0.0, (det_rows - rows * binning[0]) / 2.0), max(0.0, (det_cols - cols * binning[1]) / 2.0))
    ds_.FieldOfViewOrigin = [ds(origin[0], 6), ds(origin[1], 6)]
    ds_.FieldOfViewRotation = "0"
    ds_.FieldOfViewHorizontalFlip = "NO"


def dx_positioning_module(ds_: Dataset, *, view_position: str | None, view_code: Code | None,
                          patient_orientation_code: Code | None, patient_orientation_modifier: Code | None,
                          sid_mm: float | None, sod_mm: float | None,
                          body_part_thickness_mm: float | None = None, positioner_type: str = "COLUMN",
                          column_angulation_deg: float | None = None) -> None:
    """C.8.11.5 DX Positioning Module (a tube on a column or ceiling suspension: Positioner Type COLUMN)."""
    ds_.PositionerType = positioner_type
    if column_angulation_deg is not None:
        ds_.ColumnAngulation = ds(column_angulation_deg, 6)
    if view_position:
        ds_.ViewPosition = view_position
    if view_code:
        view = code_item(*view_code)
        view.ViewModifierCodeSequence = []
        ds_.ViewCodeSequence = [view]
    if patient_orientation_code:
        orientation = code_item(*patient_orientation_code)
        if patient_orientation_modifier:
            orientation.PatientOrientationModifierCodeSequence = [code_item(*patient_orientation_modifier)]
        ds_.PatientOrientationCodeSequence = [orientation]
    if sid_mm:
        ds_.DistanceSourceToDetector = ds(sid_mm)
    if sod_mm:
        ds_.DistanceSourceToPatient = ds(sod_mm)
    if sid_mm and sod_mm:
        ds_.EstimatedRadiographicMagnificationFactor = ds(sid_mm / sod_mm, 6)
    if body_part_thickness_mm:
        ds_.BodyPartThickness = ds(body_part_thickness_mm, 6)


# -- X-ray (C.8.7) ---------------------------------------------------------------------------------------

def xray_collimator_module(ds_: Dataset, *, left: int, right: int, upper: int, lower: int) -> None:
    """C.8.7.3 X-Ray Collimator Module: a rectangular field, edges in image pixel columns/rows."""
    ds_.CollimatorShape = "RECTANGULAR"
    ds_.CollimatorLeftVerticalEdge = int(left)
    ds_.CollimatorRightVerticalEdge = int(right)
    ds_.CollimatorUpperHorizontalEdge = int(upper)
    ds_.CollimatorLowerHorizontalEdge = int(lower)


def _technique(ds_: Dataset, *, kvp: float | None, tube_current_ma: float | None, exposure_time_ms: float | None,
               mas: float | None, micro: bool = True) -> None:
    if kvp:
        ds_.KVP = ds(kvp, 6)
    if tube_current_ma is not None:
        ds_.XRayTubeCurrent = _is(tube_current_ma)
        if micro:
            ds_.XRayTubeCurrentInuA = ds(tube_current_ma * 1000.0, 8)
    if exposure_time_ms is not None:
        ds_.ExposureTime = _is(exposure_time_ms)
        if micro:
            ds_.ExposureTimeInuS = ds(exposure_time_ms * 1000.0, 8)
    if mas is not None:
        ds_.Exposure = _is(mas)
        ds_.ExposureInuAs = _is(mas * 1000.0)


def xray_acquisition_dose_module(ds_: Dataset, *, kvp: float | None, tube_current_ma: float | None,
                                 exposure_time_ms: float | None, mas: float | None, sid_mm: float | None,
                                 sod_mm: float | None, dap_dgycm2: float | None, entrance_dose_mgy: float | None,
                                 exposure_index: float | None, target_exposure_index: float | None,
                                 deviation_index: float | None, relative_exposure: int | None = None,
                                 source_to_entrance_mm: float | None = None, exposed_area_mm: tuple | None = None,
                                 anode_target: str | None = None, filter_material: str | None = None,
                                 filter_thickness_mm: float | None = None, comments: str = "") -> None:
    """C.8.7.8 X-Ray Acquisition Dose Module (with the IEC 62494-1 exposure indices)."""
    _technique(ds_, kvp=kvp, tube_current_ma=tube_current_ma, exposure_time_ms=exposure_time_ms, mas=mas)
    if sid_mm:
        ds_.DistanceSourceToDetector = ds(sid_mm)
    if sod_mm:
        ds_.DistanceSourceToPatient = ds(sod_mm)
    if dap_dgycm2 is not None:
        ds_.ImageAndFluoroscopyAreaDoseProduct = ds(dap_dgycm2, 6)
    if relative_exposure is not None:
        ds_.RelativeXRayExposure = int(relative_exposure)
    if entrance_dose_mgy is not None:
        ds_.EntranceDoseInmGy = ds(entrance_dose_mgy, 6)
    if exposed_area_mm:
        ds_.ExposedArea = [_is(exposed_area_mm[0]), _is(exposed_area_mm[1])]
    if source_to_entrance_mm:
        ds_.DistanceSourceToEntrance = ds(source_to_entrance_mm)
    if comments:
        ds_.CommentsOnRadiationDose = comments[:1024]
    if anode_target:
        ds_.AnodeTargetMaterial = anode_target
    if filter_material:
        ds_.FilterMaterial = filter_material
    if filter_thickness_mm is not None:
        ds_.FilterThicknessMinimum = ds(filter_thickness_mm, 6)
        ds_.FilterThicknessMaximum = ds(filter_thickness_mm, 6)
    if exposure_index is not None:
        ds_.ExposureIndex = ds(exposure_index, 6)
    if target_exposure_index is not None:
        ds_.TargetExposureIndex = ds(target_exposure_index, 6)
    if deviation_index is not None:
        ds_.DeviationIndex = ds(deviation_index, 4)


def xray_generation_module(ds_: Dataset, *, kvp: float | None, tube_current_ma: float | None,
                           exposure_time_ms: float | None, mas: float | None, focal_spot_mm: float | None,
                           anode_target: str | None, aec: bool | None = None) -> None:
    """C.8.7.7 X-Ray Generation Module."""
    _technique(ds_, kvp=kvp, tube_current_ma=tube_current_ma, exposure_time_ms=exposure_time_ms, mas=mas)
    if aec is not None:
        ds_.ExposureControlMode = "AUTOMATIC" if aec else "MANUAL"
    ds_.ExposureStatus = "NORMAL"
    if focal_spot_mm:
        ds_.FocalSpots = ds(focal_spot_mm, 4)
    if anode_target:
        ds_.AnodeTargetMaterial = anode_target


def xray_filtration_module(ds_: Dataset, *, filter_material: str | None, filter_thickness_mm: float | None) -> None:
    """C.8.7.10 X-Ray Filtration Module (a flat added filter, or none)."""
    if not filter_material or not filter_thickness_mm:
        ds_.FilterType = "NONE"
        return
    ds_.FilterType = "FLAT"
    ds_.FilterMaterial = filter_material
    ds_.FilterThicknessMinimum = ds(filter_thickness_mm, 6)
    ds_.FilterThicknessMaximum = ds(filter_thickness_mm, 6)


def xray_grid_module(ds_: Dataset, *, grid: bool, grid_ratio: float | None, grid_focus_mm: float | None,
                     reciprocating: bool = True) -> None:
    """C.8.7.11 X-Ray Grid Module. The grid ratio goes in Grid Aspect Ratio as ratio:1 (numerator\\denominator)."""
    if not grid:
        ds_.Grid = "NONE"
        return
    ds_.Grid = ["FOCUSED", "RECIPROCATING" if reciprocating else "FIXED"] if grid_focus_mm else \
        ["PARALLEL", "RECIPROCATING" if reciprocating else "FIXED"]
    if grid_ratio:
        ratio = Fraction(float(grid_ratio)).limit_denominator(10)
        ds_.GridAspectRatio = [ratio.numerator, ratio.denominator]
    if grid_focus_mm:
        ds_.GridFocalDistance = ds(grid_focus_mm, 6)


def acquisition_context_module(ds_: Dataset, items: Sequence[Dataset] = ()) -> None:
    """C.7.6.14 Acquisition Context Module (type 2 sequence; empty when nothing is recorded)."""
    ds_.AcquisitionContextSequence = list(items)


# -- CT (C.7.4.1, C.7.6.2, C.8.2.1) ----------------------------------------------------------------------

def frame_of_reference_module(ds_: Dataset, *, frame_of_reference_uid: str, indicator: str = "") -> None:
    """C.7.4.1 Frame of Reference Module."""
    ds_.FrameOfReferenceUID = frame_of_reference_uid
    ds_.PositionReferenceIndicator = indicator


def general_acquisition_module(ds_: Dataset, ctx: StudyContext, *, acquisition_number: int = 1,
                               acquisition_uid: str | None = None) -> None:
    """C.7.10.1 General Acquisition Module."""
    moment = ctx.moment()
    if acquisition_uid:
        ds_.AcquisitionUID = acquisition_uid
    ds_.AcquisitionNumber = acquisition_number
    ds_.AcquisitionDate = moment.strftime("%Y%m%d")
    ds_.AcquisitionTime = moment.strftime("%H%M%S")


def image_plane_module(ds_: Dataset, *, pixel_spacing: tuple[float, float], position: Sequence[float],
                       orientation: Sequence[float] = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0), slice_thickness: float | None,
                       spacing_between_slices: float | None = None, slice_location: float | None = None) -> None:
    """C.7.6.2 Image Plane Module (LPS patient coordinates, mm)."""
    ds_.PixelSpacing = [ds(pixel_spacing[0]), ds(pixel_spacing[1])]
    ds_.ImageOrientationPatient = [ds(v, 8) for v in orientation]
    ds_.ImagePositionPatient = [ds(v, 9) for v in position]
    ds_.SliceThickness = ds(slice_thickness) if slice_thickness else ""
    if spacing_between_slices:
        ds_.SpacingBetweenSlices = ds(abs(spacing_between_slices))
    if slice_location is not None:
        ds_.SliceLocation = ds(slice_location, 9)


def contrast_bolus_module(ds_: Dataset, *, agent: str, route: str = "IV") -> None:
    """C.7.6.4 Contrast/Bolus Module (present only when contrast was given)."""
    ds_.ContrastBolusAgent = agent[:64]
    ds_.ContrastBolusRoute = route


def ct_image_module(ds_: Dataset, *, kvp: float | None, rescale_intercept: float, rescale_slope: float,
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
                    table_height_mm: float | None = None) -> None:
    """C.8.2.1 CT Image Module (single-energy). Image Type value 3 (AXIAL) is set by the General Image Module."""
    if ds_.SamplesPerPixel != 1 or ds_.BitsAllocated != 16 or not 12 <= ds_.BitsStored <= 16:
        raise ValueError("CT images are 16-bit allocated greyscale with 12 to 16 bits stored")
    if len(ds_.ImageType) < 3:
        raise ValueError("CT Image Type needs value 3 (AXIAL or LOCALIZER)")
    ds_.RescaleIntercept = ds(rescale_intercept)
    ds_.RescaleSlope = ds(rescale_slope)
    ds_.RescaleType = "HU"
    ds_.KVP = ds(kvp, 6) if kvp else ""
    ds_.AcquisitionNumber = acquisition_number
    helical = bool(pitch and pitch > 0)
    ds_.ScanOptions = "HELICAL" if helical else "AXIAL"
    if data_collection_diameter_mm:
        ds_.DataCollectionDiameter = ds(data_collection_diameter_mm, 6)
    if reconstruction_diameter_mm:
        ds_.ReconstructionDiameter = ds(reconstruction_diameter_mm, 6)
    if distance_source_to_detector_mm:
        ds_.DistanceSourceToDetector = ds(distance_source_to_detector_mm, 6)
    if distance_source_to_patient_mm:
        ds_.DistanceSourceToPatient = ds(distance_source_to_patient_mm, 6)
    if gantry_tilt_deg is not None:
        ds_.GantryDetectorTilt = ds(gantry_tilt_deg, 6)
    if table_height_mm is not None:
        ds_.TableHeight = ds(table_height_mm, 6)
    ds_.RotationDirection = "CW"
    _technique(ds_, kvp=None, tube_current_ma=tube_current_ma, exposure_time_ms=exposure_time_ms, mas=mas,
               micro=False)
    if filter_type:
        ds_.FilterType = filter_type
    if focal_spot_mm:
        ds_.FocalSpots = ds(focal_spot_mm, 4)
    if kernel:
        ds_.ConvolutionKernel = kernel[:16]
    if revolution_time_s:
        ds_.RevolutionTime = float(revolution_time_s)
    if single_collimation_mm:
        ds_.SingleCollimationWidth = float(single_collimation_mm)
    if total_collimation_mm:
        ds_.TotalCollimationWidth = float(total_collimation_mm)
    if helical and pitch:
        ds_.SpiralPitchFactor = float(pitch)
        if total_collimation_mm:
            feed = float(pitch) * float(total_collimation_mm)
            ds_.TableFeedPerRotation = feed
            if revolution_time_s:
                ds_.TableSpeed = feed / float(revolution_time_s)
    if ctdivol_mgy is not None:
        ds_.CTDIvol = float(ctdivol_mgy)
        if phantom:
            ds_.CTDIPhantomTypeCodeSequence = [code_item(*phantom)]
    if water_equivalent_diameter_mm:
        ds_.WaterEquivalentDiameter = float(water_equivalent_diameter_mm)
        ds_.WaterEquivalentDiameterCalculationMethodCodeSequence = [
            code_item(*(wed_method or ("113981", "DCM", "Water Equivalent Diameter Representative Value")))]


# -- SR (C.17) -------------------------------------------------------------------------------------------

def sr_document_series_module(ds_: Dataset, ctx: StudyContext, *, series_uid: str, series_number: int,
                              description: str = "") -> None:
    """C.17.1 SR Document Series Module."""
    moment = ctx.moment()
    ds_.Modality = "SR"
    ds_.SeriesInstanceUID = series_uid
    ds_.SeriesNumber = series_number
    ds_.SeriesDate = moment.strftime("%Y%m%d")
    ds_.SeriesTime = moment.strftime("%H%M%S")
    if description:
        ds_.SeriesDescription = description[:64]
    ds_.ReferencedPerformedProcedureStepSequence = []


def sr_document_general_module(ds_: Dataset, ctx: StudyContext, *, instance_number: int,
                               evidence: Sequence[Dataset] = ()) -> None:
    """C.17.2 SR Document General Module: a complete, unverified, machine-generated document."""
    moment = ctx.moment()
    ds_.InstanceNumber = instance_number
    ds_.CompletionFlag = "COMPLETE"
    ds_.VerificationFlag = "UNVERIFIED"
    ds_.ContentDate = moment.strftime("%Y%m%d")
    ds_.ContentTime = moment.strftime("%H%M%S")
    ds_.PerformedProcedureCodeSequence = []
    if evidence:
        ds_.CurrentRequestedProcedureEvidenceSequence = list(evidence)


def sr_document_content_module(ds_: Dataset, root: Dataset) -> None:
    """C.17.3 SR Document Content Module: the root CONTAINER's attributes go on the dataset itself."""
    if root.ValueType != "CONTAINER" or "RelationshipType" in root:
        raise ValueError("the SR root must be a CONTAINER without a relationship")
    for element in root:
        ds_.add(element)


__all__ = [
    "MANUFACTURER",
    "acquisition_context_module",
    "contrast_bolus_module",
    "ct_image_module",
    "frame_of_reference_module",
    "general_acquisition_module",
    "image_plane_module",
    "dx_anatomy_imaged_module",
    "dx_detector_module",
    "dx_image_module",
    "dx_positioning_module",
    "dx_series_module",
    "enhanced_general_equipment_module",
    "sr_document_content_module",
    "sr_document_general_module",
    "sr_document_series_module",
    "xray_acquisition_dose_module",
    "xray_collimator_module",
    "xray_filtration_module",
    "xray_generation_module",
    "xray_grid_module",
]
