"""Placeholders: values that the deploy pipeline fills in, unknown to meshlint.

``$(VAR)`` (kustomize vars, and Kubernetes' own env expansion in args), ``${VAR}`` (envsubst,
Flux post-build substitution) and ``{{ ... }}`` (Helm, Go templates). A value holding one gives no
finding that depends on what the value is, and a conversion never moves one to a field where the
pipeline would no longer fill it in (kustomize substitutes vars only at the fields it is told).
"""
from __future__ import annotations

import re
from typing import Any

_PLACEHOLDER = re.compile(r"\$\([A-Za-z_][\w.-]*\)|\$\{[^}\s]+\}|\{\{.*?\}\}", re.S)
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


def quotes_placeholder(params: Any) -> bool:
    """A finding's message values quote a placeholder as if it were a value."""
    return any(is_placeholder(v) for v in params.values()) if params else False
