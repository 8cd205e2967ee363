"""Surgical edits of YAML text: every byte outside the edited fields stays as it was.

Positions come from libyaml node marks (``loader.compose_positions``). A :class:`Document`
holds one document's text and its node tree, composed again only after an edit changed the
text, so marks are always fresh; :class:`ResourceText` is the edits that the operations of
:mod:`meshlint.fixes` are made of. New values are
emitted in block style with the document's own mapping indent and sequence style;
a flow-style parent (``{a: 1}``) is re-emitted in flow style.

All functions work on LF text; the conversion engine restores CRLF afterwards.
"""
from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, cast

import yaml

from .model import split_pointer

if TYPE_CHECKING:
    from .list_items import ItemText, ListItems


class EditError(Exception):
    """An edit that cannot be made exactly; the caller leaves the file unchanged."""


# --------------------------------------------------------------------------- navigation

def compose_documents(text: str) -> list[yaml.Node]:
    """Every document's node tree, with marks (no tag resolution: edits need positions only)."""
    from .loader import compose_positions

    return compose_positions(text)


def document_spans(text: str) -> list[tuple[int, int]]:
    """[start, end) of every document's text: each slice composes on its own to that one
    document (YAML documents share nothing, not even anchors), so an edit composes only the
    document it changes. Slices touch: together they are the whole text."""
    from .loader import PositionComposer

    parser = PositionComposer(text)
    starts: list[int] = []
    try:
        while True:
            event = parser.get_event()
            if isinstance(event, yaml.DocumentStartEvent) and event.start_mark is not None:
                starts.append(event.start_mark.index)
            elif isinstance(event, yaml.StreamEndEvent):
                break
    finally:
        parser.dispose()
    if not starts:
        return []
    bounds = [0] + starts[1:] + [len(text)]
    return list(itertools.pairwise(bounds))


def _entry(node: yaml.Node, token: str) -> tuple[yaml.Node | None, yaml.Node | None]:
    """(key node, value node) of a mapping entry, or (None, item) for a sequence index."""
    if isinstance(node, yaml.MappingNode):
        for k, v in reversed(node.value):
            if isinstance(k, yaml.ScalarNode) and k.value == token:
                return k, v
        return None, None
    if isinstance(node, yaml.SequenceNode) and token.isdigit() and int(token) < len(node.value):
        return None, node.value[int(token)]
    return None, None


def walk(root: yaml.Node, tokens: list[str]) -> list[tuple[yaml.Node | None, yaml.Node]]:
    """The chain of (key, node) from the root along ``tokens`` as far as it exists."""
    chain: list[tuple[yaml.Node | None, yaml.Node]] = [(None, root)]
    for t in tokens:
        k, v = _entry(chain[-1][1], t)
        if v is None:
            break
        chain.append((k, v))
    return chain


# --------------------------------------------------------------------------- text geometry

def _line_start(text: str, i: int) -> int:
    return text.rfind("\n", 0, i) + 1


def _line_end(text: str, i: int) -> int:
    """Index just after the newline ending the line that contains ``i``."""
    j = text.find("\n", i)
    return len(text) if j < 0 else j + 1


def _last_index(node: yaml.Node) -> int:
    """End of the last token inside ``node`` (block collections' end marks run too far)."""
    if isinstance(node, yaml.ScalarNode) or getattr(node, "flow_style", False):
        return node.end_mark.index
    items = node.value if isinstance(node, yaml.SequenceNode) else [x for kv in node.value for x in kv]
    if not items:
        return node.end_mark.index
    return max(_last_index(x) for x in items)


def _entry_span(text: str, key: yaml.Node | None, value: yaml.Node) -> tuple[int, int]:
    """[start, end) of whole lines holding a block entry (key and value, or a sequence item)."""
    first = key if key is not None else value
    start = _line_start(text, first.start_mark.index)
    end_idx = _last_index(value)
    if isinstance(value, yaml.ScalarNode) and value.style in ("|", ">"):
        end = end_idx if end_idx > 0 and text[end_idx - 1] == "\n" else _line_end(text, end_idx)
    else:
        end = _line_end(text, max(end_idx - 1, first.start_mark.index))
    return start, end


def entry_bounds(text: str, node: yaml.Node) -> tuple[int, int]:
    """[start, end) of the whole lines holding ``node`` (a document's root, a sequence item)."""
    return _entry_span(text, None, node)


# --------------------------------------------------------------------------- emitting

class _Dumper(yaml.SafeDumper):
    indent_sequences = False

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False if self.indent_sequences else indentless)


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _represent_str)


_Dumper.ignore_aliases = lambda self, data: True  # type: ignore[method-assign]


class Style:
    """How a document indents: mapping indent and whether sequences are indented under their key."""

    def __init__(self, indent: int = 2, indent_sequences: bool = False):
        self.indent = indent
        self.indent_sequences = indent_sequences

    @classmethod
    def of(cls, root: yaml.Node) -> Style:
        return cls.settled(root, frozenset()) or cls()

    @classmethod
    def settled(cls, root: yaml.Node, unread: frozenset[int]) -> Style | None:
        """The style, or None when finding it would look into a node whose id is in ``unread``
        (a List's items: their text changes while the style is in use)."""
        indent, seq = None, None
        stack = [root]
        while stack and (indent is None or seq is None):
            node = stack.pop()
            if id(node) in unread:
                return None
            for found_indent, found_seq, child in _evidence(node):
                indent = found_indent if indent is None else indent
                seq = found_seq if seq is None else seq
                stack.append(child)
        return cls(indent if indent and indent > 0 else 2, bool(seq))

    @classmethod
    def uniform(cls, root: yaml.Node, items: list[yaml.Node]) -> Style | None:
        """The style of a List that shows one style everywhere, when what lies outside its items and
        its first item (the last one its conversion edits) show it on their own; else None.

        Then the style is the same whichever node :meth:`settled` reads it from, and stays so while
        the items are edited last to first: an edit writes in this style, and until the last edit
        the first item, unedited, still shows it."""
        indents: set[int] = set()
        seqs: set[bool] = set()
        shown = [False, False]  # by what stays unedited until the last edit
        later = frozenset(id(item) for item in items[1:])
        stack: list[tuple[yaml.Node, bool]] = [(root, True)]
        while stack:
            node, stays = stack.pop()
            for found_indent, found_seq, child in _evidence(node):
                indents |= set() if found_indent is None else {found_indent}
                seqs |= set() if found_seq is None else {found_seq}
                shown[0] = shown[0] or (stays and found_indent is not None)
                shown[1] = shown[1] or (stays and found_seq is not None)
                stack.append((child, stays and id(child) not in later))
        if len(indents) > 1 or len(seqs) > 1 or any(i <= 0 for i in indents):
            return None
        if (indents and not shown[0]) or (seqs and not shown[1]):
            return None
        return cls(next(iter(indents), 2), next(iter(seqs), False))


def _evidence(node: yaml.Node) -> Iterator[tuple[int | None, bool | None, yaml.Node]]:
    """Each child of ``node``, with what its layout says of the document's style: the mapping indent
    of a block mapping on the line after its key, and whether a block sequence on the line after
    its key is indented under it."""
    if isinstance(node, yaml.MappingNode) and not node.flow_style:
        for k, v in node.value:
            below = (isinstance(v, (yaml.MappingNode, yaml.SequenceNode)) and bool(v.value) and not v.flow_style
                     and v.start_mark.line > k.start_mark.line)
            indent = v.start_mark.column - k.start_mark.column if below and isinstance(v, yaml.MappingNode) else None
            seq = v.start_mark.column > k.start_mark.column if below and isinstance(v, yaml.SequenceNode) else None
            yield indent, seq, v
    elif isinstance(node, yaml.SequenceNode):
        for v in node.value:
            yield None, None, v


def dump_block(value: Any, style: Style) -> str:
    """``value`` as block YAML at column 0 (ends with a newline)."""
    dumper_cls = type("D", (_Dumper,), {"indent_sequences": style.indent_sequences})
    return yaml.dump(value, Dumper=dumper_cls, default_flow_style=False, sort_keys=False, allow_unicode=True, width=1 << 30, indent=style.indent)


def dump_flow(value: Any) -> str:
    """``value`` in flow style on one line (a scalar without a document end marker)."""
    text = yaml.dump([value], Dumper=_Dumper, default_flow_style=True, sort_keys=False, allow_unicode=True, width=1 << 30).strip()
    return text[1:-1]


def _indent_lines(block: str, col: int) -> str:
    pad = " " * col
    return "".join(pad + line if line.strip() else line for line in block.splitlines(keepends=True))


def _entry_text(key: str, value: Any, col: int, style: Style) -> str:
    return _indent_lines(dump_block({key: value}, style), col)


def _scalar_text(value: Any, like: yaml.ScalarNode | None) -> str:
    """A scalar in the quoting style of the one it replaces."""
    if isinstance(value, str) and like is not None and like.style == "'":
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, str) and like is not None and like.style == '"':
        return json.dumps(value, ensure_ascii=False)
    return dump_flow(value)


# --------------------------------------------------------------------------- operations

def _child_column(text: str, mapping: yaml.MappingNode, parent_key: yaml.Node | None, style: Style) -> int:
    if mapping.value:
        return int(mapping.value[0][0].start_mark.column)
    base = parent_key.start_mark.column if parent_key is not None else 0
    return base + style.indent


def _mapping_entry_bounds(text: str, parent: yaml.MappingNode, key: yaml.Node, value: yaml.Node) -> tuple[int, int, bool]:
    """[start, end) to delete for a block mapping entry, and whether it starts mid-line
    (the first key of a sequence item, right after its ``- ``)."""
    ls = _line_start(text, key.start_mark.index)
    if not text[ls:key.start_mark.index].strip():
        start, end = _entry_span(text, key, value)
        return start, end, False
    keys = [k for k, _ in parent.value]
    i = next(n for n, k in enumerate(keys) if k is key)
    if i + 1 < len(keys):
        return key.start_mark.index, keys[i + 1].start_mark.index, True
    return key.start_mark.index, _entry_span(text, key, value)[1] - 1, True


def remove(text: str, root: yaml.Node, ptr: str) -> str:
    tokens = split_pointer(ptr)
    chain = walk(root, tokens)
    if len(chain) != len(tokens) + 1:
        return text  # already absent
    parent = chain[-2][1]
    key, value = chain[-1]
    if getattr(parent, "flow_style", False):
        return _rewrite_flow(text, root, tokens[:-1], lambda v: _without(v, tokens[-1]))
    if isinstance(parent, yaml.MappingNode) and key is not None:
        start, end, midline = _mapping_entry_bounds(text, parent, key, value)
        only = midline and parent.value[-1][0] is key and parent.value[0][0] is key
        return text[:start] + ("{}" if only else "") + text[end:]
    start, end = _entry_span(text, key, value)
    return text[:start] + text[end:]


def _without(v: Any, token: str) -> Any:
    if isinstance(v, dict):
        v = dict(v)
        v.pop(token, None)
    elif isinstance(v, list) and token.isdigit():
        v = list(v)
        del v[int(token)]
    return v


def rename_key(text: str, root: yaml.Node, ptr: str, new_key: str) -> str:
    tokens = split_pointer(ptr)
    chain = walk(root, tokens)
    if len(chain) != len(tokens) + 1 or chain[-1][0] is None:
        raise EditError(f"no key at {ptr}")
    key = chain[-1][0]
    return text[: key.start_mark.index] + new_key + text[key.end_mark.index:]


def set_value(text: str, root: yaml.Node, ptr: str, value: Any, position: int | None = None, style: Style | None = None) -> str:
    """Set (or create, with missing parents) the value at ``ptr``. ``position``: insert a new
    key at this text index (a line start) instead of after the parent's last entry. ``style``:
    the document's, when ``root`` is not the whole document."""
    tokens = split_pointer(ptr)
    chain = walk(root, tokens)
    style = style or Style.of(root)
    if len(chain) == len(tokens) + 1:  # exists: replace
        key, node = chain[-1]
        parent = chain[-2][1]
        if getattr(parent, "flow_style", False):
            return _rewrite_flow(text, root, tokens[:-1], lambda v: _with(v, tokens[-1], value))
        if isinstance(node, yaml.ScalarNode) and not isinstance(value, (dict, list)) and node.style not in ("|", ">"):
            return text[: node.start_mark.index] + _scalar_text(value, node) + text[node.end_mark.index:]
        if getattr(node, "flow_style", False):
            return text[: node.start_mark.index] + dump_flow(value) + text[node.end_mark.index:]
        if key is None:
            raise EditError(f"cannot replace sequence item {ptr} in place")
        start, end = _entry_span(text, key, node)
        return text[:start] + _entry_text(tokens[-1], value, key.start_mark.column, style) + text[end:]
    # create: the deepest existing node must be a mapping
    depth = len(chain) - 1
    parent_key, parent = chain[-1]
    nested: Any = value
    for t in reversed(tokens[depth + 1:]):
        nested = {t: nested}
    new_key = tokens[depth]
    if not isinstance(parent, yaml.MappingNode):
        raise EditError(f"cannot create {ptr}: {'/'.join(tokens[:depth]) or 'the root'} is not a mapping")
    if parent.flow_style:
        return _rewrite_flow(text, root, tokens[:depth], lambda v: _with(v, new_key, nested))
    if not parent.value and parent_key is not None and parent.start_mark.line == parent_key.start_mark.line:
        raise EditError(f"cannot create {ptr} inside an empty inline mapping")
    col = _child_column(text, parent, parent_key, style)
    entry = _entry_text(new_key, nested, col, style)
    if position is None:
        if parent.value:
            k, v = parent.value[-1]
            position = _entry_span(text, k, v)[1]
        else:
            position = _line_end(text, parent.start_mark.index)
    ls = _line_start(text, position)
    if position > ls and text[ls:position].strip():
        # right after a sequence item's "- ": the entry takes the dash's line and the
        # key that followed moves to the next line, at the same column
        entry = entry.lstrip(" ")
        rest = text[position:]
        return text[:position] + entry + (" " * col if rest.strip() and not rest.startswith("\n") else "") + rest
    if position > 0 and text[position - 1] != "\n":
        entry = "\n" + entry
    return text[:position] + entry + text[position:]


def _with(v: Any, token: str, value: Any) -> Any:
    if isinstance(v, dict):
        v = dict(v)
        v[token] = value
    elif isinstance(v, list) and token.isdigit():
        v = list(v)
        v[int(token)] = value
    return v


def replace_entry(text: str, root: yaml.Node, ptr: str, new_key: str, value: Any, style: Style | None = None) -> str:
    """Replace a mapping entry by ``new_key: value`` at the same place (key order kept)."""
    tokens = split_pointer(ptr)
    chain = walk(root, tokens)
    key, node = chain[-1]
    if len(chain) != len(tokens) + 1 or key is None:
        raise EditError(f"no key at {ptr}")
    parent = chain[-2][1]
    if getattr(parent, "flow_style", False):
        return _rewrite_flow(text, root, tokens[:-1], lambda v: {(new_key if k == tokens[-1] else k): (value if k == tokens[-1] else x) for k, x in v.items()})
    start, end = _entry_span(text, key, node)
    entry = _keep_comment(_entry_text(new_key, value, key.start_mark.column, style or Style.of(root)), text, key, node)
    if text[_line_start(text, key.start_mark.index):key.start_mark.index].strip():  # "- key:" starts a sequence item
        return text[: key.start_mark.index] + entry.lstrip(" ") + text[end:]
    return text[:start] + entry + text[end:]


def _keep_comment(entry: str, text: str, key: yaml.Node, node: yaml.Node) -> str:
    """Carry a comment at the end of the replaced key's line over to the new key's line."""
    line_end = text.find("\n", key.start_mark.index)
    line_end = len(text) if line_end < 0 else line_end
    after = node.end_mark.index if isinstance(node, yaml.ScalarNode) and node.start_mark.line == key.start_mark.line else key.end_mark.index
    tail = text[after:line_end]
    hash_at = tail.find(" #")
    if hash_at < 0 or "#" in tail[:hash_at]:
        return entry
    comment = tail[hash_at:].rstrip()
    first, nl, rest = entry.partition("\n")
    return first + comment + nl + rest


def entry_start(text: str, root: yaml.Node, ptr: str) -> int | None:
    """Where an existing mapping entry starts: a replacement key is inserted there."""
    tokens = split_pointer(ptr)
    chain = walk(root, tokens)
    if len(chain) != len(tokens) + 1:
        return None
    key, value = chain[-1]
    parent = chain[-2][1]
    if getattr(parent, "flow_style", False) or key is None or not isinstance(parent, yaml.MappingNode):
        return None
    return _mapping_entry_bounds(text, parent, key, value)[0]


def _rewrite_flow(text: str, root: yaml.Node, tokens: list[str], change: Callable[[Any], Any]) -> str:
    """Re-emit a flow collection with ``change`` applied to its value."""
    chain = walk(root, tokens)
    node = chain[-1][1]
    # the node's current value, built safely from its own text
    current = yaml.load(text[node.start_mark.index: node.end_mark.index], Loader=yaml.CSafeLoader)
    return text[: node.start_mark.index] + dump_flow(change(current)) + text[node.end_mark.index:]


def replace_node_with_documents(text: str, node: yaml.Node, objects: list[dict[str, Any]], style: Style) -> str:
    """Replace a document's root node by zero or more documents."""
    start = _line_start(text, node.start_mark.index)
    end = _entry_span(text, None, node)[1]
    body = "---\n".join(dump_block(o, style) for o in objects)
    return text[:start] + body + text[end:]


def replace_sequence_item(text: str, seq: yaml.SequenceNode, index: int, objects: list[dict[str, Any]], style: Style) -> str:
    """Replace one item of a block sequence (a List export's item) by zero or more items."""
    start, end = _entry_span(text, None, seq.value[index])
    line = text[start:_line_end(text, start)]
    dash_col = len(line) - len(line.lstrip(" "))
    items = dump_block(objects, style) if objects else ""
    return text[:start] + _indent_lines(items, dash_col) + text[end:]


# --------------------------------------------------------------------------- documents being edited

class Document:
    """The text of one YAML document being edited, and its node tree: composed when an edit
    needs it and kept until an edit changes the text (an operation that changes nothing, or the
    checks a merge makes key by key, compose nothing again). ``first``: the file's first
    document (its header comments are kept when its resource is removed).

    The items of a ``kind: List`` are edited each on its own text where that is exact
    (:mod:`meshlint.list_items`): composing the whole List again after every edit of one item
    made a List of n fixed items cost n times its size."""

    __slots__ = ("_items", "_looked", "_root", "_text", "first")

    def __init__(self, text: str, first: bool = False) -> None:
        self._text = text
        self.first = first
        self._root: yaml.Node | None = None
        self._items: ListItems | None = None
        self._looked = False  # whether the document was looked at as a List of items

    @property
    def text(self) -> str:
        if self._items is not None:  # back to one text: the items' edits go into it
            self._text, self._items, self._root = self._items.assemble(self._text), None, None
        return self._text

    def root(self) -> yaml.Node:
        if self._root is None:
            docs = compose_documents(self.text)
            if len(docs) != 1:
                raise EditError(f"the document's text holds {len(docs)} documents")
            self._root = docs[0]
        return self._root

    def update(self, text: str) -> None:
        if text != self.text:
            self._text, self._root = text, None

    def style(self) -> Style | None:
        """The style edits use when it is not that of ``root()`` (None: it is)."""
        return None

    def whole(self) -> Document:
        return self

    def replaced(self, count: int) -> None:
        """A List item was replaced by ``count`` items (the List's own text knows it by itself)."""

    def resource(self, item: int | None) -> ResourceText:
        """The resource at the document's root, or item ``item`` of a ``kind: List``."""
        if item is None:
            return ResourceText(self, "", None)
        if not self._looked:
            from .list_items import ListItems

            self._looked = True
            self._items = ListItems.of(self.text, self.root())
        on_its_own = self._items.item(self, item) if self._items is not None else None
        return ResourceText(on_its_own or self, f"/items/{item}", item)


class ResourceText:
    """One resource in a :class:`Document` (or a List item's own text): the text edits that fix
    operations are made of, with JSON Pointers relative to the resource (as in :mod:`meshlint.fixes`)."""

    __slots__ = ("doc", "item", "prefix")

    def __init__(self, doc: Document | ItemText, prefix: str, item: int | None) -> None:
        self.doc, self.prefix, self.item = doc, prefix, item

    def _chain(self, ptr: str) -> tuple[list[tuple[yaml.Node | None, yaml.Node]], int]:
        tokens = split_pointer(self.prefix + ptr)
        return walk(self.doc.root(), tokens), len(tokens) + 1

    def exists(self, ptr: str) -> bool:
        chain, full = self._chain(ptr)
        return len(chain) == full

    def is_mapping(self, ptr: str) -> bool:
        chain, full = self._chain(ptr)
        return len(chain) == full and isinstance(chain[-1][1], yaml.MappingNode)

    def is_empty(self, ptr: str) -> bool:
        """There, and empty: ``{}``, ``[]``, or a null written as nothing."""
        chain, full = self._chain(ptr)
        return len(chain) == full and not getattr(chain[-1][1], "value", None)

    # (each asks for the root before the text: an item's own text may hand over to the document's)

    def set_value(self, ptr: str, value: Any) -> None:
        doc, root = self.doc, self.doc.root()
        doc.update(set_value(doc.text, root, self.prefix + ptr, value, style=doc.style()))

    def remove(self, ptr: str) -> None:
        doc, root = self.doc, self.doc.root()
        doc.update(remove(doc.text, root, self.prefix + ptr))

    def rename_key(self, ptr: str, new_key: str) -> None:
        doc, root = self.doc, self.doc.root()
        doc.update(rename_key(doc.text, root, self.prefix + ptr, new_key))

    def replace_entry(self, ptr: str, new_key: str, value: Any) -> None:
        doc, root = self.doc, self.doc.root()
        doc.update(replace_entry(doc.text, root, self.prefix + ptr, new_key, value, style=doc.style()))

    def replace_resource(self, objects: list[dict[str, Any]]) -> None:
        """The whole resource replaced by zero or more objects: documents in place of a document,
        items in place of a List's item."""
        doc = self.doc
        root = doc.root()
        text, style = doc.text, doc.style() or Style.of(root)
        if self.item is None and not objects:
            doc.update(_without_document(text, root, doc.first))
        elif self.item is None:
            doc.update(replace_node_with_documents(text, root, objects, style))
        else:
            items = walk(root, ["items"])[-1][1]
            if not objects and len(items.value) == 1:  # the List's last item goes: an empty list, not a null
                whole = doc.whole()
                whole.update(set_value(whole.text, whole.root(), "/items", []))
            else:  # (a List item's resource comes from a sequence)
                doc.update(replace_sequence_item(text, cast(yaml.SequenceNode, items), self.item, objects, style))
                doc.replaced(len(objects))


def _without_document(text: str, root: yaml.Node, first: bool) -> str:
    """A removed resource takes its whole document along (its ``---`` and the comments before it),
    so no empty document is left behind. Kept: the comments before the file's first document (a
    file header) and those after the resource (they may introduce what follows)."""
    start, end = entry_bounds(text, root)

    def comments(part: str) -> str:
        return "".join(line for line in part.splitlines(keepends=True) if line.lstrip().startswith("#") or (first and not line.strip()))

    return (comments(text[:start]) if first else "") + "".join(line for line in text[end:].splitlines(keepends=True) if line.lstrip().startswith("#"))
