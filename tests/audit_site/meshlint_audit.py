"""The test-wide audit: no socket, no process and no file outside the allowed roots.

Installed with ``sys.addaudithook`` in the pytest process (tests/conftest.py, armed while a
test sets up and runs) and, through ``sitecustomize`` in this directory, in every CLI
subprocess the tests start (``run_cli`` puts this directory on PYTHONPATH). An offending
operation is refused (PermissionError) and recorded: the test that caused it fails.

Allowed roots: the inputs (the repository, ../shared, the tests' tmp dirs), the installed
package and Python's own library (sys.prefix and friends). Paths are judged after resolving
symbolic links, so a symlink inside an allowed root that points elsewhere is not allowed.
"""
from __future__ import annotations

import os
import socket
import sys

ENV_ALLOW = "MESHLINT_AUDIT_ALLOW"  # os.pathsep-separated roots
ENV_LOG = "MESHLINT_AUDIT_LOG"  # where a subprocess records what it was refused

NETWORK = frozenset({"socket.bind", "socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr",
                     "socket.gethostbyname_ex", "socket.sendto", "socket.sendmsg", "urllib.Request", "http.client.connect"})
PROCESSES = frozenset({"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty", "pty.spawn"})
DEVICES = ("/dev/null", "/dev/urandom", "/dev/random", "/dev/tty")


def python_roots() -> list[str]:
    return [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]


class Audit:
    def __init__(self, roots, processes: bool = False, log: str | None = None):
        self.roots: tuple[str, ...] = ()
        self.allow(roots)
        self.processes = processes  # also refuse starting processes (the CLI never needs to)
        self.log = log
        self.violations: list[str] = []
        self.armed = True
        self._busy = False

    def allow(self, roots) -> None:
        self.roots = tuple(sorted({os.path.realpath(r) for r in roots if r}))

    def allowed(self, path) -> bool:
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        real = os.path.realpath(path)
        return real in DEVICES or any(real == r or real.startswith(r.rstrip(os.sep) + os.sep) for r in self.roots)

    def __call__(self, event: str, args: tuple) -> None:
        if not self.armed or self._busy:
            return
        what = None
        self._busy = True
        try:
            if event == "open":
                path = args[0]
                if isinstance(path, (str, bytes, os.PathLike)) and not self.allowed(path):
                    what = f"opened {os.fsdecode(path)!r} (outside the inputs, the package, the tmp dirs and Python's library)"
            elif event in ("os.listdir", "os.scandir"):
                path = args[0] if args and args[0] is not None else "."
                if isinstance(path, (str, bytes, os.PathLike)) and not self.allowed(path):
                    what = f"listed {os.fsdecode(path)!r} (outside the allowed roots)"
            elif event == "socket.__new__":
                if len(args) > 1 and args[1] not in (getattr(socket, "AF_UNIX", None),):
                    what = f"created a network socket (family {args[1]})"
            elif event in NETWORK:
                what = f"network access: {event}{args!r}"
            elif self.processes and event in PROCESSES:
                what = f"started a process: {event}"
            if what is not None:
                self.violations.append(what)
                if self.log:
                    with open(self.log, "a", encoding="utf-8") as fh:
                        fh.write(what + "\n")
        finally:
            self._busy = False
        if what is not None:
            raise PermissionError(f"meshlint test audit: {what}")


def install_from_environment() -> Audit | None:
    """In a CLI subprocess: arm the audit when the tests asked for it."""
    roots = os.environ.get(ENV_ALLOW)
    if not roots:
        return None
    log = os.environ.get(ENV_LOG)
    audit = Audit(roots.split(os.pathsep) + python_roots() + ([os.path.dirname(log)] if log else []), processes=True, log=log)
    sys.addaudithook(audit)
    return audit
