"""Headless Chromium for the report tests (Debian's `chromium`, /usr/bin/python3, stdlib only).

Runs as root in CI: --no-sandbox (Chromium refuses root otherwise), a fresh temporary
--user-data-dir per call, networking features off (the page is a file:// URL and fetches
nothing), and a hard timeout that kills Chromium's whole process group. Also a PNG decoder
(zlib + the five PNG filters) for the screenshots, and the page's DOM parsed into the few
things the tests read.
"""

import os
import shutil
import signal
import subprocess
import tempfile
import zlib
from html.parser import HTMLParser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--no-first-run", "--no-default-browser-check", "--disable-extensions",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
         "--force-device-scale-factor=1"]


class ChromiumError(Exception):
    pass


def run(args, timeout_s=90):
    """Runs Chromium with FLAGS + args; returns its stdout (bytes). Raises ChromiumError on a
    non-zero exit or after timeout_s seconds (the process group is killed)."""
    if not os.path.exists(CHROMIUM):
        raise ChromiumError("chromium is not installed (scripts/install-deps.sh --test)")
    with tempfile.TemporaryDirectory(prefix="poolbench-chromium-") as profile:
        cmd = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            out, err = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise ChromiumError(f"chromium did not finish within {timeout_s} s: {args}")
        finally:
            # Helpers (zygote, GPU process) may outlive the browser: end the group.
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if proc.returncode != 0:
            tail = err.decode(errors="replace").strip().splitlines()[-5:]
            raise ChromiumError(f"chromium exited {proc.returncode}: " + " | ".join(tail))
        return out


def dump_dom(url, window="1280,1024", timeout_s=90):
    """The DOM after the page's scripts ran, as HTML text."""
    return run([f"--window-size={window}", "--dump-dom", url], timeout_s).decode()


def screenshot(url, path, window, timeout_s=120):
    """A PNG of the first `window` pixels (width,height) of the page."""
    run([f"--window-size={window}", f"--screenshot={path}", url], timeout_s)
    if not os.path.exists(path):
        raise ChromiumError(f"chromium wrote no screenshot {path}")


class Elements(HTMLParser):
    """Attributes and text of the elements with an id (text: all the text inside)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.attrs = {}
        self.text = {}
        self.options = []  # <option> texts, in order
        self._open = []  # [(tag, id or None)]
        self._in_option = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        ident = attributes.get("id")
        if ident:
            self.attrs[ident] = attributes
            self.text.setdefault(ident, "")
        if tag == "option":
            self.options.append("")
            self._in_option = True
        if tag not in ("br", "hr", "img", "input", "meta", "link", "wbr"):
            self._open.append((tag, ident))

    def handle_endtag(self, tag):
        if tag == "option":
            self._in_option = False
        while self._open:
            open_tag, _ = self._open.pop()
            if open_tag == tag:
                break

    def handle_data(self, data):
        for _, ident in self._open:
            if ident:
                self.text[ident] += data
        if self._in_option:
            self.options[-1] += data


def elements(html):
    parser = Elements()
    parser.feed(html)
    parser.close()
    return parser


def read_png(path):
    """(width, height, bytes per pixel, rows): rows[y] holds row y's RGB(A) samples, 8 bits."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG")
    pos, idat, header = 8, [], None
    while pos < len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    width, height = int.from_bytes(header[0:4], "big"), int.from_bytes(header[4:8], "big")
    depth, color, interlace = header[8], header[9], header[12]
    if depth != 8 or color not in (2, 6) or interlace != 0:
        raise ValueError(f"{path}: only 8-bit RGB/RGBA non-interlaced PNGs are read")
    bpp = 3 if color == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    rows, previous = [], bytes(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        unfilter(kind, line, previous, bpp)
        previous = bytes(line)
        rows.append(previous)
    return width, height, bpp, rows


def unfilter(kind, line, previous, bpp):
    n = len(line)
    if kind == 0:
        return
    if kind == 1:  # Sub
        for i in range(bpp, n):
            line[i] = (line[i] + line[i - bpp]) & 0xFF
    elif kind == 2:  # Up
        for i in range(n):
            line[i] = (line[i] + previous[i]) & 0xFF
    elif kind == 3:  # Average
        for i in range(n):
            left = line[i - bpp] if i >= bpp else 0
            line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
    elif kind == 4:  # Paeth
        for i in range(n):
            a = line[i - bpp] if i >= bpp else 0
            b = previous[i]
            c = previous[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            line[i] = (line[i] + pred) & 0xFF
    else:
        raise ValueError(f"PNG filter type {kind}")
