"""Email sending services: Amazon SES, SendGrid, Mailgun, Postmark, Brevo, Mailjet and
SparkPost (providers.md §15–21).

None of them takes the account's login: each has its own SMTP credential (an API key,
an SMTP key or generated SMTP credentials), and each refuses a From address that has
not been verified with it.
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
    WrongHost,
    WrongPort,
)

_GITLAB = "https://github.com/gitlabhq/omnibus-gitlab/blob/master/doc/settings/smtp.md"
_RELAY_PORTS = (
    Port(587, "starttls"),
    Port(25, "starttls"),
    Port(2525, "starttls"),
    Port(465, "implicit"),
)

# --- Amazon SES (§15) ---------------------------------------------------------------------------
_SES_CONNECT = "https://docs.aws.amazon.com/ses/latest/dg/smtp-connect.html"
_SES_CREDENTIALS = "https://docs.aws.amazon.com/ses/latest/dg/smtp-credentials.html"
_SES_CREDENTIALS_IT = "https://docs.aws.amazon.com/it_it/ses/latest/dg/smtp-credentials.md"
_SES_SCRIPT = (
    "https://docs.aws.amazon.com/ses/latest/dg/"
    "ses_example_ses_Scenario_GenerateSmtpCredentials_section.html"
)
_SES_ERRORS = (
    "https://docs.aws.amazon.com/ses/latest/dg/troubleshoot-error-messages.html",
    "https://repost.aws/es/knowledge-center/ses-554-400-message-rejected-error",
    "https://pastebin.com/index/hHzMPWds",
)
_SES_SESSION = "https://pastebin.com/t22G4F69"
_SES_UNCONFIRMED = "the text is AWS's response-code list as commonly quoted"

SES = ProviderInfo(
    id="ses",
    name="Amazon SES",
    hosts=Fact(("email-smtp.*.amazonaws.com",), (_SES_CONNECT, _SES_SCRIPT)),
    ports=Fact(
        (
            Port(587, "starttls"),
            Port(25, "starttls"),
            Port(2587, "starttls"),
            Port(465, "implicit"),
            Port(2465, "implicit"),
        ),
        (_SES_CONNECT, _GITLAB),
    ),
    username=Fact(
        Username(
            "smtp_credentials",
            note=Text(
                "The SES SMTP user name (it looks like an access key ID), not an email "
                "address and not the AWS account login.",
                "Il nome utente SMTP di SES (somiglia a un ID di chiave di accesso), non un "
                "indirizzo email né il login dell'account AWS.",
            ),
        ),
        (_SES_CREDENTIALS_IT, _SES_SCRIPT),
    ),
    credential=Fact(
        Credential("smtp_credentials"),
        (_SES_CREDENTIALS_IT, _SES_SCRIPT, "https://github.com/smolltd/ses-smtp-credentials-cdk"),
    ),
    mx=Fact(
        ("inbound-smtp.*.amazonaws.com",),
        (_SES_CONNECT,),
        uncertain="SES's receiving endpoints were not confirmed in the sources",
    ),
    spf=Fact(("amazonses.com",), (_SES_CONNECT,)),
    guides=(
        Guide(
            "credential",
            Text(
                "In the SES console, in the region of the SMTP host: SMTP settings → Create "
                "SMTP credentials (this creates an IAM user) → copy the SMTP user name and "
                "password. They are not the AWS access key and secret, and they work only in "
                "that region.",
                "Nella console di Amazon SES, nella stessa regione dell'host SMTP: SMTP "
                "settings → Create SMTP credentials (viene creato un utente IAM) → copiare "
                "nome utente e password SMTP. Non sono la chiave di accesso e la chiave "
                "segreta AWS e valgono solo in quella regione.",
            ),
            _SES_CREDENTIALS,
            (_SES_CREDENTIALS_IT, _SES_SCRIPT),
        ),
        Guide(
            "verify_sender",
            Text(
                "Verify the From address, or its domain, as an identity in the SES console "
                "in the same region as the SMTP host. While the account is in the sandbox, "
                "the recipients must be verified too.",
                "Verificare l'indirizzo mittente, o il suo dominio, come identità nella "
                "console di SES, nella stessa regione dell'host SMTP. Finché l'account è "
                "nella sandbox, vanno verificati anche i destinatari.",
            ),
            _SES_ERRORS[0],
            _SES_ERRORS,
        ),
    ),
    replies=(
        ReplyRule(  # From / Return-Path identity, or a sandbox recipient, not verified here
            r"email address is not verified",
            "send.sender_rejected",
            "554 Message rejected: Email address is not verified. The following identities "
            "failed the check in region <REGION>: <id>, …",
            _SES_ERRORS,
        ),
        ReplyRule(
            r"must issue a starttls command first",
            "auth.tls_required",
            "530 Must issue a STARTTLS command first",
            (_SES_SESSION, _SES_ERRORS[0]),
        ),
        ReplyRule(
            r"^authentication required",
            "smtp.auth_not_offered",
            "530 Authentication required",
            (_SES_ERRORS[0],),
            reply=530,
        ),
        ReplyRule(  # the IAM secret used as password, or credentials of another region
            r"authentication credentials invalid",
            "auth.rejected",
            "535 Authentication Credentials Invalid",
            (_SES_ERRORS[0],),
            uncertain=_SES_UNCONFIRMED,
        ),
        ReplyRule(
            r"maximum sending rate exceeded",
            "auth.throttled",
            "454 Throttling failure: Maximum sending rate exceeded.",
            (_SES_ERRORS[0],),
            uncertain=_SES_UNCONFIRMED,
        ),
        ReplyRule(
            r"daily message quota exceeded",
            "send.message_rejected",
            "554 Throttling failure: Daily message quota exceeded.",
            (_SES_ERRORS[0],),
            uncertain=_SES_UNCONFIRMED,
        ),
    ),
    limits=Fact(
        Text(
            "In the sandbox: commonly 200 messages per 24 hours and 1 message per second.",
            "Nella sandbox: di solito 200 messaggi ogni 24 ore e 1 messaggio al secondo.",
        ),
        (_SES_CONNECT,),
        uncertain="not confirmed in the sources",
    ),
    notes=(
        Fact(
            Text(
                "SMTP credentials belong to one region (since 2019-01-10): the host "
                "email-smtp.<region>.amazonaws.com must be the region they were made in.",
                "Le credenziali SMTP appartengono a una sola regione (dal 10/01/2019): "
                "l'host email-smtp.<regione>.amazonaws.com deve essere quello della regione "
                "in cui sono state create.",
            ),
            (_SES_CREDENTIALS_IT, "https://github.com/smolltd/ses-smtp-credentials-cdk"),
        ),
        Fact(
            Text(
                "EC2 throttles outgoing port 25 by default: use 587 or 2587.",
                "EC2 limita per impostazione predefinita la porta 25 in uscita: usare la 587 "
                "o la 2587.",
            ),
            (_SES_CONNECT,),
        ),
    ),
)

# --- Twilio SendGrid (§16) ----------------------------------------------------------------------
_SENDGRID_SMTP = (
    "https://www.twilio.com/docs/sendgrid/for-developers/sending-email/"
    "integrating-with-the-smtp-api.md"
)
_SENDGRID_ERRORS = (
    "https://sendgrid.com/docs/for-developers/sending-email/smtp-errors-and-troubleshooting/",
    "https://github.com/EBWiki/EBWiki/issues/3861",
)

SENDGRID = ProviderInfo(
    id="sendgrid",
    name="Twilio SendGrid",
    hosts=Fact(("smtp.sendgrid.net",), (_SENDGRID_SMTP,)),
    ports=Fact(_RELAY_PORTS, (_SENDGRID_SMTP,)),
    username=Fact(Username("apikey", literal="apikey"), (_SENDGRID_SMTP, _GITLAB)),
    credential=Fact(Credential("api_key"), (_SENDGRID_SMTP,)),
    mx=Fact(
        ("mx.sendgrid.net",), (_SENDGRID_SMTP,), uncertain="the Inbound Parse MX is unconfirmed"
    ),
    spf=Fact(("sendgrid.net",), (_SENDGRID_SMTP,)),
    guides=(
        Guide(
            "credential",
            Text(
                "SendGrid → Settings → API Keys → Create API Key "
                "(https://app.sendgrid.com/settings/api_keys) → Restricted Access with Mail "
                "Send (or Full Access) → copy the key, shown only once. Enter the word "
                "apikey as the username and the key as the password, without spaces or line "
                "breaks.",
                "SendGrid → Settings → API Keys → Create API Key "
                "(https://app.sendgrid.com/settings/api_keys) → Restricted Access con Mail "
                "Send (oppure Full Access) → copiare la chiave, che viene mostrata una sola "
                "volta. Come nome utente inserire la parola apikey e come password la "
                "chiave, senza spazi né a capo.",
            ),
            "https://app.sendgrid.com/settings/api_keys",
            (_SENDGRID_SMTP,),
        ),
        Guide(
            "verify_sender",
            Text(
                "The From must be a verified Sender Identity: verify the address (Single "
                "Sender Verification) or authenticate its domain in SendGrid.",
                "Il mittente deve essere una Sender Identity verificata: verificare "
                "l'indirizzo (Single Sender Verification) o autenticarne il dominio in "
                "SendGrid.",
            ),
            "https://sendgrid.com/docs/for-developers/sending-email/sender-identity/",
            _SENDGRID_ERRORS,
        ),
    ),
    replies=(
        ReplyRule(
            r"does not match a verified sender identity",
            "send.sender_rejected",
            "550 The from address does not match a verified Sender Identity. Mail cannot be "
            "sent until this error is resolved. Visit "
            "https://sendgrid.com/docs/for-developers/sending-email/sender-identity/ …",
            _SENDGRID_ERRORS,
        ),
        ReplyRule(
            r"not authorized to send from that email address",
            "send.sender_rejected",
            "403 You are not authorized to send from that email address",
            _SENDGRID_ERRORS[:1],
        ),
    ),
)

# --- Mailgun (§17) ------------------------------------------------------------------------------
_MAILGUN_SMTP = (
    "https://documentation.mailgun.com/docs/mailgun/user-manual/sending-messages/send-smtp.md"
)
_MAILGUN_RELAY = (
    "https://documentation.mailgun.com/docs/mailgun/user-manual/smtp-protocol/smtp-relay.md"
)
_MAILGUN_CERT = (
    "https://github.com/mailgun/documentation/pull/391",
    "https://github.com/mailgun/documentation/pull/180",
    "https://github.com/go-gitea/gitea/issues/21241",
    "https://github.com/home-assistant/core/issues/174821",
)
_MAILGUN_GUIDES = (
    "https://spreecommerce.org/docs/integrations/email/mailgun",
    "https://cloud.google.com/compute/docs/tutorials/sending-mail/using-mailgun",
)

MAILGUN = ProviderInfo(
    id="mailgun",
    name="Mailgun",
    hosts=Fact(("smtp.mailgun.org", "smtp.eu.mailgun.org"), (_MAILGUN_SMTP, _MAILGUN_RELAY)),
    ports=Fact(_RELAY_PORTS, (_MAILGUN_RELAY, *_MAILGUN_GUIDES)),
    username=Fact(
        Username(
            "smtp_credentials",
            note=Text(
                "The domain's SMTP login, by default postmaster@<sending domain>, not the "
                "control-panel login.",
                "Il login SMTP del dominio, di solito postmaster@<dominio di invio>, non il "
                "login del pannello di controllo.",
            ),
        ),
        (_MAILGUN_SMTP,),
    ),
    credential=Fact(Credential("smtp_credentials"), (_MAILGUN_SMTP,)),
    mx=Fact(
        ("mxa.mailgun.org", "mxb.mailgun.org", "mxa.eu.mailgun.org"),
        (_MAILGUN_SMTP,),
        uncertain="the receiving MX hosts were not confirmed in the sources",
    ),
    spf=Fact(
        ("mailgun.org", "eu.mailgun.org"),
        (_MAILGUN_SMTP,),
        uncertain="the EU include is not confirmed",
    ),
    wrong_hosts=Fact(
        (
            WrongHost(
                "smtp.mailgun.com",
                "smtp.mailgun.org",
                "the certificate is for *.mailgun.org, so verification fails",
            ),
        ),
        _MAILGUN_CERT,
    ),
    guides=(
        Guide(
            "credential",
            Text(
                "Mailgun → Sending → Domain Settings → choose the domain → SMTP Credentials "
                "tab → add a credential or reset its password.",
                "Mailgun → Sending → Domain Settings → scegliere il dominio → scheda SMTP "
                "Credentials → aggiungere una credenziale o reimpostarne la password.",
            ),
            _MAILGUN_SMTP,
            (_MAILGUN_SMTP,),
        ),
        Guide(
            "verify_sender",
            Text(
                "Verify the sending domain with the SPF and DKIM records Mailgun shows; the "
                "sandbox domain sends only to authorised recipients.",
                "Verificare il dominio di invio con i record SPF e DKIM indicati da Mailgun; "
                "il dominio sandbox invia solo ai destinatari autorizzati.",
            ),
            _MAILGUN_SMTP,
            (_MAILGUN_SMTP,),
            uncertain="the sandbox rule is not quoted from the sources",
        ),
    ),
    notes=(
        Fact(
            Text(
                "The US region (smtp.mailgun.org) and the EU region (smtp.eu.mailgun.org) are "
                "separate: a domain set up in one does not exist in the other.",
                "La regione USA (smtp.mailgun.org) e quella UE (smtp.eu.mailgun.org) sono "
                "separate: un dominio configurato in una non esiste nell'altra.",
            ),
            (_MAILGUN_SMTP,),
        ),
    ),
)

# --- Postmark (§18) -----------------------------------------------------------------------------
_POSTMARK = (
    "https://postmarkapp.com/support/article/811-what-are-the-smtp-details-api-tokens-i-should-"
    "be-using"
)
_POSTMARK_SPF = (
    "https://checkemaildelivery.com/blog/spf-record-guide",
    "https://dailytool.net/tools/seo/spf-checker/blog/spf-record-multiple-email-providers/",
)

POSTMARK = ProviderInfo(
    id="postmark",
    name="Postmark",
    hosts=Fact(("smtp.postmarkapp.com", "smtp-broadcasts.postmarkapp.com"), (_POSTMARK,)),
    ports=Fact(_RELAY_PORTS[:3], (_POSTMARK,)),
    username=Fact(
        Username(
            "apikey",
            note=Text(
                "The Server API Token, as both username and password; or, with a stream's "
                "SMTP token, its access key as username and secret key as password.",
                "Il Server API Token, sia come nome utente sia come password; oppure, con il "
                "token SMTP di uno stream, la access key come nome utente e la secret key "
                "come password.",
            ),
        ),
        (_POSTMARK,),
    ),
    credential=Fact(Credential("api_key", also=("smtp_credentials",)), (_POSTMARK,)),
    spf=Fact(
        ("spf.mtasv.net", "spf.postmarkapp.com"),
        _POSTMARK_SPF,
        uncertain="lists disagree; Postmark needs no SPF include for DMARC alignment",
    ),
    wrong_ports=Fact(
        (WrongPort(465, "Postmark has no implicit-TLS port; connections there just hang"),),
        (_POSTMARK, "https://spreecommerce.org/docs/integrations/email/postmark"),
    ),
    guides=(
        Guide(
            "credential",
            Text(
                "Postmark → Servers → the server → API Tokens tab: copy the Server API Token "
                "and use it as both username and password. Or: the server → Message Streams "
                "→ the stream → Settings → SMTP token.",
                "Postmark → Servers → il server → scheda API Tokens: copiare il Server API "
                "Token e usarlo sia come nome utente sia come password. Oppure: il server → "
                "Message Streams → lo stream → Settings → SMTP token.",
            ),
            _POSTMARK,
            (_POSTMARK,),
        ),
        Guide(
            "verify_sender",
            Text(
                "Add the From address as a Sender Signature, or verify its domain, in Postmark.",
                "Aggiungere l'indirizzo mittente come Sender Signature, oppure verificarne "
                "il dominio, in Postmark.",
            ),
            _POSTMARK,
            (_POSTMARK,),
            uncertain="not quoted from the sources",
        ),
    ),
    notes=(
        Fact(
            Text(
                "With the Server API Token, mail goes to the transactional stream "
                '"outbound" unless the header X-PM-Message-Stream names another.',
                'Con il Server API Token la posta va nello stream transazionale "outbound", '
                "a meno che l'intestazione X-PM-Message-Stream ne indichi un altro.",
            ),
            (_POSTMARK,),
        ),
    ),
)

PROVIDERS = (SES, SENDGRID, MAILGUN, POSTMARK)
