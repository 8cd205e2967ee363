"""Bounded reads of inputs: a file (a regular one, opened without blocking, at most
:data:`MAX_FILE_BYTES`) or stdin, to :func:`load_bytes`; a file that cannot be read is a
problem (ML013), a path that names nothing readable an :class:`InputError`."""
from __future__ import annotations

import os
import sys
from collections.abc import Iterable

from ..model import Problem
from ..nonobjects import by_name
from .decoding import MAX_FILE_BYTES, TOO_LARGE, load_bytes
from .discovery import InputFile, discover
from .source import SourceFile

UNREADABLE = "ML013"  # an input problem code (catalogue area "input")


class InputError(Exception):
    """Input paths that cannot be read: a usage error (exit code 2)."""


def read_paths(paths: Iterable[str], exclude: Iterable[str] = ()) -> list[SourceFile]:
    """Every input file below ``paths``, read; :class:`InputError` names the paths that cannot be."""
    files, errors = discover(list(paths), exclude)
    if errors:
        raise InputError("; ".join(errors))
    return [read_input(f) for f in files]


def read_regular(path: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """A regular file's bytes, at most ``limit`` + 1 of them. Opened without blocking (a FIFO put
    in its place after the walk cannot hang the run); anything but a regular file is an OSError."""
    import errno
    import stat

    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_input(f: InputFile) -> SourceFile:
    """One input read: a file skipped by its name (a Helm chart's, a kustomization), the problem
    that kept it unread, or what :func:`load_bytes` makes of its bytes."""
    if f.fs_path is not None:
        skipped = by_name(f.fs_path)
        if skipped is not None:
            return SourceFile(f.display, None, not_object=skipped)
    if f.fs_path is None:
        data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
    else:
        try:
            size = os.path.getsize(f.fs_path)
            if size > MAX_FILE_BYTES:
                return SourceFile(f.display, None, problems=[Problem(TOO_LARGE, 1, 1, {"size": size, "limit": MAX_FILE_BYTES})])
            data = read_regular(f.fs_path)
        except OSError as e:
            return SourceFile(f.display, None, problems=[Problem(UNREADABLE, 1, 1, {"error": e.strerror or str(e)})])
    return load_bytes(data, f.display)
