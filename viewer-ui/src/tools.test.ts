/// <reference types="vite/client" />
import html from "../index.html?raw";
import { describe, expect, it } from "vitest";
import { actionForKey, SHORTCUTS } from "./keys";
import { directionLabel, screenMarkers, sliceNormal } from "./orientation";
import { CT_PRESETS, presetForKey, presetsFor } from "./presets";
import { initialView, rotateView, viewMatrix } from "./view";

const AXIAL = [1, 0, 0, 0, 1, 0];
const CORONAL = [1, 0, 0, 0, 0, -1];
const SAGITTAL = [0, 1, 0, 0, 0, -1];

describe("orientation markers from Image Orientation (Patient) (PS3.3 C.7.6.2.1.1)", () => {
  const m = (view = initialView()) => viewMatrix(512, 512, 512, 512, view);
  it("axial, coronal and sagittal in the radiological convention", () => {
    expect(screenMarkers(AXIAL, m(), null)).toEqual({ left: "R", right: "L", top: "A", bottom: "P" });
    expect(screenMarkers(CORONAL, m(), null)).toEqual({ left: "R", right: "L", top: "H", bottom: "F" });
    expect(screenMarkers(SAGITTAL, m(), null)).toEqual({ left: "A", right: "P", top: "H", bottom: "F" });
  });
  it("follow rotation and flips", () => {
    expect(screenMarkers(AXIAL, m({ ...initialView(), flipH: true }), null)).toEqual({ left: "L", right: "R", top: "A", bottom: "P" });
    expect(screenMarkers(AXIAL, m({ ...initialView(), flipV: true }), null)).toEqual({ left: "R", right: "L", top: "P", bottom: "A" });
    // A quarter turn clockwise: what was at the top (anterior) is now on the right.
    expect(screenMarkers(AXIAL, m(rotateView(initialView(), 1)), null)).toEqual({ left: "P", right: "A", top: "R", bottom: "L" });
  });
  it("oblique planes name their two strongest directions; no orientation, no markers", () => {
    const c = Math.cos(Math.PI / 6);
    const s = Math.sin(Math.PI / 6);
    expect(directionLabel([c, 0, s])).toBe("LH");
    expect(directionLabel([0.99, 0.1, 0])).toBe("L");
    expect(screenMarkers(null, m(), null)).toBeNull();
    expect(sliceNormal(AXIAL)).toEqual([0, 0, 1]);
  });
});

describe("window presets", () => {
  it("CT: the eight presets on 1–8, the file's windows on 0 (cycling)", () => {
    expect(CT_PRESETS.map((p) => p.name)).toEqual(["Brain", "Subdural", "Stroke", "Lung", "Mediastinum", "Abdomen", "Liver", "Bone"]);
    expect(presetForKey("4", "CT", [], null)?.window).toEqual({ center: -600, width: 1500 });
    expect(presetForKey("1", "CT", [], null)?.window).toEqual({ center: 40, width: 80 });
    const file: [number, number][] = [
      [40, 400],
      [-600, 1600],
    ];
    expect(presetForKey("0", "CT", file, null)?.name).toBe("File 1");
    expect(presetForKey("0", "CT", file, "File 1")?.window).toEqual({ center: -600, width: 1600 });
    expect(presetForKey("0", "CT", file, "File 2")?.name).toBe("File 1");
  });
  it("other modalities: the file's windows on 1–9, no HU presets", () => {
    expect(presetsFor("MR", [[600, 1200]]).map((p) => [p.key, p.name])).toEqual([["1", "File"]]);
    expect(presetForKey("4", "MR", [[600, 1200]], null)).toBeNull();
    expect(presetForKey("0", "US", [], null)).toBeNull();
  });
});

describe("every action is reachable by keyboard", () => {
  const toolbarActions = [...html.matchAll(/data-action="([a-z0-9-]+)"/g)].map((m) => m[1]);
  it("each toolbar button's action has a shortcut in the help table", () => {
    expect(toolbarActions.length).toBeGreaterThan(20);
    for (const a of toolbarActions) expect(SHORTCUTS.some((s) => s.action === a), a).toBe(true);
  });
  it("no key runs two actions", () => {
    const seen = new Map<string, string>();
    for (const s of SHORTCUTS)
      for (const k of s.keys) {
        expect(seen.get(k), `${k}: ${seen.get(k)} and ${s.action}`).toBeUndefined();
        seen.set(k, s.action);
      }
  });
  const press = (key: string, mods: Partial<{ shiftKey: boolean; ctrlKey: boolean }> = {}) =>
    actionForKey({ key, shiftKey: false, ctrlKey: false, altKey: false, metaKey: false, ...mods });
  it("keys map to actions as the help says", () => {
    expect(press("l")).toBe("tool-length");
    expect(press("L", { shiftKey: true })).toBeNull(); // Shift+letter is left free
    expect(press("4")).toBe("preset");
    expect(press("$", { shiftKey: true })).toBe("layout-2x2");
    expect(press("?", { shiftKey: true })).toBe("help");
    expect(press("Delete")).toBe("delete-annotation");
    expect(press("Delete", { shiftKey: true })).toBe("clear-annotations");
    expect(press("ArrowDown")).toBe("next-slice");
    expect(press("ArrowDown", { shiftKey: true })).toBe("next-series");
    expect(press("o", { ctrlKey: true })).toBeNull(); // Ctrl+O is the menu's
    expect(press("o")).toBe("overlays");
    expect(press("O", { shiftKey: true })).toBeNull();
    expect(press(" ")).toBe("cine");
  });
});
