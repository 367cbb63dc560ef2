/**
 * Conversions between Cornerstone's internal world coordinates and exported coordinates.
 *
 * Exported `points_image` are continuous pixel coordinates [col, row] with [0, 0] at the CENTRE of the
 * top-left pixel (Math.round gives the array index). Exported `points_world` are DICOM patient
 * coordinates in mm: IPP + col*colSpacing*rowCosines + row*rowSpacing*columnCosines (identity plane and
 * 1 mm or ImagerPixelSpacing when the instance has no geometry).
 *
 * Cornerstone's GPU path puts pixel centres at origin + i*spacing, its CPU path puts pixel corners
 * there; `cpu` compensates for that half-pixel difference.
 */
import { metaData, type Types } from '@cornerstonejs/core';

interface Plane {
  origin: Types.Point3;
  rowCos: Types.Point3;
  colCos: Types.Point3;
  dx: number; // spacing between columns (horizontal)
  dy: number; // spacing between rows (vertical)
}

function planeOf(imageId: string): Plane {
  const p = metaData.get('imagePlaneModule', imageId) as
    | {
        imagePositionPatient?: Types.Point3;
        rowCosines?: Types.Point3;
        columnCosines?: Types.Point3;
        columnPixelSpacing?: number;
        rowPixelSpacing?: number;
      }
    | undefined;
  return {
    origin: p?.imagePositionPatient ?? [0, 0, 0],
    rowCos: p?.rowCosines ?? [1, 0, 0],
    colCos: p?.columnCosines ?? [0, 1, 0],
    dx: p?.columnPixelSpacing || 1,
    dy: p?.rowPixelSpacing || 1,
  };
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;

export function worldToImage(imageId: string, world: ArrayLike<number>, cpu: boolean): [number, number] {
  const p = planeOf(imageId);
  const d: Types.Point3 = [world[0]! - p.origin[0], world[1]! - p.origin[1], world[2]! - p.origin[2]];
  const shift = cpu ? 0.5 : 0;
  return [dot(d, p.rowCos) / p.dx - shift, dot(d, p.colCos) / p.dy - shift];
}

/** Image [col,row] (centre convention) to Cornerstone world for the given rendering path. */
export function imageToWorld(imageId: string, image: ArrayLike<number>, cpu: boolean): Types.Point3 {
  const p = planeOf(imageId);
  const shift = cpu ? 0.5 : 0;
  const c = (image[0]! + shift) * p.dx;
  const r = (image[1]! + shift) * p.dy;
  return [
    p.origin[0] + c * p.rowCos[0] + r * p.colCos[0],
    p.origin[1] + c * p.rowCos[1] + r * p.colCos[1],
    p.origin[2] + c * p.rowCos[2] + r * p.colCos[2],
  ];
}

/** Image [col,row] (centre convention) to DICOM patient coordinates. */
export function imageToPatient(imageId: string, image: ArrayLike<number>): Types.Point3 {
  return imageToWorld(imageId, image, false);
}

export function planeNormal(imageId: string): Types.Point3 {
  const { rowCos: a, colCos: b } = planeOf(imageId);
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

export function planeUp(imageId: string): Types.Point3 {
  const { colCos } = planeOf(imageId);
  return [-colCos[0], -colCos[1], -colCos[2]];
}
