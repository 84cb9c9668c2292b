"""emaildiag benchmarks: ``python benchmarks/run.py`` (see benchmarks/README.md).

Measures, in one run and on loopback only, behind a latency-injecting proxy:

* (a) a full diagnosis (ports 25/465/587, TLS, one AUTH, the sender check) in process;
* (b) each single-port chain alone (``ports=[p]``, configured port p, same AUTH);
* (c) the same job by hand: one ``swaks`` per port in sequence, and a sequential
  ``smtplib`` script;
* a run with one filtered port and a time limit T (in process, and the CLI end to end);
* ``import emaildiag`` and ``emaildiag --help`` wall time and the modules they import.

Prints a table and, unless ``--no-readme``, writes it into benchmarks/README.md between
the ``results`` markers, with the machine it came from. Exit status 1 when a check that
is measured did not give the expected answer (a benchmark of a failure means nothing).
"""

# ruff: noqa: S603, S607 - a harness that runs fixed commands (swaks, this Python)

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))  # this checkout's emaildiag, whatever is installed

HEAVY = ("pandas", "matplotlib", "ipywidgets", "jinja2")
LOGICAL_PORTS = (25, 465, 587)
CONFIGURED = 587
FILTERED_PORT = 2525  # the logical number of the extra, filtered port
GOALS = {
    "full_over_slowest": 1.15,
    "swaks_over_full": 3.0,
    "filtered_slack": 1.0,
    "startup_ms": 150.0,
}


# ---------------------------------------------------------------- helpers


def median(xs: Sequence[float]) -> float:
    return statistics.median(xs)


def spread(xs: Sequence[float]) -> str:
    return f"{min(xs) * 1000:.0f}–{max(xs) * 1000:.0f}"


def timed(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - t0, result


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("PYTHONSTARTUP", None)
    return env


class BenchError(Exception):
    """A measured run did not do what it should; its time would mean nothing."""


class Servers:
    """benchmarks/servers.py in its own process; ``info`` is what it printed."""

    def __init__(self, rtt: float, host: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "servers.py"), "--rtt", str(rtt), "--host", host],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=child_env(),
            cwd=REPO,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait(5)
            raise BenchError("the benchmark servers did not start")
        self.info: dict[str, Any] = json.loads(line)
        fd, name = tempfile.mkstemp(prefix="emaildiag-bench-", suffix=".json")
        with os.fdopen(fd, "w") as f:
            json.dump(self.info, f)
        self.info_file = name

    def proxy_port(self, port: int) -> int:
        return int(self.info["proxy"][str(port)])

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.unlink(self.info_file)

    def __enter__(self) -> Servers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class DelayedResolver:
    """The StaticResolver's answers, each after ``delay`` seconds: a resolver one RTT away."""

    def __init__(self, inner: Any, delay: float) -> None:
        self.inner, self.delay = inner, delay

    async def resolve(self, name: str, rdtype: str) -> list[str]:
        if self.delay:
            await asyncio.sleep(self.delay)
        return list(await self.inner.resolve(name, rdtype))


def zone(host: str, domain: str) -> dict[tuple[str, str], list[str]]:
    return {
        (host, "A"): ["127.0.0.1"],
        (domain, "MX"): [f"10 {host}."],
        (domain, "TXT"): ["v=spf1 mx -all"],
        (f"_dmarc.{domain}", "TXT"): ["v=DMARC1; p=none"],
    }


# ---------------------------------------------------------------- (a), (b), filtered


class Engine:
    """In-process ``adiagnose`` runs against the proxied servers."""

    def __init__(self, servers: Servers, dns_delay: float) -> None:
        from emaildiag.checks.dns import StaticResolver

        self.info = servers.info
        host = self.info["host"]
        self.domain = self.info["user"].rpartition("@")[2]
        self.resolver = DelayedResolver(StaticResolver(zone(host, self.domain)), dns_delay)
        self.port_map = {p: servers.proxy_port(p) for p in LOGICAL_PORTS}

    def settings(self, port: int) -> dict[str, Any]:
        i = self.info
        return {"host": i["host"], "port": port, "username": i["user"], "password": i["password"]}

    async def run(
        self, ports: Sequence[int], port: int, timeout: float = 20.0, **extra: Any
    ) -> Any:
        from emaildiag.runner import adiagnose

        port_map = dict(self.port_map) | extra.pop("port_map", {})
        return await adiagnose(
            self.settings(port),
            ports=list(ports),
            port_map=port_map,
            resolver=self.resolver,
            ca_file=self.info["ca_file"],
            timeout=timeout,
            **extra,
        )

    async def timed_run(self, ports: Sequence[int], port: int, **kw: Any) -> tuple[float, Any]:
        t0 = time.perf_counter()
        report = await self.run(ports, port, **kw)
        return time.perf_counter() - t0, report


def check_working(report: Any, ports: Sequence[int], what: str) -> None:
    """Everything the run measures must have worked, or its time means nothing."""
    bad = [p.port for p in report.probes if p.state != "open" or p.problem]
    if bad or sorted(p.port for p in report.probes) != sorted(ports):
        raise BenchError(
            f"{what}: probes not all open: {[(p.port, p.state) for p in report.probes]}"
        )
    if report.auth.result != "ok" or report.send.result != "ok":
        raise BenchError(f"{what}: auth {report.auth.result}, sender check {report.send.result}")


def critical_path(report: Any, port: int) -> list[tuple[str, float]]:
    """The conversations on ``port`` as (step, ms), from the report's transcript: each
    command until the last line of its reply, the greetings, and the gaps between."""
    steps: list[tuple[str, float]] = []
    last_t, last_reply, command, sent_t = 0.0, "", "", 0.0
    connections = 0
    for line in (t for t in report.transcript if t.port == port and t.direction in "CS"):
        if line.direction == "C":
            gap = line.t_ms - last_t
            if last_reply == "STARTTLS":
                steps.append(("TLS handshake", gap))
            elif gap >= 2.0:
                steps.append(("(client side)", gap))
            command = "AUTH" if line.text.startswith("AUTH") else line.text.split(" ")[0]
            sent_t = line.t_ms
        elif re.match(r"\d{3}( |$)", line.text):  # the last line of a reply
            if command:
                steps.append((f"{command} → {line.text[:3]}", line.t_ms - sent_t))
            else:
                connections += 1
                what = "DNS, connect, greeting" if connections == 1 else "new connection, greeting"
                steps.append((f"{what} (connection {connections})", line.t_ms - last_t))
            last_reply, command, last_t = command, "", line.t_ms
            if last_reply == "QUIT":
                last_reply = ""
    return steps


async def engine_block(args: argparse.Namespace, servers: Servers) -> dict[str, Any]:
    eng = Engine(servers, args.rtt if args.dns_delay is None else args.dns_delay)
    out: dict[str, Any] = {}
    cold, report = await eng.timed_run(LOGICAL_PORTS, CONFIGURED)  # first run: imports, caches
    check_working(report, LOGICAL_PORTS, "first full run")
    out["cold_full_s"] = cold
    full: list[float] = []
    single: dict[int, list[float]] = {p: [] for p in LOGICAL_PORTS}
    full_reports: list[tuple[float, Any]] = []
    for i in range(args.repeat):
        order = list(LOGICAL_PORTS)
        order = order[i % 3 :] + order[: i % 3]  # spread any drift over all kinds
        elapsed, report = await eng.timed_run(LOGICAL_PORTS, CONFIGURED)
        check_working(report, LOGICAL_PORTS, "full run")
        full.append(elapsed)
        full_reports.append((elapsed, report))
        for p in order:
            elapsed, report = await eng.timed_run([p], p)
            check_working(report, [p], f"single {p}")
            single[p].append(elapsed)
    out["full_s"] = full
    out["single_s"] = {str(p): v for p, v in single.items()}
    med = sorted(full_reports, key=lambda x: x[0])[len(full_reports) // 2][1]
    out["full_jobs_ms"] = {j.name: j.elapsed_ms for j in med.jobs}
    out["full_path"] = critical_path(med, CONFIGURED)
    out["full_probe_timings"] = {str(p.port): dict(p.timings) for p in med.probes}
    out["full_auth_timings"] = dict(med.auth.timings)

    # one filtered port (never answers a connect) with timeout T
    from emaildiag.testing.blackhole import BlackholePort

    filtered: list[float] = []
    with BlackholePort() as hole:
        for _ in range(args.filtered_repeat):
            elapsed, report = await eng.timed_run(
                [*LOGICAL_PORTS, FILTERED_PORT],
                CONFIGURED,
                timeout=args.timeout,
                port_map={FILTERED_PORT: hole},
                port_modes={FILTERED_PORT: "starttls"},
            )
            states = {p.port: p.state for p in report.probes}
            if states.get(FILTERED_PORT) != "filtered" or report.auth.result != "ok":
                raise BenchError(f"filtered run: {states}, auth {report.auth.result}")
            filtered.append(elapsed)
        out["filtered_jobs_ms"] = {j.name: j.elapsed_ms for j in report.jobs}
    out["filtered_s"] = filtered
    return out


# ---------------------------------------------------------------- (c) by hand


def swaks_command(info: dict[str, Any], port: int, proxy_port: int) -> list[str]:
    tls = ["--tls-on-connect"] if info["modes"][str(port)] == "implicit" else ["--tls"]
    return [
        "swaks",
        "--server", "127.0.0.1",
        "--port", str(proxy_port),
        *tls,
        "--tls-verify", "--tls-ca-path", info["ca_file"], "--tls-sni", info["host"],
        "--auth", "PLAIN",
        "--auth-user", info["user"],
        "--auth-password", info["password"],
        "--from", info["user"],
        "--to", info["user"],
        "--helo", "bench",
        "--quit-after", "RCPT",
        "--hide-all",
    ]  # fmt: skip


def swaks_block(args: argparse.Namespace, servers: Servers) -> dict[str, Any]:
    if shutil.which("swaks") is None:
        return {"skipped": "swaks is not installed (apt-get install -y swaks)"}
    info = servers.info
    commands = [swaks_command(info, p, servers.proxy_port(p)) for p in LOGICAL_PORTS]

    def by_hand() -> None:
        for cmd in commands:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
            if done.returncode != 0:
                raise BenchError(f"swaks exited {done.returncode}: {done.stderr[-300:]}")

    by_hand()  # warm the page cache (perl and its modules), as a second try by hand would
    runs = [timed(by_hand)[0] for _ in range(args.repeat)]
    per_port = {
        str(p): median(
            [timed(subprocess.run, c, capture_output=True, check=True)[0] for _ in range(3)]
        )
        for p, c in zip(LOGICAL_PORTS, commands, strict=True)
    }
    version = subprocess.run(["swaks", "--version"], capture_output=True, text=True).stdout
    m = re.search(r"version\s+(\S+)", version)
    return {"seq_s": runs, "per_port_s": per_port, "version": m.group(1) if m else "?"}


def smtplib_block(args: argparse.Namespace, servers: Servers) -> dict[str, Any]:
    cmd = [sys.executable, str(HERE / "by_hand_smtplib.py"), servers.info_file]
    walls, inners = [], []
    for i in range(args.repeat + 1):
        wall, done = timed(lambda: subprocess.run(cmd, capture_output=True, text=True, timeout=120))
        if done.returncode != 0:
            raise BenchError(f"smtplib script failed: {done.stderr[-500:]}")
        result = json.loads(done.stdout)
        if any(not r.endswith("250") for r in result["results"]):
            raise BenchError(f"smtplib script: {result['results']}")
        if i:  # the first one warms the page cache
            walls.append(wall)
            inners.append(result["inner_s"])
    return {"wall_s": walls, "inner_s": inners}


# ---------------------------------------------------------------- the CLI, end to end


def cli_filtered_block(args: argparse.Namespace, servers: Servers) -> dict[str, Any]:
    """``emaildiag check --timeout T`` with one filtered port, timed as a user waits for
    it: interpreter start to exit. The host is 127.0.0.1, so the ports are the proxies'
    own numbers (detected, not mapped); DNS for the sender's domain is a loopback server."""
    from emaildiag.testing.blackhole import BlackholePort
    from emaildiag.testing.dns import LoopbackDnsServer

    info = servers.info
    domain = info["user"].rpartition("@")[2]
    p465, p587 = servers.proxy_port(465), servers.proxy_port(587)
    walls, reports = [], []
    with LoopbackDnsServer(zone(info["host"], domain)) as dns, BlackholePort() as hole:
        cmd = [
            sys.executable, "-m", "emaildiag", "check",
            "--host", "127.0.0.1", "--port", str(p587),
            "--ports", f"{p465},{p587},{hole}",
            "--username", info["user"], "--password-env", "EMAILDIAG_BENCH_PASSWORD",
            "--ca-file", info["ca_file"], "--dns-server", dns.address,
            "--timeout", str(args.timeout), "--json", "-", "-q",
        ]  # fmt: skip
        env = child_env() | {"EMAILDIAG_BENCH_PASSWORD": info["password"]}
        for _ in range(args.filtered_repeat):
            wall, done = timed(
                lambda: subprocess.run(
                    cmd, capture_output=True, text=True, env=env, cwd=REPO, timeout=60
                )
            )
            if done.returncode not in (0, 1):
                raise BenchError(f"emaildiag check exited {done.returncode}: {done.stderr[-500:]}")
            report = json.loads(done.stdout)
            states = {p["port"]: p["state"] for p in report["probes"]}
            if states.get(hole) != "filtered" or report["auth"]["result"] != "ok":
                raise BenchError(f"CLI filtered run: {states}, auth {report['auth']['result']}")
            walls.append(wall)
            reports.append(report)
    return {
        "wall_s": walls,
        "duration_ms": [r["duration_ms"] for r in reports],
        "jobs_ms": {j["name"]: j["elapsed_ms"] for j in reports[-1]["jobs"]},
    }


# ---------------------------------------------------------------- start-up


def _importtime(argv: list[str]) -> dict[str, tuple[int, int, int]]:
    """module → (self µs, cumulative µs, depth) from ``python -X importtime``."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *argv],
        capture_output=True,
        text=True,
        env=child_env(),
        cwd=REPO,
    )
    found: dict[str, tuple[int, int, int]] = {}
    for line in done.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if m:
            found[m.group(4)] = (int(m.group(1)), int(m.group(2)), len(m.group(3)))
    return found


def _installed(top: str) -> bool:
    """``-X importtime`` also lists imports that failed (``copy`` tries ``org.python``)."""
    import importlib.util

    return importlib.util.find_spec(top) is not None


def startup_block(args: argparse.Namespace) -> dict[str, Any]:
    cases = {
        "python -c pass": ["-c", "pass"],
        "import emaildiag": ["-c", "import emaildiag"],
        "emaildiag --help": ["-m", "emaildiag", "--help"],
    }
    walls: dict[str, list[float]] = {k: [] for k in cases}
    for argv in cases.values():  # warm the page cache
        subprocess.run([sys.executable, *argv], capture_output=True, env=child_env(), cwd=REPO)
    for _ in range(args.startup_repeat):
        for k, argv in cases.items():
            wall, done = timed(
                subprocess.run,
                [sys.executable, *argv],
                capture_output=True,
                env=child_env(),
                cwd=REPO,
            )
            if done.returncode != 0:
                raise BenchError(f"{k} exited {done.returncode}")
            walls[k].append(wall)
    base = _importtime(["-c", "pass"])
    modules: dict[str, Any] = {}
    for k in ("import emaildiag", "emaildiag --help"):
        found = _importtime(cases[k])
        own = {m: v for m, v in found.items() if m not in base}
        tops = sorted({m.split(".")[0] for m in own})
        slowest = sorted(own.items(), key=lambda kv: -kv[1][0])[:6]
        modules[k] = {
            "count": len(own),
            "import_ms": round(sum(v[0] for v in own.values()) / 1000, 1),
            "heavy": [m for m in tops if m in HEAVY],
            "packages": [t for t in tops if t not in sys.stdlib_module_names and _installed(t)],
            "slowest_self_ms": [(m, round(v[0] / 1000, 1)) for m, v in slowest],
        }
    return {"wall_s": walls, "modules": modules}


# ---------------------------------------------------------------- report


def machine() -> dict[str, str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    swaks = shutil.which("swaks")
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": str(os.cpu_count()),
        "cpu": cpu,
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "swaks": "yes" if swaks else "not installed",
    }


def ms(x: float) -> str:
    return f"{x * 1000:.0f} ms"


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def summarize(r: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    e = r["engine"]
    full = median(e["full_s"])
    singles = {p: median(v) for p, v in e["single_s"].items()}
    slowest_port = max(singles, key=lambda p: singles[p])
    s: dict[str, Any] = {
        "full": full,
        "singles": singles,
        "slowest_port": slowest_port,
        "full_over_slowest": full / singles[slowest_port],
        "filtered": median(e["filtered_s"]),
        "filtered_max": max(e["filtered_s"]),
    }
    if "seq_s" in r["swaks"]:
        s["swaks"] = median(r["swaks"]["seq_s"])
        s["swaks_over_full"] = s["swaks"] / full
    s["smtplib_wall"] = median(r["smtplib"]["wall_s"])
    s["smtplib_inner"] = median(r["smtplib"]["inner_s"])
    if "wall_s" in r.get("cli_filtered", {}):
        s["cli_filtered"] = median(r["cli_filtered"]["wall_s"])
        s["cli_filtered_max"] = max(r["cli_filtered"]["wall_s"])
    st = r["startup"]["wall_s"]
    s["startup"] = {k: median(v) for k, v in st.items()}
    return s


def render(r: dict[str, Any], s: dict[str, Any], args: argparse.Namespace) -> str:
    e, m = r["engine"], r["machine"]
    rtt_ms = args.rtt * 1000
    n = args.repeat
    out = [
        f"Machine: {m['cpus']} CPUs, {m['cpu']}; Python {m['python']}; {m['os']}; "
        f"swaks {r['swaks'].get('version', m['swaks'])}; {m['date']}.",
        f"Proxy RTT {rtt_ms:.0f} ms (TCP handshake modelled), DNS answers after "
        f"{(args.rtt if args.dns_delay is None else args.dns_delay) * 1000:.0f} ms; "
        f"median of {n} runs (range: min–max); T = {args.timeout:g} s.",
        "",
        "| measurement | median | range (ms) | RTTs |",
        "| --- | ---: | ---: | ---: |",
    ]

    def row(name: str, xs: Sequence[float]) -> None:
        x = median(xs)
        rtts = f"{x / args.rtt:.1f}" if args.rtt else "–"
        out.append(f"| {name} | {ms(x)} | {spread(xs)} | {rtts} |")

    row("(a) full diagnosis: 25+465+587, TLS, AUTH, sender check", e["full_s"])
    for p in LOGICAL_PORTS:
        row(
            f"(b) single chain: port {p} alone (probe + AUTH + sender check)", e["single_s"][str(p)]
        )
    if "seq_s" in r["swaks"]:
        row("(c) by hand: swaks 25, then 465, then 587", r["swaks"]["seq_s"])
        per = ", ".join(f"{p}: {ms(v)}" for p, v in r["swaks"]["per_port_s"].items())
        out.append(f"| &nbsp;&nbsp;one swaks run each ({per}) | | | |")
    else:
        out.append(f"| (c) by hand: swaks | skipped: {r['swaks']['skipped']} | | |")
    row("(c) by hand: smtplib script, sequential (process start to exit)", r["smtplib"]["wall_s"])
    row("&nbsp;&nbsp;the same script, its own time (no interpreter start)", r["smtplib"]["inner_s"])
    row(f"filtered extra port, `timeout={args.timeout:g}` (in process)", e["filtered_s"])
    if "wall_s" in r.get("cli_filtered", {}):
        row(f"filtered extra port, `emaildiag check --timeout {args.timeout:g}` (CLI, end to end)",
            r["cli_filtered"]["wall_s"])  # fmt: skip
    cold = ms(e["cold_full_s"])
    out.append(
        f"| first full run in a fresh process (cold: lazy imports, TLS setup) | {cold} | | |"
    )
    for k, v in r["startup"]["wall_s"].items():
        out.append(f"| `{k}` (process wall, {len(v)} runs) | {ms(median(v))} | {spread(v)} | |")
    out += ["", "| goal | figure | result |", "| --- | ---: | --- |"]
    g = GOALS
    out.append(
        f"| full ÷ slowest single chain (port {s['slowest_port']}) ≤ {g['full_over_slowest']} "
        f"| {s['full_over_slowest']:.2f} "
        f"| {verdict(s['full_over_slowest'] <= g['full_over_slowest'])} |"
    )
    if "swaks_over_full" in s:
        out.append(
            f"| swaks-by-hand ÷ full ≥ {g['swaks_over_full']:g} | {s['swaks_over_full']:.2f} "
            f"| {verdict(s['swaks_over_full'] >= g['swaks_over_full'])} |"
        )
    out.append(f"| smtplib script ÷ full (for reference) | {s['smtplib_wall'] / s['full']:.2f} | |")
    limit = args.timeout + g["filtered_slack"]
    out.append(
        f"| filtered port, in process: slowest of {len(e['filtered_s'])} ≤ T + 1 s = {limit:g} s "
        f"| {s['filtered_max']:.2f} s | {verdict(s['filtered_max'] <= limit)} |"
    )
    if "cli_filtered" in s:
        out.append(
            f"| filtered port, CLI end to end: slowest ≤ {limit:g} s "
            f"| {s['cli_filtered_max']:.2f} s "
            f"| {verdict(s['cli_filtered_max'] <= limit)} |"
        )
    base = s["startup"]["python -c pass"]
    for k in ("import emaildiag", "emaildiag --help"):
        mod = r["startup"]["modules"][k]
        wall = s["startup"][k]
        heavy = ", ".join(mod["heavy"]) or "none"
        out.append(
            f"| `{k}` ≤ {g['startup_ms']:.0f} ms, no {'/'.join(HEAVY)} | {ms(wall)} "
            f"({ms(wall - base)} over `python -c pass`); heavy modules: {heavy} "
            f"| {verdict(wall * 1000 <= g['startup_ms'] and not mod['heavy'])} |"
        )
    out += ["", "Modules imported beyond a bare interpreter:", ""]
    for k, mod in r["startup"]["modules"].items():
        slow = ", ".join(f"{name} {t} ms" for name, t in mod["slowest_self_ms"])
        out.append(
            f"* `{k}`: {mod['count']} modules, {mod['import_ms']} ms of import time "
            f"(`-X importtime`, self times); third-party packages: "
            f"{', '.join(mod['packages']) or 'none'}; slowest: {slow}."
        )
    out += [
        "",
        f"Where the full run's time goes (port {CONFIGURED}, the configured port, from the "
        "median run's transcript):",
        "",
        "| step | ms | RTTs |",
        "| --- | ---: | ---: |",
    ]
    for step, t in e["full_path"]:
        rtts = f"{t / rtt_ms:.1f}" if rtt_ms else "–"
        out.append(f"| {step} | {t:.0f} | {rtts} |")
    jobs = ", ".join(f"{k} {v:.0f} ms" for k, v in e["full_jobs_ms"].items())
    out += ["", f"Jobs of that run (elapsed): {jobs}."]
    return "\n".join(out)


def sweep_block(args: argparse.Namespace) -> str:
    """Full run, slowest single chain and swaks-by-hand at several RTTs (fewer repeats)."""
    lines = [
        f"RTT sweep (median of {args.sweep_repeat} runs each; DNS delay = RTT):",
        "",
        "| RTT | full | slowest single | swaks by hand | full ÷ slowest | swaks ÷ full |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for rtt in args.sweep:
        sub = argparse.Namespace(**(vars(args) | {"rtt": rtt, "dns_delay": rtt}))
        with Servers(rtt, args.host) as servers:
            eng = Engine(servers, rtt)

            async def measure(
                eng: Engine = eng, repeat: int = args.sweep_repeat
            ) -> tuple[list[float], dict[int, list[float]]]:
                await eng.run(LOGICAL_PORTS, CONFIGURED)
                full: list[float] = []
                single: dict[int, list[float]] = {p: [] for p in LOGICAL_PORTS}
                for _ in range(repeat):
                    t, rep = await eng.timed_run(LOGICAL_PORTS, CONFIGURED)
                    check_working(rep, LOGICAL_PORTS, "sweep full")
                    full.append(t)
                    for p in LOGICAL_PORTS:
                        t, rep = await eng.timed_run([p], p)
                        check_working(rep, [p], "sweep single")
                        single[p].append(t)
                return full, single

            full, single = asyncio.run(measure())
            sub.repeat = sub.sweep_repeat
            sw = swaks_block(sub, servers)
        f = median(full)
        slow = max(median(v) for v in single.values())
        if "seq_s" in sw:
            w = median(sw["seq_s"])
            sw_cells = f"{ms(w)} | {f / slow:.2f} | {w / f:.2f}"
        else:
            sw_cells = f"– | {f / slow:.2f} | –"
        lines.append(f"| {rtt * 1000:.0f} ms | {ms(f)} | {ms(slow)} | {sw_cells} |")
        print(lines[-1], flush=True)
    return "\n".join(lines)


def write_readme(section: str, text: str) -> None:
    path = HERE / "README.md"
    readme = path.read_text()
    start, end = f"<!-- results:{section} -->", f"<!-- /results:{section} -->"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    if not pattern.search(readme):
        raise SystemExit(f"benchmarks/README.md has no {start} … {end} markers")
    path.write_text(pattern.sub(lambda _: f"{start}\n{text}\n{end}", readme))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rtt", type=float, default=0.05, help="round-trip time, s (0.05)")
    parser.add_argument(
        "--dns-delay", type=float, default=None, help="seconds per DNS answer (default: the RTT)"
    )
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (5)")
    parser.add_argument("--timeout", type=float, default=3.0, help="T for the filtered run (3)")
    parser.add_argument("--filtered-repeat", type=int, default=3)
    parser.add_argument("--startup-repeat", type=int, default=10)
    parser.add_argument("--host", default="mail.bench.test")
    parser.add_argument(
        "--sweep",
        type=lambda v: [float(x) for x in v.split(",")],
        default=None,
        help="also measure at these RTTs, e.g. 0,0.01,0.05,0.1 (README's sweep section)",
    )
    parser.add_argument("--sweep-repeat", type=int, default=3)
    parser.add_argument("--no-readme", action="store_true", help="print only")
    parser.add_argument("--json", type=Path, default=None, help="also write the raw figures here")
    args = parser.parse_args(argv)

    results: dict[str, Any] = {
        "machine": machine(),
        "args": {k: v for k, v in vars(args).items() if k != "json"},
    }
    try:
        with Servers(args.rtt, args.host) as servers:
            print("full and single-port runs, filtered port …", file=sys.stderr, flush=True)
            results["engine"] = asyncio.run(engine_block(args, servers))
            print("swaks by hand …", file=sys.stderr, flush=True)
            results["swaks"] = swaks_block(args, servers)
            print("smtplib script …", file=sys.stderr, flush=True)
            results["smtplib"] = smtplib_block(args, servers)
            print("CLI with a filtered port …", file=sys.stderr, flush=True)
            results["cli_filtered"] = cli_filtered_block(args, servers)
        print("start-up …", file=sys.stderr, flush=True)
        results["startup"] = startup_block(args)
        summary = summarize(results, args)
        table = render(results, summary, args)
        print(table)
        if not args.no_readme:
            write_readme("main", table)
        if args.sweep:
            print("RTT sweep …", file=sys.stderr, flush=True)
            sweep = sweep_block(args)
            print(sweep)
            if not args.no_readme:
                write_readme("sweep", sweep)
    except BenchError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    if args.json:
        args.json.write_text(json.dumps(results | {"summary": summary}, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
