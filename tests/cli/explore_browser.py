#!/usr/bin/env python3
"""The explorer page in a real browser: Debian's Chromium driven over WebDriver (chromedriver,
plain HTTP + JSON, so only the standard library is needed). Loads the page, hovers a wasm
instruction and an x86-64 instruction with real pointer moves, checks which lines the page lit,
clicks to scroll, and saves screenshots (before and while hovering) in OUT_DIR, checking their
pixels: the page renders, and the highlight colours appear only while hovering.

  explore_browser.py PAGE.html OUT_DIR WASM_OFFSET INLINED_CHAIN
WASM_OFFSET: hex offset of a wasm instruction with code; INLINED_CHAIN: data-o of an x86-64 line
LLVM inlined (innermost offset first)."""
import base64, json, os, socket, struct, subprocess, sys, time, urllib.request, zlib

HOVERED = (0xff, 0xb7, 0x4d)      # .hl0 in the page's style
COUNTERPART = (0xff, 0xe0, 0x82)  # .hl


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Driver:
    def __init__(self, port):
        self.base = "http://127.0.0.1:%d" % port
        self.session = None

    def call(self, method, path, body=None):
        url = self.base + (path if self.session is None or path.startswith("/session/") or path == "/session"
                           else "/session/%s%s" % (self.session, path))
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return json.loads(r.read())["value"]
        except urllib.error.HTTPError as e:
            fail("webdriver %s %s: %s" % (method, path, e.read()[:500]))

    def js(self, script, *args):
        return self.call("POST", "/execute/sync", {"script": script, "args": list(args)})

    def element(self, css):
        v = self.call("POST", "/element", {"using": "css selector", "value": css})
        return list(v.values())[0]

    def hover(self, element_id):
        origin = {"element-6066-11e4-a52e-4f735466cecf": element_id}
        self.call("POST", "/actions", {"actions": [{"type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"},
                                                    "actions": [{"type": "pointerMove", "duration": 0, "origin": origin,
                                                                 "x": 0, "y": 0}]}]})

    def click(self, element_id):
        self.call("POST", "/element/%s/click" % element_id, {})

    def screenshot(self, path):
        png = base64.b64decode(self.call("GET", "/screenshot"))
        with open(path, "wb") as f:
            f.write(png)
        return png


def png_pixels(png):
    """RGB(A) rows of an 8-bit non-interlaced PNG, decoded with zlib (what Chromium writes)."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        fail("screenshot is not a PNG")
    pos, idat, width = 8, b"", 0
    while pos < len(png):
        n, kind = struct.unpack(">I4s", png[pos:pos + 8])
        data = png[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", data)
            if depth != 8 or color not in (2, 6) or interlace:
                fail("unexpected PNG layout %d/%d/%d" % (depth, color, interlace))
            bpp = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += data
        pos += 12 + n
    raw, stride, rows, prev = zlib.decompress(idat), width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return width, height, bpp, rows


def count_colours(png):
    width, height, bpp, rows = png_pixels(png)
    counts, distinct = {HOVERED: 0, COUNTERPART: 0}, set()
    for line in rows:
        for x in range(0, width * bpp, bpp):
            px = (line[x], line[x + 1], line[x + 2])
            if px in counts: counts[px] += 1
            if len(distinct) < 64: distinct.add(px)
    return counts, len(distinct)


def main():
    page, out, offset, chain = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    port = free_port()
    log = open(os.path.join(out, "chromedriver.log"), "w")
    driver_proc = subprocess.Popen(["chromedriver", "--port=%d" % port], stdout=log, stderr=log)
    d = Driver(port)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(d.base + "/status", timeout=1)
                break
            except Exception:
                time.sleep(0.1)
        caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1400,1000", "--force-device-scale-factor=1"]}}}}
        d.session = d.call("POST", "/session", caps)["sessionId"]
        d.call("POST", "/url", {"url": "file://" + os.path.abspath(page)})

        title = d.js("return document.title")
        if not title.startswith("atoll explore"):
            fail("page title %r" % title)
        lines = d.js("return document.querySelectorAll('.ln').length")
        if lines < 10:
            fail("only %d instruction lines rendered" % lines)

        wasm_css = ".wasm .ln[data-o='%s']" % offset
        # Bring the function into view first (scrolling is not what is tested).
        d.js("document.querySelector(arguments[0]).closest('section').scrollIntoView()", wasm_css)
        before = d.screenshot(os.path.join(out, "explore.png"))
        counts, distinct = count_colours(before)
        if distinct < 8:
            fail("the screenshot is nearly blank (%d colours)" % distinct)
        if counts[HOVERED] or counts[COUNTERPART]:
            fail("highlight colours before any hover: %s" % counts)

        # Hover a wasm instruction: it and exactly the x86-64 lines carrying its offset light up.
        d.hover(d.element(wasm_css))
        lit = d.js("""return [...document.querySelectorAll('.hl0,.hl')].map(e =>
                        (e.closest('.wasm') ? 'w:' : 'x:') + e.dataset.o + (e.classList.contains('hl0') ? '*' : ''))""")
        expected_native = d.js("""return [...document.querySelectorAll('.x86 .ln[data-o]')]
                                    .filter(e => e.dataset.o.split(' ').includes(arguments[0])).length""", offset)
        if "w:%s*" % offset not in lit:
            fail("hovered wasm line not lit: %s" % lit)
        natives = [l for l in lit if l.startswith("x:")]
        if expected_native == 0 or len(natives) != expected_native or not all(offset in l[2:].split(" ") for l in natives):
            fail("hovering wasm %s lit %s (expected %d x86-64 lines)" % (offset, lit, expected_native))
        during = d.screenshot(os.path.join(out, "explore-hover-wasm.png"))
        counts, _ = count_colours(during)
        if counts[HOVERED] < 100 or counts[COUNTERPART] < 100 * min(expected_native, 3) // 3:
            fail("hover highlight not visible in the screenshot: %s" % counts)
        print("hover wasm 0x%s: %d x86-64 lines lit; pixels %s" % (offset, len(natives), counts))

        # Hover an inlined x86-64 line: the wasm lines of every frame of its chain light up.
        x86_css = ".x86 .ln[data-o='%s']" % chain
        d.js("document.querySelector(arguments[0]).scrollIntoView({block:'center'})", x86_css)
        d.hover(d.element(x86_css))
        lit = d.js("return [...document.querySelectorAll('.wasm .hl')].map(e => e.dataset.o)")
        if sorted(lit) != sorted(set(chain.split(" "))):
            fail("hovering x86-64 %r lit wasm %s" % (chain, lit))
        d.screenshot(os.path.join(out, "explore-hover-x86.png"))
        print("hover x86-64 [%s]: wasm %s lit" % (chain, lit))

        # Clicking a wasm line scrolls its first x86-64 counterpart into its column's view.
        d.js("document.querySelectorAll('.col').forEach(c => c.scrollTop = c.scrollHeight)")
        d.js("document.querySelector(arguments[0]).scrollIntoView({block:'center'})", wasm_css)
        d.click(d.element(wasm_css))
        visible = d.js("""const x = [...document.querySelectorAll('.x86 .ln[data-o]')]
                              .find(e => e.dataset.o.split(' ').includes(arguments[0]));
                          const r = x.getBoundingClientRect(), c = x.closest('.col').getBoundingClientRect();
                          return r.top >= c.top && r.bottom <= c.bottom && r.top >= 0 && r.bottom <= innerHeight""", offset)
        if not visible:
            fail("click did not bring the x86-64 counterpart into view")
        print("click scrolls to the counterpart: ok")
    finally:
        # Ending the session is what closes the browser (chromedriver exiting leaves it running).
        if d.session:
            try:
                urllib.request.urlopen(urllib.request.Request("%s/session/%s" % (d.base, d.session), method="DELETE"),
                                       timeout=30).read()
            except Exception as e:
                print("could not end the browser session:", e)
        driver_proc.terminate()
        driver_proc.wait(10)
    print("explore page ok in", subprocess.run(["chromium", "--version"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()
