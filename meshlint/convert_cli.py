"""What ``meshlint convert`` does after linting: convert, verify, write, summarise.

Returns the text to show and the exit code; the CLI prints it.
"""
from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

from . import __version__
from .convert import ConvertResult, FileResult, convert, replacement_objects
from .engine import Result, redact_text, secret_values
from .escape import printable
from .fsutil import FileWrite, Refusal, WriteError, commit
from .model import Finding


def unified_diff(f: FileResult) -> str:
    if not f.changed:
        return ""
    # a classic Mac file's lines end in CR alone: shown one per line, not overprinted
    a = [line[:-1] + "\n" if line.endswith("\r") else line for line in (f.original or "").splitlines(keepends=True)]
    b = [line[:-1] + "\n" if line.endswith("\r") else line for line in (f.new_text or "").splitlines(keepends=True)]
    return "".join(difflib.unified_diff(a, b, fromfile=f"a/{printable(f.path)}", tofile=f"b/{printable(f.path)}"))


def security_differences(result: Result) -> list[str]:
    """Every request class the security conversions decide differently from 1.4 (documented notes
    marked as such), as the verification that ran before anything was written found them."""
    outcome = result.verification
    if outcome is None:
        return []
    return [f"{d.area}: {d.describe()}" + (f" (documented: {d.note})" if d.note else "") for d in outcome.differences]


def refused_by_verification(result: Result) -> int:
    return len(result.verification.refused) if result.verification is not None else 0


def run_convert(result: Result, out: Path | None, in_place: bool, diff: bool, check_only: bool, fmt: str,
                keep_server_fields: bool, verify: bool, validate=None, inputs: list[str] | None = None,
                errors: list[str] | None = None) -> tuple[str, int]:
    """``validate``: an extra check of every converted object (the user's CRDs), besides meshlint's target schemas.
    ``inputs``: the paths as given: with ``in_place``, the trees it may write in; with ``out``, the
    directories whose every other file is copied too. Raises :class:`~meshlint.write_targets.OutError`
    for an --out that cannot be used as asked. Returns the text to show and the exit code; when
    nothing could be written, why is also appended to ``errors`` (for standard error)."""
    converted = convert(result, keep_server_fields=keep_server_fields, validate=validate)
    writes, refused = ([], []) if check_only else planned_writes(result, converted, out, in_place, inputs)
    written, failure = write(writes)
    if failure is not None:
        refused += failure.refused
    differences = security_differences(result) if verify else []
    unverified = refused_by_verification(result)
    changed = [f for f in converted.files if f.changed]
    code = 2 if failure is not None else 1 if (converted.errors or unverified or refused or (check_only and changed)) else 0
    findings = refusal_findings(refused)
    error = str(failure) if failure is not None else None
    if fmt == "json":
        text = json.dumps(_as_json(converted, written, differences, findings, error), indent=2, ensure_ascii=False) + "\n"
    else:
        text = _as_text(converted, written, differences, diff, findings, error)
    # a diff shows context lines of the user's files: Secret values never reach the output
    secrets = secret_values([r for s in result.sources for r in s.resources])
    if error is not None and errors is not None:
        errors.append(redact_text(error, secrets))
    return redact_text(text, secrets), code


def planned_writes(result: Result, converted: ConvertResult, out: Path | None, in_place: bool,
                   inputs: list[str] | None) -> tuple[list[FileWrite], list[Refusal]]:
    """The final list of files to write (and the files refused), before anything is written."""
    from .write_targets import in_place as in_place_writes, tree_roots, under_out

    boms = {s.path: s.bom for s in result.sources}
    if out is not None:
        return under_out(out, converted.files, boms, inputs or []), []
    if in_place:
        roots = tree_roots(inputs if inputs is not None else [f.path for f in converted.files])
        return in_place_writes(converted.files, boms, roots)
    return [], []


def write(writes: list[FileWrite]) -> tuple[dict[str, str], WriteError | None]:
    """Write every file or none: (input path -> where it was written, None) or ({}, what stopped it)."""
    try:
        commit(writes)
    except WriteError as e:
        return {}, e
    return {w.source: w.target for w in writes if w.source and not w.directory and w.link is None and w.copy_from is None}, None


def refusal_findings(refused: list[Refusal]) -> list[Finding]:
    """Files not written, as ML030 (write-refused) findings."""
    from .engine import _problem_finding
    from .model import Problem
    from .registry import all_rules

    rule = all_rules()["ML030"]
    return [_problem_finding(rule, Problem("ML030", 1, 1, r.params, message=r.reason), r.path) for r in refused]


def _as_text(converted: ConvertResult, written: dict[str, str], differences: list[str], diff: bool,
             refused: list[Finding] = (), error: str | None = None) -> str:
    out: list[str] = []
    for f in converted.files:
        if diff and f.changed:
            out.append(unified_diff(f).rstrip("\n"))
        for c in f.changes:
            what = "; ".join(c.fixes)
            detail = ", ".join(f"{k} {', '.join(v)}" for k, v in c.changes.items() if v)
            target = f" → {', '.join(str(r) for r in c.replaced_by) or 'removed'}" if c.replaced_by or c.changes.get("removed") == [""] else ""
            out.append(printable(f"{f.path}: {c.resource}: {what}{target}") + (f" [{printable(detail)}]" if detail and not target else ""))
        for e in f.errors:
            out.append(printable(f"{f.path}: error: {e}"))
    for d in differences:
        out.append(printable(f"verify: {d}"))
    for x in refused:
        out.append(f"{printable(x.file)}:{x.line}:{x.column}: {x.severity} {x.code} {printable(x.message)} [{x.name}]")
    if error is not None:
        out.append(printable(f"error: {error}"))
    unfixed = [x for x in converted.unfixed if x.severity.name in ("ERROR", "WARNING")]
    for x in unfixed:
        out.append(f"{printable(x.file)}:{x.line}:{x.column}: {x.severity} {x.code} {printable(x.message)} (not fixed automatically)")
    changed = sum(1 for f in converted.files if f.changed and (not written or f.path in written))
    out.append(f"{changed} file(s) {'changed' if written else 'would change'}, {sum(len(f.changes) for f in converted.files)} resource(s) converted, "
               f"{len(converted.errors)} conversion error(s), {len(unfixed)} finding(s) left for manual work"
               + (f", {len(differences)} verification difference(s)" if differences else "")
               + (f", {refused_by_verification(converted.lint)} conversion(s) refused by verification" if refused_by_verification(converted.lint) else "")
               + (f", {len(refused)} write(s) refused" if refused else "")
               + _skipped_note(converted))
    return "\n".join(x for x in out if x) + "\n"


def _skipped_note(converted: ConvertResult) -> str:
    from .reporters.text import not_objects_note

    n = len(converted.lint.not_objects)
    return "." + not_objects_note(n) if n else ""


def _as_json(converted: ConvertResult, written: dict[str, str], differences: list[str],
             refused: list[Finding] = (), error: str | None = None) -> dict[str, Any]:
    return {
        "version": "1.0",
        "tool": {"name": "meshlint", "version": __version__},
        "files": [
            {"file": f.path, "changed": f.changed, "written_to": written.get(f.path), "errors": f.errors,
             "resources": [c.as_dict() for c in f.changes], "generated": [e.name for e in f.extra_files]}
            for f in converted.files if f.changes or f.errors
        ],
        "unfixed": [x.as_dict() for x in converted.unfixed],
        "refused": [x.as_dict() for x in refused],
        "write_error": error,
        "verify": differences,
        "summary": {
            "files_changed": sum(1 for f in converted.files if f.changed),
            "resources_converted": sum(len(f.changes) for f in converted.files),
            "errors": len(converted.errors),
            "unfixed": len(converted.unfixed),
            "differences": len(differences),
            "not_objects": len(converted.lint.not_objects),
            "refused_by_verification": refused_by_verification(converted.lint),
        },
    }
