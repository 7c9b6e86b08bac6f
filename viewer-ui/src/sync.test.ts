import { describe, expect, it } from "vitest";
import { ScrollableViewport, scrollTo, syncedIndex } from "./sync";
import type { StackDto } from "./viewport";

const AXIAL = [1, 0, 0, 0, 1, 0];
const AXIAL_REVERSED = [1, 0, 0, 0, -1, 0]; // normal (0, 0, −1)
const CORONAL = [1, 0, 0, 0, 0, -1];

const stack = (locations: (number | null)[], orientation: number[] | null = AXIAL, frameOfReference: string | null = "for-1"): StackDto => ({
  frames: locations.length,
  locations,
  windows: [],
  defaultWindow: null,
  frameTimeMs: null,
  spacing: null,
  orientation,
  frameOfReference,
  modality: "CT",
  ultrasoundRegions: [],
});

/** 20 slices 2.5 mm apart, and a 10-slice 5 mm reconstruction of the same volume. */
const THIN = stack(Array.from({ length: 20 }, (_, i) => i * 2.5));
const THICK = stack(Array.from({ length: 10 }, (_, i) => i * 5));

class FakeViewport implements ScrollableViewport {
  moves: number[] = [];
  constructor(
    public stack: StackDto | null,
    public index = 0,
  ) {}
  setIndex(i: number): boolean {
    if (!this.stack) return false;
    const clamped = Math.min(this.stack.frames - 1, Math.max(0, i));
    if (clamped === this.index) return false;
    this.index = clamped;
    this.moves.push(clamped);
    return true;
  }
}

describe("synchronised scrolling (same frame of reference, parallel slices)", () => {
  it("the other stack goes to its slice nearest in location", () => {
    expect(syncedIndex(THIN, 8, THICK)).toBe(4); // 20 mm → 20 mm
    expect(syncedIndex(THIN, 9, THICK)).toBe(4); // 22.5 mm: 20 and 25 are as near, the first wins
    expect(syncedIndex(THIN, 11, THICK)).toBe(5); // 27.5 mm → 25 mm
    expect(syncedIndex(THICK, 3, THIN)).toBe(6); // 15 mm → 15 mm
  });

  it("a stack whose normal points the other way is matched on negated locations", () => {
    const reversed = stack(Array.from({ length: 10 }, (_, i) => -i * 5), AXIAL_REVERSED);
    expect(syncedIndex(THIN, 8, reversed)).toBe(4);
  });

  it("another frame of reference, another plane, or no geometry: no move", () => {
    expect(syncedIndex(THIN, 8, stack(THICK.locations, AXIAL, "for-2"))).toBeNull();
    expect(syncedIndex(THIN, 8, stack(THICK.locations, CORONAL))).toBeNull();
    expect(syncedIndex(THIN, 8, stack(THICK.locations, null))).toBeNull();
    expect(syncedIndex(stack(THIN.locations, AXIAL, null), 8, stack(THICK.locations, AXIAL, null))).toBeNull();
    expect(syncedIndex(THIN, 8, stack([null, null]))).toBeNull();
    expect(syncedIndex(stack([0, null, 5]), 1, THICK)).toBeNull();
  });

  it("scrollTo moves the others with sync on, only the one scrolled with it off", () => {
    const a = new FakeViewport(THIN);
    const b = new FakeViewport(THICK);
    const other = new FakeViewport(stack(THICK.locations, AXIAL, "for-2"));
    const empty = new FakeViewport(null);
    scrollTo(a, 8, true, [a, b, other, empty]);
    expect([a.index, b.index, other.index]).toEqual([8, 4, 0]);
    expect(a.moves).toEqual([8]);
    scrollTo(a, 12, false, [a, b]);
    expect([a.index, b.index]).toEqual([12, 4]);
  });

  it("a scroll that does not move the viewport (at the end) moves no other", () => {
    const a = new FakeViewport(THIN, 19);
    const b = new FakeViewport(THICK, 0);
    scrollTo(a, 25, true, [a, b]);
    expect(b.moves).toEqual([]);
  });
});
