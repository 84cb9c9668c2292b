"""GMX, WEB.DE, Proton Mail, Yandex and Mail.ru (providers.md §10–14).

Regional mailboxes with a switch or a special password of their own: GMX and WEB.DE
need POP3/IMAP access turned on once, Proton sends only through Bridge or an SMTP
token, Yandex and Mail.ru need an app password.
"""

from __future__ import annotations

from emaildiag.catalog.provider_types import (
    Credential,
    Fact,
    Guide,
    Port,
    ProviderInfo,
    ReplyRule,
    Text,
    Username,
)

_ISPDB = "https://github.com/thunderbird/autoconfig/blob/master/ispdb/"
_CHATMAIL = "https://github.com/chatmail/provider-db/blob/main/_providers/"
_BOTH = (Port(465, "implicit"), Port(587, "starttls"))

# --- GMX (§10) ----------------------------------------------------------------------------------
_GMX_APP_PW = "https://hilfe.gmx.net/sicherheit/2fa/anwendungsspezifisches-passwort.html"
_GMX_2FA = (
    "https://hilfe.gmx.net/sicherheit/2fa/index.html",
    "https://www.gmx.co.uk/security/2fa/",
)
_GMX_ISPDB = (_ISPDB + "gmx.net.xml", _ISPDB + "gmx.com.xml")

GMX = ProviderInfo(
    id="gmx",
    name="GMX",
    hosts=Fact(("mail.gmx.net", "mail.gmx.com"), _GMX_ISPDB),
    ports=Fact(_BOTH, _GMX_ISPDB),
    username=Fact(Username("address"), _GMX_ISPDB),
    credential=Fact(Credential("password", also=("app_password",)), (_GMX_APP_PW, *_GMX_2FA)),
    domains=Fact(
        (
            *("gmx.net", "gmx.de", "gmx.at", "gmx.ch", "gmx.eu"),
            *("gmx.org", "gmx.info", "gmx.biz", "gmx.com"),
        ),
        _GMX_ISPDB,
    ),
    guides=(
        Guide(
            "enable_smtp",
            Text(
                "In GMX web mail, open the email settings → POP3 & IMAP and turn access on "
                "(once); until then apps cannot sign in.",
                "Nella posta web di GMX aprire le impostazioni email → POP3 & IMAP e "
                "attivare l'accesso (una sola volta); fino ad allora i programmi non possono "
                "accedere.",
            ),
            "https://hilfe.gmx.net/pop-imap/einschalten.html",
            _GMX_ISPDB,
        ),
        Guide(
            "credential",
            Text(
                "Only with two-factor authentication on: GMX → Mein Account → Sicherheit → "
                'Anwendungsspezifische Passwörter → "Jetzt anwendungsspezifisches Passwort '
                'einrichten". The password is shown only once.',
                "Solo con l'autenticazione a due fattori attiva: GMX → Mein Account → "
                'Sicherheit → Anwendungsspezifische Passwörter → "Jetzt '
                'anwendungsspezifisches Passwort einrichten". La password viene mostrata '
                "una sola volta.",
            ),
            _GMX_APP_PW,
            (_GMX_APP_PW,),
        ),
    ),
    notes=(
        Fact(
            Text(
                "gmx.com (international) uses mail.gmx.com; gmx.net, .de, .at and .ch use "
                "mail.gmx.net. GMX has no custom domains.",
                "gmx.com (internazionale) usa mail.gmx.com; gmx.net, .de, .at e .ch usano "
                "mail.gmx.net. GMX non offre domini personalizzati.",
            ),
            _GMX_ISPDB,
        ),
    ),
)

# --- WEB.DE (§11) -------------------------------------------------------------------------------
_WEBDE = (_ISPDB + "web.de.xml", _CHATMAIL + "web.de.md")

WEBDE = ProviderInfo(
    id="webde",
    name="WEB.DE",
    hosts=Fact(("smtp.web.de",), _WEBDE),
    ports=Fact((Port(587, "starttls"), Port(465, "implicit")), _WEBDE),
    username=Fact(
        Username(
            "other",
            note=Text(
                "The WEB.DE user name (the part before @); the full address is reported to "
                "work too.",
                "Il nome utente WEB.DE (la parte prima della @); risulta funzionare anche "
                "l'indirizzo completo.",
            ),
        ),
        _WEBDE,
        uncertain="the full address is commonly reported to work as well",
    ),
    credential=Fact(
        Credential("password", also=("app_password",)),
        _WEBDE,
        uncertain="the app password with 2FA is inferred from GMX, same platform",
    ),
    domains=Fact(("web.de", "email.de"), _WEBDE),
    guides=(
        Guide(
            "enable_smtp",
            Text(
                "In WEB.DE web mail, open the email settings → POP3/IMAP and turn access on "
                "(once); until then apps cannot sign in.",
                "Nella posta web di WEB.DE aprire le impostazioni email → POP3/IMAP e "
                "attivare l'accesso (una sola volta); fino ad allora i programmi non possono "
                "accedere.",
            ),
            "https://hilfe.web.de/pop-imap/einschalten.html",
            _WEBDE,
        ),
        Guide(
            "credential",
            Text(
                "Only with two-factor authentication on: WEB.DE → Mein Account → Sicherheit → "
                "Anwendungsspezifische Passwörter → create one for this app; it is shown only "
                "once.",
                "Solo con l'autenticazione a due fattori attiva: WEB.DE → Mein Account → "
                "Sicherheit → Anwendungsspezifische Passwörter → crearne una per questo "
                "programma; viene mostrata una sola volta.",
            ),
            "",
            (_GMX_APP_PW, *_WEBDE),
            uncertain="inferred from GMX, which runs on the same platform",
        ),
    ),
)

# --- Proton Mail (§12) --------------------------------------------------------------------------
_PROTON_HELP = "https://proton.me/support/smtp-submission"
_PROTON_MIRROR = "https://dotcompc.ir/support/fr/smtp-submission"
_PROTON_BRIDGE = (
    "https://docs.rs/crate/missive/latest/source/src/providers/protonbridge.rs",
    "https://github.com/sdelafond/docker-protonmail-bridge",
    "https://glama.ai/mcp/servers/santiagotoscanini/proton-bridge-mcp/schema",
    "https://github.com/advplyr/audiobookshelf/issues/2765",
)

PROTON = ProviderInfo(
    id="proton",
    name="Proton Mail",
    hosts=Fact(("smtp.protonmail.ch",), (_PROTON_MIRROR,)),
    ports=Fact((Port(587, "starttls"),), (_PROTON_MIRROR,)),
    username=Fact(
        Username(
            "address",
            note=Text(
                "The own-domain address the SMTP token was created for (with Bridge: the "
                "address Bridge shows).",
                "L'indirizzo del proprio dominio per cui è stato creato il token SMTP (con "
                "Bridge: l'indirizzo mostrato da Bridge).",
            ),
        ),
        (_PROTON_MIRROR, *_PROTON_BRIDGE),
    ),
    credential=Fact(
        Credential("smtp_key", also=("app_password",)), (_PROTON_MIRROR, *_PROTON_BRIDGE)
    ),
    domains=Fact(
        ("proton.me", "protonmail.com", "protonmail.ch", "pm.me"),
        ("https://domaincheckup.net/domain/proton.me",),
    ),
    custom_domains=True,
    mx=Fact(
        ("mail.protonmail.ch", "mailsec.protonmail.ch"),
        ("https://domaincheckup.net/domain/proton.me",),
    ),
    spf=Fact(
        ("_spf.protonmail.ch",), ("https://proton.me/support/de/anti-spoofing-custom-domain",)
    ),
    guides=(
        Guide(
            "credential",
            Text(
                "Proton Mail on the web → Settings → All settings → Proton Mail → IMAP/SMTP → "
                "SMTP tokens → Generate token → choose the address. Offered only on some "
                "business plans, Visionary and Family, for an own-domain address; otherwise "
                "use Proton Mail Bridge and the password Bridge shows.",
                "Proton Mail sul web → Impostazioni → Tutte le impostazioni → Proton Mail → "
                "IMAP/SMTP → Token SMTP → Genera token → scegliere l'indirizzo. Disponibile "
                "solo con alcuni piani business, Visionary e Family, per un indirizzo con "
                "dominio proprio; altrimenti usare Proton Mail Bridge e la password mostrata "
                "da Bridge.",
            ),
            _PROTON_HELP,
            (_PROTON_MIRROR,),
            uncertain="the menu wording is from third-party configurations",
        ),
    ),
    notes=(
        Fact(
            Text(
                "Proton Mail Bridge (desktop app, paid plans) listens on 127.0.0.1 port 1025 "
                "with STARTTLS and a self-signed certificate: export the certificate from "
                "Bridge and trust it instead of turning verification off. Bridge must be "
                "running when mail is sent.",
                "Proton Mail Bridge (app per computer, piani a pagamento) risponde su "
                "127.0.0.1 porta 1025 con STARTTLS e un certificato autofirmato: esportare il "
                "certificato da Bridge e considerarlo attendibile invece di disattivare la "
                "verifica. Bridge deve essere in esecuzione quando si invia.",
            ),
            _PROTON_BRIDGE,
        ),
        Fact(
            Text(
                "Mail sent with an SMTP token is not end-to-end encrypted.",
                "La posta inviata con un token SMTP non è cifrata end-to-end.",
            ),
            (_PROTON_MIRROR,),
        ),
    ),
)

# --- Yandex (§13) -------------------------------------------------------------------------------
_YANDEX_APP_PW = "https://yandex.com/support/passport/authorization/app-passwords.html"
_YANDEX_360 = "https://yandex.com/support/yandex-360/business/admin/en/mail/configuration"
_YANDEX = (_ISPDB + "yandex.ru.xml", _CHATMAIL + "yandex.ru.md")

YANDEX = ProviderInfo(
    id="yandex",
    name="Yandex Mail",
    hosts=Fact(("smtp.yandex.com", "smtp.yandex.ru"), _YANDEX),
    ports=Fact(_BOTH, _YANDEX, uncertain="587 with STARTTLS is assumed"),
    username=Fact(Username("address"), _YANDEX),
    credential=Fact(
        Credential("app_password"),
        (_YANDEX_APP_PW, _CHATMAIL + "yandex.ru.md"),
        uncertain="required once 2FA is on; secondary reports say now for all mail clients",
    ),
    domains=Fact(
        ("yandex.ru", "yandex.com", "yandex.by", "yandex.kz", "yandex.ua", "ya.ru", "narod.ru"),
        _YANDEX,
    ),
    custom_domains=True,
    mx=Fact(
        ("mx.yandex.net", "mx.yandex.ru"),
        (_YANDEX_360,),
        uncertain="only mx.yandex.net is confirmed",
    ),
    spf=Fact(("_spf.yandex.net",), (_YANDEX_360,)),
    guides=(
        Guide(
            "enable_smtp",
            Text(
                "Yandex Mail settings → Email clients: allow access by mail clients.",
                "Impostazioni di Yandex Mail → Programmi di posta (Email clients): "
                "consentire l'accesso dai programmi di posta.",
            ),
            _YANDEX_360,
            (_YANDEX_360,),
        ),
        Guide(
            "credential",
            Text(
                "Yandex ID → Passwords and authorization → Enable app passwords → Create a "
                "new password → app type Mail → enter a name → Create.",
                "Yandex ID → Password e autorizzazione (Passwords and authorization) → "
                "attivare le password per le app → Crea nuova password → tipo di app Posta "
                "(Mail) → inserire un nome → Crea.",
            ),
            _YANDEX_APP_PW,
            (_YANDEX_APP_PW,),
        ),
    ),
    replies=(
        ReplyRule(
            r"sender address rejected: not owned by auth user",
            "send.sender_rejected",
            "553 5.7.1 Sender address rejected: not owned by auth user.",
            ("https://github.com/fisharebest/webtrees/issues/2370",),
        ),
    ),
    notes=(
        Fact(
            Text(
                "All app passwords are reset when the account password changes, 2FA is "
                'switched on or off, or "log out on all devices" is used.',
                "Tutte le password per le app vengono annullate quando si cambia la password "
                "dell'account, si attiva o disattiva la 2FA o si usa \"esci da tutti i "
                'dispositivi".',
            ),
            (_YANDEX_APP_PW,),
        ),
    ),
)

# --- Mail.ru (§14) ------------------------------------------------------------------------------
_MAILRU = (_CHATMAIL + "mail.ru.md", _ISPDB + "mail.ru.xml")
_MAILRU_HELP = "https://help.mail.ru/mail/security/protection/external"

MAILRU = ProviderInfo(
    id="mailru",
    name="Mail.ru",
    hosts=Fact(("smtp.mail.ru",), _MAILRU),
    ports=Fact(_BOTH, _MAILRU),
    username=Fact(Username("address"), _MAILRU),
    credential=Fact(Credential("app_password"), (_CHATMAIL + "mail.ru.md",)),
    domains=Fact(("mail.ru", "inbox.ru", "list.ru", "bk.ru", "internet.ru"), _MAILRU),
    custom_domains=True,
    mx=Fact(("mxs.mail.ru", "emx.mail.ru"), _MAILRU, uncertain="not seen in the sources"),
    spf=Fact(("_spf.mail.ru",), _MAILRU, uncertain="not seen in the sources"),
    guides=(
        Guide(
            "credential",
            Text(
                "Mail.ru settings → Security → Passwords for external applications → create "
                "one for this app and paste it instead of the account password.",
                "Impostazioni di Mail.ru → Sicurezza → Password per applicazioni esterne "
                "(пароль для внешнего приложения) → crearne una per questo programma e "
                "incollarla al posto della password dell'account.",
            ),
            _MAILRU_HELP,
            (_CHATMAIL + "mail.ru.md",),
            uncertain="the menu wording is translated",
        ),
    ),
)

PROVIDERS = (GMX, WEBDE, PROTON, YANDEX, MAILRU)
