"""Rendered streams mapped back to their sources.

``kustomize build DIR | meshlint check -`` (with ``buildMetadata: [originAnnotations]`` in the
kustomization) marks each object with a ``config.kubernetes.io/origin`` annotation naming the file
it came from, relative to DIR; ``helm template`` writes a ``# Source: chart/templates/x.yaml``
comment before each document. A finding on such an object names the source file: for a plain
YAML source, the line of the field there (or of the nearest field that exists there: a patch or
a transformer may have added it); for a Helm template, the file. The position in the rendered
stream stays on the finding as its secondary location.
"""
from __future__ import annotations

import os
import re
from typing import Callable

from .loader import SKIP_DIRS, InputFile, SourceFile, read_input
from .model import Resource

ORIGIN_ANNOTATION = "config.kubernetes.io/origin"
_SOURCE = re.compile(r"^#\s*Source:\s*(\S.*?)\s*$")
_DOC = re.compile(r"^(?:---|\.\.\.)(?:\s|$)")
MAX_SEARCH_DIRS = 5000

Origin = tuple[str, Callable[[str], tuple[int, int]] | None]


def map_sources(sources: list[SourceFile]) -> None:
    """Set ``res.origin`` on every resource of a rendered stream among ``sources``."""
    loaded: dict[str, SourceFile | None] = {}
    roots: list[str] | None = None
    for src in sources:
        if not src.resources:
            continue
        lines = src.text.splitlines() if src.text and "# Source:" in src.text else None
        for res in src.resources:
            origin = res.annotations.get(ORIGIN_ANNOTATION) if res.metadata.get("annotations") else None
            if origin:
                path = _origin_path(origin)
                if path is None:
                    continue
                if roots is None:
                    roots = _roots()
                res.origin = _kustomize_origin(res, path, roots, loaded)
            elif lines is not None:
                helm = _helm_source(lines, res.start_line)
                if helm is not None:
                    res.origin = (helm, None)


def _origin_path(text: str) -> str | None:
    import yaml

    try:
        data = yaml.load(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return None
    if not isinstance(data, dict):
        return None
    path = data.get("path") or data.get("configuredIn")
    if not isinstance(path, str) or not path:
        return None
    if isinstance(data.get("repo"), str):  # a remote base: name it, it is not on this disk
        return f"{data['repo']}//{path}" + (f"?ref={data['ref']}" if isinstance(data.get("ref"), str) else "")
    return path


def _roots() -> list[str]:
    """Where kustomize may have been run: the working directory, then every directory below it
    whose kustomization asks for origin annotations (its origin paths are relative to it)."""
    out = [os.getcwd()]
    seen = 0
    for dirpath, dirnames, filenames in os.walk(".", followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        seen += 1
        if seen > MAX_SEARCH_DIRS:
            break
        for name in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
            if name in filenames:
                try:
                    with open(os.path.join(dirpath, name), "rb") as fh:
                        if b"originAnnotations" in fh.read(1 << 20):
                            out.append(os.path.abspath(dirpath))
                except OSError:
                    pass
    return out


def _display(path: str) -> str:
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def _kustomize_origin(res: Resource, path: str, roots: list[str], loaded: dict[str, SourceFile | None]) -> Origin:
    if "//" in path or os.path.isabs(path):
        return (path, None)
    found = next((os.path.normpath(os.path.join(r, path)) for r in roots if os.path.isfile(os.path.join(r, path))), None)
    if found is None:
        return (path, None)
    if found not in loaded:
        src = read_input(InputFile(_display(found), found))
        loaded[found] = src if src.resources else None
    src = loaded[found]
    twin = _twin(res, src.resources) if src is not None else None
    return (_display(found), twin.locate if twin is not None else None)


def _twin(res: Resource, candidates: list[Resource]) -> Resource | None:
    """The object in the source file that ``res`` was rendered from: the same kind and name, else
    the one whose name the rendered name contains (namePrefix/nameSuffix), else the only one of the kind."""
    same_kind = [c for c in candidates if c.kind == res.kind]
    for c in same_kind:
        if c.name == res.name:
            return c
    named = [c for c in same_kind if c.name and res.name and c.name in res.name]
    if len(named) == 1:
        return named[0]
    return same_kind[0] if len(same_kind) == 1 else None


def _helm_source(lines: list[str], start_line: int) -> str | None:
    """The ``# Source:`` comment between the previous document marker and the object's first line."""
    for i in range(min(start_line, len(lines) + 1) - 2, -1, -1):
        line = lines[i]
        m = _SOURCE.match(line)
        if m:
            return m.group(1)
        if _DOC.match(line):
            return None
    return None
