// Pointer and wheel input on a viewport's canvas: the DOM side of ./gestures.ts. Each event is
// turned into a gesture input with a snapshot of the viewport (`Scene`), and the actions the
// state machine returns are carried out on the viewport and the app, in order.

import { applyGestureAction, GestureInput, gestureStep, GestureTarget, initialGestureState, Scene, Tool } from "./gestures";
import type { ViewState } from "./view";
import type { Viewport } from "./viewport";

/** What the gestures change outside their viewport. */
export interface PointerHost {
  tool(): Tool;
  large(): boolean;
  /** Makes the viewport the active one if it is not already. */
  activate(vp: Viewport): void;
  /** Moves the viewport to a frame (and the synchronised ones with it). */
  scrollTo(vp: Viewport, index: number): void;
  /** Sets the viewport's view and redraws it. */
  changeView(vp: Viewport, view: ViewState): void;
  /** A window was dragged: the toolbar's preset follows. */
  windowChanged(): void;
}

export function attachPointer(vp: Viewport, host: PointerHost): void {
  const c = vp.canvas;
  let state = initialGestureState();

  // Hit testing only where a gesture starts or ends (presses, releases), not on every move.
  const scene = ({ kind, clientX, clientY }: GestureInput): Scene => {
    const r = c.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    const surface = { left: r.left, top: r.top, dpr, width: c.width, height: c.height };
    const [cx, cy] = [(clientX - r.left) * dpr, (clientY - r.top) * dpr];
    const radius = (host.large() ? 22 : 8) * dpr;
    const hit = kind === "down" || kind === "up" || kind === "cancel" ? vp.hitTest(cx, cy, radius) : null;
    return {
      tool: host.tool(),
      surface,
      matrix: vp.matrix(),
      view: vp.view,
      window: vp.window,
      index: vp.index,
      frames: vp.stack?.frames ?? null,
      frameKey: vp.frameKey,
      annotations: vp.annotations,
      draft: vp.draft,
      hit: hit ? { annotation: hit, handle: vp.handleAt(hit, cx, cy, radius) } : null,
      large: host.large(),
    };
  };

  const target: GestureTarget = {
    get hover() {
      return vp.hover;
    },
    set hover(p) {
      vp.hover = p;
    },
    get draft() {
      return vp.draft;
    },
    set draft(n) {
      vp.draft = n;
    },
    get selected() {
      return vp.selected;
    },
    set selected(n) {
      vp.selected = n;
    },
    activate: () => host.activate(vp),
    changeView: (view) => host.changeView(vp, view),
    setWindow: (w) => {
      vp.setWindow(w, null);
      host.windowChanged();
    },
    scrollTo: (index) => host.scrollTo(vp, index),
    addAnnotation: (n) => vp.addAnnotation(n),
    removeAnnotation: (which) => vp.removeAnnotation(which),
    draw: () => vp.draw(),
  };

  const feed = (input: GestureInput): void => {
    const step = gestureStep(state, input, scene(input));
    state = step.state;
    for (const a of step.actions) applyGestureAction(target, a);
  };
  const pointer = (kind: "down" | "move" | "up" | "cancel") => (e: PointerEvent) =>
    feed({ kind, pointerId: e.pointerId, pointerType: e.pointerType, button: e.button, buttons: e.buttons, clientX: e.clientX, clientY: e.clientY });

  c.addEventListener("contextmenu", (e) => e.preventDefault());
  c.addEventListener("pointerdown", (e) => {
    try {
      c.setPointerCapture(e.pointerId);
    } catch {
      // Synthetic events (automation) have no capturable pointer; dragging still works.
    }
    pointer("down")(e);
  });
  c.addEventListener("pointermove", pointer("move"));
  c.addEventListener("pointerup", pointer("up"));
  c.addEventListener("pointercancel", pointer("cancel"));
  c.addEventListener("pointerleave", (e) => feed({ kind: "leave", pointerId: e.pointerId, pointerType: e.pointerType, button: e.button, buttons: e.buttons, clientX: e.clientX, clientY: e.clientY }));
  c.addEventListener(
    "wheel",
    (e) => {
      e.preventDefault();
      feed({ kind: "wheel", deltaY: e.deltaY, ctrlKey: e.ctrlKey, metaKey: e.metaKey, clientX: e.clientX, clientY: e.clientY });
    },
    { passive: false },
  );
}
