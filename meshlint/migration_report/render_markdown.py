"""The report as GitHub-flavoured Markdown, for a pull-request comment: the blocks of
:mod:`meshlint.migration_report.document`, lists longer than 8 items folded into ``<details>``."""
from __future__ import annotations

import re
from typing import Any

from ..escape import printable
from . import document

FOLD = 8
_SPAN = re.compile(r"(`[^`]*`)")


def inline(text: str) -> str:
    """Outside code spans, ``<`` and ``>`` as entities: names from the scanned files never become HTML in the comment."""
    return "".join(part if part.startswith("`") else part.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                   for part in _SPAN.split(text))


def _cell(text: str) -> str:
    return inline(text).replace("|", "\\|")


def block(b: document.Block) -> list[str]:
    if b.kind == "title":
        return [f"# {inline(b.text)}", ""]
    if b.kind in ("h2", "h3"):
        return [f"{'#' * (2 if b.kind == 'h2' else 3)} {inline(b.text)}", ""]
    if b.kind == "p":
        return [inline(b.text), ""]
    if b.kind == "warn":
        return [f"> **Warning:** {inline(b.text)}", ""]
    if b.kind == "list":
        lines = [f"- {inline(x)}" for x in b.items]
        if len(lines) > FOLD:
            return [f"<details><summary>{inline(b.text or 'Items')} ({len(lines)})</summary>", "", *lines, "", "</details>", ""]
        return lines + [""]
    if b.kind == "code":
        return ["```sh", *(printable(x).replace("```", "'''") for x in b.items), "```", ""]
    if b.kind == "table":
        return [f"| {' | '.join(_cell(h) for h in b.header)} |", f"|{'---|' * len(b.header)}",
                *(f"| {' | '.join(_cell(x) for x in row)} |" for row in b.items), ""]
    if b.kind == "chart":
        return []  # the HTML page draws it; the counts table says the same
    raise ValueError(f"unknown block {b.kind}")


def render(report: dict[str, Any]) -> str:
    return "\n".join(line for b in document.build(report) for line in block(b))
