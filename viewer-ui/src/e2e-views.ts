// Read-only views of the UI state for the end-to-end run (src-tauri/e2e/e2e.py reads them as
// `window.__lucent`): ids, indices, windows, measurement coordinates; no patient data beyond
// what is on screen, no backend access.

import { annotations } from "./viewport";
import type { Workspace } from "./workspace";

declare global {
  interface Window {
    __lucent: unknown;
  }
}

export function exposeE2eViews(ws: Workspace): void {
  window.__lucent = {
    activeSlot: () => ws.activeSlot,
    layout: () => ws.layout,
    tool: () => ws.tool,
    viewport: (slot: number) => {
      const vp = ws.viewports[slot];
      return {
        series: vp.series?.id ?? null,
        index: vp.index,
        shown: vp.shownIndex,
        window: vp.window,
        preset: vp.presetName,
        windowFromFile: vp.windowFromFile,
        notes: vp.notesOnScreen(),
        /** The top-left pixel of the grey frame on screen (e.g. under a display shutter). */
        firstPixel: vp.frame && vp.frame.channels === 1 ? vp.frame.pixels[0] : null,
        invert: vp.invert,
        overlays: vp.overlays,
        shutters: vp.shutters,
        view: vp.view,
        spacing: vp.stack?.spacing ?? null,
        frameTimeMs: vp.stack?.frameTimeMs ?? null,
        annotations: vp.annotations.map((n) => ({ kind: n.kind, points: n.points })),
        /** The labels drawn next to the measurements, as drawn. */
        labels: vp.annotations.map((n) => vp.labelFor(n, vp.valuesOnScreen())),
      };
    },
    annotationCount: () => [...annotations.values()].reduce((n, l) => n + l.length, 0),
  };
}
