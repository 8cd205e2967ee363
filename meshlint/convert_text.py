"""What ``meshlint convert`` tells a person at a terminal: what it changed, grouped by file (the
path once, one line a resource); what it could not write and why; the verification grouped by
the 1.4 policy whose conversion decides the requests, with counts (``-v`` lists every request); a
summary; and one line pointing at the findings left for manual work (``meshlint check`` lists them) instead of repeating them.
"""
from __future__ import annotations

import re
import shlex
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from . import refusals
from .escape import printable
from .model import Finding, Severity
from .terminal import BOLD, DIM, RED, WIDTH, YELLOW, Paint, fit

if TYPE_CHECKING:
    from .convert import ConvertResult
    from .engine import Result


_VERDICT = {(True, False): "1.4 allowed, converted denies", (False, True): "1.4 denied, converted allows"}


def _line(text: str, verbose: bool, indent: str = "  ", paint: Paint | None = None, lead: str = "", style: str = "") -> str:
    """One line of untrusted text, escaped, cut to the terminal width unless ``verbose``; its first
    word ``lead`` painted in ``style``."""
    text = printable(text)
    text = text if verbose else fit(text, WIDTH - len(indent))
    if paint is not None and lead and text.startswith(lead):
        text = paint(style, lead) + text[len(lead):]
    return indent + text


# where a line may wrap: after a fix, a target or a label, before the arrow or what asked for a generated file
_BREAK = re.compile(r"(?<=[;,:]) | (?=→ )| (?=\(for )")


def wrapped(text: str, indent: str = "  ", cont: str = "    ") -> list[str]:
    """A change line, escaped, wrapped to the terminal width between its parts (the fixes, the
    objects it became), never inside a name; continuation lines indented deeper."""
    lines: list[str] = []
    current = ""
    for part in _BREAK.split(printable(text)):
        room = WIDTH - len(cont if lines else indent)
        if current and len(current) + 1 + len(part) > room:
            lines.append((cont if lines else indent) + current)
            current = part
        else:
            current = f"{current} {part}" if current else part
    lines.append((cont if lines else indent) + current)
    return lines


def _refused(findings: list[Finding], verbose: bool, paint: Paint) -> list[str]:
    """One line a refused conversion: its code and short reason (the whole message with -v)."""
    out = []
    for x in findings:
        text = printable(f"{x.code} {x.message if verbose else x.short or x.message}")
        out.append("  " + paint(RED, "refused") + " " + (text if verbose else fit(text, WIDTH - len("  refused "))))
    return out


def cr_only(text: str | None) -> bool:
    """A classic Mac file: its lines end in CR alone."""
    return text is not None and "\r" in text and "\n" not in text


def changes(converted: ConvertResult, verbose: bool, paint: Paint, reading: Sequence[str] = ()) -> list[str]:
    """Per file (the path once): the resources converted, or why the file is left unchanged, and the
    conversions that were refused (with their reasons). ``reading``: the files whose diff is for
    reading only (a line they change holds a secret)."""
    refused: dict[str, list[Finding]] = {}
    for x in refusals.refused(converted.lint.findings, converted.lint.rules):
        refused.setdefault(x.file, []).append(x)
    out: list[str] = []
    for f in converted.files:
        if f.errors:
            out.append(paint(BOLD, printable(f.path)))
            for e in f.errors:
                out.append(_line(f"not converted: {e}", True, paint=paint, lead="not converted", style=RED))
            if f.changes:
                out.append(_line(f"the file is left as it is, so its {len(f.planned or f.changes)} conversion(s) are not made", verbose))
            out += _refused(refused.pop(f.path, []), verbose, paint)
            continue
        mine = refused.pop(f.path, [])
        if not (f.changed and f.changes) and not mine and not f.invalid:
            continue
        out.append(paint(BOLD, printable(f.path)))
        for rid, why in f.invalid:
            out.append(_line(f"not converted: {rid}: {why}", True, paint=paint, lead="not converted", style=RED))
        if f.changed and cr_only(f.original):
            out += wrapped("its lines end in CR alone, which a patch cannot express: its diff is for reading; convert it with --in-place or --out")
        if f.path in reading:
            out += wrapped("a line it changes holds a secret, which meshlint never prints: its diff is for reading only "
                           "(masked, each line commented out, so git apply and patch skip it); convert it with --in-place or --out")
        for c in f.changes if f.changed else ():
            what = "; ".join(c.fixes)
            if c.replaced_by or c.changes.get("removed") == [""]:
                target = ", ".join(str(r) for r in c.replaced_by) or "removed"
                out += wrapped(f"{c.resource}: {what} → {target}")
            else:
                out += wrapped(f"{c.resource}: {what}")
                if verbose:
                    detail = ", ".join(f"{k} {', '.join(v)}" for k, v in c.changes.items() if v)
                    if detail:
                        out.append("    " + paint(DIM, printable(f"[{detail}]")))
        out += _refused(mine, verbose, paint)
    for path, xs in refused.items():  # files convert did not read as its own (none today; kept so nothing is lost)
        out.append(paint(BOLD, printable(path)))
        out += _refused(xs, verbose, paint)
    return out


def verification(result: Result, verbose: bool, paint: Paint) -> list[str]:
    """Every request class decided differently from 1.4, grouped by the 1.4 policy whose conversion
    decides it (refused or converted), with counts; the requests themselves with ``-v``."""
    from .verify import policy

    outcome = getattr(result, "verification", None)
    diffs = list(outcome.differences) if outcome is not None else []
    refused = {policy(p): why for p, why in outcome.refused.values()} if outcome is not None else {}
    if not diffs:
        return [f"Verification: no request is decided differently from Istio 1.4{f' ({outcome.checked} destination(s) compared)' if outcome is not None and outcome.checked else ''}."]
    groups: dict[tuple[str, ...], list[Any]] = {}
    for d in diffs:
        groups.setdefault(d.policies or (f"{d.area} in namespace {d.namespace}",), []).append(d)
    documented = sum(1 for d in diffs if d.note)
    out = [f"Verification: {len(diffs)} request class(es) decided differently from Istio 1.4, by policy:"]
    for names, ds in sorted(groups.items()):
        status = "refused" if all(n in refused for n in names) else "converted" if not any(n in refused for n in names) else "partly refused"
        counts = Counter(_VERDICT.get((d.old, d.new), "decided differently") for d in ds)
        notes = sorted({d.note for d in ds if d.note})
        verdicts = "; ".join(f"{k}: {n}" for k, n in sorted(counts.items())) if len(counts) > 1 else next(iter(counts))
        places = len({d.destination for d in ds})
        detail = verdicts + (f"; documented: {', '.join(notes)}" if notes else "")
        style = RED if status != "converted" else YELLOW
        out.append(_line(f"{status} {', '.join(names)}", verbose, paint=paint, lead=status, style=style))
        out.append(_line(f"{len(ds)} request class(es) in {places} destination(s): {detail}", verbose, "    "))
        if verbose:
            out += [_line(d.describe() + (f" (documented: {d.note})" if d.note else ""), True, "      ") for d in ds]
    shown = {n for names in groups for n in names}
    for name, why in sorted(refused.items()):
        if name not in shown:  # refused because it acts where another conversion decides differently
            who = ", ".join(why.policies) or f"a conversion in namespace {why.namespace}"
            out.append(_line(f"refused {name}", verbose, paint=paint, lead="refused", style=RED))
            out.append(_line(f"acts where {who} decides requests differently", verbose, "    "))
    out.append(f"  {documented} documented by the conversion, {len(diffs) - documented} not; {len(refused)} conversion(s) refused"
               + ("" if verbose else "; -v lists every request"))
    return out


def manual_pointer(unfixed: Iterable[Finding], inputs: list[str]) -> str:
    """One line instead of the findings convert leaves: how many, and the command that lists them."""
    left = [f for f in unfixed if f.severity >= Severity.WARNING]
    if not left:
        return ""
    paths = " ".join(shlex.quote(printable(p)) for p in inputs) if inputs else "PATH..."
    return f"{len(left)} finding(s) need manual work: `meshlint check {paths}` lists them."
