"""The envelope: the sender check (MAIL, RCPT, RSET) and, when asked, the test email (DATA).

The sender check tells "signed in, but may not send as this address" without sending
anything (RFC 5321 §3.3: RSET discards the transaction). The test email goes out once;
a failure is reported, never retried, because a retry could deliver it twice.
"""

from __future__ import annotations

import re
import ssl
from dataclasses import dataclass

from emaildiag.catalog import make_finding
from emaildiag.catalog.providers import ProviderInfo, classify_provider_reply
from emaildiag.checks import _errors
from emaildiag.checks.session import Session
from emaildiag.checks.wire import ProtocolError, Reply, has_extension
from emaildiag.model import Finding, SendFacts
from emaildiag.redact import printable

# Postfix/Exim "queued as X", Exchange's "<message-id>", Gmail's "OK <id> - gsmtp".
_QUEUE_ID = re.compile(r"queued as\s+([\w.\-]+)|<([^>\s]{1,200})>|\bOK\s+(\S+)", re.I)


@dataclass(frozen=True)
class Delivery:
    """Who the envelope names and, for the test email, the message itself."""

    sender: str
    recipients: tuple[str, ...]
    message: bytes | None = None  # None: sender check only, nothing is sent
    smtputf8: bool = False  # the sender's mailbox is not ASCII (RFC 6531)


@dataclass
class SendProgress:
    """Set the moment the test email leaves, so a run cut by its deadline reports it as
    possibly delivered instead of saying nothing (or blaming the sign-in)."""

    sent: Delivery | None = None


def queue_id(reply: Reply) -> str | None:
    m = _QUEUE_ID.search(reply.text)
    return next((g for g in m.groups() if g), None) if m else None


def dot_stuffed(message: bytes) -> bytes:
    """RFC 5321 §4.5.2: a line starting with "." gets another; CRLF line ends; the end mark."""
    lines = message.replace(b"\r\n", b"\n").split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    body = b"\r\n".join(b"." + line if line.startswith(b".") else line for line in lines)
    return body + b"\r\n.\r\n"


def classify_send_reply(provider: ProviderInfo | None, reply: Reply, stage: str) -> str | None:
    """``None`` when accepted; else the provider's own meaning (SES "Email address is not
    verified" is a sender problem whatever its code), else the generic stage table."""
    generic = _errors.send_problem(reply, stage)
    if generic is None:
        return None
    found = classify_provider_reply(provider, reply.code, reply.enhanced, reply.text)
    return found if found and found.startswith("send.") else generic


async def send_envelope(
    session: Session,
    delivery: Delivery,
    timeout: float,
    lang: str,
    provider: ProviderInfo | None = None,
    progress: SendProgress | None = None,
) -> tuple[SendFacts, list[Finding]]:
    ch, port = session.channel, session.channel.port
    if not delivery.sender:
        return SendFacts(), []
    if delivery.smtputf8 and not has_extension(session.capabilities, "SMTPUTF8"):
        # RFC 6531 §3.4: a non-ASCII mailbox may only go to a server that offers SMTPUTF8;
        # sending it anyway gets a refusal that names no reason, or mangles the address.
        named = (delivery.sender, *delivery.recipients)
        address = next((a for a in named if not a.isascii()), delivery.sender)
        found = make_finding("send.smtputf8_missing", port=port, lang=lang, email=address)
        return SendFacts("rejected", "mail", None, "SMTPUTF8 not offered"), [found]
    utf8 = " SMTPUTF8" if delivery.smtputf8 else ""
    steps = [("mail", f"MAIL FROM:<{delivery.sender}>{utf8}")]
    steps += [("rcpt", f"RCPT TO:<{r}>") for r in delivery.recipients]
    try:
        for (stage, line), reply in zip(
            steps, await _replies(session, steps, timeout), strict=True
        ):
            problem = classify_send_reply(provider, reply, stage)
            if problem:
                await ch.command("RSET", timeout)
                return _refused(problem, reply, stage, delivery, port, lang, line)
        if delivery.message is None:
            # RSET discards the transaction; the session ends right after it, so its 250
            # is not worth a round trip the person waits for (RFC 5321 §4.1.1.5).
            await ch.send("RSET")
            found = make_finding(
                "send.sender_accepted", port=port, lang=lang, email=delivery.sender, code=reply.code
            )
            return SendFacts("ok", "rcpt", reply.code, printable(str(reply), 300)), [found]
        return await _data(session, delivery, timeout, lang, provider, progress)
    except (OSError, TimeoutError, EOFError, ProtocolError, ssl.SSLError) as exc:
        return SendFacts("error", "mail", None, printable(str(exc) or type(exc).__name__, 200)), []


async def _replies(session: Session, steps: list[tuple[str, str]], timeout: float) -> list[Reply]:
    """MAIL and RCPT in one go where the server offers PIPELINING (RFC 2920 §3.1: they may
    be sent as a group, replies come back in order); one by one otherwise."""
    ch = session.channel
    if not has_extension(session.capabilities, "PIPELINING"):
        return [await ch.command(line, timeout) for _, line in steps]
    for _, line in steps:
        await ch.send(line)
    return [await ch.read_reply(timeout) for _ in steps]


async def _data(
    session: Session,
    delivery: Delivery,
    timeout: float,
    lang: str,
    provider: ProviderInfo | None,
    progress: SendProgress | None,
) -> tuple[SendFacts, list[Finding]]:
    ch, port = session.channel, session.channel.port
    assert delivery.message is not None
    reply = await ch.command("DATA", timeout)
    if reply.code != 354:
        refused = classify_send_reply(provider, reply, "data") or "send.message_rejected"
        return _refused(refused, reply, "data", delivery, port, lang, "DATA")
    ch.transcript.add(port, ch.address, "C", f"[message, {len(delivery.message)} bytes]")
    if progress is not None:
        progress.sent = delivery
    try:
        ch.writer.write(dot_stuffed(delivery.message))
        await ch.writer.drain()
        reply = await ch.read_reply(timeout)
    except (OSError, TimeoutError, EOFError, ProtocolError, ssl.SSLError) as exc:
        ch.abort()  # the conversation is out of step: no QUIT
        detail = _errors.TIMED_OUT if isinstance(exc, TimeoutError) else str(exc)
        return unconfirmed(detail or type(exc).__name__, delivery, port, lang)
    problem = classify_send_reply(provider, reply, "data")
    if problem:
        return _refused(problem, reply, "data", delivery, port, lang, "end of data")
    text = printable(str(reply), 300)
    recipients = ", ".join(delivery.recipients)
    found = make_finding("send.ok", port=port, lang=lang, detail=text, recipient=recipients)
    return SendFacts("ok", "data", reply.code, text, queue_id(reply)), [found]


def unconfirmed(
    detail: str, delivery: Delivery, port: int, lang: str
) -> tuple[SendFacts, list[Finding]]:
    """The message went out and no verdict came back. The server may have taken it (the
    "lost reply" of RFC 1047), so this is neither a refusal nor a reason to try again: a
    blind resend could deliver it twice."""
    shown = printable(f"no reply to the end of the message: {detail}", 200)
    recipients = ", ".join(delivery.recipients)
    found = make_finding(
        "send.outcome_unknown", port=port, lang=lang, detail=shown, recipient=recipients
    )
    return SendFacts("error", "data", None, shown), [found]


def _refused(
    code: str, reply: Reply, stage: str, delivery: Delivery, port: int, lang: str, command: str
) -> tuple[SendFacts, list[Finding]]:
    text = printable(str(reply), 300)
    recipient = command.partition("<")[2].rstrip(">") or ", ".join(delivery.recipients)
    found = make_finding(
        code,
        port=port,
        lang=lang,
        detail=text,
        email=delivery.sender,
        recipient=recipient,
        code=reply.code,
    )
    result = "error" if code == "send.temporary_failure" else "rejected"
    return SendFacts(result, stage, reply.code, text), [found]  # type: ignore[arg-type]
