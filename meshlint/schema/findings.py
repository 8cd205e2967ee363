"""Schema problems of modern-API inputs, as (kind of problem, JSON Pointer, params), computed
once per resource and shared by the ML80x rules.

Only apiVersions meshlint has its own strict schemas for are checked (networking v1beta1/v1,
security v1beta1/v1). Fields that a deprecation rule already reports are left to that rule.
"""
from __future__ import annotations

import difflib
import functools

from ..model import Resource, pointer
from .target import SPECS

# keys and values whose deprecation rules (ML2xx, ML5xx) give the better finding
OWNED_KEYS = frozenset({
    "appendHeaders", "appendRequestHeaders", "appendResponseHeaders", "removeRequestHeaders", "removeResponseHeaders",
    "websocketUpgrade", "mirrorPercent", "mirror_percent", "allowOrigin", "consecutiveErrors", "minimumRingSize",
    "percent", "workloadLabels", "filters",
})
OWNED_VALUES = frozenset({"LEAST_CONN"})
CHECKED_VERSIONS = {"networking.istio.io": ("v1beta1", "v1"), "security.istio.io": ("v1beta1", "v1")}


def _owned(key: str) -> bool:
    from ..rules.snake_case_field import FIELDS, _SNAKE, camel

    return key in OWNED_KEYS or bool(_SNAKE.match(key) and camel(key) in FIELDS)


_TYPE_NAMES = {"string": "a string", "integer": "an integer", "number": "a number", "boolean": "a boolean", "array": "a list", "object": "a mapping"}


def _kind_of(value) -> str:
    return {str: "a string", int: "an integer", float: "a number", bool: "a boolean", list: "a list", dict: "a mapping"}.get(type(value), "null")


@functools.lru_cache(maxsize=4096)
def problems(res: Resource) -> tuple[tuple[str, str, tuple], ...]:
    group, _, version = (res.api_version or "").rpartition("/")
    if version not in CHECKED_VERSIONS.get(group, ()) or (group, res.kind) not in SPECS:
        return ()
    from . import _validator

    v = _validator(group, version, res.kind)
    if v is None:
        return ()
    out = []
    for e in v.iter_errors(res.body):
        path = list(e.absolute_path)
        if e.validator == "additionalProperties":
            known = list((e.schema.get("properties") or {}).keys())
            for key in [k for k in (e.instance or {}) if k not in known]:
                if _owned(str(key)):
                    continue
                close = difflib.get_close_matches(str(key), known, n=1)
                hint = f" Did you mean {close[0]}?" if close else ""
                out.append(("unknown", pointer(*path, key), (("field", str(key)), ("hint", hint))))
        elif e.validator == "required":
            missing = e.message.split("'")[1] if "'" in e.message else e.message
            out.append(("required", pointer(*path), (("field", missing),)))
        elif e.validator in ("enum", "const"):
            if e.instance in OWNED_VALUES:
                continue
            allowed = ", ".join(map(str, e.validator_value if e.validator == "enum" else [e.validator_value]))
            out.append(("enum", pointer(*path), (("value", str(e.instance)), ("allowed", allowed))))
        elif e.validator == "type":
            want = e.validator_value if isinstance(e.validator_value, str) else " or ".join(e.validator_value)
            out.append(("type", pointer(*path), (("expected", _TYPE_NAMES.get(want, want)), ("actual", _kind_of(e.instance)))))
    return tuple(out)
