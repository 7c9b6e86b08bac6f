// Cine: plays the active viewport's stack at a frame rate, the file's own when it has a frame
// time (Frame Time, Frame Time Vector or a recommended rate, PS3.3 C.7.6.5, read in Rust), else
// the rate last chosen. A frame still loading when the next is due is skipped, never queued.

import type { Viewport } from "./viewport";

export const DEFAULT_CINE_FPS = 15;

/** A chosen rate, to 0.1 fps, within 1–120 fps. */
export const clampCineFps = (fps: number): number => Math.min(120, Math.max(1, Math.round(fps * 10) / 10));

/** The rate of a file's frame time (ms), to 0.1 fps. */
export const fpsOfFrameTime = (ms: number): number => Math.round((1000 / ms) * 10) / 10;

/** The frame a cine tick moves to (looping), or null: no stack, or the last frame still loading. */
export function nextCineFrame(index: number, frames: number | null, busy: boolean): number | null {
  if (frames === null || busy) return null;
  return (index + 1) % frames;
}

/** What cine changes outside itself. */
export interface CineHost {
  scrollTo(vp: Viewport, index: number): void;
  /** Started or stopped: the toolbar's Cine button follows. */
  changed(): void;
  status(text: string): void;
  /** The toolbar's fps field. */
  fpsInput: HTMLInputElement;
}

export class Cine {
  private timer = 0;
  /** The viewport playing, or null. */
  viewport: Viewport | null = null;
  fps = DEFAULT_CINE_FPS;

  constructor(private readonly host: CineHost) {}

  get playing(): boolean {
    return this.timer !== 0;
  }

  stop(): void {
    if (this.timer) window.clearInterval(this.timer);
    this.timer = 0;
    this.viewport = null;
    this.host.changed();
  }

  /** Stops when the viewport playing is about to show something else or be hidden. */
  stopIf(leaving: (playing: Viewport) => boolean): void {
    if (this.viewport && leaving(this.viewport)) this.stop();
  }

  private start(vp: Viewport): void {
    if (!vp.stack || vp.stack.frames < 2) return;
    this.viewport = vp;
    this.timer = window.setInterval(() => {
      const next = nextCineFrame(vp.index, vp.stack?.frames ?? null, vp.busy);
      if (next !== null) this.host.scrollTo(vp, next);
    }, 1000 / this.fps);
    this.host.changed();
  }

  setFps(fps: number): void {
    this.fps = clampCineFps(fps);
    this.host.fpsInput.value = String(this.fps);
    this.host.status(`Cine ${this.fps} fps`);
    const vp = this.viewport;
    if (vp) {
      window.clearInterval(this.timer);
      this.start(vp);
    }
  }

  /** Space: stops, or plays `vp` at its file's frame time when it has one. */
  toggle(vp: Viewport): void {
    if (this.timer) return this.stop();
    const ms = vp.stack?.frameTimeMs;
    if (ms) {
      this.fps = fpsOfFrameTime(ms);
      this.host.fpsInput.value = String(this.fps);
    }
    this.host.status(ms ? `Cine ${this.fps} fps (the file's frame time, ${ms} ms)` : `Cine ${this.fps} fps`);
    this.start(vp);
  }
}
