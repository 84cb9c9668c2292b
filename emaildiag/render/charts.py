"""Charts of a Report: where the time went (waterfall) and which port works how (matrix).

matplotlib's object API only (``matplotlib.figure.Figure`` on an Agg canvas): pyplot keeps
a global figure registry and picks a GUI backend, neither of which belongs in a library
that renders inside notebooks, web servers and CLI runs. matplotlib is imported inside the
functions so ``import emaildiag`` stays light (DESIGN: lazy extras).

Every figure function returns a Figure, also for a report with nothing probed (settings
errors only): the figure then holds one short sentence, so callers never special-case None.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from emaildiag.model import ProbeFacts, Report

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

CellState = Literal["works", "unencrypted", "fails", "filtered", "not_tried", "partly"]
Column = Literal["none", "starttls", "implicit"]
COLUMNS: tuple[Column, ...] = ("none", "starttls", "implicit")
STANDARD_PORTS = (25, 465, 587)
_EXPECTED: dict[int, tuple[Column, ...]] = {
    25: ("starttls",),
    587: ("starttls",),
    465: ("implicit",),
}

# Okabe-Ito: distinguishable with every common colour-vision deficiency; each cell also
# carries its word, so colour is never the only signal (WCAG 1.4.1).
CELL_COLOURS: dict[CellState, str] = {
    "works": "#7fd1b9",
    "unencrypted": "#f5d27a",
    "fails": "#f0a57a",
    "filtered": "#c9b6e4",
    "not_tried": "#eeeeee",
    "partly": "#9fd0f0",
}
PHASE_COLOURS = {
    "dns": "#999999",
    "connect": "#56b4e9",
    "greeting": "#009e73",
    "ehlo": "#f0e442",
    "starttls": "#0072b2",
    "handshake": "#0072b2",
    "tls": "#0072b2",
    "ehlo_tls": "#e69f00",
    "auth": "#cc79a7",
    "request": "#d55e00",
}
_SALT = "emaildiag"

CHART_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "works": "works",
        "unencrypted": "answers,\nnot encrypted",
        "fails": "fails",
        "fails_cert": "fails:\ncertificate",
        "filtered": "filtered",
        "not_tried": "not tried",
        "partly": "works on {n} of {m}",
        "none": "plain\n(no encryption)",
        "starttls": "STARTTLS",
        "implicit": "SSL/TLS\n(implicit)",
        "matrix_title": "Which port works with which encryption",
        "phases_title": "Time spent in each step (ms)",
        "port": "port",
        "yours": "your setting",
        "tls_setup": "TLS set-up (STARTTLS / handshake)",
        "signin": "sign-in",
        "relay": "HTTP relay",
        "nothing": "Nothing was probed: fix the settings first.",
        "no_answer": "no answer",
        "refused": "refused",
        "unreachable": "unreachable",
        "error": "error",
        "dns": "DNS",
        "connect": "connect",
        "greeting": "greeting",
        "ehlo": "EHLO",
        "handshake": "TLS handshake",
        "tls": "TLS handshake",
        "ehlo_tls": "EHLO after TLS",
        "auth": "sign-in (AUTH)",
        "request": "request",
    },
    "it": {
        "works": "funziona",
        "unencrypted": "risponde,\nnon cifrata",
        "fails": "non funziona",
        "fails_cert": "non funziona:\ncertificato",
        "filtered": "filtrata",
        "not_tried": "non provata",
        "partly": "funziona su {n} di {m}",
        "none": "in chiaro\n(senza cifratura)",
        "starttls": "STARTTLS",
        "implicit": "SSL/TLS\n(implicito)",
        "matrix_title": "Quale porta funziona con quale cifratura",
        "phases_title": "Tempo di ogni fase (ms)",
        "port": "porta",
        "yours": "impostata",
        "tls_setup": "avvio TLS (STARTTLS / handshake)",
        "signin": "accesso",
        "relay": "relay HTTP",
        "nothing": "Nessuna verifica di rete: correggi prima le impostazioni.",
        "no_answer": "nessuna risposta",
        "refused": "rifiutata",
        "unreachable": "irraggiungibile",
        "error": "errore",
        "dns": "DNS",
        "connect": "connessione",
        "greeting": "saluto",
        "ehlo": "EHLO",
        "handshake": "handshake TLS",
        "tls": "handshake TLS",
        "ehlo_tls": "EHLO dopo TLS",
        "auth": "accesso (AUTH)",
        "request": "richiesta",
    },
}


def words(lang: str) -> Mapping[str, str]:
    return CHART_WORDS.get(lang, CHART_WORDS["en"])


# --- what the probes say, as cells ----------------------------------------------------


def probe_cells(probe: ProbeFacts, verify_tls: bool = True) -> dict[Column, Cell]:
    """What one conversation tells about each way of talking to its port.

    Read from the facts the probe records: the mode it ended in, and ``problem``. A TLS
    column counts as working only when the certificate verified (or the user chose not to
    verify), because an unverifiable certificate stops a mail client just as surely; such
    a cell says "certificate". A server that greets in plain text "answers, not
    encrypted": a fact, not a recommendation. On a non-standard port the probe tries
    implicit TLS first, so a STARTTLS result there means implicit TLS failed.
    """
    if probe.state == "filtered":
        return {c: Cell("filtered") for c in COLUMNS}
    if probe.state != "open":
        return {c: Cell("fails") for c in COLUMNS}
    cells: dict[Column, Cell] = {c: Cell("not_tried") for c in COLUMNS}
    plain = Cell("unencrypted")
    problem = probe.problem
    if problem == "tls.implicit_on_starttls_port":
        cells |= {"none": plain, "implicit": Cell("fails")}
    elif problem == "tls.plain_on_implicit_port":
        cells |= {"none": Cell("fails"), "starttls": Cell("fails"), "implicit": Cell("works")}
    elif problem in ("tls.starttls_missing", "tls.starttls_failed", "tls.starttls_injection"):
        cells |= {"none": plain, "starttls": Cell("fails")}
    elif probe.mode in ("starttls", "implicit"):
        cells[probe.mode] = _tls_cell(probe, verify_tls)
        if probe.mode == "starttls":
            cells["none"] = plain if probe.greeting else Cell("fails")
            if probe.port not in _EXPECTED:
                cells["implicit"] = Cell("fails")
    elif probe.mode == "none":
        cells["none"] = Cell("fails") if problem else plain
    else:  # nothing usable answered (no greeting, not SMTP, rejected …)
        for column in _EXPECTED.get(probe.port, COLUMNS):
            cells[column] = Cell("fails")
        if probe.port in (25, 587):
            cells["none"] = Cell("fails")
    return cells


def _tls_cell(probe: ProbeFacts, verify_tls: bool) -> Cell:
    tls = probe.tls
    if tls is None or probe.problem:
        return Cell("fails")
    if tls.verified or not verify_tls:
        return Cell("works")
    return Cell("fails", reason="cert")


@dataclass(frozen=True)
class Cell:
    """One matrix cell; ``works``/``of`` count addresses for a ``partly`` cell."""

    state: CellState
    works: int = 0
    of: int = 0
    reason: str | None = None


def matrix_cells(report: Report) -> dict[int, dict[Column, Cell]]:
    """Port → column → cell, over every address of the port; 25/465/587 always present.

    Addresses that disagree (IPv6 broken, one host of a pool down) make a ``partly`` cell
    that says on how many of them it worked."""
    verify = bool(report.settings.get("verify_tls", True))
    by_port: dict[int, list[dict[Column, Cell]]] = {p: [] for p in STANDARD_PORTS}
    for probe in report.probes:
        by_port.setdefault(probe.port, []).append(probe_cells(probe, verify))
    return {
        port: {column: _combine([c[column] for c in by_port[port]]) for column in COLUMNS}
        for port in sorted(by_port)
    }


def _combine(cells: Sequence[Cell]) -> Cell:
    if not cells:
        return Cell("not_tried")
    if len(set(cells)) == 1:
        return cells[0]
    works = sum(c.state == "works" for c in cells)
    if works:
        return Cell("partly", works, len(cells))
    for state in ("fails", "unencrypted", "filtered"):
        found = [c for c in cells if c.state == state]
        if found:
            return found[0]
    return Cell("not_tried")


def cell_label(cell: Cell, lang: str) -> str:
    w = words(lang)
    if cell.state == "partly":
        return w["partly"].format(n=cell.works, m=cell.of)
    if cell.reason == "cert":
        return w["fails_cert"]
    return w[cell.state]


def phase_label(name: str, lang: str) -> str:
    """STARTTLS and the implicit handshake are the same step to a reader: setting up TLS."""
    w = words(lang)
    return w["tls_setup"] if name in ("starttls", "handshake", "tls") else w.get(name, name)


# --- figures -------------------------------------------------------------------------


def phase_figure(report: Report, *, title: bool = True) -> Figure:
    """Waterfall of each conversation's phases in ms: shows whether time went to the
    network (connect), the server (greeting) or TLS, which is where slow or hanging
    settings usually lose it. ``title=False`` when the page shows its own caption."""
    fig = _new_figure(6.4, _phase_height(report))
    _draw_phases(fig, report, title)
    return fig


def matrix_figure(report: Report, *, title: bool = True) -> Figure:
    """Port × encryption grid: the picture that answers "which port should I use"."""
    fig = _new_figure(5.0, _matrix_height(report))
    _draw_matrix(fig, report, title)
    return fig


def report_figure(report: Report) -> Figure:
    """Both charts in one figure (``Report.plot()``)."""
    fig = _new_figure(6.4, _phase_height(report) + _matrix_height(report))
    if not report.probes and report.relay is None:
        _message(fig, words(report.lang)["nothing"])
        return fig
    heights = [_phase_height(report), _matrix_height(report)]
    top, bottom = fig.subfigures(2, 1, squeeze=False, height_ratios=heights)[:, 0]
    _draw_phases(top, report)
    _draw_matrix(bottom, report)
    return fig


def figure_svg(fig: Figure, salt: str = _SALT) -> str:
    """The figure as SVG text for inline embedding, without the XML prolog.

    Byte-stable for a given figure: a fixed ``svg.hashsalt`` makes the element ids
    deterministic and ``Date: None`` drops the timestamp. Text stays text
    (``svg.fonttype: none``): smaller, selectable, searchable. Two figures inlined in one
    page need different ``salt`` values so their clip-path ids cannot collide.
    """
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": salt, "svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    return text[text.index("<svg") :]


def _new_figure(width: float, height: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = _figure_class()(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


@functools.cache
def _figure_class() -> type[Figure]:
    """A Figure that shows itself in Jupyter as SVG without pyplot's global state
    (a bare Figure has no display method of its own unless pyplot is imported)."""
    from matplotlib.figure import Figure

    class ReportFigure(Figure):
        def _repr_svg_(self) -> str:
            return figure_svg(self)

    return ReportFigure


def _message(fig: Figure | SubFigure, text: str) -> None:
    fig.text(0.5, 0.5, text, ha="center", va="center", fontsize=11, parse_math=False)


def _phase_rows(report: Report) -> list[tuple[str, list[tuple[str, float]], str | None]]:
    """(label, [(phase, ms)…], note) per conversation, DNS first on every row."""
    w = words(report.lang)
    dns_ms = _dns_ms(report)
    rows: list[tuple[str, list[tuple[str, float]], str | None]] = []
    for p in report.probes:
        phases = [("dns", dns_ms), *p.timings.items()]
        note = None if p.state == "open" else w.get(p.state, w["no_answer"])
        rows.append((f"{p.port} · {p.address}", phases, note))
    if report.auth.timings:
        phases = [("dns", dns_ms), *report.auth.timings.items()]
        rows.append((f"{w['signin']} · {report.auth.port or ''}", phases, None))
    if report.relay is not None:
        relay = report.relay
        phases = [(k, v) for k, v in relay.timings.items() if k != "tls_unverified"]
        rows.append((f"{w['relay']} · {relay.port}", phases, relay.failed_at))
    return rows


def _dns_ms(report: Report) -> float:
    """The host lookup before connecting; the record lookups run side by side, so the
    slowest address lookup is what a connection waited for."""
    if report.dns is None:
        return 0.0
    looked = [v for k, v in report.dns.timings.items() if k.split(" ")[0] in ("A", "AAAA")]
    return max(looked, default=0.0)


def _phase_height(report: Report) -> float:
    return 1.6 + 0.42 * max(1, len(_phase_rows(report)))


def _matrix_height(report: Report) -> float:
    ports = {*STANDARD_PORTS, *(p.port for p in report.probes)}
    return 1.4 + 0.5 * len(ports)


def _draw_phases(fig: Figure | SubFigure, report: Report, title: bool = True) -> None:
    w = words(report.lang)
    rows = _phase_rows(report)
    if not rows:
        _message(fig, w["nothing"])
        return
    ax: Axes = fig.subplots()
    seen: dict[str, None] = {}
    longest = 0.0
    for y, (_label, phases, note) in enumerate(rows):
        left = 0.0
        for name, ms in phases:
            colour = PHASE_COLOURS.get(name, "#bbbbbb")
            text = phase_label(name, report.lang)
            label = text if text not in seen else None
            seen.setdefault(text, None)
            ax.barh(y, ms, left=left, height=0.6, color=colour, label=label, edgecolor="white")
            left += ms
        longest = max(longest, left)
        text = f"{left:.1f} ms" + (f" — {note}" if note else "")
        ax.text(left, y, "  " + text, va="center", fontsize=8, parse_math=False)
    ax.set_yticks(range(len(rows)), [r[0] for r in rows], fontsize=8, parse_math=False)
    ax.invert_yaxis()
    ax.set_xlim(0, max(longest, 1.0) * 1.35)
    ax.set_xlabel("ms")
    if title:
        ax.set_title(w["phases_title"], fontsize=10, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(fontsize=7, ncols=4, loc="upper center", bbox_to_anchor=(0.5, -0.28), frameon=False)


def _draw_matrix(fig: Figure | SubFigure, report: Report, title: bool = True) -> None:
    from matplotlib.patches import Rectangle

    w = words(report.lang)
    if not report.probes:
        _message(fig, w["nothing"])
        return
    cells = matrix_cells(report)
    ports = list(cells)
    ax: Axes = fig.subplots()
    for y, port in enumerate(ports):
        for x, column in enumerate(COLUMNS):
            cell = cells[port][column]
            hatch = "//" if cell.state == "fails" else None
            ax.add_patch(
                Rectangle(
                    (x, y),
                    1,
                    1,
                    facecolor=CELL_COLOURS[cell.state],
                    edgecolor="white",
                    linewidth=2,
                    hatch=hatch,
                )
            )
            weight = "normal" if cell.state == "not_tried" else "bold"
            ax.text(
                x + 0.5,
                y + 0.5,
                cell_label(cell, report.lang),
                ha="center",
                va="center",
                fontsize=9,
                fontweight=weight,
                parse_math=False,
                bbox={"facecolor": CELL_COLOURS[cell.state], "edgecolor": "none", "pad": 1}
                if hatch
                else None,
            )
    ax.set_xlim(0, len(COLUMNS))
    ax.set_ylim(len(ports), 0)
    ax.set_xticks([x + 0.5 for x in range(len(COLUMNS))], [w[c] for c in COLUMNS], fontsize=8)
    ax.xaxis.tick_top()
    configured = report.settings.get("port")
    ax.set_yticks(
        [y + 0.5 for y in range(len(ports))],
        [f"{w['port']} {p}" + (f"\n({w['yours']})" if p == configured else "") for p in ports],
    )
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if title:
        ax.set_title(w["matrix_title"], fontsize=10, loc="left")
