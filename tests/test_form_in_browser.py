"""End to end: the settings form in Voilà, in Debian's Chromium, driven by Playwright.

``tests/e2e/form.ipynb`` starts the demo's loopback servers (scenario ``ok``) and shows
a :class:`SettingsForm` filled in for them, the password set as if typed. Voilà runs
it on 127.0.0.1; Chromium opens the page, the test clicks "Test email settings" and
waits for the verdict the kernel puts in ``form.report_view``. Then the password must
be nowhere in the page: the click takes it out of the widget (ipywidgets#1747).

Nothing leaves the machine: Voilà listens on 127.0.0.1, Chromium runs with its
background services off, and every request to another host (the CDN stylesheets of
Voilà's template) is aborted by the test. Jupyter's and IPython's config, data and
runtime directories are under the test's tmp_path.

Needs ``voila`` and ``playwright`` (its bundled driver only: no ``playwright
install``) and /usr/bin/chromium; skipped without them.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
NOTEBOOK = Path(__file__).parent / "e2e" / "form.ipynb"
SCREENSHOT = Path(tempfile.gettempdir()) / "emaildiag-form.png"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-proxy-server",
]
LOOPBACK = {"127.0.0.1", "localhost", "[::1]", "::1"}

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux /proc; empty elsewhere)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            # the field after the ")" that closes the command name: state, then ppid
            if int(stat.read_text().rpartition(")")[2].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Voilà shuts its kernels down on SIGTERM; whatever is left after 15 s is killed."""
    kernels = _children(proc.pid)
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    deadline = time.monotonic() + 5
    for pid in kernels:
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def _voila(tmp: Path) -> Iterator[tuple[str, Path]]:
    """Voilà serving the form notebook on 127.0.0.1: yields its URL and its log file."""
    port = _free_port()
    env = dict(os.environ)
    env.update(
        JUPYTER_CONFIG_DIR=str(tmp / "jupyter-config"),
        JUPYTER_DATA_DIR=str(tmp / "jupyter-data"),
        JUPYTER_RUNTIME_DIR=str(tmp / "jupyter-runtime"),
        IPYTHONDIR=str(tmp / "ipython"),
        PYTHONPATH=os.pathsep.join(
            p for p in (str(Path(__file__).parents[1]), env.get("PYTHONPATH")) if p
        ),
    )
    (tmp / "connections").mkdir()
    cmd = [
        sys.executable, "-m", "voila", str(NOTEBOOK), "--no-browser",
        f"--port={port}", "--Voila.ip=127.0.0.1", "--Voila.port_retries=0",
        f"--Voila.connection_dir_root={tmp / 'connections'}",
        "--VoilaConfiguration.show_tracebacks=True",
    ]  # fmt: skip
    log = tmp / "voila.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, cwd=tmp, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                pytest.fail(f"Voilà exited with {proc.returncode}:\n{log.read_text()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if time.monotonic() > deadline:
                pytest.fail(f"Voilà did not listen within 30 s:\n{log.read_text()}")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/", log
    finally:
        _stop(proc)


def test_form_in_voila_clicks_test_and_shows_the_verdict(tmp_path: Path) -> None:
    pytest.importorskip("ipywidgets")
    pytest.importorskip("voila", reason="the browser test needs voila")
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright")

    blocked: list[str] = []

    def loopback_only(route: Any) -> None:  # a playwright Route
        url = route.request.url
        if urlsplit(url).hostname in LOOPBACK or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            blocked.append(url)
            print(f"blocked: {url}")
            route.abort()

    with _voila(tmp_path) as (url, log), sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),  # fresh: --user-data-dir
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1100, "height": 1400},
        )
        try:
            context.route("**/*", loopback_only)
            page = context.new_page()
            page.set_default_timeout(30_000)
            page.goto(url, wait_until="domcontentloaded", timeout=45_000)
            button = page.get_by_role("button", name="Test email settings")
            try:
                button.wait_for(state="visible", timeout=45_000)
            except sync_api.TimeoutError:
                pytest.fail(f"no Test button in the page; Voilà's log:\n{log.read_text()}")

            password_box = page.locator("input[type=password]")
            password = password_box.input_value()
            assert password.startswith("demo-"), "the notebook's password is not in the form"
            sync_api.expect(button).to_be_enabled()

            button.click()
            verdict = page.locator("#verdict")
            try:
                verdict.wait_for(state="visible", timeout=60_000)
            except sync_api.TimeoutError:
                page.screenshot(path=str(SCREENSHOT), full_page=True)
                pytest.fail(
                    f"no verdict within 60 s; see {SCREENSHOT}. Page text:\n"
                    f"{page.inner_text('body')[-3000:]}\nVoilà's log:\n{log.read_text()}"
                )
            sync_api.expect(button).to_be_enabled()  # the task is done
            page.screenshot(path=str(SCREENSHOT), full_page=True)
            assert "Your settings work" in verdict.inner_text(), page.inner_text("body")
            sync_api.expect(verdict).to_have_class(re.compile(r"\bv-ok\b"))

            body = page.inner_text("body")
            assert "The test could not run" not in body
            assert "Finished in" in body  # the progress lines came through
            assert password_box.input_value() == ""  # taken out at the click
            sync_api.expect(password_box).to_have_attribute(
                "placeholder", "kept for this session; type to replace"
            )
            assert password not in page.content()
        finally:
            context.close()
