"""meshlint: find and convert Istio 1.4/1.6 configuration that modern or managed Istio rejects or ignores."""

__version__ = "0.1.0"


def _forget_working_directory() -> None:
    """``python -m meshlint`` puts the working directory (usually the repository being scanned)
    first on ``sys.path``: a ``json.py`` or ``x.dist-info`` there would be imported or loaded as a
    plugin. meshlint's own package is found by now; drop that entry before anything else is
    imported. (``python -P`` and the ``meshlint`` command never add it.)"""
    import os
    import sys

    if not sys.argv or sys.argv[0] != "-m" or getattr(sys.flags, "safe_path", False) or not sys.path:
        return  # not being started by ``python -m`` (sys.argv[0] is "-m" only while runpy locates the module)
    if not any(a in ("meshlint", "meshlint.__main__") or a.endswith("mmeshlint") for a in getattr(sys, "orig_argv", ())):
        return
    try:
        if os.path.realpath(sys.path[0] or ".") == os.path.realpath(os.getcwd()):
            del sys.path[0]
    except OSError:
        pass


_forget_working_directory()
