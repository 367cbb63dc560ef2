/** Chooses between Cornerstone's CPU (canvas 2D) and GPU (WebGL/vtk.js) stack rendering. */
import type { CpuRenderingMode } from './config';

export function hasWebGL2(): boolean {
  try {
    return !!document.createElement('canvas').getContext('webgl2');
  } catch {
    return false;
  }
}

/**
 * "true" / "auto" -> CPU rendering (exact for every modality; a large 16-bit MONOCHROME1 CR
 *                    rendered black on the WebGL path in testing, and single stack images are
 *                    fast enough on the CPU path).
 * "false"         -> GPU (WebGL2 via vtk.js) when WebGL2 exists, otherwise CPU.
 */
export function shouldUseCpu(mode: CpuRenderingMode, webgl2: boolean): boolean {
  if (mode === 'false') return !webgl2;
  return true;
}
