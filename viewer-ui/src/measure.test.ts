import { describe, expect, it } from "vitest";
import { angleOf, annotationLabel, areaOf, FrameValues, lengthOf, parseValues, probeText, regionStats, spacingFor } from "./measure";
import { type Spacing, spacingText, type UltrasoundRegion } from "./view";

// A generated CT phantom with known Hounsfield values, stored as the generator stores CT
// (HU = stored − 1024): water background, a bone disc, a liver square, and a checkerboard of
// −100/+100 HU whose mean (0) and population SD (100) are known exactly.
const SIZE = 256;
const INTERCEPT = -1024;
const BONE = { cx: 80, cy: 80, r: 40, hu: 1000 };
const LIVER = { x0: 150, y0: 40, x1: 220, y1: 110, hu: 60 };
const CHECKER = { x0: 40, y0: 160, x1: 120, y1: 240 };

function phantomHu(i: number, j: number): number {
  const [x, y] = [i + 0.5, j + 0.5];
  if ((x - BONE.cx) ** 2 + (y - BONE.cy) ** 2 <= BONE.r ** 2) return BONE.hu;
  if (x >= LIVER.x0 && x < LIVER.x1 && y >= LIVER.y0 && y < LIVER.y1) return LIVER.hu;
  if (x >= CHECKER.x0 && x < CHECKER.x1 && y >= CHECKER.y0 && y < CHECKER.y1) return (i + j) % 2 ? 100 : -100;
  return 0;
}

function phantom(): FrameValues {
  const stored = new Float32Array(SIZE * SIZE);
  for (let j = 0; j < SIZE; j++) for (let i = 0; i < SIZE; i++) stored[j * SIZE + i] = phantomHu(i, j) - INTERCEPT;
  return { width: SIZE, height: SIZE, stored, slope: 1, intercept: INTERCEPT, table: null, unit: "HU" };
}

/** Independent reference: every pixel centre tested against the shape's own inequality. */
function reference(kind: "rect" | "ellipse", a: { x: number; y: number }, b: { x: number; y: number }) {
  const xs: number[] = [];
  const [x0, x1, y0, y1] = [Math.min(a.x, b.x), Math.max(a.x, b.x), Math.min(a.y, b.y), Math.max(a.y, b.y)];
  for (let j = 0; j < SIZE; j++)
    for (let i = 0; i < SIZE; i++) {
      const [x, y] = [i + 0.5, j + 0.5];
      const inside =
        kind === "rect"
          ? x >= x0 && x <= x1 && y >= y0 && y <= y1
          : ((x - (x0 + x1) / 2) / ((x1 - x0) / 2)) ** 2 + ((y - (y0 + y1) / 2) / ((y1 - y0) / 2)) ** 2 <= 1;
      if (inside) xs.push(phantomHu(i, j));
    }
  const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((s, v) => s + (v - mean) ** 2, 0) / xs.length);
  return { count: xs.length, mean, sd, min: Math.min(...xs), max: Math.max(...xs) };
}

const CT: Spacing = { rowMm: 0.5, columnMm: 0.7, basis: "patient" };

describe("lengths and angles use the pixel spacing (PS3.3 10.7.1.3), anisotropic included", () => {
  it("mm along rows, columns and diagonals", () => {
    expect(lengthOf({ x: 10, y: 5 }, { x: 20, y: 5 }, CT)).toBeCloseTo(7, 12); // 10 columns × 0.7
    expect(lengthOf({ x: 10, y: 5 }, { x: 10, y: 15 }, CT)).toBeCloseTo(5, 12); // 10 rows × 0.5
    const sq: Spacing = { rowMm: 2, columnMm: 2, basis: "patient" };
    expect(lengthOf({ x: 0, y: 0 }, { x: 3, y: 4 }, sq)).toBeCloseTo(10, 12);
    expect(lengthOf({ x: 0, y: 0 }, { x: 3, y: 4 }, null)).toBeCloseTo(5, 12); // pixels
  });
  it("angles are measured in the patient, not on the pixel grid", () => {
    expect(angleOf({ x: 10, y: 0 }, { x: 0, y: 0 }, { x: 0, y: 10 }, CT)).toBeCloseTo(90, 10);
    // 10 columns (7 mm) and 14 rows (7 mm): 45° in the patient although the pixel grid says 54.5°.
    expect(angleOf({ x: 10, y: 0 }, { x: 0, y: 0 }, { x: 10, y: 14 }, CT)).toBeCloseTo(45, 10);
    expect(angleOf({ x: 10, y: 0 }, { x: 0, y: 0 }, { x: 10, y: 14 }, null)).toBeCloseTo((Math.atan2(14, 10) * 180) / Math.PI, 10);
    expect(angleOf({ x: 1, y: 1 }, { x: 0, y: 0 }, { x: -1, y: -1 }, null)).toBeCloseTo(180, 10);
    expect(angleOf({ x: 0, y: 0 }, { x: 0, y: 0 }, { x: 1, y: 1 }, null)).toBe(0); // degenerate arm
  });
  it("areas are of the drawn shape in mm²", () => {
    expect(areaOf("rect", { x: 0, y: 0 }, { x: 10, y: 20 }, CT)).toBeCloseTo(7 * 10, 10);
    expect(areaOf("ellipse", { x: 0, y: 0 }, { x: 10, y: 20 }, CT)).toBeCloseTo(Math.PI * 3.5 * 5, 10);
  });
  it("labels say mm, or mm at the detector for Imager Pixel Spacing, or px", () => {
    const det: Spacing = { rowMm: 0.2, columnMm: 0.2, basis: "detector" };
    expect(annotationLabel({ kind: "length", points: [{ x: 0, y: 0 }, { x: 0, y: 50 }] }, det, null)).toBe("10.0 mm (detector)");
    expect(annotationLabel({ kind: "length", points: [{ x: 0, y: 0 }, { x: 0, y: 50 }] }, null, null)).toBe("50.0 px");
    expect(annotationLabel({ kind: "rect", points: [{ x: 0, y: 0 }, { x: 10, y: 10 }] }, det, null)).toContain("mm² (detector)");
  });
});

describe("ROI statistics on a generated phantom with known HU", () => {
  const values = phantom();
  it("an ellipse inside the bone disc reads exactly 1000 HU, SD 0", () => {
    const a = { x: 60, y: 65 };
    const b = { x: 100, y: 95 };
    const s = regionStats("ellipse", a, b, values, CT);
    const ref = reference("ellipse", a, b);
    expect(s.count).toBe(ref.count);
    expect([s.mean, s.sd, s.min, s.max]).toEqual([1000, 0, 1000, 1000]);
    expect(s.area).toBeCloseTo(Math.PI * (20 * 0.7) * (15 * 0.5), 10);
    // The pixel count approximates the area: within 3 % for this size.
    expect(Math.abs((s.count * 0.7 * 0.5) / s.area - 1)).toBeLessThan(0.03);
  });
  it("a rectangle in the liver square reads 60 HU", () => {
    const s = regionStats("rect", { x: 160, y: 50 }, { x: 200, y: 100 }, values, CT);
    expect([s.mean, s.sd, s.min, s.max, s.count]).toEqual([60, 0, 60, 60, 40 * 50]);
  });
  it("the checkerboard gives mean 0 and population SD 100", () => {
    const s = regionStats("rect", { x: 40, y: 160 }, { x: 120, y: 240 }, values, CT);
    expect(s.mean).toBeCloseTo(0, 10);
    expect(s.sd).toBeCloseTo(100, 10);
    expect([s.min, s.max, s.count]).toEqual([-100, 100, 80 * 80]);
  });
  it("regions across edges match an independent pixel-by-pixel computation", () => {
    const cases: ["rect" | "ellipse", { x: number; y: number }, { x: number; y: number }][] = [
      ["ellipse", { x: 30.3, y: 50.8 }, { x: 170.6, y: 130.2 }], // bone, water and liver
      ["rect", { x: 110.5, y: 90.5 }, { x: 20.25, y: 200.75 }], // drawn right-to-left, bone + checkerboard
      ["ellipse", { x: -20, y: -20 }, { x: 40, y: 40 }], // partly outside the image
      ["rect", { x: 100, y: 100 }, { x: 100.4, y: 180 }], // thinner than a pixel: may be empty
    ];
    for (const [kind, a, b] of cases) {
      const s = regionStats(kind, a, b, values, CT);
      const ref = reference(kind, a, b);
      expect(s.count).toBe(ref.count);
      if (ref.count === 0) {
        expect(Number.isNaN(s.mean)).toBe(true);
        continue;
      }
      expect(s.mean).toBeCloseTo(ref.mean, 8);
      expect(s.sd).toBeCloseTo(ref.sd, 8);
      expect([s.min, s.max]).toEqual([ref.min, ref.max]);
    }
  });
  it("a region with no pixel centre inside says so instead of showing NaN", () => {
    const label = annotationLabel({ kind: "rect", points: [{ x: 100.1, y: 100.1 }, { x: 100.4, y: 180 }] }, CT, values);
    expect(label).toMatch(/no pixel centre inside$/);
    expect(label).not.toContain("NaN");
  });
  it("a Modality LUT table is used instead of the rescale", () => {
    const table = new Float32Array(SIZE * SIZE).fill(7);
    const s = regionStats("rect", { x: 0, y: 0 }, { x: 4, y: 4 }, { ...values, table }, null);
    expect([s.mean, s.count, s.area]).toEqual([7, 16, 16]);
  });
  it("the label shows mean, SD, min, max and area with the unit", () => {
    const label = annotationLabel({ kind: "ellipse", points: [{ x: 60, y: 65 }, { x: 100, y: 95 }] }, CT, values);
    expect(label).toMatch(/^Mean 1000 HU {2}SD 0\.0\nMin 1000 {2}Max 1000\nArea 329\.9 mm² {2}\(\d+ px\)$/);
  });
});

describe("pixel probe and the binary values layout", () => {
  it("parses the shell's layout (header, stored f32, unit) and reads stored → HU", () => {
    const n = 3 * 2;
    const unit = "HU";
    const buf = new ArrayBuffer(32 + 4 * n + unit.length);
    const v = new DataView(buf);
    v.setUint32(0, 3, true);
    v.setUint32(4, 2, true);
    v.setUint32(8, 0, true);
    v.setUint32(12, unit.length, true);
    v.setFloat64(16, 1, true);
    v.setFloat64(24, -1024, true);
    new Float32Array(buf, 32, n).set([0, 1024, 1064, 2024, 3000, -976]);
    new Uint8Array(buf, 32 + 4 * n).set([...unit].map((c) => c.charCodeAt(0)));
    const values = parseValues(buf);
    expect(values.unit).toBe("HU");
    expect(probeText(values, { x: 2.7, y: 0.1 })).toBe("x 2 y 0: stored 1064 → 40 HU");
    expect(probeText(values, { x: 2.2, y: 1.9 })).toBe("x 2 y 1: stored -976 → -2000 HU");
    expect(probeText(values, { x: 3.01, y: 0 })).toBeNull();
    expect(() => parseValues(buf.slice(0, 40))).toThrow();
  });
  it("without a modality transform the probe shows one value", () => {
    const values: FrameValues = { width: 1, height: 1, stored: new Float32Array([42]), slope: 1, intercept: 0, table: null, unit: null };
    expect(probeText(values, { x: 0.5, y: 0.5 })).toBe("x 0 y 0: 42");
  });
});

describe("ultrasound regions calibrate measurements on images without Pixel Spacing (PS3.3 C.8.5.5)", () => {
  const regions: UltrasoundRegion[] = [
    { bounds: [84, 31, 595, 414], rowMm: 0.51, columnMm: 0.51 },
    { bounds: [0, 420, 639, 479], rowMm: 2, columnMm: 1 },
  ];
  it("a measurement inside one region uses its mm per pixel; across regions or outside, pixels", () => {
    const inside = [{ x: 100, y: 40 }, { x: 200, y: 40 }];
    const s = spacingFor(inside, null, regions);
    expect(s).toEqual({ rowMm: 0.51, columnMm: 0.51, basis: "region" });
    expect(annotationLabel({ kind: "length", points: inside }, s, null)).toBe("51.0 mm");
    expect(spacingFor([{ x: 100, y: 40 }, { x: 100, y: 450 }], null, regions)).toBeNull(); // two regions
    expect(spacingFor([{ x: 10, y: 10 }], null, regions)).toBeNull(); // outside every region
    // The region's last pixel row is inside up to its far edge.
    expect(spacingFor([{ x: 595.9, y: 414.9 }], null, regions)?.basis).toBe("region");
    expect(spacingFor([{ x: 596, y: 100 }], null, regions)).toBeNull();
  });
  it("Pixel Spacing wins over regions, and the corner says which calibration is in use", () => {
    expect(spacingFor([{ x: 100, y: 40 }], CT, regions)).toBe(CT);
    expect(spacingText(null, regions)).toBe("0.510 × 0.510 mm/px in US region (+1)");
    expect(spacingText(null, [])).toBe("");
  });
});
