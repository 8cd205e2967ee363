"""Small YAML data files on disk that are not inputs (a kustomization), and YAML held in an input's
values (a mesh config string in a ConfigMap): read the one way inputs are read, under the same
bounds (a regular file opened without blocking, a size cap, alias work budgeted by size, depth
bounded, duplicate keys refused). What cannot be read within them is ``None``: the caller treats it
as a file it could not parse, as it did a YAML error."""
from __future__ import annotations

from typing import Any

from .loader import load_data, read_regular

MAX_DATA_FILE_BYTES = 1 << 20  # a kustomization is a few kilobytes


def read_data_file(path: str, limit: int = MAX_DATA_FILE_BYTES) -> Any:
    """The one YAML document of the file at ``path``; None when it is not a readable regular file of
    at most ``limit`` bytes holding exactly one document that loads within the bounds."""
    try:
        data = read_regular(path, limit)
    except OSError:
        return None
    if len(data) > limit:
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    return load_text_data(text)


def load_text_data(text: str) -> Any:
    """The one YAML document of ``text``, loaded as inputs are; None when it holds more or fewer
    documents, or a problem (syntax, alias budget, depth, duplicate key)."""
    values, problems = load_data(text)
    return values[0] if len(values) == 1 and not problems else None
