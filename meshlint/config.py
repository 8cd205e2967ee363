"""Project configuration: ``.meshlint.yaml`` or ``[tool.meshlint]`` in pyproject.toml,
found by walking up from the working directory, no further than the repository root (the first
directory holding ``.git``): a file above the repository is not the repository's to trust.

Keys (kebab- or snake_case): ``select``, ``ignore``, ``per-path-ignores``
(glob -> codes), ``severity`` (code or name -> error|warning|info), ``fail-on``,
``root-namespace``, ``namespaces`` (path glob -> the namespace of objects written without one).
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .model import Severity

CONFIG_FILE = ".meshlint.yaml"
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


class ConfigError(Exception):
    """A configuration file that cannot be used; the CLI exits 2 with this message."""


@dataclass(frozen=True)
class Config:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_path_ignores: dict[str, tuple[str, ...]] = field(default_factory=dict)
    severity: dict[str, Severity] = field(default_factory=dict)
    fail_on: Severity | None = None
    root_namespace: str | None = None
    namespaces: tuple[tuple[str, str], ...] = ()  # path glob -> namespace of objects written without one
    source: str | None = None
    searched: str = ""  # the directories looked in, for -v


def find_config(start: Path | None = None) -> Config:
    start = (start or Path.cwd()).resolve()
    d = start
    for d in (start, *start.parents):
        candidate = d / CONFIG_FILE
        if candidate.exists() or candidate.is_symlink():  # not only a regular file: a FIFO there is an error, not skipped
            return _from_mapping(_read_yaml(candidate), str(candidate))
        pyproject = d / "pyproject.toml"
        if pyproject.is_file():
            section = _read_pyproject(pyproject)
            if section is not None:
                return _from_mapping(section, f"{pyproject} [tool.meshlint]")
        if (d / ".git").exists():
            break  # the repository root
    return Config(searched=f"{start} up to {d}" if d != start else str(start))


def read_config(path: Path) -> Config:
    """One configuration file named explicitly: ``pyproject.toml`` (its ``[tool.meshlint]``) or a
    ``.meshlint.yaml`` under any name. ``find_config`` searches; this reads the one given."""
    if path.name == "pyproject.toml":
        return _from_mapping(_read_pyproject(path) or {}, f"{path} [tool.meshlint]")
    return _from_mapping(_read_yaml(path), str(path))


MAX_CONFIG_BYTES = 1 << 20


def _read_text(path: Path) -> str:
    """A configuration file's text, read as inputs are (a regular file, opened without blocking,
    bounded size): a hostile file above or in the repository costs no more than an input."""
    from .loader import read_regular

    try:
        data = read_regular(str(path), MAX_CONFIG_BYTES)
    except OSError as e:
        raise ConfigError(f"{path}: cannot read configuration: {e.strerror or e}") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path}: cannot read configuration: larger than {MAX_CONFIG_BYTES} bytes")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: cannot read configuration: not UTF-8 (byte {e.start})") from None


def _read_yaml(path: Path) -> Any:
    """The configuration, read as inputs are (``_read_text``; aliases budgeted, depth bounded)."""
    from .loader import load_data

    values, problems = load_data(_read_text(path))
    if problems:
        from .registry import all_rules

        p = problems[0]
        rule = all_rules().get(p.code)
        what = rule.format(p.message, p.params) if rule is not None else p.code
        raise ConfigError(f"{path}:{p.line}:{p.column}: cannot read configuration: {p.code} {what}")
    if len(values) > 1:
        raise ConfigError(f"{path}: cannot read configuration: it holds {len(values)} YAML documents, not one")
    return (values[0] if values else None) or {}


def _read_pyproject(path: Path) -> Any:
    """``[tool.meshlint]`` of a pyproject.toml (None when it has none), read with the limits of
    ``.meshlint.yaml`` (``_read_text``; TOML has no aliases; nesting too deep for the parser is an error)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    text = _read_text(path)
    try:
        data = tomllib.loads(text)
    except ValueError as e:
        raise ConfigError(f"{path}: cannot read configuration: {e}") from None
    except RecursionError:
        raise ConfigError(f"{path}: cannot read configuration: nested too deeply") from None
    tool = data.get("tool")
    return tool.get("meshlint") if isinstance(tool, dict) else None


def _from_mapping(data: Any, source: str) -> Config:
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: configuration must be a mapping")
    norm = {str(k).replace("_", "-"): v for k, v in data.items()}
    known = {"select", "ignore", "per-path-ignores", "severity", "fail-on", "root-namespace", "namespaces"}
    unknown = sorted(set(norm) - known)
    if unknown:
        raise ConfigError(f"{source}: unknown configuration key(s): {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    try:
        return Config(
            select=_codes(norm.get("select")),
            ignore=_codes(norm.get("ignore")),
            per_path_ignores={str(k): _codes(v) for k, v in (norm.get("per-path-ignores") or {}).items()},
            severity={str(k): Severity.parse(v) for k, v in (norm.get("severity") or {}).items()},
            fail_on=Severity.parse(norm["fail-on"]) if norm.get("fail-on") else None,
            root_namespace=str(norm["root-namespace"]) if norm.get("root-namespace") else None,
            namespaces=_namespaces(norm.get("namespaces")),
            source=source,
        )
    except (ValueError, AttributeError, TypeError) as e:
        raise ConfigError(f"{source}: {e}") from None


def _namespaces(v: Any) -> tuple[tuple[str, str], ...]:
    """``namespaces: {"tutorial/**": tutorial, ...}``: path globs to namespaces, in file order."""
    if v is None:
        return ()
    if not isinstance(v, dict):
        raise ValueError(f"namespaces: expected a mapping of path globs to namespaces, got {type(v).__name__}")  # noqa: TRY004  (a config error)
    out = []
    for glob, ns in v.items():
        if not isinstance(ns, str) or not _DNS_LABEL.match(ns):
            raise ValueError(f"namespaces: {glob!r}: {ns!r} is not a namespace name (lowercase letters, digits and '-', at most 63)")
        out.append((str(glob), ns))
    return tuple(out)


def _codes(v: Any) -> tuple[str, ...]:
    if v is None:
        return ()
    if isinstance(v, str):
        return tuple(t.strip() for t in v.split(",") if t.strip())
    if isinstance(v, list):
        return tuple(str(t).strip() for t in v if str(t).strip())
    raise ValueError(f"expected a list of codes, got {v!r}")
