"""Notebooks are committed clean, and run top to bottom: the quickstart in-process like a
kernel (top-level await), the walkthrough in a real Jupyter kernel through nbclient with
a canary password that must not survive in the saved notebook or its widget state."""

from __future__ import annotations

import ast
import asyncio
import json
import os
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).parent.parent / "notebooks"


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.name)
def test_committed_without_outputs_or_widget_state(path: Path) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb["nbformat"] == 4
    assert "widgets" not in nb.get("metadata", {})
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


def test_quickstart_cells_run_in_order_like_a_kernel(capsys: pytest.CaptureFixture[str]) -> None:
    """Each cell compiled as IPython does (top-level await allowed), in one namespace."""
    path = NOTEBOOKS / "quickstart.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    namespace: dict[str, object] = {"__name__": "__main__"}

    async def run_all() -> None:
        for i, cell in enumerate(nb["cells"]):
            if cell["cell_type"] != "code":
                continue
            source = "".join(cell["source"])
            code = compile(
                source, f"{path.name}[{i}]", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
            )
            result = eval(code, namespace)
            if asyncio.iscoroutine(result):
                await result

    asyncio.run(run_all())
    out = capsys.readouterr().out
    assert "auth.rejected" in out and "AUTH PLAIN [redacted]" in out
    assert "settings.host_normalized" in out


def test_walkthrough_executes_in_a_kernel_and_keeps_no_password(
    tmp_path: Path, canary: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("EMAILDIAG_PASSWORD", canary)  # the kernel inherits it
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    nb = nbformat.read(NOTEBOOKS / "walkthrough.ipynb", as_version=4)
    client = NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # saves widget state by default: the very thing that must hold no secret
    saved = nbformat.writes(nb)
    assert canary not in saved
    outputs = json.dumps([c.get("outputs", []) for c in nb.cells])
    assert "auth.app_password_required" in outputs  # the report was shown
    assert "image/svg+xml" in outputs  # report.plot() drew its charts
    assert "widgets" in nb.metadata  # widget state really was saved, and checked above
    assert (tmp_path / "emaildiag-report.html").exists()
    assert canary not in (tmp_path / "emaildiag-report.html").read_text(encoding="utf-8")
    assert os.environ["EMAILDIAG_PASSWORD"] == canary
