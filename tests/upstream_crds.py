"""Strict validators built from the upstream CRDs in ../shared/schemas (test-only oracle).

"Strict" means: wherever a schema lists ``properties`` and does not say otherwise
(``additionalProperties`` or ``x-kubernetes-preserve-unknown-fields``), unknown
fields are rejected. This is how the issues define "validates strictly".
"""
from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import jsonschema
import yaml

FILES = {
    "1.30.3": ["istio-1.30.3/customresourcedefinitions.gen.yaml"],
    "1.6.14": ["istio-1.6.14/crd-all.gen.yaml"],
    "1.4.10": ["istio-1.4.10/crd-10.yaml", "istio-1.4.10/crd-11.yaml", "istio-1.4.10/crd-14.yaml"],
}


def strict(schema: Any) -> Any:
    if isinstance(schema, dict):
        out = {k: strict(v) for k, v in schema.items()}
        if "properties" in out and "additionalProperties" not in out and not out.get("x-kubernetes-preserve-unknown-fields"):
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [strict(v) for v in schema]
    return schema


@functools.cache
def _crds(shared: str, release: str) -> dict[tuple[str, str, str], dict]:
    """(group, version, kind) -> openAPIV3Schema (apiextensions v1 and v1beta1 layouts)."""
    out: dict[tuple[str, str, str], dict] = {}
    for rel in FILES[release]:
        for doc in yaml.safe_load_all((Path(shared) / "schemas" / rel).read_text()):
            if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
                continue
            spec = doc["spec"]
            group, kind = spec["group"], spec["names"]["kind"]
            top = (spec.get("validation") or {}).get("openAPIV3Schema")
            versions = spec.get("versions") or [{"name": spec.get("version")}]
            for v in versions:
                schema = ((v.get("schema") or {}).get("openAPIV3Schema")) or top
                if schema:
                    out[(group, v["name"], kind)] = schema
    return out


def strict_validator(shared: Path, release: str, api_version: str, kind: str) -> jsonschema.Draft7Validator | None:
    """A validator for a whole object (apiVersion, kind, metadata, spec) or None if the CRD has no schema."""
    group, _, version = api_version.rpartition("/")
    schema = _crds(str(shared), release).get((group, version, kind))
    if schema is None:
        return None
    s = strict(copy.deepcopy(schema))
    props = s.setdefault("properties", {})
    for k in ("apiVersion", "kind"):
        props.setdefault(k, {"type": "string"})
    props.setdefault("metadata", {"type": "object"})
    props["metadata"] = {"type": "object"}
    s["additionalProperties"] = False
    return jsonschema.Draft7Validator(s)


def strict_errors(shared: Path, release: str, obj: dict) -> list[str]:
    """Human-readable strict-validation errors for one object ([] when valid)."""
    v = strict_validator(shared, release, obj.get("apiVersion", ""), obj.get("kind", ""))
    if v is None:
        return [f"no {release} CRD schema for {obj.get('apiVersion')} {obj.get('kind')}"]
    return [f"/{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in v.iter_errors(obj)]


def field_types(schema: Any, path: str = "spec", out: dict | None = None) -> dict[str, set]:
    """Every field path a schema describes ('spec.http[].route[].weight', user-map values as '*')
    -> its JSON types and enum values, e.g. {'string', 'enum:LEAST_CONN', ...}. oneOf/anyOf/allOf
    branches are merged; 'null' is left out (upstream schemas never say it)."""
    out = {} if out is None else out
    if not isinstance(schema, dict):
        return out
    t = schema.get("type")
    kinds = out.setdefault(path, set())
    kinds.update(x for x in ([t] if isinstance(t, str) else t or []) if x != "null")
    kinds.update(f"enum:{v}" for v in schema.get("enum", []))
    for k, v in (schema.get("properties") or {}).items():
        field_types(v, f"{path}.{k}", out)
    if isinstance(schema.get("additionalProperties"), dict):
        field_types(schema["additionalProperties"], f"{path}.*", out)
    if isinstance(schema.get("items"), dict):
        field_types(schema["items"], f"{path}[]", out)
    for k in ("oneOf", "anyOf", "allOf"):
        for sub in schema.get(k, []):
            field_types(sub, path, out)
    return out


def crd_field_types(shared: Path, release: str, group: str, version: str, kind: str) -> dict[str, set]:
    schema = _crds(str(shared), release).get((group, version, kind))
    return {} if schema is None else field_types(schema["properties"]["spec"])


def verdicts(schema: dict, doc: Any) -> tuple[list, list]:
    """(meshlint's small validator, jsonschema) errors of one document as sorted (path, keyword) pairs:
    the two must agree on meshlint's own schemas."""
    from meshlint.schema.validator import Validator

    def pairs(errors):
        return sorted((list(map(str, e.absolute_path)), e.validator) for e in errors)

    return pairs(Validator(schema).iter_errors(doc)), pairs(jsonschema.Draft7Validator(schema).iter_errors(doc))
