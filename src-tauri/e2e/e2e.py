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
the viewer and the WebDriver processes. Standard library only.
"""

import base64
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TARGET = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target"))
VIEWER = os.path.join(TARGET, "release", "lucent-viewer")
TESTDATA = os.path.join(TARGET, "release", "lucent-testdata")
SHOTS = os.path.join(TARGET, "e2e")
DRIVER = "http://127.0.0.1:4444"
XSS_NAME = "<img src=x onerror=window.__xss=1>^EVIL"
PHI_PATIENT_ID = "ZQXE2EPID7731"

passed, failed = 0, 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name} {detail}")


def call(method, path, body=None, timeout=60):
    data = None if body is None else json.dumps(body).encode()
    for attempt in range(3):
        req = urllib.request.Request(DRIVER + path, data=data, method=method, headers={"Content-Type": "application/json"})
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
const c = document.getElementById('view');
const x = c.getContext('2d');
const d = x.getImageData(0, 0, c.width, c.height).data;
let sum = 0, lit = 0;
for (let i = 0; i < d.length; i += 4 * 13) { sum = (sum * 31 + d[i]) % 1000000007; if (d[i] > 10) lit++; }
const m = x.getImageData(c.width >> 1, c.height >> 1, 1, 1).data;
return { sum, lit, center: m[0], w: c.width, h: c.height,
         bl: document.getElementById('corner-bl').textContent,
         br: document.getElementById('corner-br').textContent,
         msg: document.getElementById('message').hidden ? '' : document.getElementById('message').textContent };
"""


def study_instance_uid(path):
    """The file's Study Instance UID, read with dcmtk's dcmdump (installed by the test command)."""
    out = subprocess.run(["dcmdump", "+P", "0020,000d", path], capture_output=True, text=True, check=True).stdout
    return out.split("[", 1)[1].split("]", 1)[0]


def viewer_pids():
    """Running lucent-viewer processes started from this build."""
    pids = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:  # cmdline, not exe: a non-dumpable process's exe link is not readable by its user
                with open(f"/proc/{p}/cmdline", "rb") as f:
                    if f.read().split(b"\0")[0] == VIEWER.encode():
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


def main():
    if not (os.path.exists(VIEWER) and os.path.exists(TESTDATA)):
        print(f"missing {VIEWER} or {TESTDATA}: build them first (scripts/test.sh does)")
        return 1
    os.makedirs(SHOTS, exist_ok=True)
    work = tempfile.mkdtemp(prefix="lucent-e2e-")
    study = os.path.join(work, "ct")
    subprocess.run([TESTDATA, "ct", study, "--slices", "20", "--size", "256", "--patient-name", XSS_NAME,
                    "--patient-id", PHI_PATIENT_ID], check=True)
    study_uid = study_instance_uid(os.path.join(study, sorted(os.listdir(study))[0]))
    large = os.path.join(work, "dx")
    subprocess.run([TESTDATA, "large", large], check=True)
    # Two hostile files: a JPEG-LS frame claiming 65535×65535 (indexes, cannot be decoded) and
    # sequences nested 2,000 deep (refused by the index).
    corpus = os.path.join(work, "corpus")
    subprocess.run([TESTDATA, "malformed", corpus, "--count", "0"], check=True, stdout=subprocess.DEVNULL)
    hostile = os.path.join(work, "hostile")
    os.makedirs(hostile)
    for name in ("bomb-jpegls-huge.dcm", "nest-undefined-2000.dcm"):
        shutil.copy(os.path.join(corpus, name), hostile)
    shutil.rmtree(corpus)
    data_dir = os.path.join(work, "data")
    xdg = {k: os.path.join(work, "xdg", k.lower()) for k in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME")}
    env = dict(os.environ, LUCENT_DATA_DIR=data_dir, TAURI_WEBVIEW_AUTOMATION="true", RUST_LOG="debug", **xdg)
    output_log = open(os.path.join(work, "viewer-output.log"), "wb")
    driver = subprocess.Popen([shutil.which("tauri-driver") or os.path.expanduser("~/.cargo/bin/tauri-driver"), "--port", "4444"],
                              env=env, stdout=output_log, stderr=subprocess.STDOUT)
    session = None
    try:
        for _ in range(100):
            try:
                call("GET", "/status", timeout=2)
                break
            except Exception:
                time.sleep(0.1)
        caps = {"capabilities": {"alwaysMatch": {"tauri:options": {"application": VIEWER, "args": [study, large, hostile]}}}}
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

        js("document.getElementById('view').dispatchEvent(new WheelEvent('wheel', {deltaY: 100, bubbles: true, cancelable: true}))")
        second = wait(lambda p: p["bl"].startswith("Im 2/20") and p["sum"] != first["sum"])
        check("a wheel event scrolls one slice and changes the pixels", second["bl"].startswith("Im 2/20") and second["sum"] != first["sum"], second)
        js("window.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowUp', bubbles: true}))")
        back = wait(lambda p: p["bl"].startswith("Im 1/20"))
        check("ArrowUp moves back one slice", back["bl"].startswith("Im 1/20"), back)

        drag = """
        const c = document.getElementById('view'); const r = c.getBoundingClientRect();
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

        tl = js("const e = document.getElementById('corner-tl'); return {text: e.textContent, imgs: e.querySelectorAll('img').length, xss: window.__xss === 1}")
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
        const b = document.getElementById('badge-downsampled');
        new MutationObserver(() => { if (!b.hidden) window.__sawDownsampled = true; }).observe(b, {attributes: true});
        const dx = [...document.querySelectorAll('.series')].find(e => e.textContent.includes('DX'));
        dx.click();
        """)
        large_shown = wait(lambda p: p["bl"].startswith("Im 1/1") and p["lit"] > 100, timeout=30)
        settled = None
        t0 = time.time()
        while time.time() - t0 < 30:
            settled = js("return {saw: window.__sawDownsampled, hidden: document.getElementById('badge-downsampled').hidden}")
            if settled["saw"] and settled["hidden"]:
                break
            time.sleep(0.2)
        check("a large image shows a coarse level with a DOWNSAMPLED marker, then full-resolution tiles",
              large_shown["bl"].startswith("Im 1/1") and settled["saw"] and settled["hidden"], (large_shown, settled))
        shot("04-large-image")

        # A hostile file: its error is shown in the viewport, and the viewer goes on working.
        js("[...document.querySelectorAll('.series')].find(e => e.textContent.startsWith('OT ')).click();")
        bad = wait(lambda p: "E_DECODE_FAILED" in p["msg"], timeout=20)
        check("a malformed file's typed error is shown in the viewport", "E_DECODE_FAILED" in bad["msg"], bad)
        skipped = js("const e = document.getElementById('skipped'); return {hidden: e.hidden, text: e.textContent}")
        check("the file the index refused is counted in the browser with its code",
              not skipped["hidden"] and "1 file not shown" in skipped["text"] and "E_NESTING_TOO_DEEP" in skipped["text"], skipped)
        shot("05-malformed-file")
        js("[...document.querySelectorAll('.series')].find(e => e.textContent.startsWith('CT ')).click();")
        good = wait(lambda p: p["lit"] > 100 and not p["msg"] and p["bl"].startswith("Im "))
        check("after it, a good series is shown again (the viewer keeps running)",
              good["lit"] > 100 and not good["msg"] and viewer_pids(), good)

        # No core dumps: the viewer and its webview processes run with RLIMIT_CORE 0.
        pids = viewer_pids()
        family = pids + [c for p in pids for c in children(p)]
        limits = {p: core_limit(p) for p in family}
        check("the viewer and its webview processes cannot dump core (RLIMIT_CORE 0)",
              len(pids) == 1 and len(family) >= 2 and all(v == ("0", "0") for v in limits.values()), limits)

        call("DELETE", f"/session/{session}", timeout=30)
        session = None
        t0 = time.time()
        while viewer_pids() and time.time() - t0 < 15:
            time.sleep(0.2)
        time.sleep(0.5)
        output_log.flush()

        # The PHI scan: nothing of the study reaches disk or the logs.
        markers = [PHI_PATIENT_ID, "onerror=window.__xss", study_uid]
        roots = [data_dir] + list(xdg.values())
        files = [os.path.join(d, f) for r in roots for d, _, fs in os.walk(r) for f in fs]
        webview_files = [f for f in files if os.sep + "webview" + os.sep in f]
        hits = phi_hits(files + [output_log.name], markers)
        # The scan itself must see a marker where there is one (UTF-16, as WebKit stores strings).
        control = os.path.join(work, "control.bin")
        with open(control, "wb") as f:
            f.write(b"\0\1" + ("x" + study_uid).encode("utf-16-le"))
        scan_works = phi_hits([control], markers) == [(control, study_uid)]
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
