"""Settings saved to and read from a TOML or JSON file, never with the password.

Only the file format and the value types are handled here; values are checked by
:func:`emaildiag.settings.normalize_settings`. A failure is a :class:`SettingsFileError`
whose message is one line for the user, never a traceback.
"""

from __future__ import annotations

import codecs
import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from emaildiag.field_findings import shown

_MAX_FILE = 1 << 20


class SettingsFileError(ValueError):
    """A settings file cannot be read or written; the message is one line for the user."""


def write_settings_file(
    settings: object, names: tuple[str, ...], path: str | os.PathLike[str]
) -> None:
    """Write the ``names`` attributes of ``settings`` as TOML (``.toml``) or JSON (``.json``)."""
    target = Path(path)
    kind = _file_kind(target)
    values = {name: getattr(settings, name) for name in names}
    values = {name: value for name, value in values.items() if value is not None}
    _check_types(values, target)
    if kind == "toml":
        lines = [f"{name} = {_toml_value(value)}" for name, value in values.items()]
        text = "# emaildiag settings; the password is never stored here\n" + "\n".join(lines)
    else:
        text = json.dumps(values, indent=2, ensure_ascii=False)
    try:
        target.write_text(text + "\n", encoding="utf-8")
    except (OSError, ValueError) as exc:  # ValueError: not encodable, a NUL in the path
        raise SettingsFileError(f"cannot write {shown(str(target), 200)}: {_reason(exc)}") from None


def read_settings_file(path: str | os.PathLike[str], names: tuple[str, ...]) -> dict[str, Any]:
    """The ``names`` entries of a file written by :func:`write_settings_file`, types checked.

    Other keys are ignored, and so are ``null`` values.
    """
    source = Path(path)
    kind, where = _file_kind(source), shown(str(source), 200)
    try:
        with source.open("rb") as stream:
            blob = stream.read(_MAX_FILE + 1)
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        raise SettingsFileError(f"cannot read {where}: {_reason(exc)}") from None
    if len(blob) > _MAX_FILE:
        raise SettingsFileError(f"{where} is too large for a settings file")
    try:
        text = _decode_text(blob)
    except UnicodeDecodeError as exc:
        raise SettingsFileError(
            f"{where} is not text in {exc.encoding.upper()[:6]} (byte "
            f"{exc.object[exc.start]:#04x} at position {exc.start}): save it again as UTF-8"
        ) from None
    try:
        data = tomllib.loads(text) if kind == "toml" else json.loads(text)
    except (ValueError, RecursionError) as exc:  # TOML and JSON errors are ValueErrors
        raise SettingsFileError(f"{where} is not valid {kind.upper()}: {_reason(exc)}") from None
    if not isinstance(data, dict):
        raise SettingsFileError(f"{where} must hold a table of settings")
    values = {name: data[name] for name in names if data.get(name) is not None}
    _check_types(values, source)
    return values


def _decode_text(blob: bytes) -> str:
    """A text file as an editor saves it: UTF-8 (with or without Excel's and Notepad's
    BOM) or, after its BOM, UTF-16. UnicodeDecodeError for anything else."""
    if blob.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return blob.decode("utf-16")
    return blob.decode("utf-8-sig")


def _file_kind(path: Path) -> Literal["toml", "json"]:
    suffix = path.suffix.lower()
    if suffix == ".toml":
        return "toml"
    if suffix == ".json":
        return "json"
    raise SettingsFileError(f"{shown(str(path), 200)}: use a .toml or .json file")


def _check_types(values: Mapping[str, object], path: Path) -> None:
    for name, value in values.items():
        want: type = {"port": int, "verify_tls": bool}.get(name, str)
        if not isinstance(value, want) or (want is int and isinstance(value, bool)):
            kind = {int: "a whole number", bool: "true or false"}.get(want, "text")
            raise SettingsFileError(f"{shown(str(path), 200)}: {name} must be {kind}")


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return _toml_string(str(value))


def _toml_string(text: str) -> str:
    """A TOML basic string: quote, backslash and controls (incl. DEL) escaped (TOML 1.0)."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _reason(exc: BaseException) -> str:
    """One line (``shown`` escapes line breaks), never a traceback."""
    text = (exc.strerror if isinstance(exc, OSError) else None) or str(exc)
    return shown(text or type(exc).__name__, 200)
