/** Tiny accessors for DICOM JSON (PS3.18 F.2) instance objects. */

export interface DicomJsonElement {
  vr: string;
  Value?: unknown[];
  InlineBinary?: string;
  BulkDataURI?: string;
}
export type DicomJsonInstance = Record<string, DicomJsonElement>;

export const Tag = {
  SOPClassUID: '00080016',
  SOPInstanceUID: '00080018',
  StudyInstanceUID: '0020000D',
  SeriesInstanceUID: '0020000E',
  Modality: '00080060',
  SeriesNumber: '00200011',
  SeriesDescription: '0008103E',
  InstanceNumber: '00200013',
  FrameOfReferenceUID: '00200052',
  Rows: '00280010',
  Columns: '00280011',
  BitsAllocated: '00280100',
  BitsStored: '00280101',
  HighBit: '00280102',
  PixelRepresentation: '00280103',
  SamplesPerPixel: '00280002',
  PlanarConfiguration: '00280006',
  PhotometricInterpretation: '00280004',
  NumberOfFrames: '00280008',
  PixelSpacing: '00280030',
  ImagerPixelSpacing: '00181164',
  ImagePositionPatient: '00200032',
  ImageOrientationPatient: '00200037',
  SliceThickness: '00180050',
  SliceLocation: '00201041',
  SpacingBetweenSlices: '00180088',
  RescaleSlope: '00281053',
  RescaleIntercept: '00281052',
  RescaleType: '00281054',
  WindowCenter: '00281050',
  WindowWidth: '00281051',
  VOILUTFunction: '00281056',
  TransferSyntaxUID: '00020010',
  PatientName: '00100010',
} as const;

function element(inst: DicomJsonInstance, tag: string): DicomJsonElement | undefined {
  return inst[tag] ?? inst[tag.toLowerCase()];
}

export function values(inst: DicomJsonInstance, tag: string): unknown[] {
  const v = element(inst, tag)?.Value;
  return Array.isArray(v) ? v : [];
}

export function str(inst: DicomJsonInstance, tag: string): string | undefined {
  const v = values(inst, tag)[0];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'object' && v !== null && 'Alphabetic' in v) {
    return String((v as { Alphabetic: unknown }).Alphabetic);
  }
  return String(v);
}

function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

export function num(inst: DicomJsonInstance, tag: string): number | undefined {
  return toNumber(values(inst, tag)[0]);
}

/** All numeric values; handles multi-valued DS given either as array or as a single "a\\b" string. */
export function nums(inst: DicomJsonInstance, tag: string): number[] {
  const out: number[] = [];
  for (const v of values(inst, tag)) {
    if (typeof v === 'string' && v.includes('\\')) {
      for (const part of v.split('\\')) {
        const n = toNumber(part);
        if (n !== undefined) out.push(n);
      }
    } else {
      const n = toNumber(v);
      if (n !== undefined) out.push(n);
    }
  }
  return out;
}
