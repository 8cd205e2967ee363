"""meshlint: find and convert Istio 1.4/1.6 configuration that modern or managed Istio rejects or ignores.

The public Python API (docs/api.md): ``meshlint.check``, ``meshlint.convert``, ``meshlint.report``
and their result types, loaded on first use: ``import meshlint`` imports nothing else.
"""

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


__all__ = ["Change", "CheckResult", "ConversionResult", "ConvertedFile", "Finding", "GeneratedFile", "MeshlintError",
           "Report", "ResourceId", "Severity", "__version__", "check", "convert", "report"]
_API = frozenset(__all__) - {"__version__"}

import sys  # after _forget_working_directory; built in

TYPE_CHECKING = False  # type checkers take it as True; typing itself would cost 15 ms at start-up
if TYPE_CHECKING:  # what type checkers and IDEs see; at run time the names come from __getattr__
    from .api import (
        Change,
        CheckResult,
        ConversionResult,
        ConvertedFile,
        Finding,
        GeneratedFile,
        MeshlintError,
        Report,
        ResourceId,
        Severity,
        check,
        convert,
        report,
    )


def __getattr__(name: str) -> object:
    """The API on first use (PEP 562): the engine is never imported by ``import meshlint``."""
    if name in _API:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'meshlint' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API))


if TYPE_CHECKING:
    from types import ModuleType as _Module
else:
    _Module = type(sys)  # types.ModuleType, without importing types


class _Package(_Module):
    """``meshlint.convert`` and ``meshlint.report`` are the API functions, although a module of the
    first name exists (``meshlint/convert.py``): importing it must not put the module in the
    function's place (the import system sets each submodule on its package).
    ``from meshlint.convert import ...`` still reaches the module through ``sys.modules``."""

    def __setattr__(self, name: str, value: object) -> None:
        if name in _API and isinstance(value, _Module):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
