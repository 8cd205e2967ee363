"""Fixes are data. A rule attaches a :class:`Fix` to a Violation; the conversion engine
(``meshlint.convert``) is the only code that applies fixes, and it preserves formatting.

Every path is a JSON Pointer relative to the resource (the same pointers rules report),
so the same fix applies to a standalone document and to an item of a ``kind: List``.

Operations, applied in order:

- ``SetValue(path, value)``: set the value at ``path``; creates missing parent mappings.
  An existing key keeps its position, comments and style.
- ``Remove(path)``: delete a mapping key or sequence item (and an emptied parent mapping
  when ``prune_empty`` is set).
- ``RenameKey(path, new_key)``: rename the last token of ``path`` in place (same position,
  same value, same comments).
- ``MergeMapping(path, value)``: merge a mapping into the mapping at ``path`` (created if
  missing); existing keys win unless ``overwrite``; nested mappings merge recursively and
  sequences are extended. Used to fold deprecated fields into an existing ``headers`` block
  without overwriting it.
- ``MoveKey(path, new_path, value=...)``: remove ``path`` and put ``value`` (default: the old
  value) at ``new_path``, at the old key's position when both share a parent mapping.
- ``ReplaceResource(objects)``: replace the whole resource with zero or more new objects
  (plain dicts), written as new YAML documents at the same place (used by Policy → beta
  security API conversions).
- ``ExtraFile(name, objects, note)``: write additional manifests next to the converted output
  (under ``--out``), e.g. generated gateway Deployments or draft AuthorizationPolicies.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SetValue:
    path: str
    value: Any


@dataclass(frozen=True)
class Remove:
    path: str
    prune_empty: bool = False


@dataclass(frozen=True)
class RenameKey:
    path: str
    new_key: str


@dataclass(frozen=True)
class MergeMapping:
    path: str
    value: dict
    overwrite: bool = False


_KEEP = object()


@dataclass(frozen=True)
class MoveKey:
    path: str
    new_path: str
    value: Any = _KEEP

    @property
    def keeps_value(self) -> bool:
        return self.value is _KEEP


@dataclass(frozen=True)
class ReplaceResource:
    objects: tuple[dict, ...]


@dataclass(frozen=True)
class ExtraFile:
    name: str
    objects: tuple[dict, ...]
    note: str = ""


Operation = SetValue | Remove | RenameKey | MergeMapping | MoveKey | ReplaceResource | ExtraFile


@dataclass(frozen=True)
class Fix:
    """A described change to one resource: what to tell the user, and the operations."""

    description: str
    ops: tuple[Operation, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ops", tuple(self.ops))

    @property
    def resolves(self) -> bool:
        """Applying it makes the finding go away: it changes the resource. A fix that only
        generates files (a replacement gateway, a draft policy) leaves the finding for the
        manual step it prepares."""
        return any(not isinstance(op, ExtraFile) for op in self.ops)

    @property
    def replaces(self) -> bool:
        return any(isinstance(op, ReplaceResource) for op in self.ops)
