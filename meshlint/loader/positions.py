"""Positions: a JSON Pointer into a resource resolved to the line and column of that field, lazily.

A resource keeps a :class:`Locator`, not its node tree: the locator composes its document's
:class:`Chunk` of text again (:func:`compose_positions`) only when a finding needs a position, and
a file keeps one chunk's nodes at a time (:class:`Held`).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import yaml

from ..model import split_pointer
from .composing import MERGE, compose_positions

if TYPE_CHECKING:
    from .source import SourceFile


class Chunk:
    """A stretch of a file's text that composes on its own: one document, between the lines
    that start with '---' or '...' around it. Resources keep only this small handle, not their
    node trees: a position is looked up by composing the chunk again when a finding needs one,
    and a file keeps one chunk's nodes at a time (positions are looked up document by document).
    ``expect`` is where the document starts in the whole text; a stretch that does not compose
    to that one document (a %TAG directive above it, documents without a marker between them)
    falls back to the whole text."""

    __slots__ = ("_nodes", "end", "expect", "holder", "pad", "src", "start")

    def __init__(self, src: SourceFile, start: int, end: int, pad: int, holder: Held, expect: tuple[int, int, int] | None = None):
        self.src, self.start, self.end, self.pad, self.expect, self.holder = src, start, end, pad, expect, holder
        self._nodes: list[yaml.Node] | None = None

    def nodes(self) -> list[yaml.Node]:
        if self._nodes is None:
            held = self.holder.chunk
            if held is not None and held is not self:
                held.release()
            text = self.src.text or ""
            nodes = compose_positions("\n" * self.pad + text[self.start:self.end])
            if self.expect is not None:
                line, col, whole_index = self.expect
                if len(nodes) != 1 or (nodes[0].start_mark.line, nodes[0].start_mark.column) != (line, col):
                    nodes = [compose_positions(text)[whole_index]]
            self._nodes = nodes
            self.holder.chunk = self
        return self._nodes

    def release(self) -> None:
        self._nodes = None
        if self.holder.chunk is self:
            self.holder.chunk = None


class Held:
    """The one chunk of a file whose nodes are kept."""

    __slots__ = ("chunk",)

    def __init__(self) -> None:
        self.chunk: Chunk | None = None


def child(node: yaml.Node, token: str) -> yaml.Node | None:
    """The value node of field ``token`` (a key, or an index of a sequence), through merge keys."""
    if isinstance(node, yaml.MappingNode):
        found: yaml.Node | None = None
        merges = []

        for k, v in node.value:
            if k.tag == MERGE or isinstance(k, yaml.ScalarNode) and k.value == "<<" and k.style is None:
                merges.append(v)
            elif isinstance(k, yaml.ScalarNode) and k.value == token:
                found = v  # the last duplicate wins, as in the built value
        if found is not None:
            return found
        for m in merges:
            for cand in (m.value if isinstance(m, yaml.SequenceNode) else [m]):
                got = child(cand, token)
                if got is not None:
                    return got
        return None
    if isinstance(node, yaml.SequenceNode) and token.isdigit():
        i = int(token)
        return node.value[i] if i < len(node.value) else None
    return None


def _key_node(node: yaml.Node, token: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        found = None
        for k, _ in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == token:
                found = k
        return found
    return None


class DocRef:
    """One document of a chunk."""

    __slots__ = ("chunk", "index")

    def __init__(self, chunk: Chunk, index: int):
        self.chunk, self.index = chunk, index

    def node(self) -> yaml.Node:
        return self.chunk.nodes()[self.index]


class Locator:
    """Resolves a JSON Pointer to the 1-based line and column of that field.

    A pointer to a mapping key resolves to the key itself; one that goes past what
    exists resolves to the deepest field that does exist.
    """

    __slots__ = ("item", "ref")

    def __init__(self, ref: DocRef, item: int | None):
        self.ref, self.item = ref, item

    def release(self) -> None:
        self.ref.chunk.release()

    def __call__(self, ptr: str) -> tuple[int, int]:
        node = self.ref.node()
        if self.item is not None:
            items = child(node, "items")
            if isinstance(items, yaml.SequenceNode) and self.item < len(items.value):
                node = items.value[self.item]
        mark = node.start_mark
        try:
            tokens = split_pointer(ptr)
        except ValueError:
            tokens = []
        for token in tokens:
            key = _key_node(node, token)
            found = child(node, token)
            if found is None:
                break
            mark = (key or found).start_mark
            node = found
        return mark.line + 1, mark.column + 1
