"""Objects by identity across every input: a cluster export and the repository it came from
define many objects twice, and the report names each object once, with all its sources.

Identity is what the API server keys an object by: API group, kind, namespace (for namespaced
kinds) and name. Findings are merged the same way: the same problem on the same object, found
in two files, is one item with two sources.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..model import Finding, Resource, ResourceId
from ..namespaces import is_namespaced as namespaced

Key = tuple[str, str, str, str]  # (group, kind, namespace or "", name)


def key_of(group: str, kind: str | None, namespace: str | None, name: str | None) -> Key | None:
    if not kind or not name:
        return None
    return (group, kind, (namespace or "") if namespaced(kind) else "", name)


def describe(key: Key) -> str:
    """``Kind namespace/name`` (``Kind name`` for cluster-scoped kinds and objects written without a namespace)."""
    _, kind, ns, name = key
    return f"{kind} {ns}/{name}" if ns else f"{kind} {name}"


def _line(res: Resource) -> int:
    try:
        return res.locate("")[0]
    except Exception:  # noqa: BLE001  a file whose text is gone: the document is still named by its file
        return 1


class Objects:
    """Every object among the inputs by identity, each with all the places that define it."""

    def __init__(self, resources: Iterable[Resource]):
        self._by_key: dict[Key, list[Resource]] = {}
        self._by_place: dict[tuple[str, int, int | None], Resource] = {}
        self._by_identity: dict[int, Key] = {}  # a resource's shared ResourceId (what convert reports) -> its key
        for res in resources:
            self._by_place[(res.file, res.doc_index, res.item_index)] = res
            k = self.key(res)
            if k is not None:
                self._by_key.setdefault(k, []).append(res)
                self._by_identity[id(res.identity)] = k
        self._used: dict[Key, None] = {}
        self._lines: dict[int, int] = {}

    @staticmethod
    def key(res: Resource) -> Key | None:
        """The namespace is the one the object is applied in (a kustomization's, --namespace) when the
        file does not say it, so a repository's namespace-less copy meets the export's."""
        return key_of(res.group, res.kind, res.applied_namespace or res.namespace, res.name)

    def of_identity(self, ident: ResourceId) -> Key | None:
        """The key of the input object whose identity this is (the applied namespace included), else
        the identity's own key (an object the conversion generates)."""
        k = self._by_identity.get(id(ident))
        if k is not None:
            return k
        api = ident.api_version or ""
        return key_of(api.rsplit("/", 1)[0] if "/" in api else "", ident.kind, ident.namespace, ident.name)

    def __len__(self) -> int:
        return len(self._by_key)

    def keys(self) -> list[Key]:
        return list(self._by_key)

    def resources(self, key: Key) -> list[Resource]:
        return self._by_key.get(key, [])

    def of_finding(self, f: Finding) -> Resource | None:
        return self._by_place.get((f.file, f.doc, f.item)) if f.resource is not None and f.doc is not None else None

    def in_several_files(self) -> list[Key]:
        return [k for k, rs in self._by_key.items() if len({r.file for r in rs}) > 1]

    def sources(self, key: Key) -> list[dict[str, Any]]:
        out = []
        for res in self._by_key.get(key, []):
            line = self._lines.get(id(res))
            if line is None:
                line = self._lines[id(res)] = _line(res)
            out.append({"file": res.file, "line": line})
        return out

    def use(self, key: Key) -> str:
        """The object's id in the report (``Kind namespace/name``); it joins the report's object table."""
        self._used.setdefault(key, None)
        return describe(key)

    def table(self) -> list[dict[str, Any]]:
        """Every object the report names, once, with all its sources."""
        out = []
        for key in sorted(self._used, key=describe):
            _, kind, ns, name = key
            rs = self._by_key.get(key, [])
            out.append({"id": describe(key), "apiVersion": rs[0].api_version if rs else None, "kind": kind, "namespace": ns or None,
                        "name": name, "sources": self.sources(key)})
        return out

    def release(self) -> None:
        """Drop the node trees composed to find the objects' lines."""
        for rs in self._by_key.values():
            for res in rs:
                release = getattr(res.locate, "release", None)
                if release is not None:
                    release()


def merge(findings: Iterable[Finding], objects: Objects) -> list[dict[str, Any]]:
    """Findings as report items: the same problem (code, message, field) on the same object, found
    in several files, is one item with every source."""
    items: dict[tuple[Any, ...], dict[str, Any]] = {}
    for f in findings:
        res = objects.of_finding(f)
        key = objects.key(res) if res is not None else None
        ident = (f.code, f.key, key, f.path, f.message) if key is not None else (f.code, f.file, f.line, f.column, f.message)
        item = items.get(ident)
        source = {"file": f.file, "line": f.line, "column": f.column}
        if item is None:
            items[ident] = {"code": f.code, "name": f.name, "severity": str(f.severity), "message": f.message, "short": f.short or f.message,
                            "object": objects.use(key) if key is not None else None, "path": f.path, "sources": [source],
                            "_key": f.key, "_object": key, "_finding": f}
            if f.applied:  # the file did not say the object's namespace: which one, and where it came from
                items[ident]["namespace"], items[ident]["namespace_from"] = f.applied
        elif source not in item["sources"]:
            item["sources"].append(source)
    return list(items.values())


def public(item: dict[str, Any]) -> dict[str, Any]:
    """An item without its working fields."""
    return {k: v for k, v in item.items() if not k.startswith("_")}
