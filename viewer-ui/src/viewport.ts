// One viewport: a canvas showing one frame of one stack, its corner text, orientation markers,
// badges and measurements. It asks the shell for frames, tiles and values by opaque id and never
// sees a path. All text from files is set with textContent, never as HTML.

import { invoke } from "@tauri-apps/api/core";
import { Frame, parseFrame, toRgba } from "./frame";
import { Latest } from "./latest";
import { Annotation, annotationLabel, distanceToOutline, FrameValues, outline, parseValues, Point, POINTS, probeText, spacingFor } from "./measure";
import { screenMarkers } from "./orientation";
import { presetsFor } from "./presets";
import {
  Affine,
  applyMatrix,
  initialView,
  invertPoint,
  matrixScale,
  Spacing,
  spacingText,
  windowText,
  UltrasoundRegion,
  ViewState,
  viewMatrix,
  visibleTiles,
  Window,
} from "./view";

export interface SeriesDto {
  id: string;
  modality: string | null;
  number: number | null;
  description: string | null;
  stack: number;
  frames: number;
  size: [number, number];
}
export interface StudyDto {
  id: string;
  patientName: string | null;
  patientId: string | null;
  patientSex: string | null;
  patientAge: string | null;
  date: string | null;
  description: string | null;
  /** Why the browser flags this study, one sentence each (from the index). */
  warnings: string[];
  series: SeriesDto[];
}
export interface StackDto {
  frames: number;
  locations: (number | null)[];
  windows: [number, number][];
  defaultWindow: [number, number] | null;
  frameTimeMs: number | null;
  spacing: Spacing | null;
  orientation: number[] | null;
  frameOfReference: string | null;
  modality: string | null;
  ultrasoundRegions: UltrasoundRegion[];
}
export interface IpcError {
  code: string;
  message: string;
}

export function errorText(e: unknown): string {
  const err = e as IpcError;
  return err && typeof err === "object" && "message" in err ? `${err.message} (${err.code})` : String(e);
}

export function fmtDate(d: string | null): string {
  return d && /^\d{8}$/.test(d) ? `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6)}` : (d ?? "");
}

/** Measurements per (series, frame): shared by every viewport showing that frame. */
export const annotations = new Map<string, Annotation[]>();

/** Frames painted by any viewport (the in-app benchmark counts them). */
export const paints = { count: 0, lastAt: 0 };

/** What the viewports share: the display mode and the hooks back into the app. */
export interface ViewportHost {
  large: () => boolean;
  onPainted: () => void;
}

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, parent: HTMLElement): HTMLElementTagNameMap[K] => {
  const e = document.createElement(tag);
  e.className = cls;
  parent.append(e);
  return e;
};

export class Viewport {
  readonly root: HTMLDivElement;
  readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private readonly offscreen = document.createElement("canvas");
  private readonly offctx: CanvasRenderingContext2D;
  private readonly corners: Record<"tl" | "tr" | "bl" | "br", HTMLDivElement>;
  private readonly markers: Record<"top" | "bottom" | "left" | "right", HTMLDivElement>;
  private readonly badgeLossy: HTMLSpanElement;
  private readonly badgeDownsampled: HTMLSpanElement;
  private readonly badgeInverted: HTMLSpanElement;
  private readonly badgeOverlaysHidden: HTMLSpanElement;
  private readonly message: HTMLDivElement;
  private readonly readout: HTMLDivElement;
  private readonly empty: HTMLDivElement;

  study: StudyDto | null = null;
  series: SeriesDto | null = null;
  stack: StackDto | null = null;
  index = 0;
  shownIndex = -1;
  /** The last frame request that failed (index and error code) since a frame was shown: the
   * in-app benchmark counts these instead of waiting for a frame that never comes. */
  failed: { index: number; code: string } | null = null;
  /** The window shown and where a W/L drag starts; null: the file's own VOI (no window). */
  window: Window | null = null;
  /** `window` is the file's own (frames are asked for with the file's VOI, not this window). */
  windowFromFile = true;
  presetName: string | null = null;
  invert = false;
  /** Draw the file's overlay planes (PS3.3 C.9; burnt in by the shell): on unless turned off. */
  overlays = true;
  /** Apply the file's display shutter (PS3.3 C.7.6.11, in Rust): on unless the reader lifts it
   * to look behind it (Rust's note then says so in the corner). */
  shutters = true;
  view: ViewState = initialView();
  frame: Frame | null = null;
  direction = 1;
  /** The measurement being drawn, and which one is selected. */
  draft: Annotation | null = null;
  selected: Annotation | null = null;
  /** The pointer's position in image coordinates (for the live probe), or null. */
  hover: Point | null = null;

  private rgbaBuffer: Uint8ClampedArray<ArrayBuffer> | undefined;
  private readonly tiles = { loaded: new Set<string>(), running: false, again: false };
  private values: { key: string; data: FrameValues | null; error: string | null } = { key: "", data: null, error: null };
  private readonly frames: Latest<{ frame: Frame; index: number; refine: boolean }>;
  private readonly valueRequests: Latest<{ key: string; data: FrameValues | null; error: string | null }>;
  /** A pending values fetch for the hover readout, and the frame it is for. */
  private valuesTimer: { key: string; id: number } | null = null;

  constructor(
    parent: HTMLElement,
    readonly slot: number,
    private readonly host: ViewportHost,
  ) {
    this.root = el("div", "viewport", parent);
    this.root.dataset.slot = String(slot);
    this.canvas = el("canvas", "view", this.root);
    this.empty = el("div", "empty", this.root);
    this.empty.textContent = "Click a series in the list, or drag one here";
    this.ctx = this.canvas.getContext("2d", { alpha: false }) as CanvasRenderingContext2D;
    this.offctx = this.offscreen.getContext("2d") as CanvasRenderingContext2D;
    this.corners = {
      tl: el("div", "corner tl", this.root),
      tr: el("div", "corner tr", this.root),
      bl: el("div", "corner bl", this.root),
      br: el("div", "corner br", this.root),
    };
    this.markers = {
      top: el("div", "marker top", this.root),
      bottom: el("div", "marker bottom", this.root),
      left: el("div", "marker left", this.root),
      right: el("div", "marker right", this.root),
    };
    const badges = el("div", "badges", this.root);
    this.badgeLossy = el("span", "badge lossy", badges);
    this.badgeLossy.textContent = "LOSSY";
    this.badgeDownsampled = el("span", "badge downsampled", badges);
    this.badgeDownsampled.textContent = "DOWNSAMPLED";
    this.badgeInverted = el("span", "badge inverted", badges);
    this.badgeInverted.textContent = "INVERTED";
    this.badgeOverlaysHidden = el("span", "badge overlays-hidden", badges);
    this.badgeOverlaysHidden.textContent = "OVERLAYS HIDDEN";
    for (const b of [this.badgeLossy, this.badgeDownsampled, this.badgeInverted, this.badgeOverlaysHidden]) b.hidden = true;
    this.readout = el("div", "readout", this.root);
    this.message = el("div", "message", this.root);
    this.message.setAttribute("role", "alert");
    this.message.hidden = true;
    this.frames = new Latest(
      ({ frame, index, refine }) => {
        this.present(frame, index);
        if (refine) void this.loadVisibleTiles();
      },
      (e) => this.showFrameError(errorText(e)),
    );
    this.valueRequests = new Latest(
      ({ key, data, error }) => {
        this.values = { key, data, error };
        this.draw();
      },
      () => {},
    );
  }

  get busy(): boolean {
    return this.frames.busy;
  }

  get frameKey(): string {
    return `${this.series?.id}:${this.shownIndex}`;
  }

  /** Measurements on the frame on screen. */
  get annotations(): readonly Annotation[] {
    return annotations.get(this.frameKey) ?? [];
  }

  addAnnotation(n: Annotation): void {
    const list = annotations.get(this.frameKey) ?? [];
    list.push(n);
    annotations.set(this.frameKey, list);
  }

  /** Removes one measurement (the selected one, else the last drawn), or all of this frame's. */
  removeAnnotation(which: "selected-or-last" | "all"): void {
    const list = annotations.get(this.frameKey);
    if (!list?.length) return;
    if (which === "all") list.length = 0;
    else list.splice(this.selected && list.includes(this.selected) ? list.indexOf(this.selected) : list.length - 1, 1);
    if (!list.length) annotations.delete(this.frameKey);
    this.selected = null;
    this.draw();
  }

  showMessage(text: string | null): void {
    this.message.textContent = text ?? "";
    this.message.hidden = !text;
  }

  /** A frame that cannot be shown: its error and an empty image, never the previous frame's
   * pixels under this frame's corner text (a refused file must not look like the slice asked for). */
  showFrameError(text: string): void {
    this.frame = null;
    this.shownIndex = -1;
    this.values = { key: "", data: null, error: null };
    this.badgeLossy.hidden = true;
    this.badgeDownsampled.hidden = true;
    this.showMessage(text);
    this.draw();
  }

  async setSeries(study: StudyDto, series: SeriesDto): Promise<void> {
    this.study = study;
    this.series = series;
    this.index = 0;
    this.shownIndex = -1;
    this.view = initialView();
    this.frame = null;
    this.invert = false;
    this.overlays = true;
    this.shutters = true;
    this.draft = null;
    this.selected = null;
    this.values = { key: "", data: null, error: null };
    try {
      const stack = await invoke<StackDto>("stack", { request: { series: series.id } });
      if (this.series !== series) return; // the user moved on: never give a series another's geometry
      this.stack = stack;
      this.resetWindow();
    } catch (e) {
      if (this.series !== series) return;
      this.stack = {
        frames: series.frames,
        locations: [],
        windows: [],
        defaultWindow: null,
        frameTimeMs: null,
        spacing: null,
        orientation: null,
        frameOfReference: null,
        modality: series.modality,
        ultrasoundRegions: [],
      };
      this.window = null;
      this.showMessage(errorText(e));
    }
    this.draw();
    this.requestFrame();
  }

  /** After more files were opened: the series may have grown, so its stack (frame count,
   * locations) is asked for again; the view, window and position are kept. */
  async reloadStack(study: StudyDto): Promise<void> {
    const current = this.series;
    const fresh = current && study.series.find((s) => s.id === current.id);
    if (!fresh) return;
    this.study = study;
    this.series = fresh;
    try {
      const stack = await invoke<StackDto>("stack", { request: { series: fresh.id } });
      if (this.series !== fresh) return;
      this.stack = stack;
    } catch {
      return; // the frame request will show the error
    }
    this.values = { key: "", data: null, error: null };
    this.shownIndex = -1;
    this.index = Math.min(this.index, Math.max(0, this.stack.frames - 1));
    this.requestFrame();
  }

  /** The file's window (where a W/L drag starts), or the file's own VOI when it has none. Frames
   * are then asked for with the file's own VOI, not this window, so its VOI LUT Function and
   * per-frame windows apply as the file says (Rust reports what it applied in the notes). */
  resetWindow(): void {
    const d = this.stack?.defaultWindow;
    this.window = d ? { center: d[0], width: d[1] } : null;
    this.windowFromFile = true;
    this.presetName = d ? (presetsFor(this.stack?.modality ?? null, this.stack?.windows ?? []).find((p) => p.window.center === d[0] && p.window.width === d[1])?.name ?? null) : null;
  }

  setWindow(w: Window | null, presetName: string | null): void {
    this.window = w;
    this.windowFromFile = w === null;
    this.presetName = presetName;
    this.updateCorners();
    this.requestFrame();
  }

  /** Moves to frame `i` (clamped); returns whether the index changed. */
  setIndex(i: number): boolean {
    if (!this.stack) return false;
    const clamped = Math.min(this.stack.frames - 1, Math.max(0, i));
    if (clamped !== this.index) this.direction = clamped > this.index ? 1 : -1;
    if (clamped === this.index && this.shownIndex === clamped) return false;
    this.index = clamped;
    this.draft = null;
    this.updateCorners();
    this.requestFrame();
    return true;
  }

  requestFrame(): void {
    if (!this.series) return;
    const se = this.series;
    const index = this.index;
    const large = se.size[0] * se.size[1] > 4_000_000;
    const window = this.requestedWindow();
    const direction = this.direction;
    const { overlays, shutters } = this;
    this.frames.submit(async () => {
      const request = { series: se.id, index, window, maxDim: large ? 1024 : null, direction, overlays, shutters };
      try {
        const frame = parseFrame(await invoke<ArrayBuffer>("frame", { request }));
        return { frame, index, refine: frame.downsampled };
      } catch (e) {
        const code = (e as IpcError | null)?.code;
        this.failed = { index, code: typeof code === "string" ? code : "parse" };
        throw e;
      }
    });
  }

  /** The values of the frame on screen, when they have arrived. */
  valuesOnScreen(): FrameValues | null {
    return this.values.key === this.frameKey ? this.values.data : null;
  }

  /** The frame's values, fetched once per frame when a probe or region needs them. */
  private needValues(): FrameValues | null {
    if (!this.series || this.shownIndex < 0 || this.frame?.channels !== 1) return null;
    const key = this.frameKey;
    if (this.values.key === key) return this.values.data;
    this.values = { key, data: null, error: null };
    const series = this.series.id;
    const index = this.shownIndex;
    this.valueRequests.submit(async () => {
      try {
        return { key, data: parseValues(await invoke<ArrayBuffer>("values", { request: { series, index } })), error: null };
      } catch (e) {
        return { key, data: null, error: errorText(e) }; // stored under its own frame, not the current one
      }
    });
    return null;
  }

  /** The hover readout fetches values once the frame has stayed on screen for 150 ms, so that
   * scrolling with the pointer over the image never pulls values for frames passing by. */
  private scheduleValues(): void {
    const key = this.frameKey;
    if (this.valuesTimer?.key === key || this.values.key === key) return;
    if (this.valuesTimer) window.clearTimeout(this.valuesTimer.id);
    this.valuesTimer = {
      key,
      id: window.setTimeout(() => {
        this.valuesTimer = null;
        if (this.frameKey === key && this.hover) {
          this.needValues();
        }
      }, 150),
    };
  }

  private resizeCanvas(): void {
    const r = this.canvas.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(r.width * dpr));
    const h = Math.max(1, Math.round(r.height * dpr));
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
    }
  }

  /** The view matrix of the frame on screen, or null. */
  matrix(): Affine | null {
    const f = this.frame;
    return f ? viewMatrix(this.canvas.width, this.canvas.height, f.fullWidth, f.fullHeight, this.view) : null;
  }

  /** Image coordinates of a client (CSS pixel) position. */
  toImage(clientX: number, clientY: number): Point | null {
    const m = this.matrix();
    if (!m) return null;
    const r = this.canvas.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    const [x, y] = invertPoint(m, (clientX - r.left) * dpr, (clientY - r.top) * dpr);
    return { x, y };
  }

  /** Canvas coordinates of a client position. */
  toCanvas(clientX: number, clientY: number): [number, number] {
    const r = this.canvas.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    return [(clientX - r.left) * dpr, (clientY - r.top) * dpr];
  }

  draw(): void {
    this.resizeCanvas();
    const ctx = this.ctx;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    const f = this.frame;
    const m = this.matrix();
    if (f && m) {
      ctx.setTransform(m.a, m.b, m.c, m.d, m.e, m.f);
      ctx.imageSmoothingEnabled = matrixScale(m) < 1 || f.downsampled;
      ctx.drawImage(this.offscreen, 0, 0, f.fullWidth, f.fullHeight);
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      this.drawAnnotations(m);
    }
    this.updateCorners();
  }

  private drawAnnotations(m: Affine): void {
    const list = this.annotations;
    const all = this.draft ? [...list, this.draft] : list;
    const needsValues = all.some((n) => n.kind === "probe" || n.kind === "rect" || n.kind === "ellipse");
    const values = needsValues ? this.needValues() : this.valuesOnScreen();
    if (this.hover && !values) this.scheduleValues();
    const ctx = this.ctx;
    const dpr = window.devicePixelRatio || 1;
    const large = this.host.large();
    const font = Math.round((large ? 19 : 14) * dpr);
    ctx.lineWidth = (large ? 3 : 1.6) * dpr;
    ctx.font = `${font}px system-ui, sans-serif`;
    ctx.textBaseline = "top";
    for (const n of all) {
      const colour = n === this.selected ? "#3cf" : n === this.draft ? "#fc3" : "#ff6";
      ctx.strokeStyle = colour;
      ctx.fillStyle = colour;
      for (const line of outline(n)) {
        const pts = line.map((p) => applyMatrix(m, p.x, p.y));
        ctx.beginPath();
        pts.forEach(([x, y], k) => (k ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
        ctx.stroke();
      }
      const r = (large ? 7 : 4) * dpr;
      for (const p of n.points) {
        const [x, y] = applyMatrix(m, p.x, p.y);
        ctx.beginPath();
        if (n.kind === "probe") {
          ctx.moveTo(x - 2 * r, y);
          ctx.lineTo(x + 2 * r, y);
          ctx.moveTo(x, y - 2 * r);
          ctx.lineTo(x, y + 2 * r);
          ctx.stroke();
        } else {
          ctx.arc(x, y, r, 0, 2 * Math.PI);
          ctx.stroke();
        }
      }
      if (n.points.length < POINTS[n.kind]) continue;
      const label = this.labelFor(n, values);
      // The label sits right of the rightmost point on screen.
      const anchor = n.points.map((p) => applyMatrix(m, p.x, p.y)).reduce((best, q) => (q[0] > best[0] ? q : best));
      const lines = label.split("\n");
      const x = anchor[0] + 10 * dpr;
      let y = anchor[1] - (lines.length * font * 1.25) / 2;
      ctx.lineWidth = 3 * dpr;
      ctx.strokeStyle = "#000";
      for (const text of lines) {
        ctx.strokeText(text, x, y);
        ctx.fillText(text, x, y);
        y += font * 1.25;
      }
      ctx.lineWidth = (large ? 3 : 1.6) * dpr;
    }
    this.readout.textContent = this.hover ? this.hoverText(values) : "";
  }

  /** Labels are cached per annotation, points and values: region statistics of a large image
   * (150 ms for 16 million pixels) are not recomputed by a W/L drag or a redraw. */
  labelFor(n: Annotation, values: FrameValues | null): string {
    const unavailable = this.valuesUnavailable();
    const key = `${n.points.map((p) => `${p.x},${p.y}`).join(";")}|${this.frameKey}|${values ? "v" : "-"}|${unavailable}`;
    const cached = labelCache.get(n);
    if (cached?.key === key && cached.values === values) return cached.label;
    const label =
      n.kind === "probe" && this.frame?.channels === 3 && !this.frame.downsampled
        ? rgbText(this.frame, n.points[0]) || "outside the image"
        : annotationLabel(n, spacingFor(n.points, this.stack?.spacing ?? null, this.stack?.ultrasoundRegions ?? []), values, unavailable);
    labelCache.set(n, { key, values, label });
    return label;
  }

  /** Why the frame on screen has no values: colour, or the backend's error. */
  valuesUnavailable(): string | null {
    if (this.frame?.channels === 3) return "colour image: no modality values";
    if (this.values.key === this.frameKey && this.values.error) return this.values.error;
    return null;
  }

  private hoverText(values: FrameValues | null): string {
    if (!this.hover || !this.frame) return "";
    if (this.frame.channels !== 1) return this.frame.downsampled ? "" : rgbText(this.frame, this.hover);
    if (this.values.error && this.values.key === this.frameKey) return this.values.error;
    return values ? (probeText(values, this.hover) ?? "") : "…";
  }

  /** The annotation whose outline is within `radius` canvas pixels of a canvas point, if any. */
  hitTest(cx: number, cy: number, radius: number): Annotation | null {
    const m = this.matrix();
    if (!m) return null;
    let best: Annotation | null = null;
    let bestDistance = radius;
    for (const n of this.annotations) {
      const lines = outline(n).map((line) =>
        line.map((p) => {
          const [x, y] = applyMatrix(m, p.x, p.y);
          return { x, y };
        }),
      );
      const d = distanceToOutline({ x: cx, y: cy }, lines);
      if (d <= bestDistance) {
        bestDistance = d;
        best = n;
      }
    }
    return best;
  }

  /** The handle (point index) of an annotation within `radius` canvas pixels, if any. */
  handleAt(n: Annotation, cx: number, cy: number, radius: number): number {
    const m = this.matrix();
    if (!m) return -1;
    return n.points.findIndex((p) => {
      const [x, y] = applyMatrix(m, p.x, p.y);
      return Math.hypot(x - cx, y - cy) <= radius;
    });
  }

  updateCorners(): void {
    this.empty.hidden = this.series !== null;
    const s = this.study;
    const se = this.series;
    const st = this.stack;
    this.corners.tl.textContent = s
      ? [s.patientName ?? "", s.patientId ? `ID ${s.patientId}` : "", [s.patientSex, s.patientAge].filter(Boolean).join(" ")].filter(Boolean).join("\n")
      : "";
    this.corners.tr.textContent = s
      ? [fmtDate(s.date), s.description ?? "", se ? `${se.modality ?? ""} #${se.number ?? "-"} ${se.description ?? ""}`.trim() : ""].filter(Boolean).join("\n")
      : "";
    const loc = st?.locations[this.index];
    this.corners.bl.textContent = st
      ? [`Im ${this.index + 1}/${st.frames}`, loc != null ? `Loc ${loc.toFixed(1)} mm` : "", spacingText(st.spacing, st.ultrasoundRegions)].filter(Boolean).join("\n")
      : "";
    const m = this.matrix();
    const w = this.window;
    const colour = this.frame ? this.frame.channels === 3 : false;
    const wl = colour ? "" : w ? `W ${windowText(w.width)} L ${windowText(w.center)}${this.presetName ? ` ${this.presetName}` : ""}` : "W/L file";
    // Rust's notes on how the frame on screen is shown (the window applied, an ignored
    // attribute, a mislabelled file): fixed sentences, never header text.
    const notes = this.notesOnScreen();
    const view = [
      m ? `Zoom ${Math.round(matrixScale(m) * 100)}%` : "",
      this.view.rotation ? `Rot ${this.view.rotation * 90}°` : "",
      this.view.flipH ? "Flip H" : "",
      this.view.flipV ? "Flip V" : "",
    ]
      .filter(Boolean)
      .join(" ");
    this.corners.br.textContent = st ? [wl, ...notes, view].filter(Boolean).join("\n") : "";
    const markers = m ? screenMarkers(st?.orientation ?? null, m, st?.spacing ?? null) : null;
    for (const side of ["top", "bottom", "left", "right"] as const) this.markers[side].textContent = markers ? markers[side] : "";
    this.badgeInverted.hidden = !this.invert || colour;
    this.badgeOverlaysHidden.hidden = this.overlays || !st;
  }

  private toScratch(f: Frame): HTMLCanvasElement {
    scratch.width = f.width;
    scratch.height = f.height;
    scratchCtx.putImageData(new ImageData(toRgba(f, undefined, this.invert), f.width, f.height), 0, 0);
    return scratch;
  }

  private present(frame: Frame, index: number): void {
    if (frame.downsampled) {
      if (this.offscreen.width !== frame.fullWidth || this.offscreen.height !== frame.fullHeight) {
        this.offscreen.width = frame.fullWidth;
        this.offscreen.height = frame.fullHeight;
      }
      this.offctx.imageSmoothingEnabled = true;
      this.offctx.drawImage(this.toScratch(frame), 0, 0, frame.fullWidth, frame.fullHeight);
      this.tiles.loaded = new Set();
    } else {
      if (this.offscreen.width !== frame.width || this.offscreen.height !== frame.height) {
        this.offscreen.width = frame.width;
        this.offscreen.height = frame.height;
      }
      this.rgbaBuffer = toRgba(frame, this.rgbaBuffer, this.invert);
      this.offctx.putImageData(new ImageData(this.rgbaBuffer, frame.width, frame.height), 0, 0);
    }
    this.frame = frame;
    this.shownIndex = index;
    this.failed = null;
    this.badgeLossy.hidden = !frame.lossy;
    this.badgeDownsampled.hidden = !frame.downsampled;
    this.showMessage(null);
    this.draw();
    paints.count++;
    paints.lastAt = performance.now();
    this.host.onPainted();
  }

  /** Large images: full-resolution tiles of the visible region replace the coarse level. */
  async loadVisibleTiles(): Promise<void> {
    if (this.tiles.running) {
      this.tiles.again = true;
      return;
    }
    this.tiles.running = true;
    try {
      do {
        this.tiles.again = false;
        // The frame, window and view are read afresh each round: a scroll or W/L change during a
        // round starts the next one instead of dropping the refinement.
        const f = this.frame;
        if (!f || !f.downsampled || !this.series) return;
        const key = this.tileKey();
        const m = this.matrix() as Affine;
        const { level, tiles: wanted } = visibleTiles(m, this.canvas.width, this.canvas.height, f.fullWidth, f.fullHeight);
        for (const [tx, ty] of wanted) {
          if (this.tileKey() !== key || this.frame !== f) {
            this.tiles.again = true;
            break;
          }
          const id = `${level}:${tx}:${ty}`;
          if (this.tiles.loaded.has(id)) continue;
          const request = {
            series: this.series.id,
            index: this.shownIndex,
            window: this.requestedWindow(),
            level,
            tx,
            ty,
            overlays: this.overlays,
            shutters: this.shutters,
          };
          let tile: Frame;
          try {
            tile = parseFrame(await invoke<ArrayBuffer>("tile", { request }));
          } catch {
            continue; // a level the pyramid does not have: the coarse level stays
          }
          if (this.tileKey() !== key || this.frame !== f) {
            this.tiles.again = true;
            break;
          }
          const scale = 2 ** level;
          this.offctx.drawImage(this.toScratch(tile), tile.fullWidth, tile.fullHeight, tile.width * scale, tile.height * scale);
          this.tiles.loaded.add(id);
          this.draw();
        }
        if (!this.tiles.again && wanted.every(([tx, ty]) => this.tiles.loaded.has(`${level}:${tx}:${ty}`))) this.badgeDownsampled.hidden = true;
      } while (this.tiles.again);
    } finally {
      this.tiles.running = false;
    }
  }

  private tileKey(): string {
    const w = this.requestedWindow();
    return `${this.series?.id}:${this.shownIndex}:${w ? `${w.center}:${w.width}` : "file"}:${this.invert}:${this.overlays}:${this.shutters}`;
  }

  /** The window frames are asked for with: none while the file's own VOI is in use. */
  private requestedWindow(): Window | null {
    const w = this.window;
    return w && !this.windowFromFile ? { center: w.center, width: w.width } : null;
  }

  /** The display notes of the frame on screen (what Rust says about how it is shown); none
   * while another frame than the one the corner names is still on screen. */
  notesOnScreen(): string[] {
    return this.frame && this.shownIndex === this.index ? this.frame.notes : [];
  }
}

const labelCache = new WeakMap<Annotation, { key: string; values: FrameValues | null; label: string }>();

/** A colour pixel's displayed RGB (colour images have no single modality value). */
function rgbText(f: Frame, p: Point): string {
  const i = Math.floor(p.x);
  const j = Math.floor(p.y);
  if (i < 0 || j < 0 || i >= f.width || j >= f.height) return "";
  const k = (j * f.width + i) * 3;
  return `x ${i} y ${j}: RGB ${f.pixels[k]} ${f.pixels[k + 1]} ${f.pixels[k + 2]}`;
}

const scratch = document.createElement("canvas");
const scratchCtx = scratch.getContext("2d") as CanvasRenderingContext2D;
