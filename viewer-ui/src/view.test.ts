import { describe, expect, it } from "vitest";
import { parseFrame, toRgba } from "./frame";
import { Latest } from "./latest";
import { dragWindow, imageTransform, initialView, keyStep, linearWindow, wheelStep, zoomBy } from "./view";

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
    const t = imageTransform(1000, 500, 512, 512, initialView());
    expect(t.scale).toBeCloseTo(500 / 512);
    expect(t.x).toBeCloseTo(250);
    expect(zoomBy(initialView(), 1000).zoom).toBe(32);
  });
});

describe("binary frames", () => {
  it("parses the 24-byte header and expands grey to RGBA", () => {
    const buf = new ArrayBuffer(24 + 2);
    const v = new DataView(buf);
    [2, 1, 1, 3, 4, 2].forEach((x, i) => v.setUint32(i * 4, x, true));
    new Uint8Array(buf, 24).set([10, 200]);
    const f = parseFrame(buf);
    expect([f.width, f.height, f.channels, f.lossy, f.downsampled, f.fullWidth]).toEqual([2, 1, 1, true, true, 4]);
    expect(Array.from(toRgba(f))).toEqual([10, 10, 10, 255, 200, 200, 200, 255]);
    expect(() => parseFrame(new ArrayBuffer(25))).toThrow();
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
    const t = imageTransform(1000, 800, 4000, 5000, initialView());
    const v = visibleTiles(t, 1000, 800, 4000, 5000);
    expect(v.level).toBe(2); // scale 0.16 → level 2 (1 px ≈ 4 full-res px)
    expect(v.tiles.length).toBe(4 * 5);
  });
  it("zoomed in: full-resolution tiles of the visible region only", () => {
    const t = { scale: 1, x: -1000, y: -2000 };
    const v = visibleTiles(t, 600, 300, 4000, 5000);
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
