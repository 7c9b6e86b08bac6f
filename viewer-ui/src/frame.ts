// Binary frames from the shell (src-tauri/src/ipc.rs): a 28-byte header, the 8-bit pixels, then
// the frame's display notes (fixed sentences from Rust, one per line; tiles have none).

export interface Frame {
  width: number;
  height: number;
  channels: 1 | 3;
  lossy: boolean;
  downsampled: boolean;
  fullWidth: number;
  fullHeight: number;
  pixels: Uint8Array;
  /** What the viewer must say about how this frame is shown (e.g. the window applied). */
  notes: string[];
}

const HEADER_BYTES = 28;

export function parseFrame(buffer: ArrayBuffer): Frame {
  if (buffer.byteLength < HEADER_BYTES) throw new Error("frame too short");
  const v = new DataView(buffer);
  const width = v.getUint32(0, true);
  const height = v.getUint32(4, true);
  const channels = v.getUint32(8, true);
  const flags = v.getUint32(12, true);
  if (channels !== 1 && channels !== 3) throw new Error(`unexpected channel count ${channels}`);
  const notesLength = v.getUint32(24, true);
  const pixelBytes = width * height * channels;
  if (buffer.byteLength !== HEADER_BYTES + pixelBytes + notesLength) throw new Error("frame size mismatch");
  const pixels = new Uint8Array(buffer, HEADER_BYTES, pixelBytes);
  const notesText = new TextDecoder().decode(new Uint8Array(buffer, HEADER_BYTES + pixelBytes, notesLength));
  return {
    width,
    height,
    channels,
    lossy: (flags & 1) !== 0,
    downsampled: (flags & 2) !== 0,
    fullWidth: v.getUint32(16, true),
    fullHeight: v.getUint32(20, true),
    pixels,
    notes: notesText ? notesText.split("\n") : [],
  };
}

/** Expands grey or RGB pixels to the RGBA that ImageData wants; `invert` shows grey images
 * negative (a display choice: the windowed values are not changed, colour is never inverted). */
export function toRgba(frame: Frame, out?: Uint8ClampedArray<ArrayBuffer>, invert = false): Uint8ClampedArray<ArrayBuffer> {
  const n = frame.width * frame.height;
  const rgba = out && out.length === n * 4 ? out : new Uint8ClampedArray(n * 4);
  const p = frame.pixels;
  if (frame.channels === 1) {
    const flip = invert ? 255 : 0;
    for (let i = 0, j = 0; i < n; i++, j += 4) {
      const g = p[i] ^ flip;
      rgba[j] = g;
      rgba[j + 1] = g;
      rgba[j + 2] = g;
      rgba[j + 3] = 255;
    }
  } else {
    for (let i = 0, j = 0, k = 0; i < n; i++, j += 4, k += 3) {
      rgba[j] = p[k];
      rgba[j + 1] = p[k + 1];
      rgba[j + 2] = p[k + 2];
      rgba[j + 3] = 255;
    }
  }
  return rgba;
}
