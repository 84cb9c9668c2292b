"""The shape of one catalogue entry (kept apart so the data module imports nothing else)."""

from __future__ import annotations

from dataclasses import dataclass, field

from emaildiag.model import Severity


@dataclass(frozen=True)
class Entry:
    """One stable finding code.

    ``title`` and ``fix`` map a language code (``"en"``, ``"it"``) to a text that
    may hold ``{placeholders}`` (``{host}``, ``{port}``, ``{provider}``, …) filled in
    when the finding is raised. ``also`` lists the other severities the code may be
    raised with (for example ``port.refused`` is an error on the configured port).
    """

    severity: Severity
    title: dict[str, str]
    fix: dict[str, str] = field(default_factory=dict)
    also: tuple[Severity, ...] = ()
