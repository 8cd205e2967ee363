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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import textedit
from .duplicates import LAST_APPLIED
from .engine import Result
from .fixes import ExtraFile, FieldEdit, Fix, Remove, ReplaceResource, present
from .generated import GeneratedFile
from .generated import collect as collect_generated
from .loader import SourceFile, load_text
from .model import Finding, Resource, ResourceId, pointer

SERVER_FIELDS = (
    "/status",
    "/metadata/uid",
    "/metadata/resourceVersion",
    "/metadata/creationTimestamp",
    "/metadata/generation",
    "/metadata/managedFields",
    "/metadata/selfLink",
    pointer("metadata", "annotations", LAST_APPLIED),
)

Validator = Callable[[dict[str, Any]], list[str]]


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
    errors: list[str] = field(default_factory=list)  # why the whole file is left unchanged
    # resources left as they are while the rest of the file converts: (the resource, why)
    invalid: list[tuple[ResourceId, str]] = field(default_factory=list)
    planned: list[ResourceId] = field(default_factory=list)  # the resources it was asked to convert

    @property
    def changed(self) -> bool:
        return self.new_text is not None and self.new_text != self.original

    @property
    def messages(self) -> list[str]:
        """Every conversion error of the file: the file's own, then each resource left unconverted."""
        return self.errors + [f"{rid}: {why}" for rid, why in self.invalid]


@dataclass
class ConvertResult:
    lint: Result
    files: list[FileResult]
    generated: list[GeneratedFile] = field(default_factory=list)  # replacement gateways, drafts (ExtraFile fixes)

    @property
    def unfixed(self) -> list[Finding]:
        return unresolved(self.lint.findings)

    @property
    def errors(self) -> list[tuple[str, str]]:
        return [(f.path, e) for f in self.files for e in f.messages]


# --------------------------------------------------------------------------- planning

def replacement_objects(findings: list[Finding], codes: tuple[str, ...]) -> list[dict[str, Any]]:
    """The objects that the fixes of these rules' findings put in place of their resources."""
    return [o for f in findings if f.fix is not None and f.code in codes
            for op in f.fix.ops if isinstance(op, ReplaceResource) for o in op.objects]


def unresolved(findings: list[Finding]) -> list[Finding]:
    """Findings no fix resolves (the engine marks every finding on a resource that a fix
    replaces as fixable)."""
    return [f for f in findings if not f.fixable]


def convert(result: Result, keep_server_fields: bool = False, validate: Validator | None = None) -> ConvertResult:
    """Apply every finding's fix, file by file. Converted objects are always validated
    strictly against the target API (``validate`` adds a check, e.g. user CRDs)."""
    from .schema import validate as target

    checks = [target] + ([validate] if validate is not None else [])
    # (an error about a placeholder's value is dropped where it is made: schema.judged)
    validate = lambda obj: [e for check in checks for e in check(obj)]
    fixes_of: dict[tuple[str, int | None, int | None], list[Fix]] = defaultdict(list)
    for f in result.findings:
        if f.fix is not None:
            fixes_of[(f.file, f.doc, f.item)].append(f.fix)
    fixes_by_resource = {id(res): _dedupe(fixes_of[(src.path, res.doc_index, res.item_index)])
                         for src in result.sources for res in src.resources if (src.path, res.doc_index, res.item_index) in fixes_of}
    verified = _verified(result)
    once, twins = _once(result, fixes_by_resource)
    plan = {**fixes_by_resource, **once}

    def run(src: SourceFile) -> FileResult:
        items = [(res, plan[id(res)]) for res in src.resources if id(res) in plan]
        return _apply_file_safely(src, items, keep_server_fields, validate, verified) if items else FileResult(src.path, src.text, src.text)

    files = [run(src) for src in result.sources]
    # a copy left out in favour of its kept twin is converted after all when the twin's file cannot be written
    failed = {f.path for f in files if f.errors}
    for i, src in enumerate(result.sources):
        back = [res for res in src.resources if id(res) in twins and twins[id(res)].file in failed]
        if back:
            plan.update({id(res): fixes_by_resource[id(res)] for res in back})
            files[i] = run(src)
    requests: list[tuple[str, ResourceId | None, ExtraFile]] = [
        (src.path, res.identity, op) for src in result.sources for res in src.resources
        for fx in plan.get(id(res), ()) for op in fx.ops if isinstance(op, ExtraFile)]
    return ConvertResult(result, files, collect_generated(requests))


def _once(result: Result, fixes_by_resource: dict[int, list[Fix]]) -> tuple[dict[int, list[Fix]], dict[int, Resource]]:
    """Copies of one object that differ only in server-set fields (an export next to the repository
    it came from): the copy kubectl keeps (the last) is converted as usual. An earlier copy that the
    same conversion would replace is removed instead of writing the same new objects twice, and a
    file generated for it is asked for once, by the kept copy. Returns the changed fix lists and,
    for each changed copy, its kept twin."""
    from .duplicates import kept, location, same_apart_from_server_fields

    resources = [r for s in result.sources for r in s.resources]
    overrides: dict[int, list[Fix]] = {}
    twins: dict[int, Resource] = {}
    for res in resources:
        fixes = fixes_by_resource.get(id(res))
        group = result.index.copies(res) if fixes else []  # the run's index groups the copies once (ML014 used it)
        if not group or not fixes or kept(group) is res or not same_apart_from_server_fields(res, kept(group)):
            continue
        last = kept(group)
        theirs = fixes_by_resource.get(id(last), [])
        if any(fx.replaces for fx in theirs) and any(fx.replaces for fx in fixes):
            new = [Fix(f"remove this copy of {res.kind} {res.name}: the copy kubectl keeps ({location(last)}) is converted", (ReplaceResource(()),))]
        else:
            names = {op.name for fx in theirs for op in fx.ops if isinstance(op, ExtraFile)}
            new = []
            for fx in fixes:
                ops = tuple(op for op in fx.ops if not (isinstance(op, ExtraFile) and op.name in names))
                if ops:
                    new.append(fx if ops == fx.ops else Fix(fx.description, ops))
        if new != fixes:
            overrides[id(res)] = new
            twins[id(res)] = last
    return overrides, twins


def _verified(result: Result) -> frozenset[int]:
    """The resources whose conversions meshlint.verify checked together against 1.4 (alpha
    authentication, RBAC, Mixer rules): id(resource)."""
    from .refusals import SECURITY_CODES

    where = {(f.file, f.doc, f.item) for f in result.findings if f.fix is not None and f.code in SECURITY_CODES}
    return frozenset(id(res) for src in result.sources for res in src.resources if (src.path, res.doc_index, res.item_index) in where)


def _apply_file_safely(src: SourceFile, items: list[tuple[Resource, list[Fix]]], keep_server_fields: bool, validate: Validator | None,
                       verified: frozenset[int]) -> FileResult:
    """A bug met while converting one file is that file's error (it is left unchanged), never
    the end of the run."""
    try:
        return apply_file(src, items, keep_server_fields, validate, verified)
    except Exception as e:  # noqa: BLE001 - the last line of defence, per file
        out = FileResult(src.path, src.text)
        out.errors.append(f"internal error while converting ({type(e).__name__}: {' '.join(str(e).split())[:200]}); the file is left unchanged, please report this")
        return out


def _dedupe(fixes: list[Fix]) -> list[Fix]:
    out: list[Fix] = []
    for f in fixes:
        if f not in out:
            out.append(f)
    return out


# --------------------------------------------------------------------------- applying

def apply_file(src: SourceFile, items: list[tuple[Resource, list[Fix]]], keep_server_fields: bool = False, validate: Validator | None = None,
               verified: frozenset[int] = frozenset()) -> FileResult:
    """Apply the fixes of ``items`` to one file. ``verified``: id() of the resources whose conversions
    the security verification checked together; when the target API rejects one of theirs, none of
    the file's conversions are made."""
    import yaml

    out = FileResult(src.path, src.text, planned=[res.identity for res, _ in items])
    if src.text is None:
        out.errors.append("the file could not be read, so it is not converted")
        return out
    if any(p.code in ("ML001", "ML007") for p in src.problems):
        out.errors.append("the file has a YAML syntax error, so it is not converted")
        return out
    newline = line_ending(src.text)
    if newline is None:
        out.errors.append("the file mixes line endings (some lines end in CR only), so it is not converted; normalise its line endings first")
        return out
    text = src.text.replace(newline, "\n") if newline != "\n" else src.text
    expected: dict[tuple[int, int | None], list[dict[str, Any]]] = {(r.doc_index, r.item_index): [r.body] for r in src.resources}
    spans = textedit.document_spans(text)
    by_doc: dict[int, list[tuple[Resource, list[Fix]]]] = defaultdict(list)
    for res, fixes in items:
        by_doc[res.doc_index].append((res, fixes))
    try:
        # last document first, so the spans of the documents before it stay valid
        for doc_index in sorted(by_doc, reverse=True):
            if doc_index >= len(spans):
                raise textedit.EditError(f"document {doc_index} is gone")
            start, end = spans[doc_index]
            doc_items = sorted(by_doc[doc_index], key=lambda it: -1 if it[0].item_index is None else it[0].item_index, reverse=True)
            doc = textedit.Document(text[start:end], first=doc_index == 0)
            for res, fixes in doc_items:
                _apply_fixes(doc, res, fixes, keep_server_fields, expected, out)
            text = text[:start] + doc.text + text[end:]
    except (textedit.EditError, yaml.YAMLError) as e:
        out.errors.append(f"cannot edit the file exactly ({' '.join(str(e).split())}); it is left unchanged")
        return out
    if not text.strip() and src.text.strip():  # every object went: say so rather than leave an empty file
        text = "".join(f"# {c.resource} was removed by meshlint convert: {'; '.join(c.fixes)}\n" for c in out.changes)
    problem = _verify(text, src, expected)
    if problem:
        out.errors.append(f"the converted file would not hold exactly the converted data ({problem}); it is left unchanged")
        return out
    invalid = _invalid(items, expected, validate) if validate is not None else {}
    if invalid and any(id(res) in verified for res, _ in items if id(res) in invalid):
        # a security conversion was verified together with the others: none of the file's are made
        out.errors += [f"{res.identity}: {why}" for res, _ in items if (why := invalid.get(id(res)))]
        return out
    if invalid:
        # those resources stay as they are; the rest of the file converts without them
        rest = [(res, fixes) for res, fixes in items if id(res) not in invalid]
        again = apply_file(src, rest, keep_server_fields, validate, verified) if rest else FileResult(src.path, src.text, src.text)
        again.invalid[:0] = [(res.identity, why) for res, _ in items if (why := invalid.get(id(res)))]
        return again
    out.new_text = text.replace("\n", newline) if newline != "\n" else text
    return out


def _invalid(items: list[tuple[Resource, list[Fix]]], expected: dict[tuple[int, int | None], list[dict[str, Any]]],
             validate: Validator) -> dict[int, str]:
    """The resources whose converted objects the target API would reject: id(resource) → why."""
    out: dict[int, str] = {}
    for res, _ in items:
        for obj in expected[(res.doc_index, res.item_index)]:
            errs = validate(obj)
            if errs:
                md = obj.get("metadata")  # any shape: a converted object may keep a malformed metadata
                name = f"{obj.get('kind')} {md.get('name') if isinstance(md, dict) else None}"
                what = "the converted object" if (obj.get("kind"), md.get("name") if isinstance(md, dict) else None) == (res.kind, res.name) else f"its converted object {name}"
                out[id(res)] = f"{what} is not valid for the target API: {'; '.join(errs[:5])}"
                break
    return out


def line_ending(text: str) -> str | None:
    """The file's one line ending ("\n", "\r\n" or a classic Mac "\r"), or None when it mixes
    them. YAML reads a lone CR as a line break too, while the text edits work on LF."""
    cr, crlf, lf = text.count("\r"), text.count("\r\n"), text.count("\n")
    if cr == 0:
        return "\n"
    if crlf == cr == lf:
        return "\r\n"
    if lf == 0:
        return "\r"
    return None


def _apply_fixes(doc: textedit.Document, res: Resource, fixes: list[Fix], keep_server_fields: bool,
                 expected: dict[tuple[int, int | None], list[dict[str, Any]]], out: FileResult) -> None:
    """One resource's fixes applied to the document that holds it: the one dispatcher of fix
    operations. Each operation makes its text edit and then its data edit (:mod:`meshlint.fixes`)."""
    ops = [op for fx in fixes for op in fx.ops]
    replace = [op for op in ops if isinstance(op, ReplaceResource)]
    edits: list[FieldEdit] = [op for op in ops if not isinstance(op, (ReplaceResource, ExtraFile))]
    described = [fx.description for fx in fixes if fx.ops]
    target = doc.resource(res.item_index)
    if replace:
        objects = replace[-1].new_objects()
        expected[(res.doc_index, res.item_index)] = objects
        out.changes.append(ResourceChange(res.identity, described, {"removed": [""], "added": [], "changed": []},
                                          [ResourceId(o.get("apiVersion"), o.get("kind"), (o.get("metadata") or {}).get("namespace"), (o.get("metadata") or {}).get("name")) for o in objects]))
        target.replace_resource(objects)
        return
    if not edits:
        return
    if not keep_server_fields:
        edits += [Remove(p, prune_empty=p.startswith("/metadata/annotations/")) for p in SERVER_FIELDS if present(res.body, p)]
    body = copy.deepcopy(res.body)
    for op in edits:
        op.edit_text(target, body)
        op.edit_data(body)
    expected[(res.doc_index, res.item_index)] = [body]
    out.changes.append(ResourceChange(res.identity, described, summarize(res.body, body)))


def _verify(text: str, src: SourceFile, expected: dict[tuple[int, int | None], list[dict[str, Any]]]) -> str | None:
    got = load_text(text, src.path)
    if got.problems and not src.problems:
        p = got.problems[0]
        return f"{p.code} at line {p.line}"
    want = [obj for key in sorted(expected, key=lambda k: (k[0], -1 if k[1] is None else k[1])) for obj in expected[key]]
    have = [r.body for r in got.resources]
    if want != have:
        for i, (w, h) in enumerate(zip(want, have)):
            if w != h:
                return f"object {i + 1} differs: {explain_difference(w, h)}"
        return f"{len(have)} objects instead of {len(want)}"
    return None


# --------------------------------------------------------------------------- what changed

def summarize(old: Any, new: Any) -> dict[str, list[str]]:
    """What changed between two objects of plain data, as JSON Pointers: keys and list items
    added or removed, and leaves whose value or type changed."""
    out: dict[str, list[str]] = {"added": [], "removed": [], "changed": []}
    _diff(old, new, "", out)
    return {k: sorted(v) for k, v in out.items()}


def _diff(a: Any, b: Any, ptr: str, out: dict[str, list[str]]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for k, v in a.items():
            p = ptr + pointer(k)
            if k in b:
                _diff(v, b[k], p, out)
            else:
                out["removed"].append(p)
        out["added"].extend(ptr + pointer(k) for k in b if k not in a)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) == len(b):
            for i, (x, y) in enumerate(zip(a, b)):
                _diff(x, y, f"{ptr}/{i}", out)
            return
        # lengths differ: align the items first, so a removed middle item is one removal
        import difflib
        import json

        keys = [[json.dumps(x, sort_keys=True, default=str) for x in seq] for seq in (a, b)]
        for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, keys[0], keys[1], autojunk=False).get_opcodes():
            if op == "equal":
                continue
            paired = min(i2 - i1, j2 - j1) if op == "replace" else 0
            for i, j in zip(range(i1, i1 + paired), range(j1, j1 + paired)):
                _diff(a[i], b[j], f"{ptr}/{i}", out)
            out["removed"].extend(f"{ptr}/{i}" for i in range(i1 + paired, i2))
            out["added"].extend(f"{ptr}/{j}" for j in range(j1 + paired, j2))
    elif type(a) is not type(b) or a != b:
        out["changed"].append(ptr)


def explain_difference(want: Any, have: Any) -> str:
    """Where the re-read data differs from the intended data, for the rare conversion that cannot
    be written exactly: JSON Pointers only (``summarize``), never the values (they may be secrets)."""
    diff = summarize(want, have)
    said = {"removed": "missing", "added": "unexpected", "changed": "different"}
    return "; ".join(f"{said[k]} {', '.join(p or '(the whole object)' for p in ptrs)}" for k, ptrs in ((k, diff[k]) for k in said) if ptrs)[:300]
