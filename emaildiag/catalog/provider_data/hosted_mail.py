"""Zoho Mail and Fastmail (providers.md §8–9): paid mailboxes, often on the customer's own
domain, whose login address may differ from the From address.

Zoho needs an app password once two-factor authentication is on; Fastmail always does.
"""

from __future__ import annotations

from emaildiag.catalog.provider_types import (
    Credential,
    Fact,
    Guide,
    Port,
    ProviderInfo,
    Text,
    Username,
)

_CHATMAIL = "https://github.com/chatmail/provider-db/blob/main/_providers/"

# --- Zoho (§8) ----------------------------------------------------------------------------------
_ZOHO_ISPDB = "https://github.com/thunderbird/autoconfig/tree/master/ispdb"
_ZOHO_SMTP = (
    "https://wiki.stretchpowered.com/books/zoho/page/how-to-configure-email-server-with-zoho-smtp-"
    "settings"
)
_ZOHO_GUIDES = (
    "https://postigo.net/smtp/zoho",
    "https://ai-productivity.pages.dev/guides/zoho-smtp-server-setup-guide/",
    "https://meshworld.netlify.app/blog/devops/email/smtp/zoho-smtp-server",
)
_ZOHO_SPF = (
    "https://spfcreator.com/resources/spf-record-for-zoho",
    "https://mailermonk.com/guides/spf/zoho-mail",
)
# Zoho's data centres: the host depends on where the account lives.
_ZOHO_DCS = ("zoho.com", "zoho.eu", "zoho.in", "zoho.com.au", "zoho.jp", "zoho.com.cn", "zoho.sa")

ZOHO = ProviderInfo(
    id="zoho",
    name="Zoho Mail",
    hosts=Fact(
        tuple(f"{p}.{dc}" for p in ("smtp", "smtppro") for dc in (*_ZOHO_DCS, "zohocloud.ca")),
        (_ZOHO_ISPDB, _ZOHO_SMTP, _CHATMAIL + "zoho.md"),
    ),
    ports=Fact((Port(465, "implicit"), Port(587, "starttls")), (_ZOHO_SMTP, _ZOHO_ISPDB)),
    username=Fact(
        Username(
            "address",
            note=Text(
                "The From must be the account's address or one of its aliases.",
                "Il mittente deve essere l'indirizzo dell'account o uno dei suoi alias.",
            ),
        ),
        (_ZOHO_SMTP,),
    ),
    credential=Fact(
        Credential("password", also=("app_password",)),
        (_ZOHO_SMTP, *_ZOHO_GUIDES),
        uncertain="2026 guides disagree on whether the free plan may use SMTP",
    ),
    domains=Fact(
        (
            *("zoho.com", "zohomail.com", "zoho.eu", "zohomail.eu", "zoho.in"),
            *("zohomail.in", "zoho.com.au", "zoho.jp", "zohocloud.ca"),
        ),
        (_ZOHO_ISPDB,),
    ),
    custom_domains=True,
    mx=Fact(
        tuple(f"{mx}.{dc}" for mx in ("mx", "mx2", "mx3") for dc in (*_ZOHO_DCS, "zohocloud.ca")),
        ("https://mxrecordchecker.com/resources/zoho-mx-records",),
    ),
    spf=Fact(
        ("zoho.*", "zohomail.*", "spf.zoho.*"),
        _ZOHO_SPF,
        uncertain="sources disagree on the exact include; any of these is accepted",
    ),
    guides=(
        Guide(
            "credential",
            Text(
                "Only with two-factor authentication on: Zoho Accounts → Security → App "
                "Passwords → Generate New Password → enter a name → copy the password.",
                "Solo con l'autenticazione a due fattori attiva: Zoho Accounts → Sicurezza "
                "(Security) → Password per le app (App Passwords) → Genera nuova password → "
                "inserire un nome → copiare la password.",
            ),
            "",
            _ZOHO_GUIDES,
            uncertain="the menu path is from secondary sources",
        ),
    ),
    notes=(
        Fact(
            Text(
                "The host depends on the data centre of the account (smtp.zoho.eu for an EU "
                "account, smtp.zoho.in for India …) and on the account: paid organisation "
                "users with their own domain use smtppro.zoho.<…>. The wrong one makes "
                "sign-in fail.",
                "L'host dipende dal data center dell'account (smtp.zoho.eu per un account "
                "europeo, smtp.zoho.in per l'India …) e dal tipo di account: gli utenti di "
                "organizzazioni a pagamento con dominio proprio usano smtppro.zoho.<…>. Con "
                "quello sbagliato l'accesso fallisce.",
            ),
            (_ZOHO_SMTP, _ZOHO_ISPDB),
            uncertain="that the wrong data centre gives an authentication failure is a "
            "secondary report",
        ),
    ),
)

# --- Fastmail (§9) ------------------------------------------------------------------------------
_FASTMAIL_PORTS = "https://www.fastmail.com/help/technical/servernamesandports.html"
_FASTMAIL_APP_PW = "https://www.fastmail.help/hc/en-us/articles/360058752854"
_FASTMAIL_HELP = (
    "https://fastmail.help/hc/en-us/articles/1500000279921",
    "https://www.fastmail.help/hc/en-us/articles/360060591153",
)
_FASTMAIL_DNS = (
    "https://mailermonk.com/guides/spf/fastmail",
    "https://mailflowauthority.com/email-authentication/fastmail-email-auth",
)

FASTMAIL = ProviderInfo(
    id="fastmail",
    name="Fastmail",
    hosts=Fact(("smtp.fastmail.com",), (_FASTMAIL_PORTS,)),
    ports=Fact(
        (Port(465, "implicit"), Port(587, "starttls")), (_FASTMAIL_PORTS, _CHATMAIL + "fastmail.md")
    ),
    username=Fact(
        Username(
            "address",
            note=Text(
                "The Fastmail login address, which may differ from the alias or own-domain "
                "address used as From.",
                "L'indirizzo di accesso a Fastmail, che può essere diverso dall'alias o "
                "dall'indirizzo del proprio dominio usato come mittente.",
            ),
        ),
        (_FASTMAIL_PORTS, *_FASTMAIL_HELP),
    ),
    credential=Fact(Credential("app_password"), _FASTMAIL_HELP),
    domains=Fact(("fastmail.com", "fastmail.fm"), (_FASTMAIL_PORTS,)),
    custom_domains=True,
    mx=Fact(("*.messagingengine.com",), _FASTMAIL_DNS),
    spf=Fact(("spf.messagingengine.com",), (_FASTMAIL_PORTS, *_FASTMAIL_DNS)),
    guides=(
        Guide(
            "credential",
            Text(
                "An app password is always needed, even without 2-step verification: "
                "Settings → Privacy & Security → Connected apps & API tokens → Manage app "
                'passwords and access → New app password → access "Mail (IMAP/POP/SMTP)" '
                "→ Generate password.",
                "Serve sempre una password per le app, anche senza verifica in due "
                "passaggi: Settings → Privacy & Security → Connected apps & API tokens → "
                "Manage app passwords and access → New app password → scegliere l'accesso "
                '"Mail (IMAP/POP/SMTP)" → Generate password.',
            ),
            _FASTMAIL_APP_PW,
            _FASTMAIL_HELP,
        ),
    ),
    notes=(
        Fact(
            Text(
                "Prefer port 465 with SSL/TLS: 587 with STARTTLS works but Fastmail "
                "discourages it.",
                "Preferire la porta 465 con SSL/TLS: la 587 con STARTTLS funziona ma "
                "Fastmail la sconsiglia.",
            ),
            (_FASTMAIL_PORTS, _CHATMAIL + "fastmail.md"),
        ),
        Fact(
            Text(
                "A From that is not one of the account's verified identities is refused "
                '("… not owned by …").',
                "Un mittente che non è tra le identità verificate dell'account viene "
                'rifiutato ("… not owned by …").',
            ),
            ("https://github.com/gitlabhq/omnibus-gitlab/blob/master/doc/settings/smtp.md",),
            uncertain="the reply wording is inferred from a code comment",
        ),
    ),
)

PROVIDERS = (ZOHO, FASTMAIL)
