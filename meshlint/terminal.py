"""Terminal text shared by check's text output and convert's summary: when to colour, the
colours, one finding line of at most ``WIDTH`` characters, wrapped explanations and coloured
diffs. Pure functions: they build strings; the CLI decides where they go.
"""
from __future__ import annotations

import os
import textwrap
from collections.abc import Iterable
from typing import IO

from .escape import printable
from .model import Finding, Severity

WIDTH = 120  # a finding line never runs longer (colour codes aside)
COLOR_CHOICES = ("auto", "always", "never")

RED, GREEN, YELLOW, CYAN = "\033[31m", "\033[32m", "\033[33m", "\033[36m"
BOLD, DIM, RESET = "\033[1m", "\033[2m", "\033[0m"
SEVERITY_COLORS = {Severity.ERROR: RED, Severity.WARNING: YELLOW, Severity.INFO: CYAN}


def use_color(choice: str | None, stream: IO[str] | None) -> bool:
    """``always``/``never`` as asked; ``auto`` (the default): only on a terminal and without NO_COLOR."""
    if choice == "always":
        return True
    if choice == "never":
        return False
    if "NO_COLOR" in os.environ and os.environ["NO_COLOR"] != "":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Paint:
    """Wraps text in colour codes, or leaves it alone."""

    def __init__(self, color: bool):
        self.color = color

    def __call__(self, style: str, text: str) -> str:
        return f"{style}{text}{RESET}" if self.color and text else text


def fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, an ellipsis marking the cut."""
    if width <= 1:
        return "…" if text else ""
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def finding_line(f: Finding, paint: Paint, width: int = WIDTH, rendered_file: bool = True) -> str:
    """``  LINE:COL  SEVERITY  CODE [*] short message`` in at most ``width`` visible characters.
    A finding on a rendered object (kustomize build, helm template) ends with its position in the
    rendered stream, ``(rendered -:146:5)``, or ``(rendered 146:5)`` when the file header names the
    stream (``rendered_file=False``); its LINE:COL is ``-`` when the source is a template."""
    where = f"{f.line}:{f.column}" if f.rendered is None or f.rendered.located else "-"
    fix = " [*]" if f.fixable else ""
    head = f"  {where:<9} {f.severity!s:<7}  {f.code}{fix} "
    at = ""
    if f.rendered is not None:
        name = printable(f.rendered.file)
        name = (name if len(name) <= 30 else "…" + name[-29:]) + ":" if rendered_file else ""
        at = f"  (rendered {name}{f.rendered.line}:{f.rendered.column})"
    message = fit(printable(f.short or f.message), width - len(head) - len(at))
    return f"  {paint(DIM, f'{where:<9}')} {paint(SEVERITY_COLORS[f.severity], f'{f.severity!s:<7}')}  {paint(BOLD, f.code)}{fix} {message}{paint(DIM, at)}"


def wrapped(text: str, indent: int, width: int = WIDTH) -> list[str]:
    """A long explanation as lines of at most ``width`` characters, indented."""
    pad = " " * indent
    return textwrap.wrap(printable(text), width=width, initial_indent=pad, subsequent_indent=pad, break_on_hyphens=False, break_long_words=True) or [pad]


def color_diff(diff: str, paint: Paint) -> str:
    """A unified diff with the usual colours: file headers bold, hunks cyan, removals red, additions green."""
    if not paint.color or not diff:
        return diff
    out = []
    for line in diff.splitlines(keepends=True):
        body, end = (line[:-1], "\n") if line.endswith("\n") else (line, "")
        if line.startswith(("--- ", "+++ ")):
            out.append(paint(BOLD, body) + end)
        elif line.startswith("@@"):
            out.append(paint(CYAN, body) + end)
        elif line.startswith("-"):
            out.append(paint(RED, body) + end)
        elif line.startswith("+"):
            out.append(paint(GREEN, body) + end)
        else:
            out.append(line)
    return "".join(out)


def by_file(findings: Iterable[Finding]) -> list[tuple[str, list[Finding]]]:
    """Findings grouped by file, files in first-seen order (findings come sorted by file and line)."""
    groups: dict[str, list[Finding]] = {}
    for f in findings:
        groups.setdefault(f.file, []).append(f)
    return list(groups.items())
