"""Runner: deadlines, guarded jobs, events, and the sync API inside and outside a loop."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from emaildiag import CustomCheck, Settings, adiagnose, diagnose
from emaildiag.catalog import make_finding
from emaildiag.checks.dns import StaticResolver
from emaildiag.jobs import CheckContext, Event
from emaildiag.model import Finding

NO_DNS = StaticResolver({})


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _settings(**kw: object) -> Settings:
    values: dict[str, object] = {
        "host": "127.0.0.1",
        "port": _closed_port(),
        "username": "alice@example.com",
    }
    return Settings(**(values | kw))  # type: ignore[arg-type]


async def _sleep_forever(ctx: CheckContext) -> Sequence[Finding]:
    await asyncio.Event().wait()
    return []


async def _crash(ctx: CheckContext) -> Sequence[Finding]:
    raise RuntimeError("a bug in a check")


async def _ok(ctx: CheckContext) -> Sequence[Finding]:
    assert ctx.settings.password == ""  # custom checks never see the password
    return [make_finding("dns.dmarc_missing", domain="example.com")]


async def test_a_job_that_sleeps_forever_is_timed_out_within_the_deadline() -> None:
    s = _settings()
    t0 = time.monotonic()
    report = await adiagnose(
        s,
        timeout=2.0,
        ports=[s.port or 0],
        resolver=NO_DNS,
        checks=[CustomCheck("forever", _sleep_forever), CustomCheck("fine", _ok)],
    )
    elapsed = time.monotonic() - t0
    assert elapsed < 2.0 + 0.5
    jobs = {j.name: j.state for j in report.jobs}
    assert jobs["forever"] == "timed_out"
    assert jobs["fine"] == "ok"
    assert {"run.check_timed_out", "run.deadline_reached"} <= set(report.codes())
    assert "dns.dmarc_missing" in report.codes()
    # the port probe still ran and reported the closed configured port
    assert any(f.code == "port.refused" and f.severity.value == "error" for f in report.findings)


async def test_a_job_over_its_own_limit_times_out_before_the_deadline() -> None:
    t0 = time.monotonic()
    report = await adiagnose(
        _settings(),
        timeout=20.0,
        ports=[],
        resolver=NO_DNS,
        checks=[CustomCheck("slow", _sleep_forever, timeout=0.5)],
    )
    assert time.monotonic() - t0 < 3.0
    assert "run.check_timed_out" in report.codes()
    assert "run.deadline_reached" not in report.codes()


async def test_a_crashing_job_is_reported_failed_and_the_rest_stands() -> None:
    report = await adiagnose(
        _settings(), timeout=5.0, ports=[], resolver=NO_DNS, checks=[CustomCheck("buggy", _crash)]
    )
    jobs = {j.name: j for j in report.jobs}
    assert jobs["buggy"].state == "failed"
    assert "RuntimeError" in (jobs["buggy"].error or "")
    assert "run.check_failed" in report.codes()
    assert "port.refused" in report.codes()


async def test_events_report_stages_and_jobs_in_order() -> None:
    events: list[Event] = []
    await adiagnose(_settings(), timeout=5.0, ports=[], resolver=NO_DNS, on_event=events.append)
    kinds = [(e.kind, e.name) for e in events]
    assert kinds[0] == ("stage", "settings")
    assert ("stage", "dns") in kinds and ("stage", "connect") in kinds
    assert kinds[-1] == ("done", "diagnosis")
    starts = {e.name for e in events if e.kind == "start"}
    ends = {e.name for e in events if e.kind == "end"}
    assert starts == ends and "dns" in starts


async def test_a_broken_progress_callback_does_not_break_the_run() -> None:
    def explode(event: Event) -> None:
        raise ValueError("progress bar bug")

    report = await adiagnose(_settings(), timeout=5.0, ports=[], resolver=NO_DNS, on_event=explode)
    assert "port.refused" in report.codes()


async def test_settings_errors_stop_before_any_network_use() -> None:
    events: list[Event] = []
    report = await adiagnose(
        {"host": "smtp.gmail.com:587", "username": "alice"}, on_event=events.append
    )
    assert {"settings.host_normalized", "settings.email_required"} <= set(report.codes())
    assert report.verdict == "error"
    assert report.probes == () and report.jobs == ()
    assert ("stage", "dns") not in [(e.kind, e.name) for e in events]


def test_diagnose_in_a_plain_script() -> None:
    report = diagnose(_settings(), timeout=5.0, ports=[], resolver=NO_DNS)
    assert "port.refused" in report.codes()


async def test_diagnose_inside_a_running_loop_like_jupyter() -> None:
    asyncio.get_running_loop()  # a loop is running here, as in a notebook cell
    report = diagnose(_settings(), timeout=5.0, ports=[], resolver=NO_DNS)
    assert "port.refused" in report.codes()
