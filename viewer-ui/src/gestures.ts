// The gestures on a viewport as a pure state machine: pointer (mouse, pen, touch) and wheel events
// come in with a snapshot of what the viewport shows (`Scene`); the next state and a list of
// actions (scroll, window/level, view, measurement edits, selection, redraw) come out, for the
// pointer adapter (./pointer.ts) to carry out in order. No DOM access here: every transition is
// unit-tested (gestures.test.ts).

import type { Annotation, AnnotationKind, Point } from "./measure";
import { Affine, dragWindow, invertPoint, ViewState, wheelStep, Window, zoomAt } from "./view";

export type Tool = "window" | "pan" | "zoom" | "probe" | "length" | "angle" | "rect" | "ellipse";

const MEASURING_TOOLS: readonly Tool[] = ["probe", "length", "angle", "rect", "ellipse"];

/** Where the canvas is: its top-left corner on screen (CSS pixels), the device pixel ratio and
 * its backing size (device pixels). Canvas points are device pixels from the top-left corner. */
export interface Surface {
  left: number;
  top: number;
  dpr: number;
  width: number;
  height: number;
}

/** What the viewport shows when an event arrives. */
export interface Scene {
  tool: Tool;
  surface: Surface;
  /** The view matrix of the frame on screen (canvas = M · image), or null without a frame. */
  matrix: Affine | null;
  view: ViewState;
  /** The window shown (where a W/L drag starts), or null for the file's own VOI. */
  window: Window | null;
  /** The frame index, and the stack's frame count (null: no stack yet). */
  index: number;
  frames: number | null;
  /** Which frame is on screen (a measurement belongs to one frame). */
  frameKey: string;
  /** The measurements on the frame on screen. */
  annotations: readonly Annotation[];
  /** The measurement being drawn (an angle waits for its second arm here). */
  draft: Annotation | null;
  /** The measurement whose outline is under the pointer, and its handle there (-1: none); read
   * on presses and releases only. */
  hit: { annotation: Annotation; handle: number } | null;
  /** Large controls (touch screens): coarser touch scrolling. */
  large: boolean;
}

export interface PointerInput {
  kind: "down" | "move" | "up" | "cancel" | "leave";
  pointerId: number;
  pointerType: string;
  button: number;
  buttons: number;
  clientX: number;
  clientY: number;
}

export interface WheelInput {
  kind: "wheel";
  deltaY: number;
  ctrlKey: boolean;
  metaKey: boolean;
  clientX: number;
  clientY: number;
}

export type GestureInput = PointerInput | WheelInput;

/** What a gesture does to its viewport, carried out in the order given. */
export type GestureAction =
  /** The viewport becomes the active one (if it is not already). */
  | { type: "activate" }
  /** The pointer's image position for the live probe readout (mouse only), or null. */
  | { type: "hover"; at: Point | null }
  /** A new view transform (then redrawn, visible tiles loaded). */
  | { type: "view"; view: ViewState }
  /** A window chosen by dragging (no preset name). */
  | { type: "window"; window: Window }
  /** Move to this frame (clamped by the viewport; synchronised viewports follow). */
  | { type: "scroll"; to: number }
  | { type: "draft"; annotation: Annotation | null }
  | { type: "add"; annotation: Annotation }
  | { type: "move-point"; annotation: Annotation; point: number; to: Point }
  | { type: "append-point"; annotation: Annotation; to: Point }
  | { type: "select"; annotation: Annotation | null }
  /** Removes the selected measurement, else the last one drawn (a probe that a pinch took back). */
  | { type: "remove-selected-or-last" }
  | { type: "draw" };

/** What carries the actions out: a viewport and the app around it (./pointer.ts). */
export interface GestureTarget {
  hover: Point | null;
  draft: Annotation | null;
  selected: Annotation | null;
  activate(): void;
  /** Sets the view and redraws (with the visible tiles of a large image). */
  changeView(view: ViewState): void;
  setWindow(window: Window): void;
  scrollTo(index: number): void;
  addAnnotation(annotation: Annotation): void;
  removeAnnotation(which: "selected-or-last"): void;
  draw(): void;
}

/** Carries one action out on its target. */
export function applyGestureAction(t: GestureTarget, a: GestureAction): void {
  switch (a.type) {
    case "activate":
      return t.activate();
    case "hover":
      t.hover = a.at;
      return;
    case "view":
      return t.changeView(a.view);
    case "window":
      return t.setWindow(a.window);
    case "scroll":
      return t.scrollTo(a.to);
    case "draft":
      t.draft = a.annotation;
      return;
    case "add":
      return t.addAnnotation(a.annotation);
    case "move-point":
      a.annotation.points[a.point] = a.to;
      return;
    case "append-point":
      a.annotation.points.push(a.to);
      return;
    case "select":
      t.selected = a.annotation;
      return;
    case "remove-selected-or-last":
      return t.removeAnnotation("selected-or-last");
    case "draw":
      return t.draw();
  }
}

export type Gesture =
  | { mode: "window"; start: Window }
  | { mode: "pan"; view: ViewState }
  | { mode: "zoom"; view: ViewState; at: [number, number] }
  | { mode: "scroll"; y: number }
  | { mode: "draw"; annotation: Annotation; point: number; frame: string }
  | { mode: "edit"; annotation: Annotation; point: number }
  | { mode: "pinch"; view: ViewState; distance: number; mid: [number, number] }
  | { mode: "none" };

export interface GestureState {
  /** The pointers held down, in the order they went down: client (CSS pixel) positions. */
  readonly pointers: ReadonlyMap<number, readonly [number, number]>;
  readonly gesture: Gesture;
  /** Where the last press started and whether it has moved more than 3 px since (a click). */
  readonly down: { readonly x: number; readonly y: number; readonly moved: boolean } | null;
}

export interface Step {
  state: GestureState;
  actions: GestureAction[];
}

export const initialGestureState = (): GestureState => ({ pointers: new Map(), gesture: { mode: "none" }, down: null });

/** A measurement shorter than this on screen (canvas pixels) is a slip, not a measurement. */
const MIN_DRAWN_LENGTH = 3;
/** A press that moves no further than this (CSS pixels) is a click. */
const CLICK_SLOP = 3;

/** Canvas coordinates of a client position. */
export function canvasPoint(s: Surface, clientX: number, clientY: number): [number, number] {
  return [(clientX - s.left) * s.dpr, (clientY - s.top) * s.dpr];
}

/** Image coordinates of a client position, or null without a frame. */
export function imagePoint(scene: Scene, clientX: number, clientY: number): Point | null {
  const m = scene.matrix;
  if (!m) return null;
  const [x, y] = invertPoint(m, ...canvasPoint(scene.surface, clientX, clientY));
  return { x, y };
}

/** The first two pointers' distance (client pixels) and midpoint (canvas), or null with fewer. */
function twoFinger(pointers: GestureState["pointers"], s: Surface): { distance: number; mid: [number, number] } | null {
  if (pointers.size < 2) return null;
  const [[x1, y1], [x2, y2]] = [...pointers.values()];
  return { distance: Math.hypot(x2 - x1, y2 - y1), mid: canvasPoint(s, (x1 + x2) / 2, (y1 + y2) / 2) };
}

const isWaitingAngle = (draft: Annotation | null): draft is Annotation => draft !== null && draft.kind === "angle" && draft.points.length === 3;

/** One event: the next state and what to do. */
export function gestureStep(state: GestureState, input: GestureInput, scene: Scene): Step {
  switch (input.kind) {
    case "down":
      return pointerDown(state, input, scene);
    case "move":
      return pointerMove(state, input, scene);
    case "up":
    case "cancel":
      return pointerEnd(state, input, scene);
    case "leave":
      return { state, actions: [{ type: "hover", at: null }, { type: "draw" }] };
    case "wheel":
      return { state, actions: wheel(input, scene) };
  }
}

function pointerDown(state: GestureState, e: PointerInput, scene: Scene): Step {
  const actions: GestureAction[] = [{ type: "activate" }];
  // A mouse has one pointer: a press whose release was lost never turns the next drag into a pinch.
  const pointers = new Map(e.pointerType === "mouse" ? [] : state.pointers);
  pointers.set(e.pointerId, [e.clientX, e.clientY]);
  const down = { x: e.clientX, y: e.clientY, moved: false };
  const next = (gesture: Gesture): Step => ({ state: { pointers, gesture, down }, actions });
  const pinch = twoFinger(pointers, scene.surface);
  if (pinch) {
    actions.push({ type: "draft", annotation: null });
    // The first finger may have pinned a probe a moment ago: a pinch is not a probe.
    const g = state.gesture;
    if (g.mode === "edit" && g.annotation.kind === "probe" && scene.annotations.at(-1) === g.annotation) actions.push({ type: "remove-selected-or-last" });
    return next({ mode: "pinch", view: { ...scene.view }, ...pinch });
  }
  const p = imagePoint(scene, e.clientX, e.clientY);
  const at = canvasPoint(scene.surface, e.clientX, e.clientY);
  if (e.button === 1) return next({ mode: "pan", view: { ...scene.view } });
  if (e.button === 2) return next({ mode: "zoom", view: { ...scene.view }, at });
  if (!p) return next({ mode: "none" });
  if (isWaitingAngle(scene.draft)) {
    // The angle's second arm ends where the user clicks.
    actions.push({ type: "move-point", annotation: scene.draft, point: 2, to: p }, { type: "add", annotation: scene.draft }, { type: "draft", annotation: null }, { type: "draw" });
    return next({ mode: "none" });
  }
  let gesture: Gesture;
  const hit = scene.hit;
  if (hit && hit.handle >= 0) {
    actions.push({ type: "select", annotation: hit.annotation });
    gesture = { mode: "edit", annotation: hit.annotation, point: hit.handle };
  } else if (MEASURING_TOOLS.includes(scene.tool)) {
    const kind = scene.tool as AnnotationKind;
    const annotation: Annotation = { kind, points: kind === "probe" ? [p] : [p, { ...p }] };
    actions.push({ type: "select", annotation: null });
    if (kind === "probe") {
      actions.push({ type: "add", annotation });
      gesture = { mode: "edit", annotation, point: 0 };
    } else {
      actions.push({ type: "draft", annotation });
      gesture = { mode: "draw", annotation, point: 1, frame: scene.frameKey };
    }
  } else if (scene.tool === "pan") gesture = { mode: "pan", view: { ...scene.view } };
  else if (scene.tool === "zoom") gesture = { mode: "zoom", view: { ...scene.view }, at };
  else if (e.pointerType === "touch") gesture = { mode: "scroll", y: e.clientY }; // one finger scrolls
  else gesture = { mode: "window", start: scene.window ?? { center: 128, width: 256 } };
  actions.push({ type: "draw" });
  return next(gesture);
}

function pointerMove(state: GestureState, e: PointerInput, scene: Scene): Step {
  const actions: GestureAction[] = [];
  let pointers = state.pointers;
  if (pointers.has(e.pointerId)) pointers = new Map(pointers).set(e.pointerId, [e.clientX, e.clientY]);
  const p = imagePoint(scene, e.clientX, e.clientY);
  if (e.pointerType === "mouse") actions.push({ type: "hover", at: p });
  let down = state.down;
  if (down && !down.moved && Math.hypot(e.clientX - down.x, e.clientY - down.y) > CLICK_SLOP) down = { ...down, moved: true };
  const dx = down ? e.clientX - down.x : 0;
  const dy = down ? e.clientY - down.y : 0;
  let gesture = state.gesture;
  // A mouse moving with no button held after a release that never arrived (focus lost, the
  // viewport hidden mid-drag) ends the gesture instead of panning or zooming on.
  if (e.pointerType === "mouse" && e.buttons === 0 && gesture.mode !== "none") {
    gesture = { mode: "none" };
    down = null;
  }
  const next = (): Step => ({ state: { pointers, gesture, down }, actions });
  const { width, height, dpr } = scene.surface;
  switch (gesture.mode) {
    case "window":
      if (e.pointerType === "mouse" && e.buttons) actions.push({ type: "window", window: dragWindow(gesture.start, dx, dy) });
      return next();
    case "scroll": {
      const step = Math.trunc((e.clientY - gesture.y) / (scene.large ? 16 : 12));
      if (step !== 0) {
        actions.push({ type: "scroll", to: scene.index + step });
        gesture = { mode: "scroll", y: e.clientY };
      }
      return next();
    }
    case "pan": {
      const v = gesture.view;
      actions.push({ type: "view", view: { ...v, panX: v.panX + dx * dpr, panY: v.panY + dy * dpr } });
      return next();
    }
    case "zoom": {
      const { view: v, at } = gesture;
      actions.push({ type: "view", view: zoomAt(v, Math.exp(-dy / 200), at[0], at[1], width, height) });
      return next();
    }
    case "pinch": {
      const now = twoFinger(pointers, scene.surface);
      if (!now) return next();
      const g = gesture;
      const zoomed = zoomAt(g.view, now.distance / Math.max(1, g.distance), g.mid[0], g.mid[1], width, height);
      actions.push({ type: "view", view: { ...zoomed, panX: zoomed.panX + now.mid[0] - g.mid[0], panY: zoomed.panY + now.mid[1] - g.mid[1] } });
      return next();
    }
    case "draw":
    case "edit":
      if (p) actions.push({ type: "move-point", annotation: gesture.annotation, point: gesture.point, to: p });
      actions.push({ type: "draw" });
      return next();
    case "none":
      if (isWaitingAngle(scene.draft) && p) actions.push({ type: "move-point", annotation: scene.draft, point: 2, to: p });
      actions.push({ type: "draw" });
      return next();
  }
}

function pointerEnd(state: GestureState, e: PointerInput, scene: Scene): Step {
  const actions: GestureAction[] = [];
  const pointers = new Map(state.pointers);
  pointers.delete(e.pointerId);
  const g = state.gesture;
  let gesture: Gesture = pointers.size ? g : { mode: "none" };
  if (g.mode === "pinch" && pointers.size === 1) gesture = { mode: "none" };
  if (g.mode === "draw") {
    const n = g.annotation;
    const [a, b] = n.points;
    const m = scene.matrix;
    const tiny = !m || Math.hypot((b.x - a.x) * Math.hypot(m.a, m.b), (b.y - a.y) * Math.hypot(m.c, m.d)) < MIN_DRAWN_LENGTH;
    // A measurement drawn while the frame changed (cine, sync) belongs to no frame: dropped.
    if (tiny || g.frame !== scene.frameKey) actions.push({ type: "draft", annotation: null });
    else if (n.kind === "angle") actions.push({ type: "append-point", annotation: n, to: { ...b } }); // now the second arm follows the pointer
    else actions.push({ type: "add", annotation: n }, { type: "draft", annotation: null });
  } else if (state.down && !state.down.moved && g.mode !== "edit" && e.button === 0) {
    actions.push({ type: "select", annotation: scene.hit?.annotation ?? null });
  }
  actions.push({ type: "draw" });
  return { state: { pointers, gesture, down: null }, actions };
}

function wheel(e: WheelInput, scene: Scene): GestureAction[] {
  const actions: GestureAction[] = [{ type: "activate" }];
  if (scene.frames === null) return actions;
  if (e.ctrlKey || e.metaKey) {
    const [px, py] = canvasPoint(scene.surface, e.clientX, e.clientY);
    actions.push({ type: "view", view: zoomAt(scene.view, e.deltaY < 0 ? 1.1 : 1 / 1.1, px, py, scene.surface.width, scene.surface.height) });
  } else actions.push({ type: "scroll", to: wheelStep(scene.index, e.deltaY, scene.frames) });
  return actions;
}
