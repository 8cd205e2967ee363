"""Fixes are data. A rule attaches a :class:`Fix` to a Violation; the conversion engine
(``meshlint.convert``) is the only code that applies fixes, and it preserves formatting.

Every path is a JSON Pointer relative to the resource (the same pointers rules report),
so the same fix applies to a standalone document and to an item of a ``kind: List``.

Operations, applied in order (each field edit carries its text edit and its data edit,
``edit_text`` and ``edit_data``; ``convert`` applies one after the other):

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

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .model import escape_pointer_token, split_pointer, value_at

if TYPE_CHECKING:
    from .textedit import ResourceText

# Each operation that edits fields of a resource carries both of its halves, side by side:
# ``edit_text`` makes the change in the YAML text (through :class:`meshlint.textedit.ResourceText`,
# which keeps every other byte), ``edit_data`` makes it in the plain data (what the text must
# hold afterwards; the engine re-reads the text and compares). ``convert`` applies them in one
# loop: ``op.edit_text(target, body)`` then ``op.edit_data(body)``, ``body`` being the data
# before the operation.


@dataclass(frozen=True)
class SetValue:
    path: str
    value: Any

    def edit_text(self, target: ResourceText, before: Any) -> None:
        target.set_value(self.path, self.value)

    def edit_data(self, body: Any) -> None:
        tokens = split_pointer(self.path)
        _put(_parent(body, tokens, create=True), tokens[-1], copy.deepcopy(self.value))


@dataclass(frozen=True)
class Remove:
    path: str
    prune_empty: bool = False

    def edit_text(self, target: ResourceText, before: Any) -> None:
        target.remove(self.path)
        parent = "/".join(self.path.split("/")[:-1])
        if self.prune_empty and target.is_empty(parent) and parent:
            target.remove(parent)

    def edit_data(self, body: Any) -> None:
        tokens = split_pointer(self.path)
        parent = _parent(body, tokens, create=False)
        if isinstance(parent, dict):
            parent.pop(tokens[-1], None)
        elif isinstance(parent, list) and tokens[-1].isdigit() and int(tokens[-1]) < len(parent):
            del parent[int(tokens[-1])]
        if self.prune_empty and len(tokens) > 1 and parent == {}:
            grand = _parent(body, tokens[:-1], create=False)
            if isinstance(grand, dict):
                grand.pop(tokens[-2], None)


@dataclass(frozen=True)
class RenameKey:
    path: str
    new_key: str

    def edit_text(self, target: ResourceText, before: Any) -> None:
        target.rename_key(self.path, self.new_key)

    def edit_data(self, body: Any) -> None:
        tokens = split_pointer(self.path)
        parent = _parent(body, tokens, create=False)
        if isinstance(parent, dict) and tokens[-1] in parent:
            items = [(self.new_key if k == tokens[-1] else k, v) for k, v in parent.items()]
            parent.clear()
            parent.update(items)


@dataclass(frozen=True)
class MergeMapping:
    path: str
    value: dict[str, Any]
    overwrite: bool = False

    def edit_text(self, target: ResourceText, before: Any) -> None:
        _merge_text(target, self.path, self.value, self.overwrite, before)

    def edit_data(self, body: Any) -> None:
        tokens = split_pointer(self.path)
        parent = _parent(body, tokens, create=True)
        current = parent.get(tokens[-1]) if isinstance(parent, dict) else None
        _put(parent, tokens[-1], _merge(current if isinstance(current, dict) else {}, self.value, self.overwrite))


_KEEP = object()


@dataclass(frozen=True)
class MoveKey:
    path: str
    new_path: str
    value: Any = _KEEP

    @property
    def keeps_value(self) -> bool:
        return self.value is _KEEP

    def edit_text(self, target: ResourceText, before: Any) -> None:
        value = value_at(before, self.path) if self.keeps_value else self.value
        if self.path.rsplit("/", 1)[0] == self.new_path.rsplit("/", 1)[0]:
            target.replace_entry(self.path, split_pointer(self.new_path)[-1], value)
        else:
            target.remove(self.path)
            target.set_value(self.new_path, value)

    def edit_data(self, body: Any) -> None:
        value = value_at(body, self.path) if self.keeps_value else self.value
        Remove(self.path).edit_data(body)
        SetValue(self.new_path, value).edit_data(body)


@dataclass(frozen=True)
class ReplaceResource:
    objects: tuple[dict[str, Any], ...]

    def new_objects(self) -> list[dict[str, Any]]:
        """The objects that take the resource's place (copies); the text edit is
        ``ResourceText.replace_resource`` with them."""
        return [copy.deepcopy(o) for o in self.objects]


@dataclass(frozen=True)
class ExtraFile:
    name: str
    objects: tuple[dict[str, Any], ...]
    note: str = ""


FieldEdit = SetValue | Remove | RenameKey | MergeMapping | MoveKey
Operation = FieldEdit | ReplaceResource | ExtraFile


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


# --------------------------------------------------------------------------- the halves' helpers

def present(body: Any, ptr: str) -> bool:
    """Whether ``ptr`` names a key that is there (through mappings only; a null value counts)."""
    node = body
    for t in split_pointer(ptr):
        if not isinstance(node, dict) or t not in node:
            return False
        node = node[t]
    return True


def _merge_text(target: ResourceText, path: str, value: dict[str, Any], overwrite: bool, before: Any) -> None:
    """MergeMapping's text edit, key by key (``before``: the resource's data before the merge)."""
    if not target.exists(path):
        target.set_value(path, value)
        return
    if not target.is_mapping(path):
        if not overwrite:
            from .textedit import EditError

            raise EditError(f"{path} is not a mapping; cannot merge into it")
        target.set_value(path, value)
        return
    for k, v in value.items():
        child = f"{path}/{escape_pointer_token(k)}"
        current = value_at(before, child)
        if current is None and not present(before, child):
            target.set_value(child, v)
        elif isinstance(v, dict) and isinstance(current, dict):
            _merge_text(target, child, v, overwrite, before)
        elif isinstance(v, list) and isinstance(current, list):
            target.set_value(child, current + [x for x in v if x not in current])
        elif overwrite:
            target.set_value(child, v)


def _parent(body: Any, tokens: list[str], create: bool) -> Any:
    node = body
    for t in tokens[:-1]:
        if isinstance(node, dict):
            if t not in node or not isinstance(node[t], (dict, list)):
                if not create:
                    return None
                if t.isdigit():
                    from .textedit import EditError

                    raise EditError(f"{'/'.join(tokens)}: no such list item to change")
                node[t] = {}
            node = node[t]
        elif isinstance(node, list) and t.isdigit() and int(t) < len(node):
            node = node[int(t)]
        else:
            return None
    return node


def _put(parent: Any, key: str, value: Any) -> None:
    if isinstance(parent, dict):
        parent[key] = value
    elif isinstance(parent, list) and key.isdigit() and int(key) < len(parent):
        parent[int(key)] = value


def _merge(current: dict[str, Any], value: dict[str, Any], overwrite: bool) -> dict[str, Any]:
    out = copy.deepcopy(current)
    for k, v in value.items():
        if k not in out:
            out[k] = copy.deepcopy(v)
        elif isinstance(out[k], dict) and isinstance(v, dict):
            out[k] = _merge(out[k], v, overwrite)
        elif isinstance(out[k], list) and isinstance(v, list):
            out[k] = out[k] + [x for x in v if x not in out[k]]
        elif overwrite:
            out[k] = copy.deepcopy(v)
    return out
