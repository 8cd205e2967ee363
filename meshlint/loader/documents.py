"""A file's text to its Kubernetes objects: every document composed, one at a time, built to plain
values and made a :class:`Resource` (the items of a ``kind: List`` each one), with its
:class:`Locator`; a document that is no object is a problem among objects, and a file of none is
skipped. After a syntax error the documents are read again one by one, so the others are kept.
"""
from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import yaml

from ..model import Problem, Resource, ResourceId
from ..nonobjects import OTHER, document_kind
from .composing import FastLoader, marker_bounds, syntax_problem
from .positions import Chunk, DocRef, Held, Locator, child
from .source import SourceFile
from .values import Abort, Budget, Builder, budget_for, scalar_value

NOT_MAPPING, MISSING_TYPE = "ML002", "ML003"  # input problem codes (catalogue area "input")


def load_text(text: str, display: str) -> SourceFile:
    """The objects and problems of one file's text; ``display`` names it in findings."""
    src = SourceFile(display, text, newline="\r\n" if "\r\n" in text else "\n")
    budget = budget_for(text)
    others: list[Problem | None] = []  # what the documents that are no objects would be reported as (None: nothing)
    try:
        # one document at a time: its node tree is dropped once its values are built
        for doc_index, chunk, index, node in _stream(src, text):
            if budget is not None and budget.spent:
                break  # the file's aliases expanded past its budget: the rest of it is not read
            _add_document(src, doc_index, node, budget, DocRef(chunk, index), others)
    except yaml.YAMLError:
        # a syntax error: read again, document by document, so the others are still read
        src.resources.clear()
        src.problems.clear()
        others.clear()
        budget = budget_for(text)
        for doc_index, chunk, index, node in _recover(src, text):
            if budget is not None and budget.spent:
                break
            _add_document(src, doc_index, node, budget, DocRef(chunk, index), others)
    if others:
        if src.resources or any(p.code in (NOT_MAPPING, MISSING_TYPE) for p in src.problems):
            # among objects, a document that is none is an error (reported in document order)
            src.problems = sorted(src.problems + [p for p in others if p is not None], key=lambda p: (p.line, p.column))
        else:
            src.not_object = "no apiVersion or kind"
    return src


def _stream(src: SourceFile, text: str) -> Iterator[tuple[int, Chunk, int, yaml.Node]]:
    """(doc_index, chunk, index in chunk, root node) for every document, composed one at a time.
    Raises yaml.YAMLError on a syntax error (documents already yielded are then read again)."""
    holder = Held()
    bounds = marker_bounds(text)
    region, newlines = 0, 0  # the stretch [bounds[region], bounds[region + 1]) and the line breaks before it
    loader = FastLoader(text)
    try:
        i = 0
        while loader.check_node():
            node = loader.get_node()
            assert node is not None  # check_node said there is one
            at = node.start_mark.index

            while region + 1 < len(bounds) - 1 and bounds[region + 1] <= at:
                newlines += text.count("\n", bounds[region], bounds[region + 1])
                region += 1
            yield i, Chunk(src, bounds[region], bounds[region + 1], newlines, holder, (node.start_mark.line, node.start_mark.column, i)), 0, node
            i += 1
    finally:
        loader.dispose()


def _recover(src: SourceFile, text: str) -> Iterator[tuple[int, Chunk, int, yaml.Node]]:
    """After a syntax error: a line starting with '---' or '...' always ends a YAML document,
    so split there and read each document on its own, at its own line offset."""
    holder = Held()
    doc_index = 0
    newlines, prev = 0, 0
    for a, b in itertools.pairwise(marker_bounds(text)):
        newlines += text.count("\n", prev, a)
        prev = a
        chunk = Chunk(src, a, b, newlines, holder)
        try:
            got = chunk.nodes()
        except yaml.YAMLError as e:
            src.problems.append(syntax_problem(e, text))
            doc_index += 1
            continue
        chunk.release()
        for i, n in enumerate(got):
            yield doc_index, chunk, i, n
            doc_index += 1


def _add_document(src: SourceFile, doc_index: int, node: yaml.Node, budget: Budget | None, ref: DocRef, others: list[Problem | None]) -> None:
    if isinstance(node, yaml.ScalarNode) and scalar_value(node) is None:
        return  # empty document: kubectl skips these too
    line, col = node.start_mark.line + 1, node.start_mark.column + 1
    builder = Builder(src.problems, budget)
    try:
        value = builder.build(node, 0)
    except Abort as a:
        src.problems.append(a.problem)
        return
    if document_kind(value) == OTHER:
        if isinstance(value, dict) and "kind" in value:
            others.append(None)  # kustomize's own objects (Kustomization, transformer configs): never an error
            return
        others.append(Problem(NOT_MAPPING, line, col, {"type": _type_name(value)}) if not isinstance(value, dict)
                      else Problem(MISSING_TYPE, line, col, {"fields": "apiVersion and kind"}, resource=ResourceId(None, None, None, None)))
        return
    if not isinstance(value, dict):
        src.problems.append(Problem(NOT_MAPPING, line, col, {"type": _type_name(value)}))
        return
    if value.get("kind") == "List" and isinstance(value.get("items"), list) and _is_list_version(value):
        items_node = child(node, "items")
        for i, item in enumerate(value["items"]):
            item_node = items_node.value[i] if isinstance(items_node, yaml.SequenceNode) and i < len(items_node.value) else node
            _add_resource(src, doc_index, i, item, item_node, ref)
        return
    _add_resource(src, doc_index, None, value, node, ref)


def _is_list_version(value: dict[str, Any]) -> bool:
    av = value.get("apiVersion")
    return av is None or av == "v1"


def _add_resource(src: SourceFile, doc_index: int, item_index: int | None, value: Any, node: yaml.Node, ref: DocRef) -> None:
    line, col = node.start_mark.line + 1, node.start_mark.column + 1
    if not isinstance(value, dict):
        src.problems.append(Problem(NOT_MAPPING, line, col, {"type": _type_name(value)}))
        return
    missing = [k for k in ("apiVersion", "kind") if not isinstance(value.get(k), str) or not value.get(k)]
    if missing:
        md = value["metadata"] if isinstance(value.get("metadata"), dict) else {}
        ident = ResourceId(_str_or_none(value.get("apiVersion")), _str_or_none(value.get("kind")), _str_or_none(md.get("namespace")), _str_or_none(md.get("name")))
        src.problems.append(Problem(MISSING_TYPE, line, col, {"fields": " and ".join(missing)}, resource=ident))
        return
    src.resources.append(Resource(value, src.path, doc_index, item_index, Locator(ref, item_index), line))


def _str_or_none(v: Any) -> str | None:
    return v if isinstance(v, str) else None


def _type_name(v: Any) -> str:
    return {list: "a sequence", str: "a string", int: "a number", float: "a number", bool: "a boolean", type(None): "null"}.get(type(v), type(v).__name__)
