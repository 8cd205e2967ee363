"""Decisions as boolean formulas over request attributes, and a complete comparison of two.

A formula is built from :class:`Pred` leaves (a test on one attribute of a request), ``And``,
``Or`` and ``Not``. Both the 1.4 semantics and the modern semantics compile a destination's
decision into a formula; :func:`differences` then decides, attribute by attribute, every
combination of values that could make the two formulas disagree (Shannon expansion over a finite
set of representative values per attribute). An attribute that no remaining sub-formula mentions
is never split on, so the work follows the policies, not the product of every attribute.

The representative values of an attribute come from the patterns its predicates mention
(:mod:`meshlint.verify.values`): every exact value, a value on each side of every prefix and
suffix, their combinations, an unmentioned value and "absent". Two values that no pattern tells
apart are decided alike, so checking one of each class checks them all.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, cast


class Formula:
    __slots__ = ("_attrs",)
    _attrs: frozenset[str] | None

    def attrs(self) -> frozenset[str]:
        a = self._attrs
        if a is None:
            a = self._attrs = self._compute_attrs()
        return a

    def _compute_attrs(self) -> frozenset[str]:
        return frozenset()


class _Const(Formula):
    __slots__ = ("value",)

    def __init__(self, value: bool):
        self._attrs = frozenset()
        self.value = value

    def __repr__(self) -> str:
        return "TRUE" if self.value else "FALSE"


TRUE = _Const(True)
FALSE = _Const(False)


class Pred(Formula):
    """A test on one request attribute. ``seeds`` are the patterns it mentions, as
    ``(kind, text)`` pairs, from which the attribute's representative values are made."""

    __slots__ = ("attr", "label", "seeds", "test")

    def __init__(self, attr: str, test: Callable[[Any], bool], seeds: tuple[tuple[str, str], ...] = (), label: str = ""):
        self._attrs = frozenset((attr,))
        self.attr = attr
        self.test = test
        self.seeds = seeds
        self.label = label

    def __repr__(self) -> str:
        return f"{self.attr}~{self.label}"


class And(Formula):
    __slots__ = ("items",)

    def __init__(self, items: tuple[Formula, ...]):
        self._attrs = None
        self.items = items

    def _compute_attrs(self) -> frozenset[str]:
        return frozenset().union(*(i.attrs() for i in self.items))

    def __repr__(self) -> str:
        return "(" + " & ".join(map(repr, self.items)) + ")"


class Or(Formula):
    __slots__ = ("items",)

    def __init__(self, items: tuple[Formula, ...]):
        self._attrs = None
        self.items = items

    def _compute_attrs(self) -> frozenset[str]:
        return frozenset().union(*(i.attrs() for i in self.items))

    def __repr__(self) -> str:
        return "(" + " | ".join(map(repr, self.items)) + ")"


class Not(Formula):
    __slots__ = ("item",)

    def __init__(self, item: Formula):
        self._attrs = None
        self.item = item

    def _compute_attrs(self) -> frozenset[str]:
        return self.item.attrs()

    def __repr__(self) -> str:
        return f"!{self.item!r}"


# --------------------------------------------------------------------------- building

def all_of(items: Iterable[Formula]) -> Formula:
    out: list[Formula] = []
    for i in items:
        if i is FALSE:
            return FALSE
        if i is TRUE:
            continue
        out.append(i)
    if not out:
        return TRUE
    return out[0] if len(out) == 1 else And(tuple(out))


def any_of(items: Iterable[Formula]) -> Formula:
    out: list[Formula] = []
    for i in items:
        if i is TRUE:
            return TRUE
        if i is FALSE:
            continue
        out.append(i)
    if not out:
        return FALSE
    return out[0] if len(out) == 1 else Or(tuple(out))


def negate(f: Formula) -> Formula:
    if f is TRUE:
        return FALSE
    if f is FALSE:
        return TRUE
    if isinstance(f, Not):
        return f.item
    return Not(f)


# --------------------------------------------------------------------------- evaluating

def evaluate(f: Formula, request: Mapping[str, Any]) -> bool:
    """The decision for one concrete request (an attribute it lacks is absent: ``None``)."""
    if isinstance(f, _Const):
        return f.value
    if isinstance(f, Pred):
        return bool(f.test(request.get(f.attr)))
    if isinstance(f, And):
        return all(evaluate(i, request) for i in f.items)
    if isinstance(f, Or):
        return any(evaluate(i, request) for i in f.items)
    return not evaluate(cast(Not, f).item, request)


def restrict(f: Formula, attr: str, value: Any, memo: dict[int, Formula] | None = None) -> Formula:
    """``f`` with ``attr`` fixed to ``value``, simplified."""
    if attr not in f.attrs():
        return f
    if memo is None:
        memo = {}
    key = id(f)
    hit = memo.get(key)
    if hit is not None:
        return hit
    out: Formula
    if isinstance(f, Pred):
        out = TRUE if f.test(value) else FALSE
    elif isinstance(f, And):
        out = all_of(restrict(i, attr, value, memo) for i in f.items)
    elif isinstance(f, Or):
        out = any_of(restrict(i, attr, value, memo) for i in f.items)
    else:
        out = negate(restrict(cast(Not, f).item, attr, value, memo))
    memo[key] = out
    return out


def seeds(f: Formula, out: dict[str, set[tuple[str, str]]] | None = None) -> dict[str, set[tuple[str, str]]]:
    """Every attribute's mentioned patterns, for building its representative values."""
    if out is None:
        out = {}
    if isinstance(f, Pred):
        out.setdefault(f.attr, set()).update(f.seeds)
    elif isinstance(f, (And, Or)):
        for i in f.items:
            seeds(i, out)
    elif isinstance(f, Not):
        seeds(f.item, out)
    return out


def differences(old: Formula, new: Formula, domains: Mapping[str, list[Any]], limit: int = 50) -> Iterator[dict[str, Any]]:
    """Assignments of attributes on which ``old`` and ``new`` decide differently.

    Only the attributes that still matter are assigned; any value of the others gives the same
    pair of decisions. Stops after ``limit`` assignments. Complete: if none is yielded, the two
    formulas agree on every request whose attribute values come from ``domains``."""
    found = 0
    stack: list[tuple[Formula, Formula, dict[str, Any]]] = [(old, new, {})]
    while stack:
        f, g, assignment = stack.pop()
        if isinstance(f, _Const) and isinstance(g, _Const):
            if f.value != g.value:
                yield assignment
                found += 1
                if found >= limit:
                    return
            continue
        if f is g:
            continue
        attrs = f.attrs() | g.attrs()
        attr = min(attrs, key=lambda a: (len(domains.get(a, ())), a))
        values = domains.get(attr) or [None]
        for value in reversed(values):
            stack.append((restrict(f, attr, value, {}), restrict(g, attr, value, {}), {**assignment, attr: value}))
