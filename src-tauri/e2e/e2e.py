#!/usr/bin/env python3
"""End-to-end tests of lucent-viewer in the real webview (WebKitGTK), driven over WebDriver.

Run headless, inside a real keychain session (the viewer audits every open):
    scripts/with-keyring.sh xvfb-run -a python3 src-tauri/e2e/e2e.py TARGET_DIR
It starts tauri-driver (which starts WebKitWebDriver), opens a generated CT study given on the
viewer's command line, and checks: the image is drawn; a wheel event scrolls one slice; a W/L
drag changes the pixels as the window maths predicts; an undeclared command, fetch of a file://
URL and a navigation to another origin all fail; a patient name holding markup is shown as
text. Screenshots go to TARGET_DIR/e2e/. Then the PHI scan: the viewer runs with its core-dump
limit at 0 (its webview processes too), and after it exits no marker of the study (patient
name, patient ID, Study Instance UID; UTF-8 and UTF-16) is in any file under LUCENT_DATA_DIR or
the XDG data/cache/config folders it was given (WebKit's caches included), nor in the output of
the viewer and the WebDriver processes. The reading tools (issue 9): presets, invert, rotate/flip
with orientation markers, help overlay, measurements (ROI statistics checked against pydicom +
numpy on the same file), layouts with drag from the browser, synchronised scrolling, cine and
large controls; overlay planes shown by default, hidden and shown again with O (issue 17). Standard library, plus pydicom and numpy for the independent ROI check.

The webview and the build (issue 16): the suite drives lucent-viewer-e2e, the test build (cargo
feature e2e-automation); the shipped lucent-viewer holds none of its code (its marker string is
absent), started under tauri-driver with automation requested it starts (its audit trail gets
the 110100 application start) but runs without the automation and inspector variables, no
WebDriver session can run a script in it, and WebKit's inspector server never listens. In the
test build: window.open opens nothing, a form post does not navigate, an injected <base> changes
nothing, and a download (data:, blob:, same origin) writes no file in the HOME given to it.

The benchmarks and the checks that measure (issue 18): the shipped lucent-viewer --bench-scroll
exits 0 on a clean series with its cold start and the memory of its whole process tree, and 1
on a series with a slice that cannot be read (counted per code); the cine check counts the
frames shown in 2 s in the page against the file's frame rate (±15 %); the angle check computes
the angle from the placed points and PixelSpacing, as the length check does.
"""

import base64
import http.client
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TARGET = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target"))
# The test build (feature e2e-automation) that the suite drives, and the shipped binary.
VIEWER = os.path.join(TARGET, "release", "lucent-viewer-e2e")
SHIPPED = os.path.join(TARGET, "release", "lucent-viewer")
LUCENT = os.path.join(TARGET, "release", "lucent")
TEST_BUILD_MARKER = b"TEST BUILD (feature e2e-automation)"
AUTOMATION_VARIABLES = ("TAURI_WEBVIEW_AUTOMATION", "TAURI_AUTOMATION", "WEBKIT_INSPECTOR_SERVER", "WEBKIT_INSPECTOR_HTTP_SERVER")
TESTDATA = os.path.join(TARGET, "release", "lucent-testdata")
SHOTS = os.path.join(TARGET, "e2e")
DRIVER = "http://127.0.0.1:4444"
XSS_NAME = "<img src=x onerror=window.__xss=1>^EVIL"
PHI_PATIENT_ID = "ZQXE2EPID7731"

# The cine check: frames counted over this long must be within this fraction of the file's rate.
CINE_SECONDS = 2.0
CINE_TOLERANCE = 0.15

passed, failed = 0, 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name} {detail}")


def call(method, path, body=None, timeout=60, base=DRIVER):
    data = None if body is None else json.dumps(body).encode()
    for attempt in range(3):
        req = urllib.request.Request(base + path, data=data, method=method, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return json.loads(r.read() or b"{}").get("value")
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"{method} {path}: {e.code} {e.read()[:300]!r}")
        except (ConnectionError, http.client.RemoteDisconnected) as e:
            if method == "POST" and path.endswith("/session") or attempt == 2:
                raise RuntimeError(f"{method} {path}: {e}")
            time.sleep(0.5)


def linear(x, c, w):
    """PS3.3 C.11.2.1.2.1 LINEAR, as lucent-pixels computes it."""
    w = max(1.0, w)
    if x <= c - 0.5 - (w - 1) / 2:
        return 0
    if x > c - 0.5 + (w - 1) / 2:
        return 255
    return round(((x - (c - 0.5)) / (w - 1) + 0.5) * 255)


PROBE = """
const vp = document.querySelector('.viewport.active');
if (!vp) return { sum: 0, lit: 0, center: -1, w: 0, h: 0, bl: '', br: '', markers: '', msg: 'not started' };
const c = vp.querySelector('canvas');
const x = c.getContext('2d');
const d = x.getImageData(0, 0, c.width, c.height).data;
let sum = 0, lit = 0;
for (let i = 0; i < d.length; i += 4 * 13) { sum = (sum * 31 + d[i]) % 1000000007; if (d[i] > 10) lit++; }
const m = x.getImageData(c.width >> 1, c.height >> 1, 1, 1).data;
return { sum, lit, center: m[0], w: c.width, h: c.height,
         bl: vp.querySelector('.corner.bl').textContent,
         br: vp.querySelector('.corner.br').textContent,
         markers: ['top', 'right', 'bottom', 'left'].map(s => vp.querySelector('.marker.' + s).textContent).join(' '),
         msg: vp.querySelector('.message').hidden ? '' : vp.querySelector('.message').textContent };
"""


def study_instance_uid(path):
    """The file's Study Instance UID, read with dcmtk's dcmdump (installed by the test command)."""
    out = subprocess.run(["dcmdump", "+P", "0020,000d", path], capture_output=True, text=True, check=True).stdout
    return out.split("[", 1)[1].split("]", 1)[0]


def viewer_pids(binary=VIEWER):
    """Running processes of one of this build's viewer binaries."""
    pids = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:  # cmdline, not exe: a non-dumpable process's exe link is not readable by its user
                with open(f"/proc/{p}/cmdline", "rb") as f:
                    if f.read().split(b"\0")[0] == binary.encode():
                        pids.append(int(p))
            except OSError:
                pass
    return pids


def children(pid):
    """Direct child processes of pid (the WebKit web and network processes)."""
    out = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(p))
            except (OSError, ValueError, IndexError):
                pass
    return out


def core_limit(pid):
    """(soft, hard) 'Max core file size' of a process."""
    try:
        with open(f"/proc/{pid}/limits") as f:
            for line in f:
                if line.startswith("Max core file size"):
                    parts = line.split()
                    return (parts[4], parts[5])
    except OSError as e:
        return str(e)
    return None


def phi_hits(paths, markers):
    """(path, marker) for every marker found in a file, as UTF-8 or UTF-16LE bytes."""
    hits = []
    for path in paths:
        with open(path, "rb") as f:
            blob = f.read()
        for m in markers:
            if m.encode() in blob or m.encode("utf-16-le") in blob:
                hits.append((path, m))
    return hits

def key(js, k, shift=False):
    js("window.dispatchEvent(new KeyboardEvent('keydown', {key: arguments[0], shiftKey: arguments[1], bubbles: true, cancelable: true}))", k, shift)


def state(js, slot=None):
    return js("const L = window.__lucent; return L.viewport(arguments[0] === null ? L.activeSlot() : arguments[0])", slot)


# A mouse gesture on a viewport's canvas; points are fractions of the canvas (0–1).
POINTER = """
const [slot, pts, press] = arguments;
const c = document.querySelectorAll('.viewport')[slot].querySelector('canvas'); const r = c.getBoundingClientRect();
const at = (p) => ({clientX: r.left + p[0] * r.width, clientY: r.top + p[1] * r.height});
const ev = (t, p, buttons) => c.dispatchEvent(new PointerEvent(t, {pointerId: 9, pointerType: 'mouse', button: 0, buttons, bubbles: true, ...at(p)}));
if (press) { ev('pointerdown', pts[0], 1); for (const p of pts.slice(1)) ev('pointermove', p, 1); ev('pointerup', pts[pts.length - 1], 0); }
else { for (const p of pts) ev('pointermove', p, 0); }
"""


def activate(js, slot):
    """Makes a viewport the active one as a middle click does (a pan that does not move)."""
    js("""
    const c = document.querySelectorAll('.viewport')[arguments[0]].querySelector('canvas');
    for (const t of ['pointerdown', 'pointerup']) c.dispatchEvent(new PointerEvent(t, {pointerId: 4, button: 1, bubbles: true}));
    """, slot)


def ct_slices(folder):
    """The CT files in display order (ascending location along the normal), read with pydicom."""
    import pydicom
    files = [os.path.join(folder, f) for f in os.listdir(folder)]
    return sorted(files, key=lambda f: float(pydicom.dcmread(f, stop_before_pixels=True).ImagePositionPatient[2]))


def roi_reference(path, kind, a, b):
    """ROI statistics computed independently with pydicom and numpy: pixel centres inside the shape."""
    import numpy as np
    import pydicom
    ds = pydicom.dcmread(path)
    hu = ds.pixel_array.astype(np.float64) * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    row_mm, col_mm = (float(v) for v in ds.PixelSpacing)
    x0, x1 = sorted((a["x"], b["x"]))
    y0, y1 = sorted((a["y"], b["y"]))
    yy, xx = np.mgrid[0:hu.shape[0], 0:hu.shape[1]] + 0.5
    if kind == "ellipse":
        cx, cy, rx, ry = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
        mask = ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 <= 1
        area = np.pi * rx * col_mm * ry * row_mm
    else:
        mask = (xx >= x0) & (xx <= x1) & (yy >= y0) & (yy <= y1)
        area = (x1 - x0) * col_mm * (y1 - y0) * row_mm
    v = hu[mask]
    return {"mean": v.mean(), "sd": v.std(), "min": v.min(), "max": v.max(), "area": area, "count": int(mask.sum()),
            "hu": hu, "spacing": (row_mm, col_mm)}


def reading_tools(js, shot, wait, study, thick):
    """Issue 9: presets, invert, view transforms and markers, help, measurements checked against
    pydicom + numpy, layouts with drag from the browser and synchronised scrolling, cine, large controls."""
    import re
    first = wait(lambda p: p["bl"].startswith("Im 1/20") and p["lit"] > 100)
    slices = ct_slices(study)

    # Presets on the number keys; the current W/L and the preset's name are on screen.
    key(js, "4")
    expected = linear(40, -600, 1500)
    lung = wait(lambda p: "W 1500 L -600 Lung" in p["br"] and abs(p["center"] - expected) <= 2)
    check(f"key 4 selects the lung preset (W 1500 L -600, centre 40 HU → {expected})",
          "W 1500 L -600 Lung" in lung["br"] and abs(lung["center"] - expected) <= 2, lung)
    shot("06-preset-lung")
    key(js, "1")
    brain = wait(lambda p: "W 80 L 40 Brain" in p["br"] and abs(p["center"] - 128) <= 2)
    check("key 1 selects the brain preset (W 80 L 40)", "W 80 L 40 Brain" in brain["br"] and abs(brain["center"] - 128) <= 2, brain)
    key(js, "i")
    inverted = wait(lambda p: abs(p["center"] - 127) <= 2 and p["sum"] != brain["sum"])
    badge = js("return !document.querySelector('.viewport.active .badge.inverted').hidden")
    check("I inverts the grey scale and says so", abs(inverted["center"] - 127) <= 2 and badge, (inverted, badge))
    key(js, "i")
    key(js, "0")
    own = wait(lambda p: "W 400 L 40 File" in p["br"])
    check("key 0 returns to the file's own window", "W 400 L 40 File" in own["br"], own)

    # View transforms and orientation markers (axial: A top, L right, P bottom, R left).
    check("orientation markers of an axial slice: A, L, P, R", own["markers"] == "A L P R", own["markers"])
    key(js, "]")
    rotated = wait(lambda p: "Rot 90°" in p["br"])
    check("] rotates 90° clockwise and the markers follow (R on top, A on the right)",
          rotated["markers"] == "R A L P", (rotated["markers"], rotated["br"]))
    key(js, "h")
    flipped = wait(lambda p: "Flip H" in p["br"])
    check("H flips horizontally and the markers follow", flipped["markers"] == "R P L A", flipped["markers"])
    shot("07-rotated-flipped")
    key(js, "n")
    native = wait(lambda p: "Zoom 100%" in p["br"])
    check("N shows the image 1:1 (Zoom 100%)", "Zoom 100%" in native["br"], native["br"])
    key(js, "r")
    reset = wait(lambda p: "Rot" not in p["br"] and "Flip" not in p["br"] and p["markers"] == "A L P R")
    check("R resets the view", reset["markers"] == "A L P R" and "Rot" not in reset["br"], reset)

    # The help overlay: every shortcut, not modal.
    key(js, "?", True)
    help_ = js("const h = document.getElementById('help'); return {shown: !h.hidden, text: h.textContent, rows: h.querySelectorAll('tr').length}")
    check("? shows the keyboard help overlay", help_["shown"] and "Window presets" in help_["text"] and help_["rows"] >= 30, help_["rows"])
    js(POINTER, 0, [[0.5, 0.5], [0.5, 0.6]], False)  # the image still takes input under the help
    shot("08-help-overlay")
    key(js, "Escape")
    check("Esc closes the help", js("return document.getElementById('help').hidden"))

    # Measurements on slice 11, compared with pydicom + numpy on the same file.
    key(js, "End")
    for _ in range(9):
        key(js, "ArrowUp")
    at = wait(lambda p: p["bl"].startswith("Im 11/20"))
    index = state(js)["index"]
    path = slices[index]
    key(js, "l")
    js(POINTER, 0, [[0.3, 0.5], [0.5, 0.5], [0.7, 0.5]], True)
    key(js, "e")
    js(POINTER, 0, [[0.38, 0.52], [0.5, 0.6], [0.62, 0.68]], True)
    key(js, "p")
    js(POINTER, 0, [[0.55, 0.45]], True)
    key(js, "a")
    js(POINTER, 0, [[0.3, 0.3], [0.4, 0.4]], True)
    js(POINTER, 0, [[0.5, 0.3]], False)
    js(POINTER, 0, [[0.5, 0.3]], True)
    t0 = time.time()
    st = state(js)
    while time.time() - t0 < 10 and (len(st["labels"]) < 4 or any("…" in l for l in st["labels"])):
        time.sleep(0.2)
        st = state(js)
    kinds = [a["kind"] for a in st["annotations"]]
    check("length, ellipse, probe and angle are placed on the image", kinds == ["length", "ellipse", "probe", "angle"], kinds)
    shot("09-measurements")
    length, ellipse, probe, angle = st["annotations"]
    ref = roi_reference(path, "ellipse", *ellipse["points"])
    row_mm, col_mm = ref["spacing"]
    (a, b) = length["points"]
    mm = ((b["x"] - a["x"]) * col_mm) ** 2 + ((b["y"] - a["y"]) * row_mm) ** 2
    check(f"the length label is the distance in mm from PixelSpacing ({mm ** 0.5:.1f} mm)",
          st["labels"][0] == f"{mm ** 0.5:.1f} mm", st["labels"][0])
    m = re.match(r"Mean (-?[\d.]+) HU  SD ([\d.]+)\nMin (-?[\d.]+)  Max (-?[\d.]+)\nArea ([\d.]+) mm²  \((\d+) px\)$", st["labels"][1])
    shown = dict(zip(["mean", "sd", "min", "max", "area", "count"], map(float, m.groups()))) if m else {}
    print(f"     ellipse ROI: viewer {shown}; pydicom+numpy "
          f"mean {ref['mean']:.2f} sd {ref['sd']:.2f} min {ref['min']} max {ref['max']} area {ref['area']:.1f} n {ref['count']}")
    check("ellipse ROI statistics (HU) match pydicom + numpy on the same pixels",
          m is not None and int(shown["count"]) == ref["count"] and abs(shown["mean"] - ref["mean"]) <= 0.051
          and abs(shown["sd"] - ref["sd"]) <= 0.051 and shown["min"] == ref["min"] and shown["max"] == ref["max"]
          and abs(shown["area"] - ref["area"]) <= 0.051 and ref["sd"] > 1, st["labels"][1])
    p = probe["points"][0]
    i, j = int(p["x"]), int(p["y"])
    hu = ref["hu"][j, i]
    check(f"the probe shows the stored value and HU of the pixel ({hu:g} HU)",
          st["labels"][2] == f"x {i} y {j}: stored {hu + 1024:g} → {hu:g} HU", st["labels"][2])
    # The angle at the vertex (the second point) between the arms, in mm space as the length is.
    arm, vertex, other = angle["points"]
    ux, uy = (arm["x"] - vertex["x"]) * col_mm, (arm["y"] - vertex["y"]) * row_mm
    vx, vy = (other["x"] - vertex["x"]) * col_mm, (other["y"] - vertex["y"]) * row_mm
    degrees = math.degrees(math.atan2(abs(ux * vy - uy * vx), ux * vx + uy * vy))
    check(f"the angle label is the angle at the vertex from PixelSpacing ({degrees:.1f}°)",
          st["labels"][3] == f"{degrees:.1f}°" and 1 < degrees < 179, (st["labels"][3], angle["points"]))
    key(js, "Delete")
    after_delete = [a["kind"] for a in state(js)["annotations"]]
    key(js, "Delete", True)
    cleared = state(js)["annotations"]
    check("Delete removes the last measurement, Shift+Delete all of this image's",
          after_delete == ["length", "ellipse", "probe"] and cleared == [], (after_delete, cleared))
    key(js, "w")

    # Layouts: 2×2 fills the viewports; a series dragged from the browser lands where it is dropped.
    key(js, "$", True)
    layout = js("return {layout: window.__lucent.layout(), shown: [...document.querySelectorAll('.viewport')].filter(v => !v.hidden).length}")
    check("Shift+4 shows four viewports", layout == {"layout": 4, "shown": 4}, layout)
    drop = js("""
    const button = [...document.querySelectorAll('.series')].find(e => e.textContent.startsWith('CT #3'));
    const target = document.querySelectorAll('.viewport')[1].getBoundingClientRect();
    const b = button.getBoundingClientRect();
    const ev = (el, t, x, y) => el.dispatchEvent(new PointerEvent(t, {pointerId: 3, pointerType: 'mouse', button: 0, buttons: t === 'pointerup' ? 0 : 1, clientX: x, clientY: y, bubbles: true}));
    ev(button, 'pointerdown', b.left + 10, b.top + 10);
    ev(window, 'pointermove', b.left + 40, b.top + 30);
    ev(window, 'pointermove', target.left + target.width / 2, target.top + target.height / 2);
    ev(window, 'pointerup', target.left + target.width / 2, target.top + target.height / 2);
    return button.dataset.id;
    """)
    t0 = time.time()
    while time.time() - t0 < 10 and state(js, 1)["series"] != drop:
        time.sleep(0.2)
    check("a series dragged from the browser onto viewport 2 is shown there", state(js, 1)["series"] == drop, state(js, 1))
    # Synchronised scrolling: the 2.5 mm and 5 mm series share a frame of reference.
    activate(js, 0)
    key(js, "Home")
    for _ in range(8):
        key(js, "ArrowDown")
    time.sleep(1.0)
    v0, v1 = state(js, 0), state(js, 1)
    import pydicom
    z0 = float(pydicom.dcmread(slices[v0["index"]], stop_before_pixels=True).ImagePositionPatient[2])
    zs = [float(pydicom.dcmread(f, stop_before_pixels=True).ImagePositionPatient[2]) for f in ct_slices(thick)]
    nearest = min(range(len(zs)), key=lambda k: abs(zs[k] - z0))
    check(f"scrolling viewport 1 to z {z0:.1f} mm moves viewport 2 to its nearest slice (z {zs[nearest]:.1f} mm)",
          v0["index"] == 8 and v1["index"] == nearest and v1["shown"] == nearest, (v0["index"], v1["index"], nearest))
    active = js("const v = document.querySelector('.viewport.active'); return {slot: v.dataset.slot, outline: getComputedStyle(v).outlineColor}")
    check("the active viewport is outlined", active["slot"] == "0" and active["outline"] not in ("transparent", "rgba(0, 0, 0, 0)"), active)
    shot("10-layout-2x2-sync")

    # Cine of the US multi-frame in viewport 3 at the file's frame time.
    activate(js, 2)
    js("[...document.querySelectorAll('.series')].find(e => e.textContent.startsWith('US #7')).click()")
    t0 = time.time()
    while time.time() - t0 < 10 and state(js, 2)["shown"] != 0:
        time.sleep(0.2)
    key(js, " ")
    time.sleep(0.5)  # past the first frames, so the count is of steady playing
    # Count in the page, every 4 ms (a timer: animation frames may come slower than the cine), the
    # frames shown (each change of the frame on screen) over a window timed by the page's own
    # clock (performance.now), not WebDriver's round trips.
    js("""const c = window.__cine = {shown: 0, last: window.__lucent.viewport(2).shown, t0: performance.now(), t1: 0};
    c.timer = setInterval(() => { const now = window.__lucent.viewport(2).shown;
      if (now !== c.last && now >= 0) { c.shown++; c.last = now; } }, 4);
    return 1;""")
    time.sleep(CINE_SECONDS)
    cine = js("const c = window.__cine; clearInterval(c.timer); c.t1 = performance.now(); return c;")
    moved = state(js, 2)
    key(js, " ")
    fps = js("return document.getElementById('cine-fps').value")
    status = js("return document.getElementById('status').textContent")
    seconds = (cine["t1"] - cine["t0"]) / 1000
    expected = seconds * 1000 / moved["frameTimeMs"]
    print(f"     cine: {cine['shown']} frames shown in {seconds:.2f} s at {fps} fps; the file's frame time gives "
          f"{expected:.1f} (status: {status})")
    check("Space plays the US cine at the file's frame time (33.3 ms → 30 fps)",
          moved["frameTimeMs"] == 33.3 and fps == "30" and "frame time" in status, (moved, fps, status))
    check(f"the cine shows the file's frame rate: {cine['shown']} frames in {seconds:.2f} s, "
          f"within ±15 % of {expected:.1f}", abs(cine["shown"] - expected) <= CINE_TOLERANCE * expected, cine)
    # A length on the US cine uses its calibrated ultrasound region (0.3 mm per pixel).
    key(js, "l")
    js(POINTER, 2, [[0.3, 0.5], [0.5, 0.5], [0.7, 0.45]], True)
    us_state = state(js, 2)
    (a, b) = us_state["annotations"][0]["points"]
    mm = (((b["x"] - a["x"]) * 0.3) ** 2 + ((b["y"] - a["y"]) * 0.3) ** 2) ** 0.5
    us_corner = js("return document.querySelectorAll('.viewport')[2].querySelector('.corner.bl').textContent")
    check(f"a length on the US cine is in mm from its ultrasound region ({mm:.1f} mm)",
          us_state["labels"] == [f"{mm:.1f} mm"] and "in US region" in us_corner, (us_state["labels"], us_corner))
    shot("11-cine-us")
    key(js, "Delete")
    key(js, "w")

    # Large controls for touch screens.
    key(js, "t")
    big = js("const b = document.querySelector('#toolbar button'); return {large: document.body.classList.contains('large'), h: b.getBoundingClientRect().height}")
    shot("12-large-controls")
    check("T switches to large controls (buttons ≥ 56 px)", big["large"] and big["h"] >= 56, big)
    key(js, "!", True)
    back = js("return window.__lucent.layout()")
    check("Shift+1 returns to one viewport", back == 1, back)
    # Touch: one finger scrolls the stack, two fingers pinch to zoom.
    touch = """
    const c = document.querySelectorAll('.viewport')[0].querySelector('canvas'); const r = c.getBoundingClientRect();
    const ev = (t, id, x, y) => c.dispatchEvent(new PointerEvent(t, {pointerId: id, pointerType: 'touch', isPrimary: id === 21 || id === 31, button: 0, buttons: t === 'pointerup' ? 0 : 1, clientX: r.left + x * r.width, clientY: r.top + y * r.height, bubbles: true}));
    for (const step of arguments[0]) ev(...step);
    """
    before = state(js, 0)
    js(touch, [["pointerdown", 21, 0.5, 0.3], ["pointermove", 21, 0.5, 0.4], ["pointermove", 21, 0.5, 0.5], ["pointerup", 21, 0.5, 0.5]])
    scrolled = state(js, 0)
    js(touch, [["pointerdown", 31, 0.4, 0.5], ["pointerdown", 32, 0.6, 0.5], ["pointermove", 32, 0.8, 0.5],
               ["pointermove", 31, 0.2, 0.5], ["pointerup", 31, 0.2, 0.5], ["pointerup", 32, 0.8, 0.5]])
    pinched = state(js, 0)
    check("one finger drags through the stack, two fingers pinch-zoom (×3)",
          scrolled["index"] > before["index"] and abs(pinched["view"]["zoom"] - 3) < 0.05,
          (before["index"], scrolled["index"], pinched["view"]))
    key(js, "t")
    key(js, "f")


def display_classes(js, wait, shot):
    """Files that must be shown as they ask, with Rust's notes in the corner (docs/CONFORMANCE.md)."""
    js("[...document.querySelectorAll('.series')].find(e => e.textContent.startsWith('RTIMAGE #7')).click();")
    rt = wait(lambda p: "LINEAR_EXACT" in p["br"] and not p["msg"], timeout=20)
    # The centre pixel lies in the phantom's disc: stored 35,317 × 5.6e-6 = 0.198; LINEAR_EXACT
    # with L 0.108 W 0.215 gives ((0.198 − 0.108) / 0.215 + 0.5) × 255 = 234 (LINEAR: 255).
    check("an RT image's window narrower than 1 is applied as LINEAR_EXACT, and the corner says so",
          "W 0.215 L 0.108: narrower than 1, applied as LINEAR_EXACT" in rt["br"] and abs(rt["center"] - 234) <= 4
          and state(js)["notes"] == ["W 0.215 L 0.108: narrower than 1, applied as LINEAR_EXACT"], (rt, state(js)))
    shot("06-narrow-window")
    js("[...document.querySelectorAll('.series')].find(e => e.textContent.startsWith('MR #8')).click();")
    lut = wait(lambda p: "VOI LUT Sequence ignored" in p["br"], timeout=20)
    check("an image with a malformed optional VOI LUT is shown, with a note that the LUT is ignored",
          "VOI LUT Sequence ignored" in lut["br"] and not lut["msg"] and lut["lit"] > 100, lut)
    js("[...document.querySelectorAll('.series')].find(e => e.textContent.startsWith('CR #10')).click();")
    shut = wait(lambda p: p["bl"].startswith("Im 1/1") and p["lit"] > 100 and state(js)["firstPixel"] == 0, timeout=20)
    # Pixel (0, 0) lies outside the rectangular shutter: its Shutter Presentation Value 0 (black),
    # where the phantom's own value (stored 1000) windows to 62; the centre is inside both shapes.
    check("a display shutter hides what lies outside it (shown black), the image inside",
          state(js)["firstPixel"] == 0 and shut["center"] > 0 and not shut["msg"], (shut, state(js)["firstPixel"]))
    key(js, "u")
    lifted = wait(lambda p: state(js)["firstPixel"] not in (0, None) and "Display shutter off" in p["br"], timeout=20)
    check("U lifts the shutter to look behind it (pixel (0, 0) shows its own value) and the corner says so",
          "Display shutter off: the whole image is shown" in lifted["br"] and abs(state(js)["firstPixel"] - 62) <= 2,
          (lifted["br"], state(js)["firstPixel"]))
    key(js, "u")
    back = wait(lambda p: state(js)["firstPixel"] == 0 and "Display shutter off" not in p["br"], timeout=20)
    check("U again applies the shutter", state(js)["firstPixel"] == 0 and "Display shutter off" not in back["br"], back["br"])


def tauri_driver():
    return shutil.which("tauri-driver") or os.path.expanduser("~/.cargo/bin/tauri-driver")


def automation_variables(pid):
    """The automation and inspector variables in a process's environment (None if unreadable)."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            names = [e.split(b"=", 1)[0].decode(errors="replace") for e in f.read().split(b"\0") if e]
    except OSError:
        return None
    return [n for n in names if n in AUTOMATION_VARIABLES]


def application_starts(data_dir):
    """The viewer's 110100 application start records under data_dir, read with `lucent audit show
    --json` (which itself appends only a 110101)."""
    out = subprocess.run([LUCENT, "audit", "show", "--json"], env=dict(os.environ, LUCENT_DATA_DIR=data_dir),
                         capture_output=True, text=True, timeout=60)
    records = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
    return [r for r in records if r["event_code"] == "110100" and r.get("detail") == "application start"
            and r["app"].startswith("lucent-viewer")], (out.returncode, len(records), out.stderr[-300:])


def application_started(data_dir, before, timeout=30):
    """Whether a viewer wrote a new 110100 application start record (more than `before`) under
    data_dir within timeout seconds."""
    t0 = time.time()
    while True:
        starts, why = application_starts(data_dir)
        if len(starts) > before or time.time() - t0 > timeout:
            return len(starts) > before, why
        time.sleep(0.5)


def stop(pids):
    for p in pids:
        try:
            os.kill(p, 15)
        except OSError:
            pass
    t0 = time.time()
    while any(os.path.exists(f"/proc/{p}") for p in pids) and time.time() - t0 < 10:
        time.sleep(0.2)
    for p in pids:
        try:
            os.kill(p, 9)
        except OSError:
            pass


def inspector_listens(binary, work, name, port, base_env, data):
    """Starts binary with WebKit's HTTP inspector server requested on port (and automation), waits
    until it has started (its 110100 record), and says whether anything answers on the port."""
    before = len(application_starts(data)[0])
    env = dict(base_env, LUCENT_DATA_DIR=data, TAURI_WEBVIEW_AUTOMATION="true",
               WEBKIT_INSPECTOR_HTTP_SERVER=f"127.0.0.1:{port}", WEBKIT_INSPECTOR_SERVER=f"127.0.0.1:{port + 1}")
    with open(os.path.join(work, name + ".log"), "wb") as log:
        proc = subprocess.Popen([binary], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=env["HOME"])
        try:
            started, why = application_started(data, before)
            answered = None
            t0 = time.time()
            while time.time() - t0 < 5 and answered is None:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=3) as r:
                        answered = r.status
                except urllib.error.HTTPError as e:
                    answered = e.code
                except (OSError, http.client.HTTPException):
                    time.sleep(0.5)
            return started, answered, automation_variables(proc.pid), why
        finally:
            kids = children(proc.pid)
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
            stop(kids)


def shipped_build(work, base_env, data):
    """Issue 16: only the test build may be driven. The shipped binary has no test-only code; started
    under tauri-driver with automation requested, it starts, but without the automation variables,
    and no script runs in it; WebKit's inspector server never listens in it."""
    with open(SHIPPED, "rb") as f:
        shipped = f.read()
    with open(VIEWER, "rb") as f:
        test_build = f.read()
    check("the shipped lucent-viewer holds no test-only code path (the e2e-automation marker is absent from it, "
          "present in lucent-viewer-e2e)", TEST_BUILD_MARKER not in shipped and TEST_BUILD_MARKER in test_build,
          (TEST_BUILD_MARKER in shipped, TEST_BUILD_MARKER in test_build))

    # One data folder (and audit log) for every viewer run of the suite, one after the other.
    before = len(application_starts(data)[0])
    env = dict(base_env, LUCENT_DATA_DIR=data, TAURI_WEBVIEW_AUTOMATION="true")
    log = open(os.path.join(work, "shipped-driver.log"), "wb")
    base = "http://127.0.0.1:4454"
    driver = subprocess.Popen([tauri_driver(), "--port", "4454", "--native-port", "4455"], env=env,
                              stdout=log, stderr=subprocess.STDOUT, cwd=env["HOME"])
    result = {}

    def session_request():
        caps = {"capabilities": {"alwaysMatch": {"tauri:options": {"application": SHIPPED, "args": []}}}}
        try:
            sid = call("POST", "/session", caps, timeout=15, base=base)["sessionId"]
        except Exception as e:
            result["refused"] = str(e)[:200]
            return
        try:  # a session alone is no harm; a script that runs is
            result["ran"] = call("POST", f"/session/{sid}/execute/sync", {"script": "return document.title", "args": []},
                                 timeout=20, base=base)
        except Exception as e:
            result["refused"] = "script: " + str(e)[:200]

    import threading
    try:
        for _ in range(100):
            try:
                call("GET", "/status", timeout=2, base=base)
                break
            except Exception:
                time.sleep(0.1)
        t0 = time.time()
        request = threading.Thread(target=session_request, daemon=True)
        request.start()
        started, why = application_started(data, before)
        t1 = time.time()  # its WebKit processes start after the 110100 record
        while True:
            pids = viewer_pids(SHIPPED)
            family = pids + [c for p in pids for c in children(p)]
            if len(family) >= 2 or time.time() - t1 > 10:
                break
            time.sleep(0.2)
        variables = {p: automation_variables(p) for p in family}
        request.join(60)
        elapsed = time.time() - t0
        check("the shipped lucent-viewer started under tauri-driver with automation requested (its 110100 application start)",
              started, why)
        check("it runs without the automation and inspector variables (re-executed without them), its webview too",
              len(pids) == 1 and len(family) >= 2 and all(v == [] for v in variables.values()), variables)
        check(f"no WebDriver script runs in the shipped build (refused after {elapsed:.0f} s)",
              not request.is_alive() and "ran" not in result and "refused" in result, result)
    finally:
        driver.terminate()
        try:
            driver.wait(5)
        except Exception:
            driver.kill()
        stop(viewer_pids(SHIPPED))
        log.close()

    started, answered, variables, why = inspector_listens(SHIPPED, work, "inspector-shipped", 4461, base_env, data)
    control = inspector_listens(VIEWER, work, "inspector-e2e", 4463, base_env, data)
    check("WebKit's inspector server never listens in the shipped build (it does in the test build)",
          started and answered is None and variables == [] and control[0] and control[1] is not None,
          ((started, answered, variables, why), control))


def halve_pixel_data(path):
    """Halves a native file's Pixel Data: its declared length and the file both end half-way, so
    the header indexes (the length fits the file) but the frame cannot be read (E_TRUNCATED)."""
    with open(path, "rb") as f:
        b = bytearray(f.read())
    at = b.rfind(b"\xe0\x7f\x10\x00")
    len_at, value_at = (at + 8, at + 12) if bytes(b[at + 4:at + 6]) in (b"OW", b"OB") else (at + 4, at + 8)
    half = (int.from_bytes(b[len_at:len_at + 4], "little") // 2) & ~1
    b[len_at:len_at + 4] = half.to_bytes(4, "little")
    del b[value_at + half:]
    with open(path, "wb") as f:
        f.write(b)


def bench_scroll(work, base_env, data):
    """Issue 18: the in-app benchmark (the shipped lucent-viewer --bench-scroll) exits 0 only when
    every frame was shown, starts its cold pass cold, and reports the memory of the viewer's whole
    process tree (WebKit's processes hold the canvases); a frame that fails is counted per code
    and the run exits 1."""
    good = os.path.join(work, "bench-ct")
    subprocess.run([TESTDATA, "ct", good, "--slices", "40", "--size", "256"], check=True, stdout=subprocess.DEVNULL)
    broken = os.path.join(work, "bench-broken")
    subprocess.run([TESTDATA, "ct", broken, "--slices", "12", "--size", "256", "--seed", "7"], check=True,
                   stdout=subprocess.DEVNULL)
    halve_pixel_data(os.path.join(broken, sorted(f for f in os.listdir(broken) if f.endswith(".dcm"))[3]))
    env = dict(base_env, LUCENT_DATA_DIR=data)

    def run(folder, name):
        out = os.path.join(work, f"{name}.json")
        with open(os.path.join(work, f"{name}.log"), "wb") as log:
            p = subprocess.run([SHIPPED, "--bench-scroll", out, folder], env=env, stdout=log, stderr=subprocess.STDOUT,
                               cwd=env["HOME"], timeout=300)
        report = {}
        if os.path.exists(out):
            with open(out) as f:
                report = json.load(f)
        return p.returncode, report

    code, r = run(good, "bench-ok")
    passes = r.get("passes") or []
    print(f"     bench: exit {code}, passes {[(p.get('kind'), p.get('frames'), p.get('frames_failed')) for p in passes]}")
    check("the in-app benchmark exits 0 when every frame of both passes was shown",
          code == 0 and r.get("exit_status") == 0 and [p.get("kind") for p in passes] == ["cold", "warm"]
          and all(p.get("frames") == 40 and p.get("frames_failed") == 0 for p in passes), (code, r))
    cold = r.get("cold_start") or {}
    page = cold.get("page_cache") or {}
    check("its cold pass starts cold: frame cache emptied, the 40 files evicted, the pages left resident counted",
          cold.get("frame_cache_bytes_after") == 0 and page.get("files") == 40 and page.get("files_failed") == 0
          and "resident_pages_after" in page, cold)
    mem = r.get("memory") or {}
    procs = mem.get("processes") or []
    own = [p["rss_anon_mb"] for p in procs if p["name"].startswith("lucent-viewer")]
    webkit = sorted({p["name"] for p in procs if p["name"].startswith("WebKit")})
    print(f"     bench memory: tree RssAnon {mem.get('tree_rss_anon_mb')} MiB, Pss {mem.get('tree_pss_mb')} MiB, "
          f"{[(p['name'], round(p['rss_anon_mb'], 1)) for p in procs]}")
    check("its memory is summed over the viewer's process tree (WebKit's web process included)",
          own and "WebKitWebProces" in webkit and mem.get("tree_rss_anon_mb", 0) > max(own), (webkit, mem))

    code, r = run(broken, "bench-broken")
    passes = r.get("passes") or []
    check("a frame that cannot be read is counted (E_TRUNCATED, once per pass) and the benchmark exits 1",
          code == 1 and r.get("exit_status") == 1 and len(passes) == 2
          and all(p.get("frames_failed") == 1 and (p.get("errors") or {}).get("E_TRUNCATED") == 1 for p in passes),
          (code, passes))


def webview_probes(js, call, s, work):
    """Issue 16: no new window, no form post, no <base>, no download."""
    before = call("GET", s + "/window/handles")
    opened = js("return [window.open('tauri://localhost/index.html', '_blank') === null, window.open('https://example.org/') === null]")
    time.sleep(1.5)
    after = call("GET", s + "/window/handles")
    check("window.open opens nothing (returns null, still one window)", opened == [True, True] and len(after) == len(before) == 1,
          (opened, before, after))

    url = call("GET", s + "/url")
    js("""
    window.__formProbe = 'not reloaded'; window.__violations = [];
    document.addEventListener('securitypolicyviolation', e => window.__violations.push(e.violatedDirective));
    const f = document.createElement('form'); f.method = 'post'; f.action = '/index.html?posted=1';
    const i = document.createElement('input'); i.name = 'x'; i.value = 'y'; f.appendChild(i);
    document.body.appendChild(f); f.submit(); return 1;
    """)
    time.sleep(2)
    now = call("GET", s + "/url")
    form = js("return {probe: window.__formProbe || null, violations: window.__violations || []}")
    check("a same-origin form post does not navigate (CSP form-action 'none')",
          now == url and form["probe"] == "not reloaded" and any("form-action" in v for v in form["violations"]), (url, now, form))

    base = js("""
    const before = document.baseURI;
    const b = document.createElement('base'); b.href = 'https://example.org/x/'; document.head.prepend(b);
    const a = document.createElement('a'); a.href = 'y.js';
    const r = {before, after: document.baseURI, resolved: a.href}; b.remove(); return r;
    """)
    check("an injected <base> does not change how relative URLs resolve (CSP base-uri 'none')",
          base["after"] == base["before"] and base["resolved"].startswith("tauri://localhost/"), base)

    downloads = os.path.join(work, "home", "Downloads")
    js("""
    const blob = URL.createObjectURL(new Blob(['probe'], {type: 'text/plain'}));
    for (const [name, href] of [['lucent-download-probe-data.txt', 'data:text/plain,probe'],
                                ['lucent-download-probe-blob.txt', blob],
                                ['lucent-download-probe-self.html', '/index.html']]) {
      const a = document.createElement('a'); a.download = name; a.href = href;
      document.body.appendChild(a); a.click(); a.remove();
    }
    return 1;
    """)
    time.sleep(3)
    written = [os.path.join(d, f) for d, _, fs in os.walk(work) for f in fs if "lucent-download-probe" in f]
    check("a download (<a download> of a data:, blob: or same-origin URL) writes no file", os.path.isdir(downloads) and not written,
          written)

    # Last (on code that compared only the scheme, this reloads the app elsewhere): the app's own
    # scheme on another host or port is another origin.
    for other in ("tauri://localhost:1234/index.html", "tauri://evil/index.html"):
        js("window.__stay = 1; window.location.href = arguments[0]; return 1;", other)
        time.sleep(1.5)
        now = call("GET", s + "/url")
        stayed = js("return window.__stay === 1")
        check(f"navigation to {other} (the app's scheme, another origin) is blocked", now == url and stayed, (url, now, stayed))


def main():
    if not all(os.path.exists(b) for b in (VIEWER, SHIPPED, LUCENT, TESTDATA)):
        print(f"missing {VIEWER}, {SHIPPED}, {LUCENT} or {TESTDATA}: build them first (scripts/test.sh does)")
        return 1
    os.makedirs(SHOTS, exist_ok=True)
    work = tempfile.mkdtemp(prefix="lucent-e2e-")
    study = os.path.join(work, "ct")
    subprocess.run([TESTDATA, "ct", study, "--slices", "20", "--size", "256", "--patient-name", XSS_NAME,
                    "--patient-id", PHI_PATIENT_ID], check=True)
    study_uid = study_instance_uid(os.path.join(study, sorted(os.listdir(study))[0]))
    # A thick reconstruction of the same study (same frame of reference) for synchronised scrolling.
    thick = os.path.join(work, "ct-thick")
    subprocess.run([TESTDATA, "ct", thick, "--slices", "10", "--size", "256", "--spacing-mm", "5", "--series-number", "3",
                    "--patient-name", XSS_NAME, "--patient-id", PHI_PATIENT_ID], check=True)
    large = os.path.join(work, "dx")
    subprocess.run([TESTDATA, "large", large], check=True)
    # An ultrasound cine loop: 30 frames with Frame Time 33.3 ms.
    us = os.path.join(work, "us")
    subprocess.run([TESTDATA, "cine", us], check=True)
    # The overlay phantoms (PS3.3 C.9): series 41 has a graphics plane in Overlay Data.
    overlays = os.path.join(work, "overlays")
    subprocess.run([TESTDATA, "overlays", overlays], check=True)
    # Two hostile files: a JPEG-LS frame claiming 65535×65535 (indexes, cannot be decoded) and
    # sequences nested 2,000 deep (refused by the index).
    corpus = os.path.join(work, "corpus")
    subprocess.run([TESTDATA, "malformed", corpus, "--count", "0"], check=True, stdout=subprocess.DEVNULL)
    hostile = os.path.join(work, "hostile")
    os.makedirs(hostile)
    for name in ("bomb-jpegls-huge.dcm", "nest-undefined-2000.dcm"):
        shutil.copy(os.path.join(corpus, name), hostile)
    shutil.rmtree(corpus)
    # The display classes of docs/CONFORMANCE.md (an RT image with a window narrower than 1, a
    # malformed optional VOI LUT, ...): shown as the file asks, with the viewport's notes.
    display = os.path.join(work, "display")
    subprocess.run([TESTDATA, "display-classes", display], check=True, stdout=subprocess.DEVNULL)
    # The classes the viewer checks below; the others (OT images like the hostile ones) would
    # only crowd the browser.
    for name in os.listdir(display):
        if name not in ("narrow-linear-window.dcm", "malformed-voi-lut.dcm", "display-shutters.dcm"):
            os.remove(os.path.join(display, name))
    data_dir = os.path.join(work, "data")
    xdg = {k: os.path.join(work, "xdg", k.lower()) for k in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME")}
    # A HOME of its own, with the Downloads folder WebKit would use (xdg-user-dirs), as the
    # viewer's working directory too: the download probe looks for files anywhere under work.
    home = os.path.join(work, "home")
    os.makedirs(os.path.join(home, "Downloads"))
    os.makedirs(xdg["XDG_CONFIG_HOME"])
    with open(os.path.join(xdg["XDG_CONFIG_HOME"], "user-dirs.dirs"), "w") as f:
        f.write('XDG_DOWNLOAD_DIR="$HOME/Downloads"\n')
    base_env = dict(os.environ, HOME=home, RUST_LOG="debug", **xdg)
    for v in AUTOMATION_VARIABLES:
        base_env.pop(v, None)
    shipped_build(work, base_env, data_dir)
    bench_scroll(work, base_env, data_dir)
    env = dict(base_env, LUCENT_DATA_DIR=data_dir, TAURI_WEBVIEW_AUTOMATION="true")
    output_log = open(os.path.join(work, "viewer-output.log"), "wb")
    driver = subprocess.Popen([tauri_driver(), "--port", "4444"], env=env, stdout=output_log, stderr=subprocess.STDOUT, cwd=home)
    session = None
    try:
        for _ in range(100):
            try:
                call("GET", "/status", timeout=2)
                break
            except Exception:
                time.sleep(0.1)
        caps = {"capabilities": {"alwaysMatch": {"tauri:options": {"application": VIEWER, "args": [study, thick, large, hostile, us, display, overlays]}}}}
        started = time.time()
        for attempt in range(3):
            try:
                session = call("POST", "/session", caps, timeout=120)["sessionId"]
                break
            except Exception as e:  # WebKitWebDriver sometimes drops the first connection
                print(f"     session attempt {attempt + 1} failed: {e}")
                time.sleep(2)
                started = time.time()
        if session is None:
            raise RuntimeError("no WebDriver session")
        s = f"/session/{session}"

        def js(script, *args):
            return call("POST", s + "/execute/sync", {"script": script, "args": list(args)})

        def js_async(script):
            wrapped = "const done = arguments[arguments.length - 1];" + script
            return call("POST", s + "/execute/async", {"script": wrapped, "args": []})

        def shot(name):
            png = call("GET", s + "/screenshot")
            with open(os.path.join(SHOTS, name + ".png"), "wb") as f:
                f.write(base64.b64decode(png))

        def wait(pred, timeout=20):
            t0 = time.time()
            last = None
            while time.time() - t0 < timeout:
                last = js(PROBE)
                if pred(last):
                    return last
                time.sleep(0.1)
            return last

        first = wait(lambda p: p["lit"] > 100 and p["bl"].startswith("Im 1/20"))
        check("the study given on the command line is shown", first["lit"] > 100 and first["bl"].startswith("Im 1/20"), first)
        print(f"     first image {time.time() - started:.2f} s after the session request")
        shot("01-first-image")

        # Soft-tissue header window (40/400): the phantom's centre is soft tissue (40 HU) → 128.
        check("the file's window is applied (centre pixel 40 HU → 128)", abs(first["center"] - 128) <= 2, first)
        check("the pixel spacing measurements use is on screen", "mm/px" in first["bl"] and "at detector" not in first["bl"], first)

        js("document.querySelector('.viewport.active canvas').dispatchEvent(new WheelEvent('wheel', {deltaY: 100, bubbles: true, cancelable: true}))")
        second = wait(lambda p: p["bl"].startswith("Im 2/20") and p["sum"] != first["sum"])
        check("a wheel event scrolls one slice and changes the pixels", second["bl"].startswith("Im 2/20") and second["sum"] != first["sum"], second)
        js("window.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowUp', bubbles: true}))")
        back = wait(lambda p: p["bl"].startswith("Im 1/20"))
        check("ArrowUp moves back one slice", back["bl"].startswith("Im 1/20"), back)

        # A file replaced after indexing (another series' slice copied over the last slice, as a
        # swapped file on a share): the viewport refuses it with E_FILE_CHANGED instead of showing
        # another file's pixels under this patient; the original restored (bytes and time), the
        # slice shows again.
        last = ct_slices(study)[-1]
        original, st = open(last, "rb").read(), os.stat(last)
        shutil.copyfile(ct_slices(thick)[-1], last)
        key(js, "End")
        changed = wait(lambda p: "E_FILE_CHANGED" in p["msg"], timeout=20)
        check("a file replaced after indexing is refused in the viewport (E_FILE_CHANGED), never shown",
              "E_FILE_CHANGED" in changed["msg"], changed)
        check("no pixels are left on screen under the refused slice's corner text (not even the previous slice's)",
              changed["lit"] == 0, changed)
        shot("01b-file-changed")
        with open(last, "wb") as f:
            f.write(original)
        os.utime(last, ns=(st.st_atime_ns, st.st_mtime_ns))
        key(js, "ArrowUp")
        key(js, "End")
        restored = wait(lambda p: p["bl"].startswith("Im 20/20") and not p["msg"] and p["lit"] > 100, timeout=20)
        check("the same file restored shows again", restored["bl"].startswith("Im 20/20") and not restored["msg"], restored)
        key(js, "Home")
        wait(lambda p: p["bl"].startswith("Im 1/20"))

        drag = """
        const c = document.querySelector('.viewport.active canvas'); const r = c.getBoundingClientRect();
        const x = r.left + r.width / 2, y = r.top + r.height / 2;
        const ev = (t, dy) => c.dispatchEvent(new PointerEvent(t, {pointerId: 7, pointerType: 'mouse', button: 0, buttons: 1, clientX: x, clientY: y + dy, bubbles: true}));
        ev('pointerdown', 0); ev('pointermove', 40); ev('pointermove', 80); ev('pointerup', 80);
        """
        js(drag)
        # Drag down 80 px at width 400: level += 80 × 400/256 = 125 → L 165 W 400.
        expected = linear(40, 40 + 80 * 400 / 256, 400)
        after = wait(lambda p: p["br"].startswith("W 400 L 165") and abs(p["center"] - expected) <= 2)
        check(f"a W/L drag changes the pixels as the window maths predicts (centre {expected})",
              after["br"].startswith("W 400 L 165") and abs(after["center"] - expected) <= 2, after)
        shot("02-after-window-drag")

        tl = js("const e = document.querySelector('.viewport.active .corner.tl'); return {text: e.textContent, imgs: e.querySelectorAll('img').length, xss: window.__xss === 1}")
        check("a patient name holding markup is shown as text", XSS_NAME.split("^")[0] in tl["text"] and tl["imgs"] == 0 and not tl["xss"], tl)

        denied = js_async("window.__TAURI_INTERNALS__.invoke('plugin:dialog|open', {options: {}}).then(() => done('allowed'), e => done('denied: ' + e));")
        check("a command the capability does not allow is refused", str(denied).startswith("denied"), denied)
        unknown = js_async("window.__TAURI_INTERNALS__.invoke('read_file', {path: '/etc/hostname'}).then(() => done('allowed'), e => done('denied: ' + e));")
        check("an undeclared command is refused", str(unknown).startswith("denied"), unknown)
        bad_id = js_async("window.__TAURI_INTERNALS__.invoke('frame', {request: {series: '../../etc/passwd', index: 0}}).then(() => done('allowed'), e => done(JSON.stringify(e)));")
        check("a forged series id is refused with a typed error", "E_UNKNOWN_ID" in str(bad_id), bad_id)
        unknown_id = js_async("window.__TAURI_INTERNALS__.invoke('frame', {request: {series: 'se-0000000000000001', index: 0}}).then(() => done('allowed'), e => done(JSON.stringify(e)));")
        check("a well-formed but unknown id is refused (and the app stays responsive)", "E_UNKNOWN_ID" in str(unknown_id), unknown_id)
        fetched = js_async("fetch('file:///etc/hostname').then(r => r.text()).then(t => done('read: ' + t), e => done('blocked: ' + e));")
        check("fetch of a file:// URL fails", str(fetched).startswith("blocked"), fetched)
        before = call("GET", s + "/url")
        js("window.location.href = 'https://example.org/'; return 1;")
        time.sleep(1.5)
        now = call("GET", s + "/url")
        check("navigation to another origin is blocked", "example.org" not in now and now == before, f"{before} -> {now}")
        still = js(PROBE)
        check("the viewer keeps working after the refused requests", still["lit"] > 100, still)
        shot("03-final")

        # A 4000×5000 radiograph: coarse level first (DOWNSAMPLED), then visible tiles.
        js("""
        window.__sawDownsampled = false;
        const b = document.querySelector('.viewport.active .badge.downsampled');
        new MutationObserver(() => { if (!b.hidden) window.__sawDownsampled = true; }).observe(b, {attributes: true});
        const dx = [...document.querySelectorAll('.series')].find(e => e.textContent.includes('DX'));
        dx.click();
        """)
        large_shown = wait(lambda p: p["bl"].startswith("Im 1/1") and p["lit"] > 100, timeout=30)
        settled = None
        t0 = time.time()
        while time.time() - t0 < 30:
            settled = js("return {saw: window.__sawDownsampled, hidden: document.querySelector('.viewport.active .badge.downsampled').hidden}")
            if settled["saw"] and settled["hidden"]:
                break
            time.sleep(0.2)
        check("a large image shows a coarse level with a DOWNSAMPLED marker, then full-resolution tiles",
              large_shown["bl"].startswith("Im 1/1") and settled["saw"] and settled["hidden"], (large_shown, settled))
        shot("04-large-image")

        # Overlay planes (PS3.3 C.9) are drawn by default; O hides them (and a badge says so),
        # O again shows the same pixels as before.
        js("[...document.querySelectorAll('.series')].find(e => e.textContent.startsWith('MR #41')).click();")
        # The MR's own window (the DX before it is "Im 1/1" too), then let the frame settle.
        wait(lambda p: p["br"].startswith("W 3200 L 1600") and p["lit"] > 100 and not p["msg"], timeout=30)
        time.sleep(1)
        drawn = js(PROBE)
        drawn_state = state(js)
        hidden_badge = "return !document.querySelector('.viewport.active .badge.overlays-hidden').hidden"
        check("overlay planes are shown by default", drawn_state["overlays"] and not js(hidden_badge), drawn_state)
        shot("04b-overlays-shown")
        key(js, "o")
        hidden = wait(lambda p: p["sum"] != drawn["sum"] and p["lit"] > 100)
        check("O hides the overlay planes: the pixels change and a badge says so",
              hidden["sum"] != drawn["sum"] and not state(js)["overlays"] and js(hidden_badge), (drawn, hidden))
        shot("04c-overlays-hidden")
        key(js, "o")
        again = wait(lambda p: p["sum"] == drawn["sum"])
        check("O again shows them as before", again["sum"] == drawn["sum"] and state(js)["overlays"] and not js(hidden_badge), again)

        # A hostile file: its error is shown in the viewport, and the viewer goes on working.
        js("[...document.querySelectorAll('.series')].find(e => e.textContent.startsWith('OT ')).click();")
        bad = wait(lambda p: "E_DECODE_FAILED" in p["msg"], timeout=20)
        check("a malformed file's typed error is shown in the viewport", "E_DECODE_FAILED" in bad["msg"], bad)
        skipped = js("const e = document.getElementById('skipped'); return {hidden: e.hidden, text: e.textContent}")
        check("the file the index refused is counted in the browser with its code",
              not skipped["hidden"] and "1 file not shown" in skipped["text"] and "E_NESTING_TOO_DEEP" in skipped["text"], skipped)
        shot("05-malformed-file")
        display_classes(js, wait, shot)
        js("[...document.querySelectorAll('.series')].find(e => e.textContent.startsWith('CT ')).click();")
        # A CT stack (20 or 10 slices), not the one-image display class shown before it.
        good = wait(lambda p: p["lit"] > 100 and not p["msg"] and p["bl"].startswith("Im ")
                    and p["bl"].split("\n")[0].split("/")[-1] in ("20", "10"))
        check("after it, a good series is shown again (the viewer keeps running)",
              good["lit"] > 100 and not good["msg"] and viewer_pids(), good)

        reading_tools(js, shot, wait, study, thick)
        webview_probes(js, call, s, work)

        # No core dumps: the viewer and its webview processes run with RLIMIT_CORE 0.
        pids = viewer_pids()
        family = pids + [c for p in pids for c in children(p)]
        limits = {p: core_limit(p) for p in family}
        check("the viewer and its webview processes cannot dump core (RLIMIT_CORE 0)",
              len(pids) == 1 and len(family) >= 2 and all(v == ("0", "0") for v in limits.values()), limits)
        # The control for the shipped build's check: the test build keeps the variable.
        kept = automation_variables(pids[0]) if pids else None
        check("the test build being driven keeps TAURI_WEBVIEW_AUTOMATION (the shipped build's check can fail)",
              kept is not None and "TAURI_WEBVIEW_AUTOMATION" in kept, kept)

        call("DELETE", f"/session/{session}", timeout=30)
        session = None
        t0 = time.time()
        while viewer_pids() and time.time() - t0 < 15:
            time.sleep(0.2)
        time.sleep(0.5)
        output_log.flush()

        # The PHI scan: nothing of the study reaches disk or the logs.
        markers = [PHI_PATIENT_ID, "onerror=window.__xss", study_uid]
        roots = [data_dir, home] + list(xdg.values())
        files = [os.path.join(d, f) for r in roots for d, _, fs in os.walk(r) for f in fs]
        webview_files = [f for f in files if os.sep + "webview" + os.sep in f]
        hits = phi_hits(files + [output_log.name], markers)
        # The scan itself must see a marker where there is one (UTF-16, as WebKit stores strings).
        control = os.path.join(work, "control.bin")
        with open(control, "wb") as f:
            f.write(b"\0\1" + ("x" + study_uid).encode("utf-16-le"))
        scan_works = phi_hits([control], markers) == [(control, study_uid)]
        modes = {d: oct(os.stat(d).st_mode & 0o777) for d in (data_dir, os.path.join(data_dir, "webview"))}
        check("the data folder and the webview's folder are owner-only (0700)",
              all(m == "0o700" for m in modes.values()), modes)
        check(f"no PHI marker in the {len(files)} files the viewer wrote ({len(webview_files)} WebKit files) or its output",
              scan_works and not hits and len(webview_files) > 0 and any("audit" in f for f in files),
              hits or (scan_works, len(files), len(webview_files)))
    finally:
        if session:
            try:
                call("DELETE", f"/session/{session}", timeout=10)
            except Exception:
                pass
        driver.terminate()
        try:
            driver.wait(5)
        except Exception:
            driver.kill()
        output_log.close()
        shutil.rmtree(work, ignore_errors=True)
    print(f"e2e: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
