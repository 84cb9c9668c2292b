"""Batch diagnosis: rows in, one result row each out, under both limits, kept on Ctrl-C.

Real servers on loopback throughout (aiosmtpd with trustme certificates, a StaticResolver
or a UDP DNS server on 127.0.0.1); small inputs. The 1,000-account figures come from
``benchmarks/batch_1000.py``.
"""

from __future__ import annotations

import asyncio
import csv
import gc
import io
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import keyring
import keyring.backend
import pandas as pd
import pytest
from cli_process import ENV, run_cli
from test_credentials import MemoryKeyring  # the in-memory keyring plug-in

from emaildiag.batch import (
    COLUMNS,
    BatchResult,
    adiagnose_many,
    batch_meta,
    diagnose_many,
    diagnose_partition,
    diagnose_rows,
    read_accounts_csv,
    results_frame,
)
from emaildiag.checks.dns import StaticResolver
from emaildiag.credentials import KEYRING_SERVICE, keyring_account
from emaildiag.jobs import CheckContext, CustomCheck
from emaildiag.model import Finding, Report
from emaildiag.settings import Settings
from emaildiag.testing import ServerSpec, SmtpTestServer, TestPKI
from emaildiag.testing.blackhole import BlackholePort
from emaildiag.testing.dns import LoopbackDnsServer
from emaildiag.testing.scripted import scripted_server

HOST, OTHER, DOMAIN = "mail.emaildiag.test", "other.emaildiag.test", "emaildiag.test"
USER, PASSWORD = f"alice@{DOMAIN}", "Batch-Right-Password-1"
RECORDS = {
    (DOMAIN, "MX"): [f"10 {HOST}."],
    (DOMAIN, "TXT"): ["v=spf1 mx -all"],
    (f"_dmarc.{DOMAIN}", "TXT"): ["v=DMARC1; p=reject"],
    (HOST, "A"): ["127.0.0.1"],
    (OTHER, "A"): ["127.0.0.1"],
}


@pytest.fixture(scope="module")
def smtp(pki: TestPKI) -> Iterator[SmtpTestServer]:
    with SmtpTestServer(ServerSpec(mode="starttls", users={USER: PASSWORD}), pki) as server:
        yield server


@pytest.fixture
def options(smtp: SmtpTestServer, pki: TestPKI) -> dict[str, Any]:
    return {
        "ports": [587],
        "port_map": {587: smtp.port},
        "resolver": StaticResolver(RECORDS),
        "ca_file": str(pki.ca_file),
        "timeout": 10.0,
    }


@pytest.fixture
def passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BATCH_PW", PASSWORD)
    monkeypatch.setenv("BATCH_PW_WRONG", "Batch-Wrong-Password-1")
    monkeypatch.delenv("BATCH_PW_UNSET", raising=False)


def account(label: str, **values: Any) -> dict[str, Any]:
    return {"label": label, "host": HOST, "port": 587, "username": USER} | values


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def settle_fds(baseline: int, seconds: float = 3.0) -> int:
    """The open descriptors once closing connections have closed. Server threads close
    their side a moment after the client; and a TLS connection still shutting down when
    its event loop ended is freed only by the garbage collector (``Channel.close`` in
    checks/wire.py does not await ``wait_closed``), so collect before the final count."""
    deadline = time.monotonic() + seconds
    while open_fds() > baseline and time.monotonic() < deadline:
        gc.collect()
        time.sleep(0.05)
    return open_fds()


# --- one row per account --------------------------------------------------------------


@pytest.mark.usefixtures("passwords")
def test_one_row_per_account_and_a_broken_row_loses_nothing(options: dict[str, Any]) -> None:
    accounts = pd.DataFrame(
        [
            account("good", password_env="BATCH_PW"),
            account("wrong", password_env="BATCH_PW_WRONG"),
            account("unset", password_env="BATCH_PW_UNSET"),
            account("no-host", host="", port=""),
            account("odd-flag", password_keyring="maybe"),
            account("no-password"),
        ],
        index=[10, 20, 30, 40, 50, 60],
    )
    before = open_fds()
    df = diagnose_many(accounts, progress=False, **options)
    assert list(df.columns) == list(COLUMNS)
    assert list(df.index) == [10, 20, 30, 40, 50, 60]  # joins back to the input
    assert df.dtypes.to_dict() == batch_meta().dtypes.to_dict()
    rows = df.set_index("label")
    good, wrong = rows.loc["good"], rows.loc["wrong"]
    assert (good.verdict, good.auth, good.state_587) == ("ok", "ok", "open")
    assert pd.isna(good.root_cause) and pd.isna(good.error) and pd.isna(good.state_25)
    assert good.state_configured == "open" and good.host == HOST and good.port == 587
    assert good.cert_days_left > 0 and good.duration_ms > 0
    assert (wrong.verdict, wrong.root_cause, wrong.auth) == ("error", "auth.rejected", "rejected")
    assert "BATCH_PW_UNSET" in rows.loc["unset"].error and pd.isna(rows.loc["unset"].verdict)
    assert rows.loc["unset"].host == HOST  # a broken row still says which account it is
    assert "password_keyring" in rows.loc["odd-flag"].error
    assert rows.loc["no-host"].verdict == "error"
    assert rows.loc["no-host"].root_cause.startswith("settings.")
    assert rows.loc["no-password"].auth == "not_attempted"
    assert PASSWORD not in df.to_csv() and "Batch-Wrong" not in df.to_csv()
    assert settle_fds(before) <= before  # no descriptor left behind


def test_password_column_is_refused_everywhere(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="password_env"):
        diagnose_many(pd.DataFrame([account("a", password=PASSWORD)]))
    with pytest.raises(ValueError, match="password_env"):
        diagnose_rows([account("a", Password=PASSWORD)])
    with pytest.raises(ValueError, match="password_env"):
        diagnose_rows([account("a", password_env="BATCH_PW", password="")])
    with pytest.raises(ValueError, match="password_env"):
        read_accounts_csv(io.StringIO("host, Password \nsmtp.example.com,x\n"))
    path = tmp_path / "accounts.csv"
    path.write_text(f"label,host,username,password\na,{HOST},{USER},{PASSWORD}\n")
    r = run_cli("batch", str(path), "--out", str(tmp_path / "out.csv"))
    assert r.returncode == 2 and "password_env" in r.stderr
    assert PASSWORD not in r.stdout + r.stderr and not (tmp_path / "out.csv").exists()


def test_accounts_csv_reading() -> None:
    text = "\ufeffLabel, HOST ,Port,verify_tls\n\na,smtp.example.com,465,false\nb,h.example,,\n"
    assert read_accounts_csv(io.StringIO(text)) == [
        {"label": "a", "host": "smtp.example.com", "port": "465", "verify_tls": "false"},
        {"label": "b", "host": "h.example", "port": "", "verify_tls": ""},
    ]
    for bad in ("", "label,username\na,b\n", 'host\n"unterminated\n'):
        with pytest.raises(ValueError):
            read_accounts_csv(io.StringIO(bad))


def test_password_from_the_keyring(options: dict[str, Any]) -> None:
    previous, store = keyring.get_keyring(), MemoryKeyring()
    store.set_password(KEYRING_SERVICE, keyring_account(Settings(HOST, 587, USER)), PASSWORD)
    keyring.set_keyring(store)
    try:
        rows = diagnose_rows(
            [
                account("stored", password_keyring="true"),
                account("absent", host=OTHER, password_keyring=True),
            ],
            **options,
        )
    finally:
        keyring.set_keyring(previous)
    assert rows[0]["auth"] == "ok" and rows[0]["error"] is None
    assert rows[1]["verdict"] is None and "keyring" in rows[1]["error"]


async def test_settings_objects_and_results_frame(options: dict[str, Any]) -> None:
    seen: list[tuple[int, str]] = []
    results = await adiagnose_many(
        [Settings(HOST, 587, USER, password=PASSWORD), Settings(HOST, 587, USER, password="no")],
        on_done=lambda i, outcome: seen.append((i, type(outcome).__name__)),
        **options,
    )
    assert [r.label for r in results] == ["1", "2"]
    assert [r.report.auth.result for r in results if r.report] == ["ok", "rejected"]
    assert sorted(seen) == [(0, "Report"), (1, "Report")]
    df = results_frame([*results, BatchResult("3", None, "broken")])
    assert list(df.verdict.astype(object).fillna("-")) == ["ok", "error", "-"]
    assert df.dtypes.to_dict() == batch_meta().dtypes.to_dict()


def test_options_that_would_break_every_row_fail_up_front(tmp_path: Path) -> None:
    not_pem = tmp_path / "ca.pem"
    not_pem.write_text("not a certificate")
    with pytest.raises(ValueError, match="CA file"):
        diagnose_rows([account("a")], ca_file=str(not_pem))
    with pytest.raises(TypeError):
        diagnose_rows([account("a")], no_such_option=1)
    with pytest.raises(ValueError):
        diagnose_rows([account("a")], concurrency=0)


async def test_sync_diagnose_many_inside_a_running_loop(options: dict[str, Any]) -> None:
    asyncio.get_running_loop()  # as in a notebook cell
    df = diagnose_many([account("a")], progress=False, **options)
    assert list(df.verdict) == ["warning"] and list(df.auth) == ["not_attempted"]  # no password


# --- limits ---------------------------------------------------------------------------


def concurrency_probe() -> tuple[CustomCheck, Counter[str], Counter[str]]:
    """A custom check that counts how many diagnoses run at once, per host and in all."""
    now: Counter[str] = Counter()
    peak: Counter[str] = Counter()

    async def run(ctx: CheckContext) -> Sequence[Finding]:
        host = ctx.settings.host
        now[host] += 1
        now["*"] += 1
        peak[host] = max(peak[host], now[host])
        peak["*"] = max(peak["*"], now["*"])
        await asyncio.sleep(0.05)
        now[host] -= 1
        now["*"] -= 1
        return ()

    return CustomCheck("concurrency", run), now, peak


@pytest.mark.parametrize(
    ("concurrency", "per_host", "host_peak", "total_peak"), [(5, 2, 2, 4), (3, 8, 3, 3)]
)
async def test_per_host_and_global_limits_hold(
    options: dict[str, Any], concurrency: int, per_host: int, host_peak: int, total_peak: int
) -> None:
    check, now, peak = concurrency_probe()
    rows = [account(f"a{i}") for i in range(8)] + [account(f"b{i}", host=OTHER) for i in range(8)]
    results = await adiagnose_many(
        rows, concurrency=concurrency, per_host=per_host, checks=[check], **options
    )
    assert len(results) == 16 and all(r.report and r.report.probes for r in results)
    assert peak[HOST] == peak[OTHER] == host_peak  # reached, never passed
    assert peak["*"] == total_peak and now["*"] == 0


# --- progress ---------------------------------------------------------------------------


def test_progress_bar_on_stderr_and_optional(
    options: dict[str, Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    diagnose_rows([account("a"), account("b")], progress=True, **options)
    assert "2/2" in capsys.readouterr().err
    diagnose_rows([account("a")], **options)  # not a terminal: no bar unless asked
    assert capsys.readouterr().err == ""
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # tqdm not installed
    assert len(diagnose_rows([account("a")], progress=True, **options)) == 1


# --- interruption -----------------------------------------------------------------------


@pytest.mark.usefixtures("passwords")
async def test_cancelled_batch_keeps_finished_rows_and_closes_connections(
    options: dict[str, Any],
) -> None:
    """Rows 0-2 finish at once; rows 3-6 wait for a server that never greets. Cancelling
    the batch ends them, closes every connection, and ``on_done`` holds the finished."""
    connected, all_waiting = 0, asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connected
        connected += 1
        if connected == 4:
            all_waiting.set()
        try:
            await reader.read()  # until the client closes
        finally:
            connected -= 1

    async with scripted_server(silent) as silent_port:
        before = open_fds()
        rows = [account(f"fast{i}", password_env="BATCH_PW") for i in range(3)]
        rows += [account(f"slow{i}", host=OTHER, port=silent_port) for i in range(4)]
        finished: dict[int, Report | BaseException] = {}
        all_fast = asyncio.Event()

        def on_done(i: int, outcome: Report | BaseException) -> None:
            finished[i] = outcome
            if len(finished) == 3:
                all_fast.set()

        batch = asyncio.create_task(adiagnose_many(rows, per_host=8, on_done=on_done, **options))
        await asyncio.wait_for(all_fast.wait(), 10)
        await asyncio.wait_for(all_waiting.wait(), 10)  # every slow row awaits its greeting
        batch.cancel()
        with pytest.raises(asyncio.CancelledError):
            await batch
        assert sorted(finished) == [0, 1, 2]
        assert all(isinstance(r, Report) and r.verdict == "ok" for r in finished.values())
        for _ in range(100):
            if connected == 0:
                break
            await asyncio.sleep(0.02)
        assert connected == 0
        assert asyncio.all_tasks() <= {asyncio.current_task()} | _server_tasks()
        assert await asyncio.to_thread(settle_fds, before) <= before


def _server_tasks() -> set[asyncio.Task[Any]]:
    return {t for t in asyncio.all_tasks() if "serve" in repr(t.get_coro())}


# --- the command ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dns() -> Iterator[LoopbackDnsServer]:
    zone = {
        key: [f'"{v}"' if key[1] == "TXT" else v for v in values] for key, values in RECORDS.items()
    }
    with LoopbackDnsServer(zone) as server:
        yield server


def write_accounts(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(
            fh, fieldnames=["label", "host", "port", "username", "password_env"]
        )
        writer.writeheader()
        writer.writerows(rows)
    return path


def cli_args(
    dns: LoopbackDnsServer, pki: TestPKI, port: int, accounts: Path, *extra: str
) -> list[str]:
    return [
        "batch",
        str(accounts),
        "--ports",
        str(port),
        "--dns-server",
        dns.address,
        "--ca-file",
        str(pki.ca_file),
        *extra,
    ]


def read_results(text: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    assert tuple(reader.fieldnames or ()) == COLUMNS
    return list(reader)


def test_cli_batch_writes_one_row_per_account(
    tmp_path: Path, dns: LoopbackDnsServer, smtp: SmtpTestServer, pki: TestPKI
) -> None:
    rows = [
        {"label": "good", "host": HOST, "port": smtp.port, "username": USER, "password_env": "PW"},
        {"label": "bad", "host": HOST, "port": smtp.port, "username": USER, "password_env": "PW2"},
        {"label": "unset", "host": HOST, "port": smtp.port, "username": USER, "password_env": "X"},
    ]
    accounts = write_accounts(tmp_path / "accounts.csv", rows)
    env = ENV | {"PW": PASSWORD, "PW2": "Batch-Wrong-Password-1"}
    out = tmp_path / "results.csv"
    r = run_cli(*cli_args(dns, pki, smtp.port, accounts, "--out", str(out)), env=env)
    assert r.returncode == 1, r.stderr  # one account's password is wrong
    results = {row["label"]: row for row in read_results(out.read_text(encoding="utf-8"))}
    assert list(results) == ["good", "bad", "unset"]
    assert results["good"]["verdict"] == "ok" and results["good"]["auth"] == "ok"
    assert results["good"]["state_configured"] == "open" and results["good"]["error"] == ""
    assert results["bad"]["root_cause"] == "auth.rejected"
    assert results["unset"]["verdict"] == "" and "X" in results["unset"]["error"]
    assert "3 accounts" in r.stderr and r.stdout == ""
    everything = out.read_text(encoding="utf-8") + r.stdout + r.stderr
    assert PASSWORD not in everything and "Batch-Wrong" not in everything
    r = run_cli(*cli_args(dns, pki, smtp.port, accounts, "-q"), env=env)  # CSV on stdout
    assert [row["label"] for row in read_results(r.stdout)] == ["good", "bad", "unset"]


def test_cli_ctrl_c_writes_the_finished_rows_and_exits_130(
    tmp_path: Path, dns: LoopbackDnsServer, smtp: SmtpTestServer, pki: TestPKI
) -> None:
    with BlackholePort() as hang:  # connects there never complete (until 5 s pass)
        base = {"host": HOST, "username": USER, "password_env": "PW"}
        rows = [base | {"label": f"fast{i}", "port": smtp.port} for i in range(2)]
        rows += [base | {"label": f"slow{i}", "host": OTHER, "port": hang} for i in range(3)]
        accounts = write_accounts(tmp_path / "accounts.csv", rows)
        out = tmp_path / "results.csv"
        signed_in = len([a for a in smtp.auth_log if a.success])
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "emaildiag",
                *cli_args(dns, pki, smtp.port, accounts, "--out", str(out)),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=ENV | {"PW": PASSWORD},
        )
        wait_for(lambda: len([a for a in smtp.auth_log if a.success]) >= signed_in + 2, 20)
        time.sleep(0.5)  # the sender check after the sign-in, then the row is done
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=20)
    assert process.returncode == 130, stderr
    assert "interrupted: 2 of 5" in stderr and "Traceback" not in stderr
    results = read_results(out.read_text(encoding="utf-8"))
    assert [(row["label"], row["verdict"]) for row in results] == [("fast0", "ok"), ("fast1", "ok")]


def wait_for(condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_import_stays_light() -> None:
    code = "import emaildiag.batch, sys; print('pandas' in sys.modules, 'tqdm' in sys.modules)"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.stdout.strip() == "False False"


# --- beyond one machine ----------------------------------------------------------------


@pytest.mark.usefixtures("passwords")
def test_dask_map_partitions_on_the_local_scheduler(options: dict[str, Any]) -> None:
    dd = pytest.importorskip("dask.dataframe")
    rows = [account(f"a{i}", password_env="BATCH_PW") for i in range(6)]
    accounts = pd.DataFrame([*rows, account("x", host="")])
    parts = dd.from_pandas(accounts, npartitions=2)
    for scheduler in ("threads", "synchronous"):
        lazy = parts.map_partitions(diagnose_partition, meta=batch_meta(), per_host=2, **options)
        df = lazy.compute(scheduler=scheduler)
        assert list(df.label) == [f"a{i}" for i in range(6)] + ["x"]
        assert list(df.index) == list(accounts.index)
        assert list(df.verdict.astype(str)) == ["ok"] * 6 + ["error"]
        assert df.dtypes.to_dict() == batch_meta().dtypes.to_dict()
