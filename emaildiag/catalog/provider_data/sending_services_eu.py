"""Brevo, Mailjet and SparkPost (providers.md §19–21): sending services whose SMTP user is
not the account's email address (an SMTP login, an API key, or the word SMTP_Injection).

Brevo and Mailjet are the services European small businesses meet most; SparkPost
shares their shape and sits here to keep each module short.
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

# --- Brevo (§19) --------------------------------------------------------------------------------
_BREVO_SMTP = "https://developers.brevo.com/docs/smtp-integration"
_BREVO_KEYS = (
    "https://help.brevo.com/hc/en-us/articles/7959631848850-Create-and-manage-your-SMTP-keys"
)
_BREVO_GUIDES = (
    "https://smtptester.org/guides/brevo-smtp-test/",
    "https://dev.to/omnigenz/send-app-emails-through-the-brevo-smtp-relay-with-nodejs-nodemailer-3j2j",
)

BREVO = ProviderInfo(
    id="brevo",
    name="Brevo",
    hosts=Fact(
        ("smtp-relay.brevo.com", "smtp-relay.sendinblue.com"),
        (
            _BREVO_SMTP,
            "https://github.com/gitlabhq/omnibus-gitlab/blob/master/doc/settings/smtp.md",
        ),
    ),
    ports=Fact(
        (Port(587, "starttls"), Port(2525, "starttls"), Port(465, "implicit")),
        (_BREVO_SMTP,),
        uncertain='Brevo calls 587 and 2525 "non-encrypted"; STARTTLS on them is assumed',
    ),
    username=Fact(
        Username(
            "smtp_credentials",
            note=Text(
                "The SMTP login shown on the SMTP & API page (often …@smtp-brevo.com), not "
                "necessarily the account's email.",
                "Il login SMTP mostrato nella pagina SMTP & API (spesso …@smtp-brevo.com), "
                "non necessariamente l'email dell'account.",
            ),
        ),
        (_BREVO_SMTP, *_BREVO_GUIDES),
        uncertain="the …@smtp-brevo.com form is from secondary guides",
    ),
    credential=Fact(Credential("smtp_key"), (_BREVO_SMTP, _BREVO_KEYS)),
    spf=Fact(
        ("spf.brevo.com", "spf.sendinblue.com", "sendinblue.com"),
        (_BREVO_SMTP, *_BREVO_GUIDES),
        uncertain="older records use the Sendinblue names; all are accepted",
    ),
    guides=(
        Guide(
            "credential",
            Text(
                "Brevo → account menu → SMTP & API → SMTP tab → Generate a new SMTP key → "
                "name it → Generate → copy it now: it is shown only once. It is neither the "
                "API key nor the account password.",
                "Brevo → menu dell'account → SMTP & API → scheda SMTP → Generate a new SMTP "
                "key → dare un nome → Generate → copiarla subito, perché viene mostrata una "
                "sola volta. Non è la chiave API né la password dell'account.",
            ),
            _BREVO_KEYS,
            (_BREVO_KEYS,),
        ),
        Guide(
            "verify_sender",
            Text(
                "The From must be a verified sender or belong to an authenticated domain in Brevo.",
                "Il mittente deve essere un mittente verificato o appartenere a un dominio "
                "autenticato in Brevo.",
            ),
            _BREVO_SMTP,
            (_BREVO_SMTP,),
        ),
    ),
    limits=Fact(
        Text("Free plan: 300 emails a day.", "Piano gratuito: 300 email al giorno."),
        _BREVO_GUIDES,
    ),
    notes=(
        Fact(
            Text(
                "Brevo is the new name of Sendinblue; leave the encryption option empty "
                "except on port 465.",
                "Brevo è il nuovo nome di Sendinblue; lasciare vuota l'opzione di cifratura "
                "tranne che sulla porta 465.",
            ),
            (_BREVO_SMTP,),
        ),
    ),
)

# --- Mailjet (§20) ------------------------------------------------------------------------------
_MAILJET_GEM = "https://rubydoc.info/gems/mailjet/Mailjet/Mailer"
_MAILJET_GUIDES = (
    "https://sendy.co/mailjet",
    "https://smtptester.org/guides/mailjet-smtp-test/",
    "https://cloud.google.com/compute/docs/tutorials/sending-mail/using-mailjet",
)
_MAILJET_2026 = "https://www.captaindns.com/de/blog/mailjet-transactional-email-technical-guide"

MAILJET = ProviderInfo(
    id="mailjet",
    name="Mailjet",
    hosts=Fact(("in-v3.mailjet.com", "in.mailjet.com"), (_MAILJET_GEM, *_MAILJET_GUIDES)),
    ports=Fact(
        (
            Port(587, "starttls"),
            Port(25, "starttls"),
            Port(2525, "starttls"),
            Port(465, "implicit"),
        ),
        (_MAILJET_GEM, *_MAILJET_GUIDES),
    ),
    username=Fact(
        Username(
            "apikey",
            note=Text(
                "The API key; the password is the Secret key. Each sub-account has its own pair.",
                "La chiave API (API key); la password è la Secret key. Ogni sotto-account ha "
                "la propria coppia.",
            ),
        ),
        (_MAILJET_GEM, *_MAILJET_GUIDES),
    ),
    credential=Fact(Credential("api_key"), (_MAILJET_GEM, *_MAILJET_GUIDES)),
    spf=Fact(("spf.mailjet.com",), (_MAILJET_2026,)),
    guides=(
        Guide(
            "credential",
            Text(
                "Mailjet → Account settings → REST API → API Key Management (or SMTP and "
                "SEND API Settings) → copy the API key and retrieve or generate the Secret "
                "key.",
                "Mailjet → Account settings → REST API → API Key Management (oppure SMTP and "
                "SEND API Settings) → copiare la API key e recuperare o generare la Secret "
                "key.",
            ),
            "",
            _MAILJET_GUIDES,
        ),
        Guide(
            "verify_sender",
            Text(
                "The sender address or its domain must be validated in Mailjet.",
                "L'indirizzo mittente o il suo dominio deve essere convalidato in Mailjet.",
            ),
            "",
            _MAILJET_GUIDES,
        ),
    ),
    limits=Fact(
        Text(
            "Free plan: 6,000 emails a month, at most 200 a day.",
            "Piano gratuito: 6.000 email al mese, al massimo 200 al giorno.",
        ),
        (_MAILJET_2026,),
    ),
)

# --- SparkPost (§21) ----------------------------------------------------------------------------
_SPARKPOST = "https://developers.sparkpost.com/api/smtp/"
_SPARKPOST_REPLY = (
    "https://pastebin.com/xieze6a2",
    "https://gist.github.com/johnou/7786c91a0ed3df1ee7399fb005441b42",
)

SPARKPOST = ProviderInfo(
    id="sparkpost",
    name="SparkPost",
    hosts=Fact(("smtp.sparkpostmail.com", "smtp.eu.sparkpostmail.com"), (_SPARKPOST,)),
    ports=Fact((Port(587, "starttls"), Port(2525, "starttls")), (_SPARKPOST,)),
    username=Fact(Username("apikey", literal="SMTP_Injection"), (_SPARKPOST,)),
    credential=Fact(Credential("api_key"), (_SPARKPOST,)),
    spf=Fact(
        ("sparkpostmail.com", "eu.sparkpostmail.com", "spf.sparkpostmail.com"),
        (_SPARKPOST,),
        uncertain="one list says spf.sparkpostmail.com; all are accepted",
    ),
    guides=(
        Guide(
            "credential",
            Text(
                'SparkPost → Account → API Keys → create a key with the "Send via SMTP" '
                "permission. Enter SMTP_Injection as the username and the key as the "
                "password.",
                'SparkPost → Account → API Keys → creare una chiave con il permesso "Send '
                'via SMTP". Come nome utente inserire SMTP_Injection e come password la '
                "chiave.",
            ),
            _SPARKPOST,
            (_SPARKPOST,),
        ),
        Guide(
            "verify_sender",
            Text(
                "The From domain must be configured and verified as a sending domain in SparkPost.",
                "Il dominio del mittente deve essere configurato e verificato come dominio "
                "di invio in SparkPost.",
            ),
            _SPARKPOST,
            _SPARKPOST_REPLY,
        ),
    ),
    replies=(
        ReplyRule(
            r"unconfigured sending domain",
            "send.sender_rejected",
            "550 5.7.1 Unconfigured Sending Domain <domain>",
            _SPARKPOST_REPLY,
        ),
    ),
    notes=(
        Fact(
            Text(
                "EU accounts use smtp.eu.sparkpostmail.com; port 2525 is the alternative "
                "when 587 is blocked.",
                "Gli account UE usano smtp.eu.sparkpostmail.com; la porta 2525 è "
                "l'alternativa quando la 587 è bloccata.",
            ),
            (_SPARKPOST,),
        ),
    ),
)

PROVIDERS = (BREVO, MAILJET, SPARKPOST)
