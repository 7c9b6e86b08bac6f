// Window presets. CT presets are in Hounsfield units (the values radiology teaching uses, e.g.
// Radiopaedia's "Windowing (CT)"); other modalities get the file's own windows on the number keys.

import type { Window } from "./view";

export interface Preset {
  /** The number key that selects it. */
  key: string;
  name: string;
  window: Window;
}

export const CT_PRESETS: Preset[] = [
  { key: "1", name: "Brain", window: { center: 40, width: 80 } },
  { key: "2", name: "Subdural", window: { center: 75, width: 215 } },
  { key: "3", name: "Stroke", window: { center: 40, width: 40 } },
  { key: "4", name: "Lung", window: { center: -600, width: 1500 } },
  { key: "5", name: "Mediastinum", window: { center: 50, width: 350 } },
  { key: "6", name: "Abdomen", window: { center: 50, width: 400 } },
  { key: "7", name: "Liver", window: { center: 30, width: 150 } },
  { key: "8", name: "Bone", window: { center: 400, width: 1800 } },
];

/** The presets a stack offers: the file's own windows first ("File 1", …), then the CT presets. */
export function presetsFor(modality: string | null, fileWindows: [number, number][]): Preset[] {
  const own = fileWindows.slice(0, 9).map(([center, width], i) => ({
    key: modality === "CT" ? (i === 0 ? "0" : "") : String(i + 1),
    name: fileWindows.length > 1 ? `File ${i + 1}` : "File",
    window: { center, width },
  }));
  return modality === "CT" ? [...own, ...CT_PRESETS] : own;
}

/**
 * The preset a number key selects. On CT, 1–8 are the CT presets and 0 cycles through the file's
 * windows; elsewhere 1–9 are the file's windows and 0 cycles through them too. `current` is the name of the
 * preset in use (for cycling).
 */
export function presetForKey(key: string, modality: string | null, fileWindows: [number, number][], current: string | null): Preset | null {
  const presets = presetsFor(modality, fileWindows);
  const own = presets.filter((p) => p.name.startsWith("File"));
  if (key === "0") {
    if (own.length === 0) return null;
    const at = own.findIndex((p) => p.name === current);
    return own[(at + 1) % own.length];
  }
  return presets.find((p) => p.key === key) ?? null;
}
