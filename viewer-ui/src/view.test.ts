import { describe, expect, it } from "vitest";
import { parseFrame, toRgba } from "./frame";
import { Latest } from "./latest";
import { applyMatrix, dragWindow, initialView, invertPoint, keyStep, linearWindow, nativeZoom, nearestSlice, rotateView, viewMatrix, wheelStep, windowText, zoomAt, zoomBy } from "./view";

describe("window maths mirror the shell (PS3.3 C.11.2.1.2.1)", () => {
  it("maps CT values like lucent-pixels", () => {
    const soft = { center: 40, width: 400 };
    expect(linearWindow(-160, soft)).toBe(0);
    expect(linearWindow(40, soft)).toBe(128);
    expect(linearWindow(240, soft)).toBe(255);
    expect(linearWindow(40, { center: 240, width: 400 })).toBe(0);
  });
  it("drag right widens, drag down raises the level, width never below 1", () => {
    const w = dragWindow({ center: 40, width: 400 }, 64, 32);
    expect(w.width).toBeCloseTo(500);
    expect(w.center).toBeCloseTo(90);
    expect(dragWindow({ center: 0, width: 2 }, -1000, 0).width).toBe(1);
  });
});

describe("input mapping", () => {
  it("one wheel event is one slice in the sign of deltaY", () => {
    expect(wheelStep(5, 120, 10)).toBe(6);
    expect(wheelStep(5, -3, 10)).toBe(4);
    expect(wheelStep(9, 1, 10)).toBe(9);
    expect(wheelStep(0, -1, 10)).toBe(0);
    expect(wheelStep(3, 0, 10)).toBe(3);
  });
  it("keys move one slice, Home/End jump, others are ignored", () => {
    expect(keyStep(3, "ArrowDown", 10)).toBe(4);
    expect(keyStep(3, "PageUp", 10)).toBe(2);
    expect(keyStep(3, "End", 10)).toBe(9);
    expect(keyStep(3, "x", 10)).toBeNull();
  });
  it("fit centres the image and zoom is clamped", () => {
    const m = viewMatrix(1000, 500, 512, 512, initialView());
    expect(m.a).toBeCloseTo(500 / 512);
    expect(m.e).toBeCloseTo(250);
    expect(zoomBy(initialView(), 1000).zoom).toBe(64);
  });
});

describe("binary frames", () => {
  it("parses the 28-byte header and expands grey to RGBA", () => {
    const buf = new ArrayBuffer(28 + 2);
    const v = new DataView(buf);
    [2, 1, 1, 3, 4, 2, 0].forEach((x, i) => v.setUint32(i * 4, x, true));
    new Uint8Array(buf, 28).set([10, 200]);
    const f = parseFrame(buf);
    expect([f.width, f.height, f.channels, f.lossy, f.downsampled, f.fullWidth]).toEqual([2, 1, 1, true, true, 4]);
    expect(f.notes).toEqual([]);
    expect(Array.from(toRgba(f))).toEqual([10, 10, 10, 255, 200, 200, 200, 255]);
    expect(() => parseFrame(new ArrayBuffer(27))).toThrow();
  });

  it("reads the notes after the pixels, one per line, and refuses a wrong length", () => {
    const text = new TextEncoder().encode("W 0.215 L 0.108: narrower than 1\nVOI LUT Sequence ignored");
    const buf = new ArrayBuffer(28 + 2 + text.length);
    const v = new DataView(buf);
    [2, 1, 1, 0, 2, 1, text.length].forEach((x, i) => v.setUint32(i * 4, x, true));
    new Uint8Array(buf, 28).set([10, 200]);
    new Uint8Array(buf, 30).set(text);
    const f = parseFrame(buf);
    expect(Array.from(f.pixels)).toEqual([10, 200]);
    expect(f.notes).toEqual(["W 0.215 L 0.108: narrower than 1", "VOI LUT Sequence ignored"]);
    v.setUint32(24, text.length + 1, true);
    expect(() => parseFrame(buf)).toThrow();
  });
});

describe("latest-request coalescing", () => {
  it("runs the first and the last of a burst, skipping the middle", async () => {
    const seen: number[] = [];
    const latest = new Latest<number>((v) => seen.push(v), () => {});
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    latest.submit(async () => {
      await gate;
      return 1;
    });
    latest.submit(async () => 2);
    latest.submit(async () => 3);
    release();
    await new Promise((r) => setTimeout(r, 10));
    expect(seen).toEqual([1, 3]);
  });
});

import { visibleTiles } from "./view";

describe("tiles of the visible region", () => {
  it("fit view of 4000×5000 in 1000×800 uses a coarse level covering everything", () => {
    const m = viewMatrix(1000, 800, 4000, 5000, initialView());
    const v = visibleTiles(m, 1000, 800, 4000, 5000);
    expect(v.level).toBe(2); // scale 0.16 → level 2 (1 px ≈ 4 full-res px)
    expect(v.tiles.length).toBe(4 * 5);
  });
  it("zoomed in: full-resolution tiles of the visible region only", () => {
    const m = { a: 1, b: 0, c: 0, d: 1, e: -1000, f: -2000 };
    const v = visibleTiles(m, 600, 300, 4000, 5000);
    expect(v.level).toBe(0);
    // x 1000–1600 → columns 3–6; y 2000–2300 → rows 7–8.
    expect(v.tiles).toEqual([
      [3, 7],
      [4, 7],
      [5, 7],
      [6, 7],
      [3, 8],
      [4, 8],
      [5, 8],
      [6, 8],
    ]);
  });
});

import { spacingText } from "./view";

describe("spacingText", () => {
  it("says when the spacing is only known at the detector (Imager Pixel Spacing)", () => {
    expect(spacingText({ rowMm: 0.703125, columnMm: 0.703125, basis: "patient" })).toBe("0.703 × 0.703 mm/px");
    expect(spacingText({ rowMm: 0.143, columnMm: 0.143, basis: "detector" })).toBe("0.143 × 0.143 mm/px at detector");
    expect(spacingText({ rowMm: 2, columnMm: 1.5, basis: "patient" })).toBe("2.00 × 1.50 mm/px");
    expect(spacingText(null)).toBe("");
  });
});

describe("view transforms never resample: rotate, flip, zoom are one matrix", () => {
  const W = 800;
  const H = 600;
  const corner = (view: ReturnType<typeof initialView>) => applyMatrix(viewMatrix(W, H, 400, 200, view), 0, 0);
  it("rotating clockwise puts the image's top-left corner at the top right", () => {
    const v = rotateView(initialView(), 1);
    const [x, y] = corner(v);
    const [cx, cy] = applyMatrix(viewMatrix(W, H, 400, 200, v), 200, 100);
    expect([cx, cy]).toEqual([W / 2, H / 2]); // the image centre stays in the centre
    expect(x).toBeGreaterThan(W / 2);
    expect(y).toBeLessThan(H / 2);
    // Fit uses the rotated sides: 200 px wide on screen → limited by height 600 / 400.
    expect(Math.hypot(viewMatrix(W, H, 400, 200, v).a, viewMatrix(W, H, 400, 200, v).b)).toBeCloseTo(1.5);
  });
  it("four quarter turns are the identity; flips are screen-relative and undo themselves", () => {
    let v = initialView();
    for (let k = 0; k < 4; k++) v = rotateView(v, 1);
    expect(v.rotation).toBe(0);
    const flipped = { ...initialView(), flipH: true };
    const [x] = corner(flipped);
    expect(x).toBeGreaterThan(W / 2); // the left edge is now on the right
    // With a horizontal flip, "rotate clockwise" still turns the picture clockwise on screen.
    const r = rotateView(flipped, 1);
    const m = viewMatrix(W, H, 400, 200, r);
    const unit = (x: number, y: number) => [x / Math.hypot(x, y), y / Math.hypot(x, y)];
    const [ux, uy] = unit(m.a, m.b); // where image +x points on screen
    const m0 = viewMatrix(W, H, 400, 200, flipped);
    const [vx, vy] = unit(m0.a, m0.b);
    // Clockwise on screen (y down): (x, y) → (−y, x).
    expect(ux).toBeCloseTo(-vy);
    expect(uy).toBeCloseTo(vx);
  });
  it("canvas ↔ image round-trips under any rotation and flip", () => {
    for (const rotation of [0, 1, 2, 3] as const)
      for (const flipH of [false, true])
        for (const flipV of [false, true]) {
          const m = viewMatrix(W, H, 512, 384, { zoom: 2.5, panX: 31, panY: -17, rotation, flipH, flipV });
          const [cx, cy] = applyMatrix(m, 100.25, 300.5);
          const [ix, iy] = invertPoint(m, cx, cy);
          expect(ix).toBeCloseTo(100.25, 9);
          expect(iy).toBeCloseTo(300.5, 9);
        }
  });
  it("zoom at a point keeps the image point under it; 1:1 is one image pixel per canvas pixel", () => {
    const v = { ...initialView(), panX: 20 };
    const before = invertPoint(viewMatrix(W, H, 512, 512, v), 300, 200);
    const z = zoomAt(v, 3, 300, 200, W, H);
    const after = invertPoint(viewMatrix(W, H, 512, 512, z), 300, 200);
    expect(after[0]).toBeCloseTo(before[0], 9);
    expect(after[1]).toBeCloseTo(before[1], 9);
    const native = { ...initialView(), zoom: nativeZoom(W, H, 512, 512, 0) };
    expect(viewMatrix(W, H, 512, 512, native).a).toBeCloseTo(1, 12);
  });
});

describe("synchronised scrolling", () => {
  it("picks the nearest slice, with locations negated for an opposite normal", () => {
    const locations = [0, 2.5, 5, null, 10];
    expect(nearestSlice(locations, 4.9, true)).toBe(2);
    expect(nearestSlice(locations, 9, true)).toBe(4);
    expect(nearestSlice(locations, -2.4, false)).toBe(1);
    expect(nearestSlice([null, null], 0, true)).toBeNull();
  });
});

describe("small windows", () => {
  it("drags a window narrower than 1 in steps of its own size, never up to 1", () => {
    const w = dragWindow({ center: 0.108, width: 0.215 }, 10, -10);
    expect(w.width).toBeCloseTo(0.215 + 10 * (0.215 / 256), 9);
    expect(w.center).toBeCloseTo(0.108 - 10 * (0.215 / 256), 9);
    expect(dragWindow({ center: 0.1, width: 0.2 }, -100000, 0).width).toBeCloseTo(0.002, 9);
    expect(dragWindow({ center: 40, width: 400 }, -100000, 0).width).toBe(1);
  });

  it("shows window values with the digits that matter", () => {
    expect([windowText(400), windowText(-600), windowText(0.215), windowText(0.10753), windowText(12.5), windowText(1234.6)]).toEqual(["400", "-600", "0.215", "0.108", "12.5", "1235"]);
  });
});
