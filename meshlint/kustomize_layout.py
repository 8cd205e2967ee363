"""What the kustomizations among (and above) the inputs say about their files, for telling one
object defined twice from kustomize's ways of writing one object in several files:

- a file a kustomization lists as a patch (``patchesStrategicMerge``, ``patches``,
  ``patchesJson6902``) changes an object of its bases: it is no second definition;
- files reached only from different top-level kustomizations (``overlays/staging`` and
  ``overlays/prod``) are alternatives, never applied together.

Kustomizations are found as meshlint.namespaces finds them: in the files' own and parent
directories (up to the working directory), and every kustomization they list.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from .namespaces import kustomization_graph

PATCH_KEYS = ("patchesStrategicMerge", "patches", "patchesJson6902")


@dataclass
class Layout:
    patches: set[str] = field(default_factory=set)  # real paths of patch files
    roots: dict[str, frozenset[str]] = field(default_factory=dict)  # real path of a listed file -> the top kustomizations reaching it

    _real: dict[str, str] = field(default_factory=dict)

    def _realpath(self, path: str) -> str:
        if path not in self._real:
            self._real[path] = os.path.realpath(path)
        return self._real[path]

    def is_patch(self, path: str) -> bool:
        return path != "-" and bool(self.patches) and self._realpath(path) in self.patches

    def reach(self, path: str) -> frozenset[str] | None:
        """The top-level kustomizations that reach ``path``; None when none does."""
        return self.roots.get(self._realpath(path)) if path != "-" and self.roots else None


def _patch_files(path: str) -> list[str]:
    from .data_files import read_data_file

    data = read_data_file(path)
    if not isinstance(data, dict):
        return []
    directory = os.path.dirname(os.path.realpath(path))
    out = []
    for key in PATCH_KEYS:
        entries = data.get(key)
        for entry in entries if isinstance(entries, list) else ():
            target = entry.get("path") if isinstance(entry, dict) else entry
            if isinstance(target, str) and target and "\n" not in target:  # a string with lines is an inline patch
                out.append(os.path.realpath(os.path.join(directory, target)))
    return out


def layout(paths: list[str]) -> Layout:
    found = kustomization_graph(p for p in paths if p != "-")
    out = Layout()
    for k in found.values():
        out.patches.update(_patch_files(k.path))
    listed = {c for k in found.values() for c in k.children}
    reach: dict[str, set[str]] = {}
    for root in (d for d in found if d not in listed):
        stack, visited = [root], set()
        while stack:
            d = stack.pop()
            if d in visited or d not in found:
                continue
            visited.add(d)
            for f in found[d].files:
                reach.setdefault(f, set()).add(root)
            stack.extend(found[d].children)
    out.roots = {f: frozenset(r) for f, r in reach.items()}
    return out
