"""Yahoo, AOL and iCloud (providers.md §3, 4, 7): personal mailboxes whose apps always
need a separate app password, never the account password.
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
    WrongPort,
)

_ISPDB = "https://github.com/thunderbird/autoconfig/blob/master/ispdb/"
_CHATMAIL = "https://github.com/chatmail/provider-db/blob/main/_providers/"

# --- Yahoo (§3) ---------------------------------------------------------------------------------
_YAHOO = (_ISPDB + "yahoo.com.xml", _CHATMAIL + "yahoo.md")
_YAHOO_HELP = "https://help.yahoo.com/kb/SLN15241.html"
_YAHOO_HELP_COPY = (
    "http://www.yansite.jp/osaka2.cgi?URL=https://help.yahoo.com/kb/"
    "generate-manage-rd-party-passwords-sln15241.html"
)
_YAHOO_BUSINESS = "https://help.yahoo.com/mkb/article.php?…id=SLN17518"
_YAHOO_REPORTS = (
    "https://github.com/PHPMailer/PHPMailer/issues/2034",
    "https://github.com/PHPMailer/PHPMailer/issues/3291",
    "https://github.com/PHPMailer/PHPMailer/issues/1287",
    "https://github.com/mattermost/mattermost/issues/13652",
    "https://smtp.codes/yahoo",
)
_YAHOO_AUTH005 = ReplyRule(  # usually the normal password where an app password is needed
    r"#AUTH005|too many bad auth attempts",
    "auth.app_password_required",
    "535 5.7.0 (#AUTH005) Too many bad auth attempts.",
    _YAHOO_REPORTS,
)
_YAHOO_MBR = ReplyRule(
    r"#MBR\d+|incorrect username or password",
    "auth.rejected",
    "535 5.7.0 (#MBR1212) Incorrect username or password.",
    _YAHOO_REPORTS,
)

YAHOO = ProviderInfo(
    id="yahoo",
    name="Yahoo Mail",
    hosts=Fact(("smtp.mail.yahoo.com",), _YAHOO),
    ports=Fact((Port(465, "implicit"), Port(587, "starttls")), _YAHOO),
    username=Fact(Username("address"), (_ISPDB + "yahoo.com.xml",)),
    credential=Fact(Credential("app_password"), (_YAHOO_HELP_COPY, _CHATMAIL + "yahoo.md")),
    domains=Fact(
        (
            *("yahoo.com", "yahoo.*", "yahoo.co.*", "yahoo.com.*"),
            *("ymail.com", "rocketmail.com", "myyahoo.com"),
        ),
        (_ISPDB + "yahoo.com.xml",),
        uncertain="country variants are matched by pattern; their exact list was not in "
        "the sources",
    ),
    mx=Fact(("*.am0.yahoodns.net",), (_ISPDB + "yahoo.com.xml",)),
    spf=Fact(
        ("spf.mail.yahoo.com",),
        (_YAHOO_BUSINESS,),
        uncertain="Yahoo Small Business value from one secondary list",
    ),
    guides=(
        Guide(
            "credential",
            Text(
                "Sign in at https://login.yahoo.com/account/security → External connections → "
                "Create app password → enter the app's name → Generate password → copy it → "
                "Done (older screens: Generate app password / Manage app passwords). Use a "
                "browser that has been signed in to Yahoo for several days, not a private "
                "window: Yahoo checks this, and customer care cannot override it.",
                "Accedere a https://login.yahoo.com/account/security → Connessioni esterne "
                "(External connections) → Crea password per app (Create app password) → "
                "inserire il nome del programma → Genera password → copiarla → Fine (nelle "
                "schermate meno recenti: Genera password per app / Gestisci password per "
                "app). Usare un browser con cui si accede a Yahoo da alcuni giorni, non una "
                "finestra in incognito: Yahoo lo verifica e l'assistenza non può fare "
                "eccezioni.",
            ),
            _YAHOO_HELP,
            (_YAHOO_HELP_COPY,),
        ),
    ),
    replies=(
        _YAHOO_AUTH005,
        _YAHOO_MBR,
        ReplyRule(
            r"from address not verified",
            "send.sender_rejected",
            "553 From address not verified - see http://help.yahoo.com/…/sendfrom-07.html",
            _YAHOO_REPORTS,
        ),
        ReplyRule(  # after a good sign-in, with a From that is not the account's
            r"request failed; mailbox unavailable",
            "send.sender_rejected",
            "550 Request failed; Mailbox unavailable",
            _YAHOO_REPORTS,
            uncertain="ambiguous: Yahoo also sends it for suspected spam",
        ),
    ),
    limits=Fact(
        Text(
            "Business Mail: 500 messages a day and at most 100 recipients per message, each "
            "recipient counting as one message. Consumer limits are not published.",
            "Business Mail: 500 messaggi al giorno e al massimo 100 destinatari per "
            "messaggio, dove ogni destinatario conta come un messaggio. I limiti degli "
            "account personali non sono pubblicati.",
        ),
        (_YAHOO_BUSINESS,),
        uncertain="consumer limits are not in the sources",
    ),
    notes=(
        Fact(
            Text(
                "An app password stays valid when the account password changes; delete it "
                "to revoke it.",
                "La password per app resta valida anche se si cambia la password "
                "dell'account; per revocarla occorre eliminarla.",
            ),
            (_YAHOO_HELP_COPY,),
        ),
        Fact(
            Text(
                '554 5.7.9 "Message not accepted for policy reasons" and 421 [TSS04] are '
                "replies to mail sent to Yahoo (SPF/DKIM/DMARC, throttling), not sign-in "
                "errors.",
                'I codici 554 5.7.9 "Message not accepted for policy reasons" e 421 '
                "[TSS04] riguardano la posta inviata verso Yahoo (SPF/DKIM/DMARC, "
                "limitazioni), non l'accesso.",
            ),
            (_YAHOO_REPORTS[-1],),
        ),
    ),
)

# --- AOL (§4) -----------------------------------------------------------------------------------
_AOL_INFERRED = "inferred from Yahoo's platform, which AOL runs on; not observed at AOL"

AOL = ProviderInfo(
    id="aol",
    name="AOL Mail",
    hosts=Fact(("smtp.aol.com",), (_ISPDB + "aol.com.xml", _CHATMAIL + "aol.md")),
    ports=Fact(
        (Port(465, "implicit"), Port(587, "starttls")),
        (_ISPDB + "aol.com.xml", "https://unpkg.com/nodemailer@6.6.5/lib/well-known/services.json"),
        uncertain="587 with STARTTLS is assumed from nodemailer's list",
    ),
    username=Fact(Username("address"), (_ISPDB + "aol.com.xml",)),
    credential=Fact(Credential("app_password"), (_CHATMAIL + "aol.md",)),
    domains=Fact(
        (
            *("aol.com", "aol.*", "aol.co.*", "aim.com", "netscape.net"),
            *("compuserve.com", "cs.com", "wmconnect.com"),
        ),
        (_ISPDB + "aol.com.xml",),
        uncertain="country variants are matched by pattern",
    ),
    mx=Fact(("*.gm0.yahoodns.net",), (_ISPDB + "aol.com.xml",)),
    guides=(
        Guide(
            "credential",
            Text(
                "Sign in at https://login.aol.com/account/security → Generate app password "
                "(or Manage app passwords) → Other app → enter a name → Generate → copy the "
                "password without spaces.",
                "Accedere a https://login.aol.com/account/security → Generate app password "
                "(o Manage app passwords) → Other app → inserire un nome → Generate → copiare "
                "la password senza spazi.",
            ),
            "https://help.aol.com/articles/how-do-i-use-other-email-applications-to-send-and-"
            "receive-my-aol-mail",
            (_CHATMAIL + "aol.md",),
        ),
    ),
    replies=(
        ReplyRule(
            _YAHOO_AUTH005.text,
            _YAHOO_AUTH005.finding,
            _YAHOO_AUTH005.example,
            _YAHOO_REPORTS,
            uncertain=_AOL_INFERRED,
        ),
        ReplyRule(
            _YAHOO_MBR.text,
            _YAHOO_MBR.finding,
            _YAHOO_MBR.example,
            _YAHOO_REPORTS,
            uncertain=_AOL_INFERRED,
        ),
    ),
    notes=(
        Fact(
            Text(
                "Ignore old advice to turn 2-step verification off: create an app password.",
                "Ignorare i vecchi consigli di disattivare la verifica in due passaggi: "
                "creare una password per app.",
            ),
            (_CHATMAIL + "aol.md",),
            uncertain="the 2020 provider-db note is probably outdated",
        ),
    ),
)

# --- iCloud (§7) --------------------------------------------------------------------------------
_APPLE_SERVER = "https://support.apple.com/HT202304"
_APPLE_APP_PW = "https://support.apple.com/HT204397"
_APPLE_LIMITS = "https://support.apple.com/en-ca/102198"
_APPLE_OLD_LIMITS = (
    "https://support.apple.com/en-us/HT202305",
    "http://support.apple.com/kb/HT4863",
)
_ICLOUD_465 = (
    "https://meshworld.in/blog/devops/email/icloud-smtp-server",
    "https://mxhelper.com/fr/mail-providers/icloud",
)
_ICLOUD_DOMAINS = "https://chamberlain.io/icloud-custom-domains-ship-with-broken-email-security-heres-how-to-fix-it"
_ICLOUD_SSL = (
    "https://clean.email/blog/email-settings/icloud-email-settings",
    "https://github.com/dawidd6/action-send-mail/issues/84",
)

ICLOUD = ProviderInfo(
    id="icloud",
    name="iCloud Mail",
    hosts=Fact(("smtp.mail.me.com",), (_APPLE_SERVER, _ISPDB + "me.com.xml")),
    ports=Fact((Port(587, "starttls"),), (_APPLE_SERVER, *_ICLOUD_SSL)),
    username=Fact(
        Username(
            "address",
            note=Text(
                "The full iCloud address; for an iCloud+ custom-domain address, sign in with "
                "the main iCloud address and send From the custom one.",
                "L'indirizzo iCloud completo; per un indirizzo con dominio personalizzato "
                "iCloud+, accedere con l'indirizzo iCloud principale e usare quello "
                "personalizzato come mittente.",
            ),
        ),
        (_ISPDB + "me.com.xml", _CHATMAIL + "icloud.md"),
    ),
    credential=Fact(Credential("app_password"), (_APPLE_APP_PW, _CHATMAIL + "icloud.md")),
    domains=Fact(("icloud.com", "me.com", "mac.com"), (_ISPDB + "me.com.xml",)),
    custom_domains=True,
    mx=Fact(
        ("mx01.mail.icloud.com", "mx02.mail.icloud.com"),
        (_ICLOUD_DOMAINS,),
        uncertain="widely published, not seen in the sources",
    ),
    spf=Fact(("icloud.com",), (_APPLE_SERVER, _ICLOUD_DOMAINS)),
    wrong_ports=Fact(
        (WrongPort(465, "not documented by Apple; some pages say it is refused"),),
        _ICLOUD_465,
        uncertain="third-party pages disagree about 465",
    ),
    guides=(
        Guide(
            "credential",
            Text(
                "Two-factor authentication must be on for the Apple Account. Open "
                "https://account.apple.com → Sign-In and Security → App-Specific Passwords → "
                "+ (Generate) → enter a label → copy the password (xxxx-xxxx-xxxx-xxxx).",
                "Sull'Account Apple deve essere attiva l'autenticazione a due fattori. "
                "Aprire https://account.apple.com → Accesso e sicurezza → Password "
                "specifiche per le app → + (Genera) → inserire un'etichetta → copiare la "
                "password (xxxx-xxxx-xxxx-xxxx).",
            ),
            _APPLE_APP_PW,
            (_APPLE_APP_PW, _CHATMAIL + "icloud.md"),
        ),
    ),
    replies=(
        ReplyRule(
            r"exceeded your daily sending limit",
            "send.message_rejected",
            "550 5.7.1 <member>@icloud.com: You have exceeded your daily sending limit. Please "
            "try again later.",
            _APPLE_OLD_LIMITS,
            uncertain="from Apple's older page; SMTP clients may now see a 45x reply",
        ),
    ),
    limits=Fact(
        Text(
            "1,000 messages a day, 1,000 recipients a day, 500 recipients per message, "
            "20 MB per message.",
            "1.000 messaggi al giorno, 1.000 destinatari al giorno, 500 destinatari per "
            "messaggio, 20 MB per messaggio.",
        ),
        (_APPLE_LIMITS,),
    ),
    notes=(
        Fact(
            Text(
                'Use port 587 with STARTTLS: SSL/TLS on 587 fails with "wrong version number".',
                'Usare la porta 587 con STARTTLS: SSL/TLS sulla 587 fallisce con "wrong '
                'version number".',
            ),
            _ICLOUD_SSL,
        ),
        Fact(
            Text(
                'A refused password shows only as a generic "535 authentication failed": '
                "the usual cause is the Apple Account password instead of an app-specific "
                "one.",
                'Una password rifiutata compare solo come generico "535 authentication '
                "failed\": di solito è stata usata la password dell'Account Apple invece di "
                "una password specifica per le app.",
            ),
            (_CHATMAIL + "icloud.md",),
            uncertain="iCloud's exact reply text was not captured",
        ),
    ),
)

PROVIDERS = (YAHOO, AOL, ICLOUD)
