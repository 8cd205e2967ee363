"""Helpers shared by the CI reporters: repository-relative paths and stable fingerprints."""
from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Iterable
from typing import Any

from ..model import Finding, Severity
from ..paths import repo_root


@functools.cache
def relative_uri(path: str) -> str:
    if path == "-":
        return "stdin"
    rel = os.path.relpath(os.path.realpath(path), repo_root())
    return rel.replace(os.sep, "/")


def identity_key(f: Finding) -> str:
    """Rule, resource identity and field path (never a line number); file-level findings use the file."""
    if f.resource is not None:
        r = f.resource
        return "|".join(str(x) for x in (f.code, r.api_version, r.kind, r.namespace, r.name, f.path))
    return "|".join((f.code, relative_uri(f.file), f.message))


def fingerprint(f: Finding) -> str:
    return hashlib.sha256((relative_uri(f.file) + "|" + identity_key(f)).encode("utf-8")).hexdigest()


LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


ITEMS = "\x00meshlint-items\x00"  # put this where the document's one large array goes


def encode_with_items(doc: Any, items: Iterable[Any], separator: str = ",") -> str:
    """Compact JSON of ``doc`` with the value ``ITEMS`` replaced by the array of ``items``, each
    encoded on its own: a report with many findings never holds all of them as dicts at once
    (and json's C encoder only runs without indentation)."""
    enc = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    head, tail = enc(doc).split(enc(ITEMS), 1)
    parts = [head, "["]
    for i, item in enumerate(items):
        if i:
            parts.append(separator)
        parts.append(enc(item))
    parts += ["]", tail, "\n"]
    return "".join(parts)
