// The workspace: the four viewports, the layout (1×1, 1×2, 2×2), which viewport is active, the
// studies the shell listed, the tool and whether scrolling is synchronised; showing a series in
// a viewport. The browser, the toolbar and cine follow its changes through hooks (main.ts).

import type { Tool } from "./gestures";
import { scrollTo } from "./sync";
import type { ViewState } from "./view";
import type { SeriesDto, StudyDto, Viewport } from "./viewport";

export type Layout = 1 | 2 | 4;

/** Large controls (touch screens): bigger buttons, handles and labels. */
export const largeControls = (): boolean => document.body.classList.contains("large");

/** Redraws a viewport and loads the tiles of a large image that came into view. */
export function redraw(vp: Viewport): void {
  vp.draw();
  void vp.loadVisibleTiles();
}

export function changeView(vp: Viewport, f: (v: ViewState) => ViewState): void {
  vp.view = f(vp.view);
  redraw(vp);
}

export interface WorkspaceHooks {
  /** Which series are on screen, or which viewport is active, changed. */
  markBrowser(): void;
  updateToolbar(): void;
  /** Cine stops when the viewport playing gets another series or is hidden. */
  stopCineIf(leaving: (playing: Viewport) => boolean): void;
}

export class Workspace {
  studies: StudyDto[] = [];
  layout: Layout = 1;
  activeSlot = 0;
  tool: Tool = "window";
  sync = true;

  constructor(
    readonly viewports: Viewport[],
    private readonly container: HTMLElement,
    private readonly hooks: WorkspaceHooks,
  ) {}

  active(): Viewport {
    return this.viewports[this.activeSlot];
  }

  visible(): Viewport[] {
    return this.viewports.slice(0, this.layout);
  }

  setActive(slot: number): void {
    this.activeSlot = slot;
    this.viewports.forEach((vp) => vp.root.classList.toggle("active", vp.slot === slot));
    this.hooks.markBrowser();
    this.hooks.updateToolbar();
  }

  setLayout(n: Layout): void {
    this.layout = n;
    this.hooks.stopCineIf((playing) => playing.slot >= n);
    this.container.dataset.layout = String(n);
    this.viewports.forEach((vp, i) => (vp.root.hidden = i >= n));
    if (this.activeSlot >= n) this.setActive(0);
    // Empty viewports get the next series of the active study that is not on screen yet.
    const study = this.active().study ?? this.studies[0];
    if (study) {
      const shown = new Set(this.visible().map((vp) => vp.series?.id));
      const unused = study.series.filter((s) => !shown.has(s.id));
      for (const vp of this.visible()) if (!vp.series && unused.length) void vp.setSeries(study, unused.shift() as SeriesDto).then(() => this.hooks.markBrowser());
    }
    requestAnimationFrame(() => this.visible().forEach((vp) => (vp.draw(), void vp.loadVisibleTiles())));
    this.hooks.updateToolbar();
  }

  async assign(vp: Viewport, study: StudyDto, series: SeriesDto): Promise<void> {
    this.hooks.stopCineIf((playing) => playing === vp);
    this.setActive(vp.slot);
    await vp.setSeries(study, series);
    this.hooks.markBrowser();
    this.hooks.updateToolbar();
  }

  /** Moves a viewport to a frame and, with sync on, the others in its frame of reference. */
  scrollTo(vp: Viewport, index: number): void {
    scrollTo(vp, index, this.sync, this.visible());
  }

  /** Shows the next or previous series of all studies (in the browser's order) in the active viewport. */
  stepSeries(step: 1 | -1): void {
    const list = this.studies.flatMap((study) => study.series.map((s) => [study, s] as [StudyDto, SeriesDto]));
    if (!list.length) return;
    const at = list.findIndex(([, s]) => s.id === this.active().series?.id);
    const [study, series] = list[(at + step + list.length) % list.length];
    void this.assign(this.active(), study, series);
  }
}
