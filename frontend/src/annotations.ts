/** Serialising Cornerstone annotations for the app, change notifications, saving and restoring. */
import { eventTarget, utilities as csUtils, type Types } from '@cornerstonejs/core';
import { Enums as ToolsEnums, annotation as csAnnotation, type Types as ToolTypes } from '@cornerstonejs/tools';
import { getFrameRef } from './metadataProvider';
import { imageToPatient, imageToWorld, planeNormal, planeUp, worldToImage } from './geometry';
import { ANNOTATION_TOOL_NAMES } from './tools';

export interface SerializedAnnotation {
  uid: string;
  tool: string;
  sopInstanceUID: string;
  /** 1-based frame number within the instance (multi-frame). */
  frame: number;
  imageIndex: number;
  points_image: [number, number][];
  points_world: [number, number, number][];
  label?: string;
  stats?: Record<string, number | string>;
}

const STAT_KEYS = ['length', 'width', 'angle', 'area', 'mean', 'stdDev', 'min', 'max', 'perimeter', 'radius'] as const;
const UNIT_KEYS = ['unit', 'areaUnit', 'modalityUnit', 'lengthUnits', 'radiusUnit', 'Modality'] as const;

const round = (v: number, digits = 3): number => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};

function pickStats(cached: unknown): Record<string, number | string> | undefined {
  if (!cached || typeof cached !== 'object') return undefined;
  const first = Object.values(cached as Record<string, unknown>)[0];
  if (!first || typeof first !== 'object') return undefined;
  const src = first as Record<string, unknown>;
  const out: Record<string, number | string> = {};
  for (const k of STAT_KEYS) {
    const v = src[k];
    if (typeof v === 'number' && Number.isFinite(v)) out[k] = round(v);
  }
  for (const k of UNIT_KEYS) {
    const v = src[k];
    if (typeof v === 'string' && v) out[k] = v;
  }
  return Object.keys(out).length ? out : undefined;
}

export function serializeAnnotation(a: ToolTypes.Annotation, cpu: boolean): SerializedAnnotation | null {
  const toolName = a.metadata?.toolName;
  const imageId = a.metadata?.referencedImageId;
  if (!toolName || !ANNOTATION_TOOL_NAMES.has(toolName) || !imageId) return null;
  const ref = getFrameRef(imageId);
  if (!ref) return null;
  const points = a.data.handles?.points ?? [];
  const pointsImage = points.map((p) => worldToImage(imageId, p, cpu).map((v) => round(v)) as [number, number]);
  const text = typeof a.data.label === 'string' && a.data.label ? a.data.label : a.data.text;
  const out: SerializedAnnotation = {
    uid: a.annotationUID ?? '',
    tool: toolName,
    sopInstanceUID: String(ref.instance['00080018']?.Value?.[0] ?? ''),
    frame: ref.frame,
    imageIndex: ref.stackIndex,
    points_image: pointsImage,
    points_world: pointsImage.map((p) => imageToPatient(imageId, p).map((v) => round(v)) as [number, number, number]),
  };
  if (typeof text === 'string' && text) out.label = text;
  const stats = pickStats(a.data.cachedStats);
  if (stats) out.stats = stats;
  return out;
}

export function getAllSerialized(imageIds: Set<string>, cpu: boolean): SerializedAnnotation[] {
  const all = csAnnotation.state.getAllAnnotations();
  const out: SerializedAnnotation[] = [];
  for (const a of all) {
    const id = a.metadata?.referencedImageId;
    if (!id || !imageIds.has(id)) continue;
    const s = serializeAnnotation(a, cpu);
    if (s) out.push(s);
  }
  out.sort((x, y) => x.imageIndex - y.imageIndex);
  return out;
}

/** Calls `onChange` (coalesced) whenever annotations are added, edited or removed. */
export function watchAnnotations(onChange: () => void): () => void {
  let timer: number | undefined;
  const schedule = (): void => {
    if (timer !== undefined) return;
    timer = window.setTimeout(() => {
      timer = undefined;
      onChange();
    }, 30);
  };
  const events = [
    ToolsEnums.Events.ANNOTATION_ADDED,
    ToolsEnums.Events.ANNOTATION_COMPLETED,
    ToolsEnums.Events.ANNOTATION_MODIFIED,
    ToolsEnums.Events.ANNOTATION_REMOVED,
  ];
  for (const e of events) eventTarget.addEventListener(e, schedule);
  return () => {
    for (const e of events) eventTarget.removeEventListener(e, schedule);
  };
}

export interface RestoreTarget {
  element: HTMLDivElement;
  cpu: boolean;
  /** Maps (sopInstanceUID, frame) to the imageId in this stack. */
  findImageId(sopInstanceUID: string, frame: number, imageIndex: number): string | undefined;
  frameOfReferenceUID(imageId: string): string | undefined;
}

/** Re-creates annotations previously saved with serializeAnnotation. Returns how many were restored. */
export function restoreAnnotations(list: unknown, target: RestoreTarget): number {
  if (!Array.isArray(list)) return 0;
  let n = 0;
  for (const raw of list) {
    if (!raw || typeof raw !== 'object') continue;
    const s = raw as Partial<SerializedAnnotation>;
    if (!s.tool || !ANNOTATION_TOOL_NAMES.has(s.tool) || !Array.isArray(s.points_image)) continue;
    const imageId = target.findImageId(String(s.sopInstanceUID ?? ''), Number(s.frame ?? 1), Number(s.imageIndex ?? -1));
    if (!imageId) continue;
    const points = s.points_image.map((p) => imageToWorld(imageId, p, target.cpu));
    const data: ToolTypes.AnnotationData = {
      handles: {
        points,
        activeHandleIndex: null,
        textBox: {
          hasMoved: false,
          worldPosition: [0, 0, 0] as Types.Point3,
          worldBoundingBox: {
            topLeft: [0, 0, 0] as Types.Point3,
            topRight: [0, 0, 0] as Types.Point3,
            bottomLeft: [0, 0, 0] as Types.Point3,
            bottomRight: [0, 0, 0] as Types.Point3,
          },
        },
      },
      label: typeof s.label === 'string' ? s.label : '',
      cachedStats: {},
    };
    const ann: ToolTypes.Annotation = {
      annotationUID: typeof s.uid === 'string' && s.uid ? s.uid : csUtils.uuidv4(),
      highlighted: false,
      invalidated: true,
      isLocked: false,
      isVisible: true,
      metadata: {
        toolName: s.tool,
        referencedImageId: imageId,
        FrameOfReferenceUID: target.frameOfReferenceUID(imageId) ?? '',
        viewPlaneNormal: planeNormal(imageId),
        viewUp: planeUp(imageId),
      },
      data,
    };
    csAnnotation.state.addAnnotation(ann, target.element);
    n++;
  }
  return n;
}

export type SaveResult = { ok: true; status: number } | { ok: false; status: number; message: string };

export async function saveAnnotations(
  url: string,
  csrfToken: string | null,
  annotations: SerializedAnnotation[],
): Promise<SaveResult> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json' };
  if (csrfToken) headers['X-CSRF-Token'] = csrfToken;
  try {
    const res = await fetch(url, {
      method: 'PUT',
      credentials: 'same-origin',
      headers,
      body: JSON.stringify({ annotations }),
    });
    if (res.ok) return { ok: true, status: res.status };
    return { ok: false, status: res.status, message: `HTTP ${res.status}` };
  } catch (e) {
    return { ok: false, status: 0, message: e instanceof Error ? e.message : String(e) };
  }
}

export async function loadSavedAnnotations(url: string): Promise<unknown[] | null> {
  try {
    const res = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    if (!res.ok) return null;
    const body: unknown = await res.json();
    if (body && typeof body === 'object' && Array.isArray((body as { annotations?: unknown }).annotations)) {
      return (body as { annotations: unknown[] }).annotations;
    }
    return Array.isArray(body) ? body : null;
  } catch {
    return null;
  }
}
