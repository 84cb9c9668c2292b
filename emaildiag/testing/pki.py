"""A throw-away PKI for loopback TLS tests: one trusted CA and every broken certificate we diagnose.

Each :class:`CertKind` maps to one ``tls.*`` finding of SPEC §4, so the probes can be tested
against the real OpenSSL verification error instead of a mocked one.  The trusted CA is a
``trustme`` CA; clients trust it through :attr:`TestPKI.ca_file` or
:meth:`TestPKI.client_context`, never through the system store.
"""

from __future__ import annotations

import datetime
import enum
import ipaddress
import shutil
import ssl
import tempfile
from pathlib import Path
from types import TracebackType

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID

__all__ = ["WRONG_HOSTNAME", "CertKind", "TestPKI"]

WRONG_HOSTNAME = "wrong.example.test"
"""The only name a ``WRONG_HOST`` certificate is valid for (RFC 6761 reserves ``.test``)."""

_DAY = datetime.timedelta(days=1)
AIA_URL = "http://ca.emaildiag.test/intermediate.der"  # never fetched: it only has to be named
_LOOPBACK_IPS = ("127.0.0.1", "::1")


class CertKind(enum.Enum):
    """The certificate a test server presents; each value triggers one verification outcome.

    Expected OpenSSL ``verify_code`` with :meth:`TestPKI.client_context` and
    ``server_hostname="localhost"``: ``EXPIRED`` 10, ``NOT_YET_VALID`` 9, ``WRONG_HOST`` 62
    (64 when the client checks an IP address instead), ``SELF_SIGNED`` 18, ``UNTRUSTED_CA`` 20;
    ``VALID`` and ``EXPIRING`` verify.
    """

    VALID = "valid"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRING = "expiring"
    """Valid, with about 10.5 days left: below the 21-day ``tls.cert_expiring`` threshold and
    still "10 days" whether the client rounds or truncates."""
    WRONG_HOST = "wrong_host"
    SELF_SIGNED = "self_signed"
    UNTRUSTED_CA = "untrusted_ca"
    CHAIN_INCOMPLETE = "chain_incomplete"
    """Issued by an intermediate of the trusted CA, served *without* the intermediate,
    and naming it in an AIA "CA Issuers" URL as public CAs do: OpenSSL says 20."""
    EXPIRED_WRONG_HOST = "expired_wrong_host"
    """Expired yesterday *and* valid only for :data:`WRONG_HOSTNAME`: OpenSSL reports just
    one of the two (62), so only an independent check of the certificate finds both."""
    NAMES_ONLY = "names_only"
    """Valid and trusted, for the host name only (no IP address in it): what a client that
    connects by IP address meets (64)."""


class TestPKI:
    """One trusted CA plus the leaf certificates of every :class:`CertKind`, issued lazily.

    Certificates are cached per kind so that every server of a test run presents the same
    certificate for the same kind.  Files live in a private temporary directory removed by
    :meth:`close` (the ``ssl`` module can only load a certificate chain from a file).
    """

    __test__ = False  # the name starts with "Test": keep pytest from collecting it

    def __init__(self, hostname: str = "localhost") -> None:
        self.hostname = hostname
        self._ca = trustme.CA(organization_name="emaildiag test CA")
        self._untrusted_ca: trustme.CA | None = None
        self._chains: dict[CertKind, Path] = {}
        self._directory: Path | None = None

    @property
    def identities(self) -> tuple[str, ...]:
        """Names the good certificates are valid for: the host name and both loopback IPs."""
        return tuple(dict.fromkeys((self.hostname, *_LOOPBACK_IPS)))

    @property
    def ca_file(self) -> Path:
        """PEM file of the trusted CA, for ``--ca-file`` and ``SSL_CERT_FILE`` in tests."""
        path = self._private_directory() / "ca.pem"
        if not path.exists():
            self._ca.cert_pem.write_to_path(str(path))
        return path

    @property
    def ca_pem(self) -> bytes:
        """The trusted CA certificate in PEM form, for ``load_verify_locations(cadata=...)``."""
        return self._ca.cert_pem.bytes()

    def server_context(self, kind: CertKind) -> ssl.SSLContext:
        """A fresh server-side context presenting the certificate of ``kind``.

        Fresh on every call because callers (and aiosmtpd) may tweak a context; the
        certificate itself is issued once per kind and reused.
        """
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self._chain_file(kind))
        return context

    def leaf(self, kind: CertKind) -> x509.Certificate:
        """The certificate a server of ``kind`` presents, to read its dates and names."""
        return x509.load_pem_x509_certificates(self._chain_file(kind).read_bytes())[0]

    def client_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts only this PKI's CA (no system roots)."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # CERT_REQUIRED + check_hostname
        context.load_verify_locations(cadata=self.ca_pem.decode("ascii"))
        return context

    def close(self) -> None:
        """Delete the temporary files; idempotent.  Contexts already built keep working."""
        if self._directory is not None:
            shutil.rmtree(self._directory, ignore_errors=True)
            self._directory = None
        self._chains.clear()

    def __enter__(self) -> TestPKI:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _private_directory(self) -> Path:
        if self._directory is None:
            self._directory = Path(tempfile.mkdtemp(prefix="emaildiag-pki-"))
        return self._directory

    def _chain_file(self, kind: CertKind) -> Path:
        path = self._chains.get(kind)
        if path is None:
            path = self._private_directory() / f"{kind.value}.pem"
            path.write_bytes(self._issue(kind))
            self._chains[kind] = path
        return path

    def _issue(self, kind: CertKind) -> bytes:
        """Private key + certificate chain PEM for ``kind``, dated relative to now."""
        now = datetime.datetime.now(datetime.UTC)
        ids = self.identities
        if kind is CertKind.SELF_SIGNED:
            return _self_signed_pem(ids, now)
        if kind is CertKind.UNTRUSTED_CA:
            if self._untrusted_ca is None:
                self._untrusted_ca = trustme.CA(organization_name="emaildiag untrusted CA")
            leaf = self._untrusted_ca.issue_cert(*ids)
        elif kind is CertKind.CHAIN_INCOMPLETE:
            return _leaf_without_intermediate(self._ca.create_child_ca(), ids, now)
        elif kind is CertKind.WRONG_HOST:
            leaf = self._ca.issue_cert(WRONG_HOSTNAME)
        elif kind is CertKind.EXPIRED_WRONG_HOST:
            leaf = self._ca.issue_cert(
                WRONG_HOSTNAME, not_before=now - 90 * _DAY, not_after=now - _DAY
            )
        elif kind is CertKind.NAMES_ONLY:
            leaf = self._ca.issue_cert(
                self.hostname, not_before=now - 30 * _DAY, not_after=now + 60 * _DAY
            )
        elif kind is CertKind.EXPIRED:
            leaf = self._ca.issue_cert(*ids, not_before=now - 90 * _DAY, not_after=now - _DAY)
        elif kind is CertKind.NOT_YET_VALID:
            leaf = self._ca.issue_cert(*ids, not_before=now + _DAY, not_after=now + 90 * _DAY)
        elif kind is CertKind.EXPIRING:
            not_after = now + datetime.timedelta(days=10, hours=12)
            leaf = self._ca.issue_cert(*ids, not_before=now - 80 * _DAY, not_after=not_after)
        else:  # dated like a public CA's certificate, so reports show a realistic lifetime
            leaf = self._ca.issue_cert(*ids, not_before=now - 30 * _DAY, not_after=now + 60 * _DAY)
        return leaf.private_key_and_cert_chain_pem.bytes()


def _self_signed_pem(identities: tuple[str, ...], now: datetime.datetime) -> bytes:
    """A leaf that is its own issuer (``CA:FALSE``), as small appliances and test servers ship.

    OpenSSL reports it as ``DEPTH_ZERO_SELF_SIGNED_CERT`` (18), the case behind
    ``tls.cert_self_signed``; trustme cannot build it because its leaves always have a CA.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, identities[0])])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _DAY)
        .not_valid_after(now + 90 * _DAY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(_general_names(identities)), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return key_pem + certificate.public_bytes(serialization.Encoding.PEM)


def _leaf_without_intermediate(
    intermediate: trustme.CA, identities: tuple[str, ...], now: datetime.datetime
) -> bytes:
    """Key + leaf PEM only: the server will not send ``intermediate``."""
    issuer = x509.load_pem_x509_certificate(intermediate.cert_pem.bytes())
    issuer_key = serialization.load_pem_private_key(intermediate.private_key_pem.bytes(), None)
    key = ec.generate_private_key(ec.SECP256R1())
    aia = x509.AuthorityInformationAccess(
        [
            x509.AccessDescription(
                AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier(AIA_URL)
            )
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, identities[0])]))
        .issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _DAY)
        .not_valid_after(now + 60 * _DAY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(_general_names(identities)), critical=False)
        .add_extension(aia, critical=False)
        .sign(issuer_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return key_pem + certificate.public_bytes(serialization.Encoding.PEM)


def _general_names(identities: tuple[str, ...]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    for identity in identities:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(identity)))
        except ValueError:
            names.append(x509.DNSName(identity))
    return names
