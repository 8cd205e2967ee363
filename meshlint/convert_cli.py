"""What ``meshlint convert`` does after linting: convert, verify, write, summarise.

Returns what to show on stdout and on stderr and the exit code; the CLI prints them.
"""
from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import __version__, convert_text
from .convert import ConvertResult, FileResult, Validator, convert
from .convert_text import cr_only
from .engine import Result
from .escape import printable
from .fsutil import FileWrite, Refusal, WriteError, commit, created_mode
from .generated import GeneratedFile
from .model import Finding
from .patch import FOR_READING, file_diff, relative_parts
from .redact import mask_text
from .terminal import Paint, color_diff


def diff_path(display: str) -> str:
    """The path a diff names for an input file: relative to the working directory."""
    return "/".join(relative_parts(display)) or "stdin.yaml"


def unified_diff(f: FileResult) -> str:
    if not f.changed:
        return ""
    # the user's file: a line holding a secret is never printed as it is (masked where it changes,
    # left out of the hunks' context where it does not)
    old, new = f.original or "", f.new_text or ""
    shown = mask_text(old), mask_text(new)
    if cr_only(old):
        # git and patch see one long line: shown one line per line (for reading, not applying), never overprinted
        old, new = shown[0].replace("\r", "\n"), shown[1].replace("\r", "\n")
        shown = old, new
    return file_diff(old, new, diff_path(f.path), shown=shown)


def security_differences(result: Result) -> list[str]:
    """Every request class the security conversions decide differently from 1.4 (documented notes
    marked as such), as the verification that ran before anything was written found them."""
    outcome = result.verification
    if outcome is None:
        return []
    return [f"{d.area}: {d.describe()}" + (f" (documented: {d.note})" if d.note else "") for d in outcome.differences]


def refused_by_verification(result: Result) -> int:
    v = result.verification
    return len(v.refused) + v.held if v is not None else 0


@dataclass
class Generated:
    """A generated file in this run: where it goes and what happens to it there."""

    file: GeneratedFile
    target: Path  # where it is (or would be) written
    status: str  # "new", "unchanged", "differs" (an existing file that is left alone), "written"

    @property
    def written(self) -> bool:
        return self.status == "written"


def plan_generated(converted: ConvertResult, out: Path | None) -> list[Generated]:
    """Where each generated file goes: under ``--out DIR`` (always written there), else under the
    working directory, where an existing file with other content is never overwritten."""
    plan = []
    for g in converted.generated:
        target = (out if out is not None else Path(".")) / g.path
        status = "new"
        if out is None and target.is_file() and not target.is_symlink():
            try:
                status = "unchanged" if target.read_text(encoding="utf-8") == g.text else "differs"
            except (OSError, UnicodeDecodeError):
                status = "differs"
        plan.append(Generated(g, target, status))
    return plan


def run_convert(result: Result, out: Path | None, in_place: bool, diff: bool, check_only: bool, fmt: str,
                keep_server_fields: bool, verify: bool, validate: Validator | None = None, inputs: list[str] | None = None,
                errors: list[str] | None = None, terminal: bool = False, verbose: bool = False,
                color: tuple[bool, bool] = (False, False)) -> tuple[str, str, int]:
    """What to print on stdout and on stderr, and the exit code (``color``: whether each of the two is
    coloured: a terminal's, as the CLI decided). With ``diff`` stdout holds only
    the diff (so it can be piped to ``git apply``) and the summary goes to stderr; on a
    ``terminal`` the diff's lines are escaped like every other untrusted text (a file's raw
    control characters never reach the screen), piped they are the file's bytes, so it applies.
    ``validate``: an extra check of every converted object (the user's CRDs), besides meshlint's target schemas.
    ``inputs``: the paths as given: with ``in_place``, the trees it may write in; with ``out``, the
    directories whose every other file is copied too. Raises :class:`~meshlint.write_targets.OutError`
    for an --out that cannot be used as asked. When nothing could be written, why is also appended
    to ``errors`` (for standard error)."""
    converted = convert(result, keep_server_fields=keep_server_fields, validate=validate)
    generated = plan_generated(converted, out)
    writes, refused = ([], []) if check_only else planned_writes(result, converted, out, in_place, inputs, generated)
    written, failure = write(writes)
    if failure is not None:
        refused += failure.refused
    else:
        targets = {w.target for w in writes}
        for g in generated:
            if str(g.target) in targets or os.path.normpath(str(g.target)) in targets:
                g.status = "written"
    differences = security_differences(result) if verify else []
    unverified = refused_by_verification(result)
    changed = [f for f in converted.files if f.changed]
    code = 2 if failure is not None else 1 if (converted.errors or unverified or refused or (check_only and changed)) else 0
    findings = refusal_findings(refused)
    error = str(failure) if failure is not None else None
    redactor = result.redactor  # scrubs the data before it is encoded: the JSON stays valid
    patch, reading = diff_text(converted, generated, terminal) if diff else ("", [])
    if fmt == "json":
        summary = json.dumps(redactor.data(_as_json(converted, written, differences, generated, findings, error)), indent=2, ensure_ascii=False) + "\n"
    else:
        summary = redactor.text(_as_text(converted, written, differences, generated, findings, error, verify, verbose,
                                         color[1] if diff else color[0], inputs, reading))
    # coloured after redaction, so a secret is masked whole
    stdout, stderr = (color_diff(redactor.text(patch), Paint(color[0])), summary) if diff else (summary, "")
    if error is not None and errors is not None:
        errors.append(redactor.text(error))
    return stdout, stderr, code


def planned_writes(result: Result, converted: ConvertResult, out: Path | None, in_place: bool,
                   inputs: list[str] | None, generated: Sequence[Generated] = ()) -> tuple[list[FileWrite], list[Refusal]]:
    """The final list of files to write (and the files refused), before anything is written."""
    from .write_targets import in_place as in_place_writes
    from .write_targets import tree_roots, under_out

    boms = {s.path: s.bom for s in result.sources}
    if out is not None:
        return under_out(out, converted.files, boms, inputs or [], [g.file for g in generated]), []
    if in_place:
        roots = tree_roots(inputs if inputs is not None else [f.path for f in converted.files])
        writes, refused = in_place_writes(converted.files, boms, roots)
        # generated files go to ./generated/, as the diff names them; an existing one is never overwritten
        writes += [FileWrite(os.path.normpath(str(g.target)), g.file.text, source=g.file.path, mode=created_mode(), base=".")
                   for g in generated if g.status == "new"]
        return writes, refused
    return [], []


def diff_text(converted: ConvertResult, generated: list[Generated], terminal: bool = False) -> tuple[str, list[str]]:
    """One patch for the whole run: every changed input file, then every generated file that
    does not exist yet (an addition from /dev/null); and the input files whose diff is there for
    reading only (a line they change holds a secret: patch.file_diff)."""
    inputs = [unified_diff(f) for f in converted.files]
    reading = [f.path for f, part in zip(converted.files, inputs) if part.startswith(FOR_READING)]
    parts = inputs + [file_diff(None, mask_text(g.file.text), g.file.path) for g in generated if g.status in ("new", "written")]
    text = "".join(parts)
    return ("".join(printable(line) + "\n" for line in text.split("\n")[:-1]) if terminal else text), reading


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


_GENERATED_STATUS = {"new": "would be generated", "written": "generated", "unchanged": "already up to date",
                     "differs": "exists with other content: left as it is (delete it to regenerate)"}


def generated_lines(generated: list[Generated]) -> list[str]:
    """One line per generated file: where it goes, what happens to it, which input asked for it."""
    out = []
    for g in generated:
        sources = ", ".join(f"{path}: {ident}" if ident else path for path, ident in g.file.sources)
        out += convert_text.wrapped(f"{g.target}: {_GENERATED_STATUS[g.status]} (for {sources})", indent="")
    return out


def _as_text(converted: ConvertResult, written: dict[str, str], differences: list[str], generated: list[Generated],
             refused: Sequence[Finding] = (), error: str | None = None, verify: bool = False, verbose: bool = False,
             color: bool = False, inputs: list[str] | None = None, reading: Sequence[str] = ()) -> str:
    """What changed (by file), what was generated, the verification (with --verify), what could not
    be written, a summary, and one line pointing at the findings left for manual work. ``reading``:
    the files whose diff is for reading only."""
    paint = Paint(color)
    out = convert_text.changes(converted, verbose, paint, reading) + generated_lines(generated)
    if verify:
        out += convert_text.verification(converted.lint, verbose, paint)
    for x in refused:
        out.append(f"{printable(x.file)}:{x.line}:{x.column}: {x.severity} {x.code} {printable(x.message)} [{x.name}]")
    if error is not None:
        out.append(printable(f"error: {error}"))
    unfixed = [x for x in converted.unfixed if x.severity.name in ("ERROR", "WARNING")]
    changed = sum(1 for f in converted.files if f.changed and (not written or f.path in written))
    out.append(f"{changed} file(s) {'changed' if written else 'would change'}, {sum(len(f.changes) for f in converted.files if f.changed)} resource(s) converted, "
               + _generated_count(generated)
               + f"{len(converted.errors)} conversion error(s), {len(unfixed)} finding(s) left for manual work"
               + (f", {len(differences)} verification difference(s)" if differences else "")
               + (f", {refused_by_verification(converted.lint)} conversion(s) refused by verification" if refused_by_verification(converted.lint) else "")
               + (f", {len(refused)} write(s) refused" if refused else "")
               + _skipped_note(converted))
    out.append(convert_text.manual_pointer(unfixed, inputs or []))
    return "\n".join(x for x in out if x) + "\n"


def _generated_count(generated: list[Generated]) -> str:
    made = sum(1 for g in generated if g.status in ("new", "written"))
    return f"{made} file(s) {'generated' if any(g.written for g in generated) else 'to generate'}, " if made else ""


def _skipped_note(converted: ConvertResult) -> str:
    from .reporters.text import not_objects_note

    n = len(converted.lint.not_objects)
    return "." + not_objects_note(n) if n else ""


def _as_json(converted: ConvertResult, written: dict[str, str], differences: list[str], generated: list[Generated],
             refused: Sequence[Finding] = (), error: str | None = None) -> dict[str, Any]:
    return {
        "version": "1.0",
        "tool": {"name": "meshlint", "version": __version__},
        "files": [
            {"file": f.path, "changed": f.changed, "written_to": written.get(f.path), "errors": f.messages,
             "resources": [c.as_dict() for c in f.changes]}
            for f in converted.files if f.changes or f.messages
        ],
        "generated": [
            {"path": str(g.target), "status": g.status, "written": g.written,
             "from": [{"file": path, "resource": ident.as_dict() if ident else None} for path, ident in g.file.sources],
             "objects": [i.as_dict() for i in g.file.identities()]}
            for g in generated
        ],
        "unfixed": [x.as_dict() for x in converted.unfixed],
        "refused": [x.as_dict() for x in refused],
        "write_error": error,
        "verify": differences,
        "summary": {
            "files_changed": sum(1 for f in converted.files if f.changed),
            "resources_converted": sum(len(f.changes) for f in converted.files),
            "files_generated": sum(1 for g in generated if g.status in ("new", "written")),
            "errors": len(converted.errors),
            "unfixed": len(converted.unfixed),
            "differences": len(differences),
            "not_objects": len(converted.lint.not_objects),
            "refused_by_verification": refused_by_verification(converted.lint),
        },
    }
