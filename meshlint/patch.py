"""Unified diffs that apply as they are: ``git apply`` and ``patch -p1`` from the working directory.

- lines are split on ``\\n`` only (a U+2028 or form feed inside a YAML string is not a line
  break for git or patch, though ``str.splitlines`` thinks so); CRLF endings stay on their lines;
- a last line without a newline is followed by ``\\ No newline at end of file``;
- a file that does not exist yet is an addition from ``/dev/null``;
- paths are relative to the working directory, C-quoted (as git quotes them) when they hold
  spaces, quotes, backslashes, control or non-ASCII characters.
"""
from __future__ import annotations

import difflib
import re
from pathlib import Path

_LINE = re.compile(r"[^\n]*\n|[^\n]+\Z")
_PLAIN = re.compile(r"[A-Za-z0-9._/+@%=,:~-]*\Z")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\a": "\\a", "\b": "\\b", "\f": "\\f", "\v": "\\v"}
NO_NEWLINE = "\\ No newline at end of file\n"


def relative_parts(display: str) -> list[str]:
    """An input path as given, made relative to the working directory and safe to join under
    another directory (no ``..``, no root): the path ``--out`` mirrors and a diff names."""
    p = Path(display)
    if p.is_absolute():
        try:
            p = p.resolve().relative_to(Path.cwd().resolve())
        except ValueError:
            p = Path(*p.parts[1:])
    return [x for x in p.parts if x not in ("..", ".", "")]


def split_lines(text: str) -> list[str]:
    return _LINE.findall(text)


def quote_path(path: str) -> str:
    if _PLAIN.match(path):
        return path
    out = []
    for ch in path:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif " " <= ch < "\x7f":
            out.append(ch)
        else:
            out.extend(f"\\{b:03o}" for b in ch.encode("utf-8", "surrogateescape"))
    return '"' + "".join(out) + '"'


def file_diff(old: str | None, new: str | None, path: str, context: int = 3) -> str:
    """The unified diff turning ``old`` into ``new`` at ``path`` (``None``: the file does not exist)."""
    if old == new:
        return ""
    a, b = split_lines(old or ""), split_lines(new or "")
    fromfile = "/dev/null" if old is None else quote_path(f"a/{path}")
    tofile = "/dev/null" if new is None else quote_path(f"b/{path}")
    out = []
    for line in difflib.unified_diff(a, b, fromfile=fromfile, tofile=tofile, n=context):
        out.append(line if line.endswith("\n") else line + "\n" + NO_NEWLINE)
    return "".join(out)
