// Measurements on the image: lengths, angles, rectangle and ellipse regions, point probes.
//
// Geometry is in image pixel coordinates, continuous: pixel (i, j) covers [i, i+1) × [j, j+1) and
// its centre is (i + 0.5, j + 0.5). Millimetres come from the pixel spacing the backend reports
// (PS3.3 10.7.1.3: Pixel Spacing, or Imager Pixel Spacing "at detector"), row spacing for y and
// column spacing for x, so anisotropic pixels give true lengths, angles and areas.
//
// Region statistics read the full-resolution modality values (HU for CT), never the 8-bit
// display values: a pixel belongs to a region when its centre lies inside the shape. The standard
// deviation is the population SD (as OHIF/Cornerstone and numpy's default report it).

import type { Spacing, UltrasoundRegion } from "./view";

export interface Point {
  x: number;
  y: number;
}

export type AnnotationKind = "length" | "angle" | "rect" | "ellipse" | "probe";

/** A measurement drawn on one frame. Points: length 2, angle 3 (arm, vertex, arm), rect and
 * ellipse 2 (opposite corners of the bounding box), probe 1. */
export interface Annotation {
  kind: AnnotationKind;
  points: Point[];
}

/** How many points an annotation of each kind has. */
export const POINTS: Record<AnnotationKind, number> = { length: 2, angle: 3, rect: 2, ellipse: 2, probe: 1 };

/** The stored and modality values of one frame (the `values` command's answer). */
export interface FrameValues {
  width: number;
  height: number;
  stored: Float32Array;
  slope: number;
  intercept: number;
  /** Modality LUT output per pixel, when the file uses a table instead of a rescale. */
  table: Float32Array | null;
  /** Unit of modality values (`HU`, a Rescale Type), or null. */
  unit: string | null;
}

/** Parses the binary values layout of src-tauri/src/ipc.rs. */
export function parseValues(buffer: ArrayBuffer): FrameValues {
  if (buffer.byteLength < 32) throw new Error("values too short");
  const v = new DataView(buffer);
  const width = v.getUint32(0, true);
  const height = v.getUint32(4, true);
  const kind = v.getUint32(8, true);
  const unitLength = v.getUint32(12, true);
  const n = width * height;
  const arrays = kind === 1 ? 2 : 1;
  if (kind > 1 || unitLength > 16 || buffer.byteLength !== 32 + 4 * n * arrays + unitLength) throw new Error("values size mismatch");
  const stored = new Float32Array(buffer, 32, n);
  const table = kind === 1 ? new Float32Array(buffer, 32 + 4 * n, n) : null;
  const unitBytes = new Uint8Array(buffer, 32 + 4 * n * arrays, unitLength);
  const unit = unitLength ? String.fromCharCode(...unitBytes) : null;
  return { width, height, stored, slope: v.getFloat64(16, true), intercept: v.getFloat64(24, true), table, unit };
}

/** The modality value of pixel index `i` (PS3.3 C.11.1), in double precision. */
export function modalityValue(v: FrameValues, i: number): number {
  return v.table ? v.table[i] : v.stored[i] * v.slope + v.intercept;
}

/** Whether modality values differ from stored values (a rescale other than 1/0, or a table). */
export const hasModalityTransform = (v: FrameValues): boolean => v.table !== null || v.slope !== 1 || v.intercept !== 0;

/**
 * The spacing a measurement uses: the image's Pixel Spacing (or Imager Pixel Spacing), else the
 * calibrated ultrasound region that holds all its points (PS3.3 C.8.5.5.1), else none (pixels).
 * A region covers its bounds' pixels, [x0, x1 + 1) × [y0, y1 + 1) in image coordinates.
 */
export function spacingFor(points: Point[], spacing: Spacing | null, regions: UltrasoundRegion[]): Spacing | null {
  if (spacing) return spacing;
  const region = regions.find(({ bounds: [x0, y0, x1, y1] }) => points.every((p) => p.x >= x0 && p.x < x1 + 1 && p.y >= y0 && p.y < y1 + 1));
  return region ? { rowMm: region.rowMm, columnMm: region.columnMm, basis: "region" } : null;
}

const sx = (s: Spacing | null) => (s ? s.columnMm : 1);
const sy = (s: Spacing | null) => (s ? s.rowMm : 1);

/** Length of a segment in mm (or in pixels without a spacing). */
export function lengthOf(a: Point, b: Point, spacing: Spacing | null): number {
  return Math.hypot((b.x - a.x) * sx(spacing), (b.y - a.y) * sy(spacing));
}

/** The angle at `vertex` between the arms to `a` and `b`, in degrees (0–180), in physical space. */
export function angleOf(a: Point, vertex: Point, b: Point, spacing: Spacing | null): number {
  const ux = (a.x - vertex.x) * sx(spacing);
  const uy = (a.y - vertex.y) * sy(spacing);
  const vx = (b.x - vertex.x) * sx(spacing);
  const vy = (b.y - vertex.y) * sy(spacing);
  if ((ux === 0 && uy === 0) || (vx === 0 && vy === 0)) return 0;
  // atan2 of |u × v| and u · v: accurate near 0° and 180°, where acos is not.
  return (Math.atan2(Math.abs(ux * vy - uy * vx), ux * vx + uy * vy) * 180) / Math.PI;
}

/** Area of a rectangle or ellipse region from its bounding box, in mm² (or px²). */
export function areaOf(kind: "rect" | "ellipse", a: Point, b: Point, spacing: Spacing | null): number {
  const w = Math.abs(b.x - a.x) * sx(spacing);
  const h = Math.abs(b.y - a.y) * sy(spacing);
  return kind === "rect" ? w * h : (Math.PI * w * h) / 4;
}

/** Calls `visit(index)` for every pixel whose centre is inside the region. */
export function forEachPixelIn(kind: "rect" | "ellipse", a: Point, b: Point, width: number, height: number, visit: (i: number) => void): void {
  const x0 = Math.min(a.x, b.x);
  const x1 = Math.max(a.x, b.x);
  const y0 = Math.min(a.y, b.y);
  const y1 = Math.max(a.y, b.y);
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  const rx = (x1 - x0) / 2;
  const ry = (y1 - y0) / 2;
  // Pixel centres j + 0.5 within [y0, y1]: j from ceil(y0 - 0.5) to floor(y1 - 0.5).
  const jStart = Math.max(0, Math.ceil(y0 - 0.5));
  const jEnd = Math.min(height - 1, Math.floor(y1 - 0.5));
  for (let j = jStart; j <= jEnd; j++) {
    let left = x0;
    let right = x1;
    if (kind === "ellipse") {
      if (rx <= 0 || ry <= 0) return;
      const t = (j + 0.5 - cy) / ry;
      const half = rx * Math.sqrt(Math.max(0, 1 - t * t));
      left = cx - half;
      right = cx + half;
    }
    const iStart = Math.max(0, Math.ceil(left - 0.5));
    const iEnd = Math.min(width - 1, Math.floor(right - 0.5));
    for (let i = iStart; i <= iEnd; i++) visit(j * width + i);
  }
}

export interface RegionStats {
  /** Pixels whose centre is inside. */
  count: number;
  mean: number;
  /** Population standard deviation. */
  sd: number;
  min: number;
  max: number;
  /** Area of the drawn shape, mm² (px² without a spacing). */
  area: number;
}

/** Statistics of the modality values inside a region (Welford's method, in double precision). */
export function regionStats(kind: "rect" | "ellipse", a: Point, b: Point, values: FrameValues, spacing: Spacing | null): RegionStats {
  let count = 0;
  let mean = 0;
  let m2 = 0;
  let min = Infinity;
  let max = -Infinity;
  forEachPixelIn(kind, a, b, values.width, values.height, (i) => {
    const x = modalityValue(values, i);
    count++;
    const delta = x - mean;
    mean += delta / count;
    m2 += delta * (x - mean);
    if (x < min) min = x;
    if (x > max) max = x;
  });
  return {
    count,
    mean: count ? mean : NaN,
    sd: count ? Math.sqrt(m2 / count) : NaN,
    min: count ? min : NaN,
    max: count ? max : NaN,
    area: areaOf(kind, a, b, spacing),
  };
}

/** A number as a reader wants it: integers as they are, others with one decimal. */
export function fmtValue(x: number): string {
  if (!Number.isFinite(x)) return "–";
  return Number.isInteger(x) ? String(x) : x.toFixed(1);
}

/** The unit of a length (power 1) or area (power 2): mm, mm "(detector)" for Imager Pixel
 * Spacing, or px without a spacing. */
function unitOf(spacing: Spacing | null, power: 1 | 2): string {
  const sup = power === 2 ? "²" : "";
  if (!spacing) return `px${sup}`;
  return spacing.basis === "detector" ? `mm${sup} (detector)` : `mm${sup}`;
}

/** What the probe says about one pixel: position, stored value, and modality value with unit. */
export function probeText(values: FrameValues, p: Point): string | null {
  const i = Math.floor(p.x);
  const j = Math.floor(p.y);
  if (i < 0 || j < 0 || i >= values.width || j >= values.height) return null;
  const k = j * values.width + i;
  const stored = fmtValue(values.stored[k]);
  const head = `x ${i} y ${j}`;
  if (!hasModalityTransform(values)) return `${head}: ${stored}${values.unit ? ` ${values.unit}` : ""}`;
  const unit = values.unit ? ` ${values.unit}` : "";
  return `${head}: stored ${stored} → ${fmtValue(modalityValue(values, k))}${unit}`;
}

/** The label drawn next to an annotation; probes and regions need the frame's values: while they
 * load the label says "…", and `unavailable` says why there are none (a colour image, an error). */
export function annotationLabel(n: Annotation, spacing: Spacing | null, values: FrameValues | null, unavailable: string | null = null): string {
  const pending = unavailable ?? "…";
  const [a, b, c] = n.points;
  switch (n.kind) {
    case "length":
      return `${lengthOf(a, b, spacing).toFixed(1)} ${unitOf(spacing, 1)}`;
    case "angle":
      return `${angleOf(a, b, c, spacing).toFixed(1)}°`;
    case "probe":
      return values ? (probeText(values, a) ?? "outside the image") : pending;
    case "rect":
    case "ellipse": {
      const area = `Area ${areaOf(n.kind, a, b, spacing).toFixed(1)} ${unitOf(spacing, 2)}`;
      if (!values) return `${area}\n${pending}`;
      const s = regionStats(n.kind, a, b, values, spacing);
      const u = values.unit ? ` ${values.unit}` : "";
      if (s.count === 0) return `${area}\nno pixel centre inside`;
      return `Mean ${fmtValue(round1(s.mean))}${u}  SD ${s.sd.toFixed(1)}\nMin ${fmtValue(s.min)}  Max ${fmtValue(s.max)}\n${area}  (${s.count} px)`;
    }
  }
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** The outline of an annotation in image coordinates, as polylines (for drawing and hit tests). */
export function outline(n: Annotation): Point[][] {
  const [a, b, c] = n.points;
  switch (n.kind) {
    case "length":
      return [[a, b]];
    case "angle":
      return [[a, b, c]];
    case "probe":
      return [[a]];
    case "rect":
      return [[a, { x: b.x, y: a.y }, b, { x: a.x, y: b.y }, a]];
    case "ellipse": {
      const cx = (a.x + b.x) / 2;
      const cy = (a.y + b.y) / 2;
      const rx = Math.abs(b.x - a.x) / 2;
      const ry = Math.abs(b.y - a.y) / 2;
      const pts: Point[] = [];
      for (let k = 0; k <= 64; k++) {
        const t = (k / 64) * 2 * Math.PI;
        pts.push({ x: cx + rx * Math.cos(t), y: cy + ry * Math.sin(t) });
      }
      return [pts];
    }
  }
}

/** Distance from point p to segment ab. */
export function distanceToSegment(p: Point, a: Point, b: Point): number {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.min(1, Math.max(0, ((p.x - a.x) * dx + (p.y - a.y) * dy) / len2));
  return Math.hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy));
}

/** Distance from a point to an annotation's outline (all in the same coordinates). */
export function distanceToOutline(p: Point, lines: Point[][]): number {
  let best = Infinity;
  for (const line of lines) {
    if (line.length === 1) best = Math.min(best, Math.hypot(p.x - line[0].x, p.y - line[0].y));
    for (let k = 1; k < line.length; k++) best = Math.min(best, distanceToSegment(p, line[k - 1], line[k]));
  }
  return best;
}
