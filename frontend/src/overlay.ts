/** Text overlay in the viewport corners: W/L, image index, zoom, pixel value under the cursor. */

export interface OverlayState {
  modality: string;
  description?: string;
  imageIndex: number;
  imageCount: number;
  windowWidth?: number;
  windowCenter?: number;
  zoom?: number;
  inverted?: boolean;
  renderer: 'CPU' | 'GPU';
  isColor: boolean;
}

function fmt(v: number | undefined, digits = 0): string {
  return v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits);
}

export class Overlay {
  readonly root: HTMLDivElement;
  private readonly tl: HTMLDivElement;
  private readonly tr: HTMLDivElement;
  private readonly bl: HTMLDivElement;
  private readonly br: HTMLDivElement;

  constructor() {
    this.root = document.createElement('div');
    this.root.className = 'sr-overlay';
    this.root.setAttribute('aria-hidden', 'false');
    const mk = (cls: string): HTMLDivElement => {
      const d = document.createElement('div');
      d.className = `sr-corner ${cls}`;
      this.root.appendChild(d);
      return d;
    };
    this.tl = mk('sr-tl');
    this.tr = mk('sr-tr');
    this.bl = mk('sr-bl');
    this.br = mk('sr-br');
    this.bl.setAttribute('aria-live', 'polite');
  }

  update(s: OverlayState): void {
    this.tl.textContent = [s.modality, s.description].filter(Boolean).join(' · ');
    this.bl.textContent = `Image ${s.imageIndex + 1} / ${s.imageCount}`;
    this.bl.dataset.imageIndex = String(s.imageIndex);
    const lines: string[] = [];
    if (!s.isColor) lines.push(`W ${fmt(s.windowWidth)}  L ${fmt(s.windowCenter)}`);
    lines.push(`Zoom ${fmt(s.zoom, 2)}×${s.inverted ? '  · inverted' : ''}`);
    lines.push(s.renderer);
    this.br.textContent = lines.join('\n');
    this.br.dataset.ww = fmt(s.windowWidth, 3);
    this.br.dataset.wc = fmt(s.windowCenter, 3);
  }

  setProbe(text: string): void {
    this.tr.textContent = text;
  }
}
