/**
 * Entry point (built to static/viewer/viewer.js). Mounts into #scanroom-viewer and exposes
 * window.scanroomViewer for the host application.
 */
import './viewer.css';
import type { SaveResult, SerializedAnnotation } from './annotations';
import { readConfig } from './config';
import type { Region } from './regions';
import { type VOI, Viewer } from './viewer';

export interface ScanroomViewerApi {
  /** Resolves once the first image has been rendered (rejects if mounting failed). */
  ready: Promise<void>;
  element: HTMLElement;
  getAnnotations(): SerializedAnnotation[];
  getVOI(): VOI;
  setVOI(windowWidth: number, windowCenter: number): void;
  /** Preset id or label, e.g. "lung", "Mediastinum", "default", "auto". Returns false if unknown. */
  setPreset(name: string): boolean;
  getPresets(): { id: string; label: string; windowWidth?: number; windowCenter?: number }[];
  setTool(id: string): boolean;
  getImageIndex(): number;
  getImageCount(): number;
  setImageIndex(index: number): Promise<void>;
  getZoom(): number;
  invert(): void;
  reset(): void;
  saveAnnotations(): Promise<SaveResult>;
  isCpuRendering(): boolean;
  /** Circles over the image (reading room): truth after submission, scored marks, AI candidates. */
  setRegions(regions: Region[]): void;
  getRegions(): Region[];
}

declare global {
  interface Window {
    scanroomViewer?: ScanroomViewerApi;
  }
}

function showError(host: HTMLElement, err: unknown): void {
  const msg = err instanceof Error ? err.message : String(err);
  const box = document.createElement('div');
  box.className = 'sr-error';
  box.setAttribute('role', 'alert');
  box.textContent = `The image viewer could not load: ${msg}`;
  host.appendChild(box);
  host.dataset.ready = 'error';
}

function start(): void {
  const host = document.getElementById('scanroom-viewer');
  let viewer: Viewer | null = null;
  const need = (): Viewer => {
    if (!viewer) throw new Error('scanroomViewer is not ready');
    return viewer;
  };

  const ready = (async () => {
    if (!host) throw new Error('No #scanroom-viewer element on the page');
    viewer = new Viewer(host, readConfig(host));
    await viewer.mount();
  })();
  ready.catch((err: unknown) => {
    console.error('[scanroom viewer]', err);
    if (host) showError(host, err);
  });

  window.scanroomViewer = {
    ready,
    element: host ?? document.body,
    getAnnotations: () => need().getAnnotations(),
    getVOI: () => need().getVOI(),
    setVOI: (ww, wc) => need().setVOI(ww, wc),
    setPreset: (name) => need().setPreset(name),
    getPresets: () => need().getPresets(),
    setTool: (id) => need().setTool(id),
    getImageIndex: () => need().getImageIndex(),
    getImageCount: () => need().getImageCount(),
    setImageIndex: (i) => need().setImageIndex(i),
    getZoom: () => need().getZoom(),
    invert: () => need().toggleInvert(),
    reset: () => need().reset(),
    saveAnnotations: () => need().save(),
    isCpuRendering: () => need().host.dataset.renderer === 'cpu',
    setRegions: (regions) => need().setRegions(regions),
    getRegions: () => need().getRegions(),
  };
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', start, { once: true });
} else {
  start();
}
