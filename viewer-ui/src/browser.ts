// The study browser: the studies and series the shell listed (ids and display text), with
// Rust-made thumbnails drawn once the first image is on screen, the index's flags under each
// study's title, the count of files that could not be read (per code: a missing slice is never
// silent), and the series buttons: a click shows a series in the active viewport, a pointer drag
// drops it on any viewport.

import { invoke } from "@tauri-apps/api/core";
import { parseFrame, toRgba } from "./frame";
import { errorText, fmtDate, SeriesDto, StudyDto } from "./viewport";
import type { Workspace } from "./workspace";

interface SkippedDto {
  code: string;
  meaning: string;
  count: number;
}

export interface BrowserElements {
  studies: HTMLElement;
  skipped: HTMLElement;
  emptyHint: HTMLElement;
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

export class StudyBrowser {
  // Thumbnails wait until the first frame is on screen: the image the user asked for comes first.
  private pendingThumbnails: (() => Promise<void>)[] = [];

  constructor(
    private readonly ws: Workspace,
    private readonly el: BrowserElements,
  ) {}

  /** A viewport painted a frame: the thumbnails still waiting are drawn next. */
  painted(): void {
    if (this.pendingThumbnails.length) setTimeout(() => void this.drawPendingThumbnails(), 0);
  }

  private async drawPendingThumbnails(): Promise<void> {
    const jobs = this.pendingThumbnails;
    this.pendingThumbnails = [];
    for (const job of jobs) await job();
  }

  /** Highlights the active viewport's series, and marks the series shown in the others. */
  mark(): void {
    const shown = new Map(this.ws.visible().map((vp) => [vp.series?.id, vp.slot]));
    document.querySelectorAll<HTMLElement>(".series").forEach((b) => {
      b.classList.toggle("active", b.dataset.id === this.ws.active().series?.id);
      b.classList.toggle("shown", shown.has(b.dataset.id));
    });
  }

  /** A series button: click shows it in the active viewport; drag it onto any viewport. */
  private seriesButton(study: StudyDto, series: SeriesDto): HTMLButtonElement {
    const ws = this.ws;
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
      if (!dragged) void ws.assign(ws.active(), study, series);
      dragged = false;
    });
    // Drag and drop with pointer events (mouse and touch alike; the webview's own drag and drop
    // is kept for files from the desktop).
    b.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return;
      const start = { x: e.clientX, y: e.clientY };
      let ghost: HTMLDivElement | null = null;
      const viewportAt = (x: number, y: number): HTMLElement | null | undefined => document.elementFromPoint(x, y)?.closest<HTMLElement>(".viewport");
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
          const over = viewportAt(m.clientX, m.clientY);
          ws.viewports.forEach((vp) => vp.root.classList.toggle("drop-target", vp.root === over));
        }
      };
      const up = (u: PointerEvent) => {
        window.removeEventListener("pointermove", move);
        window.removeEventListener("pointerup", up);
        window.removeEventListener("pointercancel", up);
        ws.viewports.forEach((vp) => vp.root.classList.remove("drop-target"));
        if (!ghost) return;
        ghost.remove();
        // Swallow the click this release may produce on the button, and only that one.
        dragged = true;
        setTimeout(() => (dragged = false), 0);
        if (u.type === "pointercancel") return;
        const over = viewportAt(u.clientX, u.clientY);
        const vp = ws.viewports.find((v) => v.root === over);
        if (vp) void ws.assign(vp, study, series);
      };
      window.addEventListener("pointermove", move);
      window.addEventListener("pointerup", up);
      window.addEventListener("pointercancel", up);
    });
    this.pendingThumbnails.push(() => drawThumbnail(series, thumb));
    return b;
  }

  private render(): void {
    const root = this.el.studies;
    root.replaceChildren();
    this.el.emptyHint.hidden = this.ws.studies.length > 0;
    for (const study of this.ws.studies) {
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
      box.append(...study.series.map((s) => this.seriesButton(study, s)));
      root.append(box);
    }
    this.mark();
  }

  /** Files the index could not read, per code: said in the browser, so a missing slice is never silent. */
  private async loadSkipped(): Promise<void> {
    const el = this.el.skipped;
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

  /** Asks the shell for the studies (at start and whenever files were opened) and shows them;
   * the first study's largest series goes to an empty active viewport. */
  async load(): Promise<void> {
    const ws = this.ws;
    try {
      ws.studies = await invoke<StudyDto[]>("studies");
    } catch (e) {
      ws.active().showMessage(errorText(e));
      return;
    }
    void this.loadSkipped();
    this.render();
    // Series already on screen may have grown with the new files.
    for (const vp of ws.visible()) {
      const study = ws.studies.find((st) => st.series.some((s) => s.id === vp.series?.id));
      if (study) void vp.reloadStack(study);
    }
    if (ws.visible().some((vp) => vp.frame)) void this.drawPendingThumbnails();
    if (!ws.active().series && ws.studies.length > 0) {
      const study = ws.studies[0];
      const first = [...study.series].sort((a, b) => b.frames - a.frames)[0] ?? study.series[0];
      if (first) await ws.assign(ws.active(), study, first);
    }
  }
}
