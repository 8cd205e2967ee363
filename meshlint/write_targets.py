"""Where ``meshlint convert`` writes: the final list of files (:class:`~meshlint.fsutil.FileWrite`)
that :func:`~meshlint.fsutil.commit` writes all or nothing.

In place, like a careful editor: a changed file is written at its real path (a symbolic link, or
a directory link on the way, is resolved) when that lies inside the tree given on the command
line, and refused otherwise; a file reached by two names is written once; a read-only file is
refused; the file keeps its mode, owner, extended attributes and hard links, and its byte order
mark.

Under ``--out``: every input has a path of its own (a path inside the working directory as given,
normalised; one outside it, absolute, without its root), two inputs never share one, no output
is an input, and no input lies inside the output directory.
"""
from __future__ import annotations

import codecs
import os
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from .fsutil import FileWrite, Refusal, created_mode

if TYPE_CHECKING:
    from .generated import GeneratedFile


class ConvertedText(Protocol):
    """A file as convert leaves it (convert's FileResult)."""

    @property
    def path(self) -> str: ...

    @property
    def original(self) -> str | None: ...

    @property
    def new_text(self) -> str | None: ...

    @property
    def changed(self) -> bool: ...


class OutError(ValueError):
    """An --out directory that cannot be used as asked: a usage error (exit code 2)."""


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _encoded(text: str, bom: bool) -> bytes:
    return (codecs.BOM_UTF8 if bom else b"") + text.encode("utf-8")


# --------------------------------------------------------------------------- in place

def tree_roots(paths: Iterable[str]) -> list[str]:
    """The trees a run may write in: each directory given, or the directory of each file given."""
    roots = []
    for p in paths:
        if p == "-":
            continue
        roots.append(os.path.realpath(p if os.path.isdir(p) else (os.path.dirname(p) or ".")))
    return roots


def in_place(files: Iterable[ConvertedText], boms: Mapping[str, bool], roots: list[str]) -> tuple[list[FileWrite], list[Refusal]]:
    """The writes of ``convert --in-place`` for the changed ``files`` (convert's FileResults), and the refusals."""
    writes: dict[object, FileWrite] = {}
    refused: list[Refusal] = []
    for f in files:
        if not f.changed or f.path == "-" or f.original is None:
            continue
        real = os.path.realpath(f.path)
        if not any(_inside(real, r) for r in roots):
            refused.append(Refusal(f.path, "outside", {"target": real}))
            continue
        bom = boms.get(f.path, False)
        w = FileWrite(real, _encoded(f.new_text or "", bom), source=f.path, expect=_encoded(f.original, bom), preserve=True)  # changed: it has a new text
        try:
            st = os.stat(real)
        except OSError:  # gone already: the write refuses it, and with it the whole run
            writes[real] = w
            continue
        if stat.S_ISREG(st.st_mode) and (not st.st_mode & 0o222 or not os.access(real, os.W_OK)):
            refused.append(Refusal(f.path, "read-only", {"mode": f"{stat.S_IMODE(st.st_mode):04o}"}))
            continue
        key = (st.st_dev, st.st_ino)
        if key in writes:
            if writes[key].data != w.data:  # one file, read twice, converted two ways: write neither
                refused.append(Refusal(f.path, "two-names", {"other": writes.pop(key).source}))
            continue  # the same file by another name: edited once
        writes[key] = w
    return list(writes.values()), refused


# --------------------------------------------------------------------------- --out

def check_out_dir(out: str | os.PathLike[str], paths: Iterable[str]) -> None:
    """No input may lie inside the output directory: meshlint never reads its own output."""
    real_out = os.path.realpath(out)
    for p in paths:
        if p != "-" and _inside(os.path.realpath(p), real_out):
            raise OutError(f"{p} is inside the --out directory {out}: meshlint does not read its own output; choose another --out")


def out_relpath(display: str) -> str:
    """Where an input goes below --out: its path as given, normalised, if it lies inside the
    working directory; else its absolute path without the root. ``-`` (stdin) is stdin.yaml."""
    if display == "-":
        return "stdin.yaml"
    absolute = os.path.abspath(display)
    rel = os.path.relpath(absolute, os.getcwd())
    if rel == os.curdir or rel == os.pardir or rel.startswith(os.pardir + os.sep):
        rel = os.path.relpath(os.path.realpath(display), os.path.realpath(os.getcwd()))
        if rel == os.curdir or rel == os.pardir or rel.startswith(os.pardir + os.sep):
            rel = os.path.splitdrive(absolute)[1].lstrip(os.sep)
    return rel


def under_out(out: str | os.PathLike[str], files: Iterable[ConvertedText], boms: Mapping[str, bool], inputs: Iterable[str] = (),
              generated: Iterable[GeneratedFile] = ()) -> list[FileWrite]:

    """The writes of ``convert --out``: every input file (converted or not, at its canonical place
    when discovery reached it through an in-tree link), the manifests that fixes generate
    (``generated``: :class:`~meshlint.generated.GeneratedFile`, under ``generated/``), and every
    other file, directory and link of the input directories. Two of them never share a path
    (:class:`OutError`)."""
    from .outtree import canonical, copy_mode, input_roots, rest_writes

    out = os.path.normpath(os.fspath(out))
    roots = input_roots(inputs)

    def target(path: str) -> str:
        return os.path.normpath(os.path.join(out, out_relpath(path)))

    writes: list[FileWrite] = []
    for f in files:
        if f.original is None:
            continue
        text = (f.new_text or "") if f.changed else f.original

        writes.append(FileWrite(target(canonical(f.path, roots)), _encoded(text, boms.get(f.path, False)), source=f.path,
                                mode=copy_mode(f.path) if f.path != "-" else created_mode(), base=out))
    writes += [FileWrite(os.path.join(out, _safe_relative(g.path)), g.text.encode("utf-8"), source=g.path, mode=created_mode(), base=out)
               for g in generated]
    writes += rest_writes(inputs, out, target, {w.target for w in writes})
    _no_collisions(out, writes)
    return writes


def _no_collisions(out: str, writes: list[FileWrite]) -> None:
    """Two inputs never share an output path, and none goes where another needs a directory."""
    files: dict[str, str] = {}
    dirs: set[str] = set()
    for w in writes:
        if w.directory:
            dirs.add(w.target)
            continue
        other = files.setdefault(w.target, w.source)
        if other != w.source:
            raise OutError(f"{other} and {w.source} would both be written to {w.target}; "
                           "give them as paths that differ below the working directory, or convert them separately")
    for t, source in files.items():
        parent = os.path.dirname(t)
        while parent != out and _inside(parent, out):
            if parent in files:
                raise OutError(f"{files[parent]} and {source} would be written to {parent} and below it; convert them separately")
            parent = os.path.dirname(parent)
    for d in dirs:
        if d in files:
            raise OutError(f"{files[d]} would be written where a directory of the input goes ({d}); convert them separately")


def _safe_relative(name: str) -> str:
    parts = [x for x in Path(name).parts if x not in ("..", ".", "", os.sep) and not Path(x).anchor]
    return os.path.join(*parts) if parts else "unnamed.yaml"
