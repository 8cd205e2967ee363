"""Read YAML/JSON files into :class:`Resource` objects, fast and without ever raising.

The lint path parses with libyaml (PyYAML's C parser and composer), which keeps a
line/column mark on every node. Values are built from the node tree by a small
safe builder: tags are never executed, duplicate keys, alias bombs and recursive
aliases are detected. Positions are resolved lazily, only for fields that a
finding points at. Conversion edits the text itself (:mod:`meshlint.textedit`), on the same parser.

Every problem with the input becomes a :class:`Problem` value, not an exception.
"""
from __future__ import annotations

import codecs
import itertools
import os
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml
import yaml.cyaml
from yaml._yaml import CParser  # libyaml's parser, which yaml.cyaml's loaders build on

from .model import Problem, Resource, ResourceId, split_pointer
from .nonobjects import OTHER, by_name, document_kind

YAML_SUFFIXES = (".yaml", ".yml", ".json")
SKIP_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".mypy_cache", ".pytest_cache", ".hypothesis"})

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_EXPANDED_NODES = 200_000  # per file, counting every alias expansion in all its documents
# and no more than the file's size warrants: a small file of alias graphs each just under the bound
# would otherwise cost far more than its bytes (every rule walks the expanded values)
EXPANSION_BASE, EXPANSION_PER_BYTE = 10_000, 8
MAX_DEPTH = 200

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_MERGE = "tag:yaml.org,2002:merge"

_scalar = yaml.SafeLoader.__new__(yaml.SafeLoader)  # only its scalar constructors are used
_DOC_MARKER = re.compile(r"^(?:---|\.\.\.)(?=[ \t\r\n]|$)", re.MULTILINE)

# input problem codes (catalogue entries under rules/, area "input")
SYNTAX, NOT_MAPPING, MISSING_TYPE, BINARY, ENCODING = "ML001", "ML002", "ML003", "ML004", "ML005"
DUPLICATE_KEY, TAB, BOM, ALIAS_BOMB, TOO_LARGE = "ML006", "ML007", "ML008", "ML009", "ML010"
TOO_DEEP, UNREADABLE = "ML012", "ML013"


@dataclass
class SourceFile:
    """One input file after reading: its resources and the problems found reading it."""

    path: str
    text: str | None
    resources: list[Resource] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    newline: str = "\n"
    bom: bool = False
    not_object: str | None = None  # why the file holds no Kubernetes objects (kustomization, Helm chart, ...): skipped


class _Abort(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem


# --------------------------------------------------------------------------- discovery

@dataclass(frozen=True)
class InputFile:
    display: str
    fs_path: str | None  # None for stdin


def discover(paths: list[str], exclude: Iterable[str] = ()) -> tuple[list[InputFile], list[str]]:
    """Expand CLI paths into files. Returns (files, errors); an error is a path that cannot be read.
    Directories in ``exclude`` (e.g. convert's own --out directory) are never entered."""
    skip = set()
    for d in exclude:
        try:
            st = os.stat(d)
            skip.add((st.st_dev, st.st_ino))
        except OSError:
            pass
    files: list[InputFile] = []
    errors: list[str] = []
    seen: set[str] = set()

    def add(display: str, fs: str | None) -> None:
        key = os.path.realpath(fs) if fs else "-"
        if key not in seen:
            seen.add(key)
            files.append(InputFile(display, fs))

    for p in paths:
        if p == "-":
            add("-", None)
        elif os.path.isdir(p):
            for display, fs in _walk(p, skip):
                add(display, fs)
        elif os.path.isfile(p):
            add(p, p)
        elif os.path.lexists(p):
            errors.append(f"{p}: not a regular file or directory")
        else:
            errors.append(f"{p}: no such file or directory")
    return files, errors


class InputError(Exception):
    """Input paths that cannot be read: a usage error (exit code 2)."""


def read_paths(paths: Iterable[str], exclude: Iterable[str] = ()) -> list[SourceFile]:
    """Every input file below ``paths``, read; :class:`InputError` names the paths that cannot be."""
    files, errors = discover(list(paths), exclude)
    if errors:
        raise InputError("; ".join(errors))
    return [read_input(f) for f in files]


def _walk(top: str, skip: Iterable[tuple[int, int]] = frozenset()) -> Iterator[tuple[str, str]]:
    """Recursive, sorted, symlink-loop-safe walk yielding YAML/JSON files (never into ``skip``)."""
    visited: set[tuple[int, int]] = set(skip)
    stack = [top]
    while stack:
        d = stack.pop()
        try:
            st = os.stat(d)
        except OSError:
            continue
        key = (st.st_dev, st.st_ino)
        if key in visited:
            continue  # a symlink loop or a second link to a directory already read
        visited.add(key)
        try:
            entries = sorted(os.scandir(d), key=lambda e: e.name)
        except OSError:
            yield d, d  # reading it gives an "unreadable" problem
            continue
        subdirs = []
        for e in entries:
            try:
                is_dir = e.is_dir()
            except OSError:
                continue
            if is_dir:
                if e.name not in SKIP_DIRS:
                    subdirs.append(e.path)
            elif e.name.endswith(YAML_SUFFIXES) and _is_regular(e):
                yield e.path, e.path  # never a FIFO, socket or device (a link to /dev/zero), which reads without end
        stack.extend(reversed(subdirs))


def _is_regular(e: os.DirEntry[str]) -> bool:
    try:
        return e.is_file()  # follows a link: what it points to must be a regular file
    except OSError:
        return True  # reading it gives an "unreadable" problem


# --------------------------------------------------------------------------- reading

def read_regular(path: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """A regular file's bytes, at most ``limit`` + 1 of them. Opened without blocking (a FIFO put
    in its place after the walk cannot hang the run); anything but a regular file is an OSError."""
    import errno
    import stat

    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_input(f: InputFile) -> SourceFile:
    if f.fs_path is not None:
        skipped = by_name(f.fs_path)
        if skipped is not None:
            return SourceFile(f.display, None, not_object=skipped)
    if f.fs_path is None:
        data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
    else:
        try:
            size = os.path.getsize(f.fs_path)
            if size > MAX_FILE_BYTES:
                return SourceFile(f.display, None, problems=[Problem(TOO_LARGE, 1, 1, {"size": size, "limit": MAX_FILE_BYTES})])
            data = read_regular(f.fs_path)
        except OSError as e:
            return SourceFile(f.display, None, problems=[Problem(UNREADABLE, 1, 1, {"error": e.strerror or str(e)})])
    return load_bytes(data, f.display)


def load_bytes(data: bytes, display: str) -> SourceFile:
    if len(data) > MAX_FILE_BYTES:
        return SourceFile(display, None, problems=[Problem(TOO_LARGE, 1, 1, {"size": len(data), "limit": MAX_FILE_BYTES})])
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data[:8192]:
        return SourceFile(display, None, problems=[Problem(BINARY, 1, 1)])
    problems: list[Problem] = []
    bom = data.startswith(codecs.BOM_UTF8)
    if bom:
        problems.append(Problem(BOM, 1, 1))
        data = data[len(codecs.BOM_UTF8):]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        col = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        return SourceFile(display, None, problems=problems + [Problem(ENCODING, line, col, {"byte": f"0x{data[e.start]:02x}"})])
    src = load_text(text, display)
    src.problems[:0] = problems
    src.bom = bom
    return src


def load_text(text: str, display: str) -> SourceFile:
    src = SourceFile(display, text, newline="\r\n" if "\r\n" in text else "\n")
    budget = _Budget(text) if "*" in text else None
    others: list[Problem | None] = []  # what the documents that are no objects would be reported as (None: nothing)
    try:
        # one document at a time: its node tree is dropped once its values are built
        for doc_index, chunk, index, node in _stream(src, text):
            if budget is not None and budget.spent:
                break  # the file's aliases expanded past its budget: the rest of it is not read
            _add_document(src, doc_index, node, budget, _DocRef(chunk, index), others)
    except yaml.YAMLError:
        # a syntax error: read again, document by document, so the others are still read
        src.resources.clear()
        src.problems.clear()
        others.clear()
        budget = _Budget(text) if "*" in text else None
        for doc_index, chunk, index, node in _recover(src, text):
            if budget is not None and budget.spent:
                break
            _add_document(src, doc_index, node, budget, _DocRef(chunk, index), others)
    if others:
        if src.resources or any(p.code in (NOT_MAPPING, MISSING_TYPE) for p in src.problems):
            # among objects, a document that is none is an error (reported in document order)
            src.problems = sorted(src.problems + [p for p in others if p is not None], key=lambda p: (p.line, p.column))
        else:
            src.not_object = "no apiVersion or kind"
    return src


class _Chunk:
    """A stretch of a file's text that composes on its own: one document, between the lines
    that start with '---' or '...' around it. Resources keep only this small handle, not their
    node trees: a position is looked up by composing the chunk again when a finding needs one,
    and a file keeps one chunk's nodes at a time (positions are looked up document by document).
    ``expect`` is where the document starts in the whole text; a stretch that does not compose
    to that one document (a %TAG directive above it, documents without a marker between them)
    falls back to the whole text."""

    __slots__ = ("_nodes", "end", "expect", "holder", "pad", "src", "start")

    def __init__(self, src: SourceFile, start: int, end: int, pad: int, holder: _Held, expect: tuple[int, int, int] | None = None):
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


class _Held:
    """The one chunk of a file whose nodes are kept."""

    __slots__ = ("chunk",)

    def __init__(self) -> None:
        self.chunk: _Chunk | None = None


def _stream(src: SourceFile, text: str) -> Iterator[tuple[int, _Chunk, int, yaml.Node]]:
    """(doc_index, chunk, index in chunk, root node) for every document, composed one at a time.
    Raises yaml.YAMLError on a syntax error (documents already yielded are then read again)."""
    holder = _Held()
    bounds = [0] + [m.start() for m in _DOC_MARKER.finditer(text) if m.start() > 0] + [len(text)]
    region, newlines = 0, 0  # the stretch [bounds[region], bounds[region + 1]) and the line breaks before it
    loader = _FastLoader(text)
    try:
        i = 0
        while loader.check_node():
            node = loader.get_node()
            assert node is not None  # check_node said there is one
            at = node.start_mark.index

            while region + 1 < len(bounds) - 1 and bounds[region + 1] <= at:
                newlines += text.count("\n", bounds[region], bounds[region + 1])
                region += 1
            yield i, _Chunk(src, bounds[region], bounds[region + 1], newlines, holder, (node.start_mark.line, node.start_mark.column, i)), 0, node
            i += 1
    finally:
        loader.dispose()


def _recover(src: SourceFile, text: str) -> Iterator[tuple[int, _Chunk, int, yaml.Node]]:
    """After a syntax error: a line starting with '---' or '...' always ends a YAML document,
    so split there and read each document on its own, at its own line offset."""
    holder = _Held()
    starts = [0] + [m.start() for m in _DOC_MARKER.finditer(text) if m.start() > 0]
    starts.append(len(text))
    doc_index = 0
    newlines, prev = 0, 0
    for a, b in itertools.pairwise(starts):
        newlines += text.count("\n", prev, a)
        prev = a
        chunk = _Chunk(src, a, b, newlines, holder)
        try:
            got = chunk.nodes()
        except yaml.YAMLError as e:
            src.problems.append(_syntax_problem(e, text))
            doc_index += 1
            continue
        chunk.release()
        for i, n in enumerate(got):
            yield doc_index, chunk, i, n
            doc_index += 1


_PLAIN = "meshlint:plain"
_IMPLICIT = yaml.resolver.Resolver.yaml_implicit_resolvers
_PLAIN_CACHE: dict[str, str] = {}


def _resolve_plain(value: str) -> str:
    """The YAML 1.1 tag of a plain scalar, as PyYAML's resolver decides it (cached)."""
    tag = _PLAIN_CACHE.get(value)
    if tag is None:
        tag = _STR
        for t, regexp in _IMPLICIT.get(value[:1] if value else "", []):
            if regexp.match(value):
                tag = t
                break
        if len(_PLAIN_CACHE) < 100_000 and len(value) <= 64:
            _PLAIN_CACHE[value] = tag
    return tag


class _FastLoader(CParser):
    """libyaml composition that leaves plain scalars untyped (``meshlint:plain``): they are
    resolved later, with a cache, instead of through PyYAML's per-node Python resolver."""

    def resolve(self, kind: type[yaml.Node], value: str, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            return _PLAIN if implicit[0] else _STR
        return "tag:yaml.org,2002:seq" if kind is yaml.SequenceNode else "tag:yaml.org,2002:map"

    def descend_resolver(self, current_node: yaml.Node | None, current_index: Any) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass


class PositionComposer(CParser):
    """libyaml composition without tag resolution (every scalar is tagged ``str``): positions
    need no types, and PyYAML's Python-level resolver is most of the composition's cost. Public:
    the text edits of ``convert`` (:mod:`meshlint.textedit`) and the redaction of secret spans
    compose with it; :func:`compose_positions` is the usual way in."""

    def resolve(self, kind: type[yaml.Node], value: str, implicit: tuple[bool, bool]) -> str:
        return _STR if kind is yaml.ScalarNode else ("tag:yaml.org,2002:seq" if kind is yaml.SequenceNode else "tag:yaml.org,2002:map")

    def descend_resolver(self, current_node: yaml.Node | None, current_index: Any) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass


def compose_positions(text: str) -> list[yaml.Node]:
    """Every document of ``text`` as a node tree with line/column marks (no tag resolution):
    what position lookups and text edits need. Raises ``yaml.YAMLError`` on a syntax error."""
    return _compose(text, PositionComposer)


def _compose(text: str, loader_class: type = _FastLoader) -> list[yaml.Node]:
    loader = loader_class(text)
    try:
        out = []
        while loader.check_node():
            out.append(loader.get_node())
        return out
    finally:
        loader.dispose()


def _syntax_problem(e: yaml.YAMLError, text: str) -> Problem:
    mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
    line = mark.line + 1 if mark is not None else 1
    col = mark.column + 1 if mark is not None else 1
    problem = " ".join(str(getattr(e, "problem", None) or e).split())
    lines = text.splitlines()
    src_line = lines[line - 1] if 0 < line <= len(lines) else ""
    if "\t" in src_line[: len(src_line) - len(src_line.lstrip(" \t"))] or ("'\\t'" in problem):
        tab_col = src_line.find("\t") + 1 if "\t" in src_line else col
        return Problem(TAB, line, tab_col)
    return Problem(SYNTAX, line, col, {"problem": problem})


def load_data(text: str) -> tuple[list[Any], list[Problem]]:
    """The documents of a file that holds data, not objects (meshlint's configuration, a
    kustomization), read as inputs are: tags are data, aliases budgeted, depth bounded. A
    problem ends the reading; its documents so far are returned with it."""
    src = SourceFile("", text)
    budget = _Budget(text) if "*" in text else None
    values: list[Any] = []
    try:
        nodes = _compose(text)
    except yaml.YAMLError as e:
        return values, [_syntax_problem(e, text)]
    for node in nodes:
        try:
            values.append(_Builder(src.problems, budget).build(node, 0))
        except _Abort as a:
            return values, [a.problem]
        if src.problems:
            break
    return values, src.problems


def _add_document(src: SourceFile, doc_index: int, node: yaml.Node, budget: _Budget | None, ref: _DocRef, others: list[Problem | None]) -> None:
    if isinstance(node, yaml.ScalarNode) and _scalar_value(node) is None:
        return  # empty document: kubectl skips these too
    line, col = node.start_mark.line + 1, node.start_mark.column + 1
    builder = _Builder(src.problems, budget)
    try:
        value = builder.build(node, 0)
    except _Abort as a:
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
        items_node = _child(node, "items")
        for i, item in enumerate(value["items"]):
            item_node = items_node.value[i] if isinstance(items_node, yaml.SequenceNode) and i < len(items_node.value) else node
            _add_resource(src, doc_index, i, item, item_node, ref)
        return
    _add_resource(src, doc_index, None, value, node, ref)


def _is_list_version(value: dict[str, Any]) -> bool:
    av = value.get("apiVersion")
    return av is None or av == "v1"


def _add_resource(src: SourceFile, doc_index: int, item_index: int | None, value: Any, node: yaml.Node, ref: _DocRef) -> None:
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
    src.resources.append(Resource(value, src.path, doc_index, item_index, _Locator(ref, item_index), line))


def _str_or_none(v: Any) -> str | None:
    return v if isinstance(v, str) else None


def _type_name(v: Any) -> str:
    return {list: "a sequence", str: "a string", int: "a number", float: "a number", bool: "a boolean", type(None): "null"}.get(type(v), type(v).__name__)


# --------------------------------------------------------------------------- building values

class _Budget:
    """How many nodes the aliases of one file may expand to, in all its documents together."""

    __slots__ = ("expanded", "limit", "spent")

    def __init__(self, text: str):
        self.limit = min(MAX_EXPANDED_NODES, EXPANSION_BASE + EXPANSION_PER_BYTE * len(text))
        self.expanded = 0
        self.spent = False


class _Builder:
    """Builds plain data from a node tree; tags are data, never code."""

    def __init__(self, problems: list[Problem], budget: _Budget | None):
        self.problems = problems
        self.budget = budget
        self.memo: dict[int, tuple[Any, int]] | None = {} if budget is not None else None
        self.active: set[int] = set()

    def build(self, node: yaml.Node, depth: int) -> Any:
        value, _ = self._build(node, depth)
        return value

    def _build(self, node: yaml.Node, depth: int) -> tuple[Any, int]:
        if isinstance(node, yaml.ScalarNode):
            return _scalar_value(node), 1
        memo = self.memo
        if memo is not None:
            key = id(node)
            hit = memo.get(key)
            if hit is not None:
                budget = self.budget
                assert budget is not None  # a memo is kept only under a budget
                budget.expanded += hit[1]
                if budget.expanded > budget.limit:
                    budget.spent = True
                    raise _Abort(Problem(ALIAS_BOMB, node.start_mark.line + 1, node.start_mark.column + 1, {"limit": budget.limit}, message="expansion"))
                return hit
            if key in self.active:
                raise _Abort(Problem(ALIAS_BOMB, node.start_mark.line + 1, node.start_mark.column + 1, message="recursive"))
            self.active.add(key)
        if depth > MAX_DEPTH:
            raise _Abort(Problem(TOO_DEEP, node.start_mark.line + 1, node.start_mark.column + 1, {"limit": MAX_DEPTH}))
        size = 1
        if isinstance(node, yaml.SequenceNode):
            out_list = []
            for child in node.value:
                v, s = self._build(child, depth + 1)
                out_list.append(v)
                size += s
            value: Any = out_list
        else:
            out: dict[Any, Any] = {}
            merged: dict[Any, Any] = {}
            for knode, vnode in node.value:
                if knode.tag == _PLAIN and knode.value == "<<":
                    knode.tag = _MERGE
                if knode.tag == _MERGE:
                    v, s = self._build(vnode, depth + 1)
                    size += s
                    for m in (v if isinstance(v, list) else [v]):
                        if isinstance(m, dict):
                            for mk, mv in m.items():
                                merged.setdefault(mk, mv)
                    continue
                k = _key(knode)
                if k in out:
                    self.problems.append(Problem(DUPLICATE_KEY, knode.start_mark.line + 1, knode.start_mark.column + 1, {"key": k}))
                v, s = self._build(vnode, depth + 1)
                out[k] = v
                size += s + 1
            if merged:
                for mk, mv in merged.items():
                    out.setdefault(mk, mv)
            value = out
        if memo is not None:
            self.active.discard(id(node))
            memo[id(node)] = (value, size)
        return value, size


def _key(knode: yaml.Node) -> Any:
    if isinstance(knode, yaml.ScalarNode):
        v = _scalar_value(knode)
        return v if v is None or isinstance(v, (str, int, float, bool)) else knode.value
    return f"<{knode.id} key at line {knode.start_mark.line + 1}>"  # type: ignore[attr-defined]  # every node class has its id



_INTERN_MAX = 64


def _scalar_value(node: yaml.ScalarNode) -> Any:
    tag = node.tag
    if tag == _PLAIN:
        tag = node.tag = _resolve_plain(node.value)
    if tag == _STR:
        # keys and short values repeat across thousands of resources: one shared str each
        # (a third less memory on large trees, and less allocation)
        v = node.value
        return sys.intern(v) if len(v) <= _INTERN_MAX else v
    try:
        if tag == _INT:
            return _scalar.construct_yaml_int(node)
        if tag == _FLOAT:
            return _scalar.construct_yaml_float(node)
        if tag == _BOOL:
            return _scalar.construct_yaml_bool(node)
        if tag == _NULL:
            return None
    except (ValueError, yaml.YAMLError):
        pass
    return node.value  # timestamps, binary and unknown tags stay text


# --------------------------------------------------------------------------- positions

def _child(node: yaml.Node, token: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        found: yaml.Node | None = None
        merges = []

        for k, v in node.value:
            if k.tag == _MERGE or isinstance(k, yaml.ScalarNode) and k.value == "<<" and k.style is None:
                merges.append(v)
            elif isinstance(k, yaml.ScalarNode) and k.value == token:
                found = v  # the last duplicate wins, as in the built value
        if found is not None:
            return found
        for m in merges:
            for cand in (m.value if isinstance(m, yaml.SequenceNode) else [m]):
                got = _child(cand, token)
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


class _DocRef:
    __slots__ = ("chunk", "index")

    def __init__(self, chunk: _Chunk, index: int):
        self.chunk, self.index = chunk, index

    def node(self) -> yaml.Node:
        return self.chunk.nodes()[self.index]


class _Locator:
    """Resolves a JSON Pointer to the 1-based line and column of that field.

    A pointer to a mapping key resolves to the key itself; one that goes past what
    exists resolves to the deepest field that does exist.
    """

    __slots__ = ("item", "ref")

    def __init__(self, ref: _DocRef, item: int | None):
        self.ref, self.item = ref, item

    def release(self) -> None:
        self.ref.chunk.release()

    def __call__(self, ptr: str) -> tuple[int, int]:
        node = self.ref.node()
        if self.item is not None:
            items = _child(node, "items")
            if isinstance(items, yaml.SequenceNode) and self.item < len(items.value):
                node = items.value[self.item]
        mark = node.start_mark
        try:
            tokens = split_pointer(ptr)
        except ValueError:
            tokens = []
        for token in tokens:
            key = _key_node(node, token)
            child = _child(node, token)
            if child is None:
                break
            mark = (key or child).start_mark
            node = child
        return mark.line + 1, mark.column + 1
