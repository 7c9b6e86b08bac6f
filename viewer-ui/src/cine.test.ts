import { describe, expect, it } from "vitest";
import { clampCineFps, fpsOfFrameTime, nextCineFrame } from "./cine";

describe("cine rate and stepping", () => {
  it("the file's frame time gives the rate to 0.1 fps; a chosen rate stays within 1–120", () => {
    expect(fpsOfFrameTime(33.3)).toBe(30);
    expect(fpsOfFrameTime(40)).toBe(25);
    expect(fpsOfFrameTime(70)).toBe(14.3);
    expect(clampCineFps(15 * 1.25)).toBe(18.8);
    expect(clampCineFps(0.2)).toBe(1);
    expect(clampCineFps(500)).toBe(120);
  });

  it("a tick moves to the next frame and loops; a frame still loading is skipped", () => {
    expect(nextCineFrame(3, 30, false)).toBe(4);
    expect(nextCineFrame(29, 30, false)).toBe(0);
    expect(nextCineFrame(3, 30, true)).toBeNull();
    expect(nextCineFrame(3, null, false)).toBeNull();
  });
});
