// The in-app benchmark (lucent-viewer --bench-scroll OUT.json): time to the first image, a cold
// and a warm pass through every frame of the active viewport's stack (failed frames counted per
// code, never timed), W/L input to paint, and the reading tools' data path (values over IPC, ROI
// statistics). The shell writes the report and exits (1 on an error or a failed frame).

import { invoke } from "@tauri-apps/api/core";
import { parseValues, regionStats } from "./measure";
import { dragWindow } from "./view";
import { paints, Viewport } from "./viewport";

const nextPaint = () => new Promise<number>((r) => requestAnimationFrame(r));

async function waitShown(vp: Viewport, index: number, timeoutMs: number): Promise<void> {
  const t0 = performance.now();
  while (vp.shownIndex !== index || vp.busy) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`frame ${index} not shown`);
    await nextPaint();
  }
}

interface BenchPass {
  kind: "cold" | "warm";
  /** Frames stepped through (0 to the last). */
  frames: number;
  /** Frames whose request failed: counted per code, never timed (the run then exits 1). */
  frames_failed: number;
  errors: Record<string, number>;
  painted_per_raf: number;
  /** From asking for a frame to its paint, over the frames shown (ms). */
  ms_p50: number | null;
  ms_p95: number | null;
}

const percentile = (v: number[], p: number): number | null => {
  if (!v.length) return null;
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.round(p * (s.length - 1)))];
};

/** Steps through every frame, the next asked for once the current one is shown or has failed. */
async function scrollPass(vp: Viewport, kind: BenchPass["kind"]): Promise<BenchPass> {
  const n = vp.stack?.frames ?? 0;
  const errors: Record<string, number> = {};
  const ms: number[] = [];
  let ticks = 0;
  let i = 0;
  vp.setIndex(0);
  await waitShown(vp, 0, 10000);
  const startPainted = paints.count;
  let asked = performance.now();
  let waitedFrom = asked;
  while (i < n - 1) {
    await nextPaint();
    ticks++;
    const shown = vp.shownIndex === i && !vp.busy;
    const failed = !shown && vp.failed?.index === i && !vp.busy;
    if (shown || failed) {
      if (shown && i > 0) ms.push(paints.lastAt - asked);
      if (failed) errors[vp.failed!.code] = (errors[vp.failed!.code] ?? 0) + 1;
      i++;
      asked = performance.now();
      waitedFrom = asked;
      vp.setIndex(i);
    } else if (performance.now() - waitedFrom > 10000) {
      throw new Error(`frame ${i} neither shown nor failed within 10 s`);
    }
  }
  const lastFailed = async (): Promise<boolean> => {
    const t0 = performance.now();
    while (vp.busy || (vp.shownIndex !== n - 1 && vp.failed?.index !== n - 1)) {
      if (performance.now() - t0 > 10000) throw new Error(`frame ${n - 1} neither shown nor failed within 10 s`);
      await nextPaint();
    }
    return vp.shownIndex !== n - 1;
  };
  if (await lastFailed()) errors[vp.failed!.code] = (errors[vp.failed!.code] ?? 0) + 1;
  else if (n > 1) ms.push(paints.lastAt - asked);
  await nextPaint();
  ticks++;
  return {
    kind,
    frames: n,
    frames_failed: Object.values(errors).reduce((a, b) => a + b, 0),
    errors,
    painted_per_raf: (paints.count - startPainted) / Math.max(1, ticks),
    ms_p50: percentile(ms, 0.5),
    ms_p95: percentile(ms, 0.95),
  };
}

async function runBenchmark(vp: Viewport, launchEpochMs: number, openEpochMs: number): Promise<void> {
  const t0 = performance.now();
  while (!vp.frame) {
    if (performance.now() - t0 > 60000) throw new Error("no image within 60 s");
    await nextPaint();
  }
  const firstImageFromLaunchMs = Date.now() - launchEpochMs;
  const firstImageFromOpenMs = openEpochMs > 0 ? Date.now() - openEpochMs : null;
  // Cold: the shell's and the session's caches emptied, the files evicted from the page cache.
  const coldStart = await invoke<unknown>("bench_cold", { request: { series: vp.series?.id } });
  const cold = await scrollPass(vp, "cold");
  const warm = await scrollPass(vp, "warm");
  const base = vp.window ?? { center: 40, width: 400 };
  const latencies: number[] = [];
  for (let k = 0; k < 40; k++) {
    await nextPaint(); // one drag event per animation frame, as a mouse delivers them
    const start = performance.now();
    vp.setWindow(dragWindow(base, (k % 10) * 4, k * 2), null);
    const target = paints.count + 1;
    while (paints.count < target) await new Promise((r) => setTimeout(r, 0));
    latencies.push(paints.lastAt - start);
  }
  latencies.sort((a, b) => a - b);
  const p95 = percentile(latencies, 0.95);
  // The reading tools' data path: one frame's full-resolution values over IPC, and the
  // statistics of the largest ellipse that fits the frame.
  const valuesMs: number[] = [];
  const statsMs: number[] = [];
  let roiPixels = 0;
  if (vp.series && vp.frame?.channels === 1) {
    for (let k = 0; k < 10; k++) {
      const t = performance.now();
      const values = parseValues(await invoke<ArrayBuffer>("values", { request: { series: vp.series.id, index: vp.shownIndex } }));
      valuesMs.push(performance.now() - t);
      const s = performance.now();
      roiPixels = regionStats("ellipse", { x: 0, y: 0 }, { x: values.width, y: values.height }, values, vp.stack?.spacing ?? null).count;
      statsMs.push(performance.now() - s);
    }
  }
  const median = (v: number[]) => (v.length ? [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] : null);
  await invoke("bench_report", {
    report: {
      schema: "lucent-viewer/bench-scroll/2",
      first_image_from_launch_ms: firstImageFromLaunchMs,
      first_image_from_open_request_ms: firstImageFromOpenMs,
      frames: cold.frames,
      cold_start: coldStart,
      passes: [cold, warm],
      wl_input_to_paint_ms_p95: p95,
      wl_input_to_paint_ms_p50: latencies[Math.floor(latencies.length / 2)],
      values_fetch_ms_p50: median(valuesMs),
      roi_stats_ms_p50: median(statsMs),
      roi_pixels: roiPixels,
    },
  });
}

/** Runs the benchmark on the active viewport when the shell was started with --bench-scroll;
 * an error is reported instead of the figures. */
export async function benchmarkIfAsked(active: () => Viewport): Promise<void> {
  const mode = await invoke<{ benchScroll: boolean; launchEpochMs: number; openEpochMs: number }>("app_mode");
  if (mode.benchScroll) {
    const requested = Date.now();
    runBenchmark(active(), mode.launchEpochMs, mode.openEpochMs > 0 ? mode.openEpochMs : requested).catch((e) => void invoke("bench_report", { report: { error: String(e) } }));
  }
}
