// View maths: fit/zoom/pan/rotate/flip transforms and the mouse-drag → window/level mapping. Window maths
// itself lives in Rust (lucent-pixels); the UI only chooses the window.

export interface Window {
  center: number;
  width: number;
}

export interface ViewState {
  zoom: number; // relative to fit
  panX: number; // canvas pixels
  panY: number;
  rotation: 0 | 1 | 2 | 3; // quarter turns clockwise on screen
  flipH: boolean; // mirrored left–right on screen
  flipV: boolean; // mirrored top–bottom on screen
}

export const initialView = (): ViewState => ({ zoom: 1, panX: 0, panY: 0, rotation: 0, flipH: false, flipV: false });

/** A 2-D affine map, canvas = M · image, in the order CanvasRenderingContext2D.setTransform takes. */
export interface Affine {
  a: number;
  b: number;
  c: number;
  d: number;
  e: number;
  f: number;
}

/** Canvas pixels per image pixel when the image fits the canvas (rotation swaps the sides). */
export function fitScale(canvasW: number, canvasH: number, imageW: number, imageH: number, rotation: number): number {
  const odd = rotation % 2 === 1;
  return Math.min(canvasW / (odd ? imageH : imageW), canvasH / (odd ? imageW : imageH));
}

const QUARTER_TURNS: [number, number][] = [
  [1, 0],
  [0, 1],
  [-1, 0],
  [0, -1],
];

/**
 * Where the image is drawn: a view transform only, the stored pixels are never resampled. The
 * image is scaled, rotated about its centre, then flipped on screen (so "flip horizontal" mirrors
 * what the user sees whatever the rotation), and centred with the pan added.
 */
export function viewMatrix(canvasW: number, canvasH: number, imageW: number, imageH: number, view: ViewState): Affine {
  const s = fitScale(canvasW, canvasH, imageW, imageH, view.rotation) * view.zoom;
  const [cos, sin] = QUARTER_TURNS[view.rotation];
  const fx = view.flipH ? -1 : 1;
  const fy = view.flipV ? -1 : 1;
  const a = fx * cos * s;
  const c = -fx * sin * s;
  const b = fy * sin * s;
  const d = fy * cos * s;
  return {
    a,
    b,
    c,
    d,
    e: canvasW / 2 + view.panX - (a * imageW + c * imageH) / 2,
    f: canvasH / 2 + view.panY - (b * imageW + d * imageH) / 2,
  };
}

/** Canvas pixels per image pixel of a view matrix. */
export const matrixScale = (m: Affine): number => Math.hypot(m.a, m.b);

export function applyMatrix(m: Affine, x: number, y: number): [number, number] {
  return [m.a * x + m.c * y + m.e, m.b * x + m.d * y + m.f];
}

/** Image coordinates of a canvas point (the inverse of [`viewMatrix`]). */
export function invertPoint(m: Affine, x: number, y: number): [number, number] {
  const det = m.a * m.d - m.b * m.c;
  const px = x - m.e;
  const py = y - m.f;
  return [(m.d * px - m.c * py) / det, (-m.b * px + m.a * py) / det];
}

/** Rotates by a quarter turn clockwise (+1) or counter-clockwise (−1) as the user sees it. */
export function rotateView(view: ViewState, direction: 1 | -1): ViewState {
  const mirrored = view.flipH !== view.flipV;
  const step = mirrored ? -direction : direction;
  return { ...view, rotation: (((view.rotation + step) % 4) + 4) % 4 as ViewState["rotation"] };
}

/** Zoom by `factor` keeping the canvas point (px, py) over the same image point. */
export function zoomAt(view: ViewState, factor: number, px: number, py: number, canvasW: number, canvasH: number): ViewState {
  const zoomed = zoomBy(view, factor);
  const k = zoomed.zoom / view.zoom;
  const cx = canvasW / 2 + view.panX;
  const cy = canvasH / 2 + view.panY;
  return { ...zoomed, panX: px - k * (px - cx) - canvasW / 2, panY: py - k * (py - cy) - canvasH / 2 };
}

/** The zoom at which one image pixel is one canvas pixel (1:1). */
export function nativeZoom(canvasW: number, canvasH: number, imageW: number, imageH: number, rotation: number): number {
  return 1 / fitScale(canvasW, canvasH, imageW, imageH, rotation);
}

/**
 * Left-drag window/level as RadiAnt and Weasis do: horizontal motion changes the width,
 * vertical motion the level (down = higher level), scaled to the current width so that the
 * drag feels the same on CT (width ~400) and MR (width ~4000).
 */
export function dragWindow(start: Window, dx: number, dy: number): Window {
  // Steps scale with the width, so a window of 0.2 (an RT dose image's values) moves as finely as
  // one of 400 HU; the width stays ≥ 1 unless the drag started below 1 (then ≥ 1% of it).
  const k = Math.max(start.width, 1e-9) / 256;
  const minWidth = start.width >= 1 ? 1 : start.width / 100;
  return {
    center: start.center + dy * k,
    width: Math.max(minWidth, start.width + dx * k),
  };
}

/** A window value for the corner: whole numbers from 100 up, else three significant digits. */
export function windowText(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 100 || Number.isInteger(x)) return String(Math.round(x));
  if (a < 1e-3) return x.toExponential(2);
  return String(Number(x.toPrecision(3)));
}

/** Zoom by a right-drag or wheel-with-modifier step, clamped to 1/16–64× of fit. */
export function zoomBy(view: ViewState, factor: number): ViewState {
  return { ...view, zoom: Math.min(64, Math.max(1 / 16, view.zoom * factor)) };
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
 * intersecting the canvas (whatever the rotation or flip).
 */
export function visibleTiles(
  m: Affine,
  canvasW: number,
  canvasH: number,
  fullW: number,
  fullH: number,
): { level: number; tiles: [number, number][] } {
  const scale = matrixScale(m);
  const level = scale >= 0.5 ? 0 : Math.floor(Math.log2(1 / scale));
  const span = TILE * 2 ** level; // full-resolution pixels per tile
  const corners = [
    invertPoint(m, 0, 0),
    invertPoint(m, canvasW, 0),
    invertPoint(m, 0, canvasH),
    invertPoint(m, canvasW, canvasH),
  ];
  const x0 = Math.max(0, Math.min(...corners.map((p) => p[0])));
  const y0 = Math.max(0, Math.min(...corners.map((p) => p[1])));
  const x1 = Math.min(fullW, Math.max(...corners.map((p) => p[0])));
  const y1 = Math.min(fullH, Math.max(...corners.map((p) => p[1])));
  const tiles: [number, number][] = [];
  if (x1 <= x0 || y1 <= y0) return { level, tiles };
  for (let ty = Math.floor(y0 / span); ty <= Math.floor((y1 - 1) / span); ty++) {
    for (let tx = Math.floor(x0 / span); tx <= Math.floor((x1 - 1) / span); tx++) tiles.push([tx, ty]);
  }
  return { level, tiles };
}

/**
 * The frame of another stack to show when this one moves (synchronised scrolling): the one whose
 * location along the normal is nearest. `sameDirection` is false when the other stack's normal
 * points the other way (its locations are negated). `null` when the other stack has no locations.
 */
export function nearestSlice(locations: (number | null)[], target: number, sameDirection: boolean): number | null {
  let best: number | null = null;
  let bestDistance = Infinity;
  locations.forEach((loc, i) => {
    if (loc == null) return;
    const d = Math.abs((sameDirection ? loc : -loc) - target);
    if (d < bestDistance) {
      bestDistance = d;
      best = i;
    }
  });
  return best;
}

/** Pixel spacing as the backend reports it (PS3.3 10.7.1.3), or a calibrated ultrasound region's
 * (PS3.3 C.8.5.5: basis "region"). */
export interface Spacing {
  rowMm: number;
  columnMm: number;
  basis: "patient" | "detector" | "region";
}

/** A calibrated ultrasound region: inclusive pixel bounds [x0, y0, x1, y1] and mm per pixel. */
export interface UltrasoundRegion {
  bounds: [number, number, number, number];
  rowMm: number;
  columnMm: number;
}

/** The pixel spacing measurements use, saying when it is only known at the detector or only
 * inside calibrated ultrasound regions. */
export function spacingText(spacing: Spacing | null, regions: UltrasoundRegion[] = []): string {
  if (!spacing && regions.length) {
    const r = regions[0];
    return spacingText({ rowMm: r.rowMm, columnMm: r.columnMm, basis: "region" }) + (regions.length > 1 ? ` (+${regions.length - 1})` : "");
  }
  if (!spacing) return "";
  const mm = (v: number) => (v >= 1 ? v.toFixed(2) : v.toPrecision(3));
  const size = `${mm(spacing.rowMm)} × ${mm(spacing.columnMm)} mm/px`;
  return spacing.basis === "detector" ? `${size} at detector` : spacing.basis === "region" ? `${size} in US region` : size;
}
