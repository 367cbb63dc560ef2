/** Converts raw native little-endian frame bytes into typed arrays (grayscale or RGB). */
import type { Types } from '@cornerstonejs/core';

export interface PixelFormat {
  rows: number;
  columns: number;
  bitsAllocated: number;
  bitsStored: number;
  pixelRepresentation: number;
  samplesPerPixel: number;
  photometricInterpretation: string;
}

type Gray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array;

function aligned(bytes: Uint8Array, bytesPerSample: number): ArrayBuffer {
  // Typed-array views need an aligned offset, and the multipart part is a sub-view: copy.
  const copy = new Uint8Array(bytes.byteLength - (bytes.byteLength % bytesPerSample));
  copy.set(bytes.subarray(0, copy.byteLength));
  return copy.buffer;
}

/** Reads stored grayscale values, masking/sign-extending when BitsStored < BitsAllocated. */
export function readGrayscale(bytes: Uint8Array, f: PixelFormat): Gray {
  const n = f.rows * f.columns;
  const signed = f.pixelRepresentation === 1;
  let out: Gray;
  switch (f.bitsAllocated) {
    case 8:
      out = signed ? new Int8Array(aligned(bytes, 1), 0, n) : new Uint8Array(aligned(bytes, 1), 0, n);
      break;
    case 16:
      out = signed ? new Int16Array(aligned(bytes, 2), 0, n) : new Uint16Array(aligned(bytes, 2), 0, n);
      break;
    case 32:
      out = signed ? new Int32Array(aligned(bytes, 4), 0, n) : new Uint32Array(aligned(bytes, 4), 0, n);
      break;
    default:
      throw new Error(`Unsupported BitsAllocated ${f.bitsAllocated}`);
  }
  if (bytes.byteLength < n * (f.bitsAllocated / 8)) {
    throw new Error(`Frame too short: ${bytes.byteLength} bytes for ${f.columns}x${f.rows}x${f.bitsAllocated}bit`);
  }
  const stored = f.bitsStored;
  if (stored > 0 && stored < f.bitsAllocated && f.bitsAllocated <= 16) {
    if (signed) {
      const shift = 32 - stored;
      for (let i = 0; i < n; i++) out[i] = (out[i]! << shift) >> shift;
    } else {
      const mask = (1 << stored) - 1;
      for (let i = 0; i < n; i++) out[i] = out[i]! & mask;
    }
  }
  return out;
}

/** Returns interleaved 8-bit RGB. Handles RGB and YBR_FULL; 16-bit samples are scaled down. */
export function readColor(bytes: Uint8Array, f: PixelFormat): Uint8Array {
  const n = f.rows * f.columns * 3;
  let rgb: Uint8Array;
  if (f.bitsAllocated === 8) {
    if (bytes.byteLength < n) throw new Error('Colour frame too short');
    rgb = new Uint8Array(n);
    rgb.set(bytes.subarray(0, n));
  } else if (f.bitsAllocated === 16) {
    const src = new Uint16Array(aligned(bytes, 2), 0, n);
    const shift = Math.max(0, (f.bitsStored || 16) - 8);
    rgb = new Uint8Array(n);
    for (let i = 0; i < n; i++) rgb[i] = src[i]! >> shift;
  } else {
    throw new Error(`Unsupported colour BitsAllocated ${f.bitsAllocated}`);
  }
  if (f.photometricInterpretation === 'YBR_FULL') {
    for (let i = 0; i < n; i += 3) {
      const y = rgb[i]!;
      const cb = rgb[i + 1]! - 128;
      const cr = rgb[i + 2]! - 128;
      rgb[i] = clamp8(y + 1.402 * cr);
      rgb[i + 1] = clamp8(y - 0.344136 * cb - 0.714136 * cr);
      rgb[i + 2] = clamp8(y + 1.772 * cb);
    }
  }
  return rgb;
}

function clamp8(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}

export function minMax(data: ArrayLike<number>): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!Number.isFinite(min)) return { min: 0, max: 0 };
  return { min, max };
}

export interface Rescaled {
  data: Types.PixelDataTypedArray;
  min: number;
  max: number;
}

/** Output range of the modality LUT over the stored values. */
export function rescaledRange(src: ArrayLike<number>, slope: number, intercept: number): { min: number; max: number } {
  const raw = minMax(src);
  const a = slope * raw.min + intercept;
  const b = slope * raw.max + intercept;
  return { min: Math.min(a, b), max: Math.max(a, b) };
}

/**
 * Applies the modality LUT (slope/intercept) up front ("pre-scaling"), so that pixel values,
 * window/level and ROI statistics are in output units (HU for CT).
 * mode "integer": values are rounded and stored in the smallest integer array that fits
 * (exact for integral slope/intercept); mode "float": Float32Array.
 */
export function applyRescale(src: ArrayLike<number>, slope: number, intercept: number, mode: 'integer' | 'float'): Rescaled {
  let { min, max } = rescaledRange(src, slope, intercept);
  let out: Types.PixelDataTypedArray;
  if (mode === 'float') out = new Float32Array(src.length);
  else {
    min = Math.round(min);
    max = Math.round(max);
    if (min >= -32768 && max <= 32767) out = new Int16Array(src.length);
    else if (min >= 0 && max <= 65535) out = new Uint16Array(src.length);
    else out = new Int32Array(src.length);
  }
  if (mode === 'float') for (let i = 0; i < src.length; i++) out[i] = src[i]! * slope + intercept;
  else for (let i = 0; i < src.length; i++) out[i] = Math.round(src[i]! * slope + intercept);
  return { data: out, min, max };
}
