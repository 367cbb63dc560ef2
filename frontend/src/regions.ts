/**
 * Circles drawn over the image for the reading room: the truth shown after submission (hit / missed lesions),
 * the reader's own marks scored (false positives), and the AI second reader's candidates. Regions are given in
 * image pixel coordinates [col, row] (centre convention, like exported annotations) with a radius in pixels and
 * a 0-based frame with an extent; they are redrawn whenever the camera or the image changes.
 */
import type { Types } from '@cornerstonejs/core';
import { imageToWorld } from './geometry';

export type RegionKind = 'hit' | 'missed' | 'false-positive' | 'ai' | 'truth';

export interface Region {
  x: number;
  y: number;
  radius: number;
  frame?: number;
  frameExtent?: number;
  kind: RegionKind;
  label?: string;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export class RegionLayer {
  readonly root: SVGSVGElement;
  private regions: Region[] = [];

  constructor() {
    this.root = document.createElementNS(SVG_NS, 'svg');
    this.root.classList.add('sr-regions');
    this.root.setAttribute('aria-hidden', 'true');
  }

  set(regions: Region[]): void {
    this.regions = regions.filter((r) => Number.isFinite(r.x) && Number.isFinite(r.y) && r.radius > 0);
  }

  get(): Region[] {
    return this.regions.slice();
  }

  /** Redraw for the current image of ``viewport`` (``imageIds`` indexed like the stack). */
  draw(viewport: Types.IStackViewport | null, imageIds: string[], cpu: boolean): void {
    this.root.replaceChildren();
    if (!viewport || !this.regions.length) return;
    const index = viewport.getCurrentImageIdIndex();
    const imageId = imageIds[index];
    if (!imageId) return;
    for (const r of this.regions) {
      const frame = r.frame ?? 0;
      if (Math.abs(index - frame) > (r.frameExtent ?? 0)) continue;
      const centre = viewport.worldToCanvas(imageToWorld(imageId, [r.x, r.y], cpu));
      const edge = viewport.worldToCanvas(imageToWorld(imageId, [r.x + r.radius, r.y], cpu));
      const radius = Math.hypot(edge[0] - centre[0], edge[1] - centre[1]);
      const circle = document.createElementNS(SVG_NS, 'circle');
      circle.setAttribute('cx', centre[0].toFixed(1));
      circle.setAttribute('cy', centre[1].toFixed(1));
      circle.setAttribute('r', Math.max(radius, 4).toFixed(1));
      circle.setAttribute('class', `sr-region sr-region-${r.kind}`);
      this.root.appendChild(circle);
      if (r.label) {
        const text = document.createElementNS(SVG_NS, 'text');
        text.setAttribute('x', (centre[0] + Math.max(radius, 4) + 3).toFixed(1));
        text.setAttribute('y', (centre[1] - Math.max(radius, 4)).toFixed(1));
        text.setAttribute('class', `sr-region-label sr-region-${r.kind}`);
        text.textContent = r.label;
        this.root.appendChild(text);
      }
    }
  }
}
