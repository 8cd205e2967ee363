"""Placeholders: values that the deploy pipeline fills in, unknown to meshlint.

``$(VAR)`` (kustomize vars, and Kubernetes' own env expansion in args), ``${VAR}`` (envsubst,
Flux post-build substitution) and ``{{ ... }}`` (Helm, Go templates). A value holding one gives no
finding that depends on what the value is, and a conversion never moves one to a field where the
pipeline would no longer fill it in (kustomize substitutes vars only at the fields it is told).
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from .model import Rule, Violation, value_at

_PLACEHOLDER = re.compile(r"\$\([A-Za-z_][\w.-]*\)|\$\{[^}\s]+\}|\{\{.*?\}\}", re.DOTALL)
_MARKS = ("$(", "${", "{{")


def is_placeholder(value: Any) -> bool:
    """A string that holds a placeholder (anywhere: ``$(gatewaySelector)``, ``http://$(svc):80``)."""
    return isinstance(value, str) and any(m in value for m in _MARKS) and _PLACEHOLDER.search(value) is not None


def has_placeholder(value: Any) -> bool:
    """``value`` or anything inside it (keys included) holds a placeholder."""
    if isinstance(value, str):
        return is_placeholder(value)
    if isinstance(value, dict):
        return any(has_placeholder(k) or has_placeholder(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_placeholder(v) for v in value)
    return False


def files_with_marks(sources: Iterable[Any]) -> set[str]:
    """The files whose text holds a placeholder mark at all (most hold none: nothing to screen)."""
    return {s.path for s in sources if s.text and any(m in s.text for m in _MARKS)}


def screen(found: list[tuple[Rule, Violation]], res: Any) -> list[tuple[Rule, Violation]]:
    """A resource's (rule, violation) pairs without those about a placeholder's value: the field
    holds one and the message quotes it as if it were the value."""
    return [(rule, v) for rule, v in found
            if not (any(is_placeholder(x) for x in v.params.values()) and has_placeholder(value_at(res.body, v.path)))]
