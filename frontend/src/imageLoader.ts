/**
 * Cornerstone image loader for the `scanroom:` scheme.
 * imageId = "scanroom:" + frame URL; pixel data comes uncompressed from the WADO-RS frames endpoint.
 */
import { Enums, imageLoader, utilities, type Types } from '@cornerstonejs/core';
import { Tag, num, str } from './dicomJson';
import { getFrameRef, isColorPhotometric, pixelSpacingOf, rescaleOf, voiFromDicom } from './metadataProvider';
import { type PixelFormat, applyRescale, minMax, readColor, readGrayscale, rescaledRange } from './pixelData';
import { fetchFrame } from './wadoClient';

export const SCHEME = 'scanroom';

export function imageIdForUrl(url: string): string {
  return `${SCHEME}:${url}`;
}

let gpuPrescaling = false;

/** GPU path: pre-scale non-integer rescales as Float32 (the CPU path needs integer pixel values). */
export function setGpuPrescaling(enabled: boolean): void {
  gpuPrescaling = enabled;
}

function colorCanvasFactory(rgb: Uint8Array, width: number, height: number): () => HTMLCanvasElement {
  let canvas: HTMLCanvasElement | null = null;
  return () => {
    if (canvas) return canvas;
    canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext('2d');
    if (ctx) {
      const img = ctx.createImageData(width, height);
      for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
        img.data[j] = rgb[i]!;
        img.data[j + 1] = rgb[i + 1]!;
        img.data[j + 2] = rgb[i + 2]!;
        img.data[j + 3] = 255;
      }
      ctx.putImageData(img, 0, 0);
    }
    return canvas;
  };
}

export async function createImage(imageId: string, signal?: AbortSignal): Promise<Types.IImage> {
  const ref = getFrameRef(imageId);
  if (!ref) throw new Error(`Unknown imageId ${imageId}`);
  const inst = ref.instance;
  const start = performance.now();
  const bytes = await fetchFrame(ref.url, signal);
  const loaded = performance.now();

  const fmt: PixelFormat = {
    rows: num(inst, Tag.Rows) ?? 0,
    columns: num(inst, Tag.Columns) ?? 0,
    bitsAllocated: num(inst, Tag.BitsAllocated) ?? 16,
    bitsStored: num(inst, Tag.BitsStored) ?? num(inst, Tag.BitsAllocated) ?? 16,
    pixelRepresentation: num(inst, Tag.PixelRepresentation) ?? 0,
    samplesPerPixel: num(inst, Tag.SamplesPerPixel) ?? 1,
    photometricInterpretation: str(inst, Tag.PhotometricInterpretation) ?? 'MONOCHROME2',
  };
  const { rows, columns } = fmt;
  if (!rows || !columns) throw new Error(`Missing Rows/Columns for ${imageId}`);
  const color = fmt.samplesPerPixel === 3 || isColorPhotometric(fmt.photometricInterpretation);
  const modality = str(inst, Tag.Modality) ?? 'OT';
  const spacing = pixelSpacingOf(inst);

  let scalarData: Types.PixelDataTypedArray;
  let minValue: number;
  let maxValue: number;
  let slope = 1;
  let intercept = 0;
  let preScale: Types.IImage['preScale'] = { enabled: false, scaled: false };
  let windowCenter: number;
  let windowWidth: number;
  let getCanvas: (() => HTMLCanvasElement) | undefined;

  if (color) {
    const rgb = readColor(bytes, fmt);
    scalarData = rgb;
    minValue = 0;
    maxValue = 255;
    // By DICOM convention 256/128 is the identity window for 8-bit colour.
    windowWidth = 256;
    windowCenter = 128;
    getCanvas = colorCanvasFactory(rgb, columns, rows);
  } else {
    const stored = readGrayscale(bytes, fmt);
    const r = rescaleOf(inst);
    const needsRescale = r.present && (r.slope !== 1 || r.intercept !== 0);
    const integral = Number.isInteger(r.slope) && Number.isInteger(r.intercept);
    // Pre-scale when it is exact (integral rescale), on the GPU path (float textures), or when
    // rounding to integers loses nothing meaningful (output range of at least 256 values, e.g. CT/MR).
    // Small-range non-integer rescales (e.g. PET-like float maps) stay as a modality LUT on the CPU path.
    let mode: 'integer' | 'float' | null = null;
    if (needsRescale) {
      if (integral) mode = 'integer';
      else if (gpuPrescaling) mode = 'float';
      else {
        const range = rescaledRange(stored, r.slope, r.intercept);
        mode = range.max - range.min >= 256 ? 'integer' : null;
      }
    }
    if (mode) {
      const res = applyRescale(stored, r.slope, r.intercept, mode);
      scalarData = res.data;
      minValue = res.min;
      maxValue = res.max;
      slope = r.slope;
      intercept = r.intercept;
      preScale = {
        enabled: true,
        scaled: true,
        scalingParameters: { modality, rescaleSlope: r.slope, rescaleIntercept: r.intercept },
      };
    } else {
      scalarData = stored as Types.PixelDataTypedArray;
      const mm = minMax(stored);
      minValue = mm.min;
      maxValue = mm.max;
      // Not pre-scaled: the CPU renderer applies slope/intercept as a modality LUT.
      slope = r.slope;
      intercept = r.intercept;
    }
    const voi = voiFromDicom(inst);
    const wc = voi.windowCenter[0];
    const ww = voi.windowWidth[0];
    if (wc !== undefined && ww !== undefined && ww > 0) {
      windowCenter = wc;
      windowWidth = ww;
    } else {
      // Auto: full dynamic range in output units.
      const lo = preScale.scaled ? minValue : minValue * slope + intercept;
      const hi = preScale.scaled ? maxValue : maxValue * slope + intercept;
      windowWidth = Math.max(1, Math.abs(hi - lo));
      windowCenter = (hi + lo) / 2;
    }
  }

  const numberOfComponents = color ? 3 : 1;
  const voxelManager = utilities.VoxelManager.createImageVoxelManager({
    width: columns,
    height: rows,
    scalarData,
    numberOfComponents,
  });

  const image: Types.IImage = {
    imageId,
    minPixelValue: minValue,
    maxPixelValue: maxValue,
    slope,
    intercept,
    windowCenter,
    windowWidth,
    voiLUTFunction: Enums.VOILUTFunctionType.LINEAR,
    getPixelData: () => voxelManager.getScalarData() as Types.PixelDataTypedArray,
    // Only colour images provide a canvas (fast CPU path for the identity window).
    getCanvas: getCanvas as () => HTMLCanvasElement,
    rows,
    columns,
    height: rows,
    width: columns,
    color,
    rgba: false,
    numberOfComponents,
    columnPixelSpacing: spacing.column,
    rowPixelSpacing: spacing.row,
    invert: fmt.photometricInterpretation === 'MONOCHROME1',
    photometricInterpretation: color ? 'RGB' : fmt.photometricInterpretation,
    sizeInBytes: scalarData.byteLength,
    preScale,
    isPreScaled: !!preScale.scaled,
    dataType: scalarData.constructor.name as Types.PixelDataTypedArrayString,
    voxelManager,
    loadTimeInMS: loaded - start,
    decodeTimeInMS: performance.now() - loaded,
  };
  if (spacing.source === 'ImagerPixelSpacing') {
    // Projection radiograph: distances are measured at the detector plane.
    image.calibration = { type: Enums.CalibrationTypes.PROJECTION };
  }
  return image;
}

export function registerScanroomImageLoader(): void {
  imageLoader.registerImageLoader(SCHEME, (imageId: string) => {
    const controller = new AbortController();
    return {
      promise: createImage(imageId, controller.signal),
      cancelFn: () => controller.abort(),
    };
  });
}
