"""The report as pandas DataFrames, for notebooks and for the ``batch`` command.

Every column has an explicit dtype, so a frame built from an empty report has the same
schema as one built from a full one and ``concat`` over many reports does not silently
widen ``Int64`` to ``float64`` or ``string`` to ``object``. Missing values are ``<NA>``
(nullable ``string``, ``Int64``, ``Float64``, ``boolean`` dtypes), never ``None``/``NaN``
mixtures. Severities and verdicts are *ordered* categoricals, so ``df[df.severity >=
"warning"]`` and ``sort_values("severity")`` mean what they say.

Nothing here reads ``report.settings`` beyond host and port: the report holds no
password (see :mod:`emaildiag.model`), and these frames add no other path for one.
Server text (details, problems) is copied as data; :func:`styled` is the only HTML this
module makes, and it always escapes (pandas' Styler does not by default).

pandas is imported inside each function: ``import emaildiag`` must stay light.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Any, get_args

from emaildiag.model import (
    AuthResult,
    Family,
    PortState,
    Report,
    Severity,
    TlsMode,
    Verdict,
)

if TYPE_CHECKING:
    import pandas as pd
    from pandas.io.formats.style import Styler

SEVERITIES: tuple[str, ...] = tuple(s.value for s in sorted(Severity, key=lambda s: s.rank))
VERDICTS: tuple[str, ...] = get_args(Verdict)  # ok < warning < error
PHASES: tuple[str, ...] = ("greeting", "ehlo", "starttls", "handshake", "ehlo_tls")

# Background and text colour per status word. The word itself stays in the cell, so the
# colour is never the only signal (WCAG 1.4.1; GitHub's notebook view drops the CSS).
_STATUS_CSS: dict[str, str] = {
    "info": "background-color: #d4edda; color: #155724",
    "ok": "background-color: #d4edda; color: #155724",
    "warning": "background-color: #fff3cd; color: #664d03",
    "error": "background-color: #f8d7da; color: #721c24",
}
_STATUS_COLUMNS = ("severity", "verdict")


def findings_frame(report: Report) -> pd.DataFrame:
    """One row per finding, in the report's order (the root cause first).

    A row per *finding* rather than per check or per port: the finding is the unit
    the report is built from and the one a user acts on (code, severity, fix), so
    filtering, counting and grouping (``df.groupby("port")``) need no unnesting.
    Per-port facts live in :func:`probes_frame`; join the two on ``port``.

    Columns: ``code`` string, ``severity`` ordered category (info < warning < error),
    ``title`` string, ``fix`` string, ``port`` Int64, ``detail`` string, ``root_cause``
    bool (this row is ``report.root_cause``; at most one row is).
    """
    import pandas as pd

    findings = report.findings
    cause = _root_cause_index(report)
    return pd.DataFrame(
        {
            "code": _strings([f.code for f in findings]),
            "severity": _categories([f.severity.value for f in findings], SEVERITIES, True),
            "title": _strings([f.title for f in findings]),
            "fix": _strings([f.fix for f in findings]),
            "port": pd.Series([f.port for f in findings], dtype=pd.Int64Dtype()),
            "detail": _strings([f.detail for f in findings]),
            "root_cause": pd.Series([i == cause for i in range(len(findings))], dtype=bool),
        }
    )


def probes_frame(report: Report) -> pd.DataFrame:
    """One row per probe: one TCP/SMTP conversation with one address on one port.

    Columns: ``port`` Int64, ``address`` string, ``family`` category (ipv4, ipv6),
    ``state`` category (open, refused, filtered, unreachable, error), ``mode`` category
    (starttls, implicit, none), ``tls_version`` string, ``verified`` boolean,
    ``cert_days_left`` Int64, ``connect_ms`` Float64, one Float64 ``<phase>_ms`` column
    per phase in :data:`PHASES` (``<NA>`` when the conversation never reached it), and
    ``problem`` string (the finding code of what went wrong).
    """
    import pandas as pd

    probes = report.probes
    tls = [p.tls for p in probes]
    certs = [t.certificate if t else None for t in tls]
    columns: dict[str, pd.Series[Any]] = {
        "port": pd.Series([p.port for p in probes], dtype=pd.Int64Dtype()),
        "address": _strings([p.address for p in probes]),
        "family": _categories([p.family for p in probes], get_args(Family)),
        "state": _categories([p.state for p in probes], get_args(PortState)),
        "mode": _categories([p.mode for p in probes], get_args(TlsMode)),
        "tls_version": _strings([t.version if t else None for t in tls]),
        "verified": pd.Series([t.verified if t else None for t in tls], dtype=pd.BooleanDtype()),
        "cert_days_left": pd.Series(
            [c.days_left if c else None for c in certs], dtype=pd.Int64Dtype()
        ),
        "connect_ms": _floats([p.connect_ms for p in probes]),
    }
    for phase in PHASES:
        columns[f"{phase}_ms"] = _floats([p.timings.get(phase) for p in probes])
    columns["problem"] = _strings([p.problem for p in probes])
    return pd.DataFrame(columns)


def batch_frame(reports: Sequence[tuple[str, Report]]) -> pd.DataFrame:
    """One row per ``(label, report)``: the overview for diagnosing many accounts at once.

    Columns: ``label`` string, ``host`` string, ``port`` Int64, ``verdict`` ordered
    category (ok < warning < error), ``root_cause`` string (its code), ``auth`` category
    (the sign-in result), ``errors`` and ``warnings`` int64 (finding counts).
    """
    import pandas as pd

    def count(report: Report, severity: Severity) -> int:
        return sum(f.severity is severity for f in report.findings)

    rows = [report for _, report in reports]
    return pd.DataFrame(
        {
            "label": _strings([label for label, _ in reports]),
            "host": _strings([r.settings.get("host") or None for r in rows]),
            "port": pd.Series([r.settings.get("port") for r in rows], dtype=pd.Int64Dtype()),
            "verdict": _categories([r.verdict for r in rows], VERDICTS, True),
            "root_cause": _strings([r.root_cause.code if r.root_cause else None for r in rows]),
            "auth": _categories([r.auth.result for r in rows], get_args(AuthResult)),
            "errors": pd.Series([count(r, Severity.ERROR) for r in rows], dtype="int64"),
            "warnings": pd.Series([count(r, Severity.WARNING) for r in rows], dtype="int64"),
        }
    )


def styled(df: pd.DataFrame) -> Styler:
    """``df`` as a Styler for notebooks and HTML: status cells coloured, text escaped.

    Every cell and column label is HTML-escaped (``escape="html"``): details and problems
    carry server text, which is attacker-controlled, and the Styler leaves ``<script>``
    as-is unless told otherwise. ``severity`` and ``verdict`` cells get a background
    colour *and* keep their word. The index is hidden; missing values show as empty
    cells. The table id derives from the frame's content, so the same frame gives the
    same bytes and two different tables on one page do not share CSS selectors.
    """
    digest = hashlib.sha256(df.to_csv(index=False).encode("utf-8")).hexdigest()[:12]
    styler = df.style.format(escape="html", na_rep="", precision=1)
    styler = styler.format_index(escape="html", axis="columns")
    styler = styler.hide(axis="index").set_uuid(f"emaildiag-{digest}")
    subset: list[Hashable] = [c for c in _STATUS_COLUMNS if c in df.columns]
    if subset:
        styler = styler.map(_status_css, subset=subset)
    return styler


def _status_css(value: object) -> str:
    return _STATUS_CSS.get(value, "") if isinstance(value, str) else ""


def _root_cause_index(report: Report) -> int | None:
    """Where ``report.root_cause`` sits in ``report.findings``: by identity (the runner
    puts the very object first), else the first equal finding (a rebuilt report)."""
    cause = report.root_cause
    if cause is None:
        return None
    findings = report.findings
    for i, finding in enumerate(findings):
        if finding is cause:
            return i
    return next((i for i, finding in enumerate(findings) if finding == cause), None)


def _strings(values: list[str | None]) -> pd.Series[str]:
    import pandas as pd

    return pd.Series(values, dtype=pd.StringDtype())


def _floats(values: list[float | None]) -> pd.Series[float]:
    import pandas as pd

    return pd.Series(values, dtype=pd.Float64Dtype())


def _categories(
    values: Sequence[str | None], categories: Sequence[str], ordered: bool = False
) -> pd.Series[Any]:
    import pandas as pd

    dtype = pd.CategoricalDtype(list(categories), ordered=ordered)
    return pd.Series(list(values), dtype=dtype)
