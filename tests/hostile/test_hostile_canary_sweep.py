"""Secret canary sweep (faults-and-security §8 H.40).

A fake SMTP server records everything and echoes the client's last line back in every
error reply (and in its EHLO text): the AUTH PLAIN blob, each LOGIN line, the XOAUTH2
blob, MAIL and RCPT. It runs across the sign-in paths (STARTTLS, implicit TLS, LOGIN,
XOAUTH2, verification switched off, plain text without STARTTLS) through ``hostile()``,
whose sweep covers JSON, text, HTML, repr, logs and what the fake received. On top,
this file renders every returned object (``repr`` of the auth, probe, send and
transcript facts and of each finding; the pandas frames as text and as styled HTML)
and looks there for the canary in every form, and for any long fragment of it: a
server may split its echo across reply lines, and half a password is still a leak.

The CLI sweep runs the real ``python -m emaildiag check`` against four hostile fakes
(the echo, a STARTTLS injection, a reply flood, a silent server) and scans its stdout,
stderr and HTML file the same way.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import ssl
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cli_process import check_args
from harness import HOST, USER, Outcome, assert_wire_clean, hostile_fake, secret_forms

from emaildiag.model import Report
from emaildiag.testing import TestPKI
from emaildiag.testing.dns import LoopbackDnsServer
from emaildiag.testing.pki import CertKind
from emaildiag.testing.scripted import Received, scripted_server, submission_script

Reader = asyncio.StreamReader
Writer = asyncio.StreamWriter
FRAGMENT = 12  # characters: a piece of the password this long counts as a leak
TIMEOUT = 4.0


def fragments(password: str) -> list[str]:
    """Every ``FRAGMENT``-long piece of the raw password and of its base64 (what LOGIN
    sends), the only forms that carry nothing but the secret."""
    out: set[str] = set()
    for form in (password, base64.b64encode(password.encode()).decode()):
        out.update(form[i : i + FRAGMENT] for i in range(len(form) - FRAGMENT + 1))
    return sorted(out)


def assert_no_secret(text: str, password: str, where: str) -> None:
    whole = [f[:8] for f in secret_forms(password) if f in text]
    assert not whole, f"a secret form {whole} in {where}"
    part = [f for f in fragments(password) if f in text]
    assert not part, f"a piece of the password ({part[0][:6]}…) in {where}"


def rendered(report: Report) -> dict[str, str]:
    """Every returned object as a person or a notebook would see it."""
    import pandas as pd

    from emaildiag.render.frame import styled

    shown = {
        "auth": repr(report.auth),
        "probes": repr(report.probes),
        "send": repr(report.send),
        "dns": repr(report.dns),
        "transcript": repr(report.transcript),
        "jobs": repr(report.jobs),
        "root_cause": repr(report.root_cause),
        "recommended": repr(report.recommended),
        "settings": repr(report.settings),
    }
    shown.update({f"finding {f.code}": repr(f) for f in report.findings})
    shown.update({f"str {f.code}": str(f) for f in report.findings})
    with pd.option_context("display.max_colwidth", None, "display.width", 10_000):
        for kind in ("findings", "probes"):
            frame = report.to_frame(kind)
            shown[f"frame {kind}"] = frame.to_string()
            shown[f"styled {kind}"] = styled(frame).to_html()
    return shown


def sweep(out: Outcome, password: str) -> None:
    """The harness checked whole forms in its outputs; add fragments there, and both in
    every rendering of every returned object."""
    assert_no_secret(out.outputs, password, "the harness outputs")
    for where, text in rendered(out.report).items():
        assert_no_secret(text, password, where)


# --- the echoing fake ------------------------------------------------------------------


def _reply(code: bytes, *lines: bytes) -> bytes:
    """A multi-line reply: ``code-`` on every line but the last."""
    out = [code + b"-" + line for line in lines[:-1]] + [code + b" " + lines[-1]]
    return b"\r\n".join(out) + b"\r\n"


def _split_echo(code: bytes, enhanced: bytes, said: bytes) -> bytes:
    """An echo cut in two across continuation lines, each line with its enhanced code
    (as Postfix words its replies): no single line holds the whole secret."""
    half = len(said) // 2
    return _reply(
        code,
        enhanced + b" authentication failed, you said:",
        enhanced + b" " + said[:half],
        enhanced + b" " + said[half:],
    )


@dataclass
class Echo:
    """The echoing fake. ``starttls`` (a context) offers STARTTLS in the clear;
    without it the server stays plain, unless the listener itself is TLS (implicit).
    ``mechs`` is the AUTH line; ``accept`` answers the sign-in with 235 (echoing the
    blob even then) so that MAIL and RCPT, refused with their own echo, are reached.
    ``pad`` puts that many characters before each echo, so it straddles any length at
    which evidence is cut for display."""

    starttls: ssl.SSLContext | None = None
    mechs: bytes = b"PLAIN LOGIN"
    accept: bool = False
    pad: int = 0

    async def __call__(self, reader: Reader, writer: Writer) -> None:
        last = b"(nothing)"

        async def line_in() -> bytes:
            nonlocal last
            raw = await reader.readline()
            if raw.strip():
                last = b"." * self.pad + raw.rstrip(b"\r\n")[:900]
            return raw

        writer.write(b"220 mail.emaildiag.test ESMTP echo\r\n")
        while raw := await line_in():
            tls = writer.get_extra_info("ssl_object") is not None
            verb = raw.split(b" ", 1)[0].strip().upper()
            if verb in (b"EHLO", b"HELO"):
                caps = [b"mail.emaildiag.test hello, you said: " + last]
                caps += [b"STARTTLS"] if self.starttls is not None and not tls else []
                caps += [b"AUTH " + self.mechs, b"PIPELINING", b"8BITMIME"]
                writer.write(_reply(b"250", *caps))
            elif verb == b"STARTTLS" and self.starttls is not None and not tls:
                writer.write(b"220 2.0.0 go ahead\r\n")
                await writer.drain()
                await writer.start_tls(self.starttls)
                continue
            elif verb == b"AUTH":
                await self._auth(raw, line_in, writer, lambda: last)
            elif verb in (b"MAIL", b"RCPT"):
                writer.write(b"550 5.7.1 refused, you said: " + last + b"\r\n")
            elif verb in (b"RSET", b"NOOP"):
                writer.write(b"250 2.0.0 OK\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 2.0.0 bye\r\n")
                await writer.drain()
                return
            else:
                writer.write(b"500 5.5.2 what is this? you said: " + last + b"\r\n")
            await writer.drain()

    async def _auth(
        self,
        raw: bytes,
        line_in: Callable[[], Awaitable[bytes]],
        writer: Writer,
        last: Callable[[], bytes],
    ) -> None:
        words = raw.split()
        mech = words[1].upper() if len(words) > 1 else b""
        if mech == b"LOGIN":
            writer.write(b"334 VXNlcm5hbWU6\r\n")
            await writer.drain()
            await line_in()
            writer.write(b"334 UGFzc3dvcmQ6\r\n")
            await writer.drain()
            await line_in()
        elif mech == b"XOAUTH2":
            error = base64.b64encode(b'{"status":"401","schemes":"Bearer","scope":"mail"}')
            writer.write(b"334 " + error + b"\r\n")
            await writer.drain()
            await line_in()  # the empty line that asks for the final reply
        elif len(words) == 2:  # PLAIN without an initial response
            writer.write(b"334 \r\n")
            await writer.drain()
            await line_in()
        if self.accept:
            writer.write(b"235 2.7.0 welcome back, you said: " + last() + b"\r\n")
        elif mech == b"LOGIN":
            writer.write(_split_echo(b"535", b"5.7.8", last()))
        else:
            writer.write(b"535 5.7.8 authentication failed, you said: " + last() + b"\r\n")


def auth_lines(rec: Received) -> list[bytes]:
    return [line for line in rec.lines() if line[:5].upper() == b"AUTH "]


# --- H.40 through the library ----------------------------------------------------------


@dataclass(frozen=True)
class SignIn:
    """One sign-in path: how the fake listens and what the run is told."""

    name: str
    port: int = 587
    implicit: bool = False  # the listener is TLS from the first byte
    starttls: bool = True
    cert: CertKind = CertKind.VALID
    mechs: bytes = b"PLAIN LOGIN"
    accept: bool = False
    pad: int = 0
    settings: tuple[tuple[str, Any], ...] = ()
    token: bool = False  # the canary is an OAuth2 token (XOAUTH2)
    tls_accepted: bool = True
    auth: str = "auth.rejected"
    mechanism: str | None = "PLAIN"


PATHS = [
    SignIn("starttls_plain_wrong_password"),
    SignIn("starttls_echo_across_the_display_cut", pad=200),
    SignIn("starttls_login", mechs=b"LOGIN", mechanism="LOGIN"),
    SignIn("starttls_xoauth2", mechs=b"XOAUTH2 PLAIN", token=True, mechanism="XOAUTH2"),
    SignIn("implicit_tls", port=465, implicit=True, starttls=False),
    SignIn(
        "verify_off_self_signed",
        cert=CertKind.SELF_SIGNED,
        settings=(("verify_tls", False),),
    ),
    SignIn("signed_in_then_mail_refused", accept=True, auth="auth.ok"),
    SignIn(
        "plaintext_no_starttls",
        starttls=False,
        tls_accepted=False,
        auth="auth.skipped_insecure",
        mechanism=None,
    ),
]


@pytest.mark.parametrize("path", PATHS, ids=[p.name for p in PATHS])
async def test_s40_echoing_server_across_sign_in_paths(
    path: SignIn, pki: TestPKI, canary: str
) -> None:
    """The fake echoes the last client line in every error reply and in its EHLO text;
    each path must report as usual and leave no trace of the canary anywhere."""
    context = pki.server_context(path.cert)
    fake = Echo(
        starttls=context if path.starttls and not path.implicit else None,
        mechs=path.mechs,
        accept=path.accept,
        pad=path.pad,
    )
    options: dict[str, Any] = {"oauth_token": canary} if path.token else {}
    out, rec = await hostile_fake(
        fake,
        {"port": path.port, **dict(path.settings)},
        password=canary,
        tls=context if path.implicit else None,
        tls_accepted=path.tls_accepted,
        pki=pki,
        timeout=TIMEOUT,
        **options,
    )
    sweep(out, canary)
    assert path.auth in out.codes, out.report.to_text()
    auth = out.report.auth
    assert auth.mechanism == path.mechanism
    sent = auth_lines(rec)
    if path.mechanism is None:  # never in the clear: no AUTH, no password, no blob
        assert sent == [] and auth.result == "skipped"
        assert not any(line.startswith(b"AUTH") for line in rec.lines(over_tls=False))
    else:  # exactly one attempt, inside TLS, with the one mechanism chosen
        assert [line.split()[1] for line in sent] == [path.mechanism.encode()]
        assert all(line in rec.lines(over_tls=True) for line in sent)
        # The echo came back and was shown redacted, not dropped.
        assert auth.reply is not None and "[redacted]" in auth.reply
    if path.cert is CertKind.SELF_SIGNED:  # reported, though the user chose to go on
        assert "tls.cert_self_signed" in out.codes
    if path.accept:
        assert "send.sender_rejected" in out.codes
        assert out.report.send.result == "rejected"
    if path.token:
        blob = f"user={USER}\x01auth=Bearer {canary}\x01\x01"
        assert sent == [b"AUTH XOAUTH2 " + base64.b64encode(blob.encode()) + b"\r\n"]


# --- the CLI sweep ---------------------------------------------------------------------


async def _you_said(reader: Reader, writer: Writer, raw: bytes) -> None:
    writer.write(b"500 5.5.2 you said: " + raw.rstrip(b"\r\n") + b"\r\n")


# Plaintext commands appended to the STARTTLS reply (CVE-2011-0411 class).
_injecting = submission_script(
    ehlo=_reply(b"250", b"mail.emaildiag.test", b"STARTTLS", b"AUTH PLAIN LOGIN"),
    replies={
        b"STARTTLS": b"220 2.0.0 go ahead\r\n250-injected\r\n250 AUTH PLAIN\r\n",
        b"AUTH": _you_said,
        b"HELO": _you_said,
    },
    other=_you_said,
)


async def _flooding(reader: Reader, writer: Writer) -> None:
    """An endless multi-line greeting, as fast as the client reads."""
    line = b"220-" + b"flood " * 100 + b"\r\n"
    while not writer.is_closing():
        writer.write(line * 64)
        await writer.drain()
        await asyncio.sleep(0)


async def _silent(reader: Reader, writer: Writer) -> None:
    """Accepts, reads, never says a word."""
    while await reader.read(65536):
        pass


@asynccontextmanager
async def _cli_fake(kind: str, pki: TestPKI, rec: Received) -> AsyncIterator[int]:
    handlers: dict[str, Callable[[Reader, Writer], Awaitable[None]]] = {
        "echo": Echo(starttls=pki.server_context(CertKind.VALID)),
        "starttls_injection": _injecting,
        "reply_flood": _flooding,
        "silent": _silent,
    }
    async with scripted_server(handlers[kind], received=rec) as port:
        yield port


CLI_CASES = {
    # kind: (codes that must be in the JSON, exit status)
    "echo": ({"auth.rejected", "tls.ok"}, 1),
    "starttls_injection": ({"tls.starttls_injection", "auth.skipped_insecure"}, 1),
    "reply_flood": ({"smtp.protocol_error", "auth.skipped_insecure"}, 1),
    "silent": ({"port.no_greeting", "auth.skipped_insecure"}, 1),
}


@pytest.mark.parametrize("kind", list(CLI_CASES))
async def test_s40_cli_sweep_against_hostile_fakes(
    kind: str, pki: TestPKI, canary: str, tmp_path: Path
) -> None:
    """The real command, as a person runs it, against a hostile fake started here: exit
    status 0/1 (never 3, never a traceback), valid JSON with the expected codes, and
    the canary in no form in stdout, stderr or the HTML file."""
    expected, status = CLI_CASES[kind]
    html = tmp_path / "report.html"
    rec = Received()
    zone = {
        (HOST, "A"): ["127.0.0.1"],
        ("emaildiag.test", "MX"): [f"10 {HOST}."],
        ("emaildiag.test", "TXT"): ['"v=spf1 -all"'],
    }
    env = os.environ | {
        "EMAILDIAG_CANARY": canary,
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    options = ["--username", USER, "--password-env", "EMAILDIAG_CANARY"]
    options += ["--ca-file", str(pki.ca_file), "--html", str(html), "--timeout", str(TIMEOUT)]
    with LoopbackDnsServer(zone) as dns:
        async with _cli_fake(kind, pki, rec) as port:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "emaildiag",
                *check_args(HOST, port, dns.address, *options),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=env,
            )
            try:
                raw_out, raw_err = await asyncio.wait_for(proc.communicate(), 30)
            finally:
                if proc.returncode is None:
                    proc.kill()
                    await proc.wait()
    stdout, stderr = raw_out.decode(), raw_err.decode()
    assert proc.returncode in (0, 1), (proc.returncode, stderr[-2000:])
    assert proc.returncode == status, stderr[-2000:]
    assert "Traceback" not in stderr and "Traceback" not in stdout
    page = html.read_text(encoding="utf-8")
    for where, text in (("stdout", stdout), ("stderr", stderr), ("HTML", page)):
        assert_no_secret(text, canary, where)
    data = json.loads(stdout)
    codes = {f["code"] for f in data["findings"]}
    assert expected <= codes, sorted(codes)
    assert "run.check_failed" not in codes
    # The fake never got the password outside verified TLS, and at most once.
    assert_wire_clean(canary, [rec], tls_accepted=kind == "echo")
    if kind != "echo":
        assert auth_lines(rec) == []
