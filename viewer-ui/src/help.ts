// The help overlay (`?`): every shortcut of ./keys.ts by group, and the mouse and touch gestures.
// Not modal: the image stays usable under it.

import { SHORTCUTS } from "./keys";

export function buildHelp(body: HTMLElement): void {
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
