"""Finding codes of SPEC §4 and the project's own: severity, title and fix in English and Italian.

Writing rules, so that new texts read like the old ones:

- The reader is usually not an expert. The title says what is wrong in one plain sentence; the fix
  says what to change (which field, to what) or whom to ask, in one to three sentences.
- Italian uses the impersonal infinitive of Italian software ("Controllare…", "Inserire…"), never
  "tu" or "Lei", and the labels of Italian settings pages ("porta 587 con STARTTLS", "password per
  le app", "verifica in due passaggi").
- ``{provider}`` is either a name ("Gmail") or a phrase ("your email provider", "il tuo provider di
  posta"), so it never follows "your"/"the" in English, nor a preposition that would merge with an
  Italian article (di, a, da, in, su): use it as subject or object, or after "with"/"con"/"per".
- Values that may be long or unknown stay out of the middle of a sentence; counts are written as
  "days left: {days}" so no plural has to agree with them.
"""

from __future__ import annotations

from emaildiag.catalog.entry import Entry
from emaildiag.model import Severity

FINDINGS: dict[str, Entry] = {
    # --- settings --------------------------------------------------------------------------------
    "settings.field_invalid": Entry(
        Severity.ERROR,
        title={
            "en": "The {field} field contains a value that cannot be used",
            "it": "Il campo {field} contiene un valore non utilizzabile",
        },
        fix={
            "en": (
                "The value entered was {value}. Enter it again as plain text, without line breaks."
            ),
            "it": (
                "Il valore inserito era {value}. Inserirlo di nuovo come semplice testo, "
                "senza a capo."
            ),
        },
    ),
    "settings.provider_port": Entry(
        Severity.WARNING,
        title={
            "en": "Port {port} is not a port that {provider} offers for sending email",
            "it": "La porta {port} non è tra quelle offerte da {provider} per l'invio",
        },
        fix={
            "en": "Set the port to {suggested}: that is the port {provider} documents for apps.",
            "it": "Impostare la porta {suggested}: è la porta che {provider} indica per le app.",
        },
        also=(Severity.ERROR,),
    ),
    "settings.username_form": Entry(
        Severity.WARNING,
        title={
            "en": "The username is not in the form {provider} expects",
            "it": "Il nome utente non è nella forma richiesta da {provider}",
        },
        fix={
            "en": "In the Username field enter {expected}.",
            "it": "Nel campo Nome utente inserire {expected}.",
        },
    ),
    "settings.host_invalid": Entry(
        Severity.ERROR,
        title={
            "en": "The Host field does not contain a valid server name",
            "it": "Il campo Host non contiene un nome di server valido",
        },
        fix={
            "en": (
                "Enter only the name of the outgoing mail (SMTP) server from your provider's "
                "instructions, for example smtp.gmail.com: no spaces, no https:// and no "
                "email address."
            ),
            "it": (
                "Inserire solo il nome del server della posta in uscita (SMTP) indicato dal "
                "provider, ad esempio smtp.gmail.com: senza spazi, senza https:// e senza "
                "indirizzo email."
            ),
        },
    ),
    "settings.host_normalized": Entry(
        Severity.INFO,
        title={
            "en": "The server name was tidied up to {host}",
            "it": "Il nome del server è stato corretto in {host}",
        },
        fix={
            "en": (
                "You entered {original}; the check used server {host} on port {port}. Enter "
                "just the server name in the Host field and the port number in the Port "
                "field, so that the app reads them the same way."
            ),
            "it": (
                "Era stato inserito {original}; la verifica ha usato il server {host} sulla "
                "porta {port}. Inserire solo il nome del server nel campo Host e il numero di "
                "porta nel campo Porta, così che il programma li legga allo stesso modo."
            ),
        },
    ),
    "settings.email_invalid": Entry(
        Severity.ERROR,
        title={
            "en": "The address in the {field} field is not a valid email address",
            "it": "L'indirizzo nel campo {field} non è un indirizzo email valido",
        },
        fix={
            "en": (
                "The value entered was {value}. Enter exactly one address in the form "
                "name@example.com, without spaces, names, commas or line breaks."
            ),
            "it": (
                "Il valore inserito è {value}. Inserire un solo indirizzo nella forma "
                "nome@esempio.it, senza spazi, nomi, virgole o a capo."
            ),
        },
    ),
    "settings.email_required": Entry(
        Severity.ERROR,
        title={
            "en": "The sending address is missing",
            "it": "Manca l'indirizzo del mittente",
        },
        fix={
            "en": (
                "The username {username} is not an email address, so the address the messages "
                "come from must be given separately. Enter it in the Email field (usually the "
                "address of the mailbox)."
            ),
            "it": (
                "Il nome utente {username} non è un indirizzo email, quindi occorre indicare "
                "a parte l'indirizzo da cui partono i messaggi. Inserirlo nel campo Email (di "
                "solito è l'indirizzo della casella di posta)."
            ),
        },
    ),
    "settings.port_invalid": Entry(
        Severity.ERROR,
        title={
            "en": "The port {value} is not a valid port number",
            "it": "La porta {value} non è un numero di porta valido",
        },
        fix={
            "en": (
                "Enter a number between 1 and 65535 in the Port field; for email it is "
                "usually 587 (with STARTTLS) or 465 (with SSL/TLS)."
            ),
            "it": (
                "Inserire nel campo Porta un numero tra 1 e 65535; per la posta di solito è "
                "587 (con STARTTLS) o 465 (con SSL/TLS)."
            ),
        },
    ),
    "settings.port_unusual": Entry(
        Severity.INFO,
        title={
            "en": "Port {port} is not one of the usual email ports",
            "it": "La porta {port} non è una delle porte usate di solito per la posta",
        },
        fix={
            "en": (
                "Email is normally sent on port 587 with STARTTLS or port 465 with SSL/TLS. "
                "If your provider told you to use port {port}, keep it: the check will find "
                "out which kind of encryption it uses."
            ),
            "it": (
                "Di solito la posta si invia sulla porta 587 con STARTTLS o sulla porta 465 "
                "con SSL/TLS. Se il provider ha indicato la porta {port}, lasciarla pure: la "
                "verifica rileverà da sola il tipo di cifratura usato."
            ),
        },
    ),
    "settings.password_whitespace": Entry(
        Severity.WARNING,
        title={
            "en": "The password contains spaces that are probably not part of it",
            "it": "La password contiene spazi che probabilmente non ne fanno parte",
        },
        fix={
            "en": (
                "Spaces often slip in when a password is copied and pasted. Type or paste it "
                "again without spaces at the start or end; an app password (16 letters) is "
                "entered without the spaces shown between its groups of letters."
            ),
            "it": (
                "Gli spazi entrano facilmente quando si copia e incolla una password. "
                "Digitarla o incollarla di nuovo senza spazi all'inizio o alla fine; una "
                "password per le app (16 lettere) va inserita senza gli spazi che separano i "
                "gruppi di lettere."
            ),
        },
    ),
    "settings.password_missing": Entry(
        Severity.WARNING,
        title={
            "en": "No password was entered",
            "it": "Non è stata inserita la password",
        },
        fix={
            "en": (
                "Enter the mailbox password (or the app password or API key your provider "
                "gave you) so that the sign-in can be tested. Without it, only the server and "
                "its encryption are checked."
            ),
            "it": (
                "Inserire la password della casella (o la password per le app o la chiave API "
                "fornita dal provider) per poter verificare l'accesso. Senza password si "
                "controllano solo il server e la cifratura."
            ),
        },
    ),
    "settings.host_is_ip": Entry(
        Severity.WARNING,
        title={
            "en": "The server is given as a number (IP address {host}) instead of a name",
            "it": (
                "Il server è indicato con un numero (indirizzo IP {host}) invece che con un nome"
            ),
        },
        fix={
            "en": (
                "Security certificates are issued for server names, not for numbers, so the "
                "encrypted connection cannot be verified. Enter the server name from your "
                "provider's instructions, for example smtp.yourprovider.com."
            ),
            "it": (
                "I certificati di sicurezza sono rilasciati per i nomi dei server, non per i "
                "numeri, quindi la connessione cifrata non può essere verificata. Inserire il "
                "nome del server indicato dal provider, ad esempio smtp.nomeprovider.it."
            ),
        },
    ),
    "settings.tls_verify_disabled": Entry(
        Severity.WARNING,
        title={
            "en": "Certificate verification is turned off",
            "it": "La verifica del certificato è disattivata",
        },
        fix={
            "en": (
                "Untick the option Do not verify TLS certificate, unless {host} is a private "
                "server with a self-signed certificate that you or your IT person run. Never "
                "use it with {provider} or any other public provider: it hides real problems "
                "and would let someone on the network read your password."
            ),
            "it": (
                "Togliere la spunta dall'opzione Non verificare il certificato TLS, a meno "
                "che {host} non sia un server privato con certificato autofirmato gestito "
                "internamente o dal tecnico informatico. Non usarla mai con {provider} né con "
                "altri provider pubblici: nasconde i problemi reali e permetterebbe a chi si "
                "trova sulla rete di leggere la password."
            ),
        },
        also=(Severity.ERROR,),
    ),
    "settings.http_reply_to_missing": Entry(
        Severity.ERROR,
        title={
            "en": "The reply address is missing",
            "it": "Manca l'indirizzo per le risposte",
        },
        fix={
            "en": (
                "The HTTP mail relay requires an address for replies: enter it in the "
                "reply-to address field (usually your own email address)."
            ),
            "it": (
                "Il relay di posta HTTP richiede un indirizzo per le risposte: inserirlo nel "
                "campo dell'indirizzo per le risposte (di solito il proprio indirizzo email)."
            ),
        },
    ),
    "settings.http_url_invalid": Entry(
        Severity.ERROR,
        title={
            "en": "The HTTP relay URL is not a valid web address",
            "it": "L'URL del relay HTTP non è un indirizzo web valido",
        },
        fix={
            "en": (
                "Enter the full address of the relay exactly as the service gives it, "
                "starting with https://, for example https://relay.example.com/send."
            ),
            "it": (
                "Inserire l'indirizzo completo del relay esattamente come lo indica il "
                "servizio, a partire da https://, ad esempio https://relay.esempio.it/send."
            ),
        },
    ),
    "settings.protocol_invalid": Entry(
        Severity.ERROR,
        title={
            "en": "The sending method {value} is not known",
            "it": "Il metodo di invio {value} non è riconosciuto",
        },
        fix={
            "en": (
                "Choose SMTP (the usual choice: a mail server with host and port) or HTTP (a "
                "web mail relay with its URL)."
            ),
            "it": (
                "Scegliere SMTP (la scelta abituale: un server di posta con host e porta) "
                "oppure HTTP (un relay di posta web con il suo URL)."
            ),
        },
    ),
    # --- dns -------------------------------------------------------------------------------------
    "dns.host_not_found": Entry(
        Severity.ERROR,
        title={
            "en": "The server name {host} does not exist",
            "it": "Il nome del server {host} non esiste",
        },
        fix={
            "en": (
                "The internet's directory of names (DNS) does not know this name. Check that "
                "the Host field is spelt exactly as in your provider's instructions, for "
                "example smtp.gmail.com and not smtp.gmail.it."
            ),
            "it": (
                "L'elenco dei nomi di internet (DNS) non conosce questo nome. Controllare che "
                "il campo Host sia scritto esattamente come nelle istruzioni del provider, ad "
                "esempio smtp.gmail.com e non smtp.gmail.it."
            ),
        },
    ),
    "dns.host_no_address": Entry(
        Severity.ERROR,
        title={
            "en": "The server name {host} exists but points to no server",
            "it": "Il nome del server {host} esiste ma non porta a nessun server",
        },
        fix={
            "en": (
                "The name has no server address behind it in DNS (no A or AAAA record), so "
                "nothing can connect to it. Did you enter the mail domain instead of the "
                "server? The Host field needs the outgoing mail server, often smtp. or mail. "
                "followed by the domain: check it against your provider's instructions, or "
                "ask whoever manages the domain."
            ),
            "it": (
                "Nel DNS il nome non ha alcun indirizzo di server (nessun record A o AAAA), "
                "quindi non ci si può collegare. È stato inserito il dominio della posta al "
                "posto del server? Il campo Host richiede il server della posta in uscita, "
                "spesso smtp. o mail. seguito dal dominio: confrontarlo con le istruzioni del "
                "provider, oppure chiedere a chi gestisce il dominio."
            ),
        },
    ),
    "dns.failure": Entry(
        Severity.ERROR,
        title={
            "en": "The server name {host} could not be looked up",
            "it": "Non è stato possibile trovare l'indirizzo del server {host}",
        },
        fix={
            "en": (
                "The name lookup failed ({reason}). This is usually a problem with this "
                "computer's internet connection or its DNS server, not with your settings: "
                "check the connection and try again, and if it persists ask your IT person or "
                "internet provider."
            ),
            "it": (
                "La ricerca del nome non è riuscita ({reason}). Di solito il problema è nella "
                "connessione a internet di questo computer o nel suo server DNS, non nelle "
                "impostazioni: controllare la connessione e riprovare; se il problema "
                "persiste, rivolgersi al tecnico informatico o al provider internet."
            ),
        },
    ),
    "dns.null_mx": Entry(
        Severity.WARNING,
        title={
            "en": "The domain {domain} declares that it receives no email",
            "it": "Il dominio {domain} dichiara di non ricevere posta",
        },
        fix={
            "en": (
                "The domain of the sending address publishes a null MX record (RFC 7505), so "
                "replies and bounce messages cannot reach it and many servers refuse its "
                "mail. Ask whoever manages the domain to set up its mail (MX) records, or "
                "send from another address."
            ),
            "it": (
                "Il dominio dell'indirizzo mittente pubblica un record MX nullo (RFC 7505): "
                "le risposte e gli avvisi di mancata consegna non possono arrivare e molti "
                "server rifiutano la sua posta. Chiedere a chi gestisce il dominio di "
                "configurare i record di posta (MX), oppure inviare da un altro indirizzo."
            ),
        },
    ),
    "dns.no_mx": Entry(
        Severity.WARNING,
        title={
            "en": "The domain {domain} has no server for incoming email (no MX record)",
            "it": "Il dominio {domain} non ha un server per la posta in arrivo (nessun record MX)",
        },
        fix={
            "en": (
                "Replies to the sending address may not arrive, and some servers distrust "
                "senders whose domain cannot receive mail. Ask whoever manages the domain to "
                "add the MX records given by the email provider."
            ),
            "it": (
                "Le risposte all'indirizzo mittente potrebbero non arrivare e alcuni server "
                "diffidano dei mittenti il cui dominio non può ricevere posta. Chiedere a chi "
                "gestisce il dominio di aggiungere i record MX indicati dal provider di "
                "posta."
            ),
        },
    ),
    "dns.mx_unusable": Entry(
        Severity.WARNING,
        title={
            "en": "The mail server record (MX) of the domain {domain} is not set up as required",
            "it": (
                "Il record del server di posta (MX) del dominio {domain} non è configurato "
                "come richiesto"
            ),
        },
        fix={
            "en": (
                "Each MX record must name a mail server by its own name, not by an alias or "
                "an IP address; many servers cannot deliver replies and bounce messages "
                "otherwise, and some distrust the domain's mail. Ask whoever manages the "
                "domain's DNS to enter the MX records exactly as the email provider gives them."
            ),
            "it": (
                "Ogni record MX deve indicare un server di posta con il suo nome, non con un "
                "alias o un indirizzo IP; altrimenti molti server non riescono a consegnare "
                "risposte e avvisi di mancata consegna, e alcuni diffidano della posta del "
                "dominio. Chiedere a chi gestisce il DNS del dominio di inserire i record MX "
                "esattamente come indicati dal provider di posta."
            ),
        },
        also=(Severity.INFO,),
    ),
    "dns.resolver_mismatch": Entry(
        Severity.WARNING,
        title={
            "en": "This computer finds the server {host} at another address than the DNS does",
            "it": "Questo computer trova il server {host} a un indirizzo diverso da quello del DNS",
        },
        fix={
            "en": (
                "This check connected to the address given by the DNS, but email programs on "
                "this computer use the computer's own answer (its hosts file, a VPN or a "
                "local DNS), so they may reach another server. If that is not intended, "
                "remove the entry for this name from the hosts file or ask your IT person, "
                "then check again."
            ),
            "it": (
                "Questo controllo si è collegato all'indirizzo indicato dal DNS, ma i "
                "programmi di posta di questo computer usano la risposta del computer stesso "
                "(il file hosts, una VPN o un DNS locale), quindi potrebbero raggiungere un "
                "altro server. Se non è voluto, togliere la voce per questo nome dal file "
                "hosts o rivolgersi al tecnico informatico, poi ripetere il controllo."
            ),
        },
        also=(Severity.INFO,),
    ),
    "dns.spf_missing": Entry(
        Severity.WARNING,
        title={
            "en": (
                "The domain {domain} does not list which servers may send its email (no SPF record)"
            ),
            "it": (
                "Il dominio {domain} non indica quali server possono inviare la sua posta "
                "(manca il record SPF)"
            ),
        },
        fix={
            "en": (
                "Without SPF, messages are more likely to end up in spam or be refused. Ask "
                "whoever manages the domain's DNS to add the SPF record (a TXT record "
                "starting with v=spf1) recommended by the email provider."
            ),
            "it": (
                "Senza SPF è più probabile che i messaggi finiscano nello spam o vengano "
                "rifiutati. Chiedere a chi gestisce il DNS del dominio di aggiungere il "
                "record SPF (un record TXT che inizia con v=spf1) consigliato dal provider di "
                "posta."
            ),
        },
    ),
    "dns.spf_excludes_provider": Entry(
        Severity.WARNING,
        title={
            "en": "The domain {domain} does not allow {provider} to send its email (SPF)",
            "it": "Il dominio {domain} non autorizza {provider} a inviare la sua posta (SPF)",
        },
        fix={
            "en": (
                "Receiving servers may mark your messages as spam or refuse them. Ask whoever "
                "manages the domain's DNS to add the include entry given in the instructions "
                "for {provider} to the SPF record (the TXT record starting with v=spf1)."
            ),
            "it": (
                "I server di destinazione potrebbero segnare i messaggi come spam o "
                "rifiutarli. Chiedere a chi gestisce il DNS del dominio di aggiungere al "
                "record SPF (il record TXT che inizia con v=spf1) la voce include indicata "
                "nelle istruzioni per {provider}."
            ),
        },
    ),
    "dns.dmarc_missing": Entry(
        Severity.INFO,
        title={
            "en": "The domain {domain} has no DMARC policy",
            "it": "Il dominio {domain} non ha una policy DMARC",
        },
        fix={
            "en": (
                "DMARC tells receiving servers what to do with mail that fakes your domain, "
                "and large providers such as Gmail and Yahoo expect it from bulk senders. Not "
                "urgent, but ask whoever manages the domain's DNS to add at least a basic "
                "DMARC record (a TXT record at _dmarc.{domain})."
            ),
            "it": (
                "DMARC indica ai server di destinazione cosa fare con la posta che falsifica "
                "il dominio, e i grandi provider come Gmail e Yahoo lo richiedono a chi invia "
                "molti messaggi. Non è urgente, ma conviene chiedere a chi gestisce il DNS "
                "del dominio di aggiungere almeno un record DMARC di base (un record TXT su "
                "_dmarc.{domain})."
            ),
        },
    ),
    # --- port ------------------------------------------------------------------------------------
    "port.open": Entry(
        Severity.INFO,
        title={
            "en": "Port {port} is open and answers as an email server ({address})",
            "it": "La porta {port} è aperta e risponde come server di posta ({address})",
        },
    ),
    "port.refused": Entry(
        Severity.WARNING,
        title={
            "en": "Port {port} refused the connection ({address})",
            "it": "La porta {port} ha rifiutato la connessione ({address})",
        },
        fix={
            "en": (
                "Nothing accepts connections on this port at this address: the port number "
                "may be wrong for this server, or a firewall rejects the connection. Check "
                "the port in your provider's instructions (usually 587 with STARTTLS or 465 "
                "with SSL/TLS)."
            ),
            "it": (
                "A questo indirizzo nessun servizio accetta connessioni su questa porta: il "
                "numero di porta potrebbe essere sbagliato per questo server, oppure un "
                "firewall rifiuta la connessione. Controllare la porta nelle istruzioni del "
                "provider (di solito 587 con STARTTLS o 465 con SSL/TLS)."
            ),
        },
        also=(Severity.ERROR,),
    ),
    "port.unreachable": Entry(
        Severity.WARNING,
        title={
            "en": "There is no network route to {address} on port {port}",
            "it": "Non c'è un percorso di rete verso {address} sulla porta {port}",
        },
        fix={
            "en": (
                "This computer cannot reach that address at all (no route, or this kind of "
                "address is not supported here). Check the internet connection, VPN or proxy "
                "settings; if only the IPv6 address fails, the network lacks working IPv6."
            ),
            "it": (
                "Questo computer non riesce a raggiungere quell'indirizzo (nessun percorso di "
                "rete, o questo tipo di indirizzo non è supportato). Controllare la connessione "
                "a internet, la VPN o il proxy; se fallisce solo l'indirizzo IPv6, la rete non "
                "ha un IPv6 funzionante."
            ),
        },
        also=(Severity.ERROR,),
    ),
    "port.filtered": Entry(
        Severity.WARNING,
        title={
            "en": "Port {port} does not answer ({address}): it is probably blocked",
            "it": "La porta {port} non risponde ({address}): probabilmente è bloccata",
        },
        fix={
            "en": (
                "Something between this computer and the server silently blocks port {port}: "
                "a firewall, the office router or the internet provider. Internet providers "
                "often block port 25: to send email, use port 587 with STARTTLS or port 465 "
                "with SSL/TLS. If those do not answer either, ask whoever manages the network "
                "to open them."
            ),
            "it": (
                "Qualcosa tra questo computer e il server blocca la porta {port} senza "
                "avvisare: un firewall, il router dell'ufficio o il provider internet. I "
                "provider internet bloccano spesso la porta 25: per inviare posta usare la "
                "porta 587 con STARTTLS o la porta 465 con SSL/TLS. Se non rispondono neanche "
                "queste, chiedere a chi gestisce la rete di aprirle."
            ),
        },
        also=(Severity.ERROR,),
    ),
    "port.no_greeting": Entry(
        Severity.ERROR,
        title={
            "en": "Port {port} accepts the connection but the server never answers ({address})",
            "it": (
                "La porta {port} accetta la connessione ma il server non risponde mai ({address})"
            ),
        },
        fix={
            "en": (
                "Something is holding up the connection: often an antivirus that scans email, "
                "a firewall or a proxy. If you use port 465, set the security option to "
                "SSL/TLS; otherwise try pausing the antivirus email protection, or ask your "
                "IT person."
            ),
            "it": (
                "Qualcosa trattiene la connessione: spesso un antivirus con controllo della "
                "posta, un firewall o un proxy. Se si usa la porta 465, impostare la "
                "sicurezza della connessione su SSL/TLS; altrimenti provare a sospendere la "
                "protezione email dell'antivirus oppure rivolgersi al tecnico informatico."
            ),
        },
    ),
    "port.not_smtp": Entry(
        Severity.ERROR,
        title={
            "en": "Something other than an email server answers on port {port} ({address})",
            "it": "Sulla porta {port} risponde qualcosa che non è un server di posta ({address})",
        },
        fix={
            "en": (
                "The port is used by another kind of service (for example a web server), so "
                "the server name or the port number is probably wrong. Check both against "
                "your provider's instructions: usually port 587 with STARTTLS or port 465 "
                "with SSL/TLS."
            ),
            "it": (
                "La porta è usata da un altro tipo di servizio (ad esempio un server web), "
                "quindi probabilmente il nome del server o il numero di porta sono sbagliati. "
                "Controllarli entrambi nelle istruzioni del provider: di solito porta 587 con "
                "STARTTLS o porta 465 con SSL/TLS."
            ),
        },
    ),
    "port.ipv6_broken": Entry(
        Severity.WARNING,
        title={
            "en": "Port {port} on {host} works over IPv4 but not over IPv6",
            "it": "La porta {port} di {host} funziona con IPv4 ma non con IPv6",
        },
        fix={
            "en": (
                "On this network the newer kind of internet connection (IPv6) to the server "
                "does not work, while the usual one (IPv4) does. Most apps fall back to IPv4 "
                "by themselves, but some wait and fail: if sending is slow or unreliable, ask "
                "your IT person or internet provider to fix IPv6 on this network."
            ),
            "it": (
                "Su questa rete il collegamento al server con il protocollo internet più "
                "recente (IPv6) non funziona, mentre quello tradizionale (IPv4) sì. Quasi "
                "tutti i programmi ripiegano da soli su IPv4, ma alcuni restano in attesa e "
                "falliscono: se l'invio è lento o irregolare, chiedere al tecnico informatico "
                "o al provider internet di sistemare IPv6 su questa rete."
            ),
        },
    ),
    # --- smtp ------------------------------------------------------------------------------------
    "smtp.greeting_rejected": Entry(
        Severity.ERROR,
        title={
            "en": "The server on port {port} refuses to serve this connection (reply {code})",
            "it": (
                "Il server sulla porta {port} rifiuta di servire questa connessione (codice {code})"
            ),
        },
        fix={
            "en": (
                "The server says it will not accept mail from here: often this internet "
                "address (IP) is on a block list, or the server is overloaded or under "
                "maintenance. Try again later or from another network; if it persists, "
                "contact your provider with the server's reply shown in this report."
            ),
            "it": (
                "Il server dichiara di non accettare posta da qui: spesso perché questo "
                "indirizzo internet (IP) è in una lista di blocco, oppure perché il server è "
                "sovraccarico o in manutenzione. Riprovare più tardi o da un'altra rete; se "
                "il problema persiste, contattare il provider indicando la risposta del "
                "server riportata in questo report."
            ),
        },
    ),
    "smtp.protocol_error": Entry(
        Severity.ERROR,
        title={
            "en": "The server on port {port} sent replies that do not follow the email protocol",
            "it": (
                "Il server sulla porta {port} ha inviato risposte non conformi al protocollo "
                "di posta"
            ),
        },
        fix={
            "en": (
                "The replies were garbled, too long or out of order: a faulty server, or a "
                "firewall, antivirus or proxy interfering. Try from another network; if the "
                "problem stays, send this report to your provider or IT person."
            ),
            "it": (
                "Le risposte erano incomprensibili, troppo lunghe o fuori sequenza: un server "
                "difettoso, oppure un firewall, un antivirus o un proxy che interferisce. "
                "Riprovare da un'altra rete; se il problema rimane, inviare questo report al "
                "provider o al tecnico informatico."
            ),
        },
    ),
    "smtp.auth_not_offered": Entry(
        Severity.ERROR,
        title={
            "en": "The server on port {port} does not offer sign-in for sending",
            "it": (
                "Il server sulla porta {port} non offre l'accesso con nome utente e password "
                "per l'invio"
            ),
        },
        fix={
            "en": (
                "After encrypting the connection, the server did not offer sign-in with "
                "username and password, so it cannot be used to send from your account. The "
                "server name often belongs to a server for incoming mail: check the Host "
                "field and the port (usually 587 with STARTTLS or 465 with SSL/TLS) against "
                "your provider's instructions."
            ),
            "it": (
                "Dopo aver cifrato la connessione, il server non ha offerto l'accesso con "
                "nome utente e password, quindi non si può usare per inviare dal proprio "
                "account. Spesso il nome indicato è quello di un server per la posta in "
                "arrivo: confrontare il campo Host e la porta (di solito 587 con STARTTLS o "
                "465 con SSL/TLS) con le istruzioni del provider."
            ),
        },
    ),
    "smtp.auth_before_tls": Entry(
        Severity.WARNING,
        title={
            "en": "The server on port {port} accepts passwords without encryption",
            "it": "Il server sulla porta {port} accetta password senza cifratura",
        },
        fix={
            "en": (
                "This check sends the password only after encrypting the connection, but "
                "other apps might not. Make sure the security option is STARTTLS or SSL/TLS, "
                "never None; if you run the server, turn off unencrypted sign-in."
            ),
            "it": (
                "Questa verifica invia la password solo dopo aver cifrato la connessione, ma "
                "altri programmi potrebbero non farlo. Assicurarsi che la sicurezza della "
                "connessione sia STARTTLS o SSL/TLS, mai Nessuna; se il server è gestito "
                "internamente, disattivare l'accesso senza cifratura."
            ),
        },
    ),
    # --- tls -------------------------------------------------------------------------------------
    "tls.starttls_missing": Entry(
        Severity.ERROR,
        title={
            "en": (
                "The server on port {port} does not offer to encrypt the connection (no STARTTLS)"
            ),
            "it": (
                "Il server sulla porta {port} non offre la cifratura della connessione (manca "
                "STARTTLS)"
            ),
        },
        fix={
            "en": (
                "On port {port} the server {host} should offer STARTTLS (the command that "
                "switches on encryption); without it the password would travel unprotected. "
                "Use port 465 with SSL/TLS if your provider offers it; if STARTTLS normally "
                "works here, a firewall or antivirus may be removing it, so ask your IT "
                "person."
            ),
            "it": (
                "Sulla porta {port} il server {host} dovrebbe offrire STARTTLS (il comando "
                "che attiva la cifratura); senza, la password viaggerebbe in chiaro. Usare la "
                "porta 465 con SSL/TLS se il provider la offre; se di solito STARTTLS "
                "funziona, potrebbe eliminarlo un firewall o un antivirus: rivolgersi al "
                "tecnico informatico."
            ),
        },
    ),
    "tls.starttls_failed": Entry(
        Severity.ERROR,
        title={
            "en": "Switching on encryption failed on port {port}",
            "it": "L'attivazione della cifratura non è riuscita sulla porta {port}",
        },
        fix={
            "en": (
                "The server {host} refused or broke off the switch to encryption (STARTTLS). "
                "If the details say the refusal is temporary, wait a few minutes and run the "
                "check again. Otherwise try port 465 with SSL/TLS; if that fails too, the "
                "server or something on the network is faulty, so contact your provider or IT "
                "person."
            ),
            "it": (
                "Il server {host} ha rifiutato o interrotto l'attivazione della cifratura "
                "(STARTTLS). Se i dettagli indicano un rifiuto temporaneo, attendere qualche "
                "minuto e ripetere la verifica. Altrimenti provare la porta 465 con SSL/TLS; "
                "se non funziona neanche questa, il guasto è nel server o in qualcosa sulla "
                "rete: contattare il provider o il tecnico informatico."
            ),
        },
    ),
    "tls.implicit_on_starttls_port": Entry(
        Severity.ERROR,
        title={
            "en": "Wrong security setting for port {port}: it needs STARTTLS, not SSL/TLS",
            "it": (
                "Sicurezza della connessione errata per la porta {port}: serve STARTTLS, non "
                "SSL/TLS"
            ),
        },
        fix={
            "en": (
                "On port {port} the server {host} starts without encryption and then switches "
                "it on with STARTTLS. Set the security option to STARTTLS for this port, or "
                "keep SSL/TLS and use the port meant for it (usually 465)."
            ),
            "it": (
                "Sulla porta {port} il server {host} parte senza cifratura e la attiva poi "
                "con STARTTLS. Impostare la sicurezza della connessione su STARTTLS per "
                "questa porta, oppure lasciare SSL/TLS e usare la porta prevista per questa "
                "modalità (di solito 465)."
            ),
        },
    ),
    "tls.plain_on_implicit_port": Entry(
        Severity.ERROR,
        title={
            "en": "Wrong security setting for port {port}: it needs SSL/TLS",
            "it": "Sicurezza della connessione errata per la porta {port}: serve SSL/TLS",
        },
        fix={
            "en": (
                "On port {port} the server {host} expects encryption from the very first "
                "moment (SSL/TLS), so a STARTTLS or unencrypted connection just waits until "
                "it times out. Set the security option to SSL/TLS for this port (with most "
                "providers that is port 465, while port 587 is used with STARTTLS)."
            ),
            "it": (
                "Sulla porta {port} il server {host} si aspetta la cifratura fin dal primo "
                "istante (SSL/TLS), quindi una connessione STARTTLS o senza cifratura resta "
                "in attesa fino allo scadere del tempo. Impostare la sicurezza della "
                "connessione su SSL/TLS per questa porta (con la maggior parte dei provider è "
                "la porta 465, mentre la 587 si usa con STARTTLS)."
            ),
        },
    ),
    "tls.starttls_injection": Entry(
        Severity.ERROR,
        title={
            "en": "Unexpected data arrived while encryption was being switched on (port {port})",
            "it": (
                "Sono arrivati dati inattesi durante l'attivazione della cifratura (porta {port})"
            ),
        },
        fix={
            "en": (
                "Something inserted data just before the encrypted connection to {host} "
                "started: a known attack technique, or a faulty firewall or server. Do not "
                "send the password over this port: use port 465 with SSL/TLS instead, and "
                "report this to your provider or IT person."
            ),
            "it": (
                "Qualcosa ha inserito dati appena prima dell'avvio della connessione cifrata "
                "con {host}: una tecnica di attacco nota, oppure un firewall o un server "
                "difettoso. Non inviare la password su questa porta: usare invece la porta "
                "465 con SSL/TLS e segnalare il problema al provider o al tecnico "
                "informatico."
            ),
        },
    ),
    "tls.handshake_failed": Entry(
        Severity.ERROR,
        title={
            "en": "The encrypted connection to {host} on port {port} could not be set up",
            "it": (
                "Non è stato possibile stabilire la connessione cifrata con {host} sulla "
                "porta {port}"
            ),
        },
        fix={
            "en": (
                "This computer and the server could not agree on how to encrypt the "
                "connection: the software on either side may be outdated, or a firewall or "
                "antivirus may interfere. Try the other option (port 587 with STARTTLS or "
                "port 465 with SSL/TLS); if both fail, ask your provider or IT person."
            ),
            "it": (
                "Questo computer e il server non sono riusciti ad accordarsi su come cifrare "
                "la connessione: il software dell'uno o dell'altro potrebbe essere datato, "
                "oppure un firewall o un antivirus potrebbe interferire. Provare l'altra "
                "combinazione (porta 587 con STARTTLS o porta 465 con SSL/TLS); se non "
                "funzionano entrambe, rivolgersi al provider o al tecnico informatico."
            ),
        },
    ),
    "tls.cert_expired": Entry(
        Severity.ERROR,
        title={
            "en": "The server's certificate expired on {date}",
            "it": "Il certificato del server è scaduto il {date}",
        },
        fix={
            "en": (
                "The security certificate of {host} is out of date, so the connection cannot "
                "be trusted. If that date is very recent, first check this computer's date "
                "and clock; otherwise only the server's owner (your provider or hosting "
                "company) can renew it, so tell them, and do not turn off certificate "
                "verification to get around it."
            ),
            "it": (
                "Il certificato di sicurezza di {host} non è più valido, quindi la "
                "connessione non è affidabile. Se la data è molto recente, controllare prima "
                "la data e l'ora di questo computer; altrimenti solo chi gestisce il server "
                "(il provider o la società di hosting) può rinnovarlo: avvisarlo, senza "
                "disattivare la verifica del certificato per aggirare il problema."
            ),
        },
    ),
    "tls.cert_not_yet_valid": Entry(
        Severity.ERROR,
        title={
            "en": "The server's certificate is only valid from {date}",
            "it": "Il certificato del server è valido solo a partire dal {date}",
        },
        fix={
            "en": (
                "This usually means that this computer's date or clock is wrong: check and "
                "correct it. If the clock is right, whoever runs {host} (your provider or "
                "hosting company) has installed a certificate too early: tell them."
            ),
            "it": (
                "Di solito significa che la data o l'ora di questo computer sono sbagliate: "
                "controllarle e correggerle. Se l'orologio è giusto, chi gestisce {host} (il "
                "provider o la società di hosting) ha installato un certificato non ancora "
                "valido: avvisarlo."
            ),
        },
    ),
    "tls.clock_skew": Entry(
        Severity.WARNING,
        title={
            "en": "This computer's clock may be wrong (it reads {now})",
            "it": "L'orologio di questo computer potrebbe essere sbagliato (segna {now})",
        },
        fix={
            "en": (
                "The certificate of {host} is only a few hours outside its valid dates "
                "(hours: {hours}). That often means this computer's date, time or time zone is "
                "set wrong, not that the server has a problem. Check and correct them, then "
                "run the check again."
            ),
            "it": (
                "Il certificato di {host} è fuori dalle sue date di validità solo di poche ore "
                "(ore: {hours}). Spesso significa che la data, l'ora o il fuso orario di questo "
                "computer sono impostati male, non che il server abbia un problema. "
                "Controllarli e correggerli, poi ripetere la verifica."
            ),
        },
    ),
    "tls.cert_expiring": Entry(
        Severity.WARNING,
        title={
            "en": "The server's certificate expires soon (days left: {days})",
            "it": "Il certificato del server scade a breve (giorni rimanenti: {days})",
        },
        fix={
            "en": (
                "Nothing to change on your side for now, but sending will stop working if the "
                "certificate of {host} is not renewed in time. If you run this server, renew "
                "it; otherwise let your provider or hosting company know."
            ),
            "it": (
                "Per ora non c'è nulla da cambiare, ma l'invio smetterà di funzionare se il "
                "certificato di {host} non viene rinnovato in tempo. Se il server è gestito "
                "internamente, rinnovarlo; altrimenti avvisare il provider o la società di "
                "hosting."
            ),
        },
    ),
    "tls.cert_hostname_mismatch": Entry(
        Severity.ERROR,
        title={
            "en": "The server's certificate is not valid for the name {host}",
            "it": "Il certificato del server non è valido per il nome {host}",
        },
        fix={
            "en": (
                "The certificate is valid for: {names}. Enter one of these names in the Host "
                "field instead of {host}; this is common with hosting companies, whose server "
                "name differs from your own domain. Do not turn off certificate verification "
                "to get around it."
            ),
            "it": (
                "Il certificato è valido per: {names}. Inserire uno di questi nomi nel campo "
                "Host al posto di {host}; capita spesso con le società di hosting, il cui "
                "nome del server è diverso dal proprio dominio. Non disattivare la verifica "
                "del certificato per aggirare il problema."
            ),
        },
    ),
    "tls.cert_self_signed": Entry(
        Severity.ERROR,
        title={
            "en": "The server's certificate is self-signed",
            "it": "Il certificato del server è autofirmato",
        },
        fix={
            "en": (
                "A self-signed certificate is made by the server itself rather than by a "
                "recognised authority, so nothing proves that {host} is the real server. With "
                "a public provider, check the server name and tell the provider; for a "
                "private server run by you or your IT person, install a proper certificate "
                "or, accepting the risk, tick Do not verify TLS certificate."
            ),
            "it": (
                "Un certificato autofirmato è creato dal server stesso e non da un'autorità "
                "riconosciuta, quindi nulla garantisce che {host} sia il server vero. Con un "
                "provider pubblico, controllare il nome del server e avvisare il provider; "
                "per un server privato gestito internamente o dal tecnico informatico, "
                "installare un certificato valido oppure, accettando il rischio, spuntare Non "
                "verificare il certificato TLS."
            ),
        },
        also=(Severity.INFO,),
    ),
    "tls.cert_untrusted": Entry(
        Severity.ERROR,
        title={
            "en": "The server's certificate is not trusted by this computer",
            "it": "Il certificato del server non è considerato attendibile da questo computer",
        },
        fix={
            "en": (
                "It was issued by {issuer}, an authority this computer does not recognise. "
                "This happens with company servers that use their own private authority, or "
                "when this computer's list of trusted authorities is missing or outdated: ask "
                "your IT person to install the company's authority certificate or to update "
                "the system."
            ),
            "it": (
                "È stato emesso da {issuer}, un'autorità che questo computer non riconosce. "
                "Succede con i server aziendali che usano una propria autorità privata, "
                "oppure quando l'elenco delle autorità attendibili di questo computer manca o "
                "non è aggiornato: chiedere al tecnico informatico di installare il "
                "certificato dell'autorità aziendale o di aggiornare il sistema."
            ),
        },
    ),
    "tls.cert_chain_incomplete": Entry(
        Severity.ERROR,
        title={
            "en": "The server does not send its complete certificate chain",
            "it": "Il server non invia la catena di certificati completa",
        },
        fix={
            "en": (
                "The server {host} sends its certificate without the intermediate certificate "
                "that links it to a trusted authority, so many apps reject it. Only whoever "
                "runs the server can fix this: ask your provider or hosting company to "
                "install the full certificate chain."
            ),
            "it": (
                "Il server {host} invia il proprio certificato senza il certificato "
                "intermedio che lo collega a un'autorità attendibile, quindi molti programmi "
                "lo rifiutano. Solo chi gestisce il server può correggerlo: chiedere al "
                "provider o alla società di hosting di installare la catena di certificati "
                "completa."
            ),
        },
    ),
    "tls.old_protocol": Entry(
        Severity.WARNING,
        title={
            "en": "The server uses an outdated encryption version on port {port} ({version})",
            "it": (
                "Il server usa una versione di cifratura obsoleta sulla porta {port} ({version})"
            ),
        },
        fix={
            "en": (
                "TLS 1.0 and 1.1 are obsolete, and many apps and providers no longer accept "
                "them. The server should be updated to TLS 1.2 or newer: tell your provider "
                "or IT person."
            ),
            "it": (
                "TLS 1.0 e 1.1 sono obsoleti e molti programmi e provider non li accettano "
                "più. Il server va aggiornato a TLS 1.2 o successivo: avvisare il provider o "
                "il tecnico informatico."
            ),
        },
    ),
    "tls.intercepted": Entry(
        Severity.WARNING,
        title={
            "en": "Another program is intercepting the encrypted connection (port {port})",
            "it": "Un altro programma sta intercettando la connessione cifrata (porta {port})",
        },
        fix={
            "en": (
                "The certificate for {host} was issued by {issuer}, which looks like an "
                "antivirus or company proxy that opens and re-encrypts email traffic, so your "
                "password passes through it. Turn off its email or SSL scanning for this app, "
                "or ask your IT person."
            ),
            "it": (
                "Il certificato per {host} è stato emesso da {issuer}, che sembra un "
                "antivirus o un proxy aziendale che apre e cifra di nuovo il traffico di "
                "posta: la password passa quindi attraverso quel programma. Disattivarne il "
                "controllo della posta o di SSL per questo programma, oppure rivolgersi al "
                "tecnico informatico."
            ),
        },
    ),
    "tls.ok": Entry(
        Severity.INFO,
        title={
            "en": (
                "Encryption works on port {port} ({version}, valid certificate, days left: {days})"
            ),
            "it": (
                "La cifratura funziona sulla porta {port} ({version}, certificato valido, "
                "giorni rimanenti: {days})"
            ),
        },
    ),
    # --- auth ------------------------------------------------------------------------------------
    "auth.ok": Entry(
        Severity.INFO,
        title={
            "en": "Sign-in successful as {username} (port {port})",
            "it": "Accesso riuscito come {username} (porta {port})",
        },
    ),
    "auth.rejected": Entry(
        Severity.ERROR,
        title={
            "en": "The username or password was not accepted ({username})",
            "it": "Nome utente o password non accettati ({username})",
        },
        fix={
            "en": (
                "Check the Username (usually the full email address) and type the Password "
                "again, minding capital letters and stray spaces. If 2-step verification is "
                "on for this account, {provider} may require an app password instead of the "
                "normal one; if a sign-in was just blocked as suspicious, sign in once on the "
                "provider's website, then test again."
            ),
            "it": (
                "Controllare il nome utente (di solito l'indirizzo email completo) e digitare "
                "di nuovo la password, facendo attenzione a maiuscole e spazi di troppo. Se "
                "per questo account è attiva la verifica in due passaggi, {provider} potrebbe "
                "richiedere una password per le app al posto di quella normale; se un accesso "
                "è appena stato bloccato come sospetto, accedere una volta dal sito del "
                "provider e poi ripetere la verifica."
            ),
        },
    ),
    "auth.app_password_required": Entry(
        Severity.ERROR,
        title={
            "en": "An app password is needed instead of the normal password",
            "it": "Serve una password per le app al posto della password normale",
        },
        fix={
            "en": (
                "An app password is a separate password that {provider} creates for programs "
                "like this one. Turn on 2-step verification in the account's security "
                "settings, then create an app password there and paste it into the Password "
                "field instead of the normal password (without spaces)."
            ),
            "it": (
                "La password per le app è una password separata che {provider} crea per "
                "programmi come questo. Attivare la verifica in due passaggi nelle "
                "impostazioni di sicurezza dell'account, poi creare lì una password per le "
                "app e incollarla nel campo Password al posto della password normale (senza "
                "spazi)."
            ),
        },
    ),
    "auth.smtp_auth_disabled": Entry(
        Severity.ERROR,
        title={
            "en": "Sending from apps (SMTP AUTH) is turned off for this mailbox",
            "it": "L'invio da programmi esterni (SMTP AUTH) è disattivato per questa casella",
        },
        fix={
            "en": (
                "The mailbox {username} is not allowed to send through apps, and only an "
                "administrator (usually your IT person) can change this: ask them to turn on "
                "authenticated SMTP for this mailbox, and to check that it is not turned off "
                "for the whole organisation."
            ),
            "it": (
                "La casella {username} non è autorizzata a inviare tramite programmi esterni "
                "e solo un amministratore (di solito il tecnico informatico) può cambiarlo: "
                "chiedergli di attivare l'SMTP autenticato per questa casella e di controllare "
                "che non sia disattivato per tutta l'organizzazione."
            ),
        },
    ),
    "auth.oauth_required": Entry(
        Severity.ERROR,
        title={
            "en": "Passwords are no longer accepted from apps: modern sign-in is required",
            "it": (
                "Le password non sono più accettate dai programmi esterni: serve l'accesso moderno"
            ),
        },
        fix={
            "en": (
                "For this account, {provider} only accepts modern sign-in (OAuth2, where you "
                "log in on the provider's own page) from programs that send email. Use an app "
                "or connector that offers this kind of sign-in (for example Sign in with "
                "Microsoft), or send through another service, such as your web hosting's mail "
                "server or an email sending service."
            ),
            "it": (
                "Per questo account, {provider} accetta dai programmi che inviano posta solo "
                "l'accesso moderno (OAuth2, con il login sulla pagina del provider). Usare un "
                "programma o un connettore che offra questo tipo di accesso (ad esempio "
                "Accedi con Microsoft), oppure inviare tramite un altro servizio, come il "
                "server di posta dell'hosting del sito o un servizio di invio email."
            ),
        },
    ),
    "auth.mechanism_unsupported": Entry(
        Severity.ERROR,
        title={
            "en": "The server offers no sign-in method that can be used here",
            "it": "Il server non offre un metodo di accesso utilizzabile",
        },
        fix={
            "en": (
                "The server on port {port} only offers sign-in methods meant for company "
                "networks (such as NTLM or Kerberos), not the usual username and password. "
                "Ask the server's administrator to enable standard sign-in (PLAIN or LOGIN "
                "over an encrypted connection) for sending, or use another server."
            ),
            "it": (
                "Il server sulla porta {port} offre solo metodi di accesso pensati per le "
                "reti aziendali (come NTLM o Kerberos) e non il normale nome utente e "
                "password. Chiedere all'amministratore del server di abilitare l'accesso "
                "standard (PLAIN o LOGIN su connessione cifrata) per l'invio, oppure usare un "
                "altro server."
            ),
        },
    ),
    "auth.connection_lost": Entry(
        Severity.ERROR,
        title={
            "en": "The connection dropped during sign-in",
            "it": "La connessione si è interrotta durante l'accesso",
        },
        fix={
            "en": (
                "It is not known whether the username and password were accepted. Do not "
                "retry again and again: repeated failed attempts can lock the account for a "
                "while. Wait a few minutes, check the password once, then run a single new "
                "test."
            ),
            "it": (
                "Non si sa se nome utente e password siano stati accettati. Non ripetere i "
                "tentativi più volte: troppi tentativi falliti possono bloccare l'account per "
                "un certo tempo. Attendere qualche minuto, controllare una volta la password "
                "e poi eseguire una sola nuova verifica."
            ),
        },
    ),
    "auth.tls_required": Entry(
        Severity.ERROR,
        title={
            "en": "The server requires encryption before the password is sent",
            "it": "Il server richiede la cifratura prima dell'invio della password",
        },
        fix={
            "en": (
                "Set the security option to STARTTLS for port {port}, or use port 465 with "
                "SSL/TLS, so that the connection is encrypted before signing in."
            ),
            "it": (
                "Impostare la sicurezza della connessione su STARTTLS per la porta {port}, "
                "oppure usare la porta 465 con SSL/TLS, così che la connessione sia cifrata "
                "prima dell'accesso."
            ),
        },
    ),
    "auth.throttled": Entry(
        Severity.ERROR,
        title={
            "en": "Too many attempts: the server is refusing sign-in for now",
            "it": "Troppi tentativi: per ora il server rifiuta l'accesso",
        },
        fix={
            "en": (
                "After too many attempts or messages, {provider} has blocked the account or "
                "this internet connection for a while. Close other apps or devices that may "
                "be retrying with an old password, wait at least 15 minutes, then test again "
                "once."
            ),
            "it": (
                "Dopo troppi tentativi o messaggi, {provider} ha bloccato per un po' "
                "l'account o questa connessione. Chiudere gli altri programmi o dispositivi "
                "che potrebbero riprovare con una vecchia password, attendere almeno 15 "
                "minuti e poi ripetere la verifica una sola volta."
            ),
        },
    ),
    "auth.skipped_insecure": Entry(
        Severity.WARNING,
        title={
            "en": "The password was not tested because no encrypted connection was available",
            "it": (
                "La password non è stata verificata perché non era disponibile una "
                "connessione cifrata"
            ),
        },
        fix={
            "en": (
                "To protect it, the password is only sent over an encrypted connection, and "
                "none worked with this server. First fix the encryption problems listed in "
                "this report (usually by using port 587 with STARTTLS or port 465 with "
                "SSL/TLS)."
            ),
            "it": (
                "Per proteggerla, la password viene inviata solo su una connessione cifrata e "
                "con questo server nessuna connessione cifrata ha funzionato. Risolvere prima "
                "i problemi di cifratura elencati in questo report (di solito usando la porta "
                "587 con STARTTLS o la porta 465 con SSL/TLS)."
            ),
        },
    ),
    # --- send ------------------------------------------------------------------------------------
    "send.sender_rejected": Entry(
        Severity.ERROR,
        title={
            "en": "The server does not allow sending as {email} (reply {code})",
            "it": "Il server non consente di inviare come {email} (codice {code})",
        },
        fix={
            "en": (
                "The account used to sign in may not send from this address. Put the "
                "mailbox's own address in the Email field, or ask the administrator to let "
                "this mailbox send as {email} (Send As), or add it as a verified sender "
                "address with your provider."
            ),
            "it": (
                "L'account usato per l'accesso non può inviare da questo indirizzo. Inserire "
                "nel campo Email l'indirizzo della casella stessa, oppure chiedere "
                "all'amministratore di concedere a questa casella il permesso di inviare come "
                "{email} (Invia come), o aggiungerlo come mittente verificato presso il "
                "provider."
            ),
        },
    ),
    "send.smtputf8_missing": Entry(
        Severity.ERROR,
        title={
            "en": "The server does not accept the international address {email}",
            "it": "Il server non accetta l'indirizzo internazionale {email}",
        },
        fix={
            "en": (
                "The part before the @ contains letters outside plain English (such as ö or "
                "é), which needs the SMTPUTF8 extension, and this server does not offer it "
                "after encryption. Use an address with only plain letters and digits before "
                "the @, or ask your provider whether another server supports international "
                "addresses."
            ),
            "it": (
                "La parte prima della @ contiene lettere accentate o non latine (come ö o é), "
                "che richiedono l'estensione SMTPUTF8, e questo server non la offre dopo la "
                "cifratura. Usare un indirizzo con solo lettere semplici e cifre prima della "
                "@, oppure chiedere al provider se un altro server accetta indirizzi "
                "internazionali."
            ),
        },
    ),
    "send.sender_accepted": Entry(
        Severity.INFO,
        title={
            "en": "The server accepts {email} as the sender (nothing was sent)",
            "it": "Il server accetta {email} come mittente (non è stato inviato nulla)",
        },
    ),
    "send.recipient_rejected": Entry(
        Severity.ERROR,
        title={
            "en": "The server refused the recipient {recipient} (reply {code})",
            "it": "Il server ha rifiutato il destinatario {recipient} (codice {code})",
        },
        fix={
            "en": (
                "Check the recipient address for typos. If it is correct, the server may "
                "refuse to deliver to outside addresses for this account, which usually means "
                "the sign-in did not succeed: check the username and password."
            ),
            "it": (
                "Controllare che l'indirizzo del destinatario non contenga errori. Se è "
                "corretto, il server potrebbe rifiutare la consegna a indirizzi esterni per "
                "questo account, il che di solito significa che l'accesso non è riuscito: "
                "controllare nome utente e password."
            ),
        },
    ),
    "send.message_rejected": Entry(
        Severity.ERROR,
        title={
            "en": "The server refused the test email (reply {code})",
            "it": "Il server ha rifiutato l'email di prova (codice {code})",
        },
        fix={
            "en": (
                "The message was refused because of its content or size, a sending limit "
                "(such as a daily quota) or the provider's rules. If it is a daily limit, "
                "wait until the next day; otherwise contact your provider with the server's "
                "reply shown in this report."
            ),
            "it": (
                "Il messaggio è stato rifiutato per il contenuto o le dimensioni, per un "
                "limite di invio (ad esempio una quota giornaliera) o per le regole del "
                "provider. Se si tratta di un limite giornaliero, attendere il giorno "
                "successivo; altrimenti contattare il provider indicando la risposta del "
                "server riportata in questo report."
            ),
        },
    ),
    "send.temporary_failure": Entry(
        Severity.WARNING,
        title={
            "en": "The server asked to try again later (reply {code})",
            "it": "Il server ha chiesto di riprovare più tardi (codice {code})",
        },
        fix={
            "en": (
                "This is a temporary refusal, for example greylisting (a server briefly "
                "holding back unknown senders) or a sending limit. Usually nothing needs "
                "changing: wait a few minutes and test again."
            ),
            "it": (
                "È un rifiuto temporaneo, ad esempio per greylisting (un server che rimanda "
                "per poco i mittenti sconosciuti) o per un limite di invio. Di solito non c'è "
                "nulla da cambiare: attendere qualche minuto e ripetere la verifica."
            ),
        },
    ),
    "send.outcome_unknown": Entry(
        Severity.WARNING,
        title={
            "en": "It is not known whether the test email was accepted",
            "it": "Non si sa se l'email di prova sia stata accettata",
        },
        fix={
            "en": (
                "The message was handed over, but the server did not confirm it (no answer "
                "in time, or the connection dropped). Check the inbox of {recipient}, "
                "including the spam folder, before sending another test: sending it again "
                "blindly may deliver it twice. If it does not arrive, test again once later."
            ),
            "it": (
                "Il messaggio è stato consegnato al server, che però non lo ha confermato "
                "(nessuna risposta in tempo, oppure la connessione si è interrotta). "
                "Controllare la casella di {recipient}, compresa la cartella spam, prima di "
                "inviare un'altra prova: inviarla di nuovo alla cieca potrebbe farla arrivare "
                "due volte. Se non arriva, ripetere la verifica una sola volta più tardi."
            ),
        },
    ),
    "send.ok": Entry(
        Severity.INFO,
        title={
            "en": "The server accepted the test email for {recipient}",
            "it": "Il server ha accettato l'email di prova per {recipient}",
        },
        fix={
            "en": (
                "Check that it arrives in the inbox of {recipient}, including the spam "
                "folder. If it does not arrive, send this report to your provider: the "
                "server's reply identifies the message."
            ),
            "it": (
                "Controllare che arrivi nella casella di {recipient}, compresa la cartella "
                "spam. Se non arriva, inviare questo report al provider: la risposta del "
                "server permette di identificare il messaggio."
            ),
        },
    ),
    # --- http ------------------------------------------------------------------------------------
    "http.ok": Entry(
        Severity.INFO,
        title={
            "en": "The HTTP mail relay answers (status {status}, {latency} ms)",
            "it": "Il relay di posta HTTP risponde (stato {status}, {latency} ms)",
        },
    ),
    "http.not_encrypted": Entry(
        Severity.WARNING,
        title={
            "en": "The relay address uses http://, so messages and keys travel unencrypted",
            "it": "L'indirizzo del relay usa http://: messaggi e chiavi viaggiano in chiaro",
        },
        fix={
            "en": (
                "Use the relay's https:// address (ask the service for it): over http:// "
                "anyone on the network path can read the messages and the key in the URL."
            ),
            "it": (
                "Usare l'indirizzo https:// del relay (chiederlo al servizio): con http:// "
                "chiunque lungo il percorso di rete può leggere i messaggi e la chiave "
                "contenuta nell'URL."
            ),
        },
    ),
    "http.unreachable": Entry(
        Severity.ERROR,
        title={
            "en": "The HTTP mail relay cannot be reached ({url})",
            "it": "Il relay di posta HTTP non è raggiungibile ({url})",
        },
        fix={
            "en": (
                "Check the relay URL for typos and that this computer is connected to the "
                "internet. If the address is right, the relay service may be down or blocked "
                "by a firewall: contact the service's support or your IT person."
            ),
            "it": (
                "Controllare che l'URL del relay non contenga errori e che questo computer "
                "sia connesso a internet. Se l'indirizzo è giusto, il servizio potrebbe "
                "essere fuori uso o bloccato da un firewall: contattare l'assistenza del "
                "servizio o il tecnico informatico."
            ),
        },
    ),
    "http.bad_status": Entry(
        Severity.ERROR,
        title={
            "en": "The HTTP mail relay answered with an error (status {status})",
            "it": "Il relay di posta HTTP ha risposto con un errore (stato {status})",
        },
        fix={
            "en": (
                "The relay at {url} was reached but refused the request. Status 401 or 403 "
                "usually means a wrong or missing key, 404 a wrong address, and 500 or higher "
                "a fault on the service's side: check the URL and the key, or contact the "
                "service."
            ),
            "it": (
                "Il relay {url} è stato raggiunto ma ha rifiutato la richiesta. Lo stato 401 "
                "o 403 indica di solito una chiave errata o mancante, 404 un indirizzo "
                "sbagliato e 500 o superiore un guasto del servizio: controllare l'URL e la "
                "chiave, oppure contattare il servizio."
            ),
        },
    ),
    # --- run -------------------------------------------------------------------------------------
    "run.check_timed_out": Entry(
        Severity.WARNING,
        title={
            "en": "The {check} check did not finish in time",
            "it": "Il controllo {check} non è terminato in tempo",
        },
        fix={
            "en": (
                "The rest of the report is still valid. Run the test again; if it keeps "
                "happening, the network or the server is responding very slowly."
            ),
            "it": (
                "Il resto del report resta valido. Ripetere la verifica; se succede di nuovo, "
                "la rete o il server rispondono molto lentamente."
            ),
        },
    ),
    "run.check_failed": Entry(
        Severity.WARNING,
        title={
            "en": "The {check} check stopped because of an internal error",
            "it": "Il controllo {check} si è interrotto per un errore interno",
        },
        fix={
            "en": (
                "This is a fault in this tool, not in your settings, and the rest of the "
                "report is still valid. Run the test again; if it keeps happening, send this "
                "report to the tool's support."
            ),
            "it": (
                "È un difetto di questo strumento, non delle impostazioni, e il resto del "
                "report resta valido. Ripetere la verifica; se succede di nuovo, inviare "
                "questo report all'assistenza dello strumento."
            ),
        },
    ),
    "run.deadline_reached": Entry(
        Severity.WARNING,
        title={
            "en": "The time limit ({seconds} s) ended the diagnosis before every check finished",
            "it": (
                "Il tempo massimo ({seconds} s) è scaduto prima che tutti i controlli fossero "
                "completati"
            ),
        },
        fix={
            "en": (
                "The results shown are correct but incomplete. Run the test again, with a "
                "longer time limit if possible; very slow answers can themselves point to a "
                "network or server problem."
            ),
            "it": (
                "I risultati mostrati sono corretti ma incompleti. Ripetere la verifica, se "
                "possibile con un tempo massimo più lungo; risposte molto lente possono a "
                "loro volta indicare un problema della rete o del server."
            ),
        },
    ),
}
