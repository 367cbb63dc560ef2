/** Cornerstone tool registration, the tool group, and switching the primary (left-button) tool. */
import {
  AngleTool,
  ArrowAnnotateTool,
  EllipticalROITool,
  Enums as ToolsEnums,
  LengthTool,
  PanTool,
  ProbeTool,
  RectangleROITool,
  StackScrollTool,
  ToolGroupManager,
  WindowLevelTool,
  ZoomTool,
  addTool,
  init as initTools,
  type Types as ToolTypes,
} from '@cornerstonejs/tools';

const { MouseBindings, KeyboardBindings, ToolModes } = ToolsEnums;

/** An ellipse drawn as a plain annotation (no statistics), separate from the ROI tool. */
export class EllipseAnnotationTool extends EllipticalROITool {
  static override toolName = 'EllipseAnnotation';
}

/** A lesion mark for interpretation reading: one point, no statistics (the reading page asks for confidence). */
export class LesionMarkTool extends ProbeTool {
  static override toolName = 'LesionMark';
}

export type PrimaryToolId =
  | 'windowLevel'
  | 'pan'
  | 'zoom'
  | 'length'
  | 'angle'
  | 'ellipseRoi'
  | 'rectangleRoi'
  | 'arrow'
  | 'ellipse'
  | 'mark';

export interface PrimaryToolDef {
  id: PrimaryToolId;
  toolName: string;
  label: string;
  shortcut: string;
  annotation: boolean;
}

export const PRIMARY_TOOLS: PrimaryToolDef[] = [
  { id: 'windowLevel', toolName: WindowLevelTool.toolName, label: 'Window/Level', shortcut: 'w', annotation: false },
  { id: 'pan', toolName: PanTool.toolName, label: 'Pan', shortcut: 'p', annotation: false },
  { id: 'zoom', toolName: ZoomTool.toolName, label: 'Zoom', shortcut: 'z', annotation: false },
  { id: 'length', toolName: LengthTool.toolName, label: 'Length', shortcut: 'l', annotation: true },
  { id: 'angle', toolName: AngleTool.toolName, label: 'Angle', shortcut: 'a', annotation: true },
  { id: 'ellipseRoi', toolName: EllipticalROITool.toolName, label: 'Ellipse ROI (stats)', shortcut: 'e', annotation: true },
  { id: 'rectangleRoi', toolName: RectangleROITool.toolName, label: 'Rectangle ROI (stats)', shortcut: 'r', annotation: true },
  { id: 'arrow', toolName: ArrowAnnotateTool.toolName, label: 'Arrow annotation', shortcut: 't', annotation: true },
  { id: 'ellipse', toolName: EllipseAnnotationTool.toolName, label: 'Ellipse annotation', shortcut: 'o', annotation: true },
  { id: 'mark', toolName: LesionMarkTool.toolName, label: 'Lesion mark (point)', shortcut: 'm', annotation: true },
];

/** Tool names whose annotations are exported by getAnnotations(). */
export const ANNOTATION_TOOL_NAMES = new Set(PRIMARY_TOOLS.filter((t) => t.annotation).map((t) => t.toolName));

let toolsInitialised = false;

/** Must run before any viewport element is enabled (tools hook ELEMENT_ENABLED). */
export function ensureToolsRegistered(): void {
  if (toolsInitialised) return;
  toolsInitialised = true;
  initTools();
  for (const tool of [
    WindowLevelTool,
    PanTool,
    ZoomTool,
    StackScrollTool,
    LengthTool,
    AngleTool,
    EllipticalROITool,
    RectangleROITool,
    ArrowAnnotateTool,
    EllipseAnnotationTool,
    LesionMarkTool,
  ]) {
    addTool(tool);
  }
}

export type ArrowTextPrompt = (current: string | null) => Promise<string | null>;

export class ViewerTools {
  readonly toolGroup: ToolTypes.IToolGroup;
  private primary: PrimaryToolId = 'windowLevel';

  constructor(toolGroupId: string, viewportId: string, renderingEngineId: string, promptText: ArrowTextPrompt) {
    ensureToolsRegistered();
    ToolGroupManager.destroyToolGroup(toolGroupId);
    const group = ToolGroupManager.createToolGroup(toolGroupId);
    if (!group) throw new Error('Could not create tool group');
    this.toolGroup = group;

    group.addTool(WindowLevelTool.toolName);
    group.addTool(PanTool.toolName);
    group.addTool(ZoomTool.toolName, { minZoomScale: 0.05, maxZoomScale: 40 });
    group.addTool(StackScrollTool.toolName, { loop: false });
    group.addTool(LengthTool.toolName);
    group.addTool(AngleTool.toolName);
    group.addTool(EllipticalROITool.toolName);
    group.addTool(RectangleROITool.toolName);
    group.addTool(ArrowAnnotateTool.toolName, {
      getTextCallback: (done: (text: string | null) => void) => {
        void promptText(null).then((t) => done(t ?? ''));
      },
      changeTextCallback: (ann: { data?: { label?: string } }, _evt: unknown, done: (text: string | null) => void) => {
        const current = ann?.data?.label ?? '';
        void promptText(current).then((t) => done(t ?? current));
      },
    });
    group.addTool(EllipseAnnotationTool.toolName, { calculateStats: false, getTextLines: () => [] });
    group.addTool(LesionMarkTool.toolName, { getTextLines: () => [] });
    group.addViewport(viewportId, renderingEngineId);

    // Always-on bindings: wheel scrolls, ctrl+wheel / right-drag zoom, middle-drag pans.
    group.setToolActive(StackScrollTool.toolName, { bindings: [{ mouseButton: MouseBindings.Wheel }] });
    group.setToolActive(ZoomTool.toolName, {
      bindings: [
        { mouseButton: MouseBindings.Secondary },
        { mouseButton: MouseBindings.Wheel, modifierKey: KeyboardBindings.Ctrl },
      ],
    });
    group.setToolActive(PanTool.toolName, { bindings: [{ mouseButton: MouseBindings.Auxiliary }] });
    // Annotation tools passive: existing annotations stay selectable/editable.
    for (const t of PRIMARY_TOOLS) {
      if (t.annotation) group.setToolPassive(t.toolName);
    }
    group.setToolActive(WindowLevelTool.toolName, { bindings: [{ mouseButton: MouseBindings.Primary }] });
  }

  get primaryTool(): PrimaryToolId {
    return this.primary;
  }

  setPrimaryTool(id: PrimaryToolId): void {
    const next = PRIMARY_TOOLS.find((t) => t.id === id);
    const prev = PRIMARY_TOOLS.find((t) => t.id === this.primary);
    if (!next || !prev) return;
    if (next.id !== prev.id) {
      // Removes only the primary binding; middle/right/wheel bindings of Pan/Zoom remain.
      this.toolGroup.setToolPassive(prev.toolName);
      if (prev.id === 'windowLevel' && this.toolGroup.getToolOptions(prev.toolName)?.mode === ToolModes.Passive) {
        // Window/level has no passive behaviour; keep it out of the way.
        this.toolGroup.setToolDisabled(prev.toolName);
      }
    }
    this.toolGroup.setToolActive(next.toolName, { bindings: [{ mouseButton: MouseBindings.Primary }] });
    this.primary = next.id;
  }

  destroy(): void {
    ToolGroupManager.destroyToolGroup(this.toolGroup.id);
  }
}
