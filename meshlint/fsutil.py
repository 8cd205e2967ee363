"""The one write path: every file meshlint writes (``convert --in-place`` and ``--out``, ``-o``,
``--write-baseline``, ``report -o``) goes through :func:`commit`, all or nothing.

1. check: an in-place target is a regular, writable file; no symbolic link is followed below an
   ``--out`` directory (a link there is refused, never written through);
2. stage: every new file is written next to its target as ``.<name>.<pid>-<token>.meshlint-tmp``
   (created with the umask, or given the target's mode, owner and extended attributes), fsynced;
3. verify: an in-place target still holds exactly the bytes that were read (an edit saved in the
   meantime, or a deletion, stops everything: the conversion was made from a state that is gone);
4. rename every staged file over its target and fsync the directories. A hard-linked file, or one
   whose owner or extended attributes the new file cannot get, is overwritten in place instead, so
   that its links and owner stay. If a rename fails, the files already renamed are put back.

On any failure nothing is renamed, the staged files are removed and :class:`WriteError` lists
what was not written. Staged files left by a killed run (their process is gone) are removed from
every directory written to, on the next run.
"""
from __future__ import annotations

import errno
import os
import re
import stat
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

CHUNK = 1 << 20
TEMP_SUFFIX = ".meshlint-tmp"
_TEMP = re.compile(r"^\..*\.(\d+)-[0-9a-f]{8}" + re.escape(TEMP_SUFFIX) + "$", re.DOTALL)
NAMED = 20  # files named in an error; the rest are counted
_NAME_BYTES = 180  # of the target's name kept in a temp name (a name may be up to 255 bytes)


def write_text_chunks(fh: IO[bytes], text: str) -> None:
    """Write text to a binary file as UTF-8 a slice at a time: a large report is never held
    twice (as str and as bytes) at once."""
    for i in range(0, len(text), CHUNK):
        fh.write(text[i:i + CHUNK].encode("utf-8"))


@dataclass(frozen=True)
class FileWrite:
    """One file to write.

    ``expect``: the bytes the target held when it was read (in place); it must still hold them.
    ``mode``: exact permission bits; ``None`` keeps an existing target's, else 0666 minus the umask.
    ``preserve``: keep the target's owner, extended attributes and hard links (in place).
    ``base``: a directory below which no symbolic link is followed and missing directories are
    created (``--out``); ``None``: the target's directory must exist.
    Instead of ``data``: ``copy_from`` (a file copied as it is when staged), ``link`` (the target
    becomes a symbolic link with this text) or ``directory`` (the target is a directory).
    """

    target: str
    data: bytes | str = b""
    source: str = ""
    expect: bytes | None = None
    mode: int | None = None
    preserve: bool = False
    base: str | None = None
    copy_from: str | None = None
    link: str | None = None
    directory: bool = False


@dataclass(frozen=True)
class Refusal:
    """A file meshlint will not write, and why: ``reason`` is a message key of ML030 (write-refused)."""

    path: str
    reason: str
    params: dict[str, Any] = field(default_factory=dict)


class WriteError(OSError):
    """Nothing was written. ``refused``: files found changed or gone; ``failure``: an I/O error."""

    def __init__(self, not_written: list[str], refused: Iterable[Refusal] = (), failure: str | None = None):
        self.not_written = list(not_written)
        self.refused = list(refused)
        self.failure = failure
        why = failure or "; ".join(f"{r.path}: {_REASONS.get(r.reason, r.reason)}" for r in self.refused[:NAMED])
        if len(self.refused) > NAMED:
            why += f" and {len(self.refused) - NAMED} more"
        names = ", ".join(self.not_written[:NAMED]) + (f" and {len(self.not_written) - NAMED} more file(s)" if len(self.not_written) > NAMED else "")
        super().__init__(f"nothing was written ({why}); not written: {names}")


_REASONS = {"changed": "changed since meshlint read it", "deleted": "deleted while meshlint ran",
            "link": "a symbolic link inside the output directory, not followed", "not-a-directory": "not a directory",
            "not-a-file": "not a regular file", "read-only": "read-only"}


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def created_mode(mode: int = 0o666) -> int:
    """The permission bits a new file gets with this process's umask."""
    return mode & ~_umask() & 0o7777


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes | str) -> None:
    """Write one file atomically (a report, a baseline): an existing file keeps its mode, a new
    one gets the umask's; a link to a file has its target replaced. A device or a pipe
    (``/dev/null``, ``/dev/stdout``, a FIFO) is written to, as a shell redirection would, never
    replaced. Raises :class:`WriteError` (an ``OSError``) when it cannot."""
    path = os.fspath(path)
    try:
        st = os.stat(path)
    except OSError:
        st = None
    if st is not None and (stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode)):
        with open(path, "wb") as fh:
            if isinstance(data, str):
                write_text_chunks(fh, data)
            else:
                fh.write(data)
        return
    if os.path.islink(path) and st is not None:
        path = os.path.realpath(path)
    commit([FileWrite(path, data, source=path)])


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    atomic_write_bytes(path, text)


# --------------------------------------------------------------------------- commit

class _Staged:
    __slots__ = ("dirs", "existed", "name", "overwrite", "parent", "temp", "write")

    def __init__(self, write: FileWrite, dirs: _Directories, parent: str, name: str):
        self.write, self.dirs, self.parent, self.name = write, dirs, parent, name
        self.temp: str | None = None
        self.overwrite = False  # write into the existing inode instead of renaming over it
        self.existed = False

    @property
    def dir_fd(self) -> int:
        """The target's directory, opened (again, if it was closed meanwhile) as the write asks."""
        return self.dirs.open_dir(self.parent, self.write.base)


def commit(writes: Iterable[FileWrite]) -> list[str]:
    """Write every file or none; returns the targets written. Raises :class:`WriteError`."""
    writes = list(writes)
    if not writes:
        return []
    dirs = _Directories()
    staged: list[_Staged] = []
    done: list[tuple[_Staged, bytes | None]] = []
    try:
        checked: list[Refusal] = []
        for w in writes:
            try:
                checked.extend(_check(w))
            except OSError as e:
                raise WriteError(_files(writes), failure=_describe(e, w.target)) from None
        refused = _once(checked)
        if refused:
            raise WriteError(_files(writes), refused)
        try:
            for w in writes:
                parent, name = os.path.split(w.target)
                s = _Staged(w, dirs, parent or ".", name)
                staged.append(s)
                dirs.used.add(s.parent)
                _stage(s, dirs)
        except OSError as e:
            raise WriteError(_files(writes), failure=_describe(e, w.target)) from None
        refused = [r for s in staged for r in _verify(s)]
        if refused:
            raise WriteError(_files(writes), refused)
        try:
            for s in staged:
                if not s.write.directory:
                    done.append((s, _replace(s)))
            for s in staged:
                if s.parent in dirs.used:
                    dirs.used.discard(s.parent)
                    os.fsync(s.dir_fd)
        except OSError as e:
            failure = _describe(e, s.write.target)
            failure += _roll_back(done)
            raise WriteError(_files(writes), failure=failure) from None
        return [w.target for w in writes]
    except WriteError:
        for s in staged:
            _unlink_temp(s)
        dirs.remove_created()
        raise
    finally:
        for s in staged:
            if s.overwrite:
                _unlink_temp(s)
        dirs.close()


def _once(refused: list[Refusal]) -> list[Refusal]:
    """One refusal per path and reason (a link inside --out stops every file below it)."""
    seen: dict[tuple[str, str], Refusal] = {}
    for r in refused:
        seen.setdefault((r.path, r.reason), r)
    return list(seen.values())


def _files(writes: list[FileWrite]) -> list[str]:
    return [w.target for w in writes if not w.directory]


def _describe(e: OSError, target: str) -> str:
    return f"{e.filename if isinstance(e.filename, str) and os.path.isabs(e.filename) else target}: {e.strerror or e}"


def _check(w: FileWrite) -> list[Refusal]:
    """Refusals known before anything is staged."""
    if w.base is not None:
        rel = os.path.relpath(w.target, w.base)
        path = w.base
        for part in rel.split(os.sep)[:-1]:
            path = os.path.join(path, part)
            try:
                st = os.lstat(path)
            except FileNotFoundError:
                break
            except NotADirectoryError:
                return [Refusal(os.path.dirname(path), "not-a-directory")]
            if stat.S_ISLNK(st.st_mode):
                return [Refusal(path, "link")]
            if not stat.S_ISDIR(st.st_mode):
                return [Refusal(path, "not-a-directory")]
    name = w.source or w.target
    if w.base is not None and os.path.exists(w.base) and not os.path.isdir(w.base):
        return [Refusal(w.base, "not-a-directory")]
    try:
        st = os.lstat(w.target)
    except FileNotFoundError:
        return [Refusal(name, "deleted")] if w.expect is not None else []
    if w.directory:
        return [] if stat.S_ISDIR(st.st_mode) else [Refusal(w.target, "link" if stat.S_ISLNK(st.st_mode) else "not-a-directory")]
    if stat.S_ISLNK(st.st_mode) and w.expect is None:
        return []  # a link where an --out file or a report goes is replaced, not followed
    if not stat.S_ISREG(st.st_mode):
        return [Refusal(name, "not-a-file")]
    if w.preserve and (not st.st_mode & 0o222 or not os.access(w.target, os.W_OK)):
        return [Refusal(name, "read-only", {"mode": f"{stat.S_IMODE(st.st_mode):04o}"})]
    return []


def _stage(s: _Staged, dirs: _Directories | None = None) -> None:
    w = s.write
    if w.directory:
        assert dirs is not None, "a directory is staged by commit, which passes its directories"
        dirs.open_dir(w.target, w.base)
        return
    try:
        old = os.stat(s.name, dir_fd=s.dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        old = None
    s.existed = old is not None and stat.S_ISREG(old.st_mode)
    s.temp = _temp_name(s.name)
    if w.link is not None:
        os.symlink(w.link, s.temp, dir_fd=s.dir_fd)
        return
    fd = os.open(s.temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), 0o666, dir_fd=s.dir_fd)
    try:
        with os.fdopen(fd, "wb", closefd=False) as fh:
            if w.copy_from is not None:
                with open(w.copy_from, "rb") as src:
                    while chunk := src.read(CHUNK):
                        fh.write(chunk)
            elif isinstance(w.data, str):
                write_text_chunks(fh, w.data)
            else:
                fh.write(w.data)
        if w.mode is not None:
            os.fchmod(fd, w.mode)
        elif s.existed and old is not None:
            os.fchmod(fd, stat.S_IMODE(old.st_mode))
        if w.preserve and s.existed and old is not None:
            s.overwrite = old.st_nlink > 1 or not _copy_owner_and_xattrs(fd, old, s)
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy_owner_and_xattrs(fd: int, old: os.stat_result, s: _Staged) -> bool:
    """Give the staged file the target's owner and extended attributes; False if it cannot have them."""
    try:
        if (old.st_uid, old.st_gid) != (os.getuid(), os.getgid()):
            os.fchown(fd, old.st_uid, old.st_gid)
        if hasattr(os, "listxattr"):
            src = os.open(s.name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=s.dir_fd)
            try:
                for attr in os.listxattr(src):
                    os.setxattr(fd, attr, os.getxattr(src, attr))
            finally:
                os.close(src)
    except OSError as e:
        if e.errno in (errno.EPERM, errno.EACCES, errno.ENOTSUP, errno.EOPNOTSUPP):
            return False
        raise
    return True


def _verify(s: _Staged) -> list[Refusal]:
    """An in-place target still holds what was read."""
    w = s.write
    if w.expect is None:
        return []
    name = w.source or w.target
    try:
        fd = os.open(s.name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=s.dir_fd)
    except FileNotFoundError:
        return [Refusal(name, "deleted")]
    except OSError:
        return [Refusal(name, "not-a-file")]
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return [Refusal(name, "not-a-file")]
        with os.fdopen(fd, "rb", closefd=False) as fh:
            now = fh.read(len(w.expect) + 1)
    finally:
        os.close(fd)
    return [] if now == w.expect else [Refusal(name, "changed")]


def _replace(s: _Staged) -> bytes | None:
    """Put the staged file in place; returns what a roll-back needs (the old bytes, if overwritten)."""
    if not s.overwrite:
        assert s.temp is not None, "staged"
        os.replace(s.temp, s.name, src_dir_fd=s.dir_fd, dst_dir_fd=s.dir_fd)
        s.temp = None
        return None
    data = s.write.data.encode("utf-8") if isinstance(s.write.data, str) else s.write.data
    _overwrite(s, data)
    return s.write.expect


def _overwrite(s: _Staged, data: bytes) -> None:
    fd = os.open(s.name, os.O_WRONLY | os.O_NOFOLLOW, dir_fd=s.dir_fd)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.ftruncate(fd, len(data))
        os.fsync(fd)
    finally:
        os.close(fd)


def _roll_back(done: list[tuple[_Staged, bytes | None]]) -> str:
    """Put back the files already replaced (their old bytes, mode, owner, xattrs); a note of what could not be."""
    lost = []
    for s, old in reversed(done):
        try:
            if old is not None:
                _overwrite(s, old)
            elif s.write.expect is not None:
                restore = _Staged(FileWrite(s.write.target, s.write.expect, preserve=s.write.preserve), s.dirs, s.parent, s.name)
                _stage(restore)
                assert restore.temp is not None, "staged"
                os.replace(restore.temp, s.name, src_dir_fd=s.dir_fd, dst_dir_fd=s.dir_fd)
            elif not s.existed:
                os.unlink(s.name, dir_fd=s.dir_fd)  # a new file: gone again
            else:
                lost.append(s.write.target)  # an earlier --out copy, replaced: its old bytes were never read
        except OSError:
            lost.append(s.write.target)
    return f"; already replaced and not put back: {', '.join(lost)}" if lost else ""


def _unlink_temp(s: _Staged) -> None:
    if s.temp is not None:
        try:
            os.unlink(s.temp, dir_fd=s.dir_fd)
        except OSError:
            pass
        s.temp = None


def _temp_name(name: str) -> str:
    import secrets  # only a write needs it (and its hmac and random): not a check's start-up

    short = os.fsencode(name)[:_NAME_BYTES].decode("utf-8", "ignore") or "x"
    return f".{short}.{os.getpid()}-{secrets.token_hex(4)}{TEMP_SUFFIX}"


def remove_stale_temps(dir_fd: int) -> None:
    """Remove the staged files of runs that were killed (their process no longer exists)."""
    try:
        names = os.listdir(dir_fd)
    except OSError:
        return
    for name in names:
        m = _TEMP.match(name)
        if m is None or int(m.group(1)) == os.getpid() or _alive(int(m.group(1))):
            continue
        try:
            os.unlink(name, dir_fd=dir_fd)
        except OSError:
            pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


class _Directories:
    """Open directory descriptors: targets are written relative to them, and below an --out
    directory every component is opened without following links (created when missing). At most
    ``OPEN`` stay open (a tree may have thousands of directories); one closed is opened again the
    same way when needed."""

    OPEN = 64

    def __init__(self) -> None:
        self.fds: OrderedDict[str, int] = OrderedDict()
        self.created: list[str] = []  # directories made below an --out directory, in creation order
        self.used: set[str] = set()  # directories written in (fsynced after the renames)
        self.cleaned: set[str] = set()

    def open_dir(self, path: str, base: str | None) -> int:
        fd = self.fds.get(path)
        if fd is not None:
            self.fds.move_to_end(path)
            return fd
        while len(self.fds) >= self.OPEN:
            os.close(self.fds.popitem(last=False)[1])
        fd = self.fds[path] = self._open(path, base)
        if path not in self.cleaned:
            self.cleaned.add(path)
            remove_stale_temps(fd)
        return fd

    def _open(self, path: str, base: str | None) -> int:
        flags = os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0)
        if base is None:
            return os.open(path, flags)
        os.makedirs(base, exist_ok=True)
        fd = os.open(base, flags)
        where = base
        for part in os.path.relpath(path, base).split(os.sep):
            if part in (".", ""):
                continue
            where = os.path.join(where, part)
            try:
                try:
                    child = os.open(part, flags | os.O_NOFOLLOW, dir_fd=fd)
                except FileNotFoundError:
                    os.mkdir(part, 0o777, dir_fd=fd)
                    self.created.append(where)
                    child = os.open(part, flags | os.O_NOFOLLOW, dir_fd=fd)
            except OSError as e:
                if e.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise OSError(e.errno, "a symbolic link or a file inside the output directory; not followed", where) from None
                raise
            finally:
                os.close(fd)
            fd = child
        return fd

    def remove_created(self) -> None:
        self.close()
        for path in reversed(self.created):
            try:
                os.rmdir(path)
            except OSError:
                pass

    def close(self) -> None:
        for fd in self.fds.values():
            try:
                os.close(fd)
            except OSError:
                pass
        self.fds.clear()
