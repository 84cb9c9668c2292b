"""The finding-code table as Markdown, for the README (kept in sync by a test)."""

from __future__ import annotations

from emaildiag.catalog.findings import FINDINGS


def markdown_table(lang: str = "en") -> str:
    rows = ["| code | severity | meaning |", "|---|---|---|"]
    for code in sorted(FINDINGS):
        entry = FINDINGS[code]
        severity = "/".join(s.value for s in (entry.severity, *entry.also))
        title = entry.title.get(lang, entry.title["en"]).replace("|", "\\|")
        rows.append(f"| `{code}` | {severity} | {title} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())
