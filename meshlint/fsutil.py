"""Atomic file writes: a temporary file in the same directory, fsync, then rename."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


CHUNK = 1 << 20


def write_text_chunks(fh, text: str) -> None:
    """Write text to a binary file as UTF-8 a slice at a time: a large report is never held
    twice (as str and as bytes) at once."""
    for i in range(0, len(text), CHUNK):
        fh.write(text[i:i + CHUNK].encode("utf-8"))


def atomic_write_bytes(path: str | os.PathLike, data: bytes | str) -> None:
    """Write ``data`` (bytes, or str written as UTF-8) atomically."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    mode = None
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        pass
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".meshlint-tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            if isinstance(data, str):
                write_text_chunks(fh, data)
            else:
                fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    atomic_write_bytes(path, text)
