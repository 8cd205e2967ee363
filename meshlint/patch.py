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
FOR_READING = "# "  # begins each line of a file's diff that is for reading only (git and patch skip it)


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


def file_diff(old: str | None, new: str | None, path: str, context: int = 3,
              shown: tuple[str, str] | None = None) -> str:
    """The unified diff turning ``old`` into ``new`` at ``path`` (``None``: the file does not exist).

    ``shown``: the two texts as they may be printed (secrets masked, line for line). A hidden line
    (one whose shown form differs) is never printed as it is:
    - as context it is left out: the hunk's context stops before it (a hunk is split around it),
      so the patch still applies; where the line right after a change is hidden, it stays as
      context, masked, and that hunk does not apply;
    - a hidden line that changes cannot be applied without printing it: the file's whole diff is
      then printed for reading only, each line commented out (``# ``), so that ``git apply`` and
      ``patch`` skip it rather than write the mask into the file."""
    if old == new:
        return ""
    a, b = split_lines(old or ""), split_lines(new or "")
    fromfile = "/dev/null" if old is None else quote_path(f"a/{path}")
    tofile = "/dev/null" if new is None else quote_path(f"b/{path}")
    sa, sb = (a, b) if shown is None else (split_lines(shown[0]), split_lines(shown[1]))
    groups = list(difflib.SequenceMatcher(None, a, b).get_grouped_opcodes(context))  # as difflib.unified_diff groups
    hidden = {i for i, (x, y) in enumerate(zip(a, sa)) if x != y}
    if _changes_hidden(groups, a, b, sa, sb):
        text = _render(fromfile, tofile, groups, sa, sb)
        return (f"{FOR_READING}{quote_path(path)}: not part of this patch: a line it changes holds a secret, shown masked; for reading only\n"
                + "".join(FOR_READING + line for line in split_lines(text)))
    hunks = [_balanced(h, len(a)) for group in groups for h in _without_hidden(group, hidden)] if hidden else groups
    return _render(fromfile, tofile, hunks, sa, sb)


_Opcode = tuple[str, int, int, int, int]


def _render(fromfile: str, tofile: str, hunks: list[list[_Opcode]], a: list[str], b: list[str]) -> str:
    """The hunks as ``diff -u`` writes them (difflib's format), their lines taken from ``a`` and ``b``."""
    if not hunks:
        return ""
    lines = [f"--- {fromfile}\n", f"+++ {tofile}\n"]
    for hunk in hunks:
        lines.append(f"@@ -{_range(hunk[0][1], hunk[-1][2])} +{_range(hunk[0][3], hunk[-1][4])} @@\n")
        for tag, i1, i2, j1, j2 in hunk:
            if tag == "equal":
                lines += [" " + line for line in a[i1:i2]]
                continue
            lines += ["-" + line for line in a[i1:i2]] + ["+" + line for line in b[j1:j2]]
    return "".join(line if line.endswith("\n") else line + "\n" + NO_NEWLINE for line in lines)


def _changes_hidden(groups: list[list[_Opcode]], a: list[str], b: list[str], sa: list[str], sb: list[str]) -> bool:
    """A line that a change removes or adds differs from its shown form."""
    changes = [op for group in groups for op in group if op[0] != "equal"]
    return any(a[i] != sa[i] for _, i1, i2, _, _ in changes for i in range(i1, i2)) or \
        any(b[j] != sb[j] for _, _, _, j1, j2 in changes for j in range(j1, j2))


def _without_hidden(group: list[_Opcode], hidden: set[int]) -> list[list[_Opcode]]:
    """One hunk of ``get_grouped_opcodes`` as hunks whose context holds no hidden line: leading
    context starts after the last one, trailing context ends before the first one, and a hidden
    line between two changes splits the hunk. Trailing context is never cut to nothing (git would
    then match the hunk at the end of the file only): where the line right after a change is
    hidden, the context stays whole, masked."""
    hunks: list[list[_Opcode]] = [[]]
    last = len(group) - 1
    for k, (tag, i1, i2, j1, j2) in enumerate(group):
        if tag != "equal" or not any(i in hidden for i in range(i1, i2)):
            hunks[-1].append((tag, i1, i2, j1, j2))
            continue
        first_hidden = min(i for i in range(i1, i2) if i in hidden)
        last_hidden = max(i for i in range(i1, i2) if i in hidden)
        if k > 0:  # trailing context of the changes before it
            keep = first_hidden - i1
            if keep == 0:
                hunks[-1].append((tag, i1, i2, j1, j2))  # nothing to end the hunk on: left masked
                continue
            hunks[-1].append((tag, i1, first_hidden, j1, j1 + keep))
        if k < last:  # leading context of the changes after it
            skip = last_hidden + 1 - i1
            hunks.append([(tag, last_hidden + 1, i2, j1 + skip, j2)] if skip < i2 - i1 else [])
    return [h for h in hunks if any(op[0] != "equal" for op in h)]


def _balanced(hunk: list[_Opcode], size: int) -> list[_Opcode]:
    """A hunk whose trailing context was cut short (before the end of the file) gets no more
    leading context than trailing: GNU patch takes a hunk with less trailing than leading context
    for one at the end of the file, and applies it only with fuzz."""
    tag, i1, i2, _, _ = hunk[-1]
    if tag != "equal" or i2 == size or hunk[0][0] != "equal":
        return hunk
    _, k1, k2, l1, l2 = hunk[0]
    cut = (k2 - k1) - (i2 - i1)
    return [("equal", k1 + cut, k2, l1 + cut, l2), *hunk[1:]] if cut > 0 else hunk


def _range(start: int, stop: int) -> str:
    """A hunk header's range, as ``diff -u`` writes it (difflib's format)."""
    length = stop - start
    if length == 1:
        return f"{start + 1}"
    return f"{start if not length else start + 1},{length}"
