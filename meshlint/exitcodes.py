"""The exit codes every command shares, and what the input alone decides about them.

``0`` success, ``1`` findings (or, for convert and report, input they could not fully read),
``2`` usage error or input that cannot be read at all. README "Exit codes" lists them per command.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .loader import SourceFile

OK, FINDINGS, USAGE = 0, 1, 2

UNREADABLE = "ML013"
# a file, or a document in it, that could not be read as YAML: convert cannot convert what it
# holds and report cannot report on it, so neither may say "done"
UNPARSED = frozenset({"ML001", "ML004", "ML005", "ML007", "ML009", "ML010", "ML012"})


def unreadable(sources: Iterable[SourceFile]) -> list[tuple[str, str]]:
    """(path, reason) of every input the operating system would not let meshlint read."""
    return [(s.path, str(p.params.get("error") or "cannot be read")) for s in sources for p in s.problems if p.code == UNREADABLE]


def unparsed(sources: Iterable[SourceFile]) -> list[str]:
    return [s.path for s in sources if any(p.code in UNPARSED for p in s.problems)]


def for_input(sources: Iterable[SourceFile]) -> int:
    """USAGE when an input cannot be read, FINDINGS when one cannot be parsed, else OK."""
    sources = list(sources)
    if unreadable(sources):
        return USAGE
    return FINDINGS if unparsed(sources) else OK
