"""Suppression comments and the ``meshlint.io/ignore`` annotation.

- ``# meshlint: disable=CODE[,CODE]`` silences findings on its own line;
- ``# meshlint: disable-next-line=...`` silences the next line;
- ``# meshlint: disable-file=...`` silences the whole file.

A token is a code, a code prefix, a rule name or ``all``. Each directive records
whether it silenced anything, so unused ones can be reported.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .annotations import IGNORE
from .model import Finding, Resource, Rule, pointer
from .registry import rule_matches

ANNOTATION_POINTER = pointer("metadata", "annotations", IGNORE)
_DIRECTIVE = re.compile(r"#\s*meshlint:\s*(disable-next-line|disable-file|disable)\s*=\s*([A-Za-z0-9_\-]+(?:\s*,\s*[A-Za-z0-9_\-]+)*)")


@dataclass
class Directive:
    scope: str  # "line", "file" or "annotation"
    line: int  # where the directive itself is written
    column: int
    tokens: tuple[str, ...]
    target_line: int | None = None  # the line it silences (None: the whole file or resource)
    used: bool = False

    def covers(self, rule: Rule) -> bool:
        return any(t == "all" or rule_matches(rule, t) for t in self.tokens)

    def silences(self, finding: Finding, rule: Rule) -> bool:
        """True (and the directive counts as used) when it silences this finding."""
        if (self.target_line is None or self.target_line == finding.line) and self.covers(rule):
            self.used = True
            return True
        return False


@dataclass
class Suppressions:
    directives: list[Directive] = field(default_factory=list)

    @classmethod
    def from_text(cls, text: str | None) -> Suppressions:
        if not text or "meshlint:" not in text:
            return cls()
        out = []
        for lineno, line in enumerate(text.splitlines(), 1):
            if "meshlint:" not in line:
                continue
            m = _DIRECTIVE.search(line)
            if not m:
                continue
            scope, tokens = m.group(1), tuple(t.strip() for t in m.group(2).split(","))
            if scope == "disable-file":
                out.append(Directive("file", lineno, m.start() + 1, tokens))
            else:
                target = lineno + 1 if scope == "disable-next-line" else lineno
                out.append(Directive("line", lineno, m.start() + 1, tokens, target))
        return cls(out)

    def silence(self, finding: Finding, rule: Rule) -> bool:
        hits = [d.silences(finding, rule) for d in self.directives]  # every matching directive counts as used
        return any(hits)


def annotation_directive(res: Resource) -> Directive | None:
    raw = res.annotations.get(IGNORE)
    if not raw:
        return None
    line, col = res.locate(ANNOTATION_POINTER)
    return Directive("annotation", line, col, tuple(t.strip() for t in raw.split(",") if t.strip()))
