"""The README stays true: its two commands, the CI script, and the finding-code table."""

from __future__ import annotations

import re
from pathlib import Path

from emaildiag.catalog.table import markdown_table

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands() -> list[str]:
    return re.findall(r"```sh\n(.*?)\n```", README, flags=re.S)[:2]


def test_readme_opens_with_the_demo_and_the_test_command() -> None:
    demo, tests = _commands()
    assert README.index(demo) < 400  # the first thing a reader sees
    assert "pip install" in demo and "emaildiag demo" in demo
    assert "pip install" in tests and "pytest" in tests


def test_ci_runs_exactly_the_readme_test_command() -> None:
    _, tests = _commands()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert f"TEST_CMD='{tests}'" in ci
    assert "-eq 5" in ci  # pytest's "no tests collected" fails CI


def test_finding_code_table_matches_the_catalogue() -> None:
    markers = r"<!-- finding-codes:start -->\n(.*?)\n<!-- finding-codes:end -->"
    block = re.search(markers, README, re.S)
    assert block is not None
    assert block.group(1) == markdown_table(), "run: python -m emaildiag.catalog.table README.md"
