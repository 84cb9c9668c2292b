"""Every catalogue code is raised, and asserted, by some test, except those listed here.

``make_finding`` refuses codes outside the catalogue (KeyError, see test_model), so no
test can raise an unknown code. The other direction is checked twice: each code must
appear quoted in a test (asserted), and, after a full run of the suite, must have been
raised in this process (``emaildiag.catalog.RAISED``; see conftest.py).
"""

from __future__ import annotations

from pathlib import Path

from emaildiag.catalog import FINDINGS

# Codes whose checks belong to later work; each is named with what will raise it.
NOT_YET_RAISED = {}

SKIP = {"test_catalog_texts.py", "test_catalog_coverage.py"}


def _test_sources() -> str:
    here = Path(__file__).parent
    return "".join(
        p.read_text(encoding="utf-8") for p in here.rglob("test_*.py") if p.name not in SKIP
    )


def test_every_code_is_asserted_by_a_test() -> None:
    sources = _test_sources()
    unasserted = {c for c in FINDINGS if f'"{c}"' not in sources} - set(NOT_YET_RAISED)
    assert unasserted == set()


def test_the_exception_list_names_catalogue_codes() -> None:
    assert set(NOT_YET_RAISED) <= set(FINDINGS)
