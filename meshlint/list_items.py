"""The items of a ``kind: List`` edited each on its own text (a List export holds hundreds).

The conversion edits a List's items last to first. An item's edits change only the lines of that
item, so the whole List need not be composed again after each of them: an item's lines, cut out,
compose on their own to the same nodes (a block sequence of one item, at the same column), and
the edits are made on that small text. It is exact only when:

- the item's own text composes to exactly the nodes it has in the List (checked, node by node);
- no node is shared between items (an alias would tie one item's text to another's);
- the document's style (mapping indent, sequence indentation) is settled by what lies outside
  the items (:meth:`Style.settled`), or the document shows one style everywhere and its first
  item shows it on its own (:meth:`Style.uniform`, a List written by hand without ``metadata:``),
  so the edits of other items cannot change it.

Anything else goes back to the whole document (:class:`meshlint.textedit.Document`), with the
items' edits so far written into it, and goes on as if it had been there all along."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml

from . import textedit


class ListItems:
    """A List document's text as it was, its items' nodes in it, and the items edited so far."""

    __slots__ = ("base", "count", "edited", "seq", "style")

    def __init__(self, base: str, seq: yaml.SequenceNode, style: textedit.Style) -> None:
        self.base, self.seq, self.style = base, seq, style
        self.count = len(seq.value)  # the items the List holds now (an item may be replaced by several)
        self.edited: dict[int, ItemText] = {}

    @classmethod
    def of(cls, text: str, root: yaml.Node) -> ListItems | None:
        if not isinstance(root, yaml.MappingNode) or root.flow_style:
            return None
        chain = textedit.walk(root, ["items"])
        seq = chain[-1][1]
        if len(chain) != 2 or not isinstance(seq, yaml.SequenceNode) or seq.flow_style or not seq.value:
            return None
        if not _items_apart(root, seq):
            return None
        style = textedit.Style.settled(root, frozenset(id(item) for item in seq.value)) or textedit.Style.uniform(root, seq.value)
        return cls(text, seq, style) if style is not None else None

    def item(self, doc: textedit.Document, index: int) -> ItemText | None:
        """Item ``index`` on its own text, or None when that would not be exact."""
        if index in self.edited:
            return self.edited[index]
        if index >= len(self.seq.value) or any(index > k for k in self.edited):
            return None  # (the items are edited last to first)
        node = self.seq.value[index]
        start, end = textedit.entry_bounds(self.base, node)
        own = ItemText(self, doc, index, start, end)
        alone = own.composed()
        if alone is None or not _same_nodes(node, alone, start, self.base.count("\n", 0, start)):
            return None
        own.hold(alone)
        self.edited[index] = own
        return own

    def assemble(self, text: str) -> str:
        """The document's text with every item's edits (``text``: the document's text, unchanged
        while its items were edited on their own)."""
        parts, at = [], 0
        for own in sorted(self.edited.values(), key=lambda o: o.start):
            own.whole_doc = True
            parts += [text[at:own.start], own.own_text]
            at = own.end
        parts.append(text[at:])
        return "".join(parts)


class ItemText:
    """One List item's own text, edited like a document (the interface :class:`textedit.ResourceText`
    uses). Its root is a stand-in for the List's: ``/items/N`` leads to the item, so pointers and
    messages are the same as on the whole document. After the document went back to one text
    (``whole_doc``), everything is the document's."""

    __slots__ = ("_root", "doc", "end", "index", "items", "own_text", "start", "whole_doc")

    first = False

    def __init__(self, items: ListItems, doc: textedit.Document, index: int, start: int, end: int) -> None:
        self.items, self.doc, self.index, self.start, self.end = items, doc, index, start, end
        self.own_text = items.base[start:end]
        self._root: yaml.Node | None = None
        self.whole_doc = False

    @property
    def text(self) -> str:
        return self.doc.text if self.whole_doc else self.own_text

    def root(self) -> yaml.Node:
        if self.whole_doc:
            return self.doc.root()
        if self._root is None:
            item = self.composed()
            if item is None:
                return self.whole().root()  # the whole document says what is wrong, as it would have
            self.hold(item)
        assert self._root is not None
        return self._root

    def hold(self, item: yaml.Node) -> None:
        """Keep the item's node (composed from its own text) under a stand-in for the List's root."""
        items = yaml.SequenceNode("tag:yaml.org,2002:seq", _OneItem(self.index, item, self.items))
        self._root = yaml.MappingNode("tag:yaml.org,2002:map", [(yaml.ScalarNode("tag:yaml.org,2002:str", "items"), items)])

    def composed(self) -> yaml.Node | None:
        """The item's node, composed from its own text; None when that text is not one item."""
        try:
            docs = textedit.compose_documents(self.own_text)
        except yaml.YAMLError:
            return None
        seq = docs[0] if len(docs) == 1 else None
        if not isinstance(seq, yaml.SequenceNode) or seq.flow_style or len(seq.value) != 1:
            return None
        node: yaml.Node = seq.value[0]
        return node

    def update(self, text: str) -> None:
        if self.whole_doc:
            self.doc.update(text)
        elif text != self.own_text:
            self.own_text, self._root = text, None

    def style(self) -> textedit.Style | None:
        return None if self.whole_doc else self.items.style

    def whole(self) -> textedit.Document:
        self.doc.text  # noqa: B018 - reading it puts the items' edits into the document's text
        return self.doc

    def replaced(self, count: int) -> None:
        if not self.whole_doc:
            self.items.count += count - 1


class _OneItem:
    """A stand-in for a List's items in which only one item is at hand (its length is the List's)."""

    __slots__ = ("index", "items", "node")

    def __init__(self, index: int, node: yaml.Node, items: ListItems) -> None:
        self.index, self.node, self.items = index, node, items

    def __len__(self) -> int:
        return self.items.count

    def __getitem__(self, i: int) -> yaml.Node:
        if i != self.index:
            raise textedit.EditError(f"item {i} of the List is not at hand")
        return self.node


def _nodes(root: yaml.Node, skip: frozenset[int] = frozenset()) -> Iterator[yaml.Node]:
    """Every node under ``root`` once (an alias's node is not walked again), not going into
    the nodes whose ids are in ``skip``."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen or id(node) in skip:
            continue
        seen.add(id(node))
        yield node
        if isinstance(node, yaml.MappingNode):
            stack.extend(x for kv in node.value for x in kv)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def _items_apart(root: yaml.Node, seq: yaml.SequenceNode) -> bool:
    """No node is shared between two items, or between an item and the rest of the document (an
    alias within one item is fine: the item's own text holds its anchor)."""
    owner: dict[int, int] = {}
    for i, item in enumerate(seq.value):
        for node in _nodes(item):
            if owner.setdefault(id(node), i) != i:
                return False
    return not any(id(node) in owner for node in _nodes(root, frozenset(id(item) for item in seq.value)))


def _same_nodes(a: yaml.Node, b: yaml.Node, index: int, line: int) -> bool:
    """``b`` (composed from the item's own text, which starts at ``index``, line ``line`` of the
    document) is ``a`` node for node: kinds, values, styles and every position the edits read
    (the end of a block collection is not one of them)."""
    pairs: list[tuple[Any, Any]] = [(a, b)]
    seen: set[int] = set()
    while pairs:
        x, y = pairs.pop()
        if id(x) in seen:  # an alias: its node was compared where the anchor is
            continue
        seen.add(id(x))
        if type(x) is not type(y) or x.tag != y.tag or not _same_mark(x.start_mark, y.start_mark, index, line):
            return False
        if isinstance(x, yaml.ScalarNode):
            if x.value != y.value or x.style != y.style or not _same_mark(x.end_mark, y.end_mark, index, line):
                return False
            continue
        if x.flow_style != y.flow_style or len(x.value) != len(y.value):
            return False
        if x.flow_style and not _same_mark(x.end_mark, y.end_mark, index, line):
            return False
        if isinstance(x, yaml.MappingNode):
            pairs += [(p, q) for kv, kw in zip(x.value, y.value) for p, q in zip(kv, kw)]
        else:
            pairs += list(zip(x.value, y.value))
    return True


def _same_mark(m: Any, n: Any, index: int, line: int) -> bool:
    return bool(m.index - index == n.index and m.line - line == n.line and m.column == n.column)
