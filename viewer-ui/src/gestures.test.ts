import { describe, expect, it } from "vitest";
import { applyGestureAction, GestureAction, GestureInput, gestureStep, GestureTarget, initialGestureState, PointerInput, Scene, Tool } from "./gestures";
import type { Annotation, Point } from "./measure";
import { initialView, viewMatrix, ViewState, Window, zoomAt } from "./view";

// The canvas sits at (10, 20) on screen with a device pixel ratio of 2, 400×300 device pixels,
// showing a 200×150 image fitted (2 canvas pixels per image pixel): client (x, y) is image
// (x − 10, y − 20), canvas (2(x − 10), 2(y − 20)).
const SURFACE = { left: 10, top: 20, dpr: 2, width: 400, height: 300 };

/** A viewport as the pointer adapter drives it: the machine's actions applied to plain state. */
class Model implements GestureTarget {
  activations = 0;
  draws = 0;
  state = initialGestureState();
  tool: Tool = "window";
  view: ViewState = initialView();
  window: Window | null = { center: 40, width: 400 };
  index = 5;
  frames: number | null = 20;
  frameKey = "se-1:5";
  hasFrame = true;
  large = false;
  annotations: Annotation[] = [];
  draft: Annotation | null = null;
  selected: Annotation | null = null;
  hover: Point | null = null;
  /** What the hit test finds under the pointer at the next press or release. */
  hit: Scene["hit"] = null;
  actions: GestureAction[] = [];

  scene(): Scene {
    return {
      tool: this.tool,
      surface: SURFACE,
      matrix: this.hasFrame ? viewMatrix(SURFACE.width, SURFACE.height, 200, 150, this.view) : null,
      view: this.view,
      window: this.window,
      index: this.index,
      frames: this.frames,
      frameKey: this.frameKey,
      annotations: this.annotations,
      draft: this.draft,
      hit: this.hit,
      large: this.large,
    };
  }

  feed(input: GestureInput): GestureAction[] {
    const step = gestureStep(this.state, input, this.scene());
    this.state = step.state;
    this.actions = step.actions;
    for (const a of step.actions) applyGestureAction(this, a);
    return step.actions;
  }

  activate(): void {
    this.activations++;
  }
  changeView(view: ViewState): void {
    this.view = view;
  }
  setWindow(window: Window): void {
    this.window = window;
  }
  scrollTo(to: number): void {
    if (this.frames !== null) this.index = Math.min(this.frames - 1, Math.max(0, to));
  }
  addAnnotation(n: Annotation): void {
    this.annotations.push(n);
  }
  removeAnnotation(): void {
    const i = this.selected && this.annotations.includes(this.selected) ? this.annotations.indexOf(this.selected) : this.annotations.length - 1;
    this.annotations.splice(i, 1);
    this.selected = null;
  }
  draw(): void {
    this.draws++;
  }

  types(): string[] {
    return this.actions.map((a) => a.type);
  }
}

type Ev = Partial<PointerInput> & { clientX: number; clientY: number };
const mouse = (kind: PointerInput["kind"], e: Ev): PointerInput => ({
  kind,
  pointerId: 1,
  pointerType: "mouse",
  button: 0,
  buttons: kind === "up" || kind === "cancel" ? 0 : 1,
  ...e,
});
const touch = (kind: PointerInput["kind"], pointerId: number, clientX: number, clientY: number): PointerInput => ({
  kind,
  pointerId,
  pointerType: "touch",
  button: 0,
  buttons: kind === "up" || kind === "cancel" ? 0 : 1,
  clientX,
  clientY,
});
/** A left-button mouse drag through the points (client coordinates), released at the last. */
function drag(m: Model, points: [number, number][], button = 0): void {
  const [[x0, y0], ...rest] = points;
  const buttons = button === 0 ? 1 : button === 1 ? 4 : 2;
  m.feed(mouse("down", { clientX: x0, clientY: y0, button, buttons }));
  for (const [x, y] of rest) m.feed(mouse("move", { clientX: x, clientY: y, buttons }));
  const [xe, ye] = points[points.length - 1];
  m.feed(mouse("up", { clientX: xe, clientY: ye, button }));
}

describe("gestures: window/level", () => {
  it("a left drag with the window tool sets the window as dragWindow maps the motion", () => {
    const m = new Model();
    expect(m.feed(mouse("down", { clientX: 110, clientY: 100 }))[0]).toEqual({ type: "activate" });
    expect([m.activations, m.draws]).toEqual([1, 1]);
    m.feed(mouse("move", { clientX: 110, clientY: 140 }));
    expect(m.window).toEqual({ center: 40 + (40 * 400) / 256, width: 400 });
    m.feed(mouse("move", { clientX: 110, clientY: 180 }));
    // Down 80 px at width 400: the level rises by 80 × 400 / 256 = 125 (what the E2E run checks).
    expect(m.window).toEqual({ center: 165, width: 400 });
    m.feed(mouse("move", { clientX: 174, clientY: 180 }));
    expect(m.window).toEqual({ center: 165, width: 500 });
    m.feed(mouse("up", { clientX: 174, clientY: 180 }));
    expect(m.state.gesture).toEqual({ mode: "none" });
    m.feed(mouse("move", { clientX: 300, clientY: 300, buttons: 1 }));
    expect(m.window).toEqual({ center: 165, width: 500 });
  });

  it("starts from 128/256 while the file's own VOI is shown (no window yet)", () => {
    const m = new Model();
    m.window = null;
    m.feed(mouse("down", { clientX: 110, clientY: 100 }));
    m.feed(mouse("move", { clientX: 110, clientY: 132 }));
    expect(m.window).toEqual({ center: 160, width: 256 });
  });

  it("a mouse moving with no button held (its release lost) ends the drag", () => {
    const m = new Model();
    m.feed(mouse("down", { clientX: 110, clientY: 100 }));
    m.feed(mouse("move", { clientX: 110, clientY: 140, buttons: 0 }));
    expect(m.window).toEqual({ center: 40, width: 400 });
    expect(m.state).toMatchObject({ gesture: { mode: "none" }, down: null });
    m.feed(mouse("move", { clientX: 110, clientY: 180, buttons: 1 }));
    expect(m.window).toEqual({ center: 40, width: 400 });
  });

  it("a pen drag picks the window gesture but changes nothing (mouse only)", () => {
    const m = new Model();
    m.feed({ ...mouse("down", { clientX: 110, clientY: 100 }), pointerType: "pen" });
    m.feed({ ...mouse("move", { clientX: 110, clientY: 180 }), pointerType: "pen" });
    expect(m.state.gesture.mode).toBe("window");
    expect(m.types()).toEqual([]);
  });
});

describe("gestures: pan and zoom", () => {
  it("the pan tool moves the view by the drag in device pixels", () => {
    const m = new Model();
    m.tool = "pan";
    drag(m, [
      [100, 100],
      [110, 95],
    ]);
    expect(m.view).toEqual({ ...initialView(), panX: 20, panY: -10 });
  });

  it("a middle drag pans whatever the tool, and needs no frame under it", () => {
    const m = new Model();
    m.tool = "length";
    m.hasFrame = false;
    drag(
      m,
      [
        [100, 100],
        [130, 100],
      ],
      1,
    );
    expect(m.view.panX).toBe(60);
    expect(m.annotations).toEqual([]);
  });

  it("a right drag zooms about the press point: up 200 px is ×e", () => {
    const m = new Model();
    drag(
      m,
      [
        [60, 70],
        [60, -130],
      ],
      2,
    );
    expect(m.view.zoom).toBeCloseTo(Math.E, 12);
    expect(m.view).toEqual(zoomAt(initialView(), Math.exp(1), 100, 100, 400, 300));
  });

  it("the zoom tool zooms with the left button: down 200·ln 2 px halves the zoom", () => {
    const m = new Model();
    m.tool = "zoom";
    drag(m, [
      [60, 70],
      [60, 70 + 200 * Math.log(2)],
    ]);
    expect(m.view.zoom).toBeCloseTo(0.5, 12);
  });
});

describe("gestures: touch", () => {
  it("one finger scrolls one frame per 12 px (16 px with large controls)", () => {
    const m = new Model();
    m.feed(touch("down", 21, 100, 100));
    m.feed(touch("move", 21, 100, 111));
    expect(m.index).toBe(5);
    m.feed(touch("move", 21, 100, 112));
    expect(m.index).toBe(6);
    m.feed(touch("move", 21, 100, 136)); // 24 px further: two frames
    expect(m.index).toBe(8);
    m.feed(touch("move", 21, 100, 124)); // back up 12 px
    expect(m.index).toBe(7);
    m.feed(touch("up", 21, 100, 124));
    const big = new Model();
    big.large = true;
    big.feed(touch("down", 21, 100, 100));
    big.feed(touch("move", 21, 100, 115));
    expect(big.index).toBe(5);
    big.feed(touch("move", 21, 100, 116));
    expect(big.index).toBe(6);
  });

  it("two fingers pinch: the zoom follows their distance and the pan their midpoint", () => {
    const m = new Model();
    m.feed(touch("down", 31, 100, 100));
    m.feed(touch("down", 32, 140, 100));
    expect(m.state.gesture).toMatchObject({ mode: "pinch", distance: 40, mid: [220, 160] });
    m.feed(touch("move", 32, 180, 100));
    expect(m.view.zoom).toBe(2);
    m.feed(touch("move", 31, 60, 100));
    // Spread from 40 to 120 px about the same midpoint: ×3 about canvas (220, 160), no pan.
    expect(m.view).toEqual(zoomAt(initialView(), 3, 220, 160, 400, 300));
    expect(m.index).toBe(5);
    m.feed(touch("up", 31, 60, 100));
    expect(m.state.gesture).toEqual({ mode: "none" });
    m.feed(touch("move", 32, 300, 100)); // the finger left behind neither zooms nor scrolls
    expect(m.view.zoom).toBe(3);
    expect(m.index).toBe(5);
    m.feed(touch("up", 32, 300, 100));
    expect(m.state.pointers.size).toBe(0);
  });

  it("a pinch moved sideways pans by the midpoint's motion", () => {
    const m = new Model();
    m.feed(touch("down", 31, 100, 100));
    m.feed(touch("down", 32, 140, 100));
    m.feed(touch("move", 31, 120, 110));
    m.feed(touch("move", 32, 160, 110));
    expect(m.view).toEqual({ ...initialView(), panX: 40, panY: 20 });
  });

  it("a second finger takes back the probe the first one pinned, and the draft", () => {
    const m = new Model();
    m.tool = "probe";
    m.feed(touch("down", 31, 100, 100));
    expect(m.annotations).toEqual([{ kind: "probe", points: [{ x: 90, y: 80 }] }]);
    m.feed(touch("down", 32, 140, 100));
    expect(m.annotations).toEqual([]);
    expect(m.types()).toEqual(["activate", "draft", "remove-selected-or-last"]);
  });

  it("a second finger ends a length being drawn with the first: no measurement", () => {
    const m = new Model();
    m.tool = "length";
    m.feed(touch("down", 31, 100, 100));
    m.feed(touch("move", 31, 150, 100));
    m.feed(touch("down", 32, 160, 100));
    expect(m.draft).toBeNull();
    m.feed(touch("up", 31, 150, 100));
    m.feed(touch("up", 32, 160, 100));
    expect(m.annotations).toEqual([]);
  });

  it("a mouse press forgets pointers whose release was lost: never a pinch", () => {
    const m = new Model();
    m.feed(mouse("down", { pointerId: 1, clientX: 100, clientY: 100 }));
    m.feed(mouse("down", { pointerId: 2, clientX: 150, clientY: 100 }));
    expect(m.state.gesture.mode).toBe("window");
    expect([...m.state.pointers.keys()]).toEqual([2]);
  });
});

/** A length from image (20, 20) to (70, 20): client (30, 40) to (80, 40). */
const horizontalLength = (): Annotation => ({
  kind: "length",
  points: [
    { x: 20, y: 20 },
    { x: 70, y: 20 },
  ],
});

describe("gestures: measurements", () => {
  it("a length is drawn from press to release, in image coordinates", () => {
    const m = new Model();
    m.tool = "length";
    m.feed(mouse("down", { clientX: 30, clientY: 40 }));
    expect(m.draft).toEqual({ kind: "length", points: [{ x: 20, y: 20 }, { x: 20, y: 20 }] });
    m.feed(mouse("move", { clientX: 80, clientY: 40 }));
    expect(m.draft?.points[1]).toEqual({ x: 70, y: 20 });
    m.feed(mouse("up", { clientX: 80, clientY: 40 }));
    expect(m.annotations).toEqual([{ kind: "length", points: [{ x: 20, y: 20 }, { x: 70, y: 20 }] }]);
    expect(m.draft).toBeNull();
  });

  it("rectangles and ellipses are drawn the same way", () => {
    for (const tool of ["rect", "ellipse"] as const) {
      const m = new Model();
      m.tool = tool;
      drag(m, [
        [30, 40],
        [50, 70],
      ]);
      expect(m.annotations).toEqual([{ kind: tool, points: [{ x: 20, y: 20 }, { x: 40, y: 50 }] }]);
    }
  });

  it("a length under 3 canvas pixels is a slip: dropped", () => {
    const m = new Model();
    m.tool = "length";
    drag(m, [
      [30, 40],
      [31, 40],
    ]); // 1 image pixel = 2 canvas pixels
    expect(m.annotations).toEqual([]);
    expect(m.draft).toBeNull();
    drag(m, [
      [30, 40],
      [32, 40],
    ]); // 4 canvas pixels
    expect(m.annotations).toHaveLength(1);
  });

  it("a length drawn while the frame changed (cine, sync) is dropped", () => {
    const m = new Model();
    m.tool = "length";
    m.feed(mouse("down", { clientX: 30, clientY: 40 }));
    m.feed(mouse("move", { clientX: 80, clientY: 40 }));
    m.frameKey = "se-1:6";
    m.feed(mouse("up", { clientX: 80, clientY: 40 }));
    expect(m.annotations).toEqual([]);
    expect(m.draft).toBeNull();
  });

  it("an angle: drag the first arm, the second follows the pointer, a click ends it", () => {
    const m = new Model();
    m.tool = "angle";
    drag(m, [
      [30, 40],
      [60, 40],
    ]);
    expect(m.annotations).toEqual([]);
    expect(m.draft?.points).toEqual([
      { x: 20, y: 20 },
      { x: 50, y: 20 },
      { x: 50, y: 20 },
    ]);
    m.feed(mouse("move", { clientX: 60, clientY: 80, buttons: 0 }));
    expect(m.draft?.points[2]).toEqual({ x: 50, y: 60 });
    m.feed(mouse("down", { clientX: 70, clientY: 90 }));
    expect(m.annotations).toEqual([
      {
        kind: "angle",
        points: [
          { x: 20, y: 20 },
          { x: 50, y: 20 },
          { x: 60, y: 70 },
        ],
      },
    ]);
    expect(m.draft).toBeNull();
    m.feed(mouse("up", { clientX: 70, clientY: 90 }));
    expect(m.annotations).toHaveLength(1);
    expect(m.draft).toBeNull();
  });

  it("a probe is pinned on press and follows the drag until release", () => {
    const m = new Model();
    m.tool = "probe";
    m.feed(mouse("down", { clientX: 30, clientY: 40 }));
    expect(m.annotations).toEqual([{ kind: "probe", points: [{ x: 20, y: 20 }] }]);
    m.feed(mouse("move", { clientX: 35, clientY: 45 }));
    m.feed(mouse("up", { clientX: 35, clientY: 45 }));
    expect(m.annotations).toEqual([{ kind: "probe", points: [{ x: 25, y: 25 }] }]);
  });

  it("pressing on a handle selects the measurement and drags that point, whatever the tool", () => {
    const m = new Model();
    const length = horizontalLength();
    m.annotations.push(length);
    m.hit = { annotation: length, handle: 0 };
    m.tool = "window";
    m.feed(mouse("down", { clientX: 30, clientY: 40 }));
    expect(m.selected).toBe(length);
    m.hit = null;
    m.feed(mouse("move", { clientX: 30, clientY: 60 }));
    m.feed(mouse("up", { clientX: 30, clientY: 60 }));
    expect(m.annotations).toEqual([
      {
        kind: "length",
        points: [
          { x: 20, y: 40 },
          { x: 70, y: 20 },
        ],
      },
    ]);
    expect(m.selected).toBe(length);
    expect(m.window).toEqual({ center: 40, width: 400 });
    // Pressed and released on the handle without moving: still selected (not a click elsewhere).
    m.hit = { annotation: length, handle: 1 };
    m.feed(mouse("down", { clientX: 80, clientY: 40 }));
    m.hit = null;
    m.feed(mouse("up", { clientX: 80, clientY: 40 }));
    expect(m.selected).toBe(length);
  });

  it("a click selects the measurement under it; a drag or another button does not", () => {
    const m = new Model();
    const length = horizontalLength();
    m.annotations.push(length);
    m.hit = { annotation: length, handle: -1 };
    drag(m, [
      [45, 40],
      [47, 41],
    ]); // within 3 px: a click
    expect(m.selected).toBe(length);
    m.hit = null;
    drag(m, [[100, 100]]); // a click on nothing clears the selection
    expect(m.selected).toBeNull();
    m.hit = { annotation: length, handle: -1 };
    drag(m, [
      [45, 40],
      [49, 40],
    ]);
    expect(m.selected).toBeNull();
    drag(m, [[45, 40]], 2);
    expect(m.selected).toBeNull();
  });

  it("with no frame on screen a left press does nothing", () => {
    const m = new Model();
    m.tool = "length";
    m.hasFrame = false;
    expect(m.feed(mouse("down", { clientX: 30, clientY: 40 }))).toEqual([{ type: "activate" }]);
    expect(m.state.gesture).toEqual({ mode: "none" });
  });
});

describe("gestures: a tool switch or cancel mid-drag", () => {
  it("a length being drawn keeps its tool when the tool changes: it is still added on release", () => {
    const m = new Model();
    m.tool = "length";
    m.feed(mouse("down", { clientX: 30, clientY: 40 }));
    const drawn = m.draft;
    m.tool = "window"; // the toolbar's setTool clears every draft
    m.draft = null;
    m.feed(mouse("move", { clientX: 80, clientY: 40 }));
    expect(m.window).toEqual({ center: 40, width: 400 });
    m.feed(mouse("up", { clientX: 80, clientY: 40 }));
    expect(m.annotations).toEqual([drawn]);
    expect(drawn?.points[1]).toEqual({ x: 70, y: 20 });
  });

  it("a window drag stays a window drag when the pan tool is chosen mid-drag", () => {
    const m = new Model();
    m.feed(mouse("down", { clientX: 110, clientY: 100 }));
    m.tool = "pan";
    m.feed(mouse("move", { clientX: 110, clientY: 180 }));
    expect(m.window).toEqual({ center: 165, width: 400 });
    expect(m.view).toEqual(initialView());
    m.feed(mouse("up", { clientX: 110, clientY: 180 }));
    m.feed(mouse("down", { clientX: 110, clientY: 100 }));
    m.feed(mouse("move", { clientX: 120, clientY: 100 }));
    expect(m.view.panX).toBe(20);
  });

  it("an angle whose first arm is cancelled (Escape) is not completed by the next press", () => {
    const m = new Model();
    m.tool = "angle";
    drag(m, [
      [30, 40],
      [60, 40],
    ]);
    m.draft = null; // Escape
    m.tool = "window";
    m.feed(mouse("down", { clientX: 70, clientY: 90 }));
    expect(m.annotations).toEqual([]);
    expect(m.state.gesture.mode).toBe("window");
  });

  it("pointercancel ends a gesture as a release does", () => {
    const m = new Model();
    m.tool = "pan";
    m.feed(mouse("down", { clientX: 100, clientY: 100 }));
    m.feed(mouse("move", { clientX: 110, clientY: 100 }));
    m.feed(mouse("cancel", { clientX: 110, clientY: 100 }));
    expect(m.state).toMatchObject({ gesture: { mode: "none" }, down: null });
    expect(m.state.pointers.size).toBe(0);
    m.feed(mouse("move", { clientX: 200, clientY: 100 }));
    expect(m.view.panX).toBe(20);
    const p = new Model();
    p.feed(touch("down", 31, 100, 100));
    p.feed(touch("down", 32, 140, 100));
    p.feed(touch("cancel", 31, 100, 100));
    p.feed(touch("cancel", 32, 140, 100));
    expect(p.state.pointers.size).toBe(0);
    expect(p.state.gesture).toEqual({ mode: "none" });
  });
});

describe("gestures: wheel, hover and leave", () => {
  const wheel = (deltaY: number, mods: Partial<{ ctrlKey: boolean; metaKey: boolean }> = {}): GestureInput => ({
    kind: "wheel",
    deltaY,
    ctrlKey: false,
    metaKey: false,
    clientX: 60,
    clientY: 70,
    ...mods,
  });

  it("the wheel moves one frame per event, clamped to the stack", () => {
    const m = new Model();
    expect(m.feed(wheel(100))).toEqual([{ type: "activate" }, { type: "scroll", to: 6 }]);
    m.feed(wheel(-3));
    m.feed(wheel(-3));
    expect(m.index).toBe(4);
    m.index = 19;
    expect(m.feed(wheel(100))).toEqual([{ type: "activate" }, { type: "scroll", to: 19 }]);
  });

  it("Ctrl+wheel (or Cmd+wheel) zooms ×1.1 at the pointer", () => {
    const m = new Model();
    m.feed(wheel(-100, { ctrlKey: true }));
    expect(m.view).toEqual(zoomAt(initialView(), 1.1, 100, 100, 400, 300));
    m.feed(wheel(100, { metaKey: true }));
    expect(m.view.zoom).toBeCloseTo(1, 12);
    expect(m.index).toBe(5);
  });

  it("the wheel only activates a viewport with no stack", () => {
    const m = new Model();
    m.frames = null;
    expect(m.feed(wheel(100))).toEqual([{ type: "activate" }]);
  });

  it("a mouse over the image gives the hover point for the probe readout; touch does not", () => {
    const m = new Model();
    m.feed(mouse("move", { clientX: 60, clientY: 70, buttons: 0 }));
    expect(m.hover).toEqual({ x: 50, y: 50 });
    m.feed(touch("move", 5, 80, 70));
    expect(m.hover).toEqual({ x: 50, y: 50 });
    expect(m.feed({ ...mouse("leave", { clientX: 0, clientY: 0 }) })).toEqual([{ type: "hover", at: null }, { type: "draw" }]);
    expect(m.hover).toBeNull();
  });
});
