"""The report as plain text for a terminal: verdict, findings with their fixes, ports."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from emaildiag.model import Finding, ProbeFacts, Report, Severity
from emaildiag.redact import printable

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "verdict": "Verdict",
        "verdict_ok": "Your settings work.",
        "verdict_warning": "Your settings work, with warnings.",
        "verdict_error": "Your settings do not work yet.",
        "fix": "What to fix",
        "passed": "What was checked",
        "ports": "Ports",
        "details": "details",
        "cause": "Most likely cause",
        "works": "Settings seen to work",
        "other": "Also found",
        Severity.ERROR.value: "ERROR",
        Severity.WARNING.value: "WARNING",
        Severity.INFO.value: "ok",
        "ok": "OK",
        "starttls": "STARTTLS",
        "implicit": "SSL/TLS",
        "none": "no encryption",
    },
    "it": {
        "verdict": "Esito",
        "verdict_ok": "Le impostazioni funzionano.",
        "verdict_warning": "Le impostazioni funzionano, con avvisi.",
        "verdict_error": "Le impostazioni non funzionano ancora.",
        "fix": "Cosa correggere",
        "passed": "Cosa è stato verificato",
        "ports": "Porte",
        "details": "dettagli",
        "cause": "Causa più probabile",
        "works": "Impostazioni che funzionano",
        "other": "Altro da sapere",
        Severity.ERROR.value: "ERRORE",
        Severity.WARNING.value: "AVVISO",
        Severity.INFO.value: "ok",
        "ok": "OK",
        "starttls": "STARTTLS",
        "implicit": "SSL/TLS",
        "none": "senza cifratura",
        "open": "aperta",
        "refused": "rifiutata",
        "filtered": "filtrata",
        "unreachable": "irraggiungibile",
        "error": "errore",
    },
}


def render_text(report: Report) -> str:
    w = WORDS.get(report.lang, WORDS["en"])
    verdict = report.verdict
    lines = [
        f"emaildiag {report.version} — {_target(report.settings)}",
        f"{w['verdict']}: {w[verdict].upper()} — {w['verdict_' + verdict]}",
        "",
    ]
    cause = report.root_cause
    if cause is not None:
        lines.append(f"{w['cause']}:")
        lines += _finding_lines(cause, w)
        lines.append("")
    rec = report.recommended
    if rec and rec.get("changed"):
        security = w.get(str(rec.get("security")), str(rec.get("security")))
        lines.append(f"{w['works']}: {rec['host']}, {rec['port']} ({security}), {rec['username']}")
        lines.append("")
    problems = [f for f in report.findings if f.severity is not Severity.INFO and f is not cause]
    passed = [f for f in report.findings if f.severity is Severity.INFO]
    if problems:
        lines.append(f"{w['other'] if cause else w['fix']}:")
        for f in problems:
            lines += _finding_lines(f, w)
        lines.append("")
    if passed:
        lines.append(f"{w['passed']}:")
        lines += [f"  [ok] {f.title}  ({f.code})" for f in passed]
        lines.append("")
    if report.probes:
        lines.append(f"{w['ports']}:")
        lines += [_probe_line(p, w) for p in report.probes]
    return "\n".join(lines).rstrip() + "\n"


def _finding_lines(f: Finding, w: Mapping[str, str]) -> list[str]:
    lines = [f"  [{w[f.severity.value]}] {f.title}  ({f.code})"]
    if f.fix:
        lines.append(f"      → {f.fix}")
    if f.detail:
        lines.append(f"      {w['details']}: {printable(f.detail, 300)}")
    return lines


def _probe_line(p: ProbeFacts, w: Mapping[str, str]) -> str:
    parts = [f"  {p.port:>5} {p.address:<39} {w.get(p.state, p.state)}"]
    if p.mode:
        parts.append(w.get(p.mode, p.mode))
    if p.tls and p.tls.version:
        parts.append(p.tls.version)
    if p.connect_ms is not None:
        parts.append(f"{p.connect_ms:.0f} ms")
    return " ".join(parts)


def _target(settings: Mapping[str, Any]) -> str:
    if settings.get("protocol") == "http":
        return printable(str(settings.get("http_url") or ""))
    return printable(f"{settings.get('host') or ''}:{settings.get('port') or ''}")
