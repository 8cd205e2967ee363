"""Schema problems of Istio objects, as (kind of problem, JSON Pointer, params), which the schema
rule (meshlint/rules/schema.py) reports under the ML80x codes.

Which schema an object is checked against:

1. the user's own CRDs (``--schemas``), for the kinds they cover: they pin the exact target version;
2. else meshlint's strict target schema, where the current API still serves the object's version
   (networking v1alpha3/v1beta1/v1, security v1beta1/v1, telemetry v1alpha1/v1);
3. else meshlint's Istio 1.4/1.6 input schema (authentication and rbac v1alpha1): the current API
   removed these kinds, but a typo in one would silently vanish in its conversion.

An unknown field that the 1.4/1.6 API had at the same place is reported as removed, not as a
typo. Fields that another rule reports (a deprecation rule's appendHeaders, mirror_percent, ...)
are left to that rule by the engine: the schema rule declares ``DEFERS`` for ML800 and ML802.
"""
from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Any

from ..model import Resource, pointer, value_at
from ..placeholders import has_placeholder
from ..spellings import SNAKE_CASE, camel, did_you_mean, meant
from . import compiled

if TYPE_CHECKING:
    from ..index import Index

SCHEMA_KINDS = ("*.istio.io/*",)  # what the ML80x rules run on (kinds without a schema yield nothing)

_TYPE_NAMES = {"string": "a string", "integer": "an integer", "number": "a number", "boolean": "a boolean", "array": "a list", "object": "a mapping"}


def _kind_of(value: Any) -> str:
    return {str: "a string", int: "an integer", float: "a number", bool: "a boolean", list: "a list", dict: "a mapping"}.get(type(value), "null")


def validator_for(group: str, version: str, kind: str, user: Any = None) -> tuple[Any, str]:
    """(validator, which schema: "user", "target" or "input") for an object; (None, "") if none applies."""
    if user is not None:
        v = user.validator(group, version, kind)
        if v is not None:
            return v, "user"
    for side in ("target", "input"):
        v = compiled(side, group, version, kind)
        if v is not None:
            return v, side
    return None, ""


def _sub_schema(schema: dict[str, Any] | None, tokens: list[str | int]) -> dict[str, Any] | None:
    """The schema that describes the value at ``tokens`` (None where the schema says nothing)."""
    for t in tokens:
        if not isinstance(schema, dict):
            return None
        props = schema.get("properties") or {}
        if isinstance(t, str) and t in props:
            schema = props[t]
        elif isinstance(t, int) and isinstance(schema.get("items"), dict):
            schema = schema["items"]
        elif isinstance(schema.get("additionalProperties"), dict):
            schema = schema["additionalProperties"]
        else:
            return None
    return schema


@functools.lru_cache(maxsize=4096)
def _was_in_1_4_or_1_6(group: str, kind: str, tokens: tuple[str | int, ...]) -> bool:
    """Whether Istio 1.4/1.6 had this field (any version of the kind meshlint has an input schema for).
    List indices in ``tokens`` are 0: only the shape of the path matters."""
    from .input import INPUT_SPECS

    for (g, version, k) in INPUT_SPECS:
        if g == group and k == kind:
            schema = compiled("input", g, version, k)
            assert schema is not None  # INPUT_SPECS are the input schemas
            parent = _sub_schema(schema.schema, list(tokens[:-1]))
            if isinstance(parent, dict) and tokens[-1] in (parent.get("properties") or {}):
                return True
    return False


@functools.lru_cache(maxsize=4096)
def _closest(key: str, known: tuple[str, ...]) -> str:
    """The did-you-mean hint for an unknown key (the same few keys recur across a whole repository)."""
    return did_you_mean(key, known)


def _as_istio_read_it(value: Any, schema: Any, path: list[Any], spellings: list[tuple[list[Any], str]]) -> Any:
    """``value`` with snake_case spellings of the schema's fields renamed to camelCase, as Istio's
    proto-JSON parsing read them (``sni_hosts`` is ``sniHosts``); each renamed key's path goes to
    ``spellings``. Unchanged parts are the original objects (nothing is copied without a rename)."""
    if isinstance(value, list):
        items = schema.get("items") if isinstance(schema, dict) else None
        new = [_as_istio_read_it(v, items, path + [i], spellings) for i, v in enumerate(value)]
        return value if all(a is b for a, b in zip(new, value)) else new
    if not isinstance(value, dict) or not isinstance(schema, dict):
        return value
    props = schema.get("properties") or {}
    extra = schema.get("additionalProperties")
    changed = False
    out = {}
    for k, v in value.items():
        key = k
        if k not in props and isinstance(k, str) and SNAKE_CASE.match(k) and camel(k) in props and camel(k) not in value:
            key = camel(k)
            spellings.append((path + [k], key))
        sub = props.get(key, extra if isinstance(extra, dict) else None)
        out[key] = _as_istio_read_it(v, sub, path + [k], spellings)
        changed = changed or key != k or out[key] is not v
    return out if changed else value


def _is_spelling(key: Any, e: Any) -> bool:
    """Whether an unknown key is a snake_case spelling of a field the schema has."""
    props = e.schema.get("properties") or {}
    return isinstance(key, str) and key not in props and bool(SNAKE_CASE.match(key)) and camel(key) in props


def _original_path(body: Any, tokens: list[Any]) -> list[Any]:
    """A path into the renamed object, as a path into the original (camelCase keys back to snake_case)."""
    out, node = [], body
    for t in tokens:
        if isinstance(node, dict) and isinstance(t, str) and t not in node:
            t = next((k for k in node if isinstance(k, str) and SNAKE_CASE.match(k) and camel(k) == t), t)
        out.append(t)
        node = node.get(t) if isinstance(node, dict) else node[t] if isinstance(node, list) and isinstance(t, int) and t < len(node) else None
    return out


def problems(res: Resource, user: Any = None) -> tuple[tuple[str, str, tuple[tuple[str, Any], ...]], ...]:
    group, _, version = (res.api_version or "").rpartition("/")
    served = user.unserved(group, version, res.kind or "") if user is not None else []
    if served:  # the user's cluster does not serve this version at all
        return (("unserved", "/apiVersion", (("value", res.api_version), ("allowed", ", ".join(f"{group}/{x}" for x in served)))),)
    v, source = validator_for(group, version, res.kind or "", user)
    if v is None:
        return ()
    spellings: list[tuple[list[Any], str]] = []
    errors = list(v.iter_errors(res.body))
    if any(e.validator == "additionalProperties" and any(_is_spelling(k, e) for k in e.instance) for e in errors):
        # snake_case spellings of real fields: check the object as Istio read it instead
        body = _as_istio_read_it(res.body, getattr(v, "schema", None), [], spellings)
        errors = list(v.iter_errors(body))
    out: list[tuple[str, str, tuple[tuple[str, Any], ...]]] = [("unknown", pointer(*path),
 (("field", str(path[-1])), ("hint", meant(camel)))) for path, camel in spellings]
    for e in errors:
        if e.validator not in ("additionalProperties", "required") and has_placeholder(e.instance):
            continue  # a placeholder's value is unknown: its type, enum value or pattern cannot be judged
        path = _original_path(res.body, list(e.absolute_path)) if spellings else list(e.absolute_path)
        if e.validator == "additionalProperties":
            known = tuple((e.schema.get("properties") or {}).keys())
            for key in [k for k in (e.instance or {}) if k not in known]:
                shape = tuple(0 if isinstance(t, int) else t for t in path) + (str(key),)
                removed = source != "input" and _was_in_1_4_or_1_6(group, res.kind or "", shape)
                out.append(("removed" if removed else "unknown", pointer(*path, key), (("field", str(key)), ("hint", _closest(str(key), known)))))
        elif e.validator == "required":
            missing = e.message.split("'")[1] if "'" in e.message else e.message
            out.append(("required", pointer(*path), (("field", missing),)))
        elif e.validator in ("enum", "const"):
            allowed = ", ".join(map(str, e.validator_value if e.validator == "enum" else [e.validator_value]))
            out.append(("enum", pointer(*path), (("value", str(e.instance)), ("allowed", allowed))))
        elif e.validator == "type":
            want = e.validator_value if isinstance(e.validator_value, str) else " or ".join(e.validator_value)
            out.append(("type", pointer(*path), (("expected", _TYPE_NAMES.get(want, want)), ("actual", _kind_of(e.instance)))))
        else:  # minimum, maximum, maxProperties, pattern, oneOf, ... (user CRDs use any keyword)
            out.append(("constraint", pointer(*path), (("problem", _constraint_text(e)),)))
    return tuple(out)


def _constraint_text(e: Any) -> str:
    if e.validator == "maxProperties" and e.validator_value == 1:
        return f"set only one of {', '.join(sorted(map(str, e.instance)))}"
    if e.validator in ("minimum", "maximum"):
        return f"{e.instance} is {'below the minimum' if e.validator == 'minimum' else 'above the maximum'} of {e.validator_value}"
    text = " ".join(str(e.message).split())
    return text if len(text) <= 200 else text[:197] + "..."


def rejected_in_1_4(res: Resource, index: Index) -> tuple[str, str] | None:
    """(pointer, why) when Istio 1.4 could not read the object at all: a value of the wrong type
    where its proto has a string, a list, a number or a mapping (``services: reviews`` for a list,
    ``methods: [GET, 1]``). Istio decoded its objects strictly (JSON to proto): such an object was
    rejected, or skipped by Pilot, and took no effect. A conversion that reads the value anyway
    would make it take effect now. A placeholder's value is not judged. Judged once per run
    (``index``), for the conversions and the verification alike."""
    table = index.memo("schema:rejected-in-1.4", dict[int, tuple[str, str] | None])
    if id(res) not in table:
        table[id(res)] = _rejected(res)
    return table[id(res)]


def _rejected(res: Resource) -> tuple[str, str] | None:
    group, _, version = (res.api_version or "").rpartition("/")
    if compiled("input", group, version, res.kind or "") is None:
        return None
    for kind, path, params in problems(res):
        if kind == "type" and (path == "/spec" or path.startswith("/spec/")) and not _number_text(value_at(res.body, path)):
            p = dict(params)
            return path, f"Istio 1.4 could not read it ({path} is {p['actual']}, where {p['expected']} belongs), so it never took effect"
    return None


def _number_text(value: Any) -> bool:
    """A number written as a string ("8080"), which proto's JSON decoding takes for a number field."""
    return isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value.strip()) is not None
