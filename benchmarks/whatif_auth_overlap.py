"""What-if, for the performance report in benchmarks/README.md: how fast would the full
diagnosis be if the sign-in did not wait for the configured port's probe to finish?

``python benchmarks/whatif_auth_overlap.py [--rtt 0.05] [--dns-delay S]``

It patches emaildiag's internals **in this process only** (nothing under ``emaildiag/``
is changed) and times the full diagnosis of run.py under each variant:

* A: the sign-in connection is opened together with the configured port's probe (it
  verifies TLS itself, with the same context); the AUTH command still waits for the
  probe's verdict, as now.
* B: A, and a connection's QUIT is sent without waiting for the 221.
* C: B, and no RSET before that QUIT (QUIT ends the transaction: RFC 5321 §4.1.1.10).

A prototype that leans on private names (``runner.auth_flow``, ``Channel.close``): it
may need adjusting when those change. It exists to measure, not to ship.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as bench  # after the path insert: benchmarks/run.py, which puts this checkout first

from emaildiag import runner
from emaildiag.checks import auth as _auth
from emaildiag.checks import wire
from emaildiag.checks.ports import open_session

# patched below, in this process only
auth: Any = _auth
runner_module: Any = runner
Channel: Any = wire.Channel


def overlapping_auth_flow(original: Any) -> Any:
    async def flow(run: Any, s: Any, tasks: Any, ctx: Any, *rest: Any) -> Any:
        early = {
            t.port: asyncio.ensure_future(
                open_session(t, replace(ctx, phases=[]), ctx.verify_context, True)
            )
            for t in tasks
            if t.port == s.port and s.verify_tls
        }
        plain_open = auth.open_session

        async def open_early(target: Any, c: Any, context: Any, verified: bool) -> Any:
            ready = early.pop(target.port, None)
            if ready is not None:
                return await ready
            return await plain_open(target, c, context, verified)

        auth.open_session = open_early
        try:
            return await original(run, s, tasks, ctx, *rest)
        finally:
            auth.open_session = plain_open
            for leftover in early.values():
                leftover.cancel()

    return flow


async def close_without_221(self: wire.Channel) -> None:
    try:
        if not self.writer.is_closing():
            await self.send("QUIT")
    except (OSError, ValueError):
        pass
    self.writer.close()


def command_without_rset(original: Any) -> Any:
    async def command(self: wire.Channel, line: str, timeout: float, **kw: Any) -> wire.Reply:
        if line == "RSET":
            return wire.Reply(250, ("skipped",))
        reply: wire.Reply = await original(self, line, timeout, **kw)
        return reply

    return command


async def measure(eng: bench.Engine, label: str, repeat: int) -> float:
    await eng.run(bench.LOGICAL_PORTS, bench.CONFIGURED)
    times = []
    for _ in range(repeat):
        elapsed, report = await eng.timed_run(bench.LOGICAL_PORTS, bench.CONFIGURED)
        bench.check_working(report, bench.LOGICAL_PORTS, label)
        times.append(elapsed)
    median = statistics.median(times)
    print(f"| {label} | {median * 1000:.0f} ms |", flush=True)
    return median


async def variants(eng: bench.Engine, repeat: int) -> None:
    print("| variant | full diagnosis (median) |\n| --- | ---: |")
    original_flow, original_close, original_command = (
        runner_module.auth_flow,
        Channel.close,
        Channel.command,
    )
    try:
        await measure(eng, "as is", repeat)
        runner_module.auth_flow = overlapping_auth_flow(original_flow)
        await measure(eng, "A: sign-in connection opened with the probe", repeat)
        Channel.close = close_without_221
        await measure(eng, "B: A + QUIT without waiting for 221", repeat)
        Channel.command = command_without_rset(original_command)
        await measure(eng, "C: B + no RSET before QUIT", repeat)
    finally:
        runner_module.auth_flow = original_flow
        Channel.close = original_close
        Channel.command = original_command


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rtt", type=float, default=0.05)
    parser.add_argument("--dns-delay", type=float, default=None, help="default: the RTT")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    dns_delay = args.rtt if args.dns_delay is None else args.dns_delay
    with bench.Servers(args.rtt, "mail.bench.test") as servers:
        asyncio.run(variants(bench.Engine(servers, dns_delay), args.repeat))


if __name__ == "__main__":
    main()
