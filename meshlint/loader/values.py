"""Node trees to plain values (dicts, lists, scalars), safely: tags are data and never code,
duplicate keys are reported, aliases are budgeted per file (alias bombs, recursive aliases) and
depth is bounded. :func:`load_data` reads a data file (not objects) this way.
"""
from __future__ import annotations

import sys
from typing import Any

import yaml

from ..model import Problem
from .composing import BOOL, FLOAT, INT, MERGE, NULL, PLAIN, STR, compose, resolve_plain, syntax_problem

MAX_EXPANDED_NODES = 200_000  # per file, counting every alias expansion in all its documents
# and no more than the file's size warrants: a small file of alias graphs each just under the bound
# would otherwise cost far more than its bytes (every rule walks the expanded values)
EXPANSION_BASE, EXPANSION_PER_BYTE = 10_000, 8
MAX_DEPTH = 200

DUPLICATE_KEY, ALIAS_BOMB, TOO_DEEP = "ML006", "ML009", "ML012"  # input problem codes (catalogue area "input")

_scalar = yaml.SafeLoader.__new__(yaml.SafeLoader)  # only its scalar constructors are used
_INTERN_MAX = 64


class Abort(Exception):
    """A problem that ends the building of a document (an alias bomb, nesting too deep)."""

    def __init__(self, problem: Problem):
        self.problem = problem


class Budget:
    """How many nodes the aliases of one file may expand to, in all its documents together."""

    __slots__ = ("expanded", "limit", "spent")

    def __init__(self, text: str):
        self.limit = min(MAX_EXPANDED_NODES, EXPANSION_BASE + EXPANSION_PER_BYTE * len(text))
        self.expanded = 0
        self.spent = False


def budget_for(text: str) -> Budget | None:
    """The alias budget of a file's text; None when it has no alias (no '*'), which needs none."""
    return Budget(text) if "*" in text else None


class Builder:
    """Builds plain data from a node tree; tags are data, never code."""

    def __init__(self, problems: list[Problem], budget: Budget | None):
        self.problems = problems
        self.budget = budget
        self.memo: dict[int, tuple[Any, int]] | None = {} if budget is not None else None
        self.active: set[int] = set()

    def build(self, node: yaml.Node, depth: int) -> Any:
        value, _ = self._build(node, depth)
        return value

    def _build(self, node: yaml.Node, depth: int) -> tuple[Any, int]:
        if isinstance(node, yaml.ScalarNode):
            return scalar_value(node), 1
        memo = self.memo
        if memo is not None:
            key = id(node)
            hit = memo.get(key)
            if hit is not None:
                budget = self.budget
                assert budget is not None  # a memo is kept only under a budget
                budget.expanded += hit[1]
                if budget.expanded > budget.limit:
                    budget.spent = True
                    raise Abort(Problem(ALIAS_BOMB, node.start_mark.line + 1, node.start_mark.column + 1, {"limit": budget.limit}, message="expansion"))
                return hit
            if key in self.active:
                raise Abort(Problem(ALIAS_BOMB, node.start_mark.line + 1, node.start_mark.column + 1, message="recursive"))
            self.active.add(key)
        if depth > MAX_DEPTH:
            raise Abort(Problem(TOO_DEEP, node.start_mark.line + 1, node.start_mark.column + 1, {"limit": MAX_DEPTH}))
        size = 1
        if isinstance(node, yaml.SequenceNode):
            out_list = []
            for child in node.value:
                v, s = self._build(child, depth + 1)
                out_list.append(v)
                size += s
            value: Any = out_list
        else:
            out: dict[Any, Any] = {}
            merged: dict[Any, Any] = {}
            for knode, vnode in node.value:
                if knode.tag == PLAIN and knode.value == "<<":
                    knode.tag = MERGE
                if knode.tag == MERGE:
                    v, s = self._build(vnode, depth + 1)
                    size += s
                    for m in (v if isinstance(v, list) else [v]):
                        if isinstance(m, dict):
                            for mk, mv in m.items():
                                merged.setdefault(mk, mv)
                    continue
                k = _key(knode)
                if k in out:
                    self.problems.append(Problem(DUPLICATE_KEY, knode.start_mark.line + 1, knode.start_mark.column + 1, {"key": k}))
                v, s = self._build(vnode, depth + 1)
                out[k] = v
                size += s + 1
            if merged:
                for mk, mv in merged.items():
                    out.setdefault(mk, mv)
            value = out
        if memo is not None:
            self.active.discard(id(node))
            memo[id(node)] = (value, size)
        return value, size


def _key(knode: yaml.Node) -> Any:
    if isinstance(knode, yaml.ScalarNode):
        v = scalar_value(knode)
        return v if v is None or isinstance(v, (str, int, float, bool)) else knode.value
    return f"<{knode.id} key at line {knode.start_mark.line + 1}>"  # type: ignore[attr-defined]  # every node class has its id


def scalar_value(node: yaml.ScalarNode) -> Any:
    """A scalar's value by its tag (a plain one's resolved first); timestamps, binary and unknown tags stay text."""
    tag = node.tag
    if tag == PLAIN:
        tag = node.tag = resolve_plain(node.value)
    if tag == STR:
        # keys and short values repeat across thousands of resources: one shared str each
        # (a third less memory on large trees, and less allocation)
        v = node.value
        return sys.intern(v) if len(v) <= _INTERN_MAX else v
    try:
        if tag == INT:
            return _scalar.construct_yaml_int(node)
        if tag == FLOAT:
            return _scalar.construct_yaml_float(node)
        if tag == BOOL:
            return _scalar.construct_yaml_bool(node)
        if tag == NULL:
            return None
    except (ValueError, yaml.YAMLError):
        pass
    return node.value  # timestamps, binary and unknown tags stay text


def load_data(text: str) -> tuple[list[Any], list[Problem]]:
    """The documents of a file that holds data, not objects (meshlint's configuration, a
    kustomization), read as inputs are: tags are data, aliases budgeted, depth bounded. A
    problem ends the reading; its documents so far are returned with it."""
    problems: list[Problem] = []
    budget = budget_for(text)
    values: list[Any] = []
    try:
        nodes = compose(text)
    except yaml.YAMLError as e:
        return values, [syntax_problem(e, text)]
    for node in nodes:
        try:
            values.append(Builder(problems, budget).build(node, 0))
        except Abort as a:
            return values, [a.problem]
        if problems:
            break
    return values, problems
