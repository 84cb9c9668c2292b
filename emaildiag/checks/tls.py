"""TLS contexts, certificate facts and the pure certificate assessment.

The handshake uses the stdlib ``ssl`` module; the certificate is read with
``cryptography.x509``. OpenSSL reports only the first verification error, so every
property is checked independently on the collected certificate
(faults-and-security §3.2) and each problem becomes its own finding.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import functools
import hashlib
import ipaddress
import re
import ssl
import warnings

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID

from emaildiag.catalog import make_finding
from emaildiag.model import CertificateFacts, Finding, Severity, TlsFacts
from emaildiag.redact import printable

EXPIRING_DAYS = 21  # SPEC §4 tls.cert_expiring
CLOCK_SKEW = dt.timedelta(hours=12)  # this close to a certificate's dates, suspect the clock
OLD_VERSIONS = ("SSLv3", "TLSv1", "TLSv1.1")  # RFC 8996
# Names kept of a certificate's list: public CAs issue up to 100 (Let's Encrypt) or 250;
# a list of thousands would fill the report.
MAX_SAN = 100

# OpenSSL X509_V_ERR_* codes that mean "the chain does not reach a trusted root".
_UNTRUSTED = {2, 19, 20, 21, 27}
_SELF_SIGNED = 18
# Issuer names of products that re-sign TLS traffic (antivirus, proxies).
_INTERCEPTORS = (
    "avast",
    "avg ",
    "kaspersky",
    "eset",
    "bitdefender",
    "fortinet",
    "fortigate",
    "sophos",
    "zscaler",
    "netskope",
    "bluecoat",
    "blue coat",
    "palo alto",
    "checkpoint",
    "check point",
    "mcafee",
    "norton",
    "symantec web",
    "websense",
    "forcepoint",
    "untangle",
    "cisco umbrella",
)


def verifying_context(ca_file: str | None = None) -> ssl.SSLContext:
    """The system trust store (``SSL_CERT_FILE``/``SSL_CERT_DIR`` honoured), or ``ca_file`` only."""
    if ca_file:
        return ssl.create_default_context(cafile=ca_file)
    return ssl.create_default_context()


def unverified_context() -> ssl.SSLContext:
    """For a user who unticked verification: no certificate check, but the same
    protocol floor and ciphers as a verifying connection."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def load_verifying_context(ca_file: str | None) -> ssl.SSLContext:
    """:func:`verifying_context`, with a CA file that cannot be loaded reported as the
    caller's mistake (``ValueError``) rather than an SSL error from deep inside a run."""
    try:
        return verifying_context(ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise ValueError(f"cannot use {ca_file} as CA file: {exc}") from None


def collecting_context() -> ssl.SSLContext:
    """No verification: used only to *read* a certificate, never to authenticate."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():  # deliberately old: to *name* an outdated server's version
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = ssl.TLSVersion.TLSv1
    with contextlib.suppress(ssl.SSLError):
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    return ctx


def _name(n: x509.Name) -> str:
    return printable(n.rfc4514_string(), 300)


def _key(cert: x509.Certificate) -> tuple[str, int | None]:
    try:
        key = cert.public_key()
    except (ValueError, UnsupportedAlgorithm):  # a key type or encoding cryptography lacks
        return "unknown", None
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC {key.curve.name}", key.key_size
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 456
    return type(key).__name__, None


def _san(cert: x509.Certificate, host: str) -> tuple[tuple[str, ...], int]:
    """The certificate's names, at most ``MAX_SAN`` of them, and how many were left out.
    A name past the cap that covers ``host`` is kept, so the hostname check judges the
    whole list."""
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except (x509.ExtensionNotFound, ValueError):  # ValueError: an extension not valid DER
        return (), 0
    names = [printable(n, 255) for n in ext.value.get_values_for_type(x509.DNSName)]
    names += [str(ip) for ip in ext.value.get_values_for_type(x509.IPAddress)]
    if len(names) <= MAX_SAN:
        return tuple(names), 0
    kept = names[:MAX_SAN]
    if host and not hostname_matches(host, tuple(kept)):
        kept += [n for n in names[MAX_SAN:] if hostname_matches(host, (n,))][:1]
    return tuple(kept), len(names) - len(kept)


def _ca_issuers(cert: x509.Certificate) -> tuple[str, ...]:
    try:
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except (x509.ExtensionNotFound, ValueError):
        return ()
    return tuple(
        printable(str(d.access_location.value), 300)
        for d in aia
        if d.access_method == AuthorityInformationAccessOID.CA_ISSUERS
    )


def _self_signed(cert: x509.Certificate) -> bool:
    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def certificate_facts(der: bytes, now: dt.datetime, host: str = "") -> CertificateFacts:
    """Facts about a DER certificate, relative to ``now`` (UTC); ``host``, the name it
    is checked against, is kept among its names however long their list."""
    cert = x509.load_der_x509_certificate(der)
    san, omitted = _san(cert, host)
    key_type, key_bits = _key(cert)
    not_after = cert.not_valid_after_utc
    try:
        sig = cert.signature_hash_algorithm
        sig_name = sig.name if sig else None
    except UnsupportedAlgorithm:  # an algorithm OID cryptography does not know
        sig_name = None
    return CertificateFacts(
        subject=_name(cert.subject),
        san=san,
        issuer=_name(cert.issuer),
        not_before=cert.not_valid_before_utc.isoformat(),
        not_after=not_after.isoformat(),
        days_left=(not_after - now).days,
        key_type=key_type,
        key_bits=key_bits,
        signature_algorithm=sig_name,
        sha256=hashlib.sha256(der).hexdigest(),
        self_signed=_self_signed(cert),
        ca_issuers=_ca_issuers(cert),
        san_omitted=omitted,
    )


def hostname_matches(host: str, names: tuple[str, ...]) -> bool:
    """RFC 6125 §6.4: exact match, or a wildcard in the left-most label only."""
    host = host.rstrip(".").lower()
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    for name in names:
        name = name.rstrip(".").lower()
        if ip is not None:
            try:
                if ipaddress.ip_address(name) == ip:
                    return True
            except ValueError:
                continue
            continue
        if name == host:
            return True
        wildcard = name.startswith("*.") and name.count(".") >= 2 and "." in host
        if wildcard and host.split(".", 1)[1] == name[2:]:
            return True
    return False


def assess_tls(
    tls: TlsFacts,
    *,
    host: str,
    port: int,
    now: dt.datetime,
    verify_tls: bool,
    lang: str,
    server_time: dt.datetime | None = None,
) -> list[Finding]:
    """Findings for one TLS connection; each problem separately. ``server_time`` is the
    time the server's greeting gave, if any: evidence beside this computer's clock when
    the certificate's dates are in question."""
    out: list[Finding] = []
    cert = tls.certificate
    finding = functools.partial(make_finding, port=port, lang=lang)
    if tls.version in OLD_VERSIONS:
        out.append(finding("tls.old_protocol", version=tls.version))
    if cert is None:
        return out
    not_before = dt.datetime.fromisoformat(cert.not_before)
    not_after = dt.datetime.fromisoformat(cert.not_after)
    # The dates are judged by this computer's clock: show it next to them (§3.3).
    window = (
        f"valid from {_utc(not_before)} to {_utc(not_after)}; this computer's clock: {_utc(now)}"
    )
    if server_time is not None:
        window += f"; {_server_clock(server_time, now)}"
    edge: dt.datetime | None = None
    if now > not_after:
        date, edge = not_after.date().isoformat(), not_after
        out.append(finding("tls.cert_expired", host=host, date=date, detail=window))
    elif now < not_before:
        date, edge = not_before.date().isoformat(), not_before
        out.append(finding("tls.cert_not_yet_valid", host=host, date=date, detail=window))
    elif cert.days_left < EXPIRING_DAYS:
        out.append(finding("tls.cert_expiring", host=host, days=cert.days_left))
    if edge is not None and abs(now - edge) < CLOCK_SKEW:
        # Hours, not days, outside the window: as likely this computer's clock (a wrong
        # time zone, a clock not yet synchronised) as the server's certificate.
        hours = max(1, round(abs(now - edge) / dt.timedelta(hours=1)))
        seen = _server_clock(server_time, now) if server_time else None
        out.append(finding("tls.clock_skew", host=host, now=_utc(now), hours=hours, detail=seen))
    if not hostname_matches(host, cert.san):
        names = ", ".join(cert.san[:5]) or cert.subject
        out.append(finding("tls.cert_hostname_mismatch", host=host, names=names))
    code = _verify_code(tls.verify_error)
    if cert.self_signed:
        sev = Severity.ERROR if verify_tls else Severity.INFO
        out.append(finding("tls.cert_self_signed", host=host, severity=sev))
    elif code in _UNTRUSTED and cert.ca_issuers:
        # A public CA names where its intermediate lives; a private CA usually does not.
        # So "unable to get local issuer" with that pointer means the server left the
        # intermediate out (testssl.sh's "chain incomplete"), not an unknown root.
        where = ", ".join(cert.ca_issuers[:2])
        detail = f"the missing intermediate certificate is published at: {where}"
        out.append(finding("tls.cert_chain_incomplete", host=host, detail=detail))
    elif code in _UNTRUSTED or code == _SELF_SIGNED:
        out.append(finding("tls.cert_untrusted", host=host, issuer=cert.issuer))
    if any(marker in cert.issuer.lower() for marker in _INTERCEPTORS):
        out.append(finding("tls.intercepted", host=host, issuer=cert.issuer))
    if not out and tls.verified:
        out.append(finding("tls.ok", version=tls.version, days=cert.days_left))
    return out


# An RFC 5322 date, as Exchange and others put in their greeting ("… ready at Fri,
# 27 Nov 2026 18:00:00 +0000").
_GREETING_DATE = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}"
)


def greeting_time(greeting: str | None) -> dt.datetime | None:
    """The date and time a server's greeting gives, if it gives one (many do not)."""
    m = _GREETING_DATE.search(greeting or "")
    if m is None:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(m.group(0))
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo is not None else None


def _server_clock(server_time: dt.datetime, now: dt.datetime) -> str:
    """The server's own time next to ours; its greeting is unverified text."""
    hours = (now - server_time) / dt.timedelta(hours=1)
    ahead = "ahead of" if hours >= 0 else "behind"
    return (
        f"the server's greeting gives its time as {_utc(server_time)}: this computer's "
        f"clock is {abs(hours):.1f} h {ahead} it"
    )


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _verify_code(error: str | None) -> int | None:
    if not error or not error.startswith("["):
        return None
    try:
        return int(error[1 : error.index("]")])
    except ValueError:
        return None


def verify_error_text(exc: ssl.SSLCertVerificationError) -> str:
    """``[code] message``: the code drives classification, the message is evidence."""
    return f"[{exc.verify_code}] {exc.verify_message}"
