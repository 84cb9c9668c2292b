"""Guarded jobs under one deadline, and the progress events they emit.

A job that overruns its own limit (or the overall deadline) is recorded "timed out",
a job that raises is recorded "failed"; either way the run goes on and the report
says which check is missing and why.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, TypeVar

from emaildiag.catalog import make_finding
from emaildiag.model import DnsFacts, Finding, JobOutcome
from emaildiag.redact import NO_SECRETS, Redactor, printable

if TYPE_CHECKING:
    from emaildiag.settings import Settings

log = logging.getLogger("emaildiag")
T = TypeVar("T")
EventKind = Literal["stage", "start", "end", "done"]


@dataclass(frozen=True)
class Event:
    """Progress: ``stage`` (a stage begins), ``start``/``end`` (a job), ``done``."""

    kind: EventKind
    name: str
    state: str | None = None
    elapsed_ms: float = 0.0


@dataclass(frozen=True)
class CheckContext:
    """What a custom check sees: the settings without the password, and DNS facts."""

    settings: Settings
    dns: DnsFacts | None
    lang: str


@dataclass(frozen=True)
class CustomCheck:
    """A check supplied by the caller (an app embedding emaildiag, or a test)."""

    name: str
    run: Callable[[CheckContext], Awaitable[Sequence[Finding]]]
    timeout: float | None = None  # its own limit; the overall deadline applies regardless


@dataclass
class Run:
    """The state of one diagnosis: deadline, findings so far, job outcomes, events."""

    lang: str
    deadline: float
    on_event: Callable[[Event], None] | None
    redact: Redactor = NO_SECRETS
    t0: float = field(default_factory=time.monotonic)
    findings: list[Finding] = field(default_factory=list)
    jobs: list[JobOutcome] = field(default_factory=list)
    deadline_reported: bool = False

    def emit(self, kind: EventKind, name: str, state: str | None = None) -> None:
        if self.on_event is None:
            return
        try:
            self.on_event(Event(kind, name, state, self.elapsed_ms()))
        except Exception:
            log.exception("on_event callback failed")

    def elapsed_ms(self) -> float:
        return round((time.monotonic() - self.t0) * 1000, 1)

    def remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    async def guarded(self, name: str, work: Awaitable[T], budget: float | None = None) -> T | None:
        """Run one job under its own timeout; record how it ended."""
        remaining = self.remaining()
        limit = remaining if budget is None else min(budget, remaining)
        t0 = time.monotonic()
        self.emit("start", name)
        state: Literal["ok", "timed_out", "failed"] = "ok"
        error = None
        result: T | None = None
        try:
            async with asyncio.timeout(limit):
                result = await work
        except TimeoutError:
            state = "timed_out"
            self._timed_out(name, overall=limit >= remaining)
        except Exception as exc:
            state, error = "failed", printable(self.redact(f"{type(exc).__name__}: {exc}"), 300)
            log.debug("check %s failed", name, exc_info=True)
            self.findings.append(
                make_finding("run.check_failed", check=name, lang=self.lang, detail=error)
            )
        self.jobs.append(JobOutcome(name, state, round((time.monotonic() - t0) * 1000, 1), error))
        self.emit("end", name, state)
        return result

    def _timed_out(self, name: str, overall: bool) -> None:
        if overall and not self.deadline_reported:
            self.deadline_reported = True
            seconds = round(self.deadline - self.t0)
            self.findings.append(
                make_finding("run.deadline_reached", seconds=seconds, lang=self.lang)
            )
        self.findings.append(make_finding("run.check_timed_out", check=name, lang=self.lang))
