// Lucent's viewer UI: a study browser, 1–4 viewports (./viewport.ts), the reading tools and the
// keyboard. It knows nothing of DICOM files: it asks the shell for studies (ids + display text),
// frames (8-bit pixels) and values (for probes and regions), addressed by opaque ids.

import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import { parseFrame, toRgba } from "./frame";
import { Action, actionForKey, keyLabel, SHORTCUTS } from "./keys";
import { Annotation, AnnotationKind, parseValues, regionStats } from "./measure";
import { sliceNormal } from "./orientation";
import { presetForKey, presetsFor } from "./presets";
import { dragWindow, initialView, nativeZoom, nearestSlice, rotateView, ViewState, wheelStep, zoomAt } from "./view";
import { annotations, errorText, fmtDate, IpcError, paints, SeriesDto, StudyDto, Viewport } from "./viewport";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

type Tool = "window" | "pan" | "zoom" | "probe" | "length" | "angle" | "rect" | "ellipse";

const app = {
  studies: [] as StudyDto[],
  layout: 1 as 1 | 2 | 4,
  active: 0,
  tool: "window" as Tool,
  sync: true,
  cine: 0,
  cineViewport: null as Viewport | null,
  cineFps: 15,
};

const host = {
  large: () => document.body.classList.contains("large"),
  onPainted: () => {
    if (pendingThumbnails.length) setTimeout(() => void drawPendingThumbnails(), 0);
  },
};
const viewports = [0, 1, 2, 3].map((slot) => new Viewport($("viewports"), slot, host));
const active = (): Viewport => viewports[app.active];
const visible = (): Viewport[] => viewports.slice(0, app.layout);

function showStatus(text: string): void {
  $("status").textContent = text;
}

// ---- layout and active viewport ----

function setActive(slot: number): void {
  app.active = slot;
  viewports.forEach((vp) => vp.root.classList.toggle("active", vp.slot === slot));
  markBrowser();
  updateToolbar();
}

function setLayout(n: 1 | 2 | 4): void {
  app.layout = n;
  if (app.cineViewport && app.cineViewport.slot >= n) stopCine();
  $("viewports").dataset.layout = String(n);
  viewports.forEach((vp, i) => (vp.root.hidden = i >= n));
  if (app.active >= n) setActive(0);
  // Empty viewports get the next series of the active study that is not on screen yet.
  const study = active().study ?? app.studies[0];
  if (study) {
    const shown = new Set(visible().map((vp) => vp.series?.id));
    const unused = study.series.filter((s) => !shown.has(s.id));
    for (const vp of visible()) if (!vp.series && unused.length) void vp.setSeries(study, unused.shift() as SeriesDto).then(markBrowser);
  }
  requestAnimationFrame(() => visible().forEach((vp) => (vp.draw(), void vp.loadVisibleTiles())));
  updateToolbar();
}

async function assign(vp: Viewport, study: StudyDto, series: SeriesDto): Promise<void> {
  if (app.cineViewport === vp) stopCine();
  setActive(vp.slot);
  await vp.setSeries(study, series);
  markBrowser();
  updateToolbar();
}

// ---- toolbar ----

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

function setTool(tool: Tool): void {
  app.tool = tool;
  for (const vp of viewports) vp.draft = null;
  updateToolbar();
  showStatus(TOOL_HINTS[tool]);
  visible().forEach((vp) => vp.draw());
}

function updateToolbar(): void {
  document.querySelectorAll<HTMLButtonElement>("button[data-action]").forEach((b) => {
    const action = b.dataset.action as Action;
    const pressed =
      action === `tool-${app.tool}` ||
      (action === "layout-1x1" && app.layout === 1) ||
      (action === "layout-1x2" && app.layout === 2) ||
      (action === "layout-2x2" && app.layout === 4) ||
      (action === "sync" && app.sync) ||
      (action === "invert" && active().invert) ||
      (action === "overlays" && active().overlays) ||
      (action === "shutters" && active().shutters) ||
      (action === "large-controls" && host.large()) ||
      (action === "help" && !$("help").hidden) ||
      (action === "cine" && app.cine !== 0);
    b.setAttribute("aria-pressed", String(pressed));
  });
  const select = $<HTMLSelectElement>("preset");
  const vp = active();
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

function applyPreset(name: string): void {
  const vp = active();
  const p = presetsFor(vp.stack?.modality ?? null, vp.stack?.windows ?? []).find((q) => q.name === name);
  if (p) vp.setWindow(p.window, p.name);
  updateToolbar();
}

// ---- actions (keyboard and toolbar) ----

function redraw(vp: Viewport): void {
  vp.draw();
  void vp.loadVisibleTiles();
}

function changeView(vp: Viewport, f: (v: ViewState) => ViewState): void {
  vp.view = f(vp.view);
  redraw(vp);
}

/** Moves a viewport to a frame and, with sync on, the others in its frame of reference. */
function scrollTo(vp: Viewport, index: number): void {
  if (!vp.setIndex(index) || !app.sync) return;
  const st = vp.stack;
  const loc = st?.locations[vp.index];
  const n1 = sliceNormal(st?.orientation ?? null);
  if (!st?.frameOfReference || loc == null || !n1) return;
  for (const other of visible()) {
    const o = other.stack;
    if (other === vp || !o || o.frameOfReference !== st.frameOfReference) continue;
    const n2 = sliceNormal(o.orientation);
    if (!n2) continue;
    const dot = n1[0] * n2[0] + n1[1] * n2[1] + n1[2] * n2[2];
    if (Math.abs(dot) < 0.99) continue; // not parallel: a different plane
    const j = nearestSlice(o.locations, loc, dot > 0);
    if (j !== null) other.setIndex(j);
  }
}

function allSeries(): [StudyDto, SeriesDto][] {
  return app.studies.flatMap((study) => study.series.map((s) => [study, s] as [StudyDto, SeriesDto]));
}

function stepSeries(step: 1 | -1): void {
  const list = allSeries();
  if (!list.length) return;
  const at = list.findIndex(([, s]) => s.id === active().series?.id);
  const [study, series] = list[(at + step + list.length) % list.length];
  void assign(active(), study, series);
}

function run(action: Action, key = ""): void {
  const vp = active();
  const st = vp.stack;
  switch (action) {
    case "tool-window":
    case "tool-pan":
    case "tool-zoom":
    case "tool-probe":
    case "tool-length":
    case "tool-angle":
    case "tool-rect":
    case "tool-ellipse":
      return setTool(action.slice(5) as Tool);
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
      return scrollTo(vp, vp.index + 1);
    case "prev-slice":
      return scrollTo(vp, vp.index - 1);
    case "first-slice":
      return scrollTo(vp, 0);
    case "last-slice":
      return scrollTo(vp, (st?.frames ?? 1) - 1);
    case "next-series":
      return stepSeries(1);
    case "prev-series":
      return stepSeries(-1);
    case "layout-1x1":
      return setLayout(1);
    case "layout-1x2":
      return setLayout(2);
    case "layout-2x2":
      return setLayout(4);
    case "next-viewport":
      return setActive((app.active + 1) % app.layout);
    case "sync":
      app.sync = !app.sync;
      showStatus(app.sync ? "Synchronised scrolling on (same frame of reference)" : "Synchronised scrolling off");
      return updateToolbar();
    case "cine":
      return toggleCine();
    case "cine-faster":
      return setCineFps(app.cineFps * 1.25);
    case "cine-slower":
      return setCineFps(app.cineFps / 1.25);
    case "delete-annotation":
      return vp.removeAnnotation("selected-or-last");
    case "clear-annotations":
      return vp.removeAnnotation("all");
    case "cancel":
      for (const v of viewports) v.draft = null;
      vp.selected = null;
      $("help").hidden = true;
      visible().forEach((v) => v.draw());
      return updateToolbar();
    case "large-controls":
      document.body.classList.toggle("large");
      requestAnimationFrame(() => visible().forEach(redraw));
      return updateToolbar();
    case "help":
      $("help").hidden = !$("help").hidden;
      return updateToolbar();
  }
}

window.addEventListener("keydown", (e) => {
  const target = e.target as HTMLElement | null;
  if (target && /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName) && e.key !== "Escape") return;
  // A focused toolbar button keeps Enter and Space for itself (keyboard users reach it by Tab).
  if (target?.tagName === "BUTTON" && (e.key === " " || e.key === "Enter")) return;
  const action = actionForKey(e);
  // Tab moves between viewports only when no control has the focus (Shift+Tab reaches the
  // toolbar, where Tab then moves on as usual), and never with a single viewport.
  const onControl = target instanceof HTMLElement && target !== document.body;
  if (!action || (action === "next-viewport" && (app.layout === 1 || onControl))) return;
  e.preventDefault();
  run(action, e.key);
});

// ---- cine ----

function stopCine(): void {
  if (app.cine) window.clearInterval(app.cine);
  app.cine = 0;
  app.cineViewport = null;
  updateToolbar();
}

function startCine(vp: Viewport): void {
  if (!vp.stack || vp.stack.frames < 2) return;
  app.cineViewport = vp;
  app.cine = window.setInterval(() => {
    if (!vp.stack || vp.busy) return; // never queue frames: a slow frame is skipped, not delayed
    scrollTo(vp, (vp.index + 1) % vp.stack.frames);
  }, 1000 / app.cineFps);
  updateToolbar();
}

function setCineFps(fps: number): void {
  app.cineFps = Math.min(120, Math.max(1, Math.round(fps * 10) / 10));
  $<HTMLInputElement>("cine-fps").value = String(app.cineFps);
  showStatus(`Cine ${app.cineFps} fps`);
  const vp = app.cineViewport;
  if (vp) {
    window.clearInterval(app.cine);
    startCine(vp);
  }
}

function toggleCine(): void {
  if (app.cine) return stopCine();
  const vp = active();
  const ms = vp.stack?.frameTimeMs;
  if (ms) {
    app.cineFps = Math.round((1000 / ms) * 10) / 10;
    $<HTMLInputElement>("cine-fps").value = String(app.cineFps);
  }
  showStatus(ms ? `Cine ${app.cineFps} fps (the file's frame time, ${ms} ms)` : `Cine ${app.cineFps} fps`);
  startCine(vp);
}

// ---- pointer input on the viewports ----

type Gesture =
  | { mode: "window"; start: { center: number; width: number } }
  | { mode: "pan"; view: ViewState }
  | { mode: "zoom"; view: ViewState; at: [number, number] }
  | { mode: "scroll"; y: number }
  | { mode: "draw"; annotation: Annotation; point: number; frame: string }
  | { mode: "edit"; annotation: Annotation; point: number }
  | { mode: "pinch"; view: ViewState; distance: number; mid: [number, number] }
  | { mode: "none" };

const HIT_RADIUS = () => (host.large() ? 22 : 8) * (window.devicePixelRatio || 1);

function attachPointer(vp: Viewport): void {
  const c = vp.canvas;
  const pointers = new Map<number, [number, number]>();
  let gesture: Gesture = { mode: "none" };
  let down: { x: number; y: number; moved: boolean } | null = null;

  const twoFinger = (): { distance: number; mid: [number, number] } | null => {
    if (pointers.size < 2) return null;
    const [[x1, y1], [x2, y2]] = [...pointers.values()];
    return { distance: Math.hypot(x2 - x1, y2 - y1), mid: vp.toCanvas((x1 + x2) / 2, (y1 + y2) / 2) };
  };

  c.addEventListener("contextmenu", (e) => e.preventDefault());
  c.addEventListener("pointerdown", (e) => {
    try {
      c.setPointerCapture(e.pointerId);
    } catch {
      // Synthetic events (automation) have no capturable pointer; dragging still works.
    }
    if (app.active !== vp.slot) setActive(vp.slot);
    // A mouse has one pointer: a press whose release was lost never turns the next drag into a pinch.
    if (e.pointerType === "mouse") pointers.clear();
    pointers.set(e.pointerId, [e.clientX, e.clientY]);
    down = { x: e.clientX, y: e.clientY, moved: false };
    const pinch = twoFinger();
    if (pinch) {
      vp.draft = null;
      // The first finger may have pinned a probe a moment ago: a pinch is not a probe.
      if (gesture.mode === "edit" && gesture.annotation.kind === "probe" && vp.annotations.at(-1) === gesture.annotation) vp.removeAnnotation("selected-or-last");
      gesture = { mode: "pinch", view: { ...vp.view }, ...pinch };
      return;
    }
    const p = vp.toImage(e.clientX, e.clientY);
    const [cx, cy] = vp.toCanvas(e.clientX, e.clientY);
    if (e.button === 1) gesture = { mode: "pan", view: { ...vp.view } };
    else if (e.button === 2) gesture = { mode: "zoom", view: { ...vp.view }, at: [cx, cy] };
    else if (!p) gesture = { mode: "none" };
    else if (vp.draft && vp.draft.kind === "angle" && vp.draft.points.length === 3) {
      // The angle's second arm ends where the user clicks.
      vp.draft.points[2] = p;
      vp.addAnnotation(vp.draft);
      vp.draft = null;
      gesture = { mode: "none" };
      vp.draw();
    } else {
      const hit = vp.hitTest(cx, cy, HIT_RADIUS());
      const handle = hit ? vp.handleAt(hit, cx, cy, HIT_RADIUS()) : -1;
      if (hit && handle >= 0) {
        vp.selected = hit;
        gesture = { mode: "edit", annotation: hit, point: handle };
      } else if (["probe", "length", "angle", "rect", "ellipse"].includes(app.tool)) {
        const kind = app.tool as AnnotationKind;
        const annotation: Annotation = { kind, points: kind === "probe" ? [p] : [p, { ...p }] };
        vp.selected = null;
        if (kind === "probe") {
          vp.addAnnotation(annotation);
          gesture = { mode: "edit", annotation, point: 0 };
        } else {
          vp.draft = annotation;
          gesture = { mode: "draw", annotation, point: 1, frame: vp.frameKey };
        }
      } else if (app.tool === "pan") gesture = { mode: "pan", view: { ...vp.view } };
      else if (app.tool === "zoom") gesture = { mode: "zoom", view: { ...vp.view }, at: [cx, cy] };
      else if (e.pointerType === "touch") gesture = { mode: "scroll", y: e.clientY }; // one finger scrolls
      else gesture = { mode: "window", start: vp.window ?? { center: 128, width: 256 } };
      vp.draw();
    }
  });

  c.addEventListener("pointermove", (e) => {
    if (pointers.has(e.pointerId)) pointers.set(e.pointerId, [e.clientX, e.clientY]);
    const p = vp.toImage(e.clientX, e.clientY);
    if (e.pointerType === "mouse") vp.hover = p;
    if (down && Math.hypot(e.clientX - down.x, e.clientY - down.y) > 3) down.moved = true;
    const dx = down ? e.clientX - down.x : 0;
    const dy = down ? e.clientY - down.y : 0;
    // A mouse moving with no button held after a release that never arrived (focus lost, the
    // viewport hidden mid-drag) ends the gesture instead of panning or zooming on.
    if (e.pointerType === "mouse" && e.buttons === 0 && gesture.mode !== "none") {
      gesture = { mode: "none" };
      down = null;
    }
    switch (gesture.mode) {
      case "window":
        if (e.pointerType === "mouse" && e.buttons) {
          vp.setWindow(dragWindow(gesture.start, dx, dy), null);
          updateToolbar();
        }
        return;
      case "scroll": {
        const step = Math.trunc((e.clientY - gesture.y) / (host.large() ? 16 : 12));
        if (step !== 0) {
          scrollTo(vp, vp.index + step);
          gesture.y = e.clientY;
        }
        return;
      }
      case "pan": {
        const dpr = window.devicePixelRatio || 1;
        const v = gesture.view;
        return changeView(vp, () => ({ ...v, panX: v.panX + dx * dpr, panY: v.panY + dy * dpr }));
      }
      case "zoom": {
        const { view: v, at } = gesture;
        return changeView(vp, () => zoomAt(v, Math.exp(-dy / 200), at[0], at[1], vp.canvas.width, vp.canvas.height));
      }
      case "pinch": {
        const now = twoFinger();
        if (!now) return;
        const g = gesture;
        const zoomed = zoomAt(g.view, now.distance / Math.max(1, g.distance), g.mid[0], g.mid[1], vp.canvas.width, vp.canvas.height);
        return changeView(vp, () => ({ ...zoomed, panX: zoomed.panX + now.mid[0] - g.mid[0], panY: zoomed.panY + now.mid[1] - g.mid[1] }));
      }
      case "draw":
      case "edit":
        if (p) gesture.annotation.points[gesture.point] = p;
        return vp.draw();
      case "none":
        if (vp.draft?.kind === "angle" && vp.draft.points.length === 3 && p) vp.draft.points[2] = p;
        return vp.draw();
    }
  });

  const end = (e: PointerEvent) => {
    pointers.delete(e.pointerId);
    const g = gesture;
    gesture = pointers.size ? gesture : { mode: "none" };
    if (g.mode === "pinch" && pointers.size === 1) gesture = { mode: "none" };
    if (g.mode === "draw") {
      const n = g.annotation;
      const [a, b] = n.points;
      const m = vp.matrix();
      const tiny = !m || Math.hypot((b.x - a.x) * Math.hypot(m.a, m.b), (b.y - a.y) * Math.hypot(m.c, m.d)) < 3;
      // A measurement drawn while the frame changed (cine, sync) belongs to no frame: dropped.
      if (tiny || g.frame !== vp.frameKey) vp.draft = null;
      else if (n.kind === "angle") n.points.push({ ...b }); // now the second arm follows the pointer
      else {
        vp.addAnnotation(n);
        vp.draft = null;
      }
    } else if (down && !down.moved && g.mode !== "edit" && e.button === 0) {
      const [cx, cy] = vp.toCanvas(e.clientX, e.clientY);
      vp.selected = vp.hitTest(cx, cy, HIT_RADIUS());
    }
    down = null;
    vp.draw();
  };
  c.addEventListener("pointerup", end);
  c.addEventListener("pointercancel", end);
  c.addEventListener("pointerleave", () => {
    vp.hover = null;
    vp.draw();
  });

  c.addEventListener(
    "wheel",
    (e) => {
      e.preventDefault();
      if (app.active !== vp.slot) setActive(vp.slot);
      if (!vp.stack) return;
      if (e.ctrlKey || e.metaKey) {
        const [px, py] = vp.toCanvas(e.clientX, e.clientY);
        return changeView(vp, (v) => zoomAt(v, e.deltaY < 0 ? 1.1 : 1 / 1.1, px, py, vp.canvas.width, vp.canvas.height));
      }
      scrollTo(vp, wheelStep(vp.index, e.deltaY, vp.stack.frames));
    },
    { passive: false },
  );
}
viewports.forEach(attachPointer);

// ---- the study browser ----

async function drawThumbnail(series: SeriesDto, target: HTMLCanvasElement): Promise<void> {
  try {
    const f = parseFrame(await invoke<ArrayBuffer>("thumbnail", { request: { series: series.id } }));
    target.width = f.width;
    target.height = f.height;
    const c = target.getContext("2d") as CanvasRenderingContext2D;
    c.putImageData(new ImageData(toRgba(f), f.width, f.height), 0, 0);
  } catch {
    target.title = "no preview";
  }
}

// Thumbnails wait until the first frame is on screen: the image the user asked for comes first.
let pendingThumbnails: (() => Promise<void>)[] = [];
async function drawPendingThumbnails(): Promise<void> {
  const jobs = pendingThumbnails;
  pendingThumbnails = [];
  for (const job of jobs) await job();
}

/** Highlights the active viewport's series, and marks the series shown in the others. */
function markBrowser(): void {
  const shown = new Map(visible().map((vp) => [vp.series?.id, vp.slot]));
  document.querySelectorAll<HTMLElement>(".series").forEach((b) => {
    b.classList.toggle("active", b.dataset.id === active().series?.id);
    b.classList.toggle("shown", shown.has(b.dataset.id));
  });
}

/** A series button: click shows it in the active viewport; drag it onto any viewport. */
function seriesButton(study: StudyDto, series: SeriesDto): HTMLButtonElement {
  const b = document.createElement("button");
  b.className = "series";
  b.dataset.id = series.id;
  const thumb = document.createElement("canvas");
  const label = document.createElement("div");
  label.className = "label";
  label.textContent = `${series.modality ?? "?"} #${series.number ?? "-"}${series.stack ? ` (stack ${series.stack + 1})` : ""}\n${series.description ?? ""}\n${series.frames} image${series.frames === 1 ? "" : "s"}`;
  b.append(thumb, label);
  let dragged = false;
  b.addEventListener("click", () => {
    if (!dragged) void assign(active(), study, series);
    dragged = false;
  });
  // Drag and drop with pointer events (mouse and touch alike; the webview's own drag and drop
  // is kept for files from the desktop).
  b.addEventListener("pointerdown", (e) => {
    if (e.button !== 0) return;
    const start = { x: e.clientX, y: e.clientY };
    let ghost: HTMLDivElement | null = null;
    const move = (m: PointerEvent) => {
      if (!ghost && Math.hypot(m.clientX - start.x, m.clientY - start.y) > 8) {
        ghost = document.createElement("div");
        ghost.className = "drag-ghost";
        ghost.textContent = label.textContent?.split("\n")[0] ?? "";
        document.body.append(ghost);
      }
      if (ghost) {
        ghost.style.left = `${m.clientX + 8}px`;
        ghost.style.top = `${m.clientY + 8}px`;
        const over = document.elementFromPoint(m.clientX, m.clientY)?.closest<HTMLElement>(".viewport");
        viewports.forEach((vp) => vp.root.classList.toggle("drop-target", vp.root === over));
      }
    };
    const up = (u: PointerEvent) => {
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
      window.removeEventListener("pointercancel", up);
      viewports.forEach((vp) => vp.root.classList.remove("drop-target"));
      if (!ghost) return;
      ghost.remove();
      // Swallow the click this release may produce on the button, and only that one.
      dragged = true;
      setTimeout(() => (dragged = false), 0);
      if (u.type === "pointercancel") return;
      const over = document.elementFromPoint(u.clientX, u.clientY)?.closest<HTMLElement>(".viewport");
      const vp = viewports.find((v) => v.root === over);
      if (vp) void assign(vp, study, series);
    };
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
    window.addEventListener("pointercancel", up);
  });
  pendingThumbnails.push(() => drawThumbnail(series, thumb));
  return b;
}

function renderBrowser(): void {
  const root = $("studies");
  root.replaceChildren();
  $("empty-hint").hidden = app.studies.length > 0;
  for (const study of app.studies) {
    const box = document.createElement("section");
    box.className = "study";
    const title = document.createElement("div");
    title.className = "study-title";
    title.textContent = [study.patientName, fmtDate(study.date), study.description].filter(Boolean).join(" · ");
    box.append(title);
    // Flags from the index (a Study UID shared by patients, missing UIDs): said, never hidden.
    for (const warning of study.warnings) {
      const flag = document.createElement("div");
      flag.className = "study-warning";
      flag.setAttribute("role", "note");
      flag.textContent = `⚠ ${warning}`;
      box.append(flag);
    }
    box.append(...study.series.map((s) => seriesButton(study, s)));
    root.append(box);
  }
  markBrowser();
}

interface SkippedDto {
  code: string;
  meaning: string;
  count: number;
}

/** Files the index could not read, per code: said in the browser, so a missing slice is never silent. */
async function loadSkipped(): Promise<void> {
  const el = $("skipped");
  try {
    const skipped = await invoke<SkippedDto[]>("skipped");
    const total = skipped.reduce((n, s) => n + s.count, 0);
    el.hidden = total === 0;
    el.textContent = total === 0 ? "" : `${total} file${total === 1 ? "" : "s"} not shown:\n` + skipped.map((s) => `${s.count} × ${s.code}`).join("\n");
    el.title = skipped.map((s) => `${s.code}: ${s.meaning}`).join("\n");
  } catch {
    el.hidden = true;
  }
}

async function loadStudies(): Promise<void> {
  try {
    app.studies = await invoke<StudyDto[]>("studies");
  } catch (e) {
    active().showMessage(errorText(e));
    return;
  }
  void loadSkipped();
  renderBrowser();
  // Series already on screen may have grown with the new files.
  for (const vp of visible()) {
    const study = app.studies.find((st) => st.series.some((s) => s.id === vp.series?.id));
    if (study) void vp.reloadStack(study);
  }
  if (visible().some((vp) => vp.frame)) void drawPendingThumbnails();
  if (!active().series && app.studies.length > 0) {
    const study = app.studies[0];
    const first = [...study.series].sort((a, b) => b.frames - a.frames)[0] ?? study.series[0];
    if (first) await assign(active(), study, first);
  }
}

// ---- help overlay (not modal: the image stays usable) ----

function buildHelp(): void {
  const body = $("help-body");
  const groups = [...new Set(SHORTCUTS.map((s) => s.group))];
  for (const group of groups) {
    const h = document.createElement("h3");
    h.textContent = group;
    const table = document.createElement("table");
    for (const s of SHORTCUTS.filter((x) => x.group === group)) {
      const tr = document.createElement("tr");
      const k = document.createElement("td");
      const kbd = document.createElement("kbd");
      kbd.textContent = s.label;
      k.append(kbd);
      const d = document.createElement("td");
      d.textContent = s.description;
      tr.append(k, d);
      table.append(tr);
    }
    body.append(h, table);
  }
  const mouse = document.createElement("p");
  mouse.textContent =
    "Mouse: wheel scrolls, Ctrl+wheel zooms at the pointer, right drag zooms, middle drag pans; drag a series from the list onto a viewport. Touch: one finger scrolls, two fingers pinch to zoom and pan.";
  body.append(mouse);
}

// ---- wiring ----

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
$<HTMLSelectElement>("preset").addEventListener("change", (e) => applyPreset((e.target as HTMLSelectElement).value));
$<HTMLInputElement>("cine-fps").addEventListener("change", (e) => setCineFps(Number((e.target as HTMLInputElement).value) || 15));
window.addEventListener("resize", () => visible().forEach(redraw));

// ---- in-app benchmark (lucent-viewer --bench-scroll OUT.json) ----
const nextPaint = () => new Promise<number>((r) => requestAnimationFrame(r));

async function waitShown(vp: Viewport, index: number, timeoutMs: number): Promise<void> {
  const t0 = performance.now();
  while (vp.shownIndex !== index || vp.busy) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`frame ${index} not shown`);
    await nextPaint();
  }
}

interface BenchPass {
  kind: "cold" | "warm";
  /** Frames stepped through (0 to the last). */
  frames: number;
  /** Frames whose request failed: counted per code, never timed (the run then exits 1). */
  frames_failed: number;
  errors: Record<string, number>;
  painted_per_raf: number;
  /** From asking for a frame to its paint, over the frames shown (ms). */
  ms_p50: number | null;
  ms_p95: number | null;
}

const percentile = (v: number[], p: number): number | null => {
  if (!v.length) return null;
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.round(p * (s.length - 1)))];
};

/** Steps through every frame, the next asked for once the current one is shown or has failed. */
async function scrollPass(vp: Viewport, kind: BenchPass["kind"]): Promise<BenchPass> {
  const n = vp.stack?.frames ?? 0;
  const errors: Record<string, number> = {};
  const ms: number[] = [];
  let ticks = 0;
  let i = 0;
  vp.setIndex(0);
  await waitShown(vp, 0, 10000);
  const startPainted = paints.count;
  let asked = performance.now();
  let waitedFrom = asked;
  while (i < n - 1) {
    await nextPaint();
    ticks++;
    const shown = vp.shownIndex === i && !vp.busy;
    const failed = !shown && vp.failed?.index === i && !vp.busy;
    if (shown || failed) {
      if (shown && i > 0) ms.push(paints.lastAt - asked);
      if (failed) errors[vp.failed!.code] = (errors[vp.failed!.code] ?? 0) + 1;
      i++;
      asked = performance.now();
      waitedFrom = asked;
      vp.setIndex(i);
    } else if (performance.now() - waitedFrom > 10000) {
      throw new Error(`frame ${i} neither shown nor failed within 10 s`);
    }
  }
  const lastFailed = async (): Promise<boolean> => {
    const t0 = performance.now();
    while (vp.busy || (vp.shownIndex !== n - 1 && vp.failed?.index !== n - 1)) {
      if (performance.now() - t0 > 10000) throw new Error(`frame ${n - 1} neither shown nor failed within 10 s`);
      await nextPaint();
    }
    return vp.shownIndex !== n - 1;
  };
  if (await lastFailed()) errors[vp.failed!.code] = (errors[vp.failed!.code] ?? 0) + 1;
  else if (n > 1) ms.push(paints.lastAt - asked);
  await nextPaint();
  ticks++;
  return {
    kind,
    frames: n,
    frames_failed: Object.values(errors).reduce((a, b) => a + b, 0),
    errors,
    painted_per_raf: (paints.count - startPainted) / Math.max(1, ticks),
    ms_p50: percentile(ms, 0.5),
    ms_p95: percentile(ms, 0.95),
  };
}

async function runBenchmark(launchEpochMs: number, openEpochMs: number): Promise<void> {
  const t0 = performance.now();
  const vp = active();
  while (!vp.frame) {
    if (performance.now() - t0 > 60000) throw new Error("no image within 60 s");
    await nextPaint();
  }
  const firstImageFromLaunchMs = Date.now() - launchEpochMs;
  const firstImageFromOpenMs = openEpochMs > 0 ? Date.now() - openEpochMs : null;
  // Cold: the shell's and the session's caches emptied, the files evicted from the page cache.
  const coldStart = await invoke<unknown>("bench_cold", { request: { series: vp.series?.id } });
  const cold = await scrollPass(vp, "cold");
  const warm = await scrollPass(vp, "warm");
  const base = vp.window ?? { center: 40, width: 400 };
  const latencies: number[] = [];
  for (let k = 0; k < 40; k++) {
    await nextPaint(); // one drag event per animation frame, as a mouse delivers them
    const start = performance.now();
    vp.setWindow(dragWindow(base, (k % 10) * 4, k * 2), null);
    const target = paints.count + 1;
    while (paints.count < target) await new Promise((r) => setTimeout(r, 0));
    latencies.push(paints.lastAt - start);
  }
  latencies.sort((a, b) => a - b);
  const p95 = percentile(latencies, 0.95);
  // The reading tools' data path: one frame's full-resolution values over IPC, and the
  // statistics of the largest ellipse that fits the frame.
  const valuesMs: number[] = [];
  const statsMs: number[] = [];
  let roiPixels = 0;
  if (vp.series && vp.frame?.channels === 1) {
    for (let k = 0; k < 10; k++) {
      const t = performance.now();
      const values = parseValues(await invoke<ArrayBuffer>("values", { request: { series: vp.series.id, index: vp.shownIndex } }));
      valuesMs.push(performance.now() - t);
      const s = performance.now();
      roiPixels = regionStats("ellipse", { x: 0, y: 0 }, { x: values.width, y: values.height }, values, vp.stack?.spacing ?? null).count;
      statsMs.push(performance.now() - s);
    }
  }
  const median = (v: number[]) => (v.length ? [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] : null);
  await invoke("bench_report", {
    report: {
      schema: "lucent-viewer/bench-scroll/2",
      first_image_from_launch_ms: firstImageFromLaunchMs,
      first_image_from_open_request_ms: firstImageFromOpenMs,
      frames: cold.frames,
      cold_start: coldStart,
      passes: [cold, warm],
      wl_input_to_paint_ms_p95: p95,
      wl_input_to_paint_ms_p50: latencies[Math.floor(latencies.length / 2)],
      values_fetch_ms_p50: median(valuesMs),
      roi_stats_ms_p50: median(statsMs),
      roi_pixels: roiPixels,
    },
  });
}

/** Read-only views of the UI state for the end-to-end run (ids, indices, windows, measurement
 * coordinates; no patient data beyond what is on screen, no backend access). */
declare global {
  interface Window {
    __lucent: unknown;
  }
}
window.__lucent = {
  activeSlot: () => app.active,
  layout: () => app.layout,
  tool: () => app.tool,
  viewport: (slot: number) => {
    const vp = viewports[slot];
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

// ---- start ----
(async () => {
  buildHelp();
  setLayout(1);
  setActive(0);
  setTool("window");
  await listen("studies-changed", () => void loadStudies());
  await listen<IpcError>("open-error", (e) => active().showMessage(errorText(e.payload)));
  await loadStudies();
  const mode = await invoke<{ benchScroll: boolean; launchEpochMs: number; openEpochMs: number }>("app_mode");
  if (mode.benchScroll) {
    const requested = Date.now();
    runBenchmark(mode.launchEpochMs, mode.openEpochMs > 0 ? mode.openEpochMs : requested).catch((e) => void invoke("bench_report", { report: { error: String(e) } }));
  }
})();
