// The toolbar: which buttons show as pressed (tool, layout, sync, display toggles, help, cine),
// the window-preset menu of the active viewport, the tool hints in the status line, and the
// buttons' tooltips with their keys (from ./keys.ts).

import type { Cine } from "./cine";
import type { Tool } from "./gestures";
import { Action, keyLabel } from "./keys";
import { presetsFor } from "./presets";
import { largeControls, Workspace } from "./workspace";

const TOOL_HINTS: Record<Tool, string> = {
  window: "Window/level: drag ↔ width, ↕ level",
  pan: "Pan: drag the image",
  zoom: "Zoom: drag up or down",
  probe: "Probe: click a pixel to pin its value",
  length: "Length: drag from one end to the other",
  angle: "Angle: drag the first arm to the vertex, then click the end of the second arm",
  rect: "Rectangle: drag from corner to corner",
  ellipse: "Ellipse: drag its bounding box",
};

export interface ToolbarElements {
  preset: HTMLSelectElement;
  help: HTMLElement;
  status: HTMLElement;
}

export class Toolbar {
  constructor(
    private readonly ws: Workspace,
    private readonly cine: Cine,
    private readonly el: ToolbarElements,
  ) {}

  showStatus(text: string): void {
    this.el.status.textContent = text;
  }

  setTool(tool: Tool): void {
    this.ws.tool = tool;
    for (const vp of this.ws.viewports) vp.draft = null;
    this.update();
    this.showStatus(TOOL_HINTS[tool]);
    this.ws.visible().forEach((vp) => vp.draw());
  }

  update(): void {
    const ws = this.ws;
    document.querySelectorAll<HTMLButtonElement>("button[data-action]").forEach((b) => {
      const action = b.dataset.action as Action;
      const pressed =
        action === `tool-${ws.tool}` ||
        (action === "layout-1x1" && ws.layout === 1) ||
        (action === "layout-1x2" && ws.layout === 2) ||
        (action === "layout-2x2" && ws.layout === 4) ||
        (action === "sync" && ws.sync) ||
        (action === "invert" && ws.active().invert) ||
        (action === "overlays" && ws.active().overlays) ||
        (action === "shutters" && ws.active().shutters) ||
        (action === "large-controls" && largeControls()) ||
        (action === "help" && !this.el.help.hidden) ||
        (action === "cine" && this.cine.playing);
      b.setAttribute("aria-pressed", String(pressed));
    });
    const select = this.el.preset;
    const vp = ws.active();
    const presets = presetsFor(vp.stack?.modality ?? null, vp.stack?.windows ?? []);
    const options = [{ key: "", name: "" }, ...presets];
    select.replaceChildren(
      ...options.map((p) => {
        const o = document.createElement("option");
        o.value = p.name;
        o.textContent = p.name ? `${p.name}${p.key ? ` (${p.key})` : ""}` : presets.length ? "Window preset…" : "No presets";
        return o;
      }),
    );
    select.value = vp.presetName && presets.some((p) => p.name === vp.presetName) ? vp.presetName : "";
    select.disabled = presets.length === 0;
  }

  applyPreset(name: string): void {
    const vp = this.ws.active();
    const p = presetsFor(vp.stack?.modality ?? null, vp.stack?.windows ?? []).find((q) => q.name === name);
    if (p) vp.setWindow(p.window, p.name);
    this.update();
  }

  /** Each toolbar button runs its action; its tooltip names the key. */
  bindButtons(run: (action: Action) => void): void {
    document.querySelectorAll<HTMLButtonElement>("button[data-action]").forEach((b) => {
      const action = b.dataset.action as Action;
      const k = keyLabel(action);
      b.title = `${b.title || b.textContent}${k ? ` (${k})` : ""}`;
      b.addEventListener("click", () => run(action));
    });
    // A mouse click leaves the focus on no button (toolbar, series, help), so Space still plays cine
    // afterwards; buttons reached by Tab keep Enter and Space (see the keydown handler).
    document.addEventListener("mousedown", (e) => {
      if ((e.target as Element | null)?.closest?.("button")) e.preventDefault();
    });
    this.el.preset.addEventListener("change", (e) => this.applyPreset((e.target as HTMLSelectElement).value));
  }
}
