"""Web hosting mail: OVHcloud, IONOS, GoDaddy, Namecheap Private Email and generic cPanel
hosting (providers.md §22–26).

The mailbox password signs in, so what goes wrong is the host name (its certificate),
the From domain, or which of the host's several offers the customer has.
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
)

_ISPDB = "https://github.com/thunderbird/autoconfig/blob/master/ispdb/"
_GITLAB = "https://github.com/gitlabhq/omnibus-gitlab/blob/master/doc/settings/smtp.md"
_BOTH = (Port(465, "implicit"), Port(587, "starttls"))

# --- OVHcloud (§22) -----------------------------------------------------------------------------
_OVH_LEGACY = "http://gids.ovh.nl/EmailSmtpPop3Imap"
_OVH_GUIDE = "https://www.quai-des-entrepreneurs.com/ovh-mail"
_OVH = (_OVH_GUIDE, _OVH_LEGACY, _ISPDB + "ovh.net.xml")

OVH = ProviderInfo(
    id="ovh",
    name="OVHcloud",
    hosts=Fact(("ssl0.ovh.net",), _OVH),
    ports=Fact(_BOTH, (_OVH_GUIDE, _OVH_LEGACY)),
    username=Fact(Username("address"), _OVH),
    credential=Fact(Credential("password"), _OVH),
    custom_domains=True,
    mx=Fact(
        ("*.mail.ovh.net", "*.ovh.net"),
        (_ISPDB + "ovh.net.xml", _OVH_GUIDE),
        uncertain="the ISPDB lists only ovh.net as an MX domain",
    ),
    spf=Fact(("mx.ovh.com",), (_OVH_GUIDE,), uncertain="from one secondary source"),
    wrong_hosts=Fact(
        (
            WrongHost(
                "ns0.ovh.net",
                "ssl0.ovh.net",
                "the certificate is for ssl0.ovh.net, so other names fail verification",
            ),
        ),
        (_OVH_LEGACY,),
    ),
    limits=Fact(
        Text("At most 10 MB per message.", "Al massimo 10 MB per messaggio."), (_OVH_LEGACY,)
    ),
    notes=(
        Fact(
            Text(
                "Use ssl0.ovh.net, not smtp.<own domain>: the certificate is only valid for "
                "ssl0.ovh.net. Do not turn certificate verification off, as some examples do.",
                "Usare ssl0.ovh.net e non smtp.<proprio dominio>: il certificato è valido "
                "solo per ssl0.ovh.net. Non disattivare la verifica del certificato, come "
                "fanno alcuni esempi.",
            ),
            (_OVH_LEGACY, _GITLAB),
        ),
        Fact(
            Text(
                "Email Pro and Exchange mailboxes use other hosts (pro….mail.ovh.net, "
                "ex….mail.ovh.net), shown in the OVHcloud control panel.",
                "Le caselle Email Pro ed Exchange usano altri host (pro….mail.ovh.net, "
                "ex….mail.ovh.net), indicati nel pannello di controllo OVHcloud.",
            ),
            (_OVH_GUIDE,),
            uncertain="host names from a secondary source",
        ),
    ),
)

# --- IONOS (§23) --------------------------------------------------------------------------------
_IONOS_2024 = "https://optioffice.net/en/helpdesk/ionos-aenderungen-beim-emailversand-seit-januar-2024-was-muss-ich-tun/"
_IONOS_HOSTS = (
    "https://sendsmartly.site/ionos-smtp-settings",
    _ISPDB + "1und1.de.xml",
    "https://www.ionos.co.uk/help/email/glossary-email-terms-explained/outgoing-mail-server/",
)
_IONOS_RELAY = (
    "https://www.github.com/bohnelang/Linux_Postfix_ionos.de",
    "https://github.com/PHPMailer/PHPMailer/issues/1672",
)

IONOS = ProviderInfo(
    id="ionos",
    name="IONOS",
    hosts=Fact(
        (
            *("smtp.ionos.com", "smtp.ionos.de", "smtp.ionos.co.uk", "smtp.ionos.*"),
            *("smtp.1and1.*", "smtp.1und1.de"),
        ),
        _IONOS_HOSTS,
        uncertain="countries other than US, DE and UK are assumed to follow smtp.ionos.<tld>",
    ),
    ports=Fact((Port(587, "starttls"), Port(465, "implicit")), (*_IONOS_HOSTS, *_IONOS_RELAY)),
    username=Fact(Username("address"), _IONOS_HOSTS),
    credential=Fact(Credential("password"), _IONOS_HOSTS),
    custom_domains=True,
    mx=Fact(
        tuple(
            f"{mx}.{brand}.{tld}"
            for brand in ("ionos", "1and1")
            for mx in ("mx00", "mx01")
            for tld in ("*", "co.uk")
        ),
        ("https://pastebin.com/XcdA74rR", _ISPDB + "1und1.de.xml"),
    ),
    spf=Fact(
        ("_spf-eu.ionos.com", "_spf-us.ionos.com"),
        (_IONOS_2024,),
        uncertain="not confirmed by IONOS in the sources",
    ),
    guides=(
        Guide(
            "verify_sender",
            Text(
                "Since 2024-01-29 IONOS accepts only a From (and envelope sender) in the "
                "mailbox's own domain: send from the mailbox's address, or sign in with a "
                "mailbox of the other domain.",
                "Dal 29/01/2024 IONOS accetta solo un mittente (anche quello della busta) "
                "del dominio della casella: inviare dall'indirizzo della casella, oppure "
                "accedere con una casella dell'altro dominio.",
            ),
            "",
            (_IONOS_2024,),
        ),
    ),
    replies=(
        ReplyRule(
            r"sender address is not allowed",
            "send.sender_rejected",
            "550 Sender address is not allowed",
            (_IONOS_2024,),
        ),
        ReplyRule(  # the envelope sender was not the mailbox
            r"invalid DNS MX or A/AAAA resource record",
            "send.sender_rejected",
            "550-Requested action not taken: mailbox unavailable 550 invalid DNS MX or A/AAAA "
            "resource record",
            _IONOS_RELAY,
        ),
    ),
)

# --- GoDaddy (§24) ------------------------------------------------------------------------------
_GODADDY = (
    _GITLAB,
    _ISPDB + "wildwestdomains.com.xml",
    "https://pastebin.com/HdmLgwGv",
    "https://gist.github.com/palpalani/c3ff788b65852562937c",
)

GODADDY = ProviderInfo(
    id="godaddy",
    name="GoDaddy",
    hosts=Fact(
        (
            "smtpout.secureserver.net",
            "smtpout.europe.secureserver.net",
            "smtpout.asia.secureserver.net",
        ),
        _GODADDY,
    ),
    ports=Fact(
        _BOTH,
        (*_GODADDY, "https://github.com/PHPMailer/PHPMailer/issues/1488"),
        uncertain="587 is only reported; old guides also list 80, 3535 and 25",
    ),
    username=Fact(Username("address"), _GODADDY),
    credential=Fact(Credential("password"), _GODADDY),
    custom_domains=True,
    mx=Fact(("*.secureserver.net",), (_ISPDB + "wildwestdomains.com.xml",), uncertain="ISPDB only"),
    spf=Fact(
        ("secureserver.net",), (_ISPDB + "wildwestdomains.com.xml",), uncertain="not confirmed"
    ),
    notes=(
        Fact(
            Text(
                '"Microsoft 365 from GoDaddy" mailboxes send through smtp.office365.com with '
                "all Microsoft 365 rules; GoDaddy has been moving Workspace Email customers "
                "there.",
                'Le caselle "Microsoft 365 from GoDaddy" inviano tramite smtp.office365.com '
                "con tutte le regole di Microsoft 365; GoDaddy sta spostando lì i clienti "
                "Workspace Email.",
            ),
            _GODADDY,
            uncertain="the migration status was not verified",
        ),
        Fact(
            Text(
                "GoDaddy cPanel hosting uses the server's host name (such as "
                "p3plcpnl0711.prod.phx3.secureserver.net): see cPanel hosting.",
                "L'hosting cPanel di GoDaddy usa il nome del server (ad esempio "
                "p3plcpnl0711.prod.phx3.secureserver.net): vedere hosting cPanel.",
            ),
            ("https://pastebin.com/YzZKmHXH",),
        ),
    ),
)

# --- Namecheap Private Email (§25) --------------------------------------------------------------
_NAMECHEAP_DNS = (
    "https://namecheap.com/support/knowledgebase/article.aspx/1262/2176/what-does-namecheap-"
    "private-email-dns-verification-imply",
    "https://www.namecheap.com/support/knowledgebase/article.aspx/1340/2176/namecheap-private-"
    "email-records-for-domains-with-thirdparty-dns/",
)
_NAMECHEAP_IMAP = "https://mailflowauthority.com/email-infrastructure/private-email-imap-settings"

NAMECHEAP = ProviderInfo(
    id="namecheap",
    name="Namecheap Private Email",
    hosts=Fact(("mail.privateemail.com",), (_NAMECHEAP_IMAP,)),
    ports=Fact(_BOTH, (_NAMECHEAP_IMAP,)),
    username=Fact(Username("address"), (_NAMECHEAP_IMAP,)),
    credential=Fact(Credential("password"), (_NAMECHEAP_IMAP,)),
    custom_domains=True,
    mx=Fact(("mx1.privateemail.com", "mx2.privateemail.com"), _NAMECHEAP_DNS),
    spf=Fact(("spf.privateemail.com",), _NAMECHEAP_DNS),
    notes=(
        Fact(
            Text(
                "The DKIM record default._domainkey is required for outgoing mail to work; it "
                "can be generated only after a mailbox exists.",
                "Il record DKIM default._domainkey è necessario perché la posta in uscita "
                "funzioni; si può generare solo dopo aver creato una casella.",
            ),
            _NAMECHEAP_DNS,
        ),
        Fact(
            Text(
                "Namecheap shared hosting mail is cPanel (hosts like "
                "host55.registrar-servers.com), not Private Email.",
                "La posta dell'hosting condiviso Namecheap è cPanel (host come "
                "host55.registrar-servers.com), non Private Email.",
            ),
            ("https://pastebin.com/YzZKmHXH",),
        ),
    ),
)

# --- cPanel hosting in general (§26) ------------------------------------------------------------
_CPANEL = (
    "https://pastebin.com/YzZKmHXH",
    "https://pastebin.com/EBhMF1re",
    "https://pastebin.com/0ahwATxw",
    "https://pastebin.com/UXUgBNWk",
)
_CPANEL_550 = (
    "https://www.crazydomains.sydney/help/article/email-sending-error-550-please-turn-on-smtp-"
    "authentication"
)

CPANEL = ProviderInfo(
    id="cpanel",
    name="cPanel hosting",
    hosts=Fact((), _CPANEL),  # each server has its own name: a fallback entry, never matched
    ports=Fact(
        (Port(465, "implicit"), Port(587, "starttls"), Port(25, "starttls"), Port(26, "starttls")),
        _CPANEL,
        uncertain="the non-SSL set (25, 26 or 587) depends on the host",
    ),
    username=Fact(
        Username(
            "address",
            note=Text(
                "The full email address, with the mailbox's password.",
                "L'indirizzo email completo, con la password della casella.",
            ),
        ),
        _CPANEL,
    ),
    credential=Fact(Credential("password"), _CPANEL),
    custom_domains=True,
    domain_hosts=Fact(("mail.{domain}",), _CPANEL),  # cPanel's non-SSL settings name
    replies=(
        ReplyRule(
            r"please turn on smtp authentication|not permitted to relay through this server",
            "smtp.auth_not_offered",
            "550 Please turn on SMTP Authentication in your mail client … is not permitted to "
            "relay through this server without authentication",
            (_CPANEL_550,),
        ),
        ReplyRule(
            r"incorrect authentication data",
            "auth.rejected",
            "535 Incorrect authentication data",
            (_CPANEL_550,),
            uncertain="Exim's usual reply, well known but not captured in the sources",
        ),
    ),
    notes=(
        Fact(
            Text(
                'cPanel\'s "Mail Client Manual Settings" shows two sets: use "Secure SSL/TLS", '
                "i.e. the server's host name (such as host55.registrar-servers.com) with port "
                "465. mail.<own domain> is the non-SSL set: its certificate usually does not "
                "match, so verification fails.",
                'La pagina "Mail Client Manual Settings" di cPanel mostra due gruppi di '
                'impostazioni: usare "Secure SSL/TLS", cioè il nome del server (ad esempio '
                "host55.registrar-servers.com) con la porta 465. mail.<proprio dominio> "
                "appartiene al gruppo senza SSL: di solito il certificato non corrisponde e "
                "la verifica fallisce.",
            ),
            _CPANEL,
            uncertain="inferred from why cPanel shows the host name under Secure",
        ),
    ),
)

PROVIDERS = (OVH, IONOS, GODADDY, NAMECHEAP, CPANEL)
