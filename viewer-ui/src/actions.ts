// What each action of ./keys.ts does, for the keyboard and the toolbar alike, and the keydown
// handler (which keys reach the actions while a control has the focus).

import type { Cine } from "./cine";
import type { Tool } from "./gestures";
import { Action, actionForKey } from "./keys";
import { presetForKey } from "./presets";
import type { Toolbar } from "./toolbar";
import { initialView, nativeZoom, rotateView, zoomAt } from "./view";
import { changeView, redraw, Workspace } from "./workspace";

export interface ActionTargets {
  ws: Workspace;
  toolbar: Toolbar;
  cine: Cine;
  help: HTMLElement;
}

/** Runs an action on the active viewport (or the app); `key` is the key pressed, for presets. */
export function runAction({ ws, toolbar, cine, help }: ActionTargets, action: Action, key = ""): void {
  const vp = ws.active();
  const st = vp.stack;
  const updateToolbar = () => toolbar.update();
  switch (action) {
    case "tool-window":
    case "tool-pan":
    case "tool-zoom":
    case "tool-probe":
    case "tool-length":
    case "tool-angle":
    case "tool-rect":
    case "tool-ellipse":
      return toolbar.setTool(action.slice(5) as Tool);
    case "fit":
      return changeView(vp, (v) => ({ ...v, zoom: 1, panX: 0, panY: 0 }));
    case "native":
      if (vp.frame) {
        const z = nativeZoom(vp.canvas.width, vp.canvas.height, vp.frame.fullWidth, vp.frame.fullHeight, vp.view.rotation);
        changeView(vp, (v) => ({ ...v, zoom: z, panX: 0, panY: 0 }));
      }
      return;
    case "zoom-in":
      return changeView(vp, (v) => zoomAt(v, 1.25, vp.canvas.width / 2, vp.canvas.height / 2, vp.canvas.width, vp.canvas.height));
    case "zoom-out":
      return changeView(vp, (v) => zoomAt(v, 1 / 1.25, vp.canvas.width / 2, vp.canvas.height / 2, vp.canvas.width, vp.canvas.height));
    case "rotate-cw":
      return changeView(vp, (v) => rotateView(v, 1));
    case "rotate-ccw":
      return changeView(vp, (v) => rotateView(v, -1));
    case "flip-h":
      return changeView(vp, (v) => ({ ...v, flipH: !v.flipH }));
    case "flip-v":
      return changeView(vp, (v) => ({ ...v, flipV: !v.flipV }));
    case "reset":
      vp.view = initialView();
      vp.invert = false;
      vp.overlays = true;
      vp.shutters = true;
      vp.resetWindow();
      vp.requestFrame();
      vp.draw();
      return updateToolbar();
    case "invert":
      vp.invert = !vp.invert;
      vp.requestFrame(); // re-rendered from the shell's cache with the new polarity
      return updateToolbar();
    case "shutters":
      vp.shutters = !vp.shutters;
      vp.requestFrame(); // Rust applies the shutter (or not) from its cache of decoded frames
      return updateToolbar();
    case "overlays":
      vp.overlays = !vp.overlays;
      vp.requestFrame(); // the shell burns the planes in (or not) from its cache of decoded frames
      vp.updateCorners();
      return updateToolbar();
    case "preset": {
      if (!st || vp.frame?.channels === 3) return;
      const p = presetForKey(key, st.modality, st.windows, vp.presetName);
      if (p) {
        vp.setWindow(p.window, p.name);
        updateToolbar();
      }
      return;
    }
    case "next-slice":
      return ws.scrollTo(vp, vp.index + 1);
    case "prev-slice":
      return ws.scrollTo(vp, vp.index - 1);
    case "first-slice":
      return ws.scrollTo(vp, 0);
    case "last-slice":
      return ws.scrollTo(vp, (st?.frames ?? 1) - 1);
    case "next-series":
      return ws.stepSeries(1);
    case "prev-series":
      return ws.stepSeries(-1);
    case "layout-1x1":
      return ws.setLayout(1);
    case "layout-1x2":
      return ws.setLayout(2);
    case "layout-2x2":
      return ws.setLayout(4);
    case "next-viewport":
      return ws.setActive((ws.activeSlot + 1) % ws.layout);
    case "sync":
      ws.sync = !ws.sync;
      toolbar.showStatus(ws.sync ? "Synchronised scrolling on (same frame of reference)" : "Synchronised scrolling off");
      return updateToolbar();
    case "cine":
      return cine.toggle(ws.active());
    case "cine-faster":
      return cine.setFps(cine.fps * 1.25);
    case "cine-slower":
      return cine.setFps(cine.fps / 1.25);
    case "delete-annotation":
      return vp.removeAnnotation("selected-or-last");
    case "clear-annotations":
      return vp.removeAnnotation("all");
    case "cancel":
      for (const v of ws.viewports) v.draft = null;
      vp.selected = null;
      help.hidden = true;
      ws.visible().forEach((v) => v.draw());
      return updateToolbar();
    case "large-controls":
      document.body.classList.toggle("large");
      requestAnimationFrame(() => ws.visible().forEach(redraw));
      return updateToolbar();
    case "help":
      help.hidden = !help.hidden;
      return updateToolbar();
  }
}

/** The keyboard: a key runs its action unless a text field, a menu or a focused button needs it. */
export function bindKeyboard(ws: Workspace, run: (action: Action, key: string) => void): void {
  window.addEventListener("keydown", (e) => {
    const target = e.target as HTMLElement | null;
    if (target && /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName) && e.key !== "Escape") return;
    // A focused toolbar button keeps Enter and Space for itself (keyboard users reach it by Tab).
    if (target?.tagName === "BUTTON" && (e.key === " " || e.key === "Enter")) return;
    const action = actionForKey(e);
    // Tab moves between viewports only when no control has the focus (Shift+Tab reaches the
    // toolbar, where Tab then moves on as usual), and never with a single viewport.
    const onControl = target instanceof HTMLElement && target !== document.body;
    if (!action || (action === "next-viewport" && (ws.layout === 1 || onControl))) return;
    e.preventDefault();
    run(action, e.key);
  });
}
