"""The notebook form, headless: ipywidgets 8 runs on a DummyComm without a kernel.

Against the loopback demo servers; no network. Asserts codes, visibility and widget
state, never wording.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

widgets = pytest.importorskip("ipywidgets")

from emaildiag.checks.dns import StaticResolver  # noqa: E402
from emaildiag.demo import DemoEnvironment, demo_environment  # noqa: E402
from emaildiag.notebook import LABELS, SettingsForm  # noqa: E402
from emaildiag.settings import Settings  # noqa: E402


def hidden(w: Any) -> bool:
    return w.layout.display == "none"


def all_widget_state(form: SettingsForm) -> str:
    """Every widget's synced state, as saved into a notebook's metadata.widgets."""
    from ipywidgets.embed import dependency_state

    manager = widgets.Widget.get_manager_state(drop_defaults=False)
    return json.dumps([manager, dependency_state(form.widget, drop_defaults=False)])


@pytest.fixture
def ok_env() -> Iterator[DemoEnvironment]:
    env = demo_environment("ok").start()
    try:
        yield env
    finally:
        env.stop()


def form_for(env: DemoEnvironment, **kw: Any) -> SettingsForm:
    values = {k: v for k, v in env.settings().items() if k != "password"}
    return SettingsForm(values, diagnose_options=env.options(), **kw)


# --- show/hide rules --------------------------------------------------------------------


def test_protocol_switches_smtp_and_http_fields() -> None:
    form = SettingsForm()
    smtp = [form.host, form.port, form.username, form.password]  # TLS box: both protocols
    smtp += [form.copy_to_enabled, form.reply_to_enabled]
    assert not any(hidden(w) for w in smtp)
    assert hidden(form.http_url) and hidden(form.http_reply_to)
    form.protocol.value = "http"
    assert all(hidden(w) for w in smtp)
    assert not hidden(form.http_url) and not hidden(form.http_reply_to)
    form.protocol.value = "smtp"
    assert not hidden(form.host) and hidden(form.http_url)


def test_email_shown_only_for_a_username_that_is_not_an_address() -> None:
    form = SettingsForm()
    assert hidden(form.email)
    form.username.value = "apikey"
    assert not hidden(form.email)
    form.username.value = "alice@example.com"
    assert hidden(form.email)


def test_optional_fields_follow_their_checkboxes() -> None:
    form = SettingsForm()
    assert hidden(form.copy_to) and hidden(form.reply_to) and hidden(form.tls_warning)
    form.copy_to_enabled.value = True
    form.reply_to_enabled.value = True
    form.no_verify_tls.value = True
    assert not hidden(form.copy_to) and not hidden(form.reply_to)
    assert not hidden(form.tls_warning)
    form.no_verify_tls.value = False
    assert hidden(form.tls_warning)


def test_other_port_shows_the_number_field() -> None:
    form = SettingsForm({"host": "mail.example.com", "port": 2525})
    assert form.port.value == 0 and not hidden(form.port_custom)
    assert form.settings().port == 2525
    form.port.value = 465
    assert hidden(form.port_custom) and form.settings().port == 465


# --- settings and inline validation -----------------------------------------------------


def test_settings_are_normalised_and_hidden_fields_count_as_empty() -> None:
    form = SettingsForm()
    form.host.value = "  SMTP.Gmail.com "
    form.username.value = "alice@gmail.com"
    form.reply_to.value = "other@example.com"  # its checkbox is not ticked
    form.password.value = "secret-value"
    s = form.settings()
    assert isinstance(s, Settings)
    assert (s.host, s.port, s.username, s.reply_to, s.verify_tls) == (
        "smtp.gmail.com", 587, "alice@gmail.com", "", True
    )  # fmt: skip
    assert s.password == "secret-value" and form.password.value == "secret-value"
    form.no_verify_tls.value = True
    form.reply_to_enabled.value = True
    s = form.settings()
    assert s.verify_tls is False and s.reply_to == "other@example.com"


def test_prefilled_password_never_goes_into_the_widget(canary: str) -> None:
    form = SettingsForm(
        Settings(host="mail.example.com", username="a@example.com", password=canary)
    )
    assert form.password.value == ""
    assert form.settings().password == canary
    assert canary not in all_widget_state(form)


def test_inline_validation_as_the_user_types() -> None:
    form = SettingsForm()
    form.host.value = "smtp.example.com"
    form.username.value = "alice"
    form.password.value = "pw-123456"
    codes = [f.code for f in form.validate()]
    assert "settings.email_required" in codes
    assert 'data-code="settings.email_required"' in form.messages.value
    form.email.value = "alice@example.com"
    assert "settings.email_required" not in form.messages.value


def test_switching_language_relabels_and_keeps_values() -> None:
    form = SettingsForm({"protocol": "http"})
    form.lang.value = "it"
    assert form.test_button.description == LABELS["it"]["test_button"]
    assert form.no_verify_tls.description == LABELS["it"]["no_verify_tls"]
    assert form.protocol.value == "http" and form.port.value == 587
    assert form.settings().lang == "it"
    form.lang.value = "en"
    assert form.test_button.description == "Test email settings"


# --- running against the loopback demo servers -----------------------------------------


class RecordingHandle:
    """Stands in for IPython's DisplayHandle."""

    def __init__(self) -> None:
        self.updates: list[dict[str, Any]] = []

    def update(self, bundle: dict[str, Any], raw: bool = False) -> None:
        assert raw
        self.updates.append(bundle)


async def test_run_clears_the_password_and_reports_ok(ok_env: DemoEnvironment) -> None:
    form = form_for(ok_env)
    handle = form._handle = RecordingHandle()
    form.password.value = ok_env.password
    report = await form.run()
    assert report.verdict == "ok" and form.report is report
    # the display output is updated so a notebook saved without widget state shows the report
    assert handle.updates[-1]["text/html"] == form.report_view.value
    assert form.password.value == ""
    assert ok_env.password not in all_widget_state(form)
    assert "dns" in form.status.value and form.report_view.value
    assert ok_env.password not in form.report_view.value
    again = await form.run()  # the password is kept privately for a second test
    assert again.verdict == "ok"


async def test_canary_password_is_in_no_widget_state(ok_env: DemoEnvironment, canary: str) -> None:
    form = form_for(ok_env)
    form.password.value = canary
    report = await form.run()
    assert "auth.rejected" in report.codes()
    assert "auth.rejected" in form.report_view.value
    assert form.password.value == ""
    assert canary not in all_widget_state(form)
    assert canary not in form.messages.value + form.status.value + form.report_view.value


async def test_password_is_cleared_before_the_first_await(ok_env: DemoEnvironment) -> None:
    form = form_for(ok_env)
    form.password.value = ok_env.password
    task = asyncio.ensure_future(form.run())
    await asyncio.sleep(0)  # run() has now run up to its first suspension
    assert form.password.value == "" and not task.done()
    assert (await task).verdict == "ok"


async def test_button_click_starts_a_referenced_task(ok_env: DemoEnvironment) -> None:
    form = form_for(ok_env)
    form.password.value = ok_env.password
    form.send_test.value = True
    form.test_button.click()
    assert form.task is not None and form.password.value == ""
    assert form.test_button.disabled
    report = await form.task
    assert report.verdict == "ok" and report.send.result == "ok"
    assert not form.test_button.disabled and form.report is report


async def test_error_in_a_run_is_shown_not_swallowed(
    ok_env: DemoEnvironment, canary: str, tmp_path: Any
) -> None:
    options = ok_env.options() | {"ca_file": str(tmp_path / "missing.pem")}
    values = {k: v for k, v in ok_env.settings().items() if k != "password"}
    form = SettingsForm(values, diagnose_options=options)
    form.password.value = canary
    form.test_button.click()  # must not raise
    assert form.task is not None
    await asyncio.wait([form.task])
    assert isinstance(form.task.exception(), ValueError)
    assert "ValueError" in form.messages.value and "missing.pem" in form.messages.value
    assert "Traceback" not in form.messages.value and canary not in form.messages.value
    assert not form.test_button.disabled


def test_click_outside_an_event_loop_says_so() -> None:
    form = SettingsForm({"host": "mail.example.com"})
    form.test_button.click()  # no running loop: a message, no exception, no stray coroutine
    assert form.task is None and LABELS["en"]["no_loop"] in form.messages.value


async def test_export_needs_a_report_then_writes_html(
    ok_env: DemoEnvironment, tmp_path: Any
) -> None:
    form = form_for(ok_env)
    with pytest.raises(RuntimeError):
        form.export_html(str(tmp_path / "r.html"))
    form.password.value = ok_env.password
    await form.run()
    try:
        html = form.export_html(str(tmp_path / "r.html"))
    except ImportError:
        pytest.skip("the HTML renderer is not there yet")
    assert (tmp_path / "r.html").read_text(encoding="utf-8") == html
    assert ok_env.password not in html
    form.export_path.value = str(tmp_path / "button.html")
    form.export_button.click()
    assert (tmp_path / "button.html").read_text(encoding="utf-8") == html


# --- discovery and display --------------------------------------------------------------


async def test_fill_from_a_gmail_address() -> None:
    suggest = {"probe": False, "resolver": StaticResolver({})}
    form = SettingsForm(suggest_options=suggest)
    form.username.value = "alice@gmail.com"
    await form.fill_from_address()
    assert form.host.value == "smtp.gmail.com"
    assert form.port.value in (587, 465) and form.username.value == "alice@gmail.com"


async def test_fill_without_an_address_asks_for_one() -> None:
    form = SettingsForm(suggest_options={"probe": False, "resolver": StaticResolver({})})
    await form.fill_from_address()
    assert form.host.value == "" and form.messages.value


def test_display_bundle_has_a_static_fallback() -> None:
    form = SettingsForm()
    bundle = form._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/html"] and bundle["text/plain"]


def test_import_emaildiag_does_not_import_ipywidgets() -> None:
    code = "import sys, emaildiag; print('ipywidgets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_kept_password_is_never_sent_to_another_account() -> None:
    form = SettingsForm({"host": "smtp.gmail.com", "username": "alice@gmail.com"})
    form.password.value = "gmail-secret"
    form._take_password()
    assert form.settings().password == "gmail-secret"  # same account: kept for a re-test
    form.host.value = "smtp.other.example"
    assert form.settings().password == ""


def test_relay_certificate_verification_can_be_switched_off() -> None:
    form = SettingsForm({"protocol": "http", "http_url": "https://relay.example/send"})
    form.no_verify_tls.value = True
    assert form.settings().verify_tls is False


def test_a_port_pasted_into_host_wins_over_the_default() -> None:
    assert SettingsForm({"host": "smtps://smtp.gmail.com"}).settings().port == 465
    assert SettingsForm({"host": "smtp.gmail.com:465"}).settings().port == 465
    assert SettingsForm({"host": "smtp.gmail.com", "port": 587}).settings().port == 587


def test_a_prefilled_alias_sender_is_kept() -> None:
    form = SettingsForm(
        {"username": "alice@a.example", "email": "sales@a.example", "host": "h.example"}
    )
    assert form.settings().email == "sales@a.example"
