// Synchronised scrolling: when a viewport moves to a frame, the other visible viewports in the
// same frame of reference whose slices are parallel move to their slice nearest in location
// (PS3.3 C.7.4.1.1.1: one Frame of Reference UID, one patient coordinate system).

import { sliceNormal } from "./orientation";
import { nearestSlice } from "./view";
import type { StackDto } from "./viewport";

/** What synchronised scrolling reads and moves of a viewport. */
export interface ScrollableViewport {
  readonly stack: StackDto | null;
  readonly index: number;
  /** Moves to frame `i` (clamped); returns whether the index changed. */
  setIndex(i: number): boolean;
}

/** Slices whose normals' dot product is below this are not parallel: a different plane. */
const PARALLEL = 0.99;

/** The frame of `other` to show when `from` shows frame `index`, or null when it does not follow
 * (no shared frame of reference, no orientation, not parallel, no locations). */
export function syncedIndex(from: StackDto, index: number, other: StackDto): number | null {
  const loc = from.locations[index];
  const n1 = sliceNormal(from.orientation ?? null);
  if (!from.frameOfReference || loc == null || !n1) return null;
  if (other.frameOfReference !== from.frameOfReference) return null;
  const n2 = sliceNormal(other.orientation);
  if (!n2) return null;
  const dot = n1[0] * n2[0] + n1[1] * n2[1] + n1[2] * n2[2];
  if (Math.abs(dot) < PARALLEL) return null;
  return nearestSlice(other.locations, loc, dot > 0);
}

/** Moves a viewport to a frame and, with sync on, the others in its frame of reference. */
export function scrollTo(vp: ScrollableViewport, index: number, sync: boolean, visible: readonly ScrollableViewport[]): void {
  if (!vp.setIndex(index) || !sync) return;
  const st = vp.stack;
  if (!st) return;
  for (const other of visible) {
    const o = other.stack;
    if (other === vp || !o) continue;
    const j = syncedIndex(st, vp.index, o);
    if (j !== null) other.setIndex(j);
  }
}
