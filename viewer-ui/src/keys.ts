// Every action of the viewer and the keys that run it: one table drives the keyboard handler, the
// toolbar's tooltips and the help overlay (`?`), so what the help says is what the keys do.

export type Action =
  | "tool-window"
  | "tool-pan"
  | "tool-zoom"
  | "tool-probe"
  | "tool-length"
  | "tool-angle"
  | "tool-rect"
  | "tool-ellipse"
  | "fit"
  | "native"
  | "zoom-in"
  | "zoom-out"
  | "rotate-cw"
  | "rotate-ccw"
  | "flip-h"
  | "flip-v"
  | "invert"
  | "overlays"
  | "shutters"
  | "reset"
  | "preset"
  | "next-slice"
  | "prev-slice"
  | "first-slice"
  | "last-slice"
  | "next-series"
  | "prev-series"
  | "layout-1x1"
  | "layout-1x2"
  | "layout-2x2"
  | "next-viewport"
  | "sync"
  | "cine"
  | "cine-faster"
  | "cine-slower"
  | "delete-annotation"
  | "clear-annotations"
  | "cancel"
  | "large-controls"
  | "help";

export interface Shortcut {
  action: Action;
  /** `KeyboardEvent.key` values; "Shift+…" requires Shift. */
  keys: string[];
  /** What the help overlay shows for the keys. */
  label: string;
  description: string;
  group: "Tools" | "View" | "Window" | "Navigate" | "Layout" | "Measurements" | "Display";
}

export const SHORTCUTS: Shortcut[] = [
  { action: "tool-window", keys: ["w"], label: "W", description: "Window/level tool (left drag: ↔ width, ↕ level)", group: "Tools" },
  { action: "tool-pan", keys: ["m"], label: "M", description: "Pan tool (also middle drag, two fingers)", group: "Tools" },
  { action: "tool-zoom", keys: ["z"], label: "Z", description: "Zoom tool (also right drag, Ctrl+wheel, pinch)", group: "Tools" },
  { action: "tool-probe", keys: ["p"], label: "P", description: "Probe: pin the stored and modality value of a pixel", group: "Tools" },
  { action: "tool-length", keys: ["l"], label: "L", description: "Length (mm)", group: "Tools" },
  { action: "tool-angle", keys: ["a"], label: "A", description: "Angle: drag the first arm, then click the second", group: "Tools" },
  { action: "tool-rect", keys: ["b"], label: "B", description: "Rectangle region: mean, SD, min, max, area", group: "Tools" },
  { action: "tool-ellipse", keys: ["e"], label: "E", description: "Ellipse region: mean, SD, min, max, area", group: "Tools" },
  { action: "fit", keys: ["f"], label: "F", description: "Fit the image to the viewport", group: "View" },
  { action: "native", keys: ["n"], label: "N", description: "1:1 (one image pixel per screen pixel)", group: "View" },
  { action: "zoom-in", keys: ["+", "="], label: "+", description: "Zoom in", group: "View" },
  { action: "zoom-out", keys: ["-"], label: "−", description: "Zoom out", group: "View" },
  { action: "rotate-cw", keys: ["]"], label: "]", description: "Rotate 90° clockwise", group: "View" },
  { action: "rotate-ccw", keys: ["["], label: "[", description: "Rotate 90° counter-clockwise", group: "View" },
  { action: "flip-h", keys: ["h"], label: "H", description: "Flip horizontally", group: "View" },
  { action: "flip-v", keys: ["v"], label: "V", description: "Flip vertically", group: "View" },
  { action: "reset", keys: ["r"], label: "R", description: "Reset view and window", group: "View" },
  { action: "preset", keys: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"], label: "0–9", description: "Window presets (CT: 1 brain … 8 bone; 0 the file's windows)", group: "Window" },
  { action: "invert", keys: ["i"], label: "I", description: "Invert grey scale", group: "Window" },
  { action: "shutters", keys: ["u"], label: "U", description: "Apply or lift the file's display shutter (applied by default; lifted, the corner says so)", group: "Display" },
  { action: "overlays", keys: ["o"], label: "O", description: "Show or hide the file's overlay planes (shown by default)", group: "Display" },
  { action: "next-slice", keys: ["ArrowDown", "PageDown"], label: "↓ PgDn wheel", description: "Next image", group: "Navigate" },
  { action: "prev-slice", keys: ["ArrowUp", "PageUp"], label: "↑ PgUp wheel", description: "Previous image", group: "Navigate" },
  { action: "first-slice", keys: ["Home"], label: "Home", description: "First image", group: "Navigate" },
  { action: "last-slice", keys: ["End"], label: "End", description: "Last image", group: "Navigate" },
  { action: "next-series", keys: ["Shift+ArrowDown", "ArrowRight"], label: "→", description: "Next series in this viewport", group: "Navigate" },
  { action: "prev-series", keys: ["Shift+ArrowUp", "ArrowLeft"], label: "←", description: "Previous series in this viewport", group: "Navigate" },
  { action: "cine", keys: [" "], label: "Space", description: "Play/pause cine (at the file's frame time when it has one)", group: "Navigate" },
  { action: "cine-faster", keys: ["."], label: ".", description: "Cine faster", group: "Navigate" },
  { action: "cine-slower", keys: [","], label: ",", description: "Cine slower", group: "Navigate" },
  { action: "layout-1x1", keys: ["Shift+!"], label: "Shift+1", description: "One viewport", group: "Layout" },
  { action: "layout-1x2", keys: ["Shift+@", "Shift+\""], label: "Shift+2", description: "Two viewports side by side", group: "Layout" },
  { action: "layout-2x2", keys: ["Shift+$"], label: "Shift+4", description: "Four viewports", group: "Layout" },
  { action: "next-viewport", keys: ["Tab"], label: "Tab", description: "Next viewport (the active one has a blue frame)", group: "Layout" },
  { action: "sync", keys: ["s"], label: "S", description: "Synchronised scrolling of stacks in one frame of reference", group: "Layout" },
  { action: "delete-annotation", keys: ["Delete", "Backspace"], label: "Del", description: "Delete the selected (or last) measurement", group: "Measurements" },
  { action: "clear-annotations", keys: ["Shift+Delete", "Shift+Backspace"], label: "Shift+Del", description: "Delete all measurements on this image", group: "Measurements" },
  { action: "cancel", keys: ["Escape"], label: "Esc", description: "Cancel the measurement being drawn; close help", group: "Measurements" },
  { action: "large-controls", keys: ["t"], label: "T", description: "Large controls for touch screens (high contrast)", group: "Display" },
  { action: "help", keys: ["?", "F1"], label: "?", description: "Show or hide this help", group: "Display" },
];

/** The action a key press runs, or null. Letters match in either case; Shift must match when a
 * binding names it (so Shift+Delete and Delete differ), and Ctrl/Alt/Meta presses are left to
 * the menu and the webview. */
export function actionForKey(e: { key: string; shiftKey: boolean; ctrlKey: boolean; altKey: boolean; metaKey: boolean }): Action | null {
  if (e.ctrlKey || e.altKey || e.metaKey) return null;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  const shifted = `Shift+${e.key}`;
  for (const s of SHORTCUTS) if (e.shiftKey && s.keys.includes(shifted)) return s.action;
  for (const s of SHORTCUTS) {
    if (!s.keys.includes(key)) continue;
    // Letters and named keys need Shift up (Shift+letter is left free); symbols come with Shift.
    if (e.shiftKey && /^[a-z]$|^[A-Z][a-z]+/.test(key)) continue;
    return s.action;
  }
  return null;
}

/** The first key label of an action, for tooltips ("Fit (F)"). */
export function keyLabel(action: Action): string {
  return SHORTCUTS.find((s) => s.action === action)?.label ?? "";
}
