/** Minimal DICOMweb (WADO-RS) client for the Scanroom backend: series metadata + uncompressed frames. */
import type { DicomJsonInstance } from './dicomJson';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly url: string,
  ) {
    super(`HTTP ${status} for ${url}`);
    this.name = 'HttpError';
  }
}

export function seriesUrl(root: string, studyUID: string, seriesUID: string): string {
  return `${root}/studies/${encodeURIComponent(studyUID)}/series/${encodeURIComponent(seriesUID)}`;
}

export function frameUrl(root: string, studyUID: string, seriesUID: string, sopUID: string, frame: number): string {
  return `${seriesUrl(root, studyUID, seriesUID)}/instances/${encodeURIComponent(sopUID)}/frames/${frame}`;
}

export async function fetchSeriesMetadata(root: string, studyUID: string, seriesUID: string): Promise<DicomJsonInstance[]> {
  const url = `${seriesUrl(root, studyUID, seriesUID)}/metadata`;
  const res = await fetch(url, {
    credentials: 'same-origin',
    headers: { Accept: 'application/dicom+json, application/json' },
  });
  if (!res.ok) throw new HttpError(res.status, url);
  const body: unknown = await res.json();
  if (!Array.isArray(body)) throw new Error(`Unexpected metadata response from ${url}`);
  return body as DicomJsonInstance[];
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  const last = haystack.length - needle.length;
  outer: for (let i = from; i <= last; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (haystack[i + j] !== needle[j]) continue outer;
    }
    return i;
  }
  return -1;
}

function lastIndexOf(haystack: Uint8Array, needle: Uint8Array): number {
  for (let i = haystack.length - needle.length; i >= 0; i--) {
    let match = true;
    for (let j = 0; j < needle.length; j++) {
      if (haystack[i + j] !== needle[j]) {
        match = false;
        break;
      }
    }
    if (match) return i;
  }
  return -1;
}

function boundaryFrom(contentType: string): string | null {
  const m = /boundary=(?:"([^"]+)"|([^;,\s]+))/i.exec(contentType);
  return m ? (m[1] ?? m[2] ?? null) : null;
}

/**
 * Extracts the first part of a multipart/related body. If the response is not multipart,
 * the body is returned unchanged. Returns a view on the same buffer (no copy).
 */
export function extractFirstPart(body: Uint8Array, contentType: string): Uint8Array {
  if (!/^multipart\//i.test(contentType.trim())) return body;
  const enc = new TextEncoder();
  let boundary = boundaryFrom(contentType);
  if (!boundary) {
    // Fall back to the first line of the body ("--boundary").
    const eol = indexOf(body, enc.encode('\r\n'));
    if (eol < 2) throw new Error('Malformed multipart response (no boundary)');
    boundary = new TextDecoder().decode(body.subarray(2, eol));
  }
  const delimiter = enc.encode(`--${boundary}`);
  const start = indexOf(body, delimiter);
  if (start < 0) throw new Error('Malformed multipart response (boundary not found)');
  const headersEnd = indexOf(body, enc.encode('\r\n\r\n'), start + delimiter.length);
  if (headersEnd < 0) throw new Error('Malformed multipart response (no part headers end)');
  const dataStart = headersEnd + 4;
  // Search the closing delimiter from the end: pixel data may contain anything.
  let dataEnd = lastIndexOf(body, enc.encode(`\r\n--${boundary}`));
  if (dataEnd < dataStart) dataEnd = body.length;
  // A second part would start with the same delimiter; the backend sends a single part.
  return body.subarray(dataStart, dataEnd);
}

export async function fetchFrame(url: string, signal?: AbortSignal): Promise<Uint8Array> {
  const res = await fetch(url, {
    credentials: 'same-origin',
    signal,
    headers: {
      Accept: 'multipart/related; type="application/octet-stream"; transfer-syntax=1.2.840.10008.1.2.1',
    },
  });
  if (!res.ok) throw new HttpError(res.status, url);
  const body = new Uint8Array(await res.arrayBuffer());
  return extractFirstPart(body, res.headers.get('Content-Type') ?? '');
}
