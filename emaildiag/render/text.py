"""The report as plain text for a terminal: verdict, findings with fixes, ports, transcript hint."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from emaildiag.model import Report, Severity
from emaildiag.redact import printable

_LABEL = {Severity.ERROR: "ERROR", Severity.WARNING: "WARNING", Severity.INFO: "ok"}
_VERDICT = {
    "en": {
        "ok": "Your settings work.",
        "warning": "Your settings work, with warnings.",
        "error": "Your settings do not work yet.",
    },
    "it": {
        "ok": "Le impostazioni funzionano.",
        "warning": "Le impostazioni funzionano, con avvisi.",
        "error": "Le impostazioni non funzionano ancora.",
    },
}
_HEAD = {
    "en": ("What to fix", "What was checked", "Ports"),
    "it": ("Cosa correggere", "Cosa è stato verificato", "Porte"),
}


def render_text(report: Report) -> str:
    lang = report.lang if report.lang in _VERDICT else "en"
    fix_head, ok_head, port_head = _HEAD[lang]
    s = report.settings
    lines = [
        f"emaildiag {report.version} — {_target(s)}",
        f"Verdict: {report.verdict.upper()} — {_VERDICT[lang][report.verdict]}",
        "",
    ]
    problems = [f for f in report.findings if f.severity is not Severity.INFO]
    passed = [f for f in report.findings if f.severity is Severity.INFO]
    if problems:
        lines.append(f"{fix_head}:")
        for f in problems:
            lines.append(f"  [{_LABEL[f.severity]}] {f.title}  ({f.code})")
            if f.fix:
                lines.append(f"      → {f.fix}")
            if f.detail:
                lines.append(f"      server said: {printable(f.detail, 300)}")
        lines.append("")
    if passed:
        lines.append(f"{ok_head}:")
        lines += [f"  [ok] {f.title}  ({f.code})" for f in passed]
        lines.append("")
    if report.probes:
        lines.append(f"{port_head}:")
        for p in report.probes:
            tls = f" {p.tls.version}" if p.tls and p.tls.version else ""
            ms = f" {p.connect_ms:.0f} ms" if p.connect_ms is not None else ""
            mode = f" {p.mode}" if p.mode else ""
            lines.append(f"  {p.port:>5} {p.address:<39} {p.state}{mode}{tls}{ms}")
    return "\n".join(lines).rstrip() + "\n"


def _target(settings: Mapping[str, Any]) -> str:
    if settings.get("protocol") == "http":
        return printable(str(settings.get("http_url") or ""))
    return printable(f"{settings.get('host') or ''}:{settings.get('port') or ''}")
