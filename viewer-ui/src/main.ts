// Lucent's viewer UI: the wiring of its parts. A study browser (./browser.ts), 1–4 viewports
// (./viewport.ts) in a workspace (./workspace.ts), the gestures on them (./gestures.ts through
// ./pointer.ts), synchronised scrolling (./sync.ts), cine (./cine.ts), the toolbar and the
// keyboard (./toolbar.ts, ./actions.ts, ./keys.ts), the help overlay (./help.ts), the in-app
// benchmark (./bench.ts) and the E2E run's read-only views (./e2e-views.ts). It knows nothing of
// DICOM files: it asks the shell for studies (ids + display text), frames (8-bit pixels) and
// values (for probes and regions), addressed by opaque ids.

import { listen } from "@tauri-apps/api/event";
import { bindKeyboard, runAction } from "./actions";
import { benchmarkIfAsked } from "./bench";
import { StudyBrowser } from "./browser";
import { Cine, DEFAULT_CINE_FPS } from "./cine";
import { exposeE2eViews } from "./e2e-views";
import { buildHelp } from "./help";
import { Action } from "./keys";
import { attachPointer } from "./pointer";
import { Toolbar } from "./toolbar";
import { errorText, IpcError, Viewport } from "./viewport";
import { changeView, largeControls, redraw, Workspace } from "./workspace";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const viewports = [0, 1, 2, 3].map((slot) => new Viewport($("viewports"), slot, { large: largeControls, onPainted: () => browser.painted() }));
const ws = new Workspace(viewports, $("viewports"), {
  markBrowser: () => browser.mark(),
  updateToolbar: () => toolbar.update(),
  stopCineIf: (leaving) => cine.stopIf(leaving),
});
const fpsInput = $<HTMLInputElement>("cine-fps");
const cine = new Cine({
  scrollTo: (vp, index) => ws.scrollTo(vp, index),
  changed: () => toolbar.update(),
  status: (text) => toolbar.showStatus(text),
  fpsInput,
});
const help = $("help");
const toolbar = new Toolbar(ws, cine, { preset: $<HTMLSelectElement>("preset"), help, status: $("status") });
const browser = new StudyBrowser(ws, { studies: $("studies"), skipped: $("skipped"), emptyHint: $("empty-hint") });

const run = (action: Action, key = "") => runAction({ ws, toolbar, cine, help }, action, key);
bindKeyboard(ws, run);
for (const vp of viewports)
  attachPointer(vp, {
    tool: () => ws.tool,
    large: largeControls,
    activate: (v) => {
      if (ws.activeSlot !== v.slot) ws.setActive(v.slot);
    },
    scrollTo: (v, index) => ws.scrollTo(v, index),
    changeView: (v, view) => changeView(v, () => view),
    windowChanged: () => toolbar.update(),
  });
toolbar.bindButtons(run);
fpsInput.addEventListener("change", (e) => cine.setFps(Number((e.target as HTMLInputElement).value) || DEFAULT_CINE_FPS));
window.addEventListener("resize", () => ws.visible().forEach(redraw));
exposeE2eViews(ws);

(async () => {
  buildHelp($("help-body"));
  ws.setLayout(1);
  ws.setActive(0);
  toolbar.setTool("window");
  await listen("studies-changed", () => void browser.load());
  await listen<IpcError>("open-error", (e) => ws.active().showMessage(errorText(e.payload)));
  await browser.load();
  await benchmarkIfAsked(() => ws.active());
})();
