"""Provider knowledge as data: real replies to finding codes, detection, and the data's own
integrity (every fact sourced, every text in both languages, every code in the catalogue).

The reply texts are copied verbatim from ``shared/reference/providers.md`` ("Known
replies" tables and §28b), as the providers send them. Pure: no network, no I/O.
"""

from __future__ import annotations

import re

import pytest

from emaildiag.catalog import FINDINGS
from emaildiag.catalog import providers as catalog
from emaildiag.catalog.providers import (
    PROVIDERS,
    Port,
    ProviderInfo,
    classify_provider_reply,
    detect_provider,
    get_provider,
    guides_for_finding,
    how_to,
    provider_for_address,
    provider_for_host,
    provider_for_mx,
    provider_for_wrong_host,
    providers_for_host,
    spf_authorises,
)

REQUIRED_IDS = {
    *("gmail", "google_workspace", "yahoo", "aol", "outlook", "microsoft365", "icloud"),
    *("zoho", "fastmail", "gmx", "webde", "proton", "yandex", "mailru", "ses", "sendgrid"),
    *("mailgun", "postmark", "brevo", "mailjet", "sparkpost", "ovh", "ionos", "godaddy"),
    *("namecheap", "cpanel"),
}
CREATED = {"app_password", "smtp_key", "api_key", "smtp_credentials"}


# --- replies ----------------------------------------------------------------------------------

# (provider, reply code, reply text after the code exactly as providers.md quotes it, code)
REPLIES = [
    # Gmail §1
    (
        "gmail",
        534,
        "5.7.9 Application-specific password required. Learn more at … ?p=InvalidSecondFactor",
        "auth.app_password_required",
    ),
    ("gmail", 535, "5.7.8 Username and Password not accepted … ?p=BadCredentials", "auth.rejected"),
    (
        "gmail",
        534,
        "5.7.14 <https://accounts.google.com/…> Please log in via your web browser and then try "
        "again",
        "auth.rejected",
    ),
    ("gmail", 534, "5.7.9 Please log in with your web browser", "auth.rejected"),
    ("gmail", 530, "5.7.0 Must issue a STARTTLS command first", "auth.tls_required"),
    ("gmail", 530, "5.7.0 Authentication Required", "smtp.auth_not_offered"),
    ("gmail", 550, "5.4.5 Daily user sending limit exceeded", "send.message_rejected"),
    ("gmail", 550, "Daily sending quota exceeded", "send.message_rejected"),
    (
        "gmail",
        552,
        "5.3.4 Your message exceeded Google's message size limits",
        "send.message_rejected",
    ),
    ("gmail", 421, "4.7.0 Try again later, closing connection", "auth.throttled"),
    ("gmail", 454, "4.7.0 Too many login attempts, please try again later", "auth.throttled"),
    # Google Workspace §2 (its relay, and the per-user replies it shares with Gmail)
    ("google_workspace", 550, "5.7.1 Invalid credentials for relay [IP]", "auth.rejected"),
    (
        "google_workspace",
        450,
        "4.2.1 Peak SMTP relay limit exceeded for customer",
        "send.temporary_failure",
    ),
    (
        "google_workspace",
        550,
        "5.4.5 Daily SMTP relay limit exceeded for user",
        "send.message_rejected",
    ),
    (
        "google_workspace",
        534,
        "5.7.9 Application-specific password required. Learn more at … ?p=InvalidSecondFactor",
        "auth.app_password_required",
    ),
    # Microsoft 365 §6
    (
        "microsoft365",
        535,
        "5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the "
        "Tenant. Visit https://aka.ms/smtp_auth_disabled …",
        "auth.smtp_auth_disabled",
    ),
    (
        "microsoft365",
        535,
        "5.7.139 Authentication unsuccessful, the request did not meet the criteria to be "
        "authenticated successfully. Contact your administrator.",
        "auth.smtp_auth_disabled",
    ),
    (
        "microsoft365",
        535,
        "5.7.139 Authentication unsuccessful, user is locked by your organization's security "
        "defaults policy. Contact your administrator.",
        "auth.oauth_required",
    ),
    (
        "microsoft365",
        535,
        "5.7.139 Authentication unsuccessful, basic authentication is disabled.",
        "auth.oauth_required",
    ),
    (
        "microsoft365",
        550,
        "5.7.30 Basic authentication is not supported for Client Submission.",
        "auth.smtp_auth_disabled",
    ),
    ("microsoft365", 535, "5.7.3 Authentication unsuccessful", "auth.rejected"),
    (
        "microsoft365",
        530,
        "5.7.57 Client not authenticated to send mail [during MAIL FROM]",
        "smtp.auth_not_offered",
    ),
    (
        "microsoft365",
        530,
        "5.7.57 SMTP; Client was not authenticated to send anonymous mail during MAIL FROM",
        "smtp.auth_not_offered",
    ),
    ("microsoft365", 451, "5.7.3 STARTTLS is required to send mail", "auth.tls_required"),
    (
        "microsoft365",
        421,
        "4.7.66 TLS 1.0 and 1.1 are not supported. Please upgrade/update your client to support "
        "TLS 1.2. Visit https://aka.ms/smtp_auth_tls",
        "tls.old_protocol",
    ),
    (
        "microsoft365",
        550,
        "5.7.67 TLS 1.0 and 1.1 are not supported by your organization",
        "tls.old_protocol",
    ),
    (
        "microsoft365",
        550,
        "5.7.60 SMTP; Client does not have permissions to send as this sender",
        "send.sender_rejected",
    ),
    (
        "microsoft365",
        554,
        "5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; "
        "Failed to process message due to a permanent exception with message Cannot submit "
        "message.",
        "send.sender_rejected",
    ),
    (
        "microsoft365",
        554,
        "5.2.252 SendAsDenied; <user> not allowed to send as <address>; "
        "STOREDRV.Submission.Exception:SendAsDeniedException…",
        "send.sender_rejected",
    ),
    ("microsoft365", 504, "5.7.4 Unrecognized authentication type", "smtp.auth_not_offered"),
    # Outlook.com §5
    (
        "outlook",
        535,
        "5.7.139 Authentication unsuccessful, basic authentication is disabled.",
        "auth.oauth_required",
    ),
    (
        "outlook",
        554,
        "5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; "
        "Failed to process message due to a permanent exception with message Cannot submit "
        "message.",
        "send.sender_rejected",
    ),
    # Yahoo §3 and AOL §4 (same platform)
    ("yahoo", 535, "5.7.0 (#AUTH005) Too many bad auth attempts.", "auth.app_password_required"),
    ("yahoo", 535, "5.7.0 (#MBR1212) Incorrect username or password.", "auth.rejected"),
    (
        "yahoo",
        553,
        "From address not verified - see http://help.yahoo.com/…/sendfrom-07.html",
        "send.sender_rejected",
    ),
    ("yahoo", 550, "Request failed; Mailbox unavailable", "send.sender_rejected"),
    ("aol", 535, "5.7.0 (#AUTH005) Too many bad auth attempts.", "auth.app_password_required"),
    # iCloud §7, Yandex §13, IONOS §23
    (
        "icloud",
        550,
        "5.7.1 <member>@icloud.com: You have exceeded your daily sending limit. Please try "
        "again later.",
        "send.message_rejected",
    ),
    (
        "yandex",
        553,
        "5.7.1 Sender address rejected: not owned by auth user.",
        "send.sender_rejected",
    ),
    ("ionos", 550, "Sender address is not allowed", "send.sender_rejected"),
    (
        "ionos",
        550,
        "Requested action not taken: mailbox unavailable 550 invalid DNS MX or A/AAAA resource "
        "record",
        "send.sender_rejected",
    ),
    # Amazon SES §15
    (
        "ses",
        554,
        "Message rejected: Email address is not verified. The following identities failed the "
        "check in region <REGION>: <id>, …",
        "send.sender_rejected",
    ),
    ("ses", 530, "Must issue a STARTTLS command first", "auth.tls_required"),
    ("ses", 530, "Authentication required", "smtp.auth_not_offered"),
    ("ses", 535, "Authentication Credentials Invalid", "auth.rejected"),
    ("ses", 454, "Throttling failure: Maximum sending rate exceeded.", "auth.throttled"),
    ("ses", 554, "Throttling failure: Daily message quota exceeded.", "send.message_rejected"),
    # SendGrid §16, SparkPost §21, cPanel §26
    (
        "sendgrid",
        550,
        "The from address does not match a verified Sender Identity. Mail cannot be sent until "
        "this error is resolved. Visit "
        "https://sendgrid.com/docs/for-developers/sending-email/sender-identity/ …",
        "send.sender_rejected",
    ),
    (
        "sendgrid",
        403,
        "You are not authorized to send from that email address",
        "send.sender_rejected",
    ),
    ("sparkpost", 550, "5.7.1 Unconfigured Sending Domain <domain>", "send.sender_rejected"),
    (
        "cpanel",
        550,
        "Please turn on SMTP Authentication in your mail client … is not permitted to relay "
        "through this server without authentication",
        "smtp.auth_not_offered",
    ),
    ("cpanel", 535, "Incorrect authentication data", "auth.rejected"),
]


@pytest.mark.parametrize(("provider", "code", "text", "finding"), REPLIES)
def test_real_replies(provider: str, code: int, text: str, finding: str) -> None:
    assert len(REPLIES) >= 30
    assert classify_provider_reply(get_provider(provider), code, None, text) == finding


@pytest.mark.parametrize(("provider", "code", "text", "finding"), REPLIES[:12])
def test_reply_forms(provider: str, code: int, text: str, finding: str) -> None:
    """The enhanced code may come separately, the text may keep its reply code, and
    a multi-line reply arrives joined with the enhanced code repeated."""
    info = get_provider(provider)
    m = re.match(r"([245]\.\d+\.\d+) (.*)", text)
    if m:
        assert classify_provider_reply(info, code, m.group(1), m.group(2)) == finding
    assert classify_provider_reply(info, code, None, f"{code} {text}") == finding
    assert classify_provider_reply(info, code, None, f"{text}  5.7.0 x - gsmtp\r\n") == finding


@pytest.mark.parametrize(
    ("provider", "code", "text"),
    [
        ("gmail", 250, "2.0.0 OK"),
        # left to the generic RFC 3463 table
        ("microsoft365", 535, "5.7.139 Authentication unsuccessful, the user credentials were"),
        ("microsoft365", 535, "5.7.139 Authentication unsuccessful"),  # not 5.7.3
        ("yahoo", 554, "5.7.9 Message not accepted for policy reasons"),  # inbound, not ours
        ("sendgrid", 421, "Message from (x.x.x.x) temporarily deferred"),
        ("mailgun", 534, "5.7.9 Application-specific password required."),  # Gmail's, not ours
        ("ses", 535, "Authentication required"),  # the rule is for a 530 reply
    ],
)
def test_replies_left_to_the_generic_table(provider: str, code: int, text: str) -> None:
    assert classify_provider_reply(get_provider(provider), code, None, text) is None


def test_no_provider_no_classification() -> None:
    assert classify_provider_reply(None, 535, "5.7.8", "Username and Password not accepted") is None


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.id)
def test_every_rule_matches_its_own_example(provider: ProviderInfo) -> None:
    for rule in provider.replies:
        re.compile(rule.text)
        code, text = int(rule.example[:3]), rule.example[4:]
        assert classify_provider_reply(provider, code, None, text) == rule.finding, rule.example


# --- detection --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("SMTP.GMAIL.COM.", "gmail"),
        ("smtp-relay.gmail.com", "google_workspace"),
        ("smtp.office365.com", "microsoft365"),
        ("smtp-legacy.office365.com", "microsoft365"),
        ("smtp-mail.outlook.com", "outlook"),
        ("smtp.mail.yahoo.com", "yahoo"),
        ("smtp.aol.com", "aol"),
        ("smtp.mail.me.com", "icloud"),
        ("smtp.zoho.com", "zoho"),
        ("smtp.zoho.eu", "zoho"),
        ("smtppro.zoho.in", "zoho"),
        ("smtp.zoho.com.au", "zoho"),
        ("smtp.zohocloud.ca", "zoho"),
        ("smtp.fastmail.com", "fastmail"),
        ("mail.gmx.com", "gmx"),
        ("smtp.web.de", "webde"),
        ("smtp.protonmail.ch", "proton"),
        ("smtp.yandex.ru", "yandex"),
        ("smtp.mail.ru", "mailru"),
        ("email-smtp.us-east-1.amazonaws.com", "ses"),
        ("email-smtp.eu-south-1.amazonaws.com", "ses"),
        ("email-smtp.ap-southeast-2.amazonaws.com", "ses"),
        ("email-smtp.us-gov-west-1.amazonaws.com", "ses"),
        ("smtp.sendgrid.net", "sendgrid"),
        ("smtp.eu.mailgun.org", "mailgun"),
        ("smtp-broadcasts.postmarkapp.com", "postmark"),
        ("smtp-relay.brevo.com", "brevo"),
        ("in-v3.mailjet.com", "mailjet"),
        ("smtp.eu.sparkpostmail.com", "sparkpost"),
        ("ssl0.ovh.net", "ovh"),
        ("smtp.ionos.de", "ionos"),
        ("smtp.ionos.co.uk", "ionos"),
        ("smtpout.europe.secureserver.net", "godaddy"),
        ("mail.privateemail.com", "namecheap"),
        # unknown or look-alike hosts
        ("email-smtp.amazonaws.com", None),
        ("email-smtp.eu-west-1.amazonaws.com.evil.example", None),
        ("evil-smtp.gmail.com.example", None),
        ("smtp.zoho.xx", None),
        ("smtp.mailgun.com", None),  # a known wrong name, not a valid host
        ("mail.example.test", None),
        ("", None),
    ],
)
def test_provider_for_host(host: str, expected: str | None) -> None:
    found = provider_for_host(host)
    assert (found.id if found else None) == expected


def test_shared_hosts_list_every_provider() -> None:
    assert [p.id for p in providers_for_host("smtp.gmail.com")] == ["gmail", "google_workspace"]
    assert [p.id for p in providers_for_host("smtp.office365.com")] == ["microsoft365", "outlook"]


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("bob@gmail.com", "gmail"),
        ("Bob@GoogleMail.COM", "gmail"),
        ("x@hotmail.it", "outlook"),
        ("x@live.co.uk", "outlook"),
        ("x@outlook.com", "outlook"),
        ("x@yahoo.it", "yahoo"),
        ("x@ymail.com", "yahoo"),
        ("x@aol.com", "aol"),
        ("x@me.com", "icloud"),
        ("x@zoho.eu", "zoho"),
        ("x@gmx.de", "gmx"),
        ("x@web.de", "webde"),
        ("x@pm.me", "proton"),
        ("x@ya.ru", "yandex"),
        ("x@bk.ru", "mailru"),
        ("x@acme.it", None),
        ("not-an-address", None),
        (None, None),
    ],
)
def test_provider_for_address(email: str | None, expected: str | None) -> None:
    found = provider_for_address(email)
    assert (found.id if found else None) == expected


@pytest.mark.parametrize(
    ("mx", "expected"),
    [
        (["1 smtp.google.com."], "google_workspace"),
        (["5 alt1.aspmx.l.google.com.", "1 aspmx.l.google.com."], "google_workspace"),
        (["10 aspmx2.googlemail.com."], "google_workspace"),
        (["0 acme-it.mail.protection.outlook.com."], "microsoft365"),
        (["0 acme-it.a1b2c3.mx.microsoft."], "microsoft365"),
        (["10 hotmail-com.olc.protection.outlook.com."], "outlook"),
        (["1 mta5.am0.yahoodns.net."], "yahoo"),
        (["1 mx-aol.mail.gm0.yahoodns.net."], "aol"),
        (["10 mx.zoho.eu.", "20 mx2.zoho.eu.", "50 mx3.zoho.eu."], "zoho"),
        (["10 mx.zoho.com.au."], "zoho"),
        (["10 in1-smtp.messagingengine.com."], "fastmail"),
        (["10 mail.protonmail.ch.", "20 mailsec.protonmail.ch."], "proton"),
        (["10 mx.yandex.net."], "yandex"),
        (["10 mx1.privateemail.com."], "namecheap"),
        (["10 mx00.ionos.it."], "ionos"),
        (["10 mx01.ionos.co.uk."], "ionos"),
        (["1 mx1.mail.ovh.net."], "ovh"),
        (["10 inbound-smtp.eu-west-1.amazonaws.com."], "ses"),
        (["0 smtp.secureserver.net.", "10 mailstore1.secureserver.net."], "godaddy"),
        (["aspmx.l.google.com"], "google_workspace"),  # a bare name, no preference
        (["20 mx.zoho.eu.", "10 aspmx.l.google.com."], "google_workspace"),  # lowest first
        (["0 ."], None),  # null MX
        (["10 mail.acme.it."], None),
        ([], None),
    ],
)
def test_provider_for_mx(mx: list[str], expected: str | None) -> None:
    found = provider_for_mx(mx)
    assert (found.id if found else None) == expected


M365_MX = ["0 acme-it.mail.protection.outlook.com."]


@pytest.mark.parametrize(
    ("host", "email", "mx", "expected"),
    [
        # 1. a known SMTP host wins; shared hosts are split by address, MX, own domain
        ("smtp.gmail.com", "bob@gmail.com", [], "gmail"),
        ("smtp.gmail.com", "bob@acme.it", ["1 smtp.google.com."], "google_workspace"),
        ("smtp.gmail.com", "bob@acme.it", [], "google_workspace"),
        ("smtp.gmail.com", "bob@acme.it", M365_MX, "google_workspace"),
        ("smtp.gmail.com", None, [], "gmail"),
        ("smtp.office365.com", "bob@acme.it", M365_MX, "microsoft365"),
        ("smtp.office365.com", "bob@hotmail.com", [], "outlook"),
        ("smtp.office365.com", "bob@acme.it", [], "microsoft365"),
        ("smtp-mail.outlook.com", "bob@acme.it", M365_MX, "outlook"),
        ("smtp.sendgrid.net", "bob@gmail.com", [], "sendgrid"),
        ("email-smtp.eu-central-1.amazonaws.com", "bob@acme.it", M365_MX, "ses"),
        ("smtp.zoho.eu", "bob@acme.it", ["10 mx.zoho.eu."], "zoho"),
        # 2. a known wrong host name
        ("smtp.mailgun.com", "bob@acme.it", [], "mailgun"),
        ("ns0.ovh.net", "bob@acme.it", [], "ovh"),
        # 3. the address's own provider when the host is unknown
        ("smtp.gmial.com", "bob@gmail.com", [], "gmail"),
        ("", "x@yahoo.co.uk", [], "yahoo"),
        # 4. mail.<own domain>: generic cPanel hosting, even with the MX elsewhere
        ("mail.acme.it", "bob@acme.it", M365_MX, "cpanel"),
        ("MAIL.ACME.IT.", "bob@Acme.it", [], "cpanel"),
        # 5. the MX of an own domain
        ("smtp.acme.it", "bob@acme.it", ["10 mx.zoho.eu."], "zoho"),
        ("", "bob@acme.it", ["1 smtp.google.com."], "google_workspace"),
        (None, "bob@acme.it", M365_MX, "microsoft365"),
        # nothing to go on
        ("smtp.acme.it", "bob@acme.it", ["10 mail.acme.it."], None),
        ("mail.other.example", "bob@acme.it", [], None),
        (None, None, [], None),
    ],
)
def test_detect_provider(
    host: str | None, email: str | None, mx: list[str], expected: str | None
) -> None:
    found = detect_provider(host, email, mx)
    assert (found.id if found else None) == expected


def test_wrong_host_names_the_right_one() -> None:
    found = provider_for_wrong_host("SMTP.MAILGUN.COM")
    assert found is not None
    provider, wrong = found
    assert (provider.id, wrong.use_instead) == ("mailgun", "smtp.mailgun.org")
    assert provider_for_host(wrong.use_instead) is provider
    assert provider_for_wrong_host("smtp.mailgun.org") is None


# --- the data itself --------------------------------------------------------------------------


def test_every_required_provider_exists_once() -> None:
    ids = [p.id for p in PROVIDERS]
    assert len(ids) == len(set(ids)) >= 26
    assert set(ids) >= REQUIRED_IDS
    assert all(get_provider(i).id == i for i in ids)
    with pytest.raises(KeyError):
        get_provider("nope")


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.id)
def test_every_fact_has_a_source(provider: ProviderInfo) -> None:
    groups = dict(provider.facts())
    assert {"hosts", "ports", "username", "credential"} <= groups.keys()
    for name, fact in provider.facts():
        assert fact.sources, f"{provider.id}: {name} has no source"
        assert all(re.match(r"https?://\S+$", url) for url in fact.sources), name
        assert fact.uncertain == fact.uncertain.strip()
    assert provider.sources and len(set(provider.sources)) == len(provider.sources)
    hash(provider)  # frozen all the way down: usable as a key


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.id)
def test_ports_have_modes(provider: ProviderInfo) -> None:
    ports = provider.ports.value
    assert ports and all(isinstance(p, Port) for p in ports)
    assert len({p.number for p in ports}) == len(ports)
    for number, tls in ports:
        assert tls in ("starttls", "implicit") and 0 < number < 65536
        if number in (465, 2465):
            assert tls == "implicit"  # RFC 8314 §3.3
        if number in (25, 587, 2525, 2587):
            assert tls == "starttls"
    wrong = {w.number for w in provider.wrong_ports.value} if provider.wrong_ports else set()
    assert not wrong & {p.number for p in ports}


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.id)
def test_patterns_are_lower_case_names(provider: ProviderInfo) -> None:
    for patterns in (provider.smtp_hosts, provider.address_domains, provider.mx_patterns):
        for pattern in patterns:
            assert re.fullmatch(r"[a-z0-9*][a-z0-9.*-]*[a-z*]", pattern), pattern
    assert bool(provider.smtp_hosts) == (provider.id != "cpanel")


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.id)
def test_how_to_texts_in_both_languages(provider: ProviderInfo) -> None:
    credential = provider.credential.value
    if {credential.kind, *credential.also} & CREATED:
        guide = how_to(provider, "credential")
        assert guide is not None, f"{provider.id}: how to create the credential?"
        assert guide.steps.get("en") and guide.steps.get("it")
    for guide in provider.guides:
        en, it = guide.steps
        assert en and it and en != it
        assert guide.url == "" or guide.url.startswith("https://")
        assert guide.steps.get("fr") == en  # other languages read English
    texts = [note.value for note in provider.notes]
    texts += [provider.limits.value] if provider.limits else []
    note = provider.username.value.note
    texts += [note] if note else []
    for text in texts:
        assert text.en and text.it and text.en != text.it


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.id)
def test_usernames_and_credentials(provider: ProviderInfo) -> None:
    username, credential = provider.username.value, provider.credential.value
    assert username.form in ("address", "apikey", "smtp_credentials", "other")
    assert username.form in ("address", "apikey") or username.note is not None
    kinds = ("password", "app_password", "smtp_key", "api_key", "oauth2_only", "smtp_credentials")
    assert {credential.kind, *credential.also} <= set(kinds)
    if credential.kind == "oauth2_only":
        assert credential.oauth2


def test_literal_usernames() -> None:
    assert get_provider("sendgrid").username.value.literal == "apikey"
    assert get_provider("sparkpost").username.value.literal == "SMTP_Injection"
    assert get_provider("ses").username.value.form == "smtp_credentials"
    assert get_provider("outlook").credential.value.kind == "oauth2_only"
    assert 465 in {w.number for w in get_provider("microsoft365").wrong_ports.value}  # type: ignore[union-attr]


def test_every_code_in_the_data_is_in_the_catalogue() -> None:
    used = {rule.finding for p in PROVIDERS for rule in p.replies}
    used |= set(catalog._PURPOSES)
    assert used and used <= FINDINGS.keys()


def test_guides_for_findings() -> None:
    gmail = get_provider("gmail")
    assert [g.purpose for g in guides_for_finding(gmail, "auth.app_password_required")] == [
        "credential"
    ]
    m365 = get_provider("microsoft365")
    assert [g.purpose for g in guides_for_finding(m365, "auth.smtp_auth_disabled")] == [
        "enable_smtp"
    ]
    assert guides_for_finding(get_provider("ses"), "send.sender_rejected")[0].url
    assert guides_for_finding(get_provider("cpanel"), "auth.app_password_required") == ()
    assert guides_for_finding(gmail, "tls.cert_expired") == ()


@pytest.mark.parametrize(
    ("provider", "group"),
    [
        ("outlook", "mx"),
        ("icloud", "mx"),
        ("mailru", "mx"),
        ("mailru", "spf"),
        ("zoho", "spf"),
        ("yahoo", "spf"),
        ("ovh", "spf"),
        ("ionos", "spf"),
        ("godaddy", "mx"),
        ("mailgun", "spf"),
        ("yandex", "mx"),
        ("aol", "ports"),
        ("webde", "username"),
        ("icloud", "wrong_ports"),
        ("outlook", "credential"),
    ],
)
def test_uncertain_facts_stay_marked(provider: str, group: str) -> None:
    """providers.md's ⚠ facts are hints: the data must keep saying so."""
    assert dict(get_provider(provider).facts())[group].uncertain


@pytest.mark.parametrize(
    ("provider", "targets", "authorised"),
    [
        ("gmail", ["_spf.google.com"], True),
        ("microsoft365", ["spf.protection.outlook.com."], True),
        ("zoho", ["zoho.eu"], True),
        ("brevo", ["spf.sendinblue.com"], True),
        ("gmail", ["spf.protection.outlook.com"], False),
        ("cpanel", ["anything.example"], False),
    ],
)
def test_spf_authorises(provider: str, targets: list[str], authorised: bool) -> None:
    assert spf_authorises(get_provider(provider), targets) is authorised
