"""The HTTP mail relay check (SPEC §2.9): URL, DNS, TCP, TLS, HTTP status and latency.

``httpx.get(url)`` would answer "does it work" but not "why not": it asks the system
resolver (emaildiag resolves through its resolver seam, as for SMTP), hides which phase
failed, stops at the first certificate error (OpenSSL names only one, faults-and-security
§3.2) and its timeouts are per operation, so a relay trickling bytes never times out
(§2.4). So the check resolves, connects (RFC 8305 Happy Eyeballs) and does the TLS
handshake itself, assesses the certificate with the same rules as SMTP, and only then
lets httpx speak HTTP/1.1 over that very connection: Host and SNI stay the URL's host
while the socket goes to the address the resolver gave.

A probe must never send an email: one ``GET`` without a body, redirects not followed
(one that leads away from the relay is reported as refused), no proxy or ``.netrc`` from
the environment (a proxy variable that is set is noted in the transcript), at most
64 KiB of the answer read (a longer one is noted), every phase under one deadline.
Credentials in the URL (``https://user:key@relay/``) travel only inside TLS, and never
on the pass that only reads an untrusted certificate (§3.1).

A plain ``http://`` URL is checked like any other (the app may really use one); no
finding says so, because the catalogue has no code for it yet, but the detail of every
``http.*`` finding notes it and ``RelayFacts.tls`` is ``None``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import ipaddress
import os
import socket
import ssl
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace

import httpcore
import httpx

from emaildiag import __version__
from emaildiag.catalog import make_finding
from emaildiag.checks import _errors
from emaildiag.checks.dial import ConnectFailed, dial, dial_first
from emaildiag.checks.dns import DnsError, Resolver, lookup
from emaildiag.checks.relay_transport import (
    OneConnectionTransport,
    OpenedStream,
    library_logs_redacted,
    read_capped,
)
from emaildiag.checks.tls import (
    assess_tls,
    certificate_facts,
    collecting_context,
    unverified_context,
    verify_error_text,
)
from emaildiag.checks.wire import Transcript
from emaildiag.field_findings import hide_userinfo
from emaildiag.model import Finding, RelayFacts, TlsFacts
from emaildiag.redact import NO_SECRETS, printable

MAX_BODY = 64 * 1024  # enough for any error page; a flood is cut here
EXCERPT = 300  # of the body, as evidence under http.bad_status
NOT_TRUSTED = "certificate not trusted"
PLAIN_NOTE = "plain http:// URL: the connection to the relay is not encrypted"
BODY_CUT = f"answer longer than {MAX_BODY // 1024} KiB: reading stopped there"
REDIRECT_REFUSED = "redirect refused (not followed)"
WEB_PAGE = (
    "unexpected content type {media}: a web page answered, not the relay's service "
    "(a network login page, or the service's home page instead of its sending address?)"
)
_WEB_TYPES = ("text/html", "application/xhtml+xml")
_Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def check_relay(
    url: str,
    *,
    resolver: Resolver,
    verify_context: ssl.SSLContext,
    verify_tls: bool,
    timeout: float,
    lang: str,
    now: Callable[[], dt.datetime],
    transcript: Transcript | None = None,
) -> tuple[RelayFacts, list[Finding]]:
    """Probe the relay at ``url`` within ``timeout`` seconds, then assess what it saw."""
    probe = _RelayProbe(url, resolver, verify_context, verify_tls, now, transcript)
    try:
        with library_logs_redacted(probe.redact):
            async with asyncio.timeout(timeout):
                await probe.run()
    except TimeoutError:
        probe.fail(f"{_errors.TIMED_OUT} ({probe.phase})")
    facts = replace(probe.facts, timings=dict(probe.timings))
    return facts, assess_relay(facts, verify_tls=verify_tls, now=now(), lang=lang)


def assess_relay(
    facts: RelayFacts, *, verify_tls: bool, now: dt.datetime, lang: str
) -> list[Finding]:
    """Certificate findings as for SMTP, then one ``http.*`` finding. 2xx and 3xx mean the
    relay answers; so does 405 (RFC 9110 §15.5.6: the resource exists, GET is not its
    method, as expected of an endpoint that takes POSTs). Two answers are not the relay
    speaking, so the relay counts as not reached: a redirect away from it (to plain
    ``http://`` or to another address, §2.4), and a web page (HTML) with a 2xx status,
    which is what a network's login page or a service's home page sends."""
    out: list[Finding] = []
    if facts.tls is not None:
        out += assess_tls(
            facts.tls, host=facts.host, port=facts.port, now=now, verify_tls=verify_tls, lang=lang
        )
    plain = facts.url.lower().startswith("http://")
    if plain:
        out.append(make_finding("http.not_encrypted", url=facts.url, lang=lang))
    if facts.status is None:
        detail = _join(facts.error, PLAIN_NOTE if plain else None)
        out.append(make_finding("http.unreachable", url=facts.url, lang=lang, detail=detail))
    elif facts.status >= 400 and facts.status != 405:
        detail = _join(facts.body, facts.error, PLAIN_NOTE if plain else None)
        out.append(
            make_finding(
                "http.bad_status", url=facts.url, status=facts.status, lang=lang, detail=detail
            )
        )
    elif elsewhere := _not_the_relay(facts):
        detail = _join(elsewhere, facts.error, PLAIN_NOTE if plain else None)
        out.append(make_finding("http.unreachable", url=facts.url, lang=lang, detail=detail))
    else:
        latency = round(facts.latency_ms) if facts.latency_ms is not None else "?"
        detail = _join(_redirect(facts)[1], facts.error)
        out.append(
            make_finding("http.ok", status=facts.status, latency=latency, lang=lang, detail=detail)
        )
    return out


def _not_the_relay(facts: RelayFacts) -> str | None:
    """Why an answer came from something other than the relay, or ``None``."""
    leaves, words = _redirect(facts)
    if leaves:
        return words
    media = (facts.content_type or "").split(";")[0].strip().lower()
    if facts.status is not None and 200 <= facts.status < 300 and media in _WEB_TYPES:
        return WEB_PAGE.format(media=media)
    return None


def _redirect(facts: RelayFacts) -> tuple[bool, str | None]:
    """Whether a 3xx answer sends the client away from the relay (to plain ``http://``,
    or to another scheme, server or port), and the words for it. None is followed."""
    if facts.status is None or not 300 <= facts.status < 400 or not facts.location:
        return False, None
    source = urllib.parse.urlsplit(facts.url)
    try:
        target = urllib.parse.urlsplit(urllib.parse.urljoin(facts.url, facts.location))
        port = target.port or _DEFAULT_PORTS.get(target.scheme)
    except ValueError:
        return True, f"{REDIRECT_REFUSED}: to an unusable address {facts.location}"
    same_server = (target.hostname or "").rstrip(".") == facts.host.lower().rstrip(".")
    if target.scheme not in _DEFAULT_PORTS:
        why = f"to a {printable(target.scheme, 20)}: address"
    elif source.scheme == "https" and target.scheme == "http":
        why = "to plain http://, where a key would travel unencrypted"
    elif not same_server:
        why = "to another server"
    elif target.scheme == source.scheme and port != facts.port:
        why = "to another port"
    else:  # the same relay: a path, or http:// upgraded to https://
        return False, f"redirect to {facts.location} not followed"
    return True, f"{REDIRECT_REFUSED}: it leads {why} ({facts.location})"


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _join(*parts: str | None) -> str | None:
    return "; ".join(p for p in parts if p) or None


class _RelayProbe:
    """One run of the check. ``facts`` always holds what is known so far, so a deadline
    can cut the run anywhere and still leave a report of where it stood."""

    def __init__(
        self,
        url: str,
        resolver: Resolver,
        verify_context: ssl.SSLContext,
        verify_tls: bool,
        now: Callable[[], dt.datetime],
        transcript: Transcript | None,
    ) -> None:
        self.resolver, self.verify_context, self.verify_tls = resolver, verify_context, verify_tls
        self.now, self.transcript = now, transcript
        self.redact = transcript.redact if transcript is not None else NO_SECRETS
        self.timings: dict[str, float] = {}
        self.phase = "url"
        self._sockets: list[socket.socket] = []
        self._writers: list[asyncio.StreamWriter] = []
        shown = self._shown(hide_userinfo(url), 500)
        self.url, self.https = _parse(url)
        if self.url is None:
            self.facts = RelayFacts(url=shown, host="", port=0, failed_at="url")
            self.facts = replace(self.facts, error="not an http:// or https:// URL with a host")
            return
        port = self.url.port or (443 if self.https else 80)
        host = self.url.raw_host.decode("ascii").rstrip(".")  # A-label: DNS, SNI, cert match
        self.facts = RelayFacts(url=shown, host=host, port=port)

    def _shown(self, text: str, limit: int) -> str:
        """Text to keep as evidence: redacted whole, then cut (a cut first could leave
        part of an echoed secret that no longer matches any of its forms)."""
        return printable(self.redact(text), limit)

    def fail(self, error: str, phase: str | None = None) -> None:
        if self.facts.status is None:
            failed_at = phase or self.phase
            self.facts = replace(self.facts, failed_at=failed_at, error=self._shown(error, 500))
        else:  # the answer is known; only its body was cut short
            self.facts = replace(self.facts, error=f"response body incomplete: {error}")

    @contextlib.contextmanager
    def _phase(self, name: str, timing: str | None = None) -> Iterator[None]:
        self.phase, t0 = name, time.monotonic()
        try:
            yield
        finally:
            self.timings[timing or name] = round((time.monotonic() - t0) * 1000, 1)

    def _note(self, direction: str, text: str) -> None:
        if self.transcript is not None:
            self.transcript.add(self.facts.port, self.facts.address or "", direction, text)

    async def run(self) -> None:
        try:
            await self._run()
        finally:  # a deadline or an error must not leave a socket behind
            for writer in self._writers:
                writer.transport.abort()
            for sock in self._sockets:
                sock.close()

    async def _open(self, sock: socket.socket, context: ssl.SSLContext | None) -> _Conn:
        """Streams over a connected socket; with ``context``, TLS from the first byte, so
        plain text the server sends first fails the handshake at once instead of waiting
        unseen in a plaintext buffer (the SMTP-banner-on-an-https-URL case)."""
        host = self.facts.host if context else None
        reader, writer = await asyncio.open_connection(sock=sock, ssl=context, server_hostname=host)
        self._writers.append(writer)
        return reader, writer

    async def _run(self) -> None:
        if self.url is None:
            return
        with self._phase("dns"):
            addresses = await self._resolve()
        if not addresses:
            return
        with self._phase("connect"):
            try:
                sock, address = await dial_first(addresses, self.facts.port)
            except ConnectFailed as exc:
                return self.fail(exc.summary())
        self._sockets.append(sock)
        self.facts = replace(self.facts, address=address)
        self._note("*", f"connected to {address} port {self.facts.port}")
        if self.https:
            with self._phase("tls"):
                conn = await self._secure(sock)
        else:
            conn = await self._open(sock, None)
        if conn is not None:
            with self._phase("request"):
                await self._request(*conn)

    async def _resolve(self) -> list[str]:
        host = self.facts.host
        with contextlib.suppress(ValueError):
            ip = ipaddress.ip_address(host)
            self.facts = replace(self.facts, addresses=((host, f"ipv{ip.version}"),))
            return [host]
        a, aaaa = await asyncio.gather(
            lookup(self.resolver, host, "A"), lookup(self.resolver, host, "AAAA")
        )
        # Only IP addresses go on: a name here would send asyncio to the system resolver.
        v4 = [x for x in (a if isinstance(a, list) else []) if _is_ip(x, 4)]
        v6 = [x for x in (aaaa if isinstance(aaaa, list) else []) if _is_ip(x, 6)]
        found = [(x, "ipv4") for x in v4] + [(x, "ipv6") for x in v6]
        self.facts = replace(self.facts, addresses=tuple(found))
        if not found:
            kinds = sorted({e.kind for e in (a, aaaa) if isinstance(e, DnsError)})
            self.fail(_dns_words(host, kinds))
            return []
        order: list[str] = []  # RFC 8305 §4: alternate the families, IPv6 first
        for i in range(max(len(v4), len(v6))):
            order += v6[i : i + 1] + v4[i : i + 1]
        return order

    async def _secure(self, sock: socket.socket) -> _Conn | None:
        """Verify first; when that fails, reconnect without verification to read the
        certificate (§3.1), and go on to the request only if the user chose not to verify."""
        try:
            reader, writer = await self._open(sock, self.verify_context)
        except ssl.SSLCertVerificationError as exc:
            return await self._unverified(verify_error_text(exc))
        except (ssl.SSLError, OSError) as exc:
            self.fail(_handshake_words(exc))
            return None
        self._record_tls(writer, verified=True, error=None)
        return reader, writer

    async def _unverified(self, error: str) -> _Conn | None:
        purpose = "to send the request unverified" if not self.verify_tls else "to read it"
        self._note("*", f"certificate verification failed: {error}; reconnecting {purpose}")
        self.facts = replace(self.facts, tls=TlsFacts("implicit", verify_error=error))
        context = unverified_context() if not self.verify_tls else collecting_context()
        assert self.facts.address is not None
        with self._phase("tls", timing="tls_unverified"):
            try:
                sock = await dial(self.facts.address, self.facts.port)
                self._sockets.append(sock)
                reader, writer = await self._open(sock, context)
            except (ssl.SSLError, OSError) as exc:
                self.fail(f"{NOT_TRUSTED}: {error}" if self.verify_tls else _handshake_words(exc))
                return None
        self._record_tls(writer, verified=False, error=error)
        if self.verify_tls:
            self.fail(f"{NOT_TRUSTED}: {error}", phase="tls")
            return None
        return reader, writer

    def _record_tls(
        self, writer: asyncio.StreamWriter, *, verified: bool, error: str | None
    ) -> None:
        obj = writer.get_extra_info("ssl_object")
        if not isinstance(obj, ssl.SSLObject):
            return
        der, cipher = obj.getpeercert(binary_form=True), obj.cipher()
        try:
            cert = certificate_facts(der, self.now(), self.facts.host) if der else None
        except ValueError:  # a certificate cryptography cannot parse: nothing to assess
            cert = None
        self.facts = replace(
            self.facts,
            tls=TlsFacts(
                mode="implicit",
                version=obj.version(),
                cipher=cipher[0] if cipher else None,
                verified=verified,
                verify_error=error,
                certificate=cert,
            ),
        )

    async def _request(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One GET over the connection already open; userinfo becomes Basic auth only
        inside TLS (this point is reached over TLS only when verified or the user chose
        not to verify)."""
        assert self.url is not None
        url = self.url.copy_with(userinfo=b"")
        auth: httpx.BasicAuth | None = None
        if self.url.userinfo and self.https:
            auth = httpx.BasicAuth(self.url.username, self.url.password)
        elif self.url.userinfo:
            self.facts = replace(self.facts, error="credentials in the URL not sent: not encrypted")
        origin = httpcore.Origin(self.url.raw_scheme, self.url.raw_host, self.facts.port)
        transport = OneConnectionTransport(origin, OpenedStream(reader, writer))
        query = "?…" if self.url.query else ""
        # §2.4: ambient proxy settings are not used; the note names them, not their value
        wanted = ("HTTPS_PROXY" if self.https else "HTTP_PROXY", "ALL_PROXY")
        proxies = [n for n in wanted if os.environ.get(n) or os.environ.get(n.lower())]
        if proxies:
            names = ", ".join(proxies)
            self._note("*", f"proxy settings not used, the relay is checked directly: {names}")
        self._note("C", f"GET {printable(self.url.path, 200)}{query} HTTP/1.1")
        headers = {
            "User-Agent": f"emaildiag/{__version__} (relay check; sends no mail)",
            "Accept": "*/*",
            "Accept-Encoding": "identity",  # the excerpt is read as text, not as gzip
        }
        client = httpx.AsyncClient(
            transport=transport,
            headers=headers,
            follow_redirects=False,  # §2.4: a redirect is reported, never followed
            trust_env=False,  # no proxy variables, no .netrc credentials
            timeout=None,  # noqa: S113 - the one deadline of check_relay governs
        )
        try:
            started = time.monotonic()
            async with client, client.stream("GET", url, auth=auth) as response:
                self._record_answer(response, started)
                body, cut = await read_capped(response, MAX_BODY)
        except (httpx.HTTPError, httpcore.ProtocolError, httpcore.NetworkError) as exc:
            return self.fail(f"no valid HTTP answer: {self._shown(str(exc), 200)}")
        except (OSError, ssl.SSLError, EOFError) as exc:
            return self.fail(f"connection lost: {self._shown(str(exc) or type(exc).__name__, 200)}")
        charset = response.charset_encoding or "utf-8"
        try:
            text = self.redact(body.decode(charset, "replace"))
        except LookupError:  # a charset Python does not know
            text = self.redact(body.decode("latin-1"))
        more = " […]" if len(text) > EXCERPT else ""
        self.facts = replace(self.facts, body=printable(text[:EXCERPT]) + more or None)
        if cut:
            self.facts = replace(self.facts, error=BODY_CUT)

    def _record_answer(self, response: httpx.Response, started: float) -> None:
        latency = round((time.monotonic() - started) * 1000, 1)
        location = response.headers.get("location")
        ctype = response.headers.get("content-type")
        self.facts = replace(
            self.facts,
            status=response.status_code,
            latency_ms=latency,
            location=self._shown(hide_userinfo(location), 300) if location else None,
            content_type=self._shown(ctype, 100) if ctype else None,
        )
        line = f"{response.http_version} {response.status_code} {response.reason_phrase}"
        self._note("S", line)


def _parse(url: str) -> tuple[httpx.URL | None, bool]:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return None, False
    if parsed.scheme not in ("http", "https") or not parsed.host:
        return None, False
    return parsed, parsed.scheme == "https"


def _is_ip(text: str, version: int) -> bool:
    try:
        return ipaddress.ip_address(text).version == version
    except ValueError:
        return False


def _dns_words(host: str, kinds: Sequence[str]) -> str:
    if "nxdomain" in kinds:
        return f"{host}: no such name in DNS (NXDOMAIN)"
    if set(kinds) <= {"nodata"}:
        return f"{host}: the name exists but has no address (A/AAAA) record"
    return f"{host}: DNS lookup failed ({', '.join(k for k in kinds if k != 'nodata')})"


def _handshake_words(exc: BaseException) -> str:
    if _errors.is_plaintext_on_tls(exc):
        return "the server answered without TLS: does the URL need http:// instead of https://?"
    if _errors.is_old_protocol(exc):
        return "the server offers only an outdated TLS version (RFC 8996)"
    if isinstance(exc, ConnectionError | EOFError) or not str(exc):
        return "connection closed during the TLS handshake"
    return f"TLS handshake failed: {printable(str(exc), 200)}"
