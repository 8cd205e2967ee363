"""The user's own CustomResourceDefinitions (``--schemas PATH``): validate against the exact API
of their cluster, e.g. ``kubectl get crd -o yaml`` from their Anthos Service Mesh cluster.

Each CRD version's ``openAPIV3Schema`` is made strict (unknown fields rejected wherever the
schema lists ``properties`` and does not keep unknown fields) and compiled once, on first use,
with jsonschema, which knows every keyword a CRD may use (``oneOf``, ``pattern``, ...).
Kubernetes-only keywords are mapped: ``nullable`` allows null, ``x-kubernetes-int-or-string``
takes an integer or a string; CEL rules (``x-kubernetes-validations``) are not evaluated.

A ``$ref`` is resolved only inside the CRD version's own schema (``#/definitions/...``): meshlint
never fetches a URL or reads a file because a CRD says so. Any other reference, one that
resolves to nothing, and ``id``/``$id`` (which move where references resolve) are errors that
name the file, line and column.
"""
from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, NoReturn

from ..model import Resource, escape_pointer_token

if TYPE_CHECKING:
    from referencing import Registry


CRD_KIND = "CustomResourceDefinition"
CRD_GROUP = "apiextensions.k8s.io"
# loader problems that leave a file's CRDs unread: syntax, binary, encoding, tabs, alias bombs, size, depth, I/O
UNREADABLE = frozenset({"ML001", "ML004", "ML005", "ML007", "ML009", "ML010", "ML012", "ML013"})


class UserSchemaError(Exception):
    """--schemas input that cannot be used; the CLI exits 2 with this message."""


class UserSchemas:
    """Strict validators for the (group, version, kind)s the user's CRDs serve."""

    def __init__(self, schemas: dict[tuple[str, str, str], dict[str, Any]], source: str):
        self.source = source
        self._schemas = schemas
        self._validators: dict[tuple[str, str, str], Any] = {}
        self._served: dict[tuple[str, str], list[str]] = {}
        for group, version, kind in schemas:
            self._served.setdefault((group, kind), []).append(version)

    def __len__(self) -> int:
        return len(self._schemas)

    def served_versions(self, group: str, kind: str) -> list[str]:
        """The versions of a kind the CRDs serve ([] when they do not define the kind)."""
        return self._served.get((group, kind), [])

    def unserved(self, group: str, version: str, kind: str) -> list[str]:
        """The versions the CRDs serve instead, when they define the kind but not this version; else []."""
        served = self.served_versions(group, kind)
        return sorted(served) if served and version not in served else []

    def validator(self, group: str, version: str, kind: str) -> Any:
        key = (group, version, kind)
        if key not in self._schemas:
            return None
        if key not in self._validators:
            import jsonschema
            from referencing import Registry

            # OpenAPI v3 schemas follow draft 4's keywords; an empty registry that retrieves nothing:
            # references were checked to stay inside the schema (a remote one would be Unresolvable)
            registry: Registry[Any] = Registry(retrieve=_never_retrieve)  # type: ignore[call-arg]  # attrs alias of _retrieve
            self._validators[key] = jsonschema.Draft4Validator(self._schemas[key], registry=registry)
        return self._validators[key]

    def validate(self, obj: dict[str, Any]) -> list[str]:
        """Errors for one object ('/json/pointer: message'), as meshlint.schema.validate gives them."""
        av = obj.get("apiVersion") if isinstance(obj, dict) else None
        if not isinstance(av, str) or "/" not in av:
            return []
        group, _, version = av.rpartition("/")
        kind = obj.get("kind")
        if not isinstance(kind, str):
            return []  # no CRD defines such a kind

        served = self.unserved(group, version, kind)
        if served:
            return [f"/apiVersion: {av} is not served by the CRDs in {self.source} (served: {', '.join(served)})"]
        v = self.validator(group, version, kind)
        if v is None:
            return []
        from referencing.exceptions import Unresolvable

        try:
            from . import judged

            errors = sorted(judged(v.iter_errors(obj)), key=lambda e: list(map(str, e.absolute_path)))
        except Unresolvable as e:  # not reachable after the load-time check; never a crash
            return [f"/: cannot resolve a $ref of the CRDs in {self.source} ({e})"]
        from . import describe_error

        return [f"/{'/'.join(map(str, e.absolute_path))}: {describe_error(e)} (per the CRDs in {self.source})" for e in errors]


def load_user_schemas(path: str) -> UserSchemas:
    """Read CRDs from a file (one or many documents, or a ``kind: List`` export) or a directory."""
    from ..loader import InputError, read_paths

    try:
        sources = read_paths([path])
    except InputError as e:
        raise UserSchemaError(f"--schemas: {e}") from None
    schemas: dict[tuple[str, str, str], dict[str, Any]] = {}
    for src in sources:
        for p in src.problems:
            if p.code in UNREADABLE:
                raise UserSchemaError(f"--schemas: {src.path}:{p.line}:{p.column}: cannot read this file as YAML ({p.code})")
        for res in src.resources:
            if res.kind != CRD_KIND or res.group != CRD_GROUP:
                continue
            for key, schema in _crd_schemas(res.spec, _where(src.path, res)):
                schemas[key] = schema
    if not schemas:
        raise UserSchemaError(f"--schemas: {path} holds no CustomResourceDefinition with an openAPIV3Schema")
    return UserSchemas(schemas, path)


def _where(path: str, res: Resource) -> Callable[[str], str]:
    """'file:line:column' of a JSON Pointer inside a CRD resource."""
    def where(ptr: str = "") -> str:
        line, column = res.locate(ptr)
        return f"{path}:{line}:{column}"
    return where


def _crd_schemas(spec: dict[str, Any], where: Callable[..., str]) -> Iterator[tuple[tuple[str, str, str], dict[str, Any]]]:
    """((group, version, kind), strict schema) for every version of one CRD (apiextensions v1 and v1beta1)."""
    group = spec.get("group")
    names = spec.get("names")
    kind = names.get("kind") if isinstance(names, dict) else None
    if not isinstance(group, str) or not isinstance(kind, str):
        raise UserSchemaError(f"--schemas: {where()}: a CustomResourceDefinition without spec.group or spec.names.kind")
    validation = spec.get("validation")
    shared = validation.get("openAPIV3Schema") if isinstance(validation, dict) else None
    versions = spec.get("versions")
    if not isinstance(versions, list):
        versions = [{"name": spec.get("version")}]
    for i, v in enumerate(versions):
        if not isinstance(v, dict) or not isinstance(v.get("name"), str):
            continue
        if v.get("served") is False:
            continue
        own = v.get("schema")
        schema = own.get("openAPIV3Schema") if isinstance(own, dict) else None
        at = f"/spec/versions/{i}/schema/openAPIV3Schema"
        if not isinstance(schema, dict):
            schema, at = shared, "/spec/validation/openAPIV3Schema"
        if isinstance(schema, dict):
            _check_references(schema, at, where)
            yield (group, v["name"], kind), _document(strict(copy.deepcopy(schema)))


def _never_retrieve(uri: str) -> NoReturn:
    from referencing.exceptions import NoSuchResource

    raise NoSuchResource(ref=uri)  # type: ignore[call-arg]  # attrs field "ref"


# keywords whose value is a schema, a list of schemas, or a mapping of names to schemas
_SCHEMA = ("items", "additionalProperties", "additionalItems", "not")
_SCHEMA_LIST = ("allOf", "anyOf", "oneOf", "items")
_SCHEMA_MAP = ("properties", "patternProperties", "definitions", "dependencies")


def _check_references(root: dict[str, Any], at: str, where: Callable[..., str]) -> None:
    """Every ``$ref`` resolves inside ``root`` (the CRD version's schema, at pointer ``at``):
    nothing else is ever fetched or read. ``id``/``$id`` are refused (they move the base URI)."""
    from referencing import Registry
    from referencing.exceptions import Unresolvable
    from referencing.jsonschema import DRAFT4

    registry: Registry[Any] = Registry(retrieve=_never_retrieve)  # type: ignore[call-arg]  # attrs alias of _retrieve
    resolver = registry.with_resource("", DRAFT4.create_resource(root)).resolver()

    stack = [(root, at)]
    while stack:
        node, ptr = stack.pop()
        if not isinstance(node, dict):
            continue
        for key in ("id", "$id"):
            if isinstance(node.get(key), str):
                raise UserSchemaError(f"--schemas: {where(f'{ptr}/{key}')}: {key} {node[key]!r} would change where references resolve; "
                                      "a CRD schema cannot use it")
        ref = node.get("$ref")
        if ref is not None:
            ok = isinstance(ref, str) and ref.startswith("#")
            if ok:
                try:
                    resolver.lookup(ref)
                except Unresolvable:
                    ok = False
            if not ok:
                raise UserSchemaError(f"--schemas: {where(f'{ptr}/$ref')}: $ref {ref!r} does not point inside this CRD's schema; "
                                      "meshlint resolves only references within the CRD (#/...) and never reads a URL or a file")
        for key in _SCHEMA:
            if isinstance(node.get(key), dict):
                stack.append((node[key], f"{ptr}/{key}"))
        for key in _SCHEMA_LIST:
            if isinstance(node.get(key), list):
                stack.extend((s, f"{ptr}/{key}/{i}") for i, s in enumerate(node[key]))
        for key in _SCHEMA_MAP:
            if isinstance(node.get(key), dict):
                stack.extend((s, f"{ptr}/{key}/{escape_pointer_token(str(name))}") for name, s in node[key].items())


_OBJECT_META = {"apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"}}


def _document(schema: dict[str, Any]) -> dict[str, Any]:
    """Every object has apiVersion, kind and metadata, which Kubernetes checks itself (CRDs leave them out)."""
    if schema.get("additionalProperties") is False:
        schema["properties"] = {**_OBJECT_META, **schema.get("properties", {})}
    return schema


def strict(schema: Any) -> Any:
    """A CRD schema as JSON Schema, with unknown fields rejected where it lists properties."""
    if isinstance(schema, list):
        return [strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: strict(v) for k, v in schema.items()}
    if out.pop("x-kubernetes-int-or-string", False) and "type" not in out:
        out["anyOf"] = out.get("anyOf", []) + [{"type": "integer"}, {"type": "string"}]
    if out.pop("nullable", False) and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    if "properties" in out and "additionalProperties" not in out and not out.get("x-kubernetes-preserve-unknown-fields"):
        out["additionalProperties"] = False
    return out
