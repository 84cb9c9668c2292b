"""The data a diagnosis produces: severities, findings, per-step facts and the Report.

Everything here is plain frozen data. Nothing in this module holds the password:
the runner hands checks a redacted view of the settings for reporting, and the
Report only ever sees ``password_set``.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

SCHEMA = "emaildiag.report/1"


class Severity(enum.Enum):
    """How bad a finding is. Ordered: ``info < warning < error``."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank < other.rank


_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}

Verdict = Literal["ok", "warning", "error"]


@dataclass(frozen=True)
class Finding:
    """One diagnosable situation, with its text already rendered in one language.

    ``params`` keeps the values that were filled into the text so the same finding
    can be rendered again in another language (:func:`emaildiag.catalog.translate`).
    ``detail`` carries evidence such as an escaped server reply.
    """

    code: str
    severity: Severity
    title: str
    fix: str | None = None
    port: int | None = None
    detail: str | None = None
    params: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "title": self.title,
            "fix": self.fix,
            "port": self.port,
            "detail": self.detail,
        }


def worst(findings: tuple[Finding, ...] | list[Finding]) -> Severity | None:
    return max((f.severity for f in findings), key=lambda s: s.rank, default=None)


def verdict_of(findings: tuple[Finding, ...] | list[Finding]) -> Verdict:
    """The verdict is the worst severity; info-only (or nothing) is ``ok``."""
    w = worst(findings)
    if w is Severity.ERROR:
        return "error"
    if w is Severity.WARNING:
        return "warning"
    return "ok"


# --- facts recorded by the checks -------------------------------------------------

Family = Literal["ipv4", "ipv6"]
PortState = Literal["open", "refused", "filtered", "unreachable", "error"]
TlsMode = Literal["starttls", "implicit", "none"]


@dataclass(frozen=True)
class CertificateFacts:
    subject: str
    san: tuple[str, ...]
    issuer: str
    not_before: str  # ISO 8601, UTC
    not_after: str
    days_left: int
    key_type: str
    key_bits: int | None
    signature_algorithm: str | None
    sha256: str
    self_signed: bool
    ca_issuers: tuple[str, ...] = ()  # AIA "CA Issuers" URLs: where the issuer can be fetched
    san_omitted: int = 0  # names of a very long list not kept in ``san``


@dataclass(frozen=True)
class TlsFacts:
    mode: TlsMode
    version: str | None = None
    cipher: str | None = None
    verified: bool = False
    verify_error: str | None = None
    certificate: CertificateFacts | None = None


def extensions(ehlo: tuple[str, ...]) -> dict[str, str]:
    """EHLO lines as ``{KEYWORD: parameters}`` (RFC 5321 §4.1.1.1): SIZE, AUTH, STARTTLS,
    8BITMIME, SMTPUTF8, PIPELINING … with their values, e.g. ``{"SIZE": "35882577"}``."""
    out: dict[str, str] = {}
    for line in ehlo:
        keyword, _, params = line.partition(" ")
        if keyword.upper().startswith("AUTH="):  # the pre-RFC 4954 form some servers add
            keyword, params = "AUTH", line[5:]
        out.setdefault(keyword.upper(), params.strip())
    return out


@dataclass(frozen=True)
class ProbeFacts:
    """One TCP/SMTP conversation with one address on one port."""

    port: int
    address: str
    family: Family
    state: PortState
    connect_ms: float | None = None
    greeting: str | None = None
    mode: TlsMode | None = None
    tls: TlsFacts | None = None
    ehlo: tuple[str, ...] = ()
    ehlo_tls: tuple[str, ...] = ()
    timings: Mapping[str, float] = field(default_factory=dict)
    problem: str | None = None  # the finding code of what went wrong, if anything
    error: str | None = None  # evidence for it (escaped server text, exception text)

    def to_dict(self) -> dict[str, Any]:
        d = _plain(self)
        d["tls"] = _plain(self.tls) if self.tls else None
        d["extensions"] = {
            "before_tls": extensions(self.ehlo),
            "after_tls": extensions(self.ehlo_tls),
        }
        return d


@dataclass(frozen=True)
class DnsFacts:
    host: str
    addresses: tuple[tuple[str, Family], ...] = ()
    cname_chain: tuple[str, ...] = ()
    domain: str | None = None
    mx: tuple[str, ...] = ()
    spf: str | None = None  # shown cut at 500 characters
    # the include: and redirect= domains of the whole SPF record
    spf_targets: tuple[str, ...] = ()
    dmarc: str | None = None
    # RFC 6186 / RFC 8314 §5.1: where the domain says its submission service is
    submission_srv: tuple[str, ...] = ()  # _submission._tcp (STARTTLS)
    submissions_srv: tuple[str, ...] = ()  # _submissions._tcp (implicit TLS)
    timings: Mapping[str, float] = field(default_factory=dict)
    # RFC 5321 §5.1: no MX, so mail for the domain goes to the domain's own addresses
    implicit_mx: tuple[str, ...] = ()
    # MX target → the name its CNAME points to (an MX must not name an alias, RFC 2181 §10.3)
    mx_aliases: Mapping[str, str] = field(default_factory=dict)
    # the host as this computer's own lookup sees it (hosts file, VPN; None: not compared)
    system_addresses: tuple[str, ...] | None = None


@dataclass(frozen=True)
class RelayFacts:
    """What the relay check saw. ``failed_at`` names the phase (``url``, ``dns``,
    ``connect``, ``tls``, ``request``) that ended the check before an HTTP answer;
    ``error`` is the evidence; ``latency_ms`` runs from sending the request to the
    response headers. ``location`` is a redirect target, reported, never followed.
    ``timings`` (ms): ``dns``, ``connect``, ``tls`` (both passes when verification
    failed; ``tls_unverified`` is the second alone) and ``request`` (up to the capped body)."""

    url: str
    host: str
    port: int
    addresses: tuple[tuple[str, str], ...] = ()
    status: int | None = None
    latency_ms: float | None = None
    tls: TlsFacts | None = None
    timings: Mapping[str, float] = field(default_factory=dict)
    error: str | None = None
    address: str | None = None
    failed_at: str | None = None
    location: str | None = None
    content_type: str | None = None
    body: str | None = None


AuthResult = Literal["ok", "rejected", "skipped", "error", "not_attempted"]
SendResult = Literal["ok", "rejected", "error", "not_attempted"]


@dataclass(frozen=True)
class AuthFacts:
    result: AuthResult = "not_attempted"
    port: int | None = None
    code: int | None = None
    mechanism: str | None = None
    reply: str | None = None
    timings: Mapping[str, float] = field(default_factory=dict)  # the sign-in session's phases
    # What the server offered after TLS; one of them is chosen (XOAUTH2 with a token,
    # else PLAIN, else LOGIN) and tried once, never the others after a refusal.
    offered: tuple[str, ...] = ()


@dataclass(frozen=True)
class SendFacts:
    result: SendResult = "not_attempted"
    stage: str | None = None  # "mail", "rcpt" (sender check) or "data" (the test email)
    code: int | None = None
    reply: str | None = None
    queue_id: str | None = None


@dataclass(frozen=True)
class TranscriptLine:
    """One line of a conversation. ``direction``: ``C`` client, ``S`` server, ``*`` note."""

    t_ms: float
    port: int
    address: str
    direction: Literal["C", "S", "*"]
    text: str


JobState = Literal["ok", "timed_out", "failed", "skipped"]


@dataclass(frozen=True)
class JobOutcome:
    name: str
    state: JobState
    elapsed_ms: float
    error: str | None = None


@dataclass(frozen=True)
class Provider:
    id: str
    name: str


@dataclass(frozen=True)
class Report:
    """The result of one diagnosis. ``to_dict()`` is the JSON of SPEC §3."""

    settings: Mapping[str, Any]
    findings: tuple[Finding, ...] = ()
    provider: Provider | None = None
    dns: DnsFacts | None = None
    probes: tuple[ProbeFacts, ...] = ()
    auth: AuthFacts = AuthFacts()
    send: SendFacts = SendFacts()
    transcript: tuple[TranscriptLine, ...] = ()
    jobs: tuple[JobOutcome, ...] = ()
    started_at: str | None = None
    finished_at: str | None = None
    duration_ms: float | None = None
    lang: str = "en"
    version: str = ""
    root_cause: Finding | None = None  # the finding to fix first (see emaildiag.guidance)
    recommended: Mapping[str, Any] | None = None  # settings seen to work, when any
    relay: RelayFacts | None = None  # protocol "http": what the relay check saw

    @property
    def verdict(self) -> Verdict:
        return verdict_of(self.findings)

    def codes(self) -> list[str]:
        return [f.code for f in self.findings]

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "emaildiag_version": self.version,
            "verdict": self.verdict,
            "lang": self.lang,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "duration_ms": self.duration_ms,
            "settings": dict(self.settings),
            "provider": _plain(self.provider) if self.provider else None,
            "dns": _plain(self.dns) if self.dns else None,
            "probes": [p.to_dict() for p in self.probes],
            "auth": _plain(self.auth),
            "send": _plain(self.send),
            "relay": _plain(self.relay) if self.relay else None,
            "root_cause": self.root_cause.to_dict() if self.root_cause else None,
            "recommended": dict(self.recommended) if self.recommended else None,
            "findings": [f.to_dict() for f in self.findings],
            "transcript": [_plain(t) for t in self.transcript],
            "jobs": [_plain(j) for j in self.jobs],
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def to_text(self) -> str:
        from emaildiag.render.text import render_text

        return render_text(self)

    def to_html(self, path: str | None = None) -> str:
        """The self-contained HTML report (needs the ``report`` extra); written to
        ``path`` too when given. The same report always gives the same bytes."""
        from emaildiag.render.html import render_html

        html = render_html(self)
        if path is not None:
            with open(path, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(html)
        return html

    def to_frame(self, kind: str = "findings") -> Any:
        """A pandas DataFrame: one row per finding (``kind="findings"``) or per probe
        (``kind="probes"``); needs the ``notebook`` extra."""
        from emaildiag.render.frame import findings_frame, probes_frame

        if kind == "findings":
            return findings_frame(self)
        if kind == "probes":
            return probes_frame(self)
        raise ValueError(f"kind must be 'findings' or 'probes', not {kind!r}")

    def plot(self) -> Any:
        """A matplotlib Figure: the phase waterfall and the port × mode matrix."""
        from emaildiag.render.charts import report_figure

        return report_figure(self)

    def _repr_html_(self) -> str | None:
        return self._repr_mimebundle_().get("text/html")

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """Rich display in notebooks, with plain text for GitHub, nbconvert and terminals."""
        bundle = {"text/plain": self.to_text()}
        try:
            from emaildiag.render.html import render_fragment

            bundle["text/html"] = render_fragment(self)
        except ImportError:  # jinja2 not installed: the text still shows
            pass
        return bundle

    def __str__(self) -> str:
        return self.to_text()


def _plain(obj: Any) -> dict[str, Any]:
    """A dataclass as JSON-ready data (tuples become lists, mappings dicts)."""
    out = dataclasses.asdict(obj)
    return json.loads(json.dumps(out, default=str))  # type: ignore[no-any-return]
