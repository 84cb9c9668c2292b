"""The finding-code table as Markdown, for the README (kept in sync by a test)."""

from __future__ import annotations

import re
from pathlib import Path

from emaildiag.catalog.findings import FINDINGS


def markdown_table(lang: str = "en") -> str:
    rows = ["| code | severity | meaning |", "|---|---|---|"]
    for code in sorted(FINDINGS):
        entry = FINDINGS[code]
        severity = "/".join(s.value for s in (entry.severity, *entry.also))
        title = entry.title.get(lang, entry.title["en"]).replace("|", "\\|")
        rows.append(f"| `{code}` | {severity} | {title} |")
    return "\n".join(rows)


def update_readme(path: str) -> None:
    """Rewrite the table between the ``finding-codes`` markers of ``path``."""
    text = Path(path).read_text(encoding="utf-8")
    pattern = re.compile(r"(<!-- finding-codes:start -->\n).*?(<!-- finding-codes:end -->)", re.S)
    text = pattern.sub(lambda m: f"{m.group(1)}{markdown_table()}\n{m.group(2)}", text)
    Path(path).write_text(text, encoding="utf-8")


if __name__ == "__main__":  # python -m emaildiag.catalog.table README.md
    import sys

    if len(sys.argv) > 1:
        update_readme(sys.argv[1])
    else:
        print(markdown_table())
