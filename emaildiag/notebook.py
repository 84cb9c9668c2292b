"""The notebook settings form: a view over Settings → Report (SPEC §1, §5).

The form has no diagnostic logic: widget values become a mapping that
:func:`normalize_settings` checks (its ``settings.*`` findings are shown inline as the
user types) and :func:`adiagnose` diagnoses; the report is shown with the renderers'
own HTML. Three notebook facts shape it (reference §1, §6):

- A ``Password`` value is synced like any trait and lands in saved widget state
  (ipywidgets#1747; nbclient always saves it). The click, and :meth:`SettingsForm.run`
  before its first ``await``, copy it to a private attribute and empty the widget.
- Cells already run on the kernel's event loop: no ``asyncio.run`` and no re-entrant loop patching.
  A click starts a task on the running loop, keeps a reference (the loop holds only a
  weak one) and shows the task's error, which ipywidgets would otherwise swallow.
- Widget views vanish from a notebook saved without widget state, so the form is
  displayed through a display handle whose ``text/html`` fallback is the report.
"""

from __future__ import annotations

import asyncio
import dataclasses
import html
import logging
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

import ipywidgets as widgets  # noqa: TID253 - this module is the `notebook` extra

from emaildiag.discovery import asuggest_settings
from emaildiag.fields import as_address
from emaildiag.jobs import Event
from emaildiag.model import Finding, Report, Severity
from emaildiag.redact import Redactor, printable
from emaildiag.runner import adiagnose
from emaildiag.settings import Settings, normalize_settings

__all__ = ["LABELS", "SettingsForm"]

log = logging.getLogger("emaildiag")

OTHER_PORT = 0  # the port Dropdown's "Other…" entry: the number comes from port_custom
_PORTS = (587, 465, 25)
_EN = {
    "title": "<b>Email settings</b>", "protocol": "Send with", "smtp": "SMTP server",
    "http": "HTTP relay", "host": "Host", "host_ph": "smtp.example.com", "port": "Port",
    "port_587": "587 · STARTTLS (usual)", "port_465": "465 · SSL/TLS",
    "port_25": "25 · STARTTLS", "port_other": "Other…", "port_custom": "Port number",
    "username": "Username", "username_ph": "usually your email address", "email": "Email",
    "email_ph": "the address the emails come from", "password": "Password",
    "password_kept": "kept for this session; type to replace",
    "copy_to_enabled": "Send a copy of each email to", "copy_to": "Copy to",
    "reply_to_enabled": "Receive replies at a different address", "reply_to": "Replies to",
    "no_verify_tls": "Do not verify TLS certificate",
    "tls_warning": "Only for a server with a self-signed certificate you trust: without "
    "verification, anyone on the way could read your password.",
    "http_url": "Relay URL", "http_url_ph": "https://…", "http_reply_to": "Reply-to address",
    "send_test": "Send a test email", "lang": "Language",
    "test_button": "Test email settings", "export_button": "Export HTML",
    "fill_button": "Fill from my email address", "export_path": "File",
    "stage_settings": "Checking the settings", "stage_dns": "Looking up the server",
    "stage_connect": "Connecting", "stage_relay": "Contacting the relay",
    "running": "running", "ok": "done", "timed_out": "timed out", "failed": "failed",
    "skipped": "skipped", "finished": "Finished in {ms} ms",
    "error": "The test could not run: {error}", "cancelled": "The test was cancelled.",
    "no_loop": "The button needs a running notebook (Jupyter) event loop.",
    "no_address": "Enter your email address in Username or Email first.",
    "filled": "Filled in from {source}: {host}, port {port}. Check it, then test.",
    "nothing_found": "No settings found for {address}; ask your email provider.",
    "no_report": "Run the test first.", "exported": "Report saved to {path}.",
    "export_failed": "The report could not be saved to {path}: {reason}",
    "needs_extra": "HTML export needs the report extra: pip install 'emaildiag[report]'.",
}  # fmt: skip
_IT = {
    "title": "<b>Impostazioni email</b>", "protocol": "Invia con", "smtp": "Server SMTP",
    "http": "Relay HTTP", "host": "Host", "host_ph": "smtp.esempio.it", "port": "Porta",
    "port_587": "587 · STARTTLS (usuale)", "port_465": "465 · SSL/TLS",
    "port_25": "25 · STARTTLS", "port_other": "Altra…", "port_custom": "Numero di porta",
    "username": "Nome utente", "username_ph": "di solito il proprio indirizzo email",
    "email": "Email", "email_ph": "l'indirizzo da cui partono i messaggi",
    "password": "Password", "password_kept": "conservata per questa sessione; digitare per "
    "sostituirla", "copy_to_enabled": "Invia una copia di ogni email a", "copy_to": "Copia a",
    "reply_to_enabled": "Ricevi le risposte a un indirizzo diverso", "reply_to": "Risposte a",
    "no_verify_tls": "Non verificare il certificato TLS",
    "tls_warning": "Solo per un server con un certificato autofirmato di cui ci si fida: "
    "senza verifica, chiunque lungo il percorso potrebbe leggere la password.",
    "http_url": "URL del relay", "http_url_ph": "https://…",
    "http_reply_to": "Indirizzo per le risposte", "send_test": "Invia un'email di prova",
    "lang": "Lingua", "test_button": "Verifica impostazioni email",
    "export_button": "Esporta HTML", "fill_button": "Compila dal mio indirizzo email",
    "export_path": "File", "stage_settings": "Controllo delle impostazioni",
    "stage_dns": "Ricerca del server", "stage_connect": "Connessione",
    "stage_relay": "Contatto con il relay", "running": "in corso", "ok": "fatto",
    "timed_out": "tempo scaduto", "failed": "non riuscito", "skipped": "saltato",
    "finished": "Terminato in {ms} ms", "error": "Impossibile eseguire la verifica: {error}",
    "cancelled": "La verifica è stata annullata.",
    "no_loop": "Il pulsante richiede il ciclo di eventi di un notebook (Jupyter) in esecuzione.",
    "no_address": "Inserire prima il proprio indirizzo email in Nome utente o Email.",
    "filled": "Compilato da {source}: {host}, porta {port}. Controllare, poi verificare.",
    "nothing_found": "Nessuna impostazione trovata per {address}; chiedere al provider.",
    "no_report": "Eseguire prima la verifica.", "exported": "Report salvato in {path}.",
    "export_failed": "Impossibile salvare il report in {path}: {reason}",
    "needs_extra": "L'esportazione HTML richiede: pip install 'emaildiag[report]'.",
}  # fmt: skip
LABELS: dict[str, dict[str, str]] = {"en": _EN, "it": _IT}
_FIELDS = (
    "protocol", "host", "port", "port_custom", "username", "email", "password",
    "copy_to_enabled", "copy_to", "reply_to_enabled", "reply_to", "no_verify_tls", "http_url",
    "http_reply_to", "send_test", "lang",
)  # fmt: skip
_TEXTS = ("host", "username", "email", "copy_to", "reply_to", "http_url", "http_reply_to")
_DESCRIBED = (*_FIELDS, "test_button", "export_button", "fill_button", "export_path")
_ICONS = {"running": "⏳", "ok": "✔", "timed_out": "⏱", "failed": "✖", "skipped": "–"}
_COLOURS = {Severity.ERROR: "#b00020", Severity.WARNING: "#8a5a00", Severity.INFO: "#555"}


class _NoEventLoop(RuntimeError):
    """A click outside a running event loop (a plain script, not a notebook)."""


def _box(cls: Callable[..., Any], **kw: Any) -> Any:
    """A field widget with its own Layout (``layout.display`` hides one field only)."""
    style = {"description_width": "16em"}
    return cls(layout=widgets.Layout(width="40em"), style=style, **kw)


def _show(widget: Any, visible: bool) -> None:
    widget.layout.display = "" if visible else "none"


def _report_html(report: Report) -> str:
    """The renderers' HTML fragment, else the text report: without jinja2, or when the
    renderer fails (logged), the diagnosis must still show."""
    try:
        bundle = report._repr_mimebundle_()
    except Exception:  # a rendering fault must not hide the result
        log.warning("the HTML report could not be rendered; showing text", exc_info=True)
        bundle = {"text/plain": report.to_text()}
    return bundle.get("text/html") or f"<pre>{html.escape(bundle['text/plain'])}</pre>"


def _names_a_port(host: str) -> bool:
    """A host typed with a scheme or ``:port`` (``smtps://…``, ``host:465``)."""
    text = host.strip()
    return "://" in text or (text.count(":") == 1 and text.rsplit(":", 1)[1].isdigit())


def _text(value: object) -> str:
    return "" if value is None else str(value)


class SettingsForm:
    """The settings page of SPEC §1 as widgets, with a test button, progress and report.

    ``settings`` prefills the form; a password in it is kept privately, never put in the
    Password widget. ``diagnose_options`` go to :func:`adiagnose` (``send_test`` there
    is the test email's recipient when the box is ticked); ``suggest_options`` to
    :func:`asuggest_settings`. ``lang`` (``en``/``it``) defaults to the settings' lang.
    """

    def __init__(
        self,
        settings: Settings | Mapping[str, Any] | None = None,
        *,
        lang: str | None = None,
        diagnose_options: Mapping[str, Any] | None = None,
        suggest_options: Mapping[str, Any] | None = None,
    ) -> None:
        if isinstance(settings, Settings):
            v = {f.name: getattr(settings, f.name) for f in dataclasses.fields(settings)}
        else:
            v = dict(settings or {})
        self._password = _text(v.get("password"))
        self._diagnose_options = dict(diagnose_options or {})
        self._suggest_options = dict(suggest_options or {})
        self.report: Report | None = None
        self.task: asyncio.Task[Any] | None = None
        self._handle: Any = None
        self._port_chosen = v.get("port") is not None
        self._notice = ""
        self._steps: dict[str, str] = {}
        lang = lang or _text(v.get("lang")) or "en"
        verify = normalize_settings({"verify_tls": v.get("verify_tls", True)})[0].verify_tls
        self.title = widgets.HTML()
        self.protocol = _box(widgets.ToggleButtons, options=["smtp", "http"])
        self.protocol.value = "http" if _text(v.get("protocol")).strip() == "http" else "smtp"
        self.host = _box(widgets.Text, value=_text(v.get("host")))
        self.port = _box(widgets.Dropdown, options=[*_PORTS, OTHER_PORT])
        self.port_custom = _box(widgets.IntText)
        self._set_port(v.get("port"))
        self.username = _box(widgets.Text, value=_text(v.get("username")))
        self.email = _box(widgets.Text, value=_text(v.get("email")))
        self.password = _box(widgets.Password)
        self.copy_to_enabled = _box(widgets.Checkbox, value=bool(v.get("copy_to")))
        self.copy_to = _box(widgets.Text, value=_text(v.get("copy_to")))
        self.reply_to_enabled = _box(widgets.Checkbox, value=bool(v.get("reply_to")))
        self.reply_to = _box(widgets.Text, value=_text(v.get("reply_to")))
        self.no_verify_tls = _box(widgets.Checkbox, value=not verify)
        self.tls_warning = widgets.HTML(layout=widgets.Layout())
        self.http_url = _box(widgets.Text, value=_text(v.get("http_url")))
        self.http_reply_to = _box(widgets.Text, value=_text(v.get("http_reply_to")))
        self.send_test = _box(widgets.Checkbox, value=False)
        self.lang = _box(widgets.Dropdown, options=[("English", "en"), ("Italiano", "it")])
        self.lang.value = lang if lang in LABELS else "en"
        self.test_button = widgets.Button(button_style="primary", layout=widgets.Layout())
        self.export_button = widgets.Button(disabled=True, layout=widgets.Layout())
        self.export_path = _box(widgets.Text, value="emaildiag-report.html")
        self.fill_button = widgets.Button(layout=widgets.Layout())
        self.status = widgets.HTML()
        self.messages = widgets.HTML()
        self.report_view = widgets.HTML()
        self.widget = widgets.VBox(
            [self.title, self.protocol, self.host, self.port, self.port_custom,
             widgets.HBox([self.username, self.fill_button]), self.email, self.password,
             self.copy_to_enabled, self.copy_to, self.reply_to_enabled, self.reply_to,
             self.no_verify_tls, self.tls_warning, self.http_url, self.http_reply_to,
             self.send_test, self.lang, self.messages,
             widgets.HBox([self.test_button, self.export_button, self.export_path]),
             self.status, self.report_view]
        )  # fmt: skip
        self._quiet = False
        self._relabel()
        for name in _FIELDS:
            getattr(self, name).observe(self._changed, names="value")
        self.test_button.on_click(lambda _: self._guard(self.click_test))
        self.fill_button.on_click(
            lambda _: self._guard(lambda: self._start(self.fill_from_address))
        )
        self.export_button.on_click(lambda _: self._guard(self._export))

    # --- the model: widgets → Settings -----------------------------------------------

    def _visible(self) -> dict[str, bool]:
        """The show/hide rules of SPEC §1, from the current widget values."""
        smtp = self.protocol.value == "smtp"
        user = self.username.value.strip()
        return {
            **dict.fromkeys(("host", "port", "username", "fill_button", "password"), smtp),
            **dict.fromkeys(("copy_to_enabled", "reply_to_enabled"), smtp),
            "no_verify_tls": True,  # an HTTPS relay can be self-signed too (SPEC §1)
            "port_custom": smtp and self.port.value == OTHER_PORT,
            "email": smtp
            and bool(user)
            and (as_address(user) is None or self.email.value.strip() not in ("", user)),
            "copy_to": smtp and self.copy_to_enabled.value,
            "reply_to": smtp and self.reply_to_enabled.value,
            "tls_warning": bool(self.no_verify_tls.value),
            "http_url": not smtp,
            "http_reply_to": not smtp,
        }

    def _values(self, password: str) -> dict[str, Any]:
        """What is shown is what is tested: a hidden field counts as empty."""
        shown = self._visible()
        values = {name: getattr(self, name).value if shown[name] else "" for name in _TEXTS}
        port = self.port_custom.value if shown["port_custom"] else self.port.value
        if not self._port_chosen and _names_a_port(self.host.value):
            port = None  # "smtps://host" or "host:465" decides, not the dropdown's default
        return values | {
            "protocol": self.protocol.value,
            "port": port if shown["port"] else None,
            "password": password if shown["password"] else "",
            "verify_tls": not shown["tls_warning"],
            "lang": self.lang.value,
        }

    def settings(self) -> Settings:
        """The normalised Settings the form stands for (the password is left in place)."""
        return normalize_settings(self._values(self.password.value or self._password))[0]

    def validate(self) -> list[Finding]:
        """The ``settings.*`` findings for the current values (shown under the fields)."""
        return list(normalize_settings(self._values(self.password.value or self._password))[1])

    # --- actions ------------------------------------------------------------------------

    async def run(self) -> Report:
        """Diagnose the form's settings, with live progress, and show the report."""
        password = self._take_password()  # before any await
        self._say("")
        values = self._values(password)
        options = dict(self._diagnose_options)
        recipient = options.pop("send_test", None)
        options["send_test"] = (recipient or "") if self.send_test.value else None
        options["on_event"] = self._on_event
        self._steps.clear()
        self.report, self.export_button.disabled, self.report_view.value = None, True, ""
        self._update_display()  # a saved notebook must not keep showing an earlier verdict
        report = await adiagnose(values, **options)
        self.report = report
        self.report_view.value = _report_html(report)
        self.export_button.disabled = False
        self._update_display()
        return report

    def _update_display(self) -> None:
        if self._handle is not None:
            self._handle.update(self._repr_mimebundle_(), raw=True)

    def click_test(self) -> asyncio.Task[Any]:
        """What the button does: start :meth:`run` as a task on the running loop.

        The password leaves the widget at the click, before the task gets to run."""
        self._take_password()
        return self._start(self.run)

    async def fill_from_address(self) -> None:
        """Fill host, port and username from the best suggestion for the user's address."""
        address = as_address(self.username.value) or as_address(self.email.value)
        if address is None:
            self._say(self._t("no_address"))
            return
        found = await asuggest_settings(address, **self._suggest_options)
        if not found:
            self._say(self._t("nothing_found", address=address))
            return
        best = found[0]
        self.protocol.value = "smtp"
        self.host.value, self.username.value = best.host, best.username
        self._set_port(best.port)
        if as_address(best.username) is None:  # e.g. SendGrid's "apikey"
            self.email.value = address
        self._say(self._t("filled", source=best.source, host=best.host, port=best.port))

    def export_html(self, path: str) -> str:
        """Write the report as one self-contained HTML file (``Report.to_html``)."""
        if self.report is None:
            raise RuntimeError(self._t("no_report"))
        return self.report.to_html(path)

    # --- plumbing -----------------------------------------------------------------------

    def _start(self, work: Callable[[], Coroutine[Any, Any, Any]]) -> asyncio.Task[Any]:
        """One task at a time, referenced by ``self.task`` (the loop keeps a weak one)."""
        if self.task is not None and not self.task.done():
            return self.task
        try:  # before the coroutine exists, so none is left never awaited
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise _NoEventLoop(self._t("no_loop")) from None
        self.task = loop.create_task(work())
        self.test_button.disabled = self.fill_button.disabled = True
        self.task.add_done_callback(self._finished)
        return self.task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self.test_button.disabled = self.fill_button.disabled = False
        if task.cancelled():
            self._say(self._t("cancelled"))
        elif (exc := task.exception()) is not None:
            self._show_error(exc)
        self._update_display()

    def _guard(self, action: Callable[[], object]) -> None:
        """ipywidgets swallows what a click handler raises: show it instead."""
        try:
            action()
        except _NoEventLoop as exc:
            self._say(str(exc), error=True)
        except Exception as exc:  # noqa: BLE001 - every failure of a click is shown, none lost
            self._show_error(exc)

    def _show_error(self, exc: BaseException) -> None:
        """One line, password redacted, no traceback (it would hold local variables)."""
        text = Redactor([self._password], self.username.value)(f"{type(exc).__name__}: {exc}")
        self._say(self._t("error", error=printable(text, 300)), error=True)

    def _export(self) -> None:
        path = self.export_path.value.strip() or "emaildiag-report.html"
        try:
            self.export_html(path)
        except ImportError:
            self._say(self._t("needs_extra"), error=True)
        except (OSError, ValueError) as exc:  # a folder, no permission, a NUL in the name
            why = (exc.strerror if isinstance(exc, OSError) else None) or str(exc)
            reason = printable(why, 200)
            text = self._t("export_failed", path=printable(path, 200), reason=reason)
            self._say(text, error=True)
        else:
            self._say(self._t("exported", path=printable(path, 200)))

    def _on_event(self, event: Event) -> None:
        t = LABELS[self.lang.value]
        if event.kind == "stage":
            self._steps[event.name] = t.get(f"stage_{event.name}", event.name)
        elif event.kind in ("start", "end"):
            state = event.state or "running"
            line = f"{_ICONS.get(state, '•')} {event.name}: {t.get(state, state)}"
            self._steps[f"job {event.name}"] = line
        else:
            self._steps["done"] = t["finished"].format(ms=round(event.elapsed_ms))
        self.status.value = "<br>".join(html.escape(line) for line in self._steps.values())

    def _changed(self, change: Mapping[str, Any]) -> None:
        owner = change.get("owner")
        if owner in (self.host, self.username, self.protocol) and self._password:
            # a kept password belongs to one account: never send it to another server
            self._password = ""
            self.password.placeholder = ""
        if owner is self.port:
            self._port_chosen = True
        if self._quiet:
            return
        if change.get("owner") is self.lang:
            self._relabel()  # which comes back here with the new texts
            return
        for name, visible in self._visible().items():
            _show(getattr(self, name), visible)
        self._show_messages()

    def _relabel(self) -> None:
        t = LABELS[self.lang.value]
        self._quiet = True
        try:
            protocol, port = self.protocol.value, self.port.value
            self.protocol.options = [(t["smtp"], "smtp"), (t["http"], "http")]
            self.port.options = [(t[f"port_{p}"], p) for p in _PORTS] + [
                (t["port_other"], OTHER_PORT)
            ]
            self.protocol.value, self.port.value = protocol, port
        finally:
            self._quiet = False
        for name in _DESCRIBED:
            getattr(self, name).description = t[name]
            if f"{name}_ph" in t:
                getattr(self, name).placeholder = t[f"{name}_ph"]
        self._password_hint()
        self.title.value = t["title"]
        warning = html.escape(t["tls_warning"])
        self.tls_warning.value = f'<span style="color:#b00020">⚠ {warning}</span>'
        self._changed({})

    def _take_password(self) -> str:
        """Read, then clear: a value left in the widget would be saved with the notebook
        (ipywidgets#1747). Kept privately, so a second test needs no retyping."""
        if self.password.value:
            self._password = self.password.value
            self.password.value = ""
        self._password_hint()
        return self._password

    def _password_hint(self) -> None:
        """Says a password is kept (the placeholder is synced state: never the value)."""
        self.password.placeholder = self._t("password_kept") if self._password else ""

    def _show_messages(self) -> None:
        lines = [self._notice] if self._notice else []
        for f in self.validate():
            colour = _COLOURS[f.severity]
            fix = f"<br><small>{html.escape(f.fix)}</small>" if f.fix else ""
            lines.append(
                f'<div style="color:{colour}" data-code="{html.escape(f.code)}">'
                f"{html.escape(f.title)} <code>{html.escape(f.code)}</code>{fix}</div>"
            )
        self.messages.value = "".join(lines)

    def _say(self, text: str, error: bool = False) -> None:
        colour = _COLOURS[Severity.ERROR] if error else "inherit"
        self._notice = f'<div style="color:{colour}">{html.escape(text)}</div>' if text else ""
        self._show_messages()

    def _set_port(self, raw: object) -> None:
        text = _text(raw).strip()
        port = int(text) if text.isascii() and text.isdigit() else OTHER_PORT if text else 587
        self.port.value = port if port in _PORTS else OTHER_PORT
        if port not in _PORTS:
            self.port_custom.value = port

    def _t(self, key: str, **params: object) -> str:
        return LABELS[self.lang.value][key].format(**params)

    # --- display ------------------------------------------------------------------------

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """The live widget, plus an HTML fallback (the report, once there is one) that
        static renders show when no widget state was saved (reference §1.7)."""
        bundle: dict[str, Any] = dict(self.widget._repr_mimebundle_())
        bundle["text/plain"] = "emaildiag settings form"
        bundle["text/html"] = self.report_view.value or "<p>emaildiag settings form</p>"
        return bundle

    def _ipython_display_(self) -> None:
        from IPython.display import display

        bundle = self._repr_mimebundle_()
        self._handle = display(bundle, raw=True, display_id=True)  # type: ignore[no-untyped-call]
