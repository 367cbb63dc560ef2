/** The stack viewer: DOM, Cornerstone rendering engine, tools, presets, overlay and the app API. */
import {
  Enums,
  RenderingEngine,
  init as initCore,
  isCornerstoneInitialized,
  metaData,
  setUseCPURendering,
  utilities,
  type Types,
} from '@cornerstonejs/core';
import { annotation as csAnnotation, cancelActiveManipulations } from '@cornerstonejs/tools';
import {
  type SaveResult,
  type SerializedAnnotation,
  getAllSerialized,
  loadSavedAnnotations,
  restoreAnnotations,
  saveAnnotations,
  watchAnnotations,
} from './annotations';
import { type ViewerConfig, currentCsrfToken } from './config';
import { type DicomJsonInstance, Tag, num, str } from './dicomJson';
import { imageToWorld, worldToImage } from './geometry';
import { imageIdForUrl, registerScanroomImageLoader, setGpuPrescaling } from './imageLoader';
import { type FrameRef, installMetadataProvider, isColorPhotometric, registerFrame } from './metadataProvider';
import { Overlay } from './overlay';
import { type WindowPreset, findPreset, presetsFor } from './presets';
import { type Region, RegionLayer } from './regions';
import { hasWebGL2, shouldUseCpu } from './renderingMode';
import { PRIMARY_TOOLS, type PrimaryToolId, ViewerTools, ensureToolsRegistered } from './tools';
import { Toolbar, type ToolbarButton } from './toolbar';
import { fetchSeriesMetadata, frameUrl } from './wadoClient';

export interface VOI {
  windowWidth: number;
  windowCenter: number;
}

let instanceCounter = 0;

function sortByInstanceNumber(instances: DicomJsonInstance[]): DicomJsonInstance[] {
  return instances
    .map((inst, i) => ({ inst, i, n: num(inst, Tag.InstanceNumber) }))
    .sort((a, b) => (a.n ?? Infinity) - (b.n ?? Infinity) || a.i - b.i)
    .map((x) => x.inst);
}

export class Viewer {
  readonly host: HTMLElement;
  readonly config: ViewerConfig;
  readonly toolbar: Toolbar;
  readonly overlay: Overlay;
  readonly regions = new RegionLayer();
  readonly viewportElement: HTMLDivElement;
  private readonly frame: HTMLDivElement;
  private readonly id = ++instanceCounter;
  private engine: RenderingEngine | null = null;
  private viewport: Types.IStackViewport | null = null;
  private tools: ViewerTools | null = null;
  private imageIds: string[] = [];
  private imageIdSet = new Set<string>();
  private refs: FrameRef[] = [];
  private presets: WindowPreset[] = [];
  private cpu = true;
  private isColor = false;
  private naturalInvert = false;
  private userInvert = false;
  private presetVoi: { id: string; voi: VOI } | null = null;
  private cleanup: (() => void)[] = [];

  constructor(host: HTMLElement, config: ViewerConfig) {
    this.host = host;
    this.config = config;
    host.classList.add('sr-viewer');
    host.replaceChildren();

    this.toolbar = new Toolbar([
      {
        label: 'Mouse tools',
        buttons: PRIMARY_TOOLS.map<ToolbarButton>((t) => ({
          id: `tool-${t.id}`,
          text: TOOL_TEXT[t.id],
          label: t.label,
          shortcut: t.shortcut,
          pressable: true,
          onActivate: () => this.setTool(t.id),
        })),
      },
      {
        label: 'View',
        buttons: [
          { id: 'invert', text: 'Invert', label: 'Invert', shortcut: 'i', pressable: true, onActivate: () => this.toggleInvert() },
          { id: 'reset', text: 'Reset', label: 'Reset view', shortcut: 'h', onActivate: () => this.reset() },
          { id: 'prev', text: '▲', label: 'Previous image', onActivate: () => void this.scroll(-1) },
          { id: 'next', text: '▼', label: 'Next image', onActivate: () => void this.scroll(1) },
        ],
      },
      {
        label: 'Annotations',
        buttons: [
          {
            id: 'delete',
            text: 'Delete',
            label: 'Delete selected annotation',
            shortcut: 'Delete',
            onActivate: () => this.deleteSelected(),
          },
          { id: 'save', text: 'Save annotations', label: 'Save annotations', shortcut: 's', onActivate: () => void this.save() },
        ],
      },
    ]);
    this.toolbar.setHidden('save', !config.annotationsUrl);

    this.frame = document.createElement('div');
    this.frame.className = 'sr-frame';
    this.frame.tabIndex = 0;
    this.frame.setAttribute('role', 'group');
    this.frame.setAttribute('aria-roledescription', 'image viewport');
    this.frame.setAttribute(
      'aria-label',
      'Image viewport. Up/Down arrows or mouse wheel change image; drag to use the selected tool.',
    );
    this.viewportElement = document.createElement('div');
    this.viewportElement.className = 'sr-viewport';
    this.viewportElement.addEventListener('contextmenu', (e) => e.preventDefault());
    this.overlay = new Overlay();
    this.frame.append(this.viewportElement, this.regions.root, this.overlay.root);
    // Cornerstone prevents the default mousedown, so focus the viewport explicitly for shortcuts.
    this.frame.addEventListener('mousedown', () => this.frame.focus({ preventScroll: true }));
    host.append(this.toolbar.root, this.frame);
    host.addEventListener('keydown', this.onKeyDown);
  }

  // ---------------------------------------------------------------- mounting

  async mount(): Promise<void> {
    const { config } = this;
    this.toolbar.setStatus('Loading…');
    const instances = sortByInstanceNumber(
      await fetchSeriesMetadata(config.wadoRsRoot, config.studyUID, config.seriesUID),
    );
    if (!instances.length) throw new Error('The series has no instances');
    this.buildStack(instances);

    const first = instances[0]!;
    const modality = (str(first, Tag.Modality) ?? config.modality) || 'OT';
    this.isColor = (num(first, Tag.SamplesPerPixel) ?? 1) === 3 || isColorPhotometric(str(first, Tag.PhotometricInterpretation));
    this.naturalInvert = str(first, Tag.PhotometricInterpretation) === 'MONOCHROME1';
    this.cpu = shouldUseCpu(config.cpuRendering, hasWebGL2());
    this.host.dataset.renderer = this.cpu ? 'cpu' : 'gpu';

    if (!isCornerstoneInitialized()) initCore();
    setUseCPURendering(this.cpu);
    setGpuPrescaling(!this.cpu);
    installMetadataProvider();
    registerScanroomImageLoader();
    ensureToolsRegistered();

    const engineId = `scanroom-engine-${this.id}`;
    const viewportId = `scanroom-viewport-${this.id}`;
    this.engine = new RenderingEngine(engineId);
    this.engine.enableElement({
      viewportId,
      type: Enums.ViewportType.STACK,
      element: this.viewportElement,
      defaultOptions: { background: [0, 0, 0] as Types.Point3 },
    });
    this.viewport = this.engine.getViewport(viewportId) as Types.IStackViewport;
    this.tools = new ViewerTools(`scanroom-tools-${this.id}`, viewportId, engineId, promptForText);
    this.updateToolButtons();

    this.presets = presetsFor(modality, this.isColor);
    this.toolbar.addPresets(this.presets, (id) => this.setPreset(id));
    this.toolbar.setHidden('invert', this.isColor);
    this.toolbar.setDisabled('prev', this.imageIds.length < 2);
    this.toolbar.setDisabled('next', this.imageIds.length < 2);

    this.listen(this.viewportElement, Enums.Events.IMAGE_RENDERED, () => {
      this.updateOverlay();
      this.drawRegions();
    });
    this.listen(this.viewportElement, Enums.Events.VOI_MODIFIED, () => this.onVoiModified());
    this.listen(this.viewportElement, Enums.Events.CAMERA_MODIFIED, () => this.updateOverlay());
    this.listen(this.viewportElement, Enums.Events.STACK_NEW_IMAGE, () => this.updateOverlay());
    this.listen(this.viewportElement, 'mousemove', (e) => this.probe(e as MouseEvent));
    this.listen(this.viewportElement, 'mouseleave', () => this.overlay.setProbe(''));
    this.cleanup.push(watchAnnotations(() => this.emitAnnotationsChanged()));

    const rendered = this.nextRender();
    await this.viewport.setStack(this.imageIds, 0);
    this.viewport.render();
    await rendered;
    this.markDefaultPreset();
    this.updateOverlay();

    const ro = new ResizeObserver(() => this.engine?.resize(true, true));
    ro.observe(this.viewportElement);
    this.cleanup.push(() => ro.disconnect());

    if (config.annotationsUrl) await this.restoreSaved(config.annotationsUrl);
    this.toolbar.setStatus('');
    this.host.dataset.ready = 'true';
  }

  private buildStack(instances: DicomJsonInstance[]): void {
    const { wadoRsRoot, studyUID, seriesUID } = this.config;
    for (const inst of instances) {
      const sop = str(inst, Tag.SOPInstanceUID);
      if (!sop) continue;
      const frames = Math.max(1, num(inst, Tag.NumberOfFrames) ?? 1);
      for (let f = 1; f <= frames; f++) {
        const url = frameUrl(wadoRsRoot, studyUID, seriesUID, sop, f);
        const ref: FrameRef = { imageId: imageIdForUrl(url), instance: inst, frame: f, stackIndex: this.imageIds.length, url };
        registerFrame(ref);
        this.refs.push(ref);
        this.imageIds.push(ref.imageId);
      }
    }
    this.imageIdSet = new Set(this.imageIds);
    if (!this.imageIds.length) throw new Error('No images in series');
  }

  private listen(target: EventTarget, type: string, fn: (e: Event) => void): void {
    target.addEventListener(type, fn);
    this.cleanup.push(() => target.removeEventListener(type, fn));
  }

  private nextRender(timeoutMs = 15000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = window.setTimeout(() => {
        this.viewportElement.removeEventListener(Enums.Events.IMAGE_RENDERED, done);
        reject(new Error('Timed out waiting for the first image'));
      }, timeoutMs);
      const done = (): void => {
        window.clearTimeout(timer);
        this.viewportElement.removeEventListener(Enums.Events.IMAGE_RENDERED, done);
        resolve();
      };
      this.viewportElement.addEventListener(Enums.Events.IMAGE_RENDERED, done);
    });
  }

  private async restoreSaved(url: string): Promise<void> {
    const saved = await loadSavedAnnotations(url);
    if (!saved?.length || !this.viewport) return;
    const byKey = new Map(this.refs.map((r) => [`${str(r.instance, Tag.SOPInstanceUID)}|${r.frame}`, r.imageId]));
    restoreAnnotations(saved, {
      element: this.viewportElement,
      cpu: this.cpu,
      findImageId: (sop, frame, index) => byKey.get(`${sop}|${frame}`) ?? (sop ? undefined : this.imageIds[index]),
      frameOfReferenceUID: (imageId) =>
        (metaData.get('imagePlaneModule', imageId) as { frameOfReferenceUID?: string } | undefined)?.frameOfReferenceUID,
    });
    this.viewport.render();
  }

  // ---------------------------------------------------------------- view state

  private requireViewport(): Types.IStackViewport {
    if (!this.viewport) throw new Error('Viewer not ready');
    return this.viewport;
  }

  getVOI(): VOI {
    const vp = this.requireViewport();
    const range = vp.getProperties().voiRange;
    if (range) {
      const wl = utilities.windowLevel.toWindowLevel(range.lower, range.upper);
      return { windowWidth: wl.windowWidth, windowCenter: wl.windowCenter };
    }
    const img = vp.getCornerstoneImage();
    return { windowWidth: Number(img?.windowWidth ?? 0), windowCenter: Number(img?.windowCenter ?? 0) };
  }

  setVOI(windowWidth: number, windowCenter: number): void {
    const vp = this.requireViewport();
    const voiRange = utilities.windowLevel.toLowHighRange(Math.max(1, windowWidth), windowCenter);
    vp.setProperties({ voiRange });
    vp.render();
  }

  /** Window for the current image as given by DICOM (or min/max when absent), in output units. */
  private dicomVOI(): VOI {
    const img = this.requireViewport().getCornerstoneImage();
    const ww = Array.isArray(img.windowWidth) ? img.windowWidth[0] : img.windowWidth;
    const wc = Array.isArray(img.windowCenter) ? img.windowCenter[0] : img.windowCenter;
    return { windowWidth: Number(ww), windowCenter: Number(wc) };
  }

  private autoVOI(): VOI {
    const img = this.requireViewport().getCornerstoneImage();
    const scaled = !!img.preScale?.scaled;
    const a = scaled ? img.minPixelValue : img.minPixelValue * img.slope + img.intercept;
    const b = scaled ? img.maxPixelValue : img.maxPixelValue * img.slope + img.intercept;
    const lo = Math.min(a, b);
    const hi = Math.max(a, b);
    return { windowWidth: Math.max(1, hi - lo), windowCenter: (hi + lo) / 2 };
  }

  getPresets(): { id: string; label: string; windowWidth?: number; windowCenter?: number }[] {
    return this.presets.map((p) => ({
      id: p.id,
      label: p.label,
      ...(p.window ? { windowWidth: p.window.width, windowCenter: p.window.center } : {}),
    }));
  }

  setPreset(name: string): boolean {
    const preset = findPreset(this.presets, name);
    if (!preset) return false;
    const voi =
      preset.kind === 'fixed' && preset.window
        ? { windowWidth: preset.window.width, windowCenter: preset.window.center }
        : preset.kind === 'dicom'
          ? this.dicomVOI()
          : this.autoVOI();
    this.presetVoi = { id: preset.id, voi };
    this.setVOI(voi.windowWidth, voi.windowCenter);
    this.toolbar.setPresetValue(preset.id);
    return true;
  }

  /** The initial window is the DICOM default: show that preset as selected. */
  private markDefaultPreset(): void {
    const hasDefault = this.presets.some((p) => p.id === 'default');
    this.presetVoi = hasDefault ? { id: 'default', voi: this.dicomVOI() } : null;
    this.toolbar.setPresetValue(hasDefault ? 'default' : null);
  }

  private onVoiModified(): void {
    if (this.presetVoi) {
      const cur = this.getVOI();
      const same =
        Math.abs(cur.windowWidth - this.presetVoi.voi.windowWidth) < 0.5 &&
        Math.abs(cur.windowCenter - this.presetVoi.voi.windowCenter) < 0.5;
      if (!same) {
        this.presetVoi = null;
        this.toolbar.setPresetValue(null);
      }
    }
    this.updateOverlay();
  }

  toggleInvert(): void {
    if (this.isColor) return;
    const vp = this.requireViewport();
    this.userInvert = !this.userInvert;
    vp.setProperties({ invert: this.naturalInvert !== this.userInvert });
    vp.render();
    this.toolbar.setPressed('invert', this.userInvert);
    this.updateOverlay();
  }

  reset(): void {
    const vp = this.requireViewport();
    vp.resetCamera();
    this.userInvert = false;
    const voi = this.dicomVOI();
    vp.setProperties({
      voiRange: utilities.windowLevel.toLowHighRange(voi.windowWidth, voi.windowCenter),
      invert: this.naturalInvert,
    });
    this.markDefaultPreset();
    this.toolbar.setPressed('invert', false);
    vp.render();
    this.updateOverlay();
  }

  getImageIndex(): number {
    return this.viewport?.getCurrentImageIdIndex() ?? 0;
  }

  getImageCount(): number {
    return this.imageIds.length;
  }

  async setImageIndex(index: number): Promise<void> {
    const vp = this.requireViewport();
    const i = Math.max(0, Math.min(this.imageIds.length - 1, Math.round(index)));
    if (i === vp.getCurrentImageIdIndex()) return;
    const rendered = this.nextRender();
    await vp.setImageIdIndex(i);
    await rendered.catch(() => undefined);
  }

  scroll(delta: number): Promise<void> {
    return this.setImageIndex(this.getImageIndex() + delta);
  }

  /** Display scale: CSS pixels on screen per image pixel (same meaning on the CPU and GPU paths). */
  getZoom(): number {
    const vp = this.viewport;
    const img = vp?.getCornerstoneImage();
    if (!vp || !img || !vp.getImageData()) return 1;
    const a = vp.worldToCanvas(imageToWorld(img.imageId, [0, 0], this.cpu));
    const b = vp.worldToCanvas(imageToWorld(img.imageId, [1, 0], this.cpu));
    const z = Math.hypot(b[0] - a[0], b[1] - a[1]);
    return Number.isFinite(z) && z > 0 ? z : 1;
  }

  setTool(id: PrimaryToolId | string): boolean {
    const def = PRIMARY_TOOLS.find((t) => t.id === id || t.toolName === id);
    if (!def || !this.tools) return false;
    this.tools.setPrimaryTool(def.id);
    this.updateToolButtons();
    return true;
  }

  private updateToolButtons(): void {
    const current = this.tools?.primaryTool;
    for (const t of PRIMARY_TOOLS) this.toolbar.setPressed(`tool-${t.id}`, t.id === current);
    this.host.dataset.tool = current ?? '';
  }

  private updateOverlay(): void {
    const vp = this.viewport;
    if (!vp || !vp.getCornerstoneImage()) return;
    let voi: VOI | undefined;
    try {
      voi = this.getVOI();
    } catch {
      voi = undefined;
    }
    const first = this.refs[0]?.instance;
    this.overlay.update({
      modality: (first && str(first, Tag.Modality)) || this.config.modality,
      description: first ? str(first, Tag.SeriesDescription) : undefined,
      imageIndex: vp.getCurrentImageIdIndex(),
      imageCount: this.imageIds.length,
      windowWidth: voi?.windowWidth,
      windowCenter: voi?.windowCenter,
      zoom: this.getZoom(),
      inverted: this.userInvert,
      renderer: this.cpu ? 'CPU' : 'GPU',
      isColor: this.isColor,
    });
  }

  /** Shows the pixel value under the mouse (HU for CT). */
  private probe(e: MouseEvent): void {
    const vp = this.viewport;
    const img = vp?.getCornerstoneImage();
    if (!vp || !img || !vp.getImageData()) return;
    const rect = this.viewportElement.getBoundingClientRect();
    const world = vp.canvasToWorld([e.clientX - rect.left, e.clientY - rect.top]);
    const [x, y] = worldToImage(img.imageId, world, this.cpu);
    const col = Math.round(x);
    const row = Math.round(y);
    if (col < 0 || row < 0 || col >= img.columns || row >= img.rows) {
      this.overlay.setProbe('');
      return;
    }
    const data = img.voxelManager?.getScalarData() ?? img.getPixelData();
    let text: string;
    if (this.isColor) {
      const o = (row * img.columns + col) * 3;
      text = `RGB ${data[o]}, ${data[o + 1]}, ${data[o + 2]}`;
    } else {
      const raw = Number(data[row * img.columns + col]);
      const v = img.preScale?.scaled ? raw : raw * img.slope + img.intercept;
      const modality = this.refs[0] ? str(this.refs[0].instance, Tag.Modality) : '';
      const unit = modality === 'CT' ? ' HU' : '';
      text = `${Number.isInteger(v) ? v : v.toFixed(2)}${unit}`;
    }
    this.overlay.setProbe(`(${col}, ${row})  ${text}`);
  }

  // ---------------------------------------------------------------- annotations

  /** Show circles (truth, scored marks, AI candidates) in image pixel coordinates; [] clears them. */
  setRegions(regions: Region[]): void {
    this.regions.set(regions);
    this.drawRegions();
  }

  getRegions(): Region[] {
    return this.regions.get();
  }

  private drawRegions(): void {
    this.regions.draw(this.viewport, this.imageIds, this.cpu);
  }

  getAnnotations(): SerializedAnnotation[] {
    return getAllSerialized(this.imageIdSet, this.cpu);
  }

  private emitAnnotationsChanged(): void {
    this.host.dispatchEvent(
      new CustomEvent('scanroom:annotations-changed', { detail: { annotations: this.getAnnotations() }, bubbles: true }),
    );
  }

  deleteSelected(): void {
    const selected = csAnnotation.selection.getAnnotationsSelected() ?? [];
    for (const uid of selected) {
      const a = csAnnotation.state.getAnnotation(uid);
      const imageId = a?.metadata?.referencedImageId;
      if (imageId && this.imageIdSet.has(imageId)) csAnnotation.state.removeAnnotation(uid);
    }
    this.viewport?.render();
  }

  async save(): Promise<SaveResult> {
    const url = this.config.annotationsUrl;
    if (!url) return { ok: false, status: 0, message: 'No data-annotations-url' };
    const annotations = this.getAnnotations();
    this.toolbar.setStatus('Saving…');
    const result = await saveAnnotations(url, currentCsrfToken(), annotations);
    if (result.ok) {
      this.toolbar.setStatus(`Saved ${annotations.length} annotation${annotations.length === 1 ? '' : 's'}`, 'ok');
    } else {
      this.toolbar.setStatus(`Save failed (${result.message})`, 'error');
    }
    this.host.dispatchEvent(new CustomEvent('scanroom:annotations-saved', { detail: result, bubbles: true }));
    return result;
  }

  // ---------------------------------------------------------------- keyboard

  private readonly onKeyDown = (e: KeyboardEvent): void => {
    const target = e.target as HTMLElement | null;
    if (target && /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName)) return;
    if (!this.viewport) return;
    let handled = true;
    switch (e.key) {
      case 'ArrowUp':
        void this.scroll(-1);
        break;
      case 'ArrowDown':
        void this.scroll(1);
        break;
      case 'PageUp':
        void this.scroll(-10);
        break;
      case 'PageDown':
        void this.scroll(10);
        break;
      case 'Home':
        void this.setImageIndex(0);
        break;
      case 'End':
        void this.setImageIndex(this.imageIds.length - 1);
        break;
      case 'Backspace':
        this.deleteSelected();
        break;
      case 'Escape':
        cancelActiveManipulations(this.viewportElement);
        csAnnotation.selection.deselectAnnotation();
        this.viewport.render();
        break;
      default:
        handled = target?.tagName === 'BUTTON' && (e.key === 'Enter' || e.key === ' ') ? false : this.toolbar.handleKey(e);
    }
    if (handled) e.preventDefault();
  };

  destroy(): void {
    for (const fn of this.cleanup.splice(0)) fn();
    this.host.removeEventListener('keydown', this.onKeyDown);
    this.tools?.destroy();
    this.engine?.destroy();
    this.engine = null;
    this.viewport = null;
  }
}

const TOOL_TEXT: Record<PrimaryToolId, string> = {
  windowLevel: 'W/L',
  pan: 'Pan',
  zoom: 'Zoom',
  length: 'Length',
  angle: 'Angle',
  ellipseRoi: 'Ellipse ROI',
  rectangleRoi: 'Rect ROI',
  arrow: 'Arrow',
  ellipse: 'Ellipse',
  mark: 'Mark',
};

function promptForText(current: string | null): Promise<string | null> {
  return Promise.resolve(window.prompt('Annotation text:', current ?? ''));
}
