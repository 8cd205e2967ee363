"""libyaml composition: YAML text to node trees with line/column marks, and a syntax error to a
:class:`Problem`.

Two composers skip PyYAML's per-node Python resolver, most of composition's cost:
:class:`FastLoader` leaves plain scalars untyped (``meshlint:plain``) for the value builder to
resolve with a cache (:func:`resolve_plain`); :class:`PositionComposer` tags every scalar ``str``,
for what needs positions only (position lookups, text edits, redaction spans).
"""
from __future__ import annotations

import re
from typing import Any

import yaml
import yaml.cyaml
from yaml._yaml import CParser  # libyaml's parser, which yaml.cyaml's loaders build on

from ..model import Problem

SYNTAX, TAB = "ML001", "ML007"  # input problem codes (catalogue entries under rules/, area "input")

STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
BOOL = "tag:yaml.org,2002:bool"
NULL = "tag:yaml.org,2002:null"
MERGE = "tag:yaml.org,2002:merge"
PLAIN = "meshlint:plain"  # a plain scalar that FastLoader left for resolve_plain

_DOC_MARKER = re.compile(r"^(?:---|\.\.\.)(?=[ \t\r\n]|$)", re.MULTILINE)
_IMPLICIT = yaml.resolver.Resolver.yaml_implicit_resolvers
_PLAIN_CACHE: dict[str, str] = {}


def marker_bounds(text: str) -> list[int]:
    """0, where every later line that starts with '---' or '...' starts, and ``len(text)``: the
    bounds of stretches that each hold whole documents (such a line always ends a YAML document)."""
    return [0] + [m.start() for m in _DOC_MARKER.finditer(text) if m.start() > 0] + [len(text)]


def resolve_plain(value: str) -> str:
    """The YAML 1.1 tag of a plain scalar, as PyYAML's resolver decides it (cached)."""
    tag = _PLAIN_CACHE.get(value)
    if tag is None:
        tag = STR
        for t, regexp in _IMPLICIT.get(value[:1] if value else "", []):
            if regexp.match(value):
                tag = t
                break
        if len(_PLAIN_CACHE) < 100_000 and len(value) <= 64:
            _PLAIN_CACHE[value] = tag
    return tag


def is_plain_string(value: str) -> bool:
    """Whether a plain (unquoted) scalar is a string in YAML 1.1: not a number, boolean, null or date."""
    return resolve_plain(value) == STR


class FastLoader(CParser):
    """libyaml composition that leaves plain scalars untyped (``meshlint:plain``): they are
    resolved later, with a cache, instead of through PyYAML's per-node Python resolver."""

    def resolve(self, kind: type[yaml.Node], value: str, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            return PLAIN if implicit[0] else STR
        return "tag:yaml.org,2002:seq" if kind is yaml.SequenceNode else "tag:yaml.org,2002:map"

    def descend_resolver(self, current_node: yaml.Node | None, current_index: Any) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass


class PositionComposer(CParser):
    """libyaml composition without tag resolution (every scalar is tagged ``str``): positions
    need no types, and PyYAML's Python-level resolver is most of the composition's cost. Public:
    the text edits of ``convert`` (:mod:`meshlint.textedit`) and the redaction of secret spans
    compose with it; :func:`compose_positions` is the usual way in."""

    def resolve(self, kind: type[yaml.Node], value: str, implicit: tuple[bool, bool]) -> str:
        return STR if kind is yaml.ScalarNode else ("tag:yaml.org,2002:seq" if kind is yaml.SequenceNode else "tag:yaml.org,2002:map")

    def descend_resolver(self, current_node: yaml.Node | None, current_index: Any) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass


def compose_positions(text: str) -> list[yaml.Node]:
    """Every document of ``text`` as a node tree with line/column marks (no tag resolution):
    what position lookups and text edits need. Raises ``yaml.YAMLError`` on a syntax error."""
    return compose(text, PositionComposer)


def compose(text: str, loader_class: type = FastLoader) -> list[yaml.Node]:
    """Every document of ``text`` as a node tree. Raises ``yaml.YAMLError`` on a syntax error."""
    loader = loader_class(text)
    try:
        out = []
        while loader.check_node():
            out.append(loader.get_node())
        return out
    finally:
        loader.dispose()


def syntax_problem(e: yaml.YAMLError, text: str) -> Problem:
    """A syntax error as a finding at its line: a tab in the indentation is ML007, the rest ML001."""
    mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
    line = mark.line + 1 if mark is not None else 1
    col = mark.column + 1 if mark is not None else 1
    problem = " ".join(str(getattr(e, "problem", None) or e).split())
    lines = text.splitlines()
    src_line = lines[line - 1] if 0 < line <= len(lines) else ""
    if "\t" in src_line[: len(src_line) - len(src_line.lstrip(" \t"))] or ("'\\t'" in problem):
        tab_col = src_line.find("\t") + 1 if "\t" in src_line else col
        return Problem(TAB, line, tab_col)
    return Problem(SYNTAX, line, col, {"problem": problem})
