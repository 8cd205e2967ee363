"""Strict validation of converted objects against meshlint's own target-API schemas."""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ..spellings import closest
from .target import SPECS, document_schema

if TYPE_CHECKING:
    from .validator import Validator

SchemaError = Any  # meshlint's validator.Error or jsonschema's ValidationError: the same attributes


@functools.cache
def compiled(side: str, group: str, version: str, kind: str) -> Validator | None:
    """meshlint's own schema for an object, compiled once per run: ``side`` is "target" (the
    current API) or "input" (Istio 1.4/1.6). None where meshlint has no such schema."""
    from .validator import Validator

    if side == "target":
        schema = document_schema(group, version, kind)
    else:
        from .input import input_schema

        schema = input_schema(group, version, kind)
    return None if schema is None else Validator(schema)


def _suggest(error: SchemaError) -> str:
    if error.validator != "additionalProperties":
        return ""
    known = list((error.schema.get("properties") or {}).keys())
    extra = [k for k in (error.instance or {}) if k not in known]
    hints = [f"{k} → {m}" for k in extra for m in [closest(str(k), known)] if m]
    return f" (did you mean {', '.join(hints)}?)" if hints else ""


_TYPE_NAMES = {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", int: "a number", float: "a number", type(None): "null"}


def judged(errors: Iterable[SchemaError]) -> list[SchemaError]:
    """The errors that can be judged here: a value holding a placeholder ($(VAR), ${VAR}, {{ }})
    is filled in by the pipeline, so its type, enum value or pattern is unknown."""
    from ..placeholders import has_placeholder

    return [e for e in errors if e.validator in ("additionalProperties", "required") or not has_placeholder(e.instance)]


def describe_error(error: SchemaError) -> str:
    """A validation error without the offending value (it may be a secret, and it may be long):
    what the field is and what it must be. Key names (unknown or missing fields) are kept."""
    v, expected = error.validator, error.validator_value
    if v in ("required", "additionalProperties"):
        return str(error.message) + _suggest(error)
    if v == "type":
        kinds = [expected] if isinstance(expected, str) else list(expected)
        return f"is {_TYPE_NAMES.get(type(error.instance), 'a value')}, must be of type {' or '.join(map(str, kinds))}"
    if v == "enum":
        return f"is not one of {', '.join(map(repr, expected))}"[:300]
    if v == "const":
        return f"must be {expected!r}"[:300]
    if isinstance(expected, (int, float, str)) and not isinstance(expected, bool):
        return f"fails {v} {expected!r}"[:300]
    return f"fails {v}"


def validate(obj: dict[str, Any]) -> list[str]:
    """Errors for one object ('/json/pointer: message'); [] when valid or not an Istio kind meshlint knows."""
    av = obj.get("apiVersion") if isinstance(obj, dict) else None
    if not isinstance(av, str) or "/" not in av:
        return []
    group, _, version = av.rpartition("/")
    kind = obj.get("kind")
    if (group, kind) not in SPECS:
        return []
    v = compiled("target", group, version, kind)
    if v is None:
        return [f"/apiVersion: {av} has no {kind} in the target API"]
    return [f"/{'/'.join(map(str, e.absolute_path))}: {describe_error(e)}" for e in sorted(judged(v.iter_errors(obj)), key=lambda e: list(map(str, e.absolute_path)))]


def target_validator() -> Callable[[dict[str, Any]], list[str]]:
    return validate


__all__ = ["target_validator", "validate"]
