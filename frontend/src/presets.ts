/** Modality-aware window presets. */

export interface WindowPreset {
  id: string;
  label: string;
  /** Fixed window; absent for the dynamic presets ("default" from DICOM, "auto" min/max). */
  window?: { width: number; center: number };
  kind: 'fixed' | 'dicom' | 'auto';
  shortcut?: string;
}

const CT_PRESETS: WindowPreset[] = [
  { id: 'lung', label: 'Lung', kind: 'fixed', window: { width: 1500, center: -600 }, shortcut: '1' },
  { id: 'mediastinum', label: 'Mediastinum', kind: 'fixed', window: { width: 350, center: 50 }, shortcut: '2' },
  { id: 'bone', label: 'Bone', kind: 'fixed', window: { width: 2000, center: 500 }, shortcut: '3' },
  { id: 'brain', label: 'Brain', kind: 'fixed', window: { width: 80, center: 40 }, shortcut: '4' },
  { id: 'abdomen', label: 'Abdomen', kind: 'fixed', window: { width: 400, center: 50 }, shortcut: '5' },
];

const DYNAMIC_PRESETS: WindowPreset[] = [
  { id: 'default', label: 'Default (from DICOM)', kind: 'dicom', shortcut: '0' },
  { id: 'auto', label: 'Auto (min/max)', kind: 'auto', shortcut: '9' },
];

/** Presets that make sense for a modality. Colour images get none (window/level is meaningless there). */
export function presetsFor(modality: string, isColor: boolean): WindowPreset[] {
  if (isColor) return [];
  if (modality.toUpperCase() === 'CT') return [...CT_PRESETS, ...DYNAMIC_PRESETS];
  return [...DYNAMIC_PRESETS];
}

/** Accepts ids ("lung") and labels ("Lung", "Default (from DICOM)") case-insensitively. */
export function findPreset(presets: WindowPreset[], name: string): WindowPreset | undefined {
  const n = name.trim().toLowerCase();
  return presets.find((p) => p.id === n || p.label.toLowerCase() === n);
}
