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
from .fixes import ExtraFile
from .fsutil import atomic_write_bytes


def out_path(out_dir: Path, display: str) -> Path:
    """Where an input file goes under ``--out``: its path as given, made relative and safe."""
    p = Path(display)
    if p.is_absolute():
        try:
            p = p.resolve().relative_to(Path.cwd().resolve())
        except ValueError:
            p = Path(*p.parts[1:])
    parts = [x for x in p.parts if x not in ("..", ".", "")]
    return out_dir.joinpath(*parts) if parts else out_dir / "stdin.yaml"


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
                keep_server_fields: bool, verify: bool, validate=None, inputs: list[str] | None = None) -> tuple[str, int]:
    """``validate``: an extra check of every converted object (the user's CRDs), besides meshlint's target schemas.
    ``inputs``: the paths as given; with ``out``, every other file of their directories is copied too."""
    from .outtree import canonical, copy_rest, input_roots

    converted = convert(result, keep_server_fields=keep_server_fields, validate=validate)
    written: dict[str, str] = {}
    roots = input_roots(inputs or [])
    if not check_only:
        for f in converted.files:
            if f.original is None or f.path == "-":
                continue
            if out is not None:
                target = out_path(out, canonical(f.path, roots))
                target.parent.mkdir(parents=True, exist_ok=True)
                text = f.new_text if f.changed else f.original
                atomic_write_bytes(target, text.encode("utf-8"))
                written[f.path] = str(target)
                for extra in f.extra_files:
                    written.setdefault(f"{f.path}#{extra.name}", str(_write_extra(out, extra)))
            elif in_place and f.changed:
                atomic_write_bytes(f.path, f.new_text.encode("utf-8"))
                written[f.path] = f.path
        if out is not None and inputs:
            copy_rest(inputs, out, out_path, {Path(p) for p in written.values()})
    differences = security_differences(result) if verify else []
    refused = refused_by_verification(result)
    changed = [f for f in converted.files if f.changed]
    code = 1 if (converted.errors or refused or (check_only and changed)) else 0
    if fmt == "json":
        text = json.dumps(_as_json(converted, written, differences), indent=2, ensure_ascii=False) + "\n"
    else:
        text = _as_text(converted, written, differences, diff)
    # a diff shows context lines of the user's files: Secret values never reach the output
    return redact_text(text, secret_values([r for s in result.sources for r in s.resources])), code


def _write_extra(out: Path, extra: ExtraFile) -> Path:
    from .textedit import Style, dump_block

    target = out_path(out / "generated", extra.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    header = f"# {extra.note}\n" if extra.note else ""
    atomic_write_bytes(target, (header + "---\n".join(dump_block(o, Style()) for o in extra.objects)).encode("utf-8"))
    return target


def _as_text(converted: ConvertResult, written: dict[str, str], differences: list[str], diff: bool) -> str:
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
    unfixed = [x for x in converted.unfixed if x.severity.name in ("ERROR", "WARNING")]
    for x in unfixed:
        out.append(f"{printable(x.file)}:{x.line}:{x.column}: {x.severity} {x.code} {printable(x.message)} (not fixed automatically)")
    changed = sum(1 for f in converted.files if f.changed)
    out.append(f"{changed} file(s) {'changed' if written else 'would change'}, {sum(len(f.changes) for f in converted.files)} resource(s) converted, "
               f"{len(converted.errors)} conversion error(s), {len(unfixed)} finding(s) left for manual work"
               + (f", {len(differences)} verification difference(s)" if differences else "")
               + (f", {refused_by_verification(converted.lint)} conversion(s) refused by verification" if refused_by_verification(converted.lint) else "")
               + _skipped_note(converted))
    return "\n".join(x for x in out if x) + "\n"


def _skipped_note(converted: ConvertResult) -> str:
    from .reporters.text import not_objects_note

    n = len(converted.lint.not_objects)
    return "." + not_objects_note(n) if n else ""


def _as_json(converted: ConvertResult, written: dict[str, str], differences: list[str]) -> dict[str, Any]:
    return {
        "version": "1.0",
        "tool": {"name": "meshlint", "version": __version__},
        "files": [
            {"file": f.path, "changed": f.changed, "written_to": written.get(f.path), "errors": f.errors,
             "resources": [c.as_dict() for c in f.changes], "generated": [e.name for e in f.extra_files]}
            for f in converted.files if f.changes or f.errors
        ],
        "unfixed": [x.as_dict() for x in converted.unfixed],
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
