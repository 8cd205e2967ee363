"""Rendered streams mapped back to their sources (``meshlint check`` only).

``kustomize build DIR | meshlint check -`` (with ``buildMetadata: [originAnnotations]`` in DIR's
kustomization) marks each object with a ``config.kubernetes.io/origin`` annotation naming the file
it came from, relative to DIR; ``helm template`` writes a ``# Source: chart/templates/x.yaml``
comment before each document. A finding on such an object names the source file: for a plain
YAML source, the line of the field there (or of the nearest field that exists there: a patch or
a transformer may have added it); for a Helm template, the file only. The position in the
rendered stream stays on the finding as its secondary location (``Finding.rendered``).

Rules know nothing of this: the engine places their findings (:func:`place`). Source files are
read only when they lie in the working directory's tree or its repository (an annotation is
data, never a licence to read elsewhere), have a YAML suffix, and through the loader's limits.
"""
from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from .loader import SKIP_DIRS, YAML_SUFFIXES, InputFile, SourceFile, read_input
from .model import Finding, Rendered, Resource, Rule
from .suppress import Suppressions

ORIGIN_ANNOTATION = "config.kubernetes.io/origin"
# helm template: "# Source: CHART/templates/x.yaml" (a subchart's: CHART/charts/SUB/templates/...; --include-crds: CHART/crds/...)
_SOURCE = re.compile(r"^#\s*Source:\s*([^\s:/][^\s:]*/(?:templates|crds)/[^\s:]+)\s*$")
_DOC = re.compile(r"^(?:---|\.\.\.)(?:\s|$)")
_FIELD = re.compile(r"^(path|repo|ref|configuredIn):\s*(\S.*?)\s*$")
MAX_ANNOTATION = 4096
MAX_SEARCH_DIRS = 5000
KUSTOMIZATIONS = ("kustomization.yaml", "kustomization.yml", "Kustomization")


@dataclass(eq=False)
class Origin:
    """Where a rendered object came from: a file as displayed, and the tool that rendered it."""

    file: str
    by: str  # "kustomize" or "helm"
    locate: Callable[[str], tuple[int, int]] | None = None  # the source object's own locator (plain YAML found on disk)
    suppressions: Suppressions | None = None  # the source file's comment directives

    def silences(self, f: Finding, rule: Rule) -> bool:
        return self.suppressions is not None and self.suppressions.silence(f, rule)


def map_sources(sources: list[SourceFile]) -> None:
    """Set ``res.origin`` on every object of a rendered stream among ``sources``."""
    pending: list[tuple[Resource, str]] = []
    for src in sources:
        if not src.resources:
            continue
        templates: dict[str, str] = {}
        lines = src.text.splitlines() if src.text and "# Source:" in src.text else None
        for res in src.resources:
            raw = res.annotations.get(ORIGIN_ANNOTATION) if res.metadata.get("annotations") else None
            if raw:
                path = origin_path(raw)
                if path is not None:
                    pending.append((res, path))
            elif lines is not None:
                helm = _helm_source(lines, res.start_line)
                if helm is not None:
                    if helm not in templates:
                        templates[helm] = _template_file(helm, src.path)
                    res.origin = Origin(templates[helm], "helm")
    if pending:
        _resolve(pending)


def place(f: Finding, res: Resource) -> Finding:
    """The finding at the object's source, its rendered position kept as secondary."""
    o: Origin = res.origin
    located = o.locate is not None
    line, column = o.locate(f.path) if o.locate is not None else (1, 1)
    return replace(f, file=o.file, line=line, column=column, rendered=Rendered(f.file, f.line, f.column, o.by, located))


def origin_path(text: str) -> str | None:
    """The file named by a ``config.kubernetes.io/origin`` value (``path:``, or a generated
    object's ``configuredIn:``; a remote base's ``repo//path?ref=``). Read line by line, never
    parsed as YAML: it is data from the stream."""
    if len(text) > MAX_ANNOTATION:
        return None
    fields: dict[str, str] = {}
    for line in text.splitlines():
        m = _FIELD.match(line)
        if m and m.group(1) not in fields:
            value = m.group(2)
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            fields[m.group(1)] = value
    path = fields.get("path") or fields.get("configuredIn")
    if not path:
        return None
    if "repo" in fields:  # a remote base: named, it is not on this disk
        return f"{fields['repo']}//{path}" + (f"?ref={fields['ref']}" if "ref" in fields else "")
    return path


def _resolve(pending: list[tuple[Resource, str]]) -> None:
    """Origin paths are relative to the directory kustomize built: the working directory, or one
    below it whose kustomization asks for origin annotations. The directory that holds most of the
    stream's files is tried first (two overlays may both have a gateway.yaml)."""
    local = sorted({p for _, p in pending if not _remote(p)})
    cwd = os.getcwd()
    roots = [cwd]
    if any(not os.path.isfile(os.path.join(cwd, p)) for p in local):
        roots += [r for r in _build_dirs() if r != cwd]
    held = {r: sum(os.path.isfile(os.path.join(r, p)) for p in local) for r in roots}
    roots.sort(key=lambda r: -held[r])
    allowed = _allowed_tops()
    files: dict[str, list[tuple[str, SourceFile | None, Suppressions | None]]] = {}
    for res, path in pending:
        if path not in files:
            files[path] = [] if _remote(path) else _candidates(path, roots, allowed)
        res.origin = _kustomize_origin(res, path, files[path])


def _remote(path: str) -> bool:
    return "//" in path or os.path.isabs(path)


def _build_dirs() -> list[str]:
    """Directories below the working directory whose kustomization has ``originAnnotations``."""
    out = []
    seen = 0
    for dirpath, dirnames, filenames in os.walk(".", followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        seen += 1  # noqa: SIM113  (directories walked, counted before the limit)
        if seen > MAX_SEARCH_DIRS:
            break
        for name in KUSTOMIZATIONS:
            if name in filenames:
                try:
                    with open(os.path.join(dirpath, name), "rb") as fh:
                        if b"originAnnotations" in fh.read(1 << 20):
                            out.append(os.path.abspath(dirpath))
                except OSError:
                    pass
                break
    return out


def _allowed_tops() -> tuple[str, ...]:
    from .paths import repo_root

    return tuple({os.path.realpath(os.getcwd()), repo_root()})


def _inside(path: str, tops: tuple[str, ...]) -> bool:
    real = os.path.realpath(path)
    return any(real == t or real.startswith(t.rstrip(os.sep) + os.sep) for t in tops)


def _candidates(path: str, roots: list[str], allowed: tuple[str, ...]) -> list[tuple[str, SourceFile | None, Suppressions | None]]:
    """The files ``path`` names under each root (display path, its objects when they may be read, its comment directives)."""
    out: list[tuple[str, SourceFile | None, Suppressions | None]] = []
    for root in roots:
        found = os.path.normpath(os.path.join(root, path))
        if not os.path.isfile(found):
            continue
        display = os.path.relpath(found)
        src = None
        if found.endswith(YAML_SUFFIXES) and _inside(found, allowed):
            src = read_input(InputFile(display, found))
        out.append((display, src, Suppressions.from_text(src.text)) if src is not None and src.resources else (display, None, None))
    return out


def _kustomize_origin(res: Resource, path: str, candidates: list[tuple[str, SourceFile | None, Suppressions | None]]) -> Origin:
    """The first candidate file that holds the object, else the first that exists, else the path as written."""
    for display, src, sup in candidates:
        twin = _twin(res, src.resources) if src is not None else None
        if twin is not None:
            return Origin(display, "kustomize", twin.locate, sup)
    return Origin(candidates[0][0] if candidates else path, "kustomize")


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


def _template_file(path: str, rendered: str) -> str:
    """A Helm template path (``CHART/templates/x.yaml``, relative to where helm ran) as found on
    disk: under the working directory, or the rendered file's directory or one of its parents
    (``helm template wavefront > config.yaml`` in install/: install/wavefront/templates/x.yaml).
    Only looked up, never read; as written when not found."""
    if ".." in path.split("/"):
        return path
    bases = []
    if rendered != "-":
        d = os.path.dirname(os.path.abspath(rendered))
        top = os.path.abspath(os.curdir)
        while d.startswith(top.rstrip(os.sep) + os.sep):
            bases.append(d)
            d = os.path.dirname(d)
    bases.append(os.curdir)
    for base in bases:
        found = os.path.join(base, path)
        if os.path.isfile(found):
            return os.path.relpath(found)
    return path


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
