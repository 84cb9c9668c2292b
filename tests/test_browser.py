"""The HTML report in a real browser (headless Chromium): it renders, it fits a phone,
and it fetches nothing but itself.

Skipped when Chromium is not installed; CI installs it (Debian package ``chromium``).
Set ``EMAILDIAG_SCREENSHOTS=DIR`` to keep the screenshots (desktop and phone) there.
"""

from __future__ import annotations

import http.server
import os
import re
import shutil
import signal
import struct
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

import emaildiag
from emaildiag.demo import demo_environment
from emaildiag.model import Report

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM),
    reason="headless browser check needs /usr/bin/chromium (apt-get install chromium)",
)
QUIET = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--hide-scrollbars",
]


def chromium(tmp_path: Path, *args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    """Run Chromium in its own session so a hang kills its whole process tree."""
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    cmd = [CHROMIUM, *QUIET, f"--user-data-dir={profile}", *args]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"chromium did not finish in {timeout} s: {' '.join(args)}")
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


@dataclass
class LoopbackSite:
    """A tiny HTTP server on 127.0.0.1 that serves fixed pages and records every path
    asked for, so "loads nothing external" becomes "asked for nothing else"."""

    pages: dict[str, str]
    requests: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.requests.append(self.path)
                body = site.pages.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                if body is not None:
                    self.wfile.write(body.encode("utf-8"))

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def site() -> Iterator[LoopbackSite]:
    s = LoopbackSite({})
    yield s
    s.close()


@pytest.fixture(scope="module")
def report() -> Report:
    with demo_environment("expired-certificate") as env:
        return emaildiag.diagnose(env.settings(), **env.options())


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.parametrize(("name", "width"), [("desktop", 1200), ("phone", 390)])
def test_report_renders_in_chromium(report: Report, tmp_path: Path, name: str, width: int) -> None:
    page = tmp_path / "report.html"
    report.to_html(str(page))
    shot = tmp_path / f"emaildiag-report-{name}.png"
    result = chromium(
        tmp_path, f"--window-size={width},2400", f"--screenshot={shot}", page.as_uri()
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.exists() and shot.stat().st_size > 30_000  # a page, not a blank canvas
    assert png_size(shot) == (width, 2400)
    keep = os.environ.get("EMAILDIAG_SCREENSHOTS")
    if keep:
        shutil.copy(shot, Path(keep) / shot.name)


def test_report_fetches_nothing_but_itself(
    report: Report, tmp_path: Path, site: LoopbackSite
) -> None:
    site.pages["/report.html"] = report.to_html()
    result = chromium(
        tmp_path,
        "--enable-logging=stderr",
        "--log-level=0",
        "--virtual-time-budget=3000",
        "--dump-dom",
        site.url("/report.html"),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'id="emaildiag-report"' in result.stdout  # the page was loaded and parsed
    assert site.requests == ["/report.html"]
    assert "Content Security Policy" not in result.stderr  # not even a blocked attempt


def test_the_recorder_and_the_csp_both_work(
    report: Report, tmp_path: Path, site: LoopbackSite
) -> None:
    """Controls for the test above: without a CSP an image is fetched (so the recorder
    sees requests); injected into the report, the CSP blocks it."""
    site.pages["/control.html"] = '<!DOCTYPE html><img src="/control.png">'
    injected = report.to_html().replace("<main", '<img src="/injected.png"><main', 1)
    site.pages["/injected.html"] = injected
    for path in ("/control.html", "/injected.html"):
        result = chromium(
            tmp_path,
            "--enable-logging=stderr",
            "--log-level=0",
            "--virtual-time-budget=3000",
            "--dump-dom",
            site.url(path),
        )
        assert result.returncode == 0, result.stderr[-2000:]
    assert "/control.png" in site.requests
    assert "/injected.png" not in site.requests
    assert "Content Security Policy" in result.stderr


@pytest.mark.parametrize("width", [390, 320])
def test_no_horizontal_scrolling_on_a_phone(
    report: Report, tmp_path: Path, site: LoopbackSite, width: int
) -> None:
    """Measured in a same-origin iframe of phone width (headless windows cannot be made
    that narrow); the copy measured drops the CSP so the measuring script may run. The
    hand-built report adds long unbreakable server text."""
    from test_html_report import hostile_report

    long_text = "x" * 300
    base = hostile_report()
    hostile = replace(
        base,
        settings={"host": long_text, "port": 587},
        probes=tuple(replace(p, greeting=long_text, error=long_text) for p in base.probes),
    )
    for name, rep in (("demo", report), ("hostile", hostile)):
        page = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", rep.to_html())
        site.pages[f"/{name}.html"] = page
        site.pages[f"/wrap-{name}.html"] = (
            f'<!DOCTYPE html><iframe id="f" src="/{name}.html" '
            f'style="width:{width}px;height:900px;border:0"></iframe><script>'
            'document.getElementById("f").addEventListener("load", function () {'
            " var d = this.contentDocument.documentElement;"
            ' document.body.setAttribute("data-measure", d.scrollWidth + "/" + d.clientWidth);'
            "});</script>"
        )
        result = chromium(
            tmp_path, "--virtual-time-budget=5000", "--dump-dom", site.url(f"/wrap-{name}.html")
        )
        found = re.search(r'data-measure="(\d+)/(\d+)"', result.stdout)
        assert found, result.stderr[-2000:]
        scroll, client = map(int, found.groups())
        assert 0 < client <= width
        assert scroll <= client, f"{name}: content {scroll}px wide in a {client}px viewport"
