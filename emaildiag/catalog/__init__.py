"""The finding catalogue: stable codes, their severity and their texts, as data.

Code raises findings only through :func:`make_finding`, so every code in a report
is guaranteed to be in the catalogue (an unknown code is a programming error and
raises ``KeyError``).
"""

from __future__ import annotations

import string
from collections.abc import Mapping

from emaildiag.catalog.entry import Entry
from emaildiag.catalog.findings import FINDINGS
from emaildiag.model import Finding, Severity

__all__ = ["FINDINGS", "LANGUAGES", "RAISED", "Entry", "make_finding", "placeholders", "translate"]

LANGUAGES = ("en", "it")

RAISED: set[str] = set()
"""Every code this process has raised: bounded by the catalogue's size. The test suite
checks after a full run that each catalogue code was raised at least once."""


class _Params(dict[str, str]):
    """Missing placeholders render visibly instead of raising mid-diagnosis."""

    def __missing__(self, key: str) -> str:
        return "…"


def _text(texts: Mapping[str, str], lang: str, params: Mapping[str, str]) -> str | None:
    template = texts.get(lang) or texts.get("en")
    if template is None:
        return None
    return template.format_map(_Params(params))


def make_finding(
    code: str,
    /,
    *,
    lang: str = "en",
    severity: Severity | None = None,
    port: int | None = None,
    detail: str | None = None,
    **params: object,
) -> Finding:
    """Build the finding for ``code`` with its texts filled in.

    ``severity`` may only be the catalogue's default or one of its ``also`` values.
    """
    entry = FINDINGS[code]
    RAISED.add(code)
    sev = severity or entry.severity
    if sev is not entry.severity and sev not in entry.also:
        raise ValueError(f"{code} cannot be raised as {sev.value}")
    values = {k: str(v) for k, v in params.items()}
    if port is not None:
        values.setdefault("port", str(port))
    title = _text(entry.title, lang, values) or code
    return Finding(
        code=code,
        severity=sev,
        title=title,
        fix=_text(entry.fix, lang, values),
        port=port,
        detail=detail,
        params=values,
    )


def translate(finding: Finding, lang: str) -> Finding:
    """The same finding with its title and fix in ``lang``."""
    entry = FINDINGS[finding.code]
    return Finding(
        code=finding.code,
        severity=finding.severity,
        title=_text(entry.title, lang, finding.params) or finding.code,
        fix=_text(entry.fix, lang, finding.params),
        port=finding.port,
        detail=finding.detail,
        params=finding.params,
    )


def placeholders(entry: Entry) -> set[str]:
    """Every ``{name}`` used by any text of ``entry``."""
    names: set[str] = set()
    for texts in (entry.title, entry.fix):
        for template in texts.values():
            names.update(f for _, f, _, _ in string.Formatter().parse(template) if f)
    return names
