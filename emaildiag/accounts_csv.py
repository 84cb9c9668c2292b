"""Reading the accounts CSV of ``emaildiag batch``, as spreadsheets really save it.

UTF-8 (with or without Excel's BOM) or UTF-16, commas or the semicolons and tabs many
locales use, blank lines, and records that cannot be read: such a record becomes an
:class:`UnreadableRow` carrying its error, and reading goes on with the next line, so
one broken line never costs the others.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections.abc import Iterable, Iterator, Mapping
from typing import IO

from emaildiag.redact import printable

__all__ = ["UnreadableRow", "check_columns", "column_name", "read_accounts_csv"]


_SAVE_UTF8 = "save the file as 'CSV UTF-8'"


class UnreadableRow(dict[str, str]):
    """A CSV record that cannot be read as it stands: the cells that could be, and
    ``error`` saying why (with its line). It gets that error as its result; the other
    rows are diagnosed."""

    def __init__(self, cells: Mapping[str, str], error: str) -> None:
        super().__init__(cells)
        self.error = error


def read_accounts_csv(source: str | os.PathLike[str] | IO[str]) -> list[dict[str, str]]:
    """The rows of an accounts CSV, header names lowered.

    A file is UTF-8 (Excel's BOM allowed) or UTF-16 after its BOM; values are separated
    by commas, or by the semicolons or tabs of its header line (Excel's choice in many
    locales). Blank lines are skipped. A record that cannot be read (a quote never
    closed, bytes that are not UTF-8, more values than the header has columns) comes
    back as an :class:`UnreadableRow`, so one broken line costs only its own account.
    Raises ``ValueError`` for a file without a header, without a ``host`` or ``http_url``
    column, with a ``password`` column, naming a column twice, or with no readable row.
    """
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as fh:
            text = _decode_csv(fh.read())
        return read_accounts_csv(io.StringIO(text, newline=""))
    lines = list(source)
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise ValueError("the file is empty: expected a header row (label, host, port, …)")
    delimiter = _delimiter(lines[first])
    records = _csv_records(lines, first, delimiter)
    _, header, broken = next(records)
    if broken:
        raise ValueError(f"the header row cannot be read: {broken}")
    names = [column_name(h) for h in header]
    try:
        check_columns(names)
    except ValueError:
        if any(_undecoded(name) for name in names):
            raise ValueError(f"the header row is not UTF-8 text: {_SAVE_UTF8}") from None
        raise
    rows = [row for row in (_row_of(names, *record) for record in records) if row is not None]
    unreadable = [row.error for row in rows if isinstance(row, UnreadableRow)]
    if unreadable and len(unreadable) == len(rows):  # nothing readable: the file is at fault
        raise ValueError(unreadable[0])
    return rows


def _decode_csv(blob: bytes) -> str:
    """UTF-16 after its BOM; otherwise UTF-8, where bytes that are not UTF-8 stay as
    surrogates and make their own row unreadable (:func:`_row_of`), not the file."""
    if blob.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return blob.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ValueError(f"not readable UTF-16 text (position {exc.start})") from None
    return blob.removeprefix(codecs.BOM_UTF8).decode("utf-8", "surrogateescape")


def _delimiter(header: str) -> str:
    if "," not in header:
        for other in (";", "\t"):
            if other in header:
                return other
    return ","


def _csv_records(
    lines: list[str], first: int, delimiter: str
) -> Iterator[tuple[int, list[str], str | None]]:
    """(line number, values, why unreadable or None) for each record from ``lines[first]``.

    A record the csv module refuses is reported and reading resumes on the next line,
    so an unclosed quote does not swallow the rest of the file."""
    at = first
    while at < len(lines):
        rest = (lines[i] for i in range(at, len(lines)))
        reader = csv.reader(rest, delimiter=delimiter, strict=True)
        done = 0  # lines of lines[at:] in records already returned
        try:
            for values in reader:
                yield at + done + 1, values, None
                done = reader.line_num
            return
        except csv.Error as exc:
            start = at + done
            yield start + 1, _loose(lines[start], delimiter), _csv_problem(exc)
            at = start + 1


def _loose(line: str, delimiter: str) -> list[str]:
    """The values of one line read leniently, to name the account of a broken record."""
    text = line.rstrip("\r\n")
    try:
        return next(csv.reader([text], delimiter=delimiter), [])
    except csv.Error:  # e.g. a value over the size limit
        return text.split(delimiter)


def _csv_problem(exc: csv.Error) -> str:
    text = str(exc)
    if "end of data" in text:
        return 'a quote (") opens a value and is never closed'
    if "expected after" in text:
        return 'a quoted value goes on after its closing quote: write a " inside a value as ""'
    if "field limit" in text:
        return f"a value is longer than {csv.field_size_limit()} characters"
    return f"not readable as CSV: {printable(text, 100)}"


def _row_of(
    names: list[str], line: int, values: list[str], broken: str | None
) -> dict[str, str] | None:
    """One input row: a dict, an :class:`UnreadableRow`, or None for a blank line.

    Fewer values than columns is fine (spreadsheets drop empty trailing cells); more
    values means a separator inside an unquoted value shifted them."""
    if not any(v.strip() for v in values) and broken is None:
        return None
    cells = dict(zip(names, values, strict=False))
    if broken is not None:  # after a stray quote the values are guesses: keep the label
        cells = {k: v for k, v in cells.items() if k == "label"}
    elif any(v.strip() for v in values[len(names) :]):
        broken = (
            f"{len(values)} values but {len(names)} columns: "
            "put a value that holds the separator in quotes"
        )
    elif any(_undecoded(v) for v in values):
        broken = f"it is not UTF-8 text: {_SAVE_UTF8}"
    if broken is None:
        return cells
    return UnreadableRow(cells, f"line {line} cannot be read: {broken}")


def _undecoded(text: str) -> bool:
    """Holds a byte that was not UTF-8 (kept as a surrogate by :func:`_decode_csv`)."""
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def check_columns(names: Iterable[str]) -> None:
    """Refuse a ``password`` column (say what to use instead), input without hosts, and
    a column named twice (which of the two is meant cannot be known)."""
    named = [column_name(n) for n in names]
    twice = sorted({n for n in named if n and named.count(n) > 1})
    if twice:
        raise ValueError(f"the column {printable(twice[0], 40)!r} is in the header twice")
    found = set(named)
    if "password" in found:
        raise ValueError(
            "a 'password' column is refused: passwords must not sit in a file; name an "
            "environment variable in 'password_env' or set 'password_keyring' to true"
        )
    if not found & {"host", "http_url"}:
        raise ValueError("no 'host' (or 'http_url') column: nothing to diagnose")


def column_name(name: object) -> str:
    return str(name).strip().lstrip("\ufeff").strip().lower()  # a BOM read as text
