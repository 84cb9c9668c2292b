"""Charts: the port × encryption matrix read from probe facts, figures for real and
settings-only reports, deterministic and well-formed SVG, and no pyplot anywhere."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import emaildiag
from emaildiag.demo import demo_environment
from emaildiag.model import CertificateFacts, ProbeFacts, Report, TlsFacts
from emaildiag.render.charts import (
    Cell,
    figure_svg,
    matrix_cells,
    matrix_figure,
    phase_figure,
    probe_cells,
    report_figure,
)

pytest.importorskip("matplotlib")

SVG = "{http://www.w3.org/2000/svg}"
CERT = CertificateFacts(
    "CN=mail.example.com",
    ("mail.example.com",),
    "CN=CA",
    "",
    "",
    60,
    "RSA",
    2048,
    None,
    "00",
    False,
)


def tls(verified: bool = True) -> TlsFacts:
    return TlsFacts("starttls", "TLSv1.3", "TLS_AES_128_GCM_SHA256", verified, None, CERT)


def probe(port: int = 587, **kw: object) -> ProbeFacts:
    base: dict[str, object] = {"address": "192.0.2.1", "family": "ipv4", "state": "open"}
    return ProbeFacts(port=port, **(base | kw))  # type: ignore[arg-type]


def states(p: ProbeFacts, verify: bool = True) -> tuple[str, str, str]:
    c = probe_cells(p, verify)
    return (c["none"].state, c["starttls"].state, c["implicit"].state)


@pytest.mark.parametrize(
    ("facts", "verify", "expected"),
    [
        (probe(state="filtered"), True, ("filtered",) * 3),
        (probe(state="refused"), True, ("fails",) * 3),
        (
            probe(mode="starttls", greeting="220 hi", tls=tls()),
            True,
            ("unencrypted", "works", "not_tried"),
        ),
        (
            probe(mode="starttls", greeting="220", tls=tls(False)),
            True,
            ("unencrypted", "fails", "not_tried"),
        ),
        (
            probe(mode="starttls", greeting="220", tls=tls(False)),
            False,
            ("unencrypted", "works", "not_tried"),
        ),
        (probe(465, mode="implicit", tls=tls()), True, ("not_tried", "not_tried", "works")),
        (
            probe(2525, mode="starttls", greeting="220", tls=tls()),
            True,
            ("unencrypted", "works", "fails"),
        ),
        (
            probe(mode="none", greeting="220", problem="tls.starttls_missing"),
            True,
            ("unencrypted", "fails", "not_tried"),
        ),
        (
            probe(465, problem="tls.implicit_on_starttls_port"),
            True,
            ("unencrypted", "not_tried", "fails"),
        ),
        (probe(587, problem="tls.plain_on_implicit_port"), True, ("fails", "fails", "works")),
        (probe(587, problem="port.no_greeting"), True, ("fails", "fails", "not_tried")),
        (probe(465, problem="port.no_greeting"), True, ("not_tried", "not_tried", "fails")),
        (probe(2525, problem="port.not_smtp"), True, ("fails",) * 3),
    ],
)
def test_probe_cells(facts: ProbeFacts, verify: bool, expected: tuple[str, str, str]) -> None:
    assert states(facts, verify) == expected


def test_an_unverified_certificate_says_so_in_its_cell() -> None:
    cell = probe_cells(probe(mode="starttls", greeting="220", tls=tls(False)))["starttls"]
    assert cell == Cell("fails", reason="cert")


def test_addresses_that_disagree_make_a_partly_cell_and_standard_ports_are_always_rows() -> None:
    ok = probe(mode="starttls", greeting="220", tls=tls())
    v6 = probe(address="2001:db8::1", family="ipv6", state="filtered")
    report = Report(settings={"port": 587}, probes=(ok, v6))
    cells = matrix_cells(report)
    assert list(cells) == [25, 465, 587]
    assert cells[587]["starttls"] == Cell("partly", works=1, of=2)
    assert cells[25]["starttls"].state == "not_tried"


# --- figures from real reports ---------------------------------------------------------


@pytest.fixture(scope="module")
def reports() -> dict[str, Report]:
    out = {}
    for name in ("ok", "expired-certificate", "no-starttls", "implicit-tls", "wrong-password"):
        with demo_environment(name) as env:
            out[name] = emaildiag.diagnose(env.settings(), **env.options())
    out["settings-only"] = emaildiag.diagnose({"host": "", "port": 587, "username": "bob"})
    return out


SCENARIOS = ["ok", "expired-certificate", "no-starttls", "implicit-tls", "wrong-password"]


@pytest.mark.parametrize("name", [*SCENARIOS, "settings-only"])
def test_figures_build_and_give_wellformed_deterministic_svg(
    reports: dict[str, Report], name: str
) -> None:
    from matplotlib.figure import Figure

    report = reports[name]
    for build in (phase_figure, matrix_figure, report_figure):
        fig = build(report)
        assert isinstance(fig, Figure)
        svg = figure_svg(fig)
        assert svg.startswith("<svg") and "<?xml" not in svg
        root = ET.fromstring(svg)
        assert root.tag == f"{SVG}svg"
        assert figure_svg(build(report)) == svg, f"{build.__name__} is not deterministic"
        assert "dc:date" not in svg


def test_the_matrix_names_every_cell_in_words(reports: dict[str, Report]) -> None:
    report = reports["no-starttls"]
    text = " ".join(
        t.text or "" for t in ET.fromstring(figure_svg(matrix_figure(report))).iter(f"{SVG}text")
    )
    for word in ("works", "fails", "not tried", "not encrypted", "your setting"):
        assert word in text


def test_italian_words_in_the_charts(reports: dict[str, Report]) -> None:
    from dataclasses import replace

    report = replace(reports["no-starttls"], lang="it")
    svg = figure_svg(report_figure(report))
    assert "funziona" in svg and "non provata" in svg and "connessione" in svg


def test_settings_only_report_says_nothing_was_probed(reports: dict[str, Report]) -> None:
    report = reports["settings-only"]
    assert not report.probes
    for build in (phase_figure, matrix_figure, report_figure):
        assert "Nothing was probed" in figure_svg(build(report))


def test_salts_keep_ids_apart_when_two_figures_share_a_page(reports: dict[str, Report]) -> None:
    fig = matrix_figure(reports["ok"])
    a, b = figure_svg(fig, salt="one"), figure_svg(fig, salt="two")
    ids = {e.get("id") for e in ET.fromstring(a).iter() if e.tag == f"{SVG}clipPath"}
    assert ids and not ids & {e.get("id") for e in ET.fromstring(b).iter()}


def test_hostile_text_stays_text_in_svg() -> None:
    hostile = "<script>alert(1)</script>$x^2$"
    report = Report(
        settings={"port": 587},
        probes=(
            probe(
                address=hostile, mode="starttls", greeting="2", tls=tls(), timings={hostile: 1.0}
            ),
        ),
    )
    svg = figure_svg(report_figure(report))
    root = ET.fromstring(svg)
    assert not [e for e in root.iter() if e.tag.endswith("script")]
    texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "<script>alert(1)</script>$x^2$" in texts  # shown literally, not as math


def test_report_plot_is_the_combined_figure(reports: dict[str, Report]) -> None:
    fig = reports["expired-certificate"].plot()
    assert len(fig.subfigs) == 2


def test_no_pyplot_and_lazy_imports() -> None:
    """The object API only: pyplot would pick a GUI backend and keep figures alive in a
    global registry. And importing the renderers must not import matplotlib or jinja2."""
    code = """
import sys
import emaildiag.render.charts, emaildiag.render.html
from emaildiag.model import Report, ProbeFacts
assert "matplotlib" not in sys.modules and "jinja2" not in sys.modules
from emaildiag.render.charts import figure_svg, report_figure
from emaildiag.render.html import render_html
p = ProbeFacts(587, "192.0.2.1", "ipv4", "open", 1.0, "220", "starttls", timings={"connect": 1.0})
r = Report(settings={"port": 587}, probes=(p,))
figure_svg(report_figure(r)); r.plot(); render_html(r); r._repr_mimebundle_()
print("matplotlib.pyplot" in sys.modules)
"""
    root = Path(emaildiag.__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=os.environ | {"PYTHONPATH": str(root)},
        check=True,
        timeout=120,
    )
    assert out.stdout.strip() == "False", out.stderr


def test_a_report_figure_shows_itself_in_jupyter_without_pyplot() -> None:
    from emaildiag.model import Report

    fig = Report(settings={}).plot()
    svg = fig._repr_svg_()
    assert svg.lstrip().startswith("<svg") or "<svg" in svg[:200]
