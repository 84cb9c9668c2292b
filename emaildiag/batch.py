"""Diagnose many accounts at once: ``emaildiag batch``, :func:`diagnose_many` and Dask.

One row per account in, one row per account out (:data:`COLUMNS`): verdict, root cause
code, provider, per-port state, sign-in result, certificate days left, duration. Input
rows carry the settings fields (:data:`INPUT_COLUMNS`) and say where the password is:
``password_env`` names an environment variable, ``password_keyring`` (true/false) takes
it from the OS keyring. A ``password`` column is refused: a spreadsheet of plaintext
passwords is exactly what SPEC §1 forbids, and no output here ever holds one.

Politeness: at most ``concurrency`` diagnoses run at once, and at most ``per_host``
against one server host. A row waits for its host's slot *before* taking a global one,
so a thousand rows for one provider never hold every global slot while they queue.

Interruption: Ctrl-C (or cancelling :func:`adiagnose_many`) stops the diagnoses still
running and closes their connections; rows that finished are kept (``on_done`` has seen
them; the sync functions raise :class:`BatchInterrupted` carrying them, the CLI writes
them to ``--out`` and exits 130).

Beyond one machine: :func:`diagnose_partition` is a pure function of a pandas partition,
so Dask spreads a large batch over a cluster::

    import dask.dataframe as dd
    from emaildiag.batch import batch_meta, diagnose_partition

    accounts = dd.read_csv("accounts-*.csv", dtype=str)
    results = accounts.map_partitions(diagnose_partition, meta=batch_meta(), timeout=20)
    results.to_csv("results-*.csv", index=False)  # or results.compute()

The limits hold per partition: with P partitions diagnosed at once, one host sees at
most ``P * per_host`` sessions, so lower ``per_host`` accordingly. ``password_env``
and ``password_keyring`` are read on the worker, which must hold those secrets; options
travel to workers by pickle (a :class:`~emaildiag.checks.dns.StaticResolver` does).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import csv
import dataclasses
import inspect
import logging
import math
import sys
import threading
import urllib.parse
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any, NamedTuple, get_args

from emaildiag.accounts_csv import (
    UnreadableRow,
    check_columns,
    column_name,
    read_accounts_csv,
)
from emaildiag.model import AuthResult, PortState, Report, Verdict
from emaildiag.redact import Redactor, printable
from emaildiag.settings import Settings, normalize_settings

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "COLUMNS",
    "INPUT_COLUMNS",
    "BatchInterrupted",
    "BatchResult",
    "UnreadableRow",
    "adiagnose_many",
    "batch_meta",
    "diagnose_many",
    "diagnose_partition",
    "diagnose_rows",
    "read_accounts_csv",
    "results_frame",
    "write_results_csv",
]

log = logging.getLogger("emaildiag")

SETTINGS_COLUMNS = tuple(f.name for f in dataclasses.fields(Settings) if f.name != "password")
INPUT_COLUMNS = ("label", *SETTINGS_COLUMNS, "password_env", "password_keyring")
STATE_PORTS = (25, 465, 587)
COLUMNS = (
    "label",
    "host",
    "port",
    "verdict",
    "root_cause",
    "provider",
    *(f"state_{p}" for p in STATE_PORTS),
    "state_configured",
    "auth",
    "cert_days_left",
    "duration_ms",
    "error",
)
# A port's state over all its addresses: the best one (IPv4 open, IPv6 broken: open;
# port.ipv6_broken says the rest).
_BEST_FIRST: tuple[str, ...] = get_args(PortState)
_YES, _NO = ("true", "yes", "on", "1"), ("false", "no", "off", "0")


class BatchResult(NamedTuple):
    """One input row's outcome: its report, or ``error`` saying why it could not run."""

    label: str
    report: Report | None
    error: str | None


class RowError(ValueError):
    """A row that cannot be diagnosed, e.g. its password variable is not set."""


class BatchInterrupted(KeyboardInterrupt):
    """Ctrl-C during :func:`diagnose_rows` / :func:`diagnose_many`: the finished rows.

    ``rows`` (plain dicts, input order) and ``positions`` (their places in the input);
    ``frame`` is the DataFrame of them when :func:`diagnose_many` was interrupted. In
    Jupyter the exception stays in ``sys.last_value`` after the traceback.
    """

    def __init__(self, rows: list[dict[str, Any]], positions: list[int], total: int) -> None:
        super().__init__(
            f"interrupted: {len(rows)} of {total} accounts diagnosed "
            "(the finished rows are in this exception's .rows / .frame)"
        )
        self.rows, self.positions, self.total = rows, positions, total
        self.frame: pd.DataFrame | None = None


@dataclasses.dataclass(frozen=True)
class _Account:
    """A prepared input row: the raw settings (no password) and where its password is."""

    position: int
    label: str
    values: Settings | Mapping[str, Any]
    settings: Settings  # normalised, for the host key, the keyring entry and the output
    password_env: str = ""
    password_keyring: bool = False
    error: str | None = None

    @property
    def host_key(self) -> str:
        s = self.settings
        return s.host if s.protocol == "smtp" else urllib.parse.urlsplit(s.http_url).hostname or ""


# --- input ---------------------------------------------------------------------------


def _prepare(position: int, row: Settings | Mapping[str, Any]) -> _Account:
    label = str(position + 1)
    if isinstance(row, Settings):
        return _Account(position, label, row, normalize_settings(row)[0])
    if not isinstance(row, Mapping):
        raise TypeError(f"row {label}: expected Settings or a mapping, not {type(row).__name__}")
    if "password" in (named := {column_name(k): v for k, v in row.items()}):
        check_columns(named)  # refused even when blank: the column itself is the mistake
    values = {k: v for k, v in ((k, _plain(k, v)) for k, v in named.items()) if v is not None}
    label = printable(str(values.get("label", label)), 200)
    settings_values = {k: values[k] for k in SETTINGS_COLUMNS if k in values}
    account = _Account(position, label, settings_values, normalize_settings(settings_values)[0])
    if isinstance(row, UnreadableRow):  # shown as given: no default port filled in
        shown = dataclasses.replace(
            account.settings, port=account.settings.port if "port" in values else None
        )
        return dataclasses.replace(account, settings=shown, error=row.error)
    keyring = str(values.get("password_keyring", "false")).strip().lower()
    if keyring not in _YES + _NO:
        error = f"password_keyring must be true or false, not {printable(keyring, 40)!r}"
        return dataclasses.replace(account, error=error)
    env = str(values.get("password_env", "")).strip()
    return dataclasses.replace(account, password_env=env, password_keyring=keyring in _YES)


def _plain(key: str, value: Any) -> Any:
    """A cell as plain Python: blanks, ``None``, NaN and ``pd.NA`` are "not given";
    numpy scalars become Python ones; a float port (a column with gaps) an int."""
    if value is None or type(value).__name__ == "NAType":
        return None
    item = getattr(value, "item", None)
    if callable(item) and not isinstance(value, str | bytes):
        value = item()
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if key == "port" and value.is_integer():
            return int(value)
    if isinstance(value, bool) and key == "password_keyring":
        return "true" if value else "false"
    if isinstance(value, str) and not value.strip():
        return None
    return value


async def _password(account: _Account, keyring_lock: asyncio.Lock) -> str:
    from emaildiag import credentials

    if account.password_env:
        found = credentials.password_from_env(account.password_env)
        if found is not None:
            return found
        if not account.password_keyring:
            name = printable(account.password_env, 100)
            raise RowError(f"environment variable {name} is not set")
    if account.password_keyring:
        async with keyring_lock:  # one at a time: keyring plug-ins are not all thread-safe
            found = await asyncio.to_thread(credentials.password_from_keyring, account.settings)
        if found is None:
            raise RowError("no password in the keyring for this account (service 'emaildiag')")
        return found
    return ""


# --- running -------------------------------------------------------------------------

_Record = Callable[[_Account, Report | None, str | None, "Report | BaseException"], None]


async def _diagnose_all(
    accounts: Sequence[_Account],
    record: _Record,
    *,
    concurrency: int,
    per_host: int,
    options: Mapping[str, Any],
) -> None:
    """Every account under the two limits; ``record`` sees each as it finishes."""
    from emaildiag.runner import adiagnose

    limit = asyncio.Semaphore(concurrency)
    hosts: dict[str, asyncio.Semaphore] = {}
    keyring_lock = asyncio.Lock()

    async def one(account: _Account) -> None:
        if account.error is not None:
            record(account, None, account.error, RowError(account.error))
            return
        password = ""
        try:
            password = await _password(account, keyring_lock)
            host = hosts.setdefault(account.host_key, asyncio.Semaphore(per_host))
            async with host, limit:
                report = await adiagnose(_with_password(account, password), **options)
        except RowError as exc:
            record(account, None, str(exc), exc)
        except Exception as exc:  # a bug in one row's diagnosis must not lose the others
            log.debug("diagnosis of row %s failed", account.label, exc_info=True)
            text = Redactor([password], account.settings.username)(str(exc))
            error = f"the diagnosis could not run: {type(exc).__name__}: {printable(text, 200)}"
            record(account, None, error, exc)
        else:
            record(account, report, None, report)

    async with asyncio.TaskGroup() as tg:
        for account in accounts:
            tg.create_task(one(account))


def _with_password(account: _Account, password: str) -> Settings | Mapping[str, Any]:
    if isinstance(account.values, Settings):
        return account.values.with_password(password) if password else account.values
    return {**account.values, "password": password}


def _prepare_all(
    rows: Iterable[Settings | Mapping[str, Any]],
    concurrency: int,
    per_host: int,
    options: Mapping[str, Any],
) -> list[_Account]:
    """Everything that would fail every row fails here, before any network use."""
    if concurrency < 1 or per_host < 1:
        raise ValueError("concurrency and per_host must be at least 1")
    from emaildiag.checks.dns import parse_dns_server
    from emaildiag.runner import Options, adiagnose

    inspect.signature(adiagnose).bind(Settings(), **options)  # TypeError: unknown option
    if options.get("ca_file"):
        _ = Options(ca_file=options["ca_file"]).verify_context  # ValueError: not a CA file
    if options.get("dns_server"):
        parse_dns_server(options["dns_server"])
    return [_prepare(i, row) for i, row in enumerate(rows)]


async def adiagnose_many(
    rows: Iterable[Settings | Mapping[str, Any]],
    *,
    concurrency: int = 20,
    per_host: int = 4,
    on_done: Callable[[int, Report | BaseException], None] | None = None,
    **options: Any,
) -> list[BatchResult]:
    """Diagnose every row; one :class:`BatchResult` per row, in input order.

    ``rows``: :class:`Settings` (password included) or mappings of :data:`INPUT_COLUMNS`.
    ``options`` go to :func:`emaildiag.adiagnose` for every row. ``on_done(position,
    report or exception)`` is called as each row finishes; a row that cannot run gets
    ``BatchResult(label, None, why)`` and never stops the others. Cancelled, it stops
    the rows still running (their connections closed) and re-raises: the rows
    ``on_done`` has seen are the partial result.
    """
    accounts = _prepare_all(rows, concurrency, per_host, options)
    results: list[BatchResult | None] = [None] * len(accounts)

    def record(
        account: _Account, report: Report | None, error: str | None, outcome: Report | BaseException
    ) -> None:
        results[account.position] = BatchResult(account.label, report, error)
        if on_done is not None:
            on_done(account.position, outcome)

    await _diagnose_all(
        accounts, record, concurrency=concurrency, per_host=per_host, options=options
    )
    return [r for r in results if r is not None]


def diagnose_rows(
    rows: Iterable[Settings | Mapping[str, Any]],
    *,
    concurrency: int = 20,
    per_host: int = 4,
    progress: bool | None = None,
    **options: Any,
) -> list[dict[str, Any]]:
    """Synchronous, plain-data twin of :func:`diagnose_many` (no pandas): one dict of
    :data:`COLUMNS` per row, in input order. ``progress``: a tqdm bar on stderr (None:
    when stderr is a terminal or in Jupyter). Ctrl-C raises :class:`BatchInterrupted`."""
    accounts = _prepare_all(rows, concurrency, per_host, options)
    done: dict[int, dict[str, Any]] = {}
    bar = _progress_bar(len(accounts), progress)

    def record(
        account: _Account, report: Report | None, error: str | None, outcome: object
    ) -> None:
        done[account.position] = _row(account.label, report, error, account.settings)
        if bar is not None:
            bar.update(1)

    work = _diagnose_all(
        accounts, record, concurrency=concurrency, per_host=per_host, options=options
    )
    try:
        _run_sync(work)
    except KeyboardInterrupt:
        positions = sorted(done)
        raise BatchInterrupted([done[i] for i in positions], positions, len(accounts)) from None
    finally:
        if bar is not None:
            bar.close()
    return [done[i] for i in range(len(accounts))]


def diagnose_many(
    rows: Iterable[Settings | Mapping[str, Any]] | pd.DataFrame,
    *,
    concurrency: int = 20,
    per_host: int = 4,
    progress: bool | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Diagnose every row; a DataFrame of :data:`COLUMNS` (see :func:`results_frame`).

    Works in a script and inside a running Jupyter loop (a worker thread runs the
    engine). A DataFrame input keeps its index, so results join back on it.
    """
    index: pd.Index | None = None
    if _is_frame(rows):
        frame: pd.DataFrame = rows  # type: ignore[assignment]
        check_columns(frame.columns)
        index = frame.index
        rows = _records(frame)
    try:
        out = diagnose_rows(
            rows,  # type: ignore[arg-type]
            concurrency=concurrency,
            per_host=per_host,
            progress=progress,
            **options,
        )
    except BatchInterrupted as exc:
        exc.frame = _frame(exc.rows, None if index is None else index.take(exc.positions))
        raise
    return _frame(out, index)


def diagnose_partition(df: pd.DataFrame, **options: Any) -> pd.DataFrame:
    """Dask's ``map_partitions`` function: :func:`diagnose_many` of one partition, no
    progress bar; pass ``meta=batch_meta()``."""
    return diagnose_many(df, progress=False, **options)


def _run_sync(work: Coroutine[Any, Any, None]) -> None:
    """``asyncio.run``, or, under a running loop (Jupyter), our own loop in a worker
    thread; Ctrl-C there cancels the worker's run and waits for it to close up."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(work)
        return
    worker = _Worker()
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="emaildiag") as pool:
        future = pool.submit(asyncio.run, worker.run(work))
        try:
            future.result()
        except KeyboardInterrupt:
            worker.cancel()
            concurrent.futures.wait([future])
            raise


class _Worker:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancelled = False
        self._task: asyncio.Task[Any] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def run(self, work: Coroutine[Any, Any, None]) -> None:
        with self._lock:
            if self._cancelled:  # Ctrl-C before the worker even started
                work.close()
                return
            self._loop, self._task = asyncio.get_running_loop(), asyncio.current_task()
        await work

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            if self._loop is not None and self._task is not None:
                with contextlib.suppress(RuntimeError):  # the loop has already closed
                    self._loop.call_soon_threadsafe(self._task.cancel)


def _progress_bar(total: int, show: bool | None) -> Any:
    """tqdm.auto (a widget in Jupyter, text in a terminal) or None: not asked, not
    interactive, or tqdm not installed (it is optional)."""
    if show is None:
        show = _isatty(sys.stderr) or "ipykernel" in sys.modules
    if not show or total == 0:
        return None
    try:
        from tqdm.auto import tqdm  # type: ignore[import-untyped, unused-ignore]
    except ImportError:
        return None
    return tqdm(total=total, unit="account", desc="emaildiag batch", file=sys.stderr)


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


# --- output --------------------------------------------------------------------------


def _row(
    label: str, report: Report | None, error: str | None, settings: Settings | None
) -> dict[str, Any]:
    """One output row as plain values (None: not applicable); never a password."""
    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    row.update(label=label, error=error)
    if settings is not None:
        row.update(host=settings.host or None, port=settings.port)
    if report is None:
        return row
    port = report.settings.get("port")
    certs = [p.tls.certificate for p in report.probes if p.tls and p.tls.certificate]
    if report.relay and report.relay.tls and report.relay.tls.certificate:
        certs.append(report.relay.tls.certificate)
    row.update(
        host=report.settings.get("host") or None,
        port=port,
        verdict=report.verdict,
        root_cause=report.root_cause.code if report.root_cause else None,
        provider=report.provider.id if report.provider else None,
        state_configured=_port_state(report, port),
        auth=report.auth.result,
        cert_days_left=min((c.days_left for c in certs), default=None),
        duration_ms=round(report.duration_ms, 1) if report.duration_ms is not None else None,
    )
    for p in STATE_PORTS:
        row[f"state_{p}"] = _port_state(report, p)
    return row


def _port_state(report: Report, port: object) -> str | None:
    states = [p.state for p in report.probes if p.port == port]
    return min(states, key=_BEST_FIRST.index) if states else None


def write_results_csv(rows: Iterable[Mapping[str, Any]], stream: IO[str]) -> None:
    """The rows as CSV with the :data:`COLUMNS` header; missing values are empty."""
    writer = csv.DictWriter(stream, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if row.get(k) is None else row[k] for k in COLUMNS})


def results_frame(results: Sequence[BatchResult]) -> pd.DataFrame:
    """:func:`adiagnose_many`'s results as the DataFrame :func:`diagnose_many` returns."""
    return _frame([_row(label, report, error, None) for label, report, error in results], None)


def batch_meta() -> pd.DataFrame:
    """The empty result frame: Dask's ``meta`` for :func:`diagnose_partition`."""
    return _frame([], None)


def _dtypes() -> dict[str, Any]:
    """Explicit dtypes (as :mod:`emaildiag.render.frame`): every partition, even an empty
    one, has the same schema, so Dask's meta and ``concat`` hold."""
    import pandas as pd

    strings, ints = pd.StringDtype(), pd.Int64Dtype()
    states = pd.CategoricalDtype(list(get_args(PortState)))
    dtypes: dict[str, Any] = dict.fromkeys(COLUMNS, strings)
    dtypes.update({f"state_{p}": states for p in STATE_PORTS})
    dtypes.update(
        port=ints,
        verdict=pd.CategoricalDtype(list(get_args(Verdict)), ordered=True),
        state_configured=states,
        auth=pd.CategoricalDtype(list(get_args(AuthResult))),
        cert_days_left=ints,
        duration_ms=pd.Float64Dtype(),
    )
    return dtypes


def _frame(rows: list[dict[str, Any]], index: pd.Index | None) -> pd.DataFrame:
    import pandas as pd

    dtypes = _dtypes()
    data = {c: pd.Series([r[c] for r in rows], dtype=dtypes[c]) for c in COLUMNS}
    frame = pd.DataFrame(data)
    if index is not None:
        frame.index = index
    return frame


def _is_frame(obj: object) -> bool:
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(obj, pandas.DataFrame)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    columns = [column_name(c) for c in frame.columns]
    return [dict(zip(columns, values, strict=True)) for values in frame.itertuples(index=False)]
