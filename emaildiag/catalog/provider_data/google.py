"""Gmail and Google Workspace (providers.md §1–2): one submission host, two audiences.

Both use ``smtp.gmail.com``; Workspace alone has custom domains, Google MX records and
the ``smtp-relay.gmail.com`` relay, which is how detection tells them apart.
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

_IMAP_SMTP = "https://developers.google.cn/workspace/gmail/imap/imap-smtp.md.txt"
_XOAUTH2 = "https://developers.google.com/gmail/xoauth2_protocol"
_APP_PASSWORDS = (
    "https://knowledge.workspace.google.com/kb/how-to-generate-an-app-passwords-000009237"
)
_APP_PASSWORDS_COPY = "https://doc.invoicecrowd.com/en/how-to-set-up-gmail-smtp-via-app-passwords"
_APP_PASSWORDS_HELP = "https://support.google.com/accounts/answer/185833"
_LSA_CONSUMER = "https://kadansky.com/files/newsletters/2022/2022_03_31.html"
_ERRORS = "https://support.google.com/a/answer/3726730"
_NYLAS = "https://developer.nylas.com/docs/cookbook/email/gmail-smtp-settings/"
_REPORTS = (
    "https://github.com/iiuni/projektzapisy/issues/727",
    "https://github.com/Der-Henning/tgtg/issues/517",
    "https://github.com/firebase/functions-samples/issues/39",
    "https://github.com/gophish/gophish/issues/1311",
    "https://github.com/simstudioai/sim/issues/7651",
    "https://github.com/PHPMailer/PHPMailer/issues/1805",
)
_LSA_WORKSPACE = "https://support.google.com/a/answer/14114704"
_LSA_DATES = (
    "https://umzuzu.com/google-sunsets-less-secure-apps-access-making-the-transition-to-oauth-and-app-passwords",
    "https://prospeo.io/s/setup-smtp-gmail",
)
_LIMITS = (
    "https://support.google.com/a/answer/166852",
    "https://smith.edu/tara/googleapps/mail_limits.html",
)
_RELAY = "https://support.google.com/a/answer/2956491"
_RELAY_ERRORS = "https://google-support.mirrorblogs.com/a/answer/6140680"
_MX = (
    "https://intodns.ai/citations/google-workspace-mx-records",
    "https://en.iguru.gr/records-ena-url-apo-google-workspace/",
)

# Google shows an app password as four groups of four letters.
_SPACED = r"[a-z]{4}(?:[ \u00a0][a-z]{4}){3}"

_PORTS = Fact((Port(465, "implicit"), Port(587, "starttls")), (_IMAP_SMTP,))
_ADDRESS = Fact(Username("address"), (_IMAP_SMTP,))
_SPF = Fact(("_spf.google.com",), (_IMAP_SMTP, *_MX))

_APP_PASSWORD_GUIDE = Guide(
    "credential",
    Text(
        "Google Account → Security → 2-Step Verification (turn it on first) → App passwords "
        "(direct link: https://myaccount.google.com/apppasswords). Enter a name for the app, "
        "choose Create and copy the 16-letter password; paste it without the spaces. The "
        "option is missing when 2-Step Verification is off or uses only security keys, when "
        "Advanced Protection is on, or for a work or school account.",
        "Aprire Account Google → Sicurezza → Verifica in due passaggi (da attivare prima) → "
        "Password per le app (link diretto: https://myaccount.google.com/apppasswords). "
        "Inserire un nome per il programma, scegliere Crea e copiare la password di 16 "
        "lettere, incollandola senza spazi. La voce non compare se la verifica in due "
        "passaggi è disattivata o usa solo chiavi di sicurezza, se è attiva la Protezione "
        "avanzata o se l'account è di lavoro o della scuola.",
    ),
    _APP_PASSWORDS_HELP,
    (_APP_PASSWORDS, _APP_PASSWORDS_COPY),
)

_SEND_AS_GUIDE = Guide(
    "verify_sender",
    Text(
        "Gmail settings → Accounts → Send mail as → add the address and confirm it. Until "
        "then Gmail does not refuse the message: it silently replaces the From with the "
        "account's own address.",
        "Impostazioni di Gmail → Account → Invia messaggi come → aggiungere l'indirizzo e "
        "confermarlo. Finché non è aggiunto, Gmail non rifiuta il messaggio ma sostituisce "
        "il mittente con l'indirizzo dell'account, senza avvisare.",
    ),
    "",
    _REPORTS,
)

_GMAIL_REPLIES = (
    ReplyRule(
        r"application-specific password required",
        "auth.app_password_required",
        "534-5.7.9 Application-specific password required. Learn more at … ?p=InvalidSecondFactor",
        (_ERRORS, *_REPORTS),
    ),
    ReplyRule(
        r"username and password not accepted",
        "auth.rejected",
        "535-5.7.8 Username and Password not accepted … ?p=BadCredentials",
        (_ERRORS, *_REPORTS),
    ),
    ReplyRule(  # sign-in blocked as suspicious: sign in once on the web, then retry
        r"log in (?:via|with) your web browser",
        "auth.rejected",
        "534-5.7.14 <https://accounts.google.com/…> Please log in via your web browser and "
        "then try again",
        (_ERRORS, *_REPORTS),
    ),
    ReplyRule(
        r"must issue a starttls command first",
        "auth.tls_required",
        "530 5.7.0 Must issue a STARTTLS command first",
        (_ERRORS,),
    ),
    ReplyRule(
        r"^(?:5\.7\.0 )?authentication required",
        "smtp.auth_not_offered",
        "530 5.7.0 Authentication Required",
        (_ERRORS,),
        reply=530,
        uncertain="the text is Google's error list as generally known, not seen verbatim",
    ),
    ReplyRule(
        r"daily user sending limit exceeded|daily sending quota exceeded",
        "send.message_rejected",
        "550 5.4.5 Daily user sending limit exceeded",
        (_ERRORS,),
    ),
    ReplyRule(
        r"exceeded google's message size limits",
        "send.message_rejected",
        "552 5.3.4 Your message exceeded Google's message size limits",
        (_ERRORS,),
    ),
    ReplyRule(
        r"try again later, closing connection",
        "auth.throttled",
        "421 4.7.0 Try again later, closing connection",
        (_ERRORS, _RELAY_ERRORS),
    ),
    ReplyRule(
        r"too many login attempts",
        "auth.throttled",
        "454 4.7.0 Too many login attempts, please try again later",
        _REPORTS,
        uncertain="from an issue report; the reply code was not confirmed",
    ),
)

_RELAY_REPLIES = (
    ReplyRule(  # IP not registered for the relay, or HELO / MAIL FROM domain not the customer's
        r"invalid credentials for relay",
        "auth.rejected",
        "550 5.7.1 Invalid credentials for relay [IP]",
        (_RELAY_ERRORS,),
        uncertain="text from a mirror of Google doc 6140680; send.sender_rejected fits too",
    ),
    ReplyRule(
        r"peak smtp relay limit exceeded",
        "send.temporary_failure",
        "450 4.2.1 Peak SMTP relay limit exceeded for customer",
        (_RELAY_ERRORS,),
        uncertain="text from a mirror of Google doc 6140680",
    ),
    ReplyRule(
        r"daily smtp relay limit exceeded",
        "send.message_rejected",
        "550 5.4.5 Daily SMTP relay limit exceeded for user",
        (_RELAY,),
        uncertain="from an older version of Google's relay page",
    ),
)

GMAIL = ProviderInfo(
    id="gmail",
    name="Gmail",
    hosts=Fact(("smtp.gmail.com",), (_IMAP_SMTP,)),
    ports=_PORTS,
    username=_ADDRESS,
    credential=Fact(
        Credential("app_password", oauth2=True), (_IMAP_SMTP, _XOAUTH2, _APP_PASSWORDS)
    ),
    domains=Fact(("gmail.com", "googlemail.com"), (_IMAP_SMTP,)),
    spf=_SPF,
    wrong_ports=Fact(
        (WrongPort(25, "not offered by Google for client submission"),),
        (_IMAP_SMTP,),
        uncertain="Google lists only 465 and 587; a listener may still answer on 25",
    ),
    guides=(_APP_PASSWORD_GUIDE, _SEND_AS_GUIDE),
    replies=_GMAIL_REPLIES,
    limits=Fact(
        Text(
            "About 500 recipients a day; after a limit, sending stays blocked for up to 24 hours.",
            "Circa 500 destinatari al giorno; superato un limite, l'invio resta bloccato "
            "fino a 24 ore.",
        ),
        (_NYLAS, _ERRORS),
        uncertain="secondary source; Google's consumer limits page was not in the sources",
    ),
    notes=(
        Fact(
            Text(
                "The normal account password stopped working for apps on 2022-05-30; "
                "only an app password or OAuth2 works.",
                "Dal 30/05/2022 la password normale dell'account non funziona più nei "
                "programmi: servono una password per le app o l'accesso OAuth2.",
            ),
            (_LSA_CONSUMER, _APP_PASSWORDS),
        ),
    ),
    spaced_app_password=_SPACED,
)

GOOGLE_WORKSPACE = ProviderInfo(
    id="google_workspace",
    name="Google Workspace",
    hosts=Fact(("smtp.gmail.com", "smtp-relay.gmail.com"), (_IMAP_SMTP, _RELAY)),
    ports=_PORTS,
    username=_ADDRESS,
    credential=Fact(
        Credential("app_password", oauth2=True),
        (_IMAP_SMTP, _XOAUTH2, _LSA_WORKSPACE),
        uncertain="administrators can turn app passwords off; the setting names were not verified",
    ),
    custom_domains=True,
    mx=Fact(("smtp.google.com", "*.l.google.com", "*.googlemail.com"), _MX),
    spf=_SPF,
    guides=(
        _APP_PASSWORD_GUIDE,
        Guide(
            "enable_smtp",
            Text(
                "Only for the relay smtp-relay.gmail.com, done by an administrator: Admin "
                "console → Apps → Google Workspace → Gmail → Routing → SMTP relay service → "
                'Configure. Choose the allowed senders, and either "Only accept mail from '
                'the specified IP addresses" or "Require SMTP Authentication", plus '
                '"Require TLS encryption".',
                "Solo per il relay smtp-relay.gmail.com, a cura di un amministratore: "
                "Console di amministrazione → App → Google Workspace → Gmail → Routing → "
                "Servizio di inoltro SMTP → Configura. Scegliere i mittenti consentiti e "
                "l'accettazione solo dagli indirizzi IP indicati oppure l'autenticazione "
                "SMTP obbligatoria, insieme alla crittografia TLS obbligatoria.",
            ),
            _RELAY,
            (_RELAY, _RELAY_ERRORS),
            uncertain="the menu path is from secondary guides",
        ),
        _SEND_AS_GUIDE,
    ),
    replies=_GMAIL_REPLIES + _RELAY_REPLIES,
    limits=Fact(
        Text(
            "Per user: 2,000 messages a day (500 on a trial), 100 recipients per message "
            "sent via SMTP, 10,000 recipients a day, over a rolling 24 hours; after a limit, "
            "sending stays blocked for up to 24 hours.",
            "Per utente: 2.000 messaggi al giorno (500 in prova), 100 destinatari per "
            "messaggio inviato via SMTP, 10.000 destinatari al giorno, su 24 ore mobili; "
            "superato un limite, l'invio resta bloccato fino a 24 ore.",
        ),
        _LIMITS,
    ),
    notes=(
        Fact(
            Text(
                "Password (less secure apps) sign-in ended on 2024-09-30: only an app "
                "password or OAuth2 works.",
                "L'accesso con la password normale (app meno sicure) è terminato il "
                "30/09/2024: servono una password per le app o l'accesso OAuth2.",
            ),
            (_LSA_WORKSPACE, *_LSA_DATES),
        ),
        Fact(
            Text(
                "smtp-relay.gmail.com without TLS accepts only IP-address authentication; "
                "with SMTP AUTH use port 587 and TLS.",
                "smtp-relay.gmail.com senza TLS accetta solo l'autenticazione per "
                "indirizzo IP; con l'autenticazione SMTP usare la porta 587 e TLS.",
            ),
            (_RELAY,),
        ),
        Fact(
            Text(
                "Port 465 with an app password on smtp-relay.gmail.com is reported to work.",
                "La porta 465 con una password per le app su smtp-relay.gmail.com risulta "
                "funzionare.",
            ),
            (_RELAY,),
            uncertain="seen only in public pastebins, not documented by Google",
        ),
    ),
    spaced_app_password=_SPACED,
)

PROVIDERS = (GMAIL, GOOGLE_WORKSPACE)
