/** Accessible toolbar: buttons with aria-labels, aria-pressed state and single-key shortcuts. */
import type { WindowPreset } from './presets';

export interface ToolbarButton {
  id: string;
  text: string;
  label: string;
  shortcut?: string;
  /** Part of a single-choice group (primary mouse tool) or a toggle: exposes aria-pressed. */
  pressable?: boolean;
  onActivate(): void;
}

export interface ToolbarGroup {
  label: string;
  buttons: ToolbarButton[];
}

function shortcutLabel(key: string): string {
  return key.length === 1 ? key.toUpperCase() : key;
}

export class Toolbar {
  readonly root: HTMLDivElement;
  readonly status: HTMLSpanElement;
  private readonly buttons = new Map<string, HTMLButtonElement>();
  private readonly shortcuts = new Map<string, ToolbarButton>();
  private presetSelect: HTMLSelectElement | null = null;

  constructor(groups: ToolbarGroup[]) {
    this.root = document.createElement('div');
    this.root.className = 'sr-toolbar';
    this.root.setAttribute('role', 'toolbar');
    this.root.setAttribute('aria-label', 'Image viewer tools');
    for (const g of groups) {
      const group = document.createElement('div');
      group.className = 'sr-toolbar-group';
      group.setAttribute('role', 'group');
      group.setAttribute('aria-label', g.label);
      for (const b of g.buttons) group.appendChild(this.makeButton(b));
      this.root.appendChild(group);
    }
    this.status = document.createElement('span');
    this.status.className = 'sr-status';
    this.status.setAttribute('role', 'status');
    this.status.setAttribute('aria-live', 'polite');
    this.root.appendChild(this.status);
  }

  private makeButton(b: ToolbarButton): HTMLButtonElement {
    const el = document.createElement('button');
    el.type = 'button';
    el.className = 'sr-btn';
    el.dataset.action = b.id;
    el.textContent = b.text;
    const key = b.shortcut ? ` (${shortcutLabel(b.shortcut)})` : '';
    el.setAttribute('aria-label', `${b.label}${key}`);
    el.title = `${b.label}${key}`;
    if (b.shortcut) {
      el.setAttribute('aria-keyshortcuts', shortcutLabel(b.shortcut));
      this.shortcuts.set(b.shortcut.toLowerCase(), b);
    }
    if (b.pressable) el.setAttribute('aria-pressed', 'false');
    el.addEventListener('click', () => b.onActivate());
    this.buttons.set(b.id, el);
    return el;
  }

  /** Adds the window preset <select>; hidden when the modality has no presets. */
  addPresets(presets: WindowPreset[], onSelect: (id: string) => void): void {
    if (!presets.length) return;
    const wrap = document.createElement('label');
    wrap.className = 'sr-preset';
    const caption = document.createElement('span');
    caption.textContent = 'Preset';
    const select = document.createElement('select');
    const keys = presets.map((p) => p.shortcut).filter((k): k is string => !!k);
    select.setAttribute('aria-label', `Window preset (keys ${keys.join(', ')})`);
    select.setAttribute('aria-keyshortcuts', keys.join(' '));
    const custom = document.createElement('option');
    custom.value = '';
    custom.textContent = 'Custom';
    select.appendChild(custom);
    for (const p of presets) {
      const o = document.createElement('option');
      o.value = p.id;
      o.textContent = p.window
        ? `${p.label} (W${p.window.width} L${p.window.center})${p.shortcut ? ` [${p.shortcut}]` : ''}`
        : `${p.label}${p.shortcut ? ` [${p.shortcut}]` : ''}`;
      select.appendChild(o);
      if (p.shortcut) {
        this.shortcuts.set(p.shortcut, {
          id: `preset-${p.id}`,
          text: p.label,
          label: p.label,
          onActivate: () => onSelect(p.id),
        });
      }
    }
    select.addEventListener('change', () => {
      if (select.value) onSelect(select.value);
    });
    wrap.append(caption, select);
    this.presetSelect = select;
    this.root.insertBefore(wrap, this.status);
  }

  setPresetValue(id: string | null): void {
    if (this.presetSelect) this.presetSelect.value = id ?? '';
  }

  setPressed(id: string, pressed: boolean): void {
    this.buttons.get(id)?.setAttribute('aria-pressed', String(pressed));
  }

  setHidden(id: string, hidden: boolean): void {
    const b = this.buttons.get(id);
    if (b) b.hidden = hidden;
  }

  setDisabled(id: string, disabled: boolean): void {
    const b = this.buttons.get(id);
    if (b) b.disabled = disabled;
  }

  setStatus(text: string, kind: 'info' | 'ok' | 'error' = 'info'): void {
    this.status.textContent = text;
    this.status.dataset.kind = kind;
  }

  /** Handles a keydown; returns true when it matched a shortcut. */
  handleKey(e: KeyboardEvent): boolean {
    if (e.ctrlKey || e.metaKey || e.altKey) return false;
    const b = this.shortcuts.get(e.key.toLowerCase());
    if (!b) return false;
    const el = this.buttons.get(b.id);
    if (el && (el.hidden || el.disabled)) return false;
    b.onActivate();
    return true;
  }
}
