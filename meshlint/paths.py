"""Where an input is: the repository it sits in, and whether its path matches a glob of the
configuration (``per-path-ignores``, ``namespaces``)."""
from __future__ import annotations

import functools
import os
from fnmatch import fnmatchcase


@functools.lru_cache(maxsize=1)
def repo_root() -> str:
    """The git top-level of the working directory (the nearest directory holding ``.git``, a
    directory or a worktree's file), else the working directory itself. Found by looking, not by
    running git: meshlint never starts a program in the repository it scans."""
    cwd = os.path.realpath(os.getcwd())
    d = cwd
    while True:
        if os.path.lexists(os.path.join(d, ".git")):
            return d
        parent = os.path.dirname(d)
        if parent == d:
            return cwd
        d = parent


def path_matches(path: str, glob: str) -> bool:
    """``path`` (as given, ``./`` and backslashes normalised) matches ``glob`` or lies below it."""
    p = path.replace("\\", "/")
    while p.startswith("./"):
        p = p[2:]
    return fnmatchcase(p, glob) or fnmatchcase(p, glob.rstrip("/") + "/*")
