"""What ``convert --out`` puts in the output tree besides the converted files: every other file
of each input directory (YAML or not: ``params.env``, ``Chart.yaml``, templates, READMEs), so
that ``kustomize build`` and ``kubectl apply -k`` work on the output as they did on the input.

Symbolic links stay links: a link into the same input directory is recreated with its target
(made relative when it was absolute, so it points into the output tree, not back into the
input); a link that leaves the input directory is recreated pointing at the same place, and
what it points to is never read or copied. A file that
discovery read through an in-tree link is written at the link's target, and the link recreated.
The output directory itself is never walked when it lies inside an input directory.

Nothing is written here: these are :class:`~meshlint.fsutil.FileWrite` entries, which
:mod:`meshlint.write_targets` joins to the converted files and :func:`~meshlint.fsutil.commit`
writes, all or nothing, without following a link inside the output directory.
"""
from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable

from .fsutil import FileWrite, created_mode
from .loader import SKIP_DIRS

Target = Callable[[str], str]  # an input path (as discovered) -> its path under --out


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


def copy_mode(path: str) -> int:
    """A copy's permission bits: its input's, minus the umask (as cp makes them)."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode) & 0o777 & created_mode(0o777)
    except OSError:
        return created_mode()


def rest_writes(inputs: Iterable[str], out: str, target: Target, taken: set[str]) -> list[FileWrite]:
    """Every file, directory and link of the input directories whose place under ``out`` is not
    in ``taken`` (the converted files' targets)."""
    real_out = os.path.realpath(out)
    writes: list[FileWrite] = []
    for given, real_root in input_roots(inputs):
        for dirpath, dirnames, filenames in os.walk(given, followlinks=False):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and os.path.realpath(os.path.join(dirpath, d)) != real_out)
            entries = [(n, True) for n in list(dirnames)] + [(n, False) for n in sorted(filenames)]
            for name, is_dir in entries:
                src = os.path.join(dirpath, name)
                dest = target(src)
                if os.path.islink(src):
                    link = _link_target(src, real_root)
                    if link is None:  # leaves the input tree: the same link, never what it points to
                        if not is_dir and dest in taken:
                            continue  # a file read through it was converted: the converted text is written there
                        link = _outside_target(src)
                    if is_dir:
                        dirnames.remove(name)
                    if os.path.isdir(dest) and not os.path.islink(dest):
                        continue  # an earlier run wrote files through it; keep them
                    writes.append(FileWrite(dest, source=src, link=link, base=out))
                elif is_dir:
                    writes.append(FileWrite(dest, source=src, directory=True, base=out))
                elif dest not in taken and os.path.isfile(src):
                    writes.append(FileWrite(dest, source=src, copy_from=src, mode=copy_mode(src), base=out))
    return writes


def _link_target(link: str, real_root: str) -> str | None:
    """The text of the link to create in the output tree, or None when the link leaves the tree."""
    text = os.readlink(link)
    real = os.path.realpath(link)
    if not _inside(real, real_root):
        return None
    if os.path.isabs(text):  # an absolute link into the input would point back at the input
        return os.path.relpath(real, os.path.realpath(os.path.dirname(link)))
    return text


def _outside_target(link: str) -> str:
    """A link that leaves the input tree is written as a link to the same place, made absolute so it
    still points there from the output tree. What it points to is never read: it may be anything
    on this machine (a home directory, a key), and a copy would carry it into OUT."""
    text = os.readlink(link)
    return text if os.path.isabs(text) else os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(link)), text))
