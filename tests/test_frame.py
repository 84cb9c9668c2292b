"""The report as DataFrames: exact dtypes, one row per finding/probe, escaped HTML, no secrets."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import emaildiag
from emaildiag.demo import demo_environment
from emaildiag.model import (
    CertificateFacts,
    Finding,
    ProbeFacts,
    Report,
    Severity,
    TlsFacts,
)
from emaildiag.render.frame import (
    PHASES,
    batch_frame,
    findings_frame,
    probes_frame,
    styled,
)

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ("expired-certificate", "ok", "wrong-password")
SCRIPT = "<script>alert(1)</script>"

STRING = pd.StringDtype()
SEVERITY = pd.CategoricalDtype(["info", "warning", "error"], ordered=True)
VERDICT = pd.CategoricalDtype(["ok", "warning", "error"], ordered=True)

FINDINGS_DTYPES: dict[str, Any] = {
    "code": STRING,
    "severity": SEVERITY,
    "title": STRING,
    "fix": STRING,
    "port": pd.Int64Dtype(),
    "detail": STRING,
    "root_cause": pd.api.types.pandas_dtype(bool),
}
PROBES_DTYPES: dict[str, Any] = {
    "port": pd.Int64Dtype(),
    "address": STRING,
    "family": pd.CategoricalDtype(["ipv4", "ipv6"]),
    "state": pd.CategoricalDtype(["open", "refused", "filtered", "unreachable", "error"]),
    "mode": pd.CategoricalDtype(["starttls", "implicit", "none"]),
    "tls_version": STRING,
    "verified": pd.BooleanDtype(),
    "cert_days_left": pd.Int64Dtype(),
    "connect_ms": pd.Float64Dtype(),
    "greeting_ms": pd.Float64Dtype(),
    "ehlo_ms": pd.Float64Dtype(),
    "starttls_ms": pd.Float64Dtype(),
    "handshake_ms": pd.Float64Dtype(),
    "ehlo_tls_ms": pd.Float64Dtype(),
    "problem": STRING,
}
BATCH_DTYPES: dict[str, Any] = {
    "label": STRING,
    "host": STRING,
    "port": pd.Int64Dtype(),
    "verdict": VERDICT,
    "root_cause": STRING,
    "auth": pd.CategoricalDtype(["ok", "rejected", "skipped", "error", "not_attempted"]),
    "errors": pd.api.types.pandas_dtype("int64"),
    "warnings": pd.api.types.pandas_dtype("int64"),
}


def assert_dtypes(df: pd.DataFrame, expected: dict[str, Any]) -> None:
    assert list(df.columns) == list(expected)
    for column, dtype in expected.items():
        actual = df.dtypes[column]
        assert type(actual) is type(dtype) and actual == dtype, (column, actual, dtype)
        if isinstance(dtype, pd.CategoricalDtype):  # CategoricalDtype == ignores order
            assert list(actual.categories) == list(dtype.categories), column
            assert actual.ordered is dtype.ordered, column


def na(value: Any) -> Any:
    """A cell as plain Python: ``<NA>``/``NaN`` become None."""
    return None if pd.isna(value) else value


async def _diagnose(scenario: str, **overrides: Any) -> tuple[Report, str]:
    with demo_environment(scenario) as env:
        settings = env.settings() | overrides
        report = await emaildiag.adiagnose(settings, **env.options())
    return report, settings["password"]


@pytest.fixture(scope="module")
def reports() -> dict[str, Report]:
    async def run_all() -> dict[str, Report]:
        done = await asyncio.gather(*(_diagnose(name) for name in SCENARIOS))
        return {name: report for name, (report, _) in zip(SCENARIOS, done, strict=True)}

    return asyncio.run(run_all())


def hostile_report() -> Report:
    """A hand-built report carrying attacker-controlled server text in every text field."""
    finding = Finding(
        code="tls.cert_expired",
        severity=Severity.ERROR,
        title=f"expired {SCRIPT}",
        fix=None,
        port=587,
        detail=f"220 {SCRIPT} ESMTP",
    )
    cert = CertificateFacts(
        subject="CN=x",
        san=(),
        issuer="CN=x",
        not_before="",
        not_after="",
        days_left=-3,
        key_type="rsa",
        key_bits=2048,
        signature_algorithm=None,
        sha256="00",
        self_signed=True,
    )
    probe = ProbeFacts(
        port=587,
        address="127.0.0.1",
        family="ipv4",
        state="open",
        mode="starttls",
        tls=TlsFacts(mode="starttls", version=SCRIPT, verified=False, certificate=cert),
        timings={"connect": 1.0, "greeting": 2.5},
        problem=SCRIPT,
    )
    warning = Finding(code="auth.skipped_insecure", severity=Severity.WARNING, title="t")
    return Report(
        settings={"host": SCRIPT, "port": 587, "password_set": True},
        findings=(warning, finding),
        probes=(probe,),
        root_cause=finding,
    )


# --- findings -----------------------------------------------------------------------


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_findings_frame_has_one_row_per_finding(reports: dict[str, Report], scenario: str) -> None:
    report = reports[scenario]
    df = findings_frame(report)
    assert_dtypes(df, FINDINGS_DTYPES)
    assert len(df) == len(report.findings) > 0
    for row, finding in zip(df.itertuples(index=False), report.findings, strict=True):
        assert row.code == finding.code
        assert row.severity == finding.severity.value
        assert row.title == finding.title
        assert na(row.fix) == finding.fix
        assert na(row.port) == finding.port
        assert na(row.detail) == finding.detail
        assert row.root_cause is (finding is report.root_cause)
    assert df["root_cause"].sum() == (report.root_cause is not None)


def test_findings_frame_facts_of_an_expired_certificate(reports: dict[str, Report]) -> None:
    df = findings_frame(reports["expired-certificate"])
    cause = df[df["root_cause"]]
    assert list(cause["code"]) == ["tls.cert_expired"]
    assert list(cause["severity"]) == ["error"]
    # The ordered categorical makes comparisons and sorting mean severity, not spelling.
    assert set(df.loc[df["severity"] >= "warning", "code"]) >= {"tls.cert_expired"}
    assert df.sort_values("severity")["severity"].iloc[-1] == "error"


def test_root_cause_is_found_in_a_rebuilt_report() -> None:
    """A report rebuilt from data holds an equal, not the same, root-cause object."""
    report = hostile_report()
    cause = report.findings[1]
    rebuilt = Report(settings={}, findings=report.findings, root_cause=Finding(**vars(cause)))
    assert list(findings_frame(rebuilt)["root_cause"]) == [False, True]
    assert not findings_frame(Report(settings={}, findings=report.findings))["root_cause"].any()


# --- probes -------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_probes_frame_has_one_row_per_probe(reports: dict[str, Report], scenario: str) -> None:
    report = reports[scenario]
    df = probes_frame(report)
    assert_dtypes(df, PROBES_DTYPES)
    assert len(df) == len(report.probes) > 0
    for row, probe in zip(df.to_dict("records"), report.probes, strict=True):
        tls, cert = probe.tls, probe.tls.certificate if probe.tls else None
        assert row["port"] == probe.port and row["address"] == probe.address
        assert row["family"] == probe.family and row["state"] == probe.state
        assert na(row["mode"]) == probe.mode
        assert na(row["tls_version"]) == (tls.version if tls else None)
        assert na(row["verified"]) == (tls.verified if tls else None)
        assert na(row["cert_days_left"]) == (cert.days_left if cert else None)
        assert na(row["connect_ms"]) == probe.connect_ms
        for phase in PHASES:
            assert na(row[f"{phase}_ms"]) == probe.timings.get(phase)
        assert na(row["problem"]) == probe.problem


def test_probes_frame_facts_of_an_expired_certificate(reports: dict[str, Report]) -> None:
    df = probes_frame(reports["expired-certificate"]).set_index("mode")
    assert set(df.index) == {"starttls", "implicit"}
    assert not df["verified"].any()
    assert (df["cert_days_left"] < 0).all()
    phases = df[["starttls_ms", "handshake_ms"]].notna()
    assert list(phases.loc["starttls"]) == [True, False]  # STARTTLS: no handshake first
    assert list(phases.loc["implicit"]) == [False, True]  # implicit TLS: no STARTTLS


def test_empty_report_keeps_the_schema() -> None:
    empty = Report(settings={})
    assert len(findings_frame(empty)) == 0
    assert_dtypes(findings_frame(empty), FINDINGS_DTYPES)
    assert_dtypes(probes_frame(empty), PROBES_DTYPES)
    assert_dtypes(batch_frame([]), BATCH_DTYPES)


# --- batch --------------------------------------------------------------------------


def test_batch_frame_one_row_per_report(reports: dict[str, Report]) -> None:
    pairs = list(reports.items())
    df = batch_frame(pairs)
    assert_dtypes(df, BATCH_DTYPES)
    assert list(df["label"]) == list(SCENARIOS)
    for row, (_, report) in zip(df.to_dict("records"), pairs, strict=True):
        assert row["host"] == report.settings["host"]
        assert row["port"] == report.settings["port"]
        assert row["verdict"] == report.verdict
        assert na(row["root_cause"]) == (report.root_cause.code if report.root_cause else None)
        assert row["auth"] == report.auth.result
        assert row["errors"] == sum(f.severity is Severity.ERROR for f in report.findings)
        assert row["warnings"] == sum(f.severity is Severity.WARNING for f in report.findings)
    by_label = df.set_index("label")
    assert by_label.loc["ok", "verdict"] == "ok" and by_label.loc["ok", "auth"] == "ok"
    assert by_label.loc["wrong-password", "root_cause"] == "auth.rejected"
    assert by_label.loc["wrong-password", "auth"] == "rejected"
    assert by_label.loc["expired-certificate", "root_cause"] == "tls.cert_expired"
    assert list(df.sort_values("verdict")["verdict"]) == ["ok", "error", "error"]  # ok < error


# --- HTML: escaping and colour --------------------------------------------------------


def _frames(report: Report, label: str = "run") -> list[pd.DataFrame]:
    return [findings_frame(report), probes_frame(report), batch_frame([(label, report)])]


def test_styled_escapes_server_text() -> None:
    for df in _frames(hostile_report(), label=SCRIPT):
        html = styled(df).to_html()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<script" not in html.lower()


def test_styled_escapes_column_labels() -> None:
    html = styled(pd.DataFrame({SCRIPT: ["x"]})).to_html()
    assert "&lt;script&gt;" in html and "<script" not in html.lower()


def test_status_cells_are_coloured_and_keep_their_word() -> None:
    report = hostile_report()
    tables = ((findings_frame(report), "severity"), (batch_frame([("a", report)]), "verdict"))
    for df, column in tables:
        col = df.columns.get_loc(column)
        html = styled(df).to_html()
        for row, word in enumerate(df[column]):
            cell = re.search(
                rf'_row{row}_col{col}" class="data row{row} col{col}" >([^<]*)</td>', html
            )
            assert cell is not None and cell.group(1) == word
            css = re.search(rf"_row{row}_col{col} \{{\s*background-color: #[0-9a-f]{{6}};", html)
            assert css is not None, (column, word)
    assert "row_heading" not in styled(findings_frame(report)).to_html()  # index hidden


def test_styled_output_is_stable_and_distinct_per_table() -> None:
    report = hostile_report()
    findings, probes = findings_frame(report), probes_frame(report)
    assert styled(findings).to_html() == styled(findings_frame(report)).to_html()
    ids = [re.findall(r'<table id="([^"]+)"', styled(df).to_html()) for df in (findings, probes)]
    assert len(ids[0]) == len(ids[1]) == 1 and ids[0] != ids[1]  # no shared CSS ids on a page


# --- secrets ---------------------------------------------------------------------------


async def test_password_never_reaches_a_frame(canary: str) -> None:
    failed, sent = await _diagnose("ok", password=canary)
    assert sent == canary and failed.auth.result == "rejected"  # the canary went to the server
    passed, password = await _diagnose("ok")
    assert passed.auth.result == "ok"
    for report, secret in ((failed, canary), (passed, password)):
        for df in _frames(report):
            assert secret not in df.to_csv()
            assert secret not in styled(df).to_html()


# --- Report.to_frame and import cost ----------------------------------------------------


def test_report_to_frame(reports: dict[str, Report]) -> None:
    report = reports["expired-certificate"]
    pd.testing.assert_frame_equal(report.to_frame("probes"), probes_frame(report))
    pd.testing.assert_frame_equal(report.to_frame(), findings_frame(report))
    with pytest.raises(ValueError, match="kind"):
        report.to_frame("transcript")


def test_import_emaildiag_does_not_import_pandas() -> None:
    code = (
        "import sys, emaildiag, emaildiag.render.frame\n"
        "print([m for m in ('pandas', 'numpy', 'jinja2') if m in sys.modules])"
    )
    env = os.environ | {
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    }
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT, env=env
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"
