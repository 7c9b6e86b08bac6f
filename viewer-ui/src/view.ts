// View maths: fit/zoom/pan transforms and the mouse-drag → window/level mapping. Window maths
// itself lives in Rust (lucent-pixels); the UI only chooses the window.

export interface Window {
  center: number;
  width: number;
}

export interface ViewState {
  zoom: number; // relative to fit
  panX: number; // screen pixels
  panY: number;
}

export const initialView = (): ViewState => ({ zoom: 1, panX: 0, panY: 0 });

/** Where the image is drawn: scale and top-left in canvas pixels. */
export function imageTransform(
  canvasW: number,
  canvasH: number,
  imageW: number,
  imageH: number,
  view: ViewState,
): { scale: number; x: number; y: number } {
  const fit = Math.min(canvasW / imageW, canvasH / imageH);
  const scale = fit * view.zoom;
  const x = (canvasW - imageW * scale) / 2 + view.panX;
  const y = (canvasH - imageH * scale) / 2 + view.panY;
  return { scale, x, y };
}

/**
 * Left-drag window/level as RadiAnt and Weasis do: horizontal motion changes the width,
 * vertical motion the level (down = higher level), scaled to the current width so that the
 * drag feels the same on CT (width ~400) and MR (width ~4000).
 */
export function dragWindow(start: Window, dx: number, dy: number): Window {
  const k = Math.max(start.width, 1) / 256;
  return {
    center: start.center + dy * k,
    width: Math.max(1, start.width + dx * k),
  };
}

/** Zoom by a right-drag or wheel-with-modifier step, clamped to 1/16–32× of fit. */
export function zoomBy(view: ViewState, factor: number): ViewState {
  return { ...view, zoom: Math.min(32, Math.max(1 / 16, view.zoom * factor)) };
}

/** One wheel event moves one slice, in the sign of deltaY; the index stays in range. */
export function wheelStep(index: number, deltaY: number, count: number): number {
  if (deltaY === 0 || count <= 0) return index;
  return Math.min(count - 1, Math.max(0, index + (deltaY > 0 ? 1 : -1)));
}

/** Keyboard navigation: arrows and page keys move one slice, Home/End to the ends. */
export function keyStep(index: number, key: string, count: number): number | null {
  const last = Math.max(0, count - 1);
  switch (key) {
    case "ArrowDown":
    case "PageDown":
      return Math.min(last, index + 1);
    case "ArrowUp":
    case "PageUp":
      return Math.max(0, index - 1);
    case "Home":
      return 0;
    case "End":
      return last;
    default:
      return null;
  }
}

/** The CT window the PS3.3 LINEAR function gives a value, as the shell computes it (for tests). */
export function linearWindow(x: number, w: Window): number {
  const width = Math.max(1, w.width);
  const lo = w.center - 0.5 - (width - 1) / 2;
  const hi = w.center - 0.5 + (width - 1) / 2;
  if (x <= lo) return 0;
  if (x > hi || width <= 1) return 255;
  return Math.round(((x - (w.center - 0.5)) / (width - 1) + 0.5) * 255);
}

/** Edge of a pyramid tile at its own level (matches lucent-pixels' TILE). */
export const TILE = 256;

/**
 * The pyramid level and tiles that cover the visible part of a large image: the level whose
 * pixels are about one screen pixel (0 = full resolution), and the tile columns/rows of that level
 * intersecting the canvas.
 */
export function visibleTiles(
  t: { scale: number; x: number; y: number },
  canvasW: number,
  canvasH: number,
  fullW: number,
  fullH: number,
): { level: number; tiles: [number, number][] } {
  const level = t.scale >= 0.5 ? 0 : Math.floor(Math.log2(1 / t.scale));
  const span = TILE * 2 ** level; // full-resolution pixels per tile
  const x0 = Math.max(0, -t.x / t.scale);
  const y0 = Math.max(0, -t.y / t.scale);
  const x1 = Math.min(fullW, (canvasW - t.x) / t.scale);
  const y1 = Math.min(fullH, (canvasH - t.y) / t.scale);
  const tiles: [number, number][] = [];
  if (x1 <= x0 || y1 <= y0) return { level, tiles };
  for (let ty = Math.floor(y0 / span); ty <= Math.floor((y1 - 1) / span); ty++) {
    for (let tx = Math.floor(x0 / span); tx <= Math.floor((x1 - 1) / span); tx++) tiles.push([tx, ty]);
  }
  return { level, tiles };
}

/** Pixel spacing as the backend reports it (PS3.3 10.7.1.3). */
export interface Spacing {
  rowMm: number;
  columnMm: number;
  basis: "patient" | "detector";
}

/** The pixel spacing measurements use, saying when it is only known at the detector. */
export function spacingText(spacing: Spacing | null): string {
  if (!spacing) return "";
  const mm = (v: number) => (v >= 1 ? v.toFixed(2) : v.toPrecision(3));
  const size = `${mm(spacing.rowMm)} × ${mm(spacing.columnMm)} mm/px`;
  return spacing.basis === "detector" ? `${size} at detector` : size;
}
