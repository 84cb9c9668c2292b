"""Microsoft 365 (business tenants) and Outlook.com (consumer), providers.md §5–6 and §30.

Both run on Exchange Online and share its replies; they differ in who can sign in how.
Outlook.com accepts only OAuth2 since 2024-09-16; Microsoft 365 still accepts passwords
where four switches allow it, until basic auth goes off by default at the end of
December 2026 (Exchange Team blog, 2026-01-27).
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

_SUBMISSION = (
    "https://docs.microsoft.com/en-us/exchange/clients-and-mobile-in-exchange-online/"
    "authenticated-client-smtp-submission"
)
_DEVICES = (
    "https://snanc.org/article/how-to-set-up-a-multifunction-device-or-application-to-send-"
    "emails-using-microsoft-365-or-office-365"
)
_DEFAULT_OFF = "https://github.com/MicrosoftDocs/OfficeDocs-Exchange/pull/2080"
_LEGACY_TLS = (
    "https://learn.microsoft.com/en-us/exchange/clients-and-mobile-in-exchange-online/"
    "opt-in-exchange-online-endpoint-for-legacy-tls-using-smtp-auth"
)
_LEGACY_TLS_421 = (
    "https://m365scripts.com/security/opt-in-to-the-exchange-online-endpoint-for-legacy-tls-"
    "clients-using-smtp-auth/"
)
_OAUTH = (
    "https://learn.microsoft.com/ja-jp/exchange/client-developer/legacy-protocols/"
    "how-to-authenticate-an-imap-pop-smtp-application-by-using-oauth"
)
_TIMELINE = (
    "https://techcommunity.microsoft.com/blog/exchange/updated-exchange-online-smtp-auth-"
    "basic-authentication-deprecation-timeline/4489835",
    "https://mc.merill.net/message/MC786329/compare/2026-01-27T20-11-01-253Z/"
    "2024-04-26T00-17-12-6Z",
)
_BASIC_AUTH_550 = "https://github.com/OpenCTI-Platform/opencti/issues/12069"
_TRISTATE = "https://github.com/msgwing/ZeroSMTP/releases/tag/v1.2.0"
_MX_DNSSEC = (
    "https://www.captaindns.com/en/blog/microsoft-365-mx-dnssec-migration-2026",
    "https://techcommunity.microsoft.com/t5/exchange-team-blog/implementing-inbound-smtp-"
    "dane-with-dnssec-for-exchange-online/ba-p/3939694",
)
_REPORTS = (
    "https://github.com/simonrob/email-oauth2-proxy/issues/193",
    "https://github.com/nodemailer/nodemailer/issues/1484",
    "https://github.com/MicrosoftDocs/OfficeDocs-Exchange/issues/3124",
    "https://docs.bookyourpto.com/features/smtp-troubleshoot",
    "https://github.com/simonrob/email-oauth2-proxy/issues/315",
    "https://github.com/MicrosoftDocs/OfficeDocs-Support/issues/1187",
    "https://github.com/gophish/gophish/issues/2900",
    "https://github.com/NagiosEnterprises/nagioscore/issues/946",
)
_SEND_AS_5760 = "https://tonercom.net/2025/08/scan-to-email-microsoft-365"

_ISPDB_HOTMAIL = "https://github.com/thunderbird/autoconfig/blob/master/ispdb/hotmail.com.xml"
_CHATMAIL_OUTLOOK = "https://github.com/chatmail/provider-db/blob/main/_providers/outlook.com.md"
_OUTLOOK_END = (
    "https://techissuestoday.com/how-to-update-outlook-email-settings-to-avoid-losing-access-"
    "after-september-16/",
    "https://3ait.co.uk/blog/security-changes-coming-to-people-with-outlook-and-hotmail-addresses",
)
_OUTLOOK_535 = "https://github.com/TideDra/zotero-arxiv-daily/issues/46"
_OUTLOOK_SEND_AS = "https://github.com/rss2email/rss2email/issues/147"
_OUTLOOK_LIMITS = (
    "https://www.msoutlook.info/question/235",
    "https://learn.microsoft.com/en-us/answers/questions/5844111/maximum-emails-sent",
)
_OUTLOOK_5515 = (
    "https://support.microsoft.com/en-au/topic/fix-ndr-error-550-5-7-515-in-outlook-com-"
    "34cfe8f8-6fbf-457e-9e8b-9e4dbaf4e0ef",
    "https://app.dmarcit.io/help/550-5-7-515",
)

# Replies Exchange Online gives consumer and business accounts alike (providers.md §28b).
_BASIC_AUTH_DISABLED = ReplyRule(  # an authentication policy blocks basic auth: OAuth2 works
    r"basic authentication is disabled",
    "auth.oauth_required",
    "535 5.7.139 Authentication unsuccessful, basic authentication is disabled.",
    (*_REPORTS, _OUTLOOK_535),
    enhanced="5.7.139",
)
_SEND_AS = (
    ReplyRule(
        r"permissions? to send as this sender",
        "send.sender_rejected",
        "550 5.7.60 SMTP; Client does not have permissions to send as this sender",
        (_SEND_AS_5760,),
        uncertain="the exact text is generally known; the sources confirm only 5.7.60",
    ),
    ReplyRule(  # 5.2.0 and its newer wording 5.2.252, usually after DATA
        r"sendasdenied",
        "send.sender_rejected",
        "554 5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; "
        "Failed to process message due to a permanent exception with message Cannot submit "
        "message.",
        (*_REPORTS, _OUTLOOK_SEND_AS),
    ),
)

MICROSOFT365 = ProviderInfo(
    id="microsoft365",
    name="Microsoft 365",
    hosts=Fact(
        (
            "smtp.office365.com",
            "smtp-legacy.office365.com",  # opt-in endpoint for TLS 1.0/1.1 clients
            "smtp.partner.outlook.cn",  # 21Vianet (China)
            "smtp-legacy.partner.outlook.cn",
        ),
        (_SUBMISSION, _LEGACY_TLS),
    ),
    ports=Fact((Port(587, "starttls"), Port(25, "starttls")), (_SUBMISSION, _DEVICES)),
    username=Fact(
        Username(
            "address",
            note=Text(
                "The mailbox's sign-in address; the From must be this mailbox or one it "
                "has Send As or Send on Behalf rights for.",
                "L'indirizzo di accesso della casella; il mittente deve essere questa "
                "casella o una per cui ha il permesso Invia come o Invia per conto di.",
            ),
        ),
        (_SUBMISSION, _DEVICES),
    ),
    credential=Fact(
        Credential("password", oauth2=True),
        (_SUBMISSION, _OAUTH, *_TIMELINE),
        uncertain="passwords stop working by default at the end of December 2026; legacy "
        "per-user MFA app passwords were not verified, so they are not listed",
    ),
    custom_domains=True,
    mx=Fact(("*.mail.protection.outlook.com", "*.mx.microsoft"), _MX_DNSSEC),
    spf=Fact(("spf.protection.outlook.com",), (_DEVICES,)),
    wrong_ports=Fact(
        (WrongPort(465, "Microsoft 365 offers SMTP AUTH client submission only on 587 or 25"),),
        (_SUBMISSION, _DEVICES),
    ),
    guides=(
        Guide(
            "enable_smtp",
            Text(
                "An administrator checks four switches. 1) Microsoft 365 admin center → "
                "Users → Active users → the user → Mail → Manage email apps → tick "
                'Authenticated SMTP. 2) Exchange admin center → Settings → Mail flow: "Turn '
                'off SMTP AUTH protocol for your organization" must be unticked. 3) '
                "Microsoft Entra ID security defaults must be off: they block SMTP AUTH. 4) "
                "No authentication policy may block basic authentication for SMTP. New "
                "organisations (since January 2020) start with SMTP AUTH off.",
                "Un amministratore controlla quattro impostazioni. 1) Interfaccia di "
                "amministrazione di Microsoft 365 → Utenti → Utenti attivi → l'utente → "
                "Posta → Gestisci app di posta elettronica → spuntare SMTP autenticato. 2) "
                "Interfaccia di amministrazione di Exchange → Impostazioni → Flusso di posta: "
                "la disattivazione del protocollo SMTP AUTH per l'organizzazione deve essere "
                "tolta. 3) Le impostazioni predefinite per la sicurezza di Microsoft Entra ID "
                "devono essere disattivate, perché bloccano SMTP AUTH. 4) Nessun criterio di "
                "autenticazione deve bloccare l'autenticazione di base per SMTP. Nelle "
                "organizzazioni create da gennaio 2020 SMTP AUTH parte disattivato.",
            ),
            _SUBMISSION,
            (_SUBMISSION, _DEVICES, _DEFAULT_OFF, _TRISTATE),
        ),
        Guide(
            "verify_sender",
            Text(
                "Use the signing-in mailbox's own address as From, or have an administrator "
                "give that mailbox Send As (or Send on Behalf) permission on the From "
                "address in the Exchange admin center.",
                "Usare come mittente l'indirizzo della casella con cui si accede, oppure far "
                "assegnare da un amministratore a quella casella il permesso Invia come (o "
                "Invia per conto di) sull'indirizzo mittente, nell'interfaccia di "
                "amministrazione di Exchange.",
            ),
            _SUBMISSION,
            (_SUBMISSION, _DEVICES),
        ),
    ),
    replies=(
        ReplyRule(
            r"smtpclientauthentication is disabled",
            "auth.smtp_auth_disabled",
            "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for "
            "the Tenant. Visit https://aka.ms/smtp_auth_disabled …",
            _REPORTS,
        ),
        ReplyRule(  # mailbox switch off, or Conditional Access / MFA
            r"did not meet the criteria to be authenticated",
            "auth.smtp_auth_disabled",
            "535 5.7.139 Authentication unsuccessful, the request did not meet the criteria to "
            "be authenticated successfully. Contact your administrator.",
            _REPORTS,
            uncertain="the meaning comes from secondary troubleshooting pages",
        ),
        ReplyRule(  # security defaults block basic auth; OAuth2 with MFA still signs in
            r"security defaults policy",
            "auth.oauth_required",
            "535 5.7.139 Authentication unsuccessful, user is locked by your organization's "
            "security defaults policy. Contact your administrator.",
            _REPORTS,
        ),
        _BASIC_AUTH_DISABLED,
        ReplyRule(  # SPEC §4 lists 550 5.7.30 under "SMTP AUTH disabled for the mailbox or tenant"
            r"basic authentication is not supported for client submission",
            "auth.smtp_auth_disabled",
            "550 5.7.30 Basic authentication is not supported for Client Submission.",
            (_BASIC_AUTH_550, *_TIMELINE),
        ),
        ReplyRule(  # wrong password, MFA, or an OAuth token with the wrong scope
            r"authentication unsuccessful",
            "auth.rejected",
            "535 5.7.3 Authentication unsuccessful",
            _REPORTS,
            enhanced="5.7.3",
        ),
        ReplyRule(
            r"client (?:was )?not authenticated to send",
            "smtp.auth_not_offered",
            "530 5.7.57 Client not authenticated to send mail [during MAIL FROM]",
            _REPORTS,
        ),
        ReplyRule(
            r"starttls is required to send mail",
            "auth.tls_required",
            "451 5.7.3 STARTTLS is required to send mail",
            _REPORTS,
        ),
        ReplyRule(  # 421 4.7.66 (client) and 550 5.7.67 (tenant policy)
            r"tls 1\.0 and 1\.1 are not supported",
            "tls.old_protocol",
            "421 4.7.66 TLS 1.0 and 1.1 are not supported. Please upgrade/update your client to "
            "support TLS 1.2. Visit https://aka.ms/smtp_auth_tls",
            (_LEGACY_TLS, _LEGACY_TLS_421),
        ),
        *_SEND_AS,
        ReplyRule(  # AUTH tried before STARTTLS
            r"unrecognized authentication type",
            "smtp.auth_not_offered",
            "504 5.7.4 Unrecognized authentication type",
            _REPORTS,
            enhanced="5.7.4",
            uncertain="providers.md marks this mapping ⚠",
        ),
    ),
    limits=Fact(
        Text(
            "30 messages a minute and 10,000 recipients a day per mailbox.",
            "30 messaggi al minuto e 10.000 destinatari al giorno per casella.",
        ),
        (_SUBMISSION, _DEVICES),
    ),
    notes=(
        Fact(
            Text(
                "Basic authentication (password) for SMTP AUTH is off by default on existing "
                "tenants from the end of December 2026 (an administrator can turn it back "
                "on) and unavailable on new tenants; OAuth2 keeps working. The final removal "
                "date is due in the second half of 2027.",
                "L'autenticazione di base (con password) per SMTP AUTH è disattivata per "
                "impostazione predefinita sui tenant esistenti dalla fine di dicembre 2026 "
                "(un amministratore può riattivarla) e non è disponibile sui nuovi tenant; "
                "OAuth2 continua a funzionare. La data di rimozione definitiva sarà "
                "annunciata nella seconda metà del 2027.",
            ),
            _TIMELINE,
        ),
        Fact(
            Text(
                "TLS 1.2 or newer is required; TLS 1.0/1.1 clients need the administrator's "
                "opt-in and the host smtp-legacy.office365.com. Use the host name, never an "
                "IP address.",
                "Serve TLS 1.2 o successivo; i programmi con TLS 1.0/1.1 richiedono "
                "l'attivazione da parte dell'amministratore e l'host "
                "smtp-legacy.office365.com. Usare il nome dell'host, mai un indirizzo IP.",
            ),
            (_SUBMISSION, _LEGACY_TLS),
        ),
        Fact(
            Text(
                "Domains added from July 2026 get MX records under *.mx.microsoft instead "
                "of *.mail.protection.outlook.com.",
                "I domini aggiunti da luglio 2026 ricevono record MX sotto *.mx.microsoft "
                "invece di *.mail.protection.outlook.com.",
            ),
            _MX_DNSSEC,
            uncertain="the switch date slipped several times; the current date is from "
            "secondary sources",
        ),
    ),
)

OUTLOOK = ProviderInfo(
    id="outlook",
    name="Outlook.com",
    hosts=Fact(
        ("smtp-mail.outlook.com", "smtp.office365.com"),
        (_ISPDB_HOTMAIL, _CHATMAIL_OUTLOOK),
        uncertain="the ISPDB names smtp-mail.outlook.com, chatmail smtp.office365.com; both "
        "are reported to work",
    ),
    ports=Fact((Port(587, "starttls"),), (_ISPDB_HOTMAIL, _CHATMAIL_OUTLOOK)),
    username=Fact(
        Username(
            "address",
            note=Text(
                "The full Outlook.com address, not an alias.",
                "L'indirizzo Outlook.com completo, non un alias.",
            ),
        ),
        (_ISPDB_HOTMAIL,),
    ),
    credential=Fact(
        Credential("oauth2_only", oauth2=True),
        (_ISPDB_HOTMAIL, _CHATMAIL_OUTLOOK, *_OUTLOOK_END),
        uncertain="app passwords stopped working too (chatmail, 2024-11); edge cases may remain",
    ),
    domains=Fact(
        (
            *("outlook.com", "outlook.*", "outlook.com.*"),
            *("hotmail.*", "hotmail.co.*", "hotmail.com.*"),
            *("live.*", "live.co.*", "live.com.*"),
            *("msn.com", "windowslive.com"),
        ),
        (_ISPDB_HOTMAIL, _CHATMAIL_OUTLOOK),
        uncertain="country variants are matched by pattern; their exact list was not in "
        "the sources",
    ),
    mx=Fact(
        ("*.olc.protection.outlook.com",),
        (_ISPDB_HOTMAIL,),
        uncertain="widely known, not confirmed in the sources",
    ),
    replies=(_BASIC_AUTH_DISABLED, *_SEND_AS),
    limits=Fact(
        Text(
            "Depends on the account's age and reputation: about 300 messages a day and 100 "
            "recipients per message for established free accounts, less for new ones.",
            "Dipende da età e reputazione dell'account: circa 300 messaggi al giorno e 100 "
            "destinatari per messaggio per gli account gratuiti già avviati, meno per quelli "
            "nuovi.",
        ),
        _OUTLOOK_LIMITS,
        uncertain="Microsoft does not publish exact numbers",
    ),
    notes=(
        Fact(
            Text(
                "Since 2024-09-16 apps can sign in only with modern authentication (OAuth2, "
                '"Sign in with Microsoft"); passwords are refused.',
                "Dal 16/09/2024 i programmi possono accedere solo con l'autenticazione "
                'moderna (OAuth2, "Accedi con Microsoft"); le password vengono rifiutate.',
            ),
            _OUTLOOK_END,
        ),
        Fact(
            Text(
                "550 5.7.515 is returned to high-volume senders mailing to Outlook.com "
                "without SPF, DKIM and aligned DMARC (since 2025-05-05): a delivery problem, "
                "not a sign-in one.",
                "Il codice 550 5.7.515 arriva a chi invia grandi volumi verso Outlook.com "
                "senza SPF, DKIM e DMARC allineato (dal 05/05/2025): è un problema di "
                "consegna, non di accesso.",
            ),
            _OUTLOOK_5515,
        ),
    ),
)

PROVIDERS = (MICROSOFT365, OUTLOOK)
