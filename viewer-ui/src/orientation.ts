// Orientation markers (PS3.3 C.7.6.2.1.1): which patient direction lies toward each edge of the
// screen, from Image Orientation (Patient) and the current view transform (rotation and flips
// included). Patient axes are LPS: +x left, +y posterior, +z head.

import type { Affine, Spacing } from "./view";

type Vec3 = [number, number, number];

const LETTERS: [string, string][] = [
  ["L", "R"],
  ["P", "A"],
  ["H", "F"],
];

/** The letters of a patient direction, strongest component first; components under 0.25 of the
 * vector's length are left out (a slightly oblique axial image still says "L", not "LPH"). */
export function directionLabel(v: Vec3): string {
  const n = Math.hypot(...v);
  if (!(n > 0)) return "";
  return [0, 1, 2]
    .filter((k) => Math.abs(v[k]) / n >= 0.25)
    .sort((p, q) => Math.abs(v[q]) - Math.abs(v[p]))
    .map((k) => LETTERS[k][v[k] > 0 ? 0 : 1])
    .join("");
}

export interface Markers {
  left: string;
  right: string;
  top: string;
  bottom: string;
}

/**
 * The markers for the four screen edges. `orientation` is the row direction (toward increasing
 * column) then the column direction (toward increasing row); the view matrix maps image to canvas.
 * Anisotropic pixels are taken into account through the spacing.
 */
export function screenMarkers(orientation: number[] | null, m: Affine, spacing: Spacing | null): Markers | null {
  if (!orientation || orientation.length !== 6 || !orientation.every(Number.isFinite)) return null;
  const row = orientation.slice(0, 3);
  const col = orientation.slice(3, 6);
  const det = m.a * m.d - m.b * m.c;
  if (det === 0) return null;
  // Image direction (in pixels) of a screen direction: the inverse of the linear part.
  const toImage = (x: number, y: number): [number, number] => [(m.d * x - m.c * y) / det, (-m.b * x + m.a * y) / det];
  const cs = spacing?.columnMm ?? 1;
  const rs = spacing?.rowMm ?? 1;
  const patient = (x: number, y: number): Vec3 => {
    const [i, j] = toImage(x, y);
    return [0, 1, 2].map((k) => i * cs * row[k] + j * rs * col[k]) as Vec3;
  };
  return {
    right: directionLabel(patient(1, 0)),
    left: directionLabel(patient(-1, 0)),
    bottom: directionLabel(patient(0, 1)),
    top: directionLabel(patient(0, -1)),
  };
}

/** The slice normal (row × column), for deciding whether two stacks are parallel. */
export function sliceNormal(orientation: number[] | null): Vec3 | null {
  if (!orientation || orientation.length !== 6) return null;
  const [a, b, c, d, e, f] = orientation;
  const n: Vec3 = [b * f - c * e, c * d - a * f, a * e - b * d];
  const len = Math.hypot(...n);
  return len > 0 ? (n.map((x) => x / len) as Vec3) : null;
}
