"""Namespaces as the objects are applied: most manifests in config repositories have no
``metadata.namespace``; ``kubectl apply -n NS`` or a kustomization's ``namespace:`` gives them one.

Each namespaced object gets the namespace it is applied in, and where that came from, in this
order (the first that applies wins):

1. a kustomization ``namespace:`` that lists the file (in ``resources``, ``bases`` or
   ``components``, recursively; an overlay's namespace overrides its bases', and, as kustomize
   does, overrides a namespace written in the file);
2. ``--namespace NS`` (kubectl's ``-n``: only objects written without a namespace);
3. the configuration's ``namespaces`` mapping of path globs to namespaces (first match);
4. otherwise none: the index assumes ``default``, and says so.

The result is set on each Resource (``applied_namespace``, ``namespace_from``); the index reads it
(``index.ns(res)``, ``index.ns_origin(res)``), so every rule and converter sees it unchanged.
Kustomizations are read among the inputs and in the input files' own and parent directories (as
far up as the working directory), so a pre-commit run on single files still finds them.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .nonobjects import KUSTOMIZATION_FILES
from .paths import path_matches

if TYPE_CHECKING:
    from .loader import SourceFile
    from .model import Resource

# kinds that live outside any namespace (the API server ignores a namespace on them)
CLUSTER_SCOPED = frozenset({
    "Namespace", "Node", "PersistentVolume", "StorageClass", "ClusterRole", "ClusterRoleBinding",
    "CustomResourceDefinition", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
    "APIService", "PriorityClass", "PodSecurityPolicy", "RuntimeClass", "CSIDriver", "CSINode",
    "VolumeAttachment", "IngressClass", "CertificateSigningRequest", "ComponentStatus",
    "ClusterRbacConfig", "MeshPolicy", "ClusterIssuer", "List",
})
FROM_FLAG = "--namespace"
ASSUMED = "assumed"  # nothing gave one: the index assumes default


@dataclass
class _Kustomization:
    path: str  # as shown (relative to the working directory when inside it)
    directory: str  # real path
    namespace: str | None
    files: list[str] = field(default_factory=list)  # real paths of listed resource files
    children: list[str] = field(default_factory=list)  # real directories of listed kustomizations


def is_namespaced(kind: str | None) -> bool:
    return kind not in CLUSTER_SCOPED


def applied(res: Resource, default: str = "default") -> tuple[str, str] | None:
    """(namespace, where it came from) when the file does not say the object's namespace;
    None when it does (and nothing overrides it) or the kind has no namespace."""
    if res.applied_namespace:
        return res.applied_namespace, res.namespace_from or ""
    if res.namespace or not is_namespaced(res.kind):
        return None
    return default, ASSUMED


def assign(sources: Iterable[SourceFile], namespace: str | None = None,
           mapping: tuple[tuple[str, str], ...] = (), mapping_from: str = ".meshlint.yaml") -> None:
    """Set ``applied_namespace`` / ``namespace_from`` on every resource of ``sources``."""
    sources = list(sources)
    by_file = _kustomize_namespaces([s.path for s in sources if s.path != "-"])
    for src in sources:
        if not src.resources:
            continue
        kust = by_file.get(os.path.realpath(src.path)) if by_file and src.path != "-" else None
        other = None
        if kust is None:
            if namespace:
                other = (namespace, FROM_FLAG)
            else:
                glob = next(((g, ns) for g, ns in mapping if path_matches(src.path, g)), None)
                if glob is not None:
                    other = (glob[1], f"{mapping_from} namespaces '{glob[0]}'")
        for res in src.resources:
            if not is_namespaced(res.kind):
                continue
            if kust is not None and kust[0] != res.namespace:
                res.applied_namespace, res.namespace_from = kust
            elif other is not None and res.namespace is None:
                res.applied_namespace, res.namespace_from = other


def _display(path: str) -> str:
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def _find_kustomization(directory: str) -> str | None:
    for name in sorted(KUSTOMIZATION_FILES):
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate):
            return candidate
    return None


def _read(path: str) -> _Kustomization | None:
    from .data_files import read_data_file

    data = read_data_file(path)
    if not isinstance(data, dict):
        return None
    directory = os.path.dirname(os.path.realpath(path))
    ns = data.get("namespace")
    k = _Kustomization(_display(path), directory, ns if isinstance(ns, str) and ns else None)
    for key in ("resources", "bases", "components"):
        entries = data.get(key)
        for entry in entries if isinstance(entries, list) else ():
            if not isinstance(entry, str) or "://" in entry or entry.startswith(("github.com/", "git@")):
                continue  # remote bases are not on this disk
            target = os.path.realpath(os.path.join(directory, entry))
            if os.path.isdir(target):
                k.children.append(target)
            elif os.path.isfile(target):
                k.files.append(target)
    return k


def kustomization_graph(paths: Iterable[str]) -> dict[str, _Kustomization]:
    """The kustomizations around ``paths`` by real directory: those in the files' own directories and
    their parents up to the working directory, and every kustomization they list, recursively."""
    found: dict[str, _Kustomization] = {}
    todo: list[str] = []
    seen_dirs: set[str] = set()
    top = os.path.abspath(os.getcwd())
    for d in {os.path.dirname(os.path.abspath(p)) for p in paths}:
        while d not in seen_dirs:
            seen_dirs.add(d)
            file = _find_kustomization(d)
            if file is not None:
                todo.append(file)
            if d == top or not d.startswith(top + os.sep):
                break
            d = os.path.dirname(d)
    while todo:
        path = todo.pop()
        directory = os.path.dirname(os.path.realpath(path))
        if directory in found:
            continue
        k = _read(path)
        if k is None:
            continue
        found[directory] = k
        for child in k.children:
            if child not in found:
                kf = _find_kustomization(child)
                if kf is not None:
                    todo.append(kf)
    return found


def _kustomize_namespaces(paths: list[str]) -> dict[str, tuple[str, str]]:
    """Real path of each file a kustomization with a namespace lists -> (namespace, where from)."""
    found = kustomization_graph(paths)
    if not found:
        return {}
    listed = {c for k in found.values() for c in k.children}
    roots = sorted((k for d, k in found.items() if d not in listed), key=lambda k: k.path)
    out: dict[str, tuple[str, str]] = {}

    def visit(k: _Kustomization, ns: str | None, origin: str | None, stack: frozenset[str]) -> None:
        if not ns and k.namespace:
            ns, origin = k.namespace, f"kustomization {k.path}"
        if ns and origin:
            for f in k.files:
                out.setdefault(f, (ns, origin))
        for child in k.children:
            if child in found and child not in stack:
                visit(found[child], ns, origin, stack | {child})

    for root in roots:
        visit(root, None, None, frozenset({root.directory}))
    return out
