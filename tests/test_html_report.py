"""The single-file HTML report: structure, self-containment, escaping, determinism.

Reports come from real diagnoses of the demo scenarios (loopback servers), plus one
built by hand to carry hostile server text into every field the page shows.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

import emaildiag
from emaildiag.demo import demo_environment
from emaildiag.model import (
    AuthFacts,
    CertificateFacts,
    DnsFacts,
    Finding,
    ProbeFacts,
    Report,
    Severity,
    TlsFacts,
    TranscriptLine,
)
from emaildiag.render.html import REPORT_ID, labels, render_fragment, render_html

pytest.importorskip("jinja2")

HOSTILE = "<script>alert(1)</script></script><!--<img src=https://evil.example/x.png>"


async def diagnose_demo(name: str, **overrides: Any) -> Report:
    with demo_environment(name) as env:
        settings = env.settings() | overrides.pop("settings", {})
        return await emaildiag.adiagnose(settings, **(env.options() | overrides))


@pytest.fixture(scope="module")
def expired() -> Report:
    """One real report shared by the read-only tests (a demo run takes ~0.1 s, but
    this keeps the module quick under load)."""
    with demo_environment("expired-certificate") as env:
        return emaildiag.diagnose(env.settings(), **env.options())


class Page(HTMLParser):
    """Everything the tests look at: tags with attributes, section ids in order, the
    text of each ``<script>`` element and the visible text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.sections: list[str] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.text: list[str] = []
        self._in_script: dict[str, str | None] | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "section" and a.get("id"):
            self.sections.append(str(a["id"]))
        if tag == "script":
            self._in_script = a
            self.scripts.append((a, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = None

    def handle_data(self, data: str) -> None:
        if self._in_script is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)
        else:
            self.text.append(data)

    def embedded_report(self) -> Any:
        [(attrs, text)] = [s for s in self.scripts if s[0].get("id") == REPORT_ID]
        assert attrs.get("type") == "application/json"
        return json.loads(text)

    @property
    def visible(self) -> str:
        return " ".join(" ".join(self.text).split())


# --- structure ------------------------------------------------------------------------


def test_sections_come_in_reading_order(expired: Report) -> None:
    page = Page(render_html(expired))
    order = ["verdict", "cause", "findings", "ports", "signin", "dns", "timings"]
    order += ["transcript", "technical"]
    assert page.sections == order
    body = page.visible
    assert body.index("Not working") < body.index("Most likely cause")
    assert expired.root_cause is not None
    assert body.index("Most likely cause") < body.index(expired.root_cause.title)


async def test_recommended_settings_follow_the_cause_when_they_differ() -> None:
    report = await diagnose_demo("no-starttls")
    assert report.recommended and report.recommended["changed"]
    page = Page(render_html(report))
    assert page.sections[:4] == ["verdict", "cause", "recommended", "findings"]
    assert f"{report.recommended['port']}" in page.visible


async def test_no_recommended_block_when_the_settings_already_work() -> None:
    report = await diagnose_demo("ok")
    assert report.recommended and not report.recommended["changed"]
    page = Page(render_html(report))
    assert "recommended" not in page.sections and "cause" not in page.sections
    assert "Working" in page.visible


def test_every_finding_port_and_transcript_group_is_shown(expired: Report) -> None:
    html = render_html(expired)
    page = Page(html)
    for f in expired.findings:
        assert f.code in page.visible
    cards = [a for t, a in page.tags if t == "article" and "card" in str(a.get("class"))]
    assert len(cards) == len(expired.probes)
    summaries = html.count('<details class="tx-group">')
    assert summaries == len({(t.port, t.address) for t in expired.transcript})
    cert = expired.probes[0].tls.certificate  # type: ignore[union-attr]
    assert cert is not None
    assert cert.sha256[:2].upper() + ":" + cert.sha256[2:4].upper() in html
    assert cert.days_left < 0
    assert f"expired {-cert.days_left} days ago" in page.visible


def test_json_is_embedded_and_reads_back_as_the_report(expired: Report) -> None:
    page = Page(render_html(expired))
    assert page.embedded_report() == json.loads(expired.to_json())
    assert page.embedded_report() == expired.to_dict()


def test_charts_are_inline_svg(expired: Report) -> None:
    html = render_html(expired)
    assert html.count("<svg ") == 2
    assert 'role="img"' in html
    assert "<?xml" not in html and "<!DOCTYPE svg" not in html


# --- self-contained -------------------------------------------------------------------

_URL_ATTRS = {"src", "href", "srcset", "action", "formaction", "poster", "data", "xlink:href"}


def test_nothing_external_and_a_strict_csp(expired: Report) -> None:
    html = render_html(expired)
    page = Page(html)
    for tag, attrs in page.tags:
        assert tag not in {"link", "img", "iframe", "object", "embed", "base", "form", "audio"}
        for name, value in attrs.items():
            if name in _URL_ATTRS:
                assert value is not None and value.startswith(("#", "data:")), (tag, name, value)
    assert "@import" not in html
    assert all(ref.startswith("#") for ref in re.findall(r"url\(\s*['\"]?([^)'\"]*)", html))
    [csp] = [
        a for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"
    ]
    policy = str(csp["content"])
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert any(t == "meta" and a.get("name") == "viewport" for t, a in page.tags)
    # the only script is the inert JSON data block
    assert [a.get("type") for a, _ in page.scripts] == ["application/json"]


def test_print_and_phone_styles_are_present(expired: Report) -> None:
    html = render_html(expired)
    assert "@media print" in html and "print-color-adjust" in html
    assert "@media (max-width" in html


# --- hostile server text ---------------------------------------------------------------


def hostile_report(lang: str = "en") -> Report:
    """Every server-controlled field carries markup that would run if left unescaped."""
    cert = CertificateFacts(
        subject=f"CN={HOSTILE}",
        san=(HOSTILE,),
        issuer=f"O={HOSTILE}",
        not_before="2026-01-01T00:00:00+00:00",
        not_after="2026-02-01T00:00:00+00:00",
        days_left=-3,
        key_type="RSA",
        key_bits=2048,
        signature_algorithm="sha256",
        sha256="ab" * 32,
        self_signed=True,
        ca_issuers=(f"http://{HOSTILE}",),
    )
    tls = TlsFacts("starttls", "TLSv1.2", HOSTILE, False, HOSTILE, cert)
    probe = ProbeFacts(
        port=587,
        address="192.0.2.1",
        family="ipv4",
        state="open",
        connect_ms=12.5,
        greeting=f"220 {HOSTILE}\x1b[31m",
        mode="starttls",
        tls=tls,
        ehlo=(HOSTILE, "STARTTLS"),
        ehlo_tls=(f"AUTH {HOSTILE}",),
        timings={"connect": 12.5, "greeting": 3.0, "ehlo": 1.0, "starttls": 20.0, HOSTILE: 1.0},
        problem="tls.cert_self_signed",
        error=HOSTILE,
    )
    finding = Finding(
        code="tls.cert_self_signed",
        severity=Severity.ERROR,
        title=f"Title {HOSTILE}",
        fix=f"Fix {HOSTILE}",
        port=587,
        detail=f"Detail {HOSTILE}",
    )
    return Report(
        settings={"host": f"mail.example.com{HOSTILE}", "port": 587, "password_set": True},
        findings=(finding, Finding("port.open", Severity.INFO, HOSTILE, detail=HOSTILE)),
        dns=DnsFacts(
            host=HOSTILE,
            addresses=(("192.0.2.1", "ipv4"),),
            cname_chain=(HOSTILE,),
            domain="example.com",
            mx=(HOSTILE,),
            spf=HOSTILE,
            dmarc=HOSTILE,
            submission_srv=(HOSTILE,),
        ),
        probes=(probe,),
        auth=AuthFacts(result="rejected", port=587, code=535, mechanism="PLAIN", reply=HOSTILE),
        transcript=(
            TranscriptLine(1.0, 587, "192.0.2.1", "S", f"220 {HOSTILE}"),
            TranscriptLine(2.0, 587, "192.0.2.1", "C", "QUIT"),
            TranscriptLine(3.0, 587, "192.0.2.1", "S", f"554 {HOSTILE}"),
        ),
        started_at="2026-02-04T10:00:00+00:00",
        duration_ms=42.0,
        lang=lang,
        version="0.0-test",
        root_cause=finding,
    )


def test_hostile_server_text_is_escaped_everywhere() -> None:
    report = hostile_report()
    html = render_html(report)
    assert "<script>alert" not in html
    assert "<img" not in html and "<!--<" not in html
    assert html.count("<script") == 1 and html.count("</script>") == 1  # our JSON block
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown, as text
    assert "\x1b" not in html
    page = Page(html)
    assert page.embedded_report() == json.loads(report.to_json())
    assert not [t for t, _ in page.tags if t in {"img", "iframe"}]


def test_fragment_is_escaped_and_has_no_script_or_document() -> None:
    report = hostile_report()
    fragment = render_fragment(report)
    assert "<script" not in fragment and "<html" not in fragment
    assert "Content-Security-Policy" not in fragment
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in fragment
    assert fragment.lstrip().startswith('<div class="emaildiag"')
    assert report._repr_mimebundle_()["text/html"] == fragment


# --- determinism ------------------------------------------------------------------------


def test_same_report_same_bytes(expired: Report) -> None:
    assert render_html(expired) == render_html(expired)
    assert render_fragment(expired) == render_fragment(expired)


def test_same_bytes_in_another_process() -> None:
    """Nothing depends on hash seeds, the clock or the process (SVG ids are salted)."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from test_html_report import hostile_report;"
        "from emaildiag.render.html import render_html;"
        "sys.stdout.write(render_html(hostile_report()))"
    )
    root = Path(emaildiag.__file__).resolve().parents[1]
    env = os.environ | {"PYTHONHASHSEED": "12345", "PYTHONPATH": str(root)}
    out = subprocess.run(
        [sys.executable, "-c", code, str(Path(__file__).parent)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        check=True,
        timeout=60,
    ).stdout
    assert out == render_html(hostile_report())


def test_to_html_writes_the_same_bytes(expired: Report, tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    html = expired.to_html(str(path))
    assert path.read_bytes() == html.encode("utf-8")


# --- language and secrets -----------------------------------------------------------------


async def test_italian_report_has_italian_labels() -> None:
    report = await diagnose_demo("expired-certificate", lang="it")
    html = render_html(report)
    assert '<html lang="it">' in html
    text = Page(html).visible
    for label in ("Non funziona", "Causa più probabile", "Cosa fare:", "Porte e cifratura"):
        assert label in text
    for english in ("Most likely cause", "What to do:", "Not working"):
        assert english not in text
    assert "funziona" in render_fragment(report).lower()


def test_label_tables_have_the_same_keys() -> None:
    assert set(labels("en")) == set(labels("it"))
    assert labels("xx") == labels("en")


async def test_the_password_never_appears(canary: str) -> None:
    """A wrong password is sent (inside TLS) and refused: it must not reach the page,
    raw or in any of its encoded forms."""
    import base64

    report = await diagnose_demo("wrong-password", settings={"password": canary})
    assert report.auth.result == "rejected"
    for html in (render_html(report), render_fragment(report)):
        assert canary not in html
        assert base64.b64encode(canary.encode()).decode() not in html
        assert base64.b64encode(f"\0alice@emaildiag.test\0{canary}".encode()).decode() not in html
    assert "[redacted]" in render_html(report)


def test_settings_errors_only_report_renders_without_charts() -> None:
    report = emaildiag.diagnose({"host": "", "port": 587, "username": "bob", "password": "x"})
    assert not report.probes
    page = Page(render_html(report))
    assert page.sections[:2] == ["verdict", "cause"]
    assert "ports" not in page.sections and "timings" not in page.sections
    assert "settings.host_invalid" in page.visible
