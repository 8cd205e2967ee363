"""The rule catalogue: codes, names, severities, message templates and docs, as data.

It lives in the repository's top-level ``rules/`` (one YAML file per code) and is
shipped inside the wheel as ``meshlint/_catalogue``.
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

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
    for path in sorted(catalogue_dir().glob("*.yaml")):
        with open(path, "rb") as fh:
            entry = yaml.load(fh, Loader=yaml.CSafeLoader)
        entry["_file"] = path.name
        entries[entry["code"]] = entry
    return dict(sorted(entries.items()))
