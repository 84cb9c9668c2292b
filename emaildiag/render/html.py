"""The report as one self-contained HTML file, and as a fragment for notebooks.

The file travels by email to clients and sits in ticket systems, so it must open
anywhere, offline, years later: inline CSS, charts as inline SVG, no script that runs,
and a Content-Security-Policy that makes any stray external reference fail loudly
(reference §3.4). Everything a server said is attacker-controlled, hence Jinja2 with
``autoescape=True``; ``StrictUndefined`` turns a template typo into an error instead of
a silently empty field. The same report always gives the same bytes: the only time in
the file is the report's own ``started_at``.

jinja2 (and matplotlib for the charts) are imported inside the functions: ``import
emaildiag`` must stay light (DESIGN: lazy extras).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from emaildiag.model import Finding, ProbeFacts, Report, Severity, TranscriptLine
from emaildiag.redact import printable
from emaildiag.render.charts import Cell, probe_cells, words

if TYPE_CHECKING:
    import jinja2

REPORT_ID = "emaildiag-report"
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)
SEVERITY_ORDER = (Severity.ERROR, Severity.WARNING, Severity.INFO)
STEPS = (  # finding-code prefix → the step of the diagnosis a reader recognises
    ("settings", ("settings.",)),
    ("dns", ("dns.",)),
    ("connection", ("port.", "smtp.greeting", "smtp.protocol", "http.")),
    ("encryption", ("tls.",)),
    ("signin", ("auth.", "smtp.auth")),
    ("sending", ("send.",)),
)


def render_html(report: Report) -> str:
    """The whole report as one HTML document (``Report.to_html``)."""
    return _environment().get_template("report.html.j2").render(_context(report, full=True))


def render_fragment(report: Report) -> str:
    """The report body for a notebook's ``text/html`` output: no ``<html>``, no CSP, no
    script and no charts (``Report.plot()`` draws them), so it stays small in the
    saved notebook; its CSS is scoped under ``.emaildiag`` so it cannot restyle the page."""
    return _environment().get_template("fragment.html.j2").render(_context(report, full=False))


@functools.cache
def _environment() -> jinja2.Environment:
    """Built once: Jinja2 compiles each template the first time and keeps it."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("emaildiag.render", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["pr"] = _printable
    env.filters["ms"] = _ms
    env.filters["when"] = _when
    return env


def labels(lang: str) -> dict[str, str]:
    """The HTML labels in ``lang`` (English when unknown). They live in
    ``templates/words.html.j2`` with the markup that shows them, in the spirit of
    :data:`emaildiag.render.text.WORDS`."""
    module: Any = _environment().get_template("words.html.j2").module
    table: dict[str, dict[str, str]] = module.WORDS
    return dict(table.get(lang, table["en"]))


def _context(report: Report, *, full: bool) -> dict[str, Any]:
    w = labels(report.lang)
    verify = bool(report.settings.get("verify_tls", True))
    return {
        "r": report,
        "w": w,
        "lang": w["lang"],
        "full": full,
        "csp": CSP,
        "report_id": REPORT_ID,
        "target": _target(report),
        "steps": _steps(report),
        "groups": [
            (s.value, [f for f in report.findings if f.severity is s]) for s in SEVERITY_ORDER
        ],
        "probes": [_probe_view(p, report, verify) for p in report.probes],
        "transcripts": _transcripts(report.transcript),
        "settings_rows": _settings_rows(report.settings, w),
        "charts": _charts(report) if full else {},
        "report_json": _script_json(report.to_dict()) if full else "",
    }


def _printable(value: object, limit: int = 2000) -> str:
    return printable("" if value is None else str(value), limit)


def _when(value: str | None) -> str:
    """An ISO 8601 time as ``2026-11-26 16:04 UTC``: readable, and still the report's
    own value (no clock is read here, so the output stays deterministic)."""
    if not value:
        return "–"
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return _printable(value, 40)
    if moment.utcoffset() == dt.timedelta(0):
        return moment.strftime("%Y-%m-%d %H:%M UTC")
    return moment.strftime("%Y-%m-%d %H:%M %z").strip()


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} ms"


def _target(report: Report) -> str:
    s = report.settings
    if s.get("protocol") == "http":
        return _printable(s.get("http_url") or "", 300)
    return _printable(f"{s.get('host') or '?'}:{s.get('port') or '?'}", 300)


def _steps(report: Report) -> list[tuple[str, str]]:
    """(step, status) for the summary strip: the worst finding of each step, or
    ``skipped`` when the step never ran, so "not checked" is never read as "fine"."""
    ran = {
        "dns": report.dns is not None,
        "connection": bool(report.probes or report.relay),
        "encryption": bool(report.probes or report.relay),
        "signin": report.auth.result not in ("skipped", "not_attempted"),
        "sending": report.send.result != "not_attempted"
        or any(f.code.startswith("send.") for f in report.findings),  # the sender check
    }
    out = []
    for step, prefixes in STEPS:
        found = [f.severity for f in report.findings if f.code.startswith(prefixes)]
        if Severity.ERROR in found:
            status = "error"
        elif not ran.get(step, True):
            status = "skipped"  # e.g. sign-in not tried without a safe channel: not a warning
        else:
            status = max(found, key=lambda s: s.rank).value if found else "info"
        out.append((step, status))
    return out


def _probe_view(probe: ProbeFacts, report: Report, verify: bool) -> dict[str, Any]:
    """A port card: its one-word status first, then the facts a helper asks for."""
    cells = probe_cells(probe, verify)
    mode_cell: Cell | None = cells.get(probe.mode) if probe.mode else None
    if mode_cell is not None and mode_cell.state == "works":
        status = "works"
    elif probe.state == "filtered":
        status = "filtered"
    elif mode_cell is not None and mode_cell.state == "unencrypted" and not probe.problem:
        status = "unencrypted"
    else:
        status = "fails"
    problem = _finding_for(report.findings, probe.problem, probe.port)
    return {
        "p": probe,
        "status": status,
        "problem_title": problem.title if problem else probe.problem,
        "timings": [(words(report.lang).get(k, k), v) for k, v in probe.timings.items()],
        "fingerprint": _fingerprint(probe),
    }


def _finding_for(findings: tuple[Finding, ...], code: str | None, port: int) -> Finding | None:
    if code is None:
        return None
    matches = [f for f in findings if f.code == code]
    return next((f for f in matches if f.port == port), matches[0] if matches else None)


def _fingerprint(probe: ProbeFacts) -> str:
    cert = probe.tls.certificate if probe.tls else None
    if cert is None:
        return ""
    digest = cert.sha256.upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def _transcripts(lines: tuple[TranscriptLine, ...]) -> list[dict[str, Any]]:
    """Lines grouped per port and address (concurrent probes interleave in time), with
    a mark where a new connection to the same place begins."""
    groups: dict[tuple[int, str], list[tuple[str, TranscriptLine]]] = {}
    for line in lines:
        group = groups.setdefault((line.port, line.address), [])
        previous = group[-1][1] if group else None
        new = previous is not None and (
            (previous.direction == "S" and previous.text.startswith("221"))
            or (previous.direction == "C" and previous.text.upper() == "QUIT")
        )
        group.append(("new" if new else "", line))
    return [
        {"port": port, "address": address, "lines": group}
        for (port, address), group in groups.items()
    ]


def _settings_rows(settings: Mapping[str, Any], w: Mapping[str, str]) -> list[tuple[str, str]]:
    rows = []
    for key, value in settings.items():
        if value in ("", None):
            continue
        if isinstance(value, bool):
            value = w["yes"] if value else w["no"]
        rows.append((w.get("set_" + key, key), _printable(value, 500)))
    return rows


def _charts(report: Report) -> dict[str, tuple[str, str]]:
    """``{"matrix"|"phases": (caption, inline SVG)}``; empty when nothing was probed or
    matplotlib is absent (the report still says everything in words)."""
    if not report.probes:
        return {}
    try:
        from emaildiag.render.charts import figure_svg, matrix_figure, phase_figure

        figures = {"matrix": matrix_figure(report, title=False)}
        figures["phases"] = phase_figure(report, title=False)
    except ImportError:  # matplotlib is part of the report extra, but optional
        return {}
    out = {}
    for key, fig in figures.items():
        caption = words(report.lang)[f"{key}_title"]
        svg = figure_svg(fig, salt=f"emaildiag-{key}")
        out[key] = (
            caption,
            svg.replace("<svg ", f'<svg role="img" aria-label="{_attr(caption)}" ', 1),
        )
    return out


def _attr(text: str) -> str:
    import markupsafe

    return str(markupsafe.escape(text))


def _script_json(data: Mapping[str, Any]) -> str:
    """JSON safe inside ``<script type="application/json">``: ``<``, ``>`` and ``&`` as
    ``\\u`` escapes (as Django's ``json_script``), so neither ``</script>`` nor ``<!--``
    in server text can end or bend the element; ``json.loads`` reads it back unchanged."""
    text = json.dumps(data, ensure_ascii=False, indent=1)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
