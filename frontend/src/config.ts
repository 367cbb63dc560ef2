/** Reads the mount contract (data-* attributes on the host element). */

export type CpuRenderingMode = 'auto' | 'true' | 'false';

export interface ViewerConfig {
  wadoRsRoot: string;
  studyUID: string;
  seriesUID: string;
  modality: string;
  annotationsUrl: string | null;
  cpuRendering: CpuRenderingMode;
}

/** Read at save time, so a token rotated by the page is honoured. */
export function currentCsrfToken(): string | null {
  return document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? null;
}

function normaliseCpuMode(value: string | null | undefined): CpuRenderingMode {
  const v = (value ?? '').trim().toLowerCase();
  if (v === 'true' || v === '1' || v === 'cpu') return 'true';
  if (v === 'false' || v === '0' || v === 'gpu') return 'false';
  return 'auto';
}

export function readConfig(host: HTMLElement, location: Location = window.location): ViewerConfig {
  const ds = host.dataset;
  const missing = (['wadorsRoot', 'studyUid', 'seriesUid'] as const).filter((k) => !ds[k]);
  if (missing.length) {
    throw new Error(`#scanroom-viewer is missing data attributes: ${missing.join(', ')}`);
  }
  // A ?cpu=1 / ?cpu=0 query parameter overrides the attribute (handy for debugging).
  const query = new URLSearchParams(location.search).get('cpu');
  return {
    wadoRsRoot: (ds.wadorsRoot ?? '').replace(/\/+$/, ''),
    studyUID: ds.studyUid ?? '',
    seriesUID: ds.seriesUid ?? '',
    modality: (ds.modality ?? '').toUpperCase(),
    annotationsUrl: ds.annotationsUrl || null,
    cpuRendering: normaliseCpuMode(query ?? ds.cpuRendering),
  };
}
