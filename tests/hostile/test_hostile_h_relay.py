"""Hostile HTTP relay (faults-and-security §8 H.39), through the whole engine.

Every relay is a real HTTPS server on loopback with a certificate for
``relay.emaildiag.test`` from its own TestPKI; DNS comes from a StaticResolver. The
relay's secret is its key, carried in the URL twice (as the Basic credentials of the
userinfo and as a query value) and written with ``+``, ``/`` and ``=`` as base64 keys
are, so it appears percent-encoded in the URL. The relay protocol uses no password, so
the harness's own canary password only proves the SMTP side stays silent; the key is
looked for here, in every form (raw, encoded, decoded, base64, Basic header), in
everything the harness collected from the run.
"""

from __future__ import annotations

import asyncio
import base64
import urllib.parse
import uuid
from collections.abc import Iterator

import pytest
from harness import Outcome, hostile, secret_forms

from emaildiag.checks import _errors
from emaildiag.checks.dns import StaticResolver
from emaildiag.checks.relay import BODY_CUT, REDIRECT_REFUSED
from emaildiag.testing.http import HttpSpec, HttpTestServer
from emaildiag.testing.pki import TestPKI
from emaildiag.testing.scripted import Received, scripted_server

RELAY = "relay.emaildiag.test"
OTHER = "other.emaildiag.test"
REPLY_TO = "office@emaildiag.test"
KEY_USER = "api"
RESOLVER = StaticResolver({(RELAY, "A"): ["127.0.0.1"], (OTHER, "A"): ["127.0.0.1"]})
TIMEOUT = 3.0


@pytest.fixture(scope="module")
def relay_pki() -> Iterator[TestPKI]:
    with TestPKI(hostname=RELAY) as pki:
        yield pki


@pytest.fixture
def key() -> str:
    return f"Key+{uuid.uuid4().hex}/Zz="


def _enc(key: str) -> str:
    return urllib.parse.quote(key, safe="")


def relay_url(port: int, key: str, *, scheme: str = "https", userinfo: bool = True) -> str:
    auth = f"{KEY_USER}:{_enc(key)}@" if userinfo else ""
    return f"{scheme}://{auth}{RELAY}:{port}/send?key={_enc(key)}"


def key_forms(key: str) -> list[str]:
    """The key as typed, encoded, decoded, in base64 and as the Basic credentials."""
    basic = base64.b64encode(f"{KEY_USER}:{key}".encode()).decode()
    return sorted({*secret_forms(key), _enc(key), basic, key.replace("+", " ")})


async def run_relay(
    url: str, key: str, canary: str, pki: TestPKI, *ports: int, timeout: float = TIMEOUT
) -> Outcome:
    settings = {"protocol": "http", "http_url": url, "http_reply_to": REPLY_TO}
    out = await hostile(
        settings,
        password=canary,
        resolver=RESOLVER,
        pki=pki,
        timeout=timeout,
        watch_ports=ports,
    )
    leaked = [form[:8] for form in key_forms(key) if form in out.outputs]
    assert not leaked, f"the relay key leaked as {leaked}"
    return out


def http_codes(out: Outcome) -> list[str]:
    return [f.code for f in out.report.findings if f.code.startswith("http.")]


@pytest.mark.parametrize("part", ["body", "head"])
async def test_s39a_a_dripping_relay_ends_at_the_deadline(
    part: str, relay_pki: TestPKI, key: str, canary: str
) -> None:
    """The relay sends one byte every 0.8 s, forever: after its headers (``body``) or
    from the first byte of its status line (``head``). No idle timeout would ever fire;
    the run's one deadline ends it on time and says so."""
    behaviour = "drip" if part == "body" else "drip_head"
    spec = HttpSpec(status=200, behaviour=behaviour, drip_pause=0.8)
    with HttpTestServer(spec, relay_pki) as relay:
        out = await run_relay(relay_url(relay.port, key), key, canary, relay_pki, relay.port)
    facts = out.report.relay
    assert facts is not None and relay.methods == ["GET"]
    assert facts.timings["request"] > 1500  # it kept reading through several drips
    if part == "body":  # the status came at once: the relay answers, the body never ended
        assert http_codes(out) == ["http.ok"] and facts.status == 200
        detail = out.finding("http.ok").detail
        assert "response body incomplete" in detail and _errors.TIMED_OUT in detail
    else:
        assert http_codes(out) == ["http.unreachable"] and facts.status is None
        assert facts.failed_at == "request"
        assert f"{_errors.TIMED_OUT} (request)" in out.finding("http.unreachable").detail


@pytest.mark.parametrize("part", ["body", "head"])
async def test_s39b_an_endless_relay_answer_is_cut_at_the_cap(
    part: str, relay_pki: TestPKI, key: str, canary: str
) -> None:
    """The relay streams an endless answer as fast as it can: a body of ``x`` after a
    200 (``body``), or header lines without end after its status line (``head``).
    Reading stops at the cap, long before the deadline, in bounded memory."""
    behaviour = "flood" if part == "body" else "flood_head"
    with HttpTestServer(HttpSpec(status=200, behaviour=behaviour), relay_pki) as relay:
        out = await run_relay(relay_url(relay.port, key), key, canary, relay_pki, relay.port)
    facts = out.report.relay
    assert facts is not None
    assert out.elapsed < TIMEOUT / 2  # stopped by the cap, not by the deadline
    assert out.peak < 8 * 1024 * 1024  # a few times the cap, not what the relay sent
    if part == "body":
        assert http_codes(out) == ["http.ok"] and facts.status == 200
        assert facts.error == BODY_CUT and BODY_CUT in out.finding("http.ok").detail
        assert facts.body is not None and len(facts.body) < 400
    else:
        assert http_codes(out) == ["http.unreachable"] and facts.status is None
        assert "no valid HTTP answer" in out.finding("http.unreachable").detail


@pytest.mark.parametrize(
    ("target", "why"),
    [
        ("plain", "to plain http://"),
        ("other_host", "to another server"),
        ("other_port", "to another port"),
        ("same", None),
    ],
)
async def test_s39c_a_redirect_away_from_the_relay_is_refused(
    target: str, why: str | None, relay_pki: TestPKI, key: str, canary: str
) -> None:
    """The relay answers 302 with a Location that leads to plain ``http://`` on
    another server, to ``https://`` on another host name, to another port of the relay's
    host, or (the control case) to another path of the relay itself. The Location
    echoes the key. Nothing is followed; the second server gets no connection at all, so
    neither the key nor the Basic credentials cross to another origin or to plain text."""
    cert = None if target == "plain" else HttpSpec().cert
    with HttpTestServer(HttpSpec(cert=cert), relay_pki) as second:
        location = {
            "plain": f"http://{OTHER}:{second.port}/send?key={_enc(key)}",
            "other_host": f"https://{OTHER}:{second.port}/send?key={_enc(key)}",
            "other_port": f"https://{RELAY}:{second.port}/send?key={_enc(key)}",
            "same": f"/send/?key={_enc(key)}",
        }[target]
        spec = HttpSpec(status=302, headers={"Location": location})
        with HttpTestServer(spec, relay_pki) as relay:
            out = await run_relay(
                relay_url(relay.port, key), key, canary, relay_pki, relay.port, second.port
            )
    assert second.connections == 0 and second.requests == []
    assert relay.methods == ["GET"] and relay.connections == 1
    # The Basic credentials went to the relay's own origin only, inside verified TLS.
    assert relay.requests[0].header("authorization") is not None
    facts = out.report.relay
    assert facts is not None and facts.status == 302 and facts.location is not None
    if why is None:
        assert http_codes(out) == ["http.ok"]
        assert "not followed" in out.finding("http.ok").detail
        assert REDIRECT_REFUSED not in out.finding("http.ok").detail
    else:
        assert http_codes(out) == ["http.unreachable"]
        detail = out.finding("http.unreachable").detail
        assert REDIRECT_REFUSED in detail and why in detail


@pytest.mark.parametrize("scheme", ["https", "http"])
async def test_s39d_a_captive_portal_page_is_not_the_relay(
    scheme: str, relay_pki: TestPKI, key: str, canary: str
) -> None:
    """The relay URL answers 200 with an HTML login page (a guest Wi-Fi's captive
    portal) that quotes the request it got, Authorization header and key included.
    Over ``http://`` as portals do, and over verified ``https://`` (a service's home
    page looks the same). Neither is the relay answering."""
    page = b"<html><title>Guest Wi-Fi</title><form>Sign in to continue</form></html>"
    spec = HttpSpec(
        status=200,
        cert=None if scheme == "http" else HttpSpec().cert,
        headers={"Content-Type": "text/html; charset=utf-8"},
        body=page,
        echo=True,
    )
    with HttpTestServer(spec, relay_pki) as portal:
        url = relay_url(portal.port, key, scheme=scheme)
        out = await run_relay(url, key, canary, relay_pki, portal.port)
    facts = out.report.relay
    assert facts is not None and facts.status == 200
    assert facts.content_type == "text/html; charset=utf-8"
    assert "http.ok" not in out.codes and "http.unreachable" in out.codes
    detail = out.finding("http.unreachable").detail
    assert "unexpected content type text/html" in detail
    assert portal.methods == ["GET"]
    authorization = portal.requests[0].header("authorization")
    if scheme == "http":  # the URL's credentials never travel in the clear
        assert sorted(http_codes(out)) == ["http.not_encrypted", "http.unreachable"]
        assert authorization is None
    else:
        assert http_codes(out) == ["http.unreachable"] and authorization is not None


async def test_s39_an_error_page_echoing_the_request_keeps_the_key_hidden(
    relay_pki: TestPKI, key: str, canary: str
) -> None:
    """The relay refuses with 401 and quotes the whole request in its body, Basic
    credentials and key included; the body excerpt becomes evidence, the key does not."""
    spec = HttpSpec(status=401, body=b"unauthorized:", echo=True)
    with HttpTestServer(spec, relay_pki) as relay:
        out = await run_relay(relay_url(relay.port, key), key, canary, relay_pki, relay.port)
    assert http_codes(out) == ["http.bad_status"]
    detail = out.finding("http.bad_status").detail
    assert "unauthorized:" in detail and "authorization: Basic [redacted]" in detail


@pytest.mark.parametrize("scheme", ["https", "http"])
async def test_s39e_proxy_variables_are_not_used(
    scheme: str, relay_pki: TestPKI, key: str, canary: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HTTPS_PROXY, HTTP_PROXY and ALL_PROXY (both cases) point at a loopback fake proxy
    that records every byte. The check must not send the request, the key or the Basic
    credentials through it: a proxy the user did not choose for this check would see
    them (§2.4). Decision: ambient proxies are ignored, the relay is tested directly,
    and the transcript says a proxy variable was set and not used (its value, which may
    hold the proxy's own password, is not shown)."""
    received = Received()

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(65536)
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        await reader.read(65536)

    async with scripted_server(proxy, received=received) as proxy_port:
        proxy_password = f"ProxyPass-{uuid.uuid4().hex}"
        proxy_url = f"http://proxyuser:{proxy_password}@127.0.0.1:{proxy_port}"
        for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"):
            monkeypatch.setenv(name, proxy_url)
            monkeypatch.setenv(name.lower(), proxy_url)
        cert = None if scheme == "http" else HttpSpec().cert
        with HttpTestServer(HttpSpec(status=200, cert=cert), relay_pki) as relay:
            url = relay_url(relay.port, key, scheme=scheme)
            out = await run_relay(url, key, canary, relay_pki, relay.port, proxy_port)
    assert received.connections == 0 and received.chunks == []
    assert relay.methods == ["GET"] and relay.connections == 1
    assert "http.ok" in http_codes(out) and "http.unreachable" not in out.codes
    notes = [line.text for line in out.report.transcript if line.direction == "*"]
    named = f"{scheme.upper()}_PROXY, ALL_PROXY"
    assert any("proxy settings not used" in n and named in n for n in notes), notes
    assert proxy_password not in out.outputs


async def test_s39_a_key_that_breaks_the_url_is_still_hidden(key: str, canary: str) -> None:
    """A key pasted raw into the URL: its ``/`` ends the authority, so the URL is not
    usable and no network is used, and the finding that quotes the URL shows neither
    the userinfo nor the query value."""
    url = f"https://{KEY_USER}:{key}@{RELAY}/send?key={key}"
    settings = {"protocol": "http", "http_url": url, "http_reply_to": REPLY_TO}
    out = await hostile(settings, password=canary, resolver=RESOLVER, timeout=TIMEOUT)
    assert "settings.http_url_invalid" in out.codes and out.report.relay is None
    shown = out.finding("settings.http_url_invalid").params["value"]
    assert RELAY in shown
    leaked = [form[:8] for form in key_forms(key) if form in out.outputs]
    assert not leaked, f"the relay key leaked as {leaked}"
