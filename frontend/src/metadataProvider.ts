/**
 * Cornerstone metadata provider backed by the series' DICOM JSON.
 * Each imageId (one per frame) maps to its instance JSON and frame number.
 */
import { metaData } from '@cornerstonejs/core';
import { type DicomJsonInstance, Tag, num, nums, str } from './dicomJson';

export interface FrameRef {
  imageId: string;
  instance: DicomJsonInstance;
  /** 1-based frame number within the instance. */
  frame: number;
  /** Index of this frame in the viewer's stack. */
  stackIndex: number;
  url: string;
}

const frames = new Map<string, FrameRef>();

export function registerFrame(ref: FrameRef): void {
  frames.set(ref.imageId, ref);
}

export function getFrameRef(imageId: string): FrameRef | undefined {
  return frames.get(imageId);
}

type Vec3 = [number, number, number];

function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

export function pixelSpacingOf(inst: DicomJsonInstance): {
  row: number;
  column: number;
  source: 'PixelSpacing' | 'ImagerPixelSpacing' | 'default';
} {
  const ps = nums(inst, Tag.PixelSpacing);
  if (ps.length >= 2 && ps[0]! > 0 && ps[1]! > 0) return { row: ps[0]!, column: ps[1]!, source: 'PixelSpacing' };
  const ips = nums(inst, Tag.ImagerPixelSpacing);
  if (ips.length >= 2 && ips[0]! > 0 && ips[1]! > 0) {
    return { row: ips[0]!, column: ips[1]!, source: 'ImagerPixelSpacing' };
  }
  return { row: 1, column: 1, source: 'default' };
}

export function isColorPhotometric(pi: string | undefined): boolean {
  if (!pi) return false;
  return pi === 'RGB' || pi.startsWith('YBR') || pi === 'PALETTE COLOR';
}

function imagePlaneModule(ref: FrameRef): Record<string, unknown> {
  const inst = ref.instance;
  const rows = num(inst, Tag.Rows) ?? 0;
  const columns = num(inst, Tag.Columns) ?? 0;
  const iop = nums(inst, Tag.ImageOrientationPatient);
  const ipp = nums(inst, Tag.ImagePositionPatient);
  const spacing = pixelSpacingOf(inst);
  const hasOrientation = iop.length === 6;
  const rowCosines: Vec3 = hasOrientation ? [iop[0]!, iop[1]!, iop[2]!] : [1, 0, 0];
  const columnCosines: Vec3 = hasOrientation ? [iop[3]!, iop[4]!, iop[5]!] : [0, 1, 0];
  let position: Vec3 = ipp.length === 3 ? [ipp[0]!, ipp[1]!, ipp[2]!] : [0, 0, 0];
  // Multi-frame instance without per-frame positions: step frames along the normal so
  // that each frame has a distinct plane (annotations stay on their own frame).
  const nFrames = num(inst, Tag.NumberOfFrames) ?? 1;
  if (nFrames > 1 && ref.frame > 1) {
    const step = num(inst, Tag.SpacingBetweenSlices) ?? num(inst, Tag.SliceThickness) ?? 1;
    const n = cross(rowCosines, columnCosines);
    const k = (ref.frame - 1) * step;
    position = [position[0] + n[0] * k, position[1] + n[1] * k, position[2] + n[2] * k];
  } else if (ipp.length !== 3 && ref.stackIndex > 0) {
    // Projection images (CR/DX) have no position: keep them apart along z.
    position = [0, 0, ref.stackIndex];
  }
  return {
    frameOfReferenceUID: str(inst, Tag.FrameOfReferenceUID) ?? `scanroom.for.${str(inst, Tag.SeriesInstanceUID) ?? ''}`,
    rows,
    columns,
    imageOrientationPatient: [...rowCosines, ...columnCosines],
    rowCosines,
    columnCosines,
    imagePositionPatient: position,
    sliceThickness: num(inst, Tag.SliceThickness),
    sliceLocation: num(inst, Tag.SliceLocation),
    spacingBetweenSlices: num(inst, Tag.SpacingBetweenSlices),
    pixelSpacing: [spacing.row, spacing.column],
    rowPixelSpacing: spacing.row,
    columnPixelSpacing: spacing.column,
    // Tells Cornerstone whether lengths are in mm or px.
    usingDefaultValues: spacing.source === 'default',
  };
}

function imagePixelModule(inst: DicomJsonInstance): Record<string, unknown> {
  const bitsAllocated = num(inst, Tag.BitsAllocated) ?? 16;
  return {
    samplesPerPixel: num(inst, Tag.SamplesPerPixel) ?? 1,
    photometricInterpretation: str(inst, Tag.PhotometricInterpretation) ?? 'MONOCHROME2',
    rows: num(inst, Tag.Rows) ?? 0,
    columns: num(inst, Tag.Columns) ?? 0,
    bitsAllocated,
    bitsStored: num(inst, Tag.BitsStored) ?? bitsAllocated,
    highBit: num(inst, Tag.HighBit) ?? bitsAllocated - 1,
    pixelRepresentation: num(inst, Tag.PixelRepresentation) ?? 0,
    planarConfiguration: num(inst, Tag.PlanarConfiguration) ?? 0,
  };
}

export function voiFromDicom(inst: DicomJsonInstance): { windowCenter: number[]; windowWidth: number[] } {
  return { windowCenter: nums(inst, Tag.WindowCenter), windowWidth: nums(inst, Tag.WindowWidth) };
}

export function rescaleOf(inst: DicomJsonInstance): { slope: number; intercept: number; present: boolean } {
  const slope = num(inst, Tag.RescaleSlope);
  const intercept = num(inst, Tag.RescaleIntercept);
  return { slope: slope ?? 1, intercept: intercept ?? 0, present: slope !== undefined || intercept !== undefined };
}

function provide(type: string, imageId: string): unknown {
  const ref = frames.get(imageId);
  if (!ref) return undefined;
  const inst = ref.instance;
  switch (type) {
    case 'imagePixelModule':
      return imagePixelModule(inst);
    case 'imagePlaneModule':
      return imagePlaneModule(ref);
    case 'generalSeriesModule':
      return {
        modality: str(inst, Tag.Modality) ?? 'OT',
        seriesInstanceUID: str(inst, Tag.SeriesInstanceUID),
        seriesNumber: num(inst, Tag.SeriesNumber),
        seriesDescription: str(inst, Tag.SeriesDescription),
        studyInstanceUID: str(inst, Tag.StudyInstanceUID),
      };
    case 'generalStudyModule':
      return { studyInstanceUID: str(inst, Tag.StudyInstanceUID) };
    case 'generalImageModule':
      return {
        instanceNumber: num(inst, Tag.InstanceNumber),
        sopInstanceUID: str(inst, Tag.SOPInstanceUID),
        frameNumber: ref.frame,
      };
    case 'sopCommonModule':
      return { sopClassUID: str(inst, Tag.SOPClassUID), sopInstanceUID: str(inst, Tag.SOPInstanceUID) };
    case 'modalityLutModule': {
      const r = rescaleOf(inst);
      return { rescaleSlope: r.slope, rescaleIntercept: r.intercept, rescaleType: str(inst, Tag.RescaleType) };
    }
    case 'voiLutModule': {
      const voi = voiFromDicom(inst);
      return {
        windowCenter: voi.windowCenter.length ? voi.windowCenter : undefined,
        windowWidth: voi.windowWidth.length ? voi.windowWidth : undefined,
        voiLUTFunction: str(inst, Tag.VOILUTFunction),
      };
    }
    case 'transferSyntax':
      return { transferSyntaxUID: '1.2.840.10008.1.2.1' };
    case 'multiframeModule':
      return { numberOfFrames: num(inst, Tag.NumberOfFrames) ?? 1, frameNumber: ref.frame };
    case 'patientModule':
      return { patientName: str(inst, Tag.PatientName) };
    case 'instance':
      return {
        Modality: str(inst, Tag.Modality),
        SOPInstanceUID: str(inst, Tag.SOPInstanceUID),
        SOPClassUID: str(inst, Tag.SOPClassUID),
        SeriesInstanceUID: str(inst, Tag.SeriesInstanceUID),
        StudyInstanceUID: str(inst, Tag.StudyInstanceUID),
        FrameOfReferenceUID: str(inst, Tag.FrameOfReferenceUID),
        Rows: num(inst, Tag.Rows),
        Columns: num(inst, Tag.Columns),
        NumberOfFrames: num(inst, Tag.NumberOfFrames),
        InstanceNumber: num(inst, Tag.InstanceNumber),
        PhotometricInterpretation: str(inst, Tag.PhotometricInterpretation),
      };
    default:
      return undefined;
  }
}

let installed = false;

export function installMetadataProvider(): void {
  if (installed) return;
  installed = true;
  // High priority so that our answers win over any generic provider.
  metaData.addProvider((type: string, ...query: string[]) => {
    const imageId = query[0];
    return typeof imageId === 'string' ? provide(type, imageId) : undefined;
  }, 10000);
}
