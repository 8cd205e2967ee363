"""The rule catalogue: codes, names, severities, message templates and docs, as data.

It lives in the repository's top-level ``rules/`` (one YAML file per code) and is
shipped inside the wheel as ``meshlint/_catalogue``.
"""
from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from .model import Rule

AREAS = ("input", "core", "traffic", "authn", "rbac", "envoyfilter", "cacerts", "mixer", "gateway", "namespace", "install", "schema", "meta")


def catalogue_dir() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here / "_catalogue", here.parent / "rules"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("meshlint's rule catalogue is missing from this installation")


@functools.lru_cache(maxsize=1)
def load_catalogue() -> dict[str, dict[str, Any]]:
    """Every catalogue entry by code, in code order."""
    entries: dict[str, dict[str, Any]] = {}
    for name in catalogue_files().values():
        entry = _parse(name)
        entries[entry["code"]] = entry
    return dict(sorted(entries.items()))


@functools.lru_cache(maxsize=1)
def catalogue_files() -> dict[str, str]:
    """Every catalogue file's name by code, in code order, from a directory listing: the files are
    named ``CODE-name.yaml`` (tests/test_meta.py), so the code and the rule's name are known
    without parsing anything."""
    folder = catalogue_dir()
    return dict(sorted((n.split("-", 1)[0], n) for n in os.listdir(folder) if n.endswith(".yaml") and "-" in n))


@functools.cache
def entry(code: str) -> dict[str, Any]:
    """One code's catalogue entry, parsed on first use (a run parses only the entries it reports on)."""
    return load_catalogue()[code] if load_catalogue.cache_info().currsize else _parse(catalogue_files()[code])


def _parse(file_name: str) -> dict[str, Any]:
    with open(catalogue_dir() / file_name, "rb") as fh:
        parsed: dict[str, Any] = yaml.load(fh, Loader=yaml.CSafeLoader)
    parsed["_file"] = file_name
    return parsed


class CatalogueRule(Rule):
    """A built-in rule whose catalogue fields (severity, summary, messages, docs, ...) are read from its
    catalogue entry on first use: what a run needs up front (code, name, what the module declares)
    is known without parsing the catalogue, so a run parses only the entries of rules that report.

    ``complete()`` builds the whole :class:`Rule` from the entry. Given every field instead (as
    ``dataclasses.replace`` does), it is a complete rule at once."""

    def __init__(self, code: str, name: str, complete: Callable[[], Rule] | None = None, **fields: Any) -> None:
        if complete is None:
            Rule.__init__(self, code=code, name=name, **fields)
            return
        object.__setattr__(self, "code", code)
        object.__setattr__(self, "name", name)
        for key, value in fields.items():
            object.__setattr__(self, key, value)
        object.__setattr__(self, "_complete", complete)

    def __getattr__(self, attr: str) -> Any:  # only for fields not set yet: the catalogue's
        complete = self.__dict__.get("_complete")
        if complete is None or attr.startswith("__"):
            raise AttributeError(attr)
        rule = complete()
        for f in dataclasses.fields(Rule):
            if f.name not in self.__dict__:
                object.__setattr__(self, f.name, getattr(rule, f.name))
        object.__setattr__(self, "_complete", None)
        return object.__getattribute__(self, attr)
