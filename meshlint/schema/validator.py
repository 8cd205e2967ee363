"""A small, fast validator for the JSON Schema subset meshlint's own schemas use:
type, properties, additionalProperties, required, enum, const, items, minimum, maximum,
maxProperties. It keeps jsonschema (and its ~80 ms import) off the pre-commit path; the
conformance tests compare its verdicts with jsonschema on the upstream CRDs.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

_TYPES = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
    "null": lambda v: v is None,
}


@dataclass
class Error:
    validator: str
    path: list[str | int]
    instance: Any
    schema: dict[str, Any]
    validator_value: Any
    message: str
    absolute_path: list[str | int] = field(init=False)

    def __post_init__(self) -> None:
        self.absolute_path = self.path


class Validator:
    def __init__(self, schema: dict[str, Any]):
        self.schema = schema

    def iter_errors(self, instance: Any) -> Iterator[Error]:
        yield from _errors(instance, self.schema, [])


def _errors(v: Any, s: dict[str, Any], path: list[str | int]) -> Iterator[Error]:

    t = s.get("type")
    if t is not None:
        types = [t] if isinstance(t, str) else t
        if not any(_TYPES[x](v) for x in types):
            yield Error("type", path, v, s, t, f"{v!r} is not of type {', '.join(map(repr, types))}")
            return
    if "const" in s and v != s["const"]:
        yield Error("const", path, v, s, s["const"], f"{s['const']!r} was expected")
    if "enum" in s and v not in s["enum"]:
        yield Error("enum", path, v, s, s["enum"], f"{v!r} is not one of {s['enum']!r}")
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if "minimum" in s and v < s["minimum"]:
            yield Error("minimum", path, v, s, s["minimum"], f"{v} is less than the minimum of {s['minimum']}")
        if "maximum" in s and v > s["maximum"]:
            yield Error("maximum", path, v, s, s["maximum"], f"{v} is greater than the maximum of {s['maximum']}")
    if isinstance(v, dict):
        props = s.get("properties", {})
        for name in s.get("required", []):
            if name not in v:
                yield Error("required", path, v, s, s["required"], f"'{name}' is a required property")
        if "maxProperties" in s and len(v) > s["maxProperties"]:
            yield Error("maxProperties", path, v, s, s["maxProperties"], f"{v!r} has too many properties")
        extra = s.get("additionalProperties", True)
        unknown = [k for k in v if k not in props]
        if extra is False and unknown:
            yield Error("additionalProperties", path, v, s, False,
                        f"Additional properties are not allowed ({', '.join(repr(k) for k in unknown)} {'was' if len(unknown) == 1 else 'were'} unexpected)")
        for k, item in v.items():
            if k in props:
                yield from _errors(item, props[k], path + [k])
            elif isinstance(extra, dict):
                yield from _errors(item, extra, path + [k])
    if isinstance(v, list) and isinstance(s.get("items"), dict):
        for i, item in enumerate(v):
            yield from _errors(item, s["items"], path + [i])
