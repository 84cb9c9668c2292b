"""emaildiag: tells you exactly why your app's email settings don't send, and what to change.

    from emaildiag import Settings, diagnose
    report = diagnose(Settings(host="smtp.gmail.com", port=587, username="alice@gmail.com",
                               password=app_password))
    print(report.verdict, [f.code for f in report.findings])

Only light modules load here; pandas, matplotlib, ipywidgets and jinja2 load when a
renderer that needs them is called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

from emaildiag.model import Finding, Report, Severity
from emaildiag.settings import Settings, normalize_settings

if TYPE_CHECKING:
    from emaildiag.batch import adiagnose_many, diagnose_many
    from emaildiag.jobs import CustomCheck, Event
    from emaildiag.runner import adiagnose, diagnose

__all__ = [
    "CustomCheck",
    "Event",
    "Finding",
    "Report",
    "Settings",
    "Severity",
    "__version__",
    "adiagnose",
    "adiagnose_many",
    "diagnose",
    "diagnose_many",
    "normalize_settings",
]

_RUNNER = {"adiagnose", "diagnose", "CustomCheck", "Event"}
_BATCH = {"adiagnose_many", "diagnose_many"}


def __getattr__(name: str) -> Any:
    """The engine (dnspython, ssl, asyncio) loads on first use (PEP 562)."""
    if name in _RUNNER:
        from emaildiag import runner

        return getattr(runner, name)
    if name in _BATCH:
        from emaildiag import batch

        return getattr(batch, name)
    raise AttributeError(f"module 'emaildiag' has no attribute {name!r}")
