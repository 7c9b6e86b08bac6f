// Lucent's viewer UI: a study browser and one viewport drawn on a canvas. It knows nothing of
// DICOM: it asks the shell for studies (ids + display text) and frames (raw 8-bit pixels) and
// draws them. All text from files is set with textContent, never as HTML.

import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import { Frame, parseFrame, toRgba } from "./frame";
import { Latest } from "./latest";
import { dragWindow, imageTransform, initialView, keyStep, Spacing, spacingText, ViewState, visibleTiles, wheelStep, Window, zoomBy } from "./view";

interface SeriesDto {
  id: string;
  modality: string | null;
  number: number | null;
  description: string | null;
  stack: number;
  frames: number;
  size: [number, number];
}
interface StudyDto {
  id: string;
  patientName: string | null;
  patientId: string | null;
  patientSex: string | null;
  patientAge: string | null;
  date: string | null;
  description: string | null;
  series: SeriesDto[];
}
interface StackDto {
  frames: number;
  locations: (number | null)[];
  windows: [number, number][];
  defaultWindow: [number, number] | null;
  frameTimeMs: number | null;
  spacing: Spacing | null;
}
interface IpcError {
  code: string;
  message: string;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const canvas = $<HTMLCanvasElement>("view");
const ctx = canvas.getContext("2d", { alpha: false }) as CanvasRenderingContext2D;
const offscreen = document.createElement("canvas");
const offctx = offscreen.getContext("2d") as CanvasRenderingContext2D;

const state = {
  studies: [] as StudyDto[],
  study: null as StudyDto | null,
  series: null as SeriesDto | null,
  stack: null as StackDto | null,
  index: 0,
  window: null as Window | null, // null: the file's own VOI
  view: initialView(),
  frame: null as Frame | null,
  shownIndex: -1,
  cine: 0 as number,
};

function showMessage(text: string | null): void {
  const m = $("message");
  m.textContent = text ?? "";
  m.hidden = !text;
}

function errorText(e: unknown): string {
  const err = e as IpcError;
  return err && typeof err === "object" && "message" in err ? `${err.message} (${err.code})` : String(e);
}

function fmtDate(d: string | null): string {
  return d && /^\d{8}$/.test(d) ? `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6)}` : d ?? "";
}

function updateCorners(): void {
  const s = state.study;
  const se = state.series;
  const st = state.stack;
  $("corner-tl").textContent = s
    ? [s.patientName ?? "", s.patientId ? `ID ${s.patientId}` : "", [s.patientSex, s.patientAge].filter(Boolean).join(" ")]
        .filter(Boolean)
        .join("\n")
    : "";
  $("corner-tr").textContent = s
    ? [fmtDate(s.date), s.description ?? "", se ? `${se.modality ?? ""} #${se.number ?? "-"} ${se.description ?? ""}`.trim() : ""]
        .filter(Boolean)
        .join("\n")
    : "";
  const loc = st?.locations[state.index];
  $("corner-bl").textContent = st
    ? [`Im ${state.index + 1}/${st.frames}`, loc != null ? `Loc ${loc.toFixed(1)} mm` : "", spacingText(st.spacing)]
        .filter(Boolean)
        .join("\n")
    : "";
  const w = state.window;
  const zoom = state.frame
    ? Math.round(imageTransform(canvas.width, canvas.height, state.frame.fullWidth, state.frame.fullHeight, state.view).scale * 100)
    : 100;
  $("corner-br").textContent = st
    ? [w ? `W ${Math.round(w.width)} L ${Math.round(w.center)}` : "W/L file", `Zoom ${zoom}%`].join("\n")
    : "";
}

function resizeCanvas(): void {
  const r = canvas.getBoundingClientRect();
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(r.width * dpr));
  const h = Math.max(1, Math.round(r.height * dpr));
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
}

function draw(): void {
  resizeCanvas();
  ctx.fillStyle = "#000";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  const f = state.frame;
  if (f) {
    const t = imageTransform(canvas.width, canvas.height, f.fullWidth, f.fullHeight, state.view);
    ctx.imageSmoothingEnabled = t.scale < 1 || f.downsampled;
    ctx.drawImage(offscreen, t.x, t.y, f.fullWidth * t.scale, f.fullHeight * t.scale);
  }
  updateCorners();
}

let rgbaBuffer: Uint8ClampedArray<ArrayBuffer> | undefined;
const scratch = document.createElement("canvas");
const scratchCtx = scratch.getContext("2d") as CanvasRenderingContext2D;

/** Pixels into the scratch canvas, for scaled drawing into the offscreen image. */
function toScratch(f: Frame): HTMLCanvasElement {
  scratch.width = f.width;
  scratch.height = f.height;
  scratchCtx.putImageData(new ImageData(toRgba(f), f.width, f.height), 0, 0);
  return scratch;
}

// Large images: the coarse level fills the full-size offscreen image first; tiles of the visible
// region then replace it, at the level that matches the screen.
const tiles = { key: "", loaded: new Set<string>(), running: false, again: false };

function frameKey(): string {
  const w = state.window;
  return `${state.series?.id}:${state.shownIndex}:${w ? `${w.center}:${w.width}` : "file"}`;
}

async function loadVisibleTiles(): Promise<void> {
  const f = state.frame;
  if (!f || !f.downsampled || !state.series) return;
  if (tiles.running) {
    tiles.again = true;
    return;
  }
  tiles.running = true;
  try {
    do {
      tiles.again = false;
      const key = frameKey();
      const t = imageTransform(canvas.width, canvas.height, f.fullWidth, f.fullHeight, state.view);
      const { level, tiles: wanted } = visibleTiles(t, canvas.width, canvas.height, f.fullWidth, f.fullHeight);
      for (const [tx, ty] of wanted) {
        if (frameKey() !== key || state.frame !== f) return;
        const id = `${level}:${tx}:${ty}`;
        if (tiles.loaded.has(id)) continue;
        const w = state.window;
        const request = { series: state.series.id, index: state.shownIndex, window: w ? { center: w.center, width: w.width } : null, level, tx, ty };
        let tile: Frame;
        try {
          tile = parseFrame(await invoke<ArrayBuffer>("tile", { request }));
        } catch {
          continue; // a level the pyramid does not have: the coarse level stays
        }
        if (frameKey() !== key || state.frame !== f) return;
        const scale = 2 ** level;
        offctx.drawImage(toScratch(tile), tile.fullWidth, tile.fullHeight, tile.width * scale, tile.height * scale);
        tiles.loaded.add(id);
        draw();
      }
      if (wanted.every(([tx, ty]) => tiles.loaded.has(`${level}:${tx}:${ty}`))) {
        $("badge-downsampled").hidden = true;
      }
    } while (tiles.again);
  } finally {
    tiles.running = false;
  }
}

function present(frame: Frame, index: number): void {
  if (frame.downsampled) {
    if (offscreen.width !== frame.fullWidth || offscreen.height !== frame.fullHeight) {
      offscreen.width = frame.fullWidth;
      offscreen.height = frame.fullHeight;
    }
    offctx.imageSmoothingEnabled = true;
    offctx.drawImage(toScratch(frame), 0, 0, frame.fullWidth, frame.fullHeight);
    tiles.loaded = new Set();
  } else {
    if (offscreen.width !== frame.width || offscreen.height !== frame.height) {
      offscreen.width = frame.width;
      offscreen.height = frame.height;
    }
    rgbaBuffer = toRgba(frame, rgbaBuffer);
    offctx.putImageData(new ImageData(rgbaBuffer, frame.width, frame.height), 0, 0);
  }
  state.frame = frame;
  state.shownIndex = index;
  $("badge-lossy").hidden = !frame.lossy;
  $("badge-downsampled").hidden = !frame.downsampled;
  showMessage(null);
  draw();
  painted++;
  lastPaintAt = performance.now();
  if (pendingThumbnails.length) setTimeout(() => void drawPendingThumbnails(), 0);
}

let painted = 0;
let lastPaintAt = 0;
const frames = new Latest<{ frame: Frame; index: number; refine: boolean }>(
  ({ frame, index, refine }) => {
    present(frame, index);
    if (refine) void loadVisibleTiles(); // full-resolution tiles of the visible region next
  },
  (e) => showMessage(errorText(e)),
);

async function fetchFrame(index: number, coarse: boolean): Promise<Frame> {
  const se = state.series as SeriesDto;
  const request = {
    series: se.id,
    index,
    window: state.window ? { center: state.window.center, width: state.window.width } : null,
    maxDim: coarse ? 1024 : null,
    direction: lastDirection,
  };
  const buffer = await invoke<ArrayBuffer>("frame", { request });
  return parseFrame(buffer);
}

function requestFrame(coarseFirst: boolean): void {
  if (!state.series) return;
  const index = state.index;
  const large = state.series.size[0] * state.series.size[1] > 4_000_000;
  void coarseFirst;
  frames.submit(async () => {
    const frame = await fetchFrame(index, large);
    return { frame, index, refine: frame.downsampled };
  });
}

let lastDirection = 1;
function setIndex(i: number): void {
  if (!state.stack) return;
  const clamped = Math.min(state.stack.frames - 1, Math.max(0, i));
  if (clamped !== state.index) lastDirection = clamped > state.index ? 1 : -1;
  if (clamped === state.index && state.shownIndex === clamped) return;
  state.index = clamped;
  updateCorners();
  requestFrame(true);
}

async function selectSeries(study: StudyDto, series: SeriesDto): Promise<void> {
  stopCine();
  state.study = study;
  state.series = series;
  state.index = 0;
  state.shownIndex = -1;
  state.view = initialView();
  state.frame = null;
  document.querySelectorAll(".series").forEach((b) => b.classList.toggle("active", (b as HTMLElement).dataset.id === series.id));
  try {
    state.stack = await invoke<StackDto>("stack", { request: { series: series.id } });
    state.window = state.stack.defaultWindow ? { center: state.stack.defaultWindow[0], width: state.stack.defaultWindow[1] } : null;
  } catch (e) {
    state.stack = { frames: series.frames, locations: [], windows: [], defaultWindow: null, frameTimeMs: null, spacing: null };
    state.window = null;
    showMessage(errorText(e));
  }
  draw();
  requestFrame(true);
}

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

function renderBrowser(): void {
  const root = $("studies");
  root.replaceChildren();
  $("empty-hint").hidden = state.studies.length > 0;
  for (const study of state.studies) {
    const box = document.createElement("section");
    box.className = "study";
    const title = document.createElement("div");
    title.className = "study-title";
    title.textContent = [study.patientName, fmtDate(study.date), study.description].filter(Boolean).join(" · ");
    box.append(title);
    for (const series of study.series) {
      const b = document.createElement("button");
      b.className = "series";
      b.dataset.id = series.id;
      const thumb = document.createElement("canvas");
      const label = document.createElement("div");
      label.className = "label";
      label.textContent = `${series.modality ?? "?"} #${series.number ?? "-"}${series.stack ? ` (stack ${series.stack + 1})` : ""}\n${series.description ?? ""}\n${series.frames} image${series.frames === 1 ? "" : "s"}`;
      label.style.whiteSpace = "pre-line";
      b.append(thumb, label);
      b.addEventListener("click", () => void selectSeries(study, series));
      box.append(b);
      pendingThumbnails.push(() => drawThumbnail(series, thumb));
    }
    root.append(box);
  }
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
    el.textContent =
      total === 0
        ? ""
        : `${total} file${total === 1 ? "" : "s"} not shown:\n` +
          skipped.map((s) => `${s.count} × ${s.code}`).join("\n");
    el.title = skipped.map((s) => `${s.code}: ${s.meaning}`).join("\n");
  } catch {
    el.hidden = true;
  }
}

async function loadStudies(): Promise<void> {
  try {
    state.studies = await invoke<StudyDto[]>("studies");
  } catch (e) {
    showMessage(errorText(e));
    return;
  }
  void loadSkipped();
  renderBrowser();
  if (!state.series && state.studies.length > 0) {
    const study = state.studies[0];
    const first = [...study.series].sort((a, b) => b.frames - a.frames)[0] ?? study.series[0];
    if (first) await selectSeries(study, first);
  }
}

// ---- input ----
canvas.addEventListener(
  "wheel",
  (e) => {
    e.preventDefault();
    if (!state.stack) return;
    if (e.ctrlKey || e.metaKey) {
      state.view = zoomBy(state.view, e.deltaY < 0 ? 1.1 : 1 / 1.1);
      draw();
      void loadVisibleTiles();
      return;
    }
    setIndex(wheelStep(state.index, e.deltaY, state.stack.frames));
  },
  { passive: false },
);

let drag: { button: number; x: number; y: number; window: Window | null; view: ViewState } | null = null;
canvas.addEventListener("contextmenu", (e) => e.preventDefault());
canvas.addEventListener("pointerdown", (e) => {
  try {
    canvas.setPointerCapture(e.pointerId);
  } catch {
    // Synthetic events (automation) have no capturable pointer; dragging still works.
  }
  drag = { button: e.button, x: e.clientX, y: e.clientY, window: state.window, view: { ...state.view } };
});
canvas.addEventListener("pointermove", (e) => {
  if (!drag) return;
  const dx = e.clientX - drag.x;
  const dy = e.clientY - drag.y;
  if (drag.button === 0 && e.pointerType === "mouse") {
    const base = drag.window ?? { center: 128, width: 256 };
    state.window = dragWindow(base, dx, dy);
    updateCorners();
    requestFrame(false);
  } else if (drag.button === 0) {
    // One-finger drag on a touch screen scrolls through the stack.
    const step = Math.trunc(dy / 12);
    if (step !== 0 && state.stack) {
      setIndex(state.index + step);
      drag.y = e.clientY;
    }
  } else if (drag.button === 2) {
    state.view = zoomBy(drag.view, Math.exp(-dy / 200));
    draw();
    void loadVisibleTiles();
  } else if (drag.button === 1) {
    state.view = { ...drag.view, panX: drag.view.panX + dx, panY: drag.view.panY + dy };
    draw();
    void loadVisibleTiles();
  }
});
const endDrag = () => {
  drag = null;
};
canvas.addEventListener("pointerup", endDrag);
canvas.addEventListener("pointercancel", endDrag);

window.addEventListener("keydown", (e) => {
  if (!state.stack) return;
  const next = keyStep(state.index, e.key, state.stack.frames);
  if (next !== null) {
    e.preventDefault();
    setIndex(next);
    return;
  }
  if (e.key === "f" || e.key === "F") fit();
  else if (e.key === "r" || e.key === "R") reset();
  else if (e.key === " ") {
    e.preventDefault();
    toggleCine();
  }
});

function fit(): void {
  state.view = initialView();
  draw();
}

function reset(): void {
  state.view = initialView();
  state.window = state.stack?.defaultWindow ? { center: state.stack.defaultWindow[0], width: state.stack.defaultWindow[1] } : null;
  requestFrame(false);
}

function stopCine(): void {
  if (state.cine) window.clearInterval(state.cine);
  state.cine = 0;
  $("btn-cine").textContent = "▶ Cine";
}

function toggleCine(): void {
  if (state.cine) return stopCine();
  if (!state.stack) return;
  const fps = Math.min(60, Math.max(1, Number(($("cine-fps") as HTMLInputElement).value) || 15));
  state.cine = window.setInterval(() => {
    if (!state.stack || frames.busy) return;
    setIndex((state.index + 1) % state.stack.frames);
  }, 1000 / fps);
  $("btn-cine").textContent = "⏸ Cine";
}

$("btn-fit").addEventListener("click", fit);
$("btn-reset").addEventListener("click", reset);
$("btn-cine").addEventListener("click", toggleCine);
window.addEventListener("resize", draw);

// ---- in-app benchmark (lucent-viewer --bench-scroll OUT.json) ----
const nextPaint = () => new Promise<number>((r) => requestAnimationFrame(r));

async function waitShown(index: number, timeoutMs: number): Promise<void> {
  const t0 = performance.now();
  while (state.shownIndex !== index || frames.busy) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`frame ${index} not shown`);
    await nextPaint();
  }
}

async function scrollPass(): Promise<{ frames: number; rafTicks: number; paintedPerRaf: number }> {
  const n = state.stack?.frames ?? 0;
  const before = painted;
  let ticks = 0;
  let i = 0;
  setIndex(0);
  await waitShown(0, 10000);
  const startPainted = painted;
  while (i < n - 1) {
    await nextPaint();
    ticks++;
    if (state.shownIndex === i && !frames.busy) {
      i++;
      setIndex(i);
    }
  }
  await waitShown(n - 1, 10000);
  await nextPaint();
  ticks++;
  const shown = painted - startPainted;
  void before;
  return { frames: n, rafTicks: ticks, paintedPerRaf: shown / Math.max(1, ticks) };
}

async function runBenchmark(launchEpochMs: number, openEpochMs: number): Promise<void> {
  const t0 = performance.now();
  while (!state.frame) {
    if (performance.now() - t0 > 60000) throw new Error("no image within 60 s");
    await nextPaint();
  }
  const firstImageFromLaunchMs = Date.now() - launchEpochMs;
  const firstImageFromOpenMs = openEpochMs > 0 ? Date.now() - openEpochMs : null;
  const cold = await scrollPass();
  const warm = await scrollPass();
  const base = state.window ?? { center: 40, width: 400 };
  const latencies: number[] = [];
  for (let k = 0; k < 40; k++) {
    await nextPaint(); // one drag event per animation frame, as a mouse delivers them
    const start = performance.now();
    state.window = dragWindow(base, (k % 10) * 4, k * 2);
    requestFrame(false);
    const target = painted + 1;
    while (painted < target) await new Promise((r) => setTimeout(r, 0));
    latencies.push(lastPaintAt - start);
  }
  latencies.sort((a, b) => a - b);
  const p95 = latencies[Math.min(latencies.length - 1, Math.round(0.95 * (latencies.length - 1)))];
  await invoke("bench_report", {
    report: {
      schema: "lucent-viewer/bench-scroll/1",
      first_image_from_launch_ms: firstImageFromLaunchMs,
      first_image_from_open_request_ms: firstImageFromOpenMs,
      frames: cold.frames,
      cold_painted_per_raf: cold.paintedPerRaf,
      warm_painted_per_raf: warm.paintedPerRaf,
      wl_input_to_paint_ms_p95: p95,
      wl_input_to_paint_ms_p50: latencies[Math.floor(latencies.length / 2)],
    },
  });
}

// ---- start ----
(async () => {
  await listen("studies-changed", () => void loadStudies());
  await listen<IpcError>("open-error", (e) => showMessage(errorText(e.payload)));
  draw();
  await loadStudies();
  const mode = await invoke<{ benchScroll: boolean; launchEpochMs: number; openEpochMs: number }>("app_mode");
  if (mode.benchScroll) {
    const requested = Date.now();
    runBenchmark(mode.launchEpochMs, mode.openEpochMs > 0 ? mode.openEpochMs : requested).catch((e) => void invoke("bench_report", { report: { error: String(e) } }));
  }
})();
