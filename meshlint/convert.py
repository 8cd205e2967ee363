"""The one conversion engine: applies the fixes that rules attach to findings.

Fixes are data (:mod:`meshlint.fixes`). The engine edits the file text surgically
(:mod:`meshlint.textedit`), so every byte that no fix touches (comments, quoting,
flow style, anchors, document separators, CRLF, unrelated documents) stays as it was.
After editing it parses the result again and checks that the data is exactly what the
fixes meant; a file that cannot be written exactly is left alone and reported.
"""
from __future__ import annotations

import copy
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable

from . import textedit
from .engine import Result
from .fixes import ExtraFile, Fix, MergeMapping, MoveKey, RenameKey, Remove, ReplaceResource, SetValue
from .loader import SourceFile, load_text
from .model import Finding, Resource, ResourceId, split_pointer

SERVER_FIELDS = (
    "/status",
    "/metadata/uid",
    "/metadata/resourceVersion",
    "/metadata/creationTimestamp",
    "/metadata/generation",
    "/metadata/managedFields",
    "/metadata/selfLink",
    "/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration",
)

Validator = Callable[[dict], list[str]]


@dataclass
class ResourceChange:
    resource: ResourceId
    fixes: list[str]
    changes: dict[str, list[str]]  # added / removed / changed JSON Pointers
    replaced_by: list[ResourceId] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "resource": self.resource.as_dict(),
            "fixes": self.fixes,
            "changes": self.changes,
            "replaced_by": [r.as_dict() for r in self.replaced_by],
        }


@dataclass
class FileResult:
    path: str
    original: str | None
    new_text: str | None = None
    changes: list[ResourceChange] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    extra_files: list[ExtraFile] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.new_text is not None and self.new_text != self.original


@dataclass
class ConvertResult:
    lint: Result
    files: list[FileResult]

    @property
    def unfixed(self) -> list[Finding]:
        return unresolved(self.lint.findings)

    @property
    def errors(self) -> list[tuple[str, str]]:
        return [(f.path, e) for f in self.files for e in f.errors]


# --------------------------------------------------------------------------- planning

def replacement_objects(findings: list[Finding], codes: tuple[str, ...]) -> list[dict]:
    """The objects that the fixes of these rules' findings put in place of their resources."""
    return [o for f in findings if f.fix is not None and f.code in codes
            for op in f.fix.ops if isinstance(op, ReplaceResource) for o in op.objects]


def unresolved(findings: list[Finding]) -> list[Finding]:
    """Findings no fix resolves (a resource replaced by a fix resolves all of its findings)."""
    replaced = {(f.file, f.doc, f.item) for f in findings if f.fix is not None and any(isinstance(op, ReplaceResource) for op in f.fix.ops)}
    return [f for f in findings if f.fix is None and (f.file, f.doc, f.item) not in replaced]


def convert(result: Result, keep_server_fields: bool = False, validate: Validator | None = None) -> ConvertResult:
    """Apply every finding's fix, file by file. Converted objects are always validated
    strictly against the target API (``validate`` adds a check, e.g. user CRDs)."""
    from .schema import validate as target

    checks = [target] + ([validate] if validate is not None else [])
    validate = lambda obj: [e for check in checks for e in check(obj)]  # noqa: E731
    fixes_of: dict[tuple[str, int | None, int | None], list[Fix]] = defaultdict(list)
    for f in result.findings:
        if f.fix is not None:
            fixes_of[(f.file, f.doc, f.item)].append(f.fix)
    files = []
    for src in result.sources:
        items = [(res, _dedupe(fixes_of[(src.path, res.doc_index, res.item_index)])) for res in src.resources if (src.path, res.doc_index, res.item_index) in fixes_of]
        files.append(apply_file(src, items, keep_server_fields, validate) if items else FileResult(src.path, src.text, src.text))
    return ConvertResult(result, files)


def _dedupe(fixes: list[Fix]) -> list[Fix]:
    out: list[Fix] = []
    for f in fixes:
        if f not in out:
            out.append(f)
    return out


# --------------------------------------------------------------------------- applying

def apply_file(src: SourceFile, items: list[tuple[Resource, list[Fix]]], keep_server_fields: bool = False, validate: Validator | None = None) -> FileResult:
    out = FileResult(src.path, src.text)
    if src.text is None:
        out.errors.append("the file could not be read, so it is not converted")
        return out
    if any(p.code in ("ML001", "ML007") for p in src.problems):
        out.errors.append("the file has a YAML syntax error, so it is not converted")
        return out
    crlf = "\r\n" in src.text and src.text.count("\r\n") == src.text.count("\n")
    text = src.text.replace("\r\n", "\n") if crlf else src.text
    expected: dict[tuple[int, int | None], list[dict]] = {(r.doc_index, r.item_index): [r.body] for r in src.resources}
    ordered = sorted(items, key=lambda it: (it[0].doc_index, -1 if it[0].item_index is None else it[0].item_index), reverse=True)
    try:
        for res, fixes in ordered:
            ops = [op for fx in fixes for op in fx.ops]
            out.extra_files.extend(op for op in ops if isinstance(op, ExtraFile))
            replace = [op for op in ops if isinstance(op, ReplaceResource)]
            edits = [op for op in ops if not isinstance(op, (ReplaceResource, ExtraFile))]
            if replace:
                objects = [_clean(o) for op in replace[-1:] for o in op.objects]
                text = _replace_resource(text, res, objects)
                expected[(res.doc_index, res.item_index)] = objects
                out.changes.append(ResourceChange(res.identity, [fx.description for fx in fixes if fx.ops], {"removed": [""], "added": [], "changed": []},
                                                  [ResourceId(o.get("apiVersion"), o.get("kind"), (o.get("metadata") or {}).get("namespace"), (o.get("metadata") or {}).get("name")) for o in objects]))
                continue
            if not edits:
                continue
            if not keep_server_fields:
                edits += [Remove(p, prune_empty=p.startswith("/metadata/annotations/")) for p in SERVER_FIELDS if _has(res.body, p)]
            body = copy.deepcopy(res.body)
            for op in edits:
                text = _apply_to_text(text, res, op, body)
                body = apply_to_data(body, op)
            expected[(res.doc_index, res.item_index)] = [body]
            out.changes.append(ResourceChange(res.identity, [fx.description for fx in fixes if fx.ops], summarize(res.body, body)))
    except textedit.EditError as e:
        out.errors.append(f"cannot edit the file exactly ({e}); it is left unchanged")
        return out
    problem = _verify(text, src, expected)
    if problem:
        out.errors.append(f"the converted file would not hold exactly the converted data ({problem}); it is left unchanged")
        return out
    if validate is not None:
        for res, _ in items:
            for obj in expected[(res.doc_index, res.item_index)]:
                errs = validate(obj)
                if errs:
                    out.errors.append(f"{obj.get('kind')} {(obj.get('metadata') or {}).get('name')}: the converted object is not valid for the target API: {'; '.join(errs[:5])}")
        if out.errors:
            return out
    out.new_text = text.replace("\n", "\r\n") if crlf else text
    return out


def _clean(obj: dict) -> dict:
    return copy.deepcopy(obj)


def _has(body: Any, ptr: str) -> bool:
    node = body
    for t in split_pointer(ptr):
        if not isinstance(node, dict) or t not in node:
            return False
        node = node[t]
    return True


def _root_and_prefix(text: str, res: Resource) -> tuple[Any, str]:
    docs = textedit.compose_documents(text)
    if res.doc_index >= len(docs):
        raise textedit.EditError(f"document {res.doc_index} is gone")
    root = docs[res.doc_index]
    prefix = f"/items/{res.item_index}" if res.item_index is not None else ""
    return root, prefix


def _apply_to_text(text: str, res: Resource, op, body: Any) -> str:
    """Apply one operation to the text; ``body`` is the resource's data before it."""
    root, prefix = _root_and_prefix(text, res)
    if isinstance(op, SetValue):
        return textedit.set_value(text, root, prefix + op.path, op.value)
    if isinstance(op, Remove):
        text = textedit.remove(text, root, prefix + op.path)
        if op.prune_empty:
            parent = "/".join(op.path.split("/")[:-1])
            root, _ = _root_and_prefix(text, res)
            chain = textedit.walk(root, split_pointer(prefix + parent))
            node = chain[-1][1]
            if len(chain) == len(split_pointer(prefix + parent)) + 1 and not getattr(node, "value", None) and parent:
                text = textedit.remove(text, root, prefix + parent)
        return text
    if isinstance(op, RenameKey):
        return textedit.rename_key(text, root, prefix + op.path, op.new_key)
    if isinstance(op, MoveKey):
        value = op.value
        if op.keeps_value:
            value = _get(body, op.path)
        if op.path.rsplit("/", 1)[0] == op.new_path.rsplit("/", 1)[0]:
            return textedit.replace_entry(text, root, prefix + op.path, split_pointer(op.new_path)[-1], value)
        text = textedit.remove(text, root, prefix + op.path)
        root, _ = _root_and_prefix(text, res)
        return textedit.set_value(text, root, prefix + op.new_path, value)
    if isinstance(op, MergeMapping):
        return _merge_text(text, res, prefix, op.path, op.value, op.overwrite, body)
    raise textedit.EditError(f"unknown operation {type(op).__name__}")


def _merge_text(text: str, res: Resource, prefix: str, path: str, value: dict, overwrite: bool, body: Any) -> str:
    import yaml

    root, _ = _root_and_prefix(text, res)
    tokens = split_pointer(prefix + path)
    chain = textedit.walk(root, tokens)
    if len(chain) != len(tokens) + 1:
        return textedit.set_value(text, root, prefix + path, value)
    if not isinstance(chain[-1][1], yaml.MappingNode):
        if overwrite:
            return textedit.set_value(text, root, prefix + path, value)
        raise textedit.EditError(f"{path} is not a mapping; cannot merge into it")
    for k, v in value.items():
        child = f"{path}/{str(k).replace('~', '~0').replace('/', '~1')}"
        current = _get(body, child)
        root, _ = _root_and_prefix(text, res)
        if current is None and not _has(body, child):
            text = textedit.set_value(text, root, prefix + child, v)
        elif isinstance(v, dict) and isinstance(current, dict):
            text = _merge_text(text, res, prefix, child, v, overwrite, body)
        elif isinstance(v, list) and isinstance(current, list):
            text = textedit.set_value(text, root, prefix + child, current + [x for x in v if x not in current])
        elif overwrite:
            text = textedit.set_value(text, root, prefix + child, v)
    return text


def _replace_resource(text: str, res: Resource, objects: list[dict]) -> str:
    root, _ = _root_and_prefix(text, res)
    style = textedit.Style.of(root)
    if res.item_index is None:
        return textedit.replace_node_with_documents(text, root, objects, style)
    items = textedit.walk(root, ["items"])[-1][1]
    return textedit.replace_sequence_item(text, items, res.item_index, objects, style)


def _verify(text: str, src: SourceFile, expected: dict[tuple[int, int | None], list[dict]]) -> str | None:
    got = load_text(text, src.path)
    if got.problems and not src.problems:
        p = got.problems[0]
        return f"{p.code} at line {p.line}"
    want = [obj for key in sorted(expected, key=lambda k: (k[0], -1 if k[1] is None else k[1])) for obj in expected[key]]
    have = [r.body for r in got.resources]
    if want != have:
        for i, (w, h) in enumerate(zip(want, have)):
            if w != h:
                return f"object {i + 1} differs: {next(iter(summarize(w, h).values()), [])}"
        return f"{len(have)} objects instead of {len(want)}"
    return None


# --------------------------------------------------------------------------- data-side operations

def _get(body: Any, ptr: str) -> Any:
    node = body
    for t in split_pointer(ptr):
        if isinstance(node, dict):
            node = node.get(t)
        elif isinstance(node, list) and t.isdigit() and int(t) < len(node):
            node = node[int(t)]
        else:
            return None
    return node


def _parent(body: Any, tokens: list[str], create: bool) -> Any:
    node = body
    for t in tokens[:-1]:
        if isinstance(node, dict):
            if t not in node or not isinstance(node[t], (dict, list)):
                if not create:
                    return None
                if t.isdigit():
                    raise textedit.EditError(f"{'/'.join(tokens)}: no such list item to change")
                node[t] = {}
            node = node[t]
        elif isinstance(node, list) and t.isdigit() and int(t) < len(node):
            node = node[int(t)]
        else:
            return None
    return node


def apply_to_data(body: Any, op) -> Any:
    """The same operation on plain data: what the text must hold afterwards."""
    if isinstance(op, (SetValue, MergeMapping)):
        tokens = split_pointer(op.path)
        parent = _parent(body, tokens, create=True)
        last = tokens[-1]
        if isinstance(op, SetValue):
            _put(parent, last, copy.deepcopy(op.value))
        else:
            current = parent.get(last) if isinstance(parent, dict) else None
            _put(parent, last, _merge(current if isinstance(current, dict) else {}, op.value, op.overwrite))
        return body
    if isinstance(op, Remove):
        tokens = split_pointer(op.path)
        parent = _parent(body, tokens, create=False)
        if isinstance(parent, dict):
            parent.pop(tokens[-1], None)
        elif isinstance(parent, list) and tokens[-1].isdigit() and int(tokens[-1]) < len(parent):
            del parent[int(tokens[-1])]
        if op.prune_empty and len(tokens) > 1 and parent == {}:
            grand = _parent(body, tokens[:-1], create=False)
            if isinstance(grand, dict):
                grand.pop(tokens[-2], None)
        return body
    if isinstance(op, RenameKey):
        tokens = split_pointer(op.path)
        parent = _parent(body, tokens, create=False)
        if isinstance(parent, dict) and tokens[-1] in parent:
            items = [(op.new_key if k == tokens[-1] else k, v) for k, v in parent.items()]
            parent.clear()
            parent.update(items)
        return body
    if isinstance(op, MoveKey):
        value = _get(body, op.path) if op.keeps_value else op.value
        apply_to_data(body, Remove(op.path))
        return apply_to_data(body, SetValue(op.new_path, value))
    return body


def _put(parent: Any, key: str, value: Any) -> None:
    if isinstance(parent, dict):
        parent[key] = value
    elif isinstance(parent, list) and key.isdigit() and int(key) < len(parent):
        parent[int(key)] = value


def _merge(current: dict, value: dict, overwrite: bool) -> dict:
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


def summarize(old: Any, new: Any) -> dict[str, list[str]]:
    """What changed between two objects, as JSON Pointers (built with deepdiff)."""
    from deepdiff import DeepDiff

    diff = DeepDiff(old, new, view="tree", verbose_level=0, threshold_to_diff_deeper=0)
    out: dict[str, list[str]] = {"added": [], "removed": [], "changed": []}
    groups = {
        "dictionary_item_added": "added", "iterable_item_added": "added",
        "dictionary_item_removed": "removed", "iterable_item_removed": "removed",
        "values_changed": "changed", "type_changes": "changed",
    }
    for kind, items in diff.items():
        bucket = groups.get(kind)
        if bucket is None:
            continue
        for item in items:
            ptr = "".join("/" + str(t).replace("~", "~0").replace("/", "~1") for t in item.path(output_format="list"))
            out[bucket].append(ptr)
    return {k: sorted(v) for k, v in out.items()}
