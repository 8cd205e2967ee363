"""What ``convert --out`` puts in the output tree besides the converted files: every other file
of each input directory (YAML or not: ``params.env``, ``Chart.yaml``, templates, READMEs), so
that ``kustomize build`` and ``kubectl apply -k`` work on the output as they did on the input.

Symbolic links stay links: a link into the same input directory is recreated with its target
(made relative when it was absolute, so it points into the output tree, not back into the
input); a link that leaves the input directory is copied as what it points to. A file that
discovery read through an in-tree link is written at the link's target, and the link recreated.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Callable, Iterable

from .loader import SKIP_DIRS

OutPath = Callable[[Path, str], Path]


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def input_roots(inputs: Iterable[str]) -> list[tuple[str, str]]:
    """(input directory as given, its real path) for every directory among the inputs."""
    return [(d, os.path.realpath(d)) for d in inputs if d != "-" and os.path.isdir(d)]


def canonical(display: str, roots: list[tuple[str, str]]) -> str:
    """Where a file discovered at ``display`` really lives, as a path under the input directory
    it came from (``display`` itself unless discovery followed an in-tree link to reach it)."""
    for given, real_root in roots:
        prefix = given.rstrip("/") + "/"
        if not display.startswith(prefix):
            continue
        real = os.path.realpath(display)
        if _inside(real, real_root) and real != os.path.join(real_root, os.path.relpath(display, given)):
            return os.path.join(given, os.path.relpath(real, real_root))
        return display
    return display


def copy_rest(inputs: Iterable[str], out: Path, out_path: OutPath, written: set[Path]) -> list[Path]:
    """Copy every file, directory and link of the input directories that is not in ``written``
    (the paths already written under ``out``). Returns what was copied."""
    copied: list[Path] = []
    for given, real_root in input_roots(inputs):
        for dirpath, dirnames, filenames in os.walk(given, followlinks=False):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
            entries = [(n, True) for n in list(dirnames)] + [(n, False) for n in sorted(filenames)]
            for name, is_dir in entries:
                src = os.path.join(dirpath, name)
                target = out_path(out, src)
                if os.path.islink(src):
                    link = _link_target(src, real_root, target)
                    if link is None:  # leaves the input tree: copy what it points to
                        if is_dir:
                            copied += _copy_outside_dir(src, target, written)
                        elif target not in written and os.path.isfile(src):
                            copied.append(_copy_file(src, target))
                        continue
                    if is_dir:
                        dirnames.remove(name)
                    if target.is_symlink() and os.readlink(target) == link:
                        continue
                    target.parent.mkdir(parents=True, exist_ok=True)
                    if target.exists() or target.is_symlink():
                        if target.is_dir() and not target.is_symlink():
                            continue  # files were already written through it; keep them
                        target.unlink()
                    os.symlink(link, target)
                    copied.append(target)
                elif not is_dir and target not in written and os.path.isfile(src):
                    copied.append(_copy_file(src, target))
                elif is_dir:
                    target.mkdir(parents=True, exist_ok=True)
    return copied


def _link_target(link: str, real_root: str, target: Path) -> str | None:
    """The text of the link to create at ``target``, or None when the link leaves the tree."""
    text = os.readlink(link)
    real = os.path.realpath(link)
    if not _inside(real, real_root):
        return None
    if os.path.isabs(text):  # an absolute link into the input would point back at the input
        return os.path.relpath(real, os.path.realpath(os.path.dirname(link)))
    return text


def _copy_outside_dir(src: str, target: Path, written: set[Path]) -> list[Path]:
    copied = []
    for dirpath, dirnames, filenames in os.walk(src, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        rel = os.path.relpath(dirpath, src)
        for name in sorted(filenames):
            dest = target / rel / name if rel != "." else target / name
            if dest not in written and os.path.isfile(os.path.join(dirpath, name)):
                copied.append(_copy_file(os.path.join(dirpath, name), dest))
    return copied


def _copy_file(src: str, target: Path) -> Path:
    from .fsutil import atomic_write_bytes

    target.parent.mkdir(parents=True, exist_ok=True)
    with open(src, "rb") as fh:
        data = fh.read()
    atomic_write_bytes(target, data)
    try:
        shutil.copymode(src, target)
    except OSError:
        pass
    return target
