"""Files that ``meshlint convert`` generates besides the converted inputs (replacement gateways,
draft policies): one per ``ExtraFile`` fix, named, deduplicated and rendered once, so the
writer, the diff, the summaries and the report all list the same files.

They live under ``generated/``: in ``--out DIR`` that is ``DIR/generated/``; with ``--in-place``
and in the diff it is ``generated/`` in the working directory (so the diff applies there).
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from .fixes import ExtraFile
from .model import ResourceId

ROOT = "generated"


@dataclass
class GeneratedFile:
    name: str  # path under the generated root, e.g. gateways/istio-system-istio-egressgateway.yaml
    objects: tuple[dict[str, Any], ...]
    note: str
    sources: list[tuple[str, ResourceId | None]] = field(default_factory=list)  # (input file, resource) that asked for it

    @property
    def path(self) -> str:
        """Where it goes relative to the output root (``DIR`` of ``--out``, else the working directory)."""
        return f"{ROOT}/{self.name}"

    @property
    def text(self) -> str:
        from .textedit import Style, dump_block

        header = "".join(f"# {line}".rstrip() + "\n" for para in self.note.splitlines()
                         for line in (textwrap.wrap(para, 98, break_long_words=False, break_on_hyphens=False) or [""]))
        return header + "---\n".join(dump_block(o, Style()) for o in self.objects)

    def identities(self) -> list[ResourceId]:
        return [object_identity(o) for o in self.objects]


def object_identity(obj: dict[str, Any]) -> ResourceId:
    md = obj["metadata"] if isinstance(obj.get("metadata"), dict) else {}
    return ResourceId(obj.get("apiVersion"), obj.get("kind"), md.get("namespace"), md.get("name"))


def _safe_name(name: str) -> str:
    parts = [p for p in PurePosixPath(name.replace("\\", "/")).parts if p not in ("..", ".", "/", "")]
    return "/".join(parts) or "generated.yaml"


def collect(requests: list[tuple[str, ResourceId | None, ExtraFile]]) -> list[GeneratedFile]:
    """One file per distinct request, in input order. The same file asked for twice with the same
    objects is written once (listing both sources); two different files under one name get
    ``-2``, ``-3``... before the extension, so neither overwrites the other."""
    out: list[GeneratedFile] = []
    by_name: dict[str, list[GeneratedFile]] = {}
    for path, ident, extra in requests:
        name = _safe_name(extra.name)
        same = next((g for g in by_name.get(name, []) if g.objects == extra.objects), None)
        if same is not None:
            if (path, ident) not in same.sources:
                same.sources.append((path, ident))
            continue
        taken = by_name.setdefault(name, [])
        unique = name
        if taken:
            stem, dot, ext = name.rpartition(".")
            stem, ext = (stem, dot + ext) if dot and "/" not in ext else (name, "")
            n = len(taken) + 1
            unique = f"{stem}-{n}{ext}"
            while any(g.name == unique for g in out):
                n += 1
                unique = f"{stem}-{n}{ext}"
        g = GeneratedFile(unique, extra.objects, extra.note, [(path, ident)])
        taken.append(g)
        out.append(g)
    return out
